//! The demo's media library: two images drawn here (a banner and a chart of the demo
//! consultation's weekly responses) and a printable PDF of the strategy, stored the way an
//! editor's upload is.

use crate::store::Db;
use crate::store::media::MediaDetails;
use std::io::Cursor;

/// The library ids of what the demo's bodies show.
pub struct DemoMedia {
    pub banner: i64,
    pub chart: i64,
    pub strategy_pdf: i64,
}

/// Responses to the demo consultation in each of its first six weeks (shown by the chart and
/// written out in the post that carries it).
pub const WEEKLY_RESPONSES: [u32; 6] = [310, 420, 465, 540, 610, 655];

pub async fn seed_media(db: &Db, admin: i64) -> anyhow::Result<DemoMedia> {
    let department = db.organisation_by_slug("community-services").await?;
    let add = |name: &'static str, bytes: Vec<u8>, title: &'static str, alt: &'static str| async move {
        let content = crate::media::content_of(Some((name.to_string(), bytes)))
            .await
            .map_err(|e| anyhow::anyhow!("demo file {name}: {e}"))?;
        let details = MediaDetails {
            title: title.into(),
            alt: alt.into(),
            decorative: alt.is_empty() && !name.ends_with(".pdf"),
        };
        anyhow::Ok(
            db.add_media(department.id, &details, &content, Some(admin))
                .await?,
        )
    };
    Ok(DemoMedia {
        banner: add("banner.png", banner(), "Blue banner with rounded tiles", "").await?,
        chart: add(
            "weekly-responses.png",
            chart(),
            "Chart: responses each week",
            "Bar chart of responses to the digital strategy consultation in its first six \
             weeks, rising from 310 in week 1 to 655 in week 6",
        )
        .await?,
        strategy_pdf: add(
            "digital-strategy-2025-to-2028.pdf",
            strategy_pdf(),
            "Digital strategy 2025 to 2028 (printable version)",
            "",
        )
        .await?,
    })
}

fn png(image: image::RgbImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("an image in memory encodes");
    out.into_inner()
}

/// A wide banner in the site's blue with a grid of lighter rounded tiles.
fn banner() -> Vec<u8> {
    let (w, h) = (1600, 500);
    png(image::RgbImage::from_fn(w, h, |x, y| {
        let (cx, cy) = (x % 100, y % 100);
        let inside = (12..88).contains(&cx) && (12..88).contains(&cy);
        let shade = ((x + y) % 400) as u8 / 8;
        if inside && (x / 100 + y / 100) % 3 != 0 {
            image::Rgb([40 + shade, 120 + shade, 200])
        } else {
            image::Rgb([29, 112, 184])
        }
    }))
}

/// Six bars, one per week of [`WEEKLY_RESPONSES`], on a white ground with a baseline.
fn chart() -> Vec<u8> {
    let (w, h) = (960u32, 540u32);
    let most = *WEEKLY_RESPONSES.iter().max().unwrap_or(&1);
    png(image::RgbImage::from_fn(w, h, |x, y| {
        let (left, base, slot) = (60, h - 60, (w - 120) / 6);
        if y == base || y == base + 1 {
            return image::Rgb([11, 12, 12]);
        }
        if x >= left && y < base {
            let i = ((x - left) / slot) as usize;
            let within = (x - left) % slot;
            if let Some(&n) = WEEKLY_RESPONSES.get(i) {
                let top = base - (n * (h - 140) / most);
                if (16..slot - 16).contains(&within) && y >= top {
                    return image::Rgb([29, 112, 184]);
                }
            }
        }
        image::Rgb([255, 255, 255])
    }))
}

/// A two-page PDF that any reader opens: the strategy's summary in Helvetica.
fn strategy_pdf() -> Vec<u8> {
    let pages = [
        [
            "Digital strategy 2025 to 2028",
            "",
            "How the department and its arm's-length bodies will work in the open,",
            "build simpler services and show the evidence behind decisions.",
            "",
            "Themes: open by default; simple services; evidence first;",
            "digital everywhere; spending well.",
        ],
        [
            "How we will report progress",
            "",
            "Each commitment has an owner and a list of projects.",
            "We will post an update on each project at least every three months,",
            "and the programme register on the hub shows where each one stands.",
            "",
            "Request this document in another format from the digital strategy team.",
        ],
    ];
    let mut objects: Vec<String> = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            (0..pages.len())
                .map(|i| format!("{} 0 R", 4 + 2 * i))
                .collect::<Vec<_>>()
                .join(" "),
            pages.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into(),
    ];
    for (i, lines) in pages.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
             /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            5 + 2 * i
        ));
        let mut text = String::from("BT /F1 13 Tf 60 770 Td 18 TL\n");
        for line in lines {
            text.push_str(&format!(
                "({}) '\n",
                line.replace('(', "\\(").replace(')', "\\)")
            ));
        }
        text.push_str("ET");
        objects.push(format!(
            "<< /Length {} >>\nstream\n{text}\nendstream",
            text.len()
        ));
    }
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n{body}\nendobj\n", i + 1).into_bytes());
    }
    let xref = pdf.len();
    pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).into_bytes());
    for offset in offsets {
        pdf.extend(format!("{offset:010} 00000 n \n").into_bytes());
    }
    pdf.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .into_bytes(),
    );
    pdf
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_strategy_pdf_has_its_two_pages() {
        let pdf = super::strategy_pdf();
        assert_eq!(
            crate::domain::media::Format::sniff(&pdf, "x.pdf"),
            Ok(crate::domain::media::Format::Pdf)
        );
        assert_eq!(crate::domain::media::pdf_pages(&pdf), Some(2));
    }
}
