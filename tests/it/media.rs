//! The media library: uploads (type from the bytes, images re-encoded without their EXIF),
//! files served from the site, bodies showing them, replacing and deleting, and hostile
//! files refused with a clear error. On SQLite and, with `TOWNHALL_TEST_POSTGRES`, on
//! PostgreSQL.

use crate::publishing::person;
use crate::support::{self, TestApp};
use std::io::Write;
use townhall::domain::role::Role;

/// A JPEG photo carrying EXIF with a GPS position (51° 30′ 2″ N): what a phone writes.
pub fn jpeg_with_gps(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut jpeg = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(picture)
        .write_to(&mut jpeg, image::ImageFormat::Jpeg)
        .unwrap();
    let jpeg = jpeg.into_inner();
    // TIFF (little-endian): IFD0 with one entry pointing at the GPS IFD, which holds the
    // latitude's reference and value (three rationals).
    let mut tiff = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes());
    let entry = |tag: u16, kind: u16, count: u32, value: u32| {
        let mut e = tag.to_le_bytes().to_vec();
        e.extend(kind.to_le_bytes());
        e.extend(count.to_le_bytes());
        e.extend(value.to_le_bytes());
        e
    };
    tiff.extend(1u16.to_le_bytes());
    tiff.extend(entry(0x8825, 4, 1, 26));
    tiff.extend(0u32.to_le_bytes());
    tiff.extend(2u16.to_le_bytes());
    tiff.extend(entry(0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0")));
    tiff.extend(entry(0x0002, 5, 3, 56));
    tiff.extend(0u32.to_le_bytes());
    for (n, d) in [(51u32, 1u32), (30, 1), (2, 1)] {
        tiff.extend(n.to_le_bytes());
        tiff.extend(d.to_le_bytes());
    }
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend(((2 + 6 + tiff.len()) as u16).to_be_bytes());
    app1.extend(b"Exif\0\0");
    app1.extend(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend(app1);
    out.extend(&jpeg[2..]);
    out
}

/// A three-page PDF.
pub fn three_page_pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n\
      2 0 obj <</Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3>> endobj\n\
      3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]>> endobj\n\
      4 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]>> endobj\n\
      5 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]>> endobj\n\
      trailer <</Root 1 0 R>>\n%%EOF\n"
        .to_vec()
}

/// Uploads a file through the admin form, as a browser without JavaScript would.
pub async fn upload(
    editor: &TestApp,
    name: &str,
    bytes: Vec<u8>,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let token = editor.csrf_token("/admin/media/new").await;
    let mut form = reqwest::multipart::Form::new().text("csrf_token", token);
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    form = form.part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    editor
        .client
        .post(editor.url("/admin/media/new"))
        .header("origin", format!("http://{}", editor.addr))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// The library id an upload was redirected to.
fn uploaded_id(r: &reqwest::Response) -> i64 {
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap();
    to.strip_prefix("/admin/media/").unwrap().parse().unwrap()
}

async fn editor(t: &TestApp) -> TestApp {
    person(t, "media@example.org", Role::Editor, "community-services").await
}

const IMAGE: &[(&str, &str)] = &[
    ("organisation", "community-services"),
    ("title", "Library reading room"),
    ("alt", "Readers at long tables in the reading room"),
];
const DOCUMENT: &[(&str, &str)] = &[
    ("organisation", "community-services"),
    ("title", "Library strategy 2026"),
];

#[tokio::test]
async fn an_uploaded_photo_and_pdf_are_shown_in_a_post_from_the_site_itself() {
    let t = support::spawn().await;
    let ed = editor(&t).await;
    let photo = jpeg_with_gps(1200, 800);
    assert!(photo.windows(4).any(|w| w == b"Exif"));
    let image = uploaded_id(&upload(&ed, "IMG_0001.JPG", photo, IMAGE).await);
    let pdf = uploaded_id(&upload(&ed, "strategy.pdf", three_page_pdf(), DOCUMENT).await);

    let (status, html) = ed.get_text(&format!("/admin/media/{pdf}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("PDF, "), "{html}");
    assert!(html.contains("3 pages"), "{html}");

    let token = ed.csrf_token("/admin/posts/new").await;
    let body = format!(
        "Our new reading room.\n\n![](/media/{image})\n\nRead the strategy:\n\n[Library strategy 2026](/media/{pdf})\n"
    );
    let r = ed
        .post_form(
            "/admin/posts/new",
            &[
                ("csrf_token", &token),
                ("organisation", "community-services"),
                ("title", "A new reading room"),
                ("summary", "Pictures and the plan."),
                ("body", &body),
                ("authors", "Sam"),
                ("status", "published"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);

    let (status, html) = t.get_text("/blog/a-new-reading-room").await;
    assert_eq!(status, 200);
    let page = scraper::Html::parse_document(&html);
    let img = page
        .select(&scraper::Selector::parse(".app-prose img").unwrap())
        .next()
        .expect("the image is shown");
    assert_eq!(
        img.attr("alt"),
        Some("Readers at long tables in the reading room")
    );
    let srcset = img.attr("srcset").expect("srcset");
    let widths: Vec<&str> = srcset.split(", ").collect();
    assert_eq!(widths.len(), 4, "{srcset}");
    assert!(widths[3].ends_with(" 1200w"), "{srcset}");
    assert_eq!(
        (img.attr("width"), img.attr("height")),
        (Some("1200"), Some("800"))
    );
    for candidate in widths {
        let path = candidate.split(' ').next().unwrap();
        assert!(path.starts_with(&format!("/media/{image}/")), "{path}");
        let r = t.get(path).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "image/jpeg");
        assert!(
            r.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        let served = r.bytes().await.unwrap();
        assert!(
            !served.windows(4).any(|w| w == b"Exif"),
            "no EXIF (and so no GPS position) in {path}"
        );
        assert!(image::load_from_memory(&served).is_ok());
    }

    let attachment = page
        .select(&scraper::Selector::parse(".app-attachment").unwrap())
        .next()
        .expect("the PDF is shown as an attachment");
    let text = attachment.text().collect::<String>();
    assert!(text.contains("Library strategy 2026"), "{text}");
    let facts = format!("PDF, {} bytes, 3 pages", three_page_pdf().len());
    assert!(text.contains(&facts), "{text}");
    let link = attachment
        .select(&scraper::Selector::parse("a").unwrap())
        .next()
        .unwrap()
        .attr("href")
        .unwrap()
        .to_string();
    let r = t.get(&link).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"strategy.pdf\""
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(
        r.bytes().await.unwrap().as_ref(),
        three_page_pdf().as_slice()
    );

    // The library's stable address leads to the current file.
    let r = t.get(&format!("/media/{pdf}")).await;
    assert_eq!(r.headers()["location"], link.as_str());
}

#[tokio::test]
async fn replacing_a_file_changes_every_page_that_shows_it_and_deleting_is_refused_while_used() {
    let t = support::spawn().await;
    let ed = editor(&t).await;
    let pdf = uploaded_id(&upload(&ed, "plan.pdf", three_page_pdf(), DOCUMENT).await);
    let token = ed.csrf_token("/admin/posts/new").await;
    let body = format!("[The plan](/media/{pdf})\n");
    let r = ed
        .post_form(
            "/admin/posts/new",
            &[
                ("csrf_token", &token),
                ("organisation", "community-services"),
                ("kind", "page"),
                ("title", "Our plan"),
                ("body", &body),
                ("authors", "Sam"),
                ("status", "published"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, before) = t.get_text("/pages/our-plan").await;
    assert!(before.contains("3 pages"), "{before}");
    assert!(
        !before.contains("Request an accessible format"),
        "no contact address yet"
    );
    // Once an admin gives the site's contact address, attachments offer other formats.
    t.app
        .db
        .set_setting("contact_email", Some("access@example.gov.uk"))
        .await
        .unwrap();
    let (_, with_contact) = t.get_text("/pages/our-plan").await;
    assert!(
        with_contact.contains("href=\"mailto:access@example.gov.uk?subject="),
        "the kept page was made again: {with_contact}"
    );

    // Delete: refused, naming the page.
    let token = ed.csrf_token(&format!("/admin/media/{pdf}")).await;
    let r = ed
        .post_form(
            &format!("/admin/media/{pdf}/delete"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("There is a problem"), "{html}");
    assert!(html.contains("used in page “Our plan”"), "{html}");

    // Replace: a one-page PDF at the same library address.
    let one_page = three_page_pdf()
        .split(|&b| b == b'\n')
        .filter(|l| !l.starts_with(b"4 0 obj") && !l.starts_with(b"5 0 obj"))
        .collect::<Vec<_>>()
        .join(&b'\n');
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(one_page).file_name("plan-v2.pdf"),
        );
    let r = ed
        .client
        .post(ed.url(&format!("/admin/media/{pdf}/replace")))
        .header("origin", format!("http://{}", ed.addr))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, after) = t.get_text("/pages/our-plan").await;
    assert!(
        after.contains("1 page<"),
        "the kept page was made again: {after}"
    );
    assert!(after.contains("plan") && !after.contains("3 pages"));

    // Once no body refers to it, it can be deleted, and its files go with it.
    let post = t.app.db.post_by_slug("our-plan").await.unwrap();
    support::execute_sql(
        &t.database_url,
        &format!(
            "UPDATE posts SET body_markdown = 'Gone' WHERE id = {}",
            post.id
        ),
    )
    .await;
    let r = ed
        .post_form(
            &format!("/admin/media/{pdf}/delete"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(t.app.db.media_totals().await.unwrap(), (0, 0, 0));
    assert_eq!(t.get(&format!("/media/{pdf}")).await.status(), 404);
}

#[tokio::test]
async fn hostile_files_are_refused_with_a_clear_error() {
    let t = support::spawn_with(|c| c.max_upload_bytes = 1 << 20).await;
    let ed = editor(&t).await;
    let refused = |r: reqwest::Response, says: &'static str| async move {
        assert_eq!(r.status(), 400);
        let html = r.text().await.unwrap();
        assert!(html.contains("There is a problem"), "{html}");
        assert!(html.contains(says), "{says}: {html}");
    };
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec();
    refused(
        upload(&ed, "logo.svg", svg, IMAGE).await,
        "SVG images cannot be uploaded",
    )
    .await;
    let html = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>".to_vec();
    refused(
        upload(&ed, "report.pdf", html, DOCUMENT).await,
        "web page or markup",
    )
    .await;
    let exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    refused(
        upload(&ed, "setup.pdf", exe, DOCUMENT).await,
        "not a type Townhall accepts",
    )
    .await;

    // A PNG that declares 100,000 × 100,000 pixels (40 GB decoded) in a few hundred bytes.
    let mut bomb = Vec::new();
    let mut encoder = png_header(100_000, 100_000);
    bomb.append(&mut encoder);
    refused(
        upload(&ed, "bomb.png", bomb, IMAGE).await,
        "The image is too large",
    )
    .await;

    // No alternative text and not marked decorative.
    let no_alt = &[("organisation", "community-services"), ("title", "A photo")];
    let r = upload(&ed, "p.jpg", jpeg_with_gps(40, 30), no_alt).await;
    refused(r, "Describe the image for people who cannot see it").await;

    // Declared as 2 GB: refused from the headers, before any of the body is read (none is
    // sent, so the answer is not lost to a reset connection).
    let answer = declared_upload(&t, 2 << 30).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("The file is too large: send one of 1.0 MB or less"),
        "{answer}"
    );

    assert_eq!(t.app.db.media_totals().await.unwrap().0, 0);
    assert_eq!(t.get("/healthz").await.status(), 200);
}

/// The start of a PNG: signature and an IHDR chunk for an 8-bit RGB image of that size,
/// followed by an empty compressed stream and the end.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend(kind);
        out.extend(data);
        out.extend(crc.sum().to_be_bytes());
        out
    }
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    let mut idat = flate2::write::ZlibEncoder::new(Vec::new(), Default::default());
    idat.write_all(&[0; 4096]).unwrap();
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(b"IDAT", &idat.finish().unwrap()));
    png.extend(chunk(b"IEND", b""));
    png
}

/// Sends only the headers of an upload that says it is `length` bytes long, on a plain
/// socket; returns what the server answered (its page ends in `</html>`).
async fn declared_upload(t: &TestApp, length: u64) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(t.addr).await.unwrap();
    let head = format!(
        "POST /admin/media/new HTTP/1.1\r\nHost: {}\r\nOrigin: http://{}\r\n\
         Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: {length}\r\n\r\n",
        t.addr, t.addr
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0; 4096];
    let read = async {
        while let Ok(n) = socket.read(&mut buffer).await {
            answer.extend_from_slice(&buffer[..n]);
            if n == 0 || String::from_utf8_lossy(&answer).contains("</html>") {
                break;
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), read)
        .await
        .expect("the server answers before reading the body");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn the_api_takes_an_upload_and_answers_in_json() {
    let t = support::spawn().await;
    let token = t
        .user_with_token("api@example.org", "community-services", Role::Editor)
        .await;
    let send = |name: &'static str, bytes: Vec<u8>, alt: &'static str| {
        let form = reqwest::multipart::Form::new()
            .text("organisation", "community-services")
            .text("title", "From the API")
            .text("alt", alt)
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            );
        t.client
            .post(t.url("/api/v1/media"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
    };
    let r = send("photo.jpg", jpeg_with_gps(500, 400), "A photo")
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let item: serde_json::Value = r.json().await.unwrap();
    assert_eq!(item["kind"], "image");
    assert_eq!(
        (item["width"].as_i64(), item["height"].as_i64()),
        (Some(500), Some(400))
    );
    let id = item["id"].as_i64().unwrap();
    assert_eq!(item["markdown"], format!("![A photo](/media/{id})"));
    assert_eq!(t.get(&format!("/media/{id}")).await.status(), 303);

    let svg = b"<svg onload='alert(1)'/>".to_vec();
    let r = send("x.svg", svg, "x").await.unwrap();
    assert_eq!(r.status(), 422);
    let error: serde_json::Value = r.json().await.unwrap();
    assert!(
        error["fields"]["file"].as_str().unwrap().contains("SVG"),
        "{error}"
    );

    let r = t
        .client
        .post(t.url("/api/v1/media"))
        .multipart(reqwest::multipart::Form::new().text("title", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// The address of the first attachment's file on a page.
pub fn attachment_link(html: &str) -> String {
    let page = scraper::Html::parse_document(html);
    let link = scraper::Selector::parse(".app-attachment a").unwrap();
    let first = page.select(&link).next().expect("an attachment");
    first.attr("href").unwrap().to_string()
}

#[tokio::test]
async fn a_sqlite_backup_restores_the_media_library() {
    if support::engine_name() != "sqlite" {
        return;
    }
    let t = support::spawn().await;
    let ed = editor(&t).await;
    let id = uploaded_id(&upload(&ed, "p.jpg", jpeg_with_gps(400, 300), IMAGE).await);
    let file = format!("/media/{id}");
    let original = t.get(&file).await;
    let served = original.headers()["location"].to_str().unwrap().to_string();
    let original = t.get(&served).await.bytes().await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    townhall::backup::backup(&t.database_url, &copy)
        .await
        .unwrap();
    let restored_url = format!("sqlite://{}", dir.path().join("restored.db").display());
    townhall::backup::restore(&copy, &restored_url, false)
        .await
        .unwrap();
    let app = townhall::App::build(townhall::Config::new(&restored_url))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(app.clone().serve(listener));
    let copy = reqwest::get(format!("http://{addr}{served}"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(copy, original);
    app.db.close().await;
}
