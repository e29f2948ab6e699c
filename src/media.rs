//! Turning a file someone sent into what the media library stores, shared by the admin, the
//! API and the demo: its format read from its bytes, an image re-encoded in each width (off
//! the threads that serve requests), a PDF's pages counted, and a safe file name.

use crate::domain::media::{self, Format, ImageLimits, Kind};
use crate::store::media::MediaContent;

/// Images decoded at once on this node. One within the limits (40 megapixels) takes up to
/// about 160 MB while it is decoded and re-encoded, so a burst of uploads waits its turn
/// rather than taking the server's memory.
static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// What an uploaded file becomes, or why it cannot be taken: the format from its bytes, an
/// image re-encoded (off the threads that serve requests) and a PDF's pages counted.
pub async fn content_of(file: Option<(String, Vec<u8>)>) -> Result<MediaContent, String> {
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Err("Choose a file to upload".into());
    };
    let format = Format::sniff(&bytes, &name)?;
    let filename = safe_filename(&name, format);
    let size = bytes.len() as i64;
    let _turn = match format.kind() {
        Kind::Image => Some(
            DECODING
                .acquire()
                .await
                .expect("the semaphore is never closed"),
        ),
        Kind::Document => None,
    };
    tokio::task::spawn_blocking(move || match format.kind() {
        Kind::Image => {
            let done = media::process_image(&bytes, ImageLimits::default())?;
            Ok(MediaContent {
                format: done.renditions[0].format,
                filename,
                size,
                width: Some(i64::from(done.width)),
                height: Some(i64::from(done.height)),
                pages: None,
                files: (done.renditions.into_iter())
                    .map(|r| (i64::from(r.width), r.format, r.bytes))
                    .collect(),
            })
        }
        Kind::Document => Ok(MediaContent {
            format,
            filename,
            size,
            width: None,
            height: None,
            pages: (format == Format::Pdf)
                .then(|| media::pdf_pages(&bytes).map(i64::from))
                .flatten(),
            files: vec![(0, format, bytes)],
        }),
    })
    .await
    .map_err(|_| "The file could not be read: try another copy of it".to_string())?
}

/// The uploaded name reduced to letters, digits, dots, dashes and underscores, ending in the
/// extension of what the file really is.
fn safe_filename(name: &str, format: Format) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
    let mut clean: String = (stem.chars())
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(80)
        .collect();
    if clean.trim_matches('-').is_empty() {
        clean = "file".into();
    }
    format!("{clean}.{}", format.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploaded_names_are_made_safe_and_truthful() {
        assert_eq!(
            safe_filename("C:\\My Docs\\Plan 2026.PDF", Format::Pdf),
            "Plan-2026.pdf"
        );
        assert_eq!(safe_filename("photo.exe", Format::Jpeg), "photo.jpg");
        assert_eq!(safe_filename("\"';<>.png", Format::Png), "file.png");
    }
}
