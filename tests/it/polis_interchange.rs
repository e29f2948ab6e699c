//! A conversation brought in from a Pol.is export and written out again (`townhall import
//! polis`, `townhall export polis`) on the test's database: the same statements, votes and
//! times, and the same groups from the files written as from the files read.

use std::path::Path;
use std::process::{Command, Output};

fn townhall(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_townhall"))
        .args(args)
        .env_remove("TOWNHALL_DATABASE")
        .env_remove("TOWNHALL_ORG")
        .env_remove("TOWNHALL_SLUG")
        .env_remove("TOWNHALL_OUT")
        .output()
        .expect("the townhall binary runs")
}

fn ok(args: &[&str]) -> Output {
    let out = townhall(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn one_line_error(args: &[&str]) -> String {
    let out = townhall(args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    stderr
}

/// `townhall groups` on a folder, with each group's members sorted, and the groups in order.
fn groups(dir: &Path) -> serde_json::Value {
    let out = ok(&["groups", dir.to_str().unwrap()]);
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_object_mut().unwrap().remove("meta");
    v
}

/// The columns of a CSV file that a round trip keeps: all but Pol.is's human-readable time
/// (and, for statements, the agree and disagree counts, which the export counts afresh).
fn rows(path: &Path, skip: &[&str]) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let mut rows: Vec<Vec<String>> = (reader.records())
        .map(|r| {
            let r = r.unwrap();
            (header.iter().zip(r.iter()))
                .filter(|(h, _)| !skip.contains(&h.as_str()))
                .map(|(_, v)| v.to_string())
                .collect()
        })
        .collect();
    rows.sort();
    rows
}

async fn round_trip(from: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = crate::support::database_url(&dir).await;
    let on_db = |args: &[&str]| -> Vec<String> {
        (args.iter().chain(&["--database", url.as_str()]))
            .map(|a| a.to_string())
            .collect()
    };
    let run = |args: &[&str]| ok(&on_db(args).iter().map(String::as_str).collect::<Vec<_>>());
    let fail =
        |args: &[&str]| one_line_error(&on_db(args).iter().map(String::as_str).collect::<Vec<_>>());
    let (from_dir, out) = (from.to_str().unwrap(), dir.path().join("written"));
    let import = [
        "import",
        "polis",
        from_dir,
        "--org",
        "listening",
        "--slug",
        "imported",
    ];
    run(&[
        "organisation",
        "add",
        "--name",
        "Department for Listening",
        "--slug",
        "listening",
    ]);
    let said = run(&import).stderr;
    assert!(String::from_utf8_lossy(&said).contains("not published"));
    run(&[
        "export",
        "polis",
        "imported",
        "--out",
        out.to_str().unwrap(),
    ]);

    assert_eq!(
        rows(&out.join("votes.csv"), &["datetime"]),
        rows(&from.join("votes.csv"), &["datetime"]),
        "every vote as cast, with its time"
    );
    let kept = ["datetime", "agrees", "disagrees"];
    assert_eq!(
        rows(&out.join("comments.csv"), &kept),
        rows(&from.join("comments.csv"), &kept)
    );
    assert!(out.join("participants-votes.csv").exists() && out.join("summary.csv").exists());
    assert_eq!(
        groups(&out),
        groups(from),
        "the same groups from the files written"
    );

    assert!(
        fail(&import).contains("--slug"),
        "a second import at the same address"
    );
    let missing = fail(&[
        "export",
        "polis",
        "nothing-here",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(missing.contains("nothing-here"), "{missing}");
}

#[tokio::test]
async fn a_conversation_comes_back_with_the_same_votes_and_groups() {
    let from = tempfile::tempdir().unwrap();
    crate::groups_cli::two_camps(from.path());
    round_trip(from.path()).await;
}

/// A real Pol.is export (votes replaced by later ones, hidden statements) when the
/// evaluation data is beside the repository.
#[tokio::test]
async fn a_real_pol_is_conversation_comes_back_with_the_same_groups() {
    let root = std::env::var_os("TOWNHALL_POLIS_DATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/polis"),
        std::path::PathBuf::from,
    );
    let from = root.join("brexit-consensus");
    if !from.exists() {
        println!("skipped: {} is not here", from.display());
        return;
    }
    round_trip(&from).await;
}

#[test]
fn a_folder_without_comments_or_votes_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    ok(&[
        "organisation",
        "add",
        "--database",
        &url,
        "--name",
        "Department",
        "--slug",
        "dept",
    ]);
    std::fs::write(
        dir.path().join("participants-votes.csv"),
        "participant,group-id,n-comments,n-votes,n-agree,n-disagree,0\n1,,0,1,1,0,1\n",
    )
    .unwrap();
    let e = one_line_error(&[
        "import",
        "polis",
        dir.path().to_str().unwrap(),
        "--database",
        &url,
    ]);
    assert!(e.contains("comments.csv and votes.csv"), "{e}");
}

/// The worker keeps a conversation's groups up to date: computed once for the imported votes
/// (the same groups as `townhall groups` on the files), not again until a vote arrives, then
/// again from the state it left, counting the new vote.
#[tokio::test]
async fn the_worker_computes_groups_once_and_again_after_a_new_vote() {
    let from = tempfile::tempdir().unwrap();
    crate::groups_cli::two_camps(from.path());
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = crate::support::database_url(&dir).await;
    let from_dir = from.path().to_str().unwrap();
    ok(&[
        "organisation",
        "add",
        "--name",
        "Department",
        "--slug",
        "dept",
        "--database",
        &url,
    ]);
    ok(&[
        "import",
        "polis",
        from_dir,
        "--slug",
        "camps",
        "--database",
        &url,
    ]);

    let db = townhall::store::Db::connect(&url).await.unwrap();
    let conversation = db.conversation_by_slug("camps").await.unwrap();
    // One worker throughout, as in `serve`: the second update reads only the new votes.
    let mut worker = townhall::jobs::conversations::Worker::default();
    assert_eq!(worker.run_pending(&db).await.unwrap(), 1);
    assert_eq!(
        worker.run_pending(&db).await.unwrap(),
        0,
        "nothing new to count"
    );
    let stored = db.conversation_groups(conversation.id).await.unwrap();
    let outcome: serde_json::Value =
        serde_json::from_str(stored.outcome.as_deref().unwrap()).unwrap();
    let members = |groups: &serde_json::Value, key: &str| {
        let mut m: Vec<Vec<String>> = (groups.as_array().unwrap().iter())
            .map(|g| {
                (g[key].as_array().unwrap().iter())
                    .map(|p| p.to_string().trim_matches('"').to_string())
                    .collect()
            })
            .collect();
        m.sort();
        m
    };
    let cli = groups(from.path());
    assert_eq!(
        members(&outcome["groups"], "members"),
        members(&cli["groups"], "participants")
    );
    assert_eq!(outcome["counted"], 60);

    // Participant 7, unplaced with two votes, votes on five more statements.
    let votes = db.conversation_votes(conversation.id).await.unwrap();
    let last = stored.through_vote;
    assert_eq!(last, votes.iter().map(|v| v.id).max().unwrap());
    for statement in 2..7 {
        crate::support::execute_sql(&url, &format!(
            "INSERT INTO conversation_votes (conversation_id, participant_id, statement_id, vote, voted_at_ms)
             SELECT {c}, p.id, s.id, 1, 200000 FROM conversation_participants p, conversation_statements s
             WHERE p.conversation_id = {c} AND p.number = 7 AND s.conversation_id = {c} AND s.number = {statement}",
            c = conversation.id
        )).await;
    }
    assert_eq!(worker.run_pending(&db).await.unwrap(), 1);
    let stored = db.conversation_groups(conversation.id).await.unwrap();
    assert!(stored.through_vote > last);
    let outcome: serde_json::Value =
        serde_json::from_str(stored.outcome.as_deref().unwrap()).unwrap();
    assert_eq!(outcome["counted"], 61, "participant 7 is counted now");
    assert_eq!(outcome["voted"], 61, "no one is left unplaced");
    db.close().await;
}
