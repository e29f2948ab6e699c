//! `townhall backup` and `townhall restore` with the real binary, and the PostgreSQL path
//! (pg_dump and pg_restore) the operations guide documents.

use crate::process::{Serve, seed_admin, townhall, townhall_ok};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// One acknowledged response: its reference, when its request was sent and when it was
/// acknowledged.
#[derive(Debug, Clone)]
struct Ack {
    id: String,
    sent: Instant,
    acked: Instant,
}

/// Submits one consultation response the way a member of the public does and returns its
/// reference once the server acknowledges it.
async fn submit(client: &reqwest::Client, base: &str, n: u32) -> Option<String> {
    let r = client
        .post(format!("{base}/api/v1/consultations/backups-while-busy/responses"))
        // Each response from its own address, as through a proxy, so the per-address limit
        // does not get in the way.
        .header(
            "x-forwarded-for",
            format!("10.{}.{}.{}", n >> 16 & 255, n >> 8 & 255, n & 255),
        )
        .json(&serde_json::json!({"answers": {"q1": format!("Response number {n} during the backup test.")}}))
        .send()
        .await
        .ok()?;
    if r.status() != 201 {
        return None;
    }
    r.json::<serde_json::Value>().await.ok()?["reference"]
        .as_str()
        .map(str::to_string)
}

async fn stored_ids(url: &str) -> Vec<String> {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let ids = sqlx::query_scalar("SELECT reference FROM responses")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    ids
}

fn assert_one_line_error(o: &std::process::Output, needle: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{needle:?} in {err}");
}

#[tokio::test]
async fn a_backup_taken_while_writes_arrive_restores_every_write_acknowledged_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let live = format!("sqlite://{}", dir.path().join("live.db").display());
    let token = seed_admin(&live);
    let serve = Serve::start(&live, &["--trusted-proxies", "127.0.0.1"], &[]).await;
    let base = serve.base.clone();
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{base}/api/v1/consultations"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "organisation": "community-services", "title": "Backups while busy",
            "opens_at": "2020-01-01", "closes_at": "2099-01-01",
            "questions": [{"id": "q1", "type": "text", "title": "Anything to add?", "required": true}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    // Four respondents submit as fast as the server acknowledges.
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU32::new(1));
    let mut writers = Vec::new();
    for _ in 0..4 {
        let (stop, counter, client, base) =
            (stop.clone(), counter.clone(), client.clone(), base.clone());
        writers.push(tokio::spawn(async move {
            let mut acks = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let sent = Instant::now();
                if let Some(id) = submit(&client, &base, n).await {
                    acks.push(Ack {
                        id,
                        sent,
                        acked: Instant::now(),
                    });
                }
            }
            acks
        }));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let backup_file = dir.path().join("backup.db");
    let began = Instant::now();
    let out = {
        let (live, file) = (live.clone(), backup_file.display().to_string());
        tokio::task::spawn_blocking(move || {
            townhall(&["backup", "--database", &live, "--out", &file], "")
        })
        .await
        .unwrap()
    };
    let ended = Instant::now();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut acks = Vec::new();
    for w in writers {
        acks.extend(w.await.unwrap());
    }
    let before: Vec<_> = acks.iter().filter(|a| a.acked < began).collect();
    let during = acks
        .iter()
        .filter(|a| a.acked >= began && a.acked <= ended)
        .count();
    let after: Vec<_> = acks.iter().filter(|a| a.sent > ended).collect();
    eprintln!(
        "{} writes acknowledged before the backup began, {during} while it ran, {} sent after it ended",
        before.len(),
        after.len()
    );
    assert!(before.len() >= 10, "writes were flowing before the backup");
    assert!(
        !after.is_empty(),
        "the server kept taking writes while and after the backup was taken"
    );

    // The live database is in use: restore refuses it without --force.
    let o = townhall(
        &[
            "restore",
            &backup_file.display().to_string(),
            "--database",
            &live,
        ],
        "",
    );
    assert_one_line_error(&o, "in use");
    serve.stop();

    // Restore over the live database, start it again, and look for every acknowledged write.
    townhall_ok(
        &[
            "restore",
            &backup_file.display().to_string(),
            "--database",
            &live,
        ],
        "",
    );
    let serve = Serve::start(&live, &[], &[]).await;
    let r = client
        .get(format!("{}/consultations/backups-while-busy", serve.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the restored database is served");
    let stored: std::collections::HashSet<String> = stored_ids(&live).await.into_iter().collect();
    for a in &before {
        assert!(
            stored.contains(&a.id),
            "response {} was acknowledged before the backup began",
            a.id
        );
    }
    for a in &after {
        assert!(
            !stored.contains(&a.id),
            "response {} was sent after the backup ended, so the backup is not a point in time",
            a.id
        );
    }
    serve.stop();
}

#[test]
fn backup_and_restore_explain_what_is_wrong_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).display().to_string();
    let db = format!("sqlite://{}", p("live.db"));
    let o = townhall(&["backup", "--database", &db, "--out", &p("b.db")], "");
    assert_one_line_error(&o, "there is no database");
    townhall_ok(&["migrate", "--database", &db], "");
    townhall_ok(&["backup", "--database", &db, "--out", &p("b.db")], "");
    let o = townhall(&["backup", "--database", &db, "--out", &p("b.db")], "");
    assert_one_line_error(&o, "already exists");
    let o = townhall(&["restore", &p("missing.db"), "--database", &db], "");
    assert_one_line_error(&o, "no backup file");
    std::fs::write(
        p("notes.txt"),
        "not a database at all, just some words\n".repeat(50),
    )
    .unwrap();
    let o = townhall(&["restore", &p("notes.txt"), "--database", &db], "");
    assert_one_line_error(&o, "not a Townhall SQLite database");
    for args in [
        &[
            "restore",
            &p("b.db"),
            "--database",
            "postgres://u@127.0.0.1/x",
        ][..],
        &[
            "backup",
            "--database",
            "postgres://u@127.0.0.1/x",
            "--out",
            &p("c.db"),
        ],
    ] {
        let o = townhall(args, "");
        assert_one_line_error(&o, "pg_dump");
    }
    // A restore into a new place works and is a Townhall database.
    townhall_ok(
        &[
            "restore",
            &p("b.db"),
            "--database",
            &format!("sqlite://{}", p("new.db")),
        ],
        "",
    );
    townhall_ok(
        &[
            "backup",
            "--database",
            &format!("sqlite://{}", p("new.db")),
            "--out",
            &p("again.db"),
        ],
        "",
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains(".partial-")),
        "no temporary files are left behind"
    );
}

/// PostgreSQL: what docs/operations.md says to do (pg_dump, pg_restore into a new database)
/// gives a database the app serves with the same content.
#[tokio::test]
async fn a_postgres_database_survives_pg_dump_and_pg_restore() {
    let Ok(admin_url) = std::env::var("TOWNHALL_TEST_POSTGRES") else {
        eprintln!("TOWNHALL_TEST_POSTGRES is not set: skipped");
        return;
    };
    if std::process::Command::new("pg_dump")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("pg_dump is not installed: skipped");
        return;
    }
    let t = crate::support::spawn().await;
    let admin = t
        .app
        .db
        .user_by_email(&townhall::domain::user::Email::parse(townhall::demo::ADMIN_EMAIL).unwrap())
        .await
        .unwrap();
    townhall::demo::seed_posts(&t.app.db, admin.id)
        .await
        .unwrap();
    let (_, blog) = t.get_text("/blog").await;
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("townhall.dump");
    let run = |program: &str, args: &[&str]| {
        let o = std::process::Command::new(program)
            .args(args)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{program}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    run(
        "pg_dump",
        &[
            "--format=custom",
            "--file",
            dump.to_str().unwrap(),
            &t.database_url,
        ],
    );
    let name = format!("townhall_restored_{}", uuid::Uuid::new_v4().simple());
    run(
        "psql",
        &[&admin_url, "-qc", &format!("CREATE DATABASE {name}")],
    );
    let restored = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
    run(
        "pg_restore",
        &[
            "--no-owner",
            "--exit-on-error",
            "--dbname",
            &restored,
            dump.to_str().unwrap(),
        ],
    );
    let app = townhall::App::build(townhall::Config::new(&restored))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(app.clone().serve(listener));
    let html = reqwest::get(format!("http://{addr}/blog"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let titles = |html: &str| -> Vec<String> {
        let doc = scraper::Html::parse_document(html);
        let sel = scraper::Selector::parse("main h2 a, main h3 a").unwrap();
        doc.select(&sel)
            .map(|e| e.text().collect::<String>())
            .collect()
    };
    assert!(titles(&blog).len() >= 3, "the blog lists the demo posts");
    assert_eq!(titles(&html), titles(&blog));
    // The media library came too: the strategy page's PDF, byte for byte.
    let strategy = "/pages/digital-strategy-2025-to-2028";
    let (_, page) = t.get_text(strategy).await;
    let restored_page = reqwest::get(format!("http://{addr}{strategy}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let pdf = crate::media::attachment_link(&page);
    assert_eq!(crate::media::attachment_link(&restored_page), pdf);
    let original = t.get(&pdf).await.bytes().await.unwrap();
    let copy = reqwest::get(format!("http://{addr}{pdf}"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(original.starts_with(b"%PDF-"));
    assert_eq!(copy, original);
    app.db.close().await;
    run(
        "psql",
        &[
            &admin_url,
            "-qc",
            &format!("DROP DATABASE {name} WITH (FORCE)"),
        ],
    );
}
