//! What the media library costs: N photos and M PDFs stored the way an upload stores them
//! (`townhall::media::content_of`, then the store), the SQLite file's growth, and the time of
//! a post page that shows ten images and two attachments, made and kept, and of one image
//! served from the database.
//!
//!     cargo run --release --example bench_media -- [IMAGES] [PDFS]
//!
//! Defaults: 1000 images (1600 × 1200 JPEG photos, about 0.4 MB each) and 200 PDFs (20
//! pages, about 0.5 MB each). Results and the command are in BENCHMARKS.md.

use std::time::{Duration, Instant};
use townhall::store::media::MediaDetails;

fn photo(seed: u32) -> Vec<u8> {
    // Smooth light and colour with fine grain: compresses like a photograph, not like a
    // flat drawing or pure noise.
    let image = image::RgbImage::from_fn(1600, 1200, |x, y| {
        let grain = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503) ^ seed) % 24;
        let r = (x / 8 + seed) % 200 + grain;
        let g = (y / 6 + seed * 3) % 200 + grain;
        let b = ((x + y) / 12) % 200 + grain;
        image::Rgb([r as u8, g as u8, b as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
    image::DynamicImage::ImageRgb8(image)
        .write_with_encoder(encoder)
        .unwrap();
    out.into_inner()
}

fn pdf(seed: u32, pages: u32) -> Vec<u8> {
    let mut out = b"%PDF-1.5\n".to_vec();
    out.extend(format!("2 0 obj << /Type /Pages /Count {pages} >> endobj\n").into_bytes());
    for p in 0..pages {
        // Each page carries 24 KB of content that does not compress (a scanned figure).
        let data: Vec<u8> = (0..24_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) ^ (seed * 131 + p)) as u8)
            .collect();
        out.extend(
            format!(
                "{} 0 obj << /Type /Page /Parent 2 0 R /Length {} >>\nstream\n",
                3 + p,
                data.len()
            )
            .into_bytes(),
        );
        out.extend(data);
        out.extend(b"\nendstream endobj\n");
    }
    out.extend(b"%%EOF\n");
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn file_size(path: &std::path::Path) -> u64 {
    ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok())
        .map(|m| m.len())
        .sum()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<u32> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (images, pdfs) = (
        args.first().copied().unwrap_or(1000),
        args.get(1).copied().unwrap_or(200),
    );
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench.db");
    let url = format!("sqlite://{}", path.display());
    let app = townhall::App::build(townhall::Config::new(&url)).await?;
    townhall::demo::seed_organisations(&app.db).await?;
    let org = app.db.organisation_by_slug("community-services").await?;
    let empty = file_size(&path);
    let details = |title: String| MediaDetails {
        title,
        alt: "A photograph".into(),
        decorative: false,
    };

    let (mut sent, mut ids) = (0u64, Vec::new());
    let started = Instant::now();
    let mut processing = Vec::new();
    for i in 0..images {
        let bytes = photo(i);
        sent += bytes.len() as u64;
        let t = Instant::now();
        let content = townhall::media::content_of(Some((format!("p{i}.jpg"), bytes)))
            .await
            .map_err(anyhow::Error::msg)?;
        processing.push(t.elapsed());
        ids.push(
            app.db
                .add_media(org.id, &details(format!("Photo {i}")), &content, None)
                .await?,
        );
        if (i + 1) % 100 == 0 {
            eprintln!("{} images stored", i + 1);
        }
    }
    let images_took = started.elapsed();
    let mut documents = Vec::new();
    let started = Instant::now();
    for i in 0..pdfs {
        let bytes = pdf(i, 20);
        sent += bytes.len() as u64;
        let content = townhall::media::content_of(Some((format!("d{i}.pdf"), bytes)))
            .await
            .map_err(anyhow::Error::msg)?;
        documents.push(
            app.db
                .add_media(org.id, &details(format!("Document {i}")), &content, None)
                .await?,
        );
    }
    let pdfs_took = started.elapsed();
    sqlx_checkpoint(&url).await?;
    let (items, blobs, stored) = app.db.media_totals().await?;
    let grown = file_size(&path).saturating_sub(empty);

    // A post showing ten of the images and two of the documents.
    let mut body = String::from("A post with pictures.\n\n");
    for id in ids.iter().take(10) {
        body.push_str(&format!("![](/media/{id})\n\n"));
    }
    for id in documents.iter().take(2) {
        body.push_str(&format!("[Report](/media/{id})\n\n"));
    }
    let post = townhall::domain::post::PostInput {
        title: "Pictures".into(),
        summary: "Ten images and two reports.".into(),
        body,
        status: "published".into(),
        authors: "Bench".into(),
        ..Default::default()
    }
    .parse()
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let rendered = townhall::sanitise::render_markdown(&post.body_markdown)?;
    app.db.create_post(org.id, &post, &rendered, None).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(app.clone().serve(listener));
    let client = reqwest::Client::new();
    let get = |path: String| {
        let client = client.clone();
        let url = format!("{base}{path}");
        async move {
            let t = Instant::now();
            let r = client.get(url).send().await.unwrap();
            assert_eq!(r.status(), 200);
            let n = r.bytes().await.unwrap().len();
            (t.elapsed(), n)
        }
    };
    let (mut made, mut kept, mut image) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..200 {
        // A change to the library drops the kept page: the next reader's request makes it.
        app.db
            .update_media_details(ids[10], &details(format!("Photo 10, round {round}")))
            .await?;
        made.push(get("/blog/pictures".into()).await.0);
        kept.push(get("/blog/pictures".into()).await.0);
        image.push(get(format!("/media/{}", ids[round % 10])).await.0);
    }
    let mb = |b: u64| b as f64 / (1 << 20) as f64;
    println!(
        "images: {images} stored in {images_took:.1?} (re-encoding, median {:.1?} each)",
        median(processing)
    );
    println!("pdfs: {pdfs} stored in {pdfs_took:.1?}");
    println!(
        "library: {items} items, {blobs} stored files, {:.1} MiB of files from {:.1} MiB uploaded",
        mb(stored as u64),
        mb(sent)
    );
    println!("database file grew by {:.1} MiB", mb(grown));
    println!(
        "post with 10 images and 2 attachments: made {:.2?}, kept {:.2?} (medians of 200)",
        median(made),
        median(kept)
    );
    println!(
        "one image through its stable address (a redirect, then the file): {:.2?}",
        median(image)
    );
    Ok(())
}

/// Folds the write-ahead log into the database file, so its size is the data's.
async fn sqlx_checkpoint(url: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut c = sqlx::SqliteConnection::connect(url).await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut c)
        .await?;
    Ok(())
}
