//! Files in the media library: what a file is (read from its bytes, never from its name),
//! what may be uploaded, images re-encoded into the widths pages ask for, and the number of
//! pages of a PDF.
//!
//! Re-encoding is the defence for images: what is served is pixels this module wrote, so
//! EXIF (a phone's GPS position), comments and anything appended to the file are gone.
//! Documents are kept as sent and only ever served as downloads (see `web::media`).

use serde::Serialize;
use std::io::{Cursor, Read};

/// Whether a file is shown in a page or offered for download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Image,
    Document,
}

crate::domain::named! {
    /// A file format the library accepts, by its name in the database.
    pub enum Format {
        Jpeg = "jpeg",
        Png = "png",
        Gif = "gif",
        Webp = "webp",
        Pdf = "pdf",
        Odt = "odt",
        Ods = "ods",
        Docx = "docx",
        Xlsx = "xlsx",
        Csv = "csv",
        Txt = "txt",
    }
}

/// What the upload form tells someone whose file was not accepted.
pub const ACCEPTED: &str = "Upload an image (JPEG, PNG, WebP or GIF) or a document (PDF, ODT, \
                            ODS, DOCX, XLSX, CSV or TXT)";

impl Format {
    /// The file name extension it is served with.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            other => other.as_str(),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Gif => "image/gif",
            Format::Webp => "image/webp",
            Format::Pdf => "application/pdf",
            Format::Odt => "application/vnd.oasis.opendocument.text",
            Format::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Txt => "text/plain; charset=utf-8",
        }
    }

    /// What the GOV.UK attachment pattern calls it ("PDF", "MS Word Document").
    pub fn label(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG image",
            Format::Png => "PNG image",
            Format::Gif => "GIF image",
            Format::Webp => "WebP image",
            Format::Pdf => "PDF",
            Format::Odt => "OpenDocument Text",
            Format::Ods => "OpenDocument Spreadsheet",
            Format::Docx => "MS Word Document",
            Format::Xlsx => "MS Excel Spreadsheet",
            Format::Csv => "CSV",
            Format::Txt => "Plain text",
        }
    }

    pub fn kind(self) -> Kind {
        match self {
            Format::Jpeg | Format::Png | Format::Gif | Format::Webp => Kind::Image,
            _ => Kind::Document,
        }
    }

    /// What the file is, from its bytes. The name only tells CSV from plain text, which
    /// bytes cannot; it never makes a file anything else. Markup of any kind (HTML, SVG, XML)
    /// is refused, whatever the file is called, because a browser may run what it carries.
    pub fn sniff(bytes: &[u8], name: &str) -> Result<Format, String> {
        let starts = |magic: &[u8]| bytes.starts_with(magic);
        if bytes.is_empty() {
            return Err("The file is empty: choose the file again".into());
        }
        if starts(b"\xFF\xD8\xFF") {
            return Ok(Format::Jpeg);
        }
        if starts(b"\x89PNG\r\n\x1a\n") {
            return Ok(Format::Png);
        }
        if starts(b"GIF87a") || starts(b"GIF89a") {
            return Ok(Format::Gif);
        }
        if starts(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
            return Ok(Format::Webp);
        }
        if starts(b"%PDF-") {
            return Ok(Format::Pdf);
        }
        if starts(b"PK\x03\x04") {
            return office_format(bytes).ok_or_else(|| {
                format!("The file is a ZIP archive but not a document Townhall accepts. {ACCEPTED}")
            });
        }
        let text = std::str::from_utf8(bytes)
            .ok()
            .filter(|t| !t.contains('\0'))
            .ok_or_else(|| format!("The file is not a type Townhall accepts. {ACCEPTED}"))?;
        let head = text.trim_start_matches('\u{feff}').trim_start();
        if head.starts_with('<') {
            let lower = head
                .get(..head.len().min(512))
                .unwrap_or(head)
                .to_lowercase();
            return Err(if lower.contains("<svg") {
                "SVG images cannot be uploaded because they can carry scripts: upload a PNG \
                 or JPEG instead"
                    .into()
            } else {
                format!(
                    "The file is a web page or markup (HTML or XML), whatever its name. {ACCEPTED}"
                )
            });
        }
        if name.to_ascii_lowercase().ends_with(".csv") {
            Ok(Format::Csv)
        } else {
            Ok(Format::Txt)
        }
    }
}

/// ODF and Office Open XML documents are ZIP archives: ODF names its type in a first entry
/// called `mimetype`, stored uncompressed; OOXML has a `[Content_Types].xml` and its main
/// part in `word/` or `xl/`.
fn office_format(bytes: &[u8]) -> Option<Format> {
    if bytes.get(30..38) == Some(b"mimetype") {
        let rest = bytes.get(38..38 + 64)?;
        if rest.starts_with(b"application/vnd.oasis.opendocument.text") {
            return Some(Format::Odt);
        }
        if rest.starts_with(b"application/vnd.oasis.opendocument.spreadsheet") {
            return Some(Format::Ods);
        }
        return None;
    }
    let names = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    if !names(b"[Content_Types].xml") {
        None
    } else if names(b"word/document.xml") {
        Some(Format::Docx)
    } else if names(b"xl/workbook.xml") {
        Some(Format::Xlsx)
    } else {
        None
    }
}

/// How large an image may be, in pixels: a small file can declare an enormous picture (a
/// "decompression bomb"), so the declared size is checked before any pixel is decoded.
#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    /// The longest side accepted.
    pub max_side: u32,
    /// Width × height accepted.
    pub max_pixels: u64,
}

impl Default for ImageLimits {
    fn default() -> Self {
        // A 40-megapixel photograph fits; decoding one takes about 160 MB for a moment.
        ImageLimits {
            max_side: 12_000,
            max_pixels: 40_000_000,
        }
    }
}

/// The widths images are served in, for `srcset`; the largest is also the widest an image
/// is kept at (a page column never needs more).
pub const WIDTHS: [u32; 4] = [320, 640, 960, 1600];

/// One re-encoded copy of an image.
#[derive(Debug, Clone)]
pub struct Rendition {
    pub width: u32,
    pub height: u32,
    pub format: Format,
    pub bytes: Vec<u8>,
}

/// An image read and written again: its size as shown, and its renditions narrowest first.
#[derive(Debug, Clone)]
pub struct Processed {
    pub width: u32,
    pub height: u32,
    pub renditions: Vec<Rendition>,
}

/// Decodes an image within `limits` (its declared size is checked first, so a bomb is
/// refused before any pixel buffer exists), turns it the way its EXIF says, and writes it
/// again in each of [`WIDTHS`] narrower than itself plus its own width (at most the widest):
/// JPEG for opaque pictures, PNG where there is transparency. Only the first frame of an
/// animated GIF is kept.
pub fn process_image(bytes: &[u8], limits: ImageLimits) -> Result<Processed, String> {
    use image::{DynamicImage, ImageDecoder, ImageReader};
    let unreadable = |e: image::ImageError| format!("The image could not be read ({e})");
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("The image could not be read ({e})"))?;
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(limits.max_side);
    decoder_limits.max_image_height = Some(limits.max_side);
    decoder_limits.max_alloc = Some(limits.max_pixels * 4 + (64 << 20));
    reader.limits(decoder_limits);
    let too_large = || {
        format!(
            "The image is too large: it may be at most {} pixels on its longest side and {} \
             megapixels in all. Make it smaller and upload it again",
            limits.max_side,
            limits.max_pixels / 1_000_000
        )
    };
    let mut decoder = reader.into_decoder().map_err(|e| match e {
        image::ImageError::Limits(_) => too_large(),
        e => unreadable(e),
    })?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err("The image has no pixels".into());
    }
    if width.max(height) > limits.max_side
        || u64::from(width) * u64::from(height) > limits.max_pixels
    {
        return Err(too_large());
    }
    let orientation = decoder.orientation().map_err(unreadable)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => too_large(),
        e => unreadable(e),
    })?;
    image.apply_orientation(orientation);
    let opaque = !image.color().has_alpha();
    let image = if opaque {
        DynamicImage::ImageRgb8(image.to_rgb8())
    } else {
        DynamicImage::ImageRgba8(image.to_rgba8())
    };
    let (width, height) = (image.width(), image.height());
    let widest = width.min(WIDTHS[WIDTHS.len() - 1]);
    let mut wanted: Vec<u32> = WIDTHS.into_iter().filter(|&w| w < widest).collect();
    wanted.push(widest);
    let mut renditions = Vec::with_capacity(wanted.len());
    for w in wanted {
        let h = ((u64::from(height) * u64::from(w) + u64::from(width) / 2) / u64::from(width))
            .max(1) as u32;
        let resized = if w == width {
            image.clone()
        } else {
            image.resize_exact(w, h, image::imageops::FilterType::Triangle)
        };
        let mut out = Cursor::new(Vec::new());
        let format = if opaque {
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82);
            resized.write_with_encoder(encoder).map_err(unreadable)?;
            Format::Jpeg
        } else {
            resized
                .write_to(&mut out, image::ImageFormat::Png)
                .map_err(unreadable)?;
            Format::Png
        };
        renditions.push(Rendition {
            width: w,
            height: h,
            format,
            bytes: out.into_inner(),
        });
    }
    let shown = renditions.last().expect("at least the widest");
    Ok(Processed {
        width: shown.width,
        height: shown.height,
        renditions,
    })
}

/// The most a PDF's compressed object streams are inflated to while counting its pages.
const INFLATE_BUDGET: u64 = 64 << 20;

/// How many pages a PDF has, read without a PDF library: each page is one dictionary with
/// `/Type /Page`, written either in the file itself or inside a compressed object stream
/// (PDF 1.5 and later), which is inflated within a fixed budget. `None` when none is found,
/// and then no count is shown. A file edited in place may define a page twice, so this is an
/// upper bound; exports from office suites and printers write each page once.
pub fn pdf_pages(bytes: &[u8]) -> Option<u32> {
    let mut pages = count_page_objects(bytes);
    let mut budget = INFLATE_BUDGET;
    let mut from = 0;
    while let Some(at) = find(&bytes[from..], b"/ObjStm").map(|i| i + from) {
        from = at + 7;
        let Some(start) = find(&bytes[from..], b"stream").map(|i| i + from + 6) else {
            break;
        };
        let start = start
            + bytes[start..]
                .iter()
                .take(2)
                .take_while(|b| b.is_ascii_whitespace())
                .count();
        let mut inflated = Vec::new();
        let mut decoder = flate2::read::ZlibDecoder::new(&bytes[start..]).take(budget);
        // A damaged stream still yields what was inflated before the damage.
        let _ = decoder.read_to_end(&mut inflated);
        budget = budget.saturating_sub(inflated.len() as u64);
        pages += count_page_objects(&inflated);
        if budget == 0 {
            break;
        }
    }
    (pages > 0).then_some(pages)
}

/// Occurrences of `/Type /Page` (any spacing) not followed by a letter (`/Pages`).
fn count_page_objects(bytes: &[u8]) -> u32 {
    let mut count = 0;
    let mut from = 0;
    while let Some(at) = find(&bytes[from..], b"/Type").map(|i| i + from) {
        from = at + 5;
        let rest = &bytes[from..];
        let spaces = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let rest = &rest[spaces..];
        if rest.starts_with(b"/Page") && !rest.get(5).is_some_and(u8::is_ascii_alphanumeric) {
            count += 1;
        }
    }
    count
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// "2.4 MB", "18 KB", "512 bytes": a file's size as the attachment pattern shows it.
pub fn human_size(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KB {
        format!("{bytes} bytes")
    } else if b < KB * KB {
        format!("{:.0} KB", (b / KB).max(1.0))
    } else {
        format!("{:.1} MB", b / (KB * KB))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32, alpha: bool) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let image = if alpha {
            image::DynamicImage::new_rgba8(width, height)
        } else {
            image::DynamicImage::new_rgb8(width, height)
        };
        image.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn formats_come_from_the_bytes_not_the_name() {
        assert_eq!(Format::sniff(&png(2, 2, false), "x.pdf"), Ok(Format::Png));
        assert_eq!(Format::sniff(b"%PDF-1.7\n", "x.png"), Ok(Format::Pdf));
        assert_eq!(Format::sniff(b"a,b\n1,2\n", "data.CSV"), Ok(Format::Csv));
        assert_eq!(Format::sniff(b"Notes\n", "notes.pdf"), Ok(Format::Txt));
        let html = Format::sniff(b"\n<!doctype html><script>alert(1)</script>", "x.pdf");
        assert!(html.unwrap_err().contains("web page"));
        let svg = Format::sniff(b"<?xml version='1.0'?><svg onload='x()'/>", "x.png");
        assert!(svg.unwrap_err().contains("SVG"));
        assert!(Format::sniff(b"\x00\x01binary", "x.txt").is_err());
        assert!(Format::sniff(b"", "x.txt").is_err());
        assert!(Format::sniff(b"PK\x03\x04not an office file", "x.docx").is_err());
        for &f in Format::ALL {
            assert_eq!(Format::try_from(f.as_str().to_string()).ok(), Some(f));
        }
    }

    #[test]
    fn office_documents_are_told_apart() {
        let mut odt = b"PK\x03\x04".to_vec();
        odt.resize(30, 0);
        odt.extend_from_slice(b"mimetypeapplication/vnd.oasis.opendocument.text");
        odt.resize(200, 0);
        assert_eq!(Format::sniff(&odt, "a.bin"), Ok(Format::Odt));
        let docx = b"PK\x03\x04....[Content_Types].xml....word/document.xml".to_vec();
        assert_eq!(Format::sniff(&docx, "a.bin"), Ok(Format::Docx));
        let xlsx = b"PK\x03\x04....[Content_Types].xml....xl/workbook.xml".to_vec();
        assert_eq!(Format::sniff(&xlsx, "a.bin"), Ok(Format::Xlsx));
    }

    #[test]
    fn images_are_rewritten_in_each_narrower_width() {
        let done = process_image(&png(1000, 500, false), ImageLimits::default()).unwrap();
        let widths: Vec<u32> = done.renditions.iter().map(|r| r.width).collect();
        assert_eq!(widths, [320, 640, 960, 1000]);
        assert_eq!((done.width, done.height), (1000, 500));
        assert_eq!(done.renditions[0].height, 160);
        assert!(done.renditions.iter().all(|r| r.format == Format::Jpeg));
        let clear = process_image(&png(100, 50, true), ImageLimits::default()).unwrap();
        assert_eq!(clear.renditions.len(), 1);
        assert_eq!(clear.renditions[0].format, Format::Png);
    }

    #[test]
    fn a_declared_size_beyond_the_limits_is_refused_before_decoding() {
        let limits = ImageLimits {
            max_side: 1000,
            max_pixels: 100_000,
        };
        let wide = process_image(&png(1001, 10, false), limits).unwrap_err();
        assert!(wide.contains("too large"), "{wide}");
        let many = process_image(&png(400, 400, false), limits).unwrap_err();
        assert!(many.contains("too large"), "{many}");
    }

    #[test]
    fn pdf_pages_are_counted_in_the_file_and_in_object_streams() {
        let plain = b"%PDF-1.4\n1 0 obj <</Type /Pages /Count 2>> endobj\n\
                      2 0 obj <</Type /Page>> endobj 3 0 obj <</Type/Page /Parent 1 0 R>> endobj";
        assert_eq!(pdf_pages(plain), Some(2));
        let mut packed = flate2::write::ZlibEncoder::new(Vec::new(), Default::default());
        std::io::Write::write_all(
            &mut packed,
            b"<</Type/Page>> <</Type /Page>> <</Type /Pages>>",
        )
        .unwrap();
        let mut pdf =
            b"%PDF-1.5\n4 0 obj <</Type /ObjStm /Filter /FlateDecode>>\nstream\n".to_vec();
        pdf.extend(packed.finish().unwrap());
        pdf.extend_from_slice(b"\nendstream endobj 5 0 obj <</Type /Page>> endobj");
        assert_eq!(pdf_pages(&pdf), Some(3));
        assert_eq!(pdf_pages(b"%PDF-1.4 nothing"), None);
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(18 * 1024), "18 KB");
        assert_eq!(human_size(2_516_582), "2.4 MB");
    }
}
