//! `townhall import wordpress` with the real binary, on an export laid out as WordPress 6
//! writes one (tests/fixtures/wordpress/export.xml), its files served by a local server.

use crate::feeds::{response, serve};
use crate::media::{jpeg_with_gps, three_page_pdf};
use crate::process::townhall;
use crate::support::spawn;

fn fixture() -> String {
    format!(
        "{}/tests/fixtures/wordpress/export.xml",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The command's standard output with runs of spaces made one, for matching its summary.
fn import(database_url: &str, media_from: &str) -> String {
    let file = fixture();
    let o = townhall(
        &[
            "import",
            "wordpress",
            &file,
            "--database",
            database_url,
            "--org",
            "community-services",
            "--media-from",
            media_from,
            "--feeds-allow-private",
        ],
        "",
    );
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(o.status.success(), "{out}\n{err}");
    out.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test]
async fn a_wordpress_blog_comes_over_with_comments_files_and_old_addresses_once() {
    let t = spawn().await;
    let (jpeg, pdf) = (jpeg_with_gps(1200, 800), three_page_pdf());
    let files = serve(
        move |head| match head.split_whitespace().nth(1).unwrap_or_default() {
            "/wp-content/uploads/2023/05/riverside.jpg" => {
                response("200 OK", &[("Content-Type", "image/jpeg")], &jpeg)
            }
            "/wp-content/uploads/2023/05/play-area-plan.pdf" => {
                response("200 OK", &[("Content-Type", "application/pdf")], &pdf)
            }
            _ => response("404 Not Found", &[], b"gone"),
        },
    );
    let summary = import(&t.database_url, &files.url("/"));
    for line in [
        "Imported https://parks.blog.example.gov.uk into Department of Community Services",
        "posts 3 new, 0 already here",
        "pages 1 new, 0 already here",
        // The pingback is not a reader's comment; spam arrives rejected, a held one pending.
        "comments 4 new (2 approved, 1 waiting for moderation, 1 rejected), 0 already here",
        "files 2 new, 0 already here",
        "categories 2, topics 2 (from tags), authors 2",
        "not fetched: https://parks.blog.example.gov.uk/wp-content/uploads/2023/05/lost.jpg: \
         the file at http://127.0.0.1:",
        "lost.jpg answered 404 (Not Found)",
    ] {
        assert!(summary.contains(line), "{line:?} in:\n{summary}");
    }

    // The post: its title, author, date, topics, image from the library, document link,
    // approved comment, and nothing held, rejected or scripted.
    let (status, html) = t.get_text("/blog/new-play-equipment").await;
    assert_eq!(status, 200, "{html}");
    for expected in [
        "New play equipment at Riverside &amp; Millfield",
        "Asha Patel",
        "16 May 2023",
        "Green spaces",
        "srcset=\"/media/",
        "alt=\"Two children on the new climbing frame at Riverside\"",
        "My two love the new frame – thank you!",
        // A file that could not be fetched stays a link to where it was, not a broken image.
        "Image: Millfield today",
    ] {
        assert!(html.contains(expected), "{expected:?} in the post");
    }
    let plan = html
        .split("play area plan</a>")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .unwrap_or_default()
        .to_string();
    assert!(
        plan.starts_with("/media/"),
        "the plan links into the library: {plan}"
    );
    for absent in [
        "Waiting for a moderator",
        "cheap watches",
        "Another blog",
        "alert(",
    ] {
        assert!(!html.contains(absent), "{absent:?} not in the post");
    }
    let held = t.app.db.moderation_queue().await.unwrap();
    assert!(held.iter().any(|c| c.name == "Mark"), "{held:?}");

    let (_, closed) = t.get_text("/blog/tree-planting").await;
    assert!(closed.contains("Comments closed") && closed.contains("400 trees"));
    let (status, _) = t.get_text("/pages/about").await;
    assert_eq!(status, 200);
    // The draft arrives as a draft: not public.
    assert_eq!(t.get_text("/blog/winter-opening-hours").await.0, 404);

    // Old addresses redirect, permanently, to the new ones.
    for (old, new) in [
        (
            "/2023/05/16/new-play-equipment/",
            "/blog/new-play-equipment",
        ),
        ("/2023/05/16/new-play-equipment", "/blog/new-play-equipment"),
        ("/?p=10", "/blog/new-play-equipment"),
        ("/2023/10/29/tree-planting/", "/blog/tree-planting"),
        ("/about/", "/pages/about"),
        ("/?page_id=2", "/pages/about"),
    ] {
        let r = t.get(old).await;
        assert_eq!(r.status(), 301, "{old}");
        assert_eq!(r.headers()["location"], new, "{old}");
    }
    assert_eq!(t.get("/?p=999").await.status(), 404);
    assert_eq!(t.get("/2023/05/16/no-such-post/").await.status(), 404);

    // A second run adds nothing.
    let org = t
        .app
        .db
        .organisation_by_slug("community-services")
        .await
        .unwrap();
    let posts_before = t.app.db.posts_of(&[org.id]).await.unwrap().len();
    assert_eq!(posts_before, 4);
    let again = import(&t.database_url, &files.url("/"));
    for line in [
        "posts 0 new, 3 already here",
        "pages 0 new, 1 already here",
        "comments 0 new (0 approved, 0 waiting for moderation, 0 rejected), 4 already here",
        "files 0 new, 2 already here",
        "redirects 0 new",
    ] {
        assert!(again.contains(line), "{line:?} in:\n{again}");
    }
    assert_eq!(
        t.app.db.posts_of(&[org.id]).await.unwrap().len(),
        posts_before
    );
}

#[tokio::test]
async fn a_file_that_is_not_a_wordpress_export_is_refused_in_one_line_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let feed = format!(
        "{}/tests/fixtures/feeds/rss20.xml",
        env!("CARGO_MANIFEST_DIR")
    );
    let csv = dir.path().join("responses.csv");
    std::fs::write(&csv, "name,answer\nA,Yes\n").unwrap();
    for (file, needle) in [
        (feed.as_str(), "no wp:wxr_version"),
        (csv.to_str().unwrap(), "not a WordPress export"),
    ] {
        let o = townhall(&["import", "wordpress", file, "--database", &db], "");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(
            err.contains(needle) && err.contains("Tools → Export"),
            "{err}"
        );
    }
    // The file is read before the database is opened.
    assert!(!dir.path().join("t.db").exists());
}
