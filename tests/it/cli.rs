//! The command line: exit codes, one-line errors, and the user and token commands.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn townhall(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_townhall"))
        .args(args)
        .env_remove("TOWNHALL_DATABASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_one_line_error(o: &Output) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"));
}

#[test]
fn unknown_subcommands_and_flags_exit_2() {
    let o = townhall(&["frobnicate"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unrecognized subcommand"));
    let o = townhall(&["serve", "--no-such-flag"], "");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["demo", "--help"],
        &["user", "hub-admin", "--help"],
        &["migrate", "--help"],
        &["user", "add", "--help"],
        &["token", "create", "--help"],
        &["backup", "--help"],
        &["restore", "--help"],
        &["export", "--help"],
        &["analyse", "--help"],
    ] {
        let o = townhall(args, "");
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("Usage:"), "{args:?}: {out}");
    }
    let o = townhall(&["serve", "--help"], "");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("--database")
            && out.contains("TOWNHALL_DATABASE")
            && out.contains("--feeds-allow-private")
    );
}

#[test]
fn an_unreachable_database_is_one_line_and_exit_1() {
    let o = townhall(
        &[
            "migrate",
            "--database",
            "postgres://postgres@127.0.0.1:1/nothing",
        ],
        "",
    );
    assert_one_line_error(&o);
    assert!(stderr(&o).contains("cannot connect to the PostgreSQL database"));
    let o = townhall(&["migrate", "--database", "sqlite:///no/such/dir/x.db"], "");
    assert_one_line_error(&o);
    let o = townhall(&["migrate", "--database", "mysql://x"], "");
    assert_one_line_error(&o);
    assert!(stderr(&o).contains("use sqlite://PATH or postgres://"));
}

#[test]
fn env_vars_set_flags() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("env.db").display());
    let o = Command::new(env!("CARGO_BIN_EXE_townhall"))
        .arg("migrate")
        .env("TOWNHALL_DATABASE", &url)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(dir.path().join("env.db").exists());
}

#[test]
fn organisations_users_and_tokens_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let db = ["--database", url.as_str()];

    // No organisation yet: a clear message saying what to do.
    let o = townhall(
        &[
            &[
                "user",
                "add",
                "--email",
                "a@example.org",
                "--name",
                "A",
                "--role",
                "admin",
            ][..],
            &db,
        ]
        .concat(),
        "",
    );
    assert_one_line_error(&o);
    assert!(stderr(&o).contains("townhall organisation add"));

    let o = townhall(
        &[
            &["organisation", "add", "--name", "Department of Tests"][..],
            &db,
        ]
        .concat(),
        "",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "department-of-tests"
    );

    // Generated password: printed on stdout.
    let o = townhall(
        &[
            &[
                "user",
                "add",
                "--email",
                "Ada@Example.org",
                "--name",
                "Ada",
                "--role",
                "admin",
            ][..],
            &db,
        ]
        .concat(),
        "",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim().len(), 20);

    // Password from stdin: not printed; too short is refused.
    let o = townhall(
        &[
            &[
                "user",
                "add",
                "--email",
                "bo@example.org",
                "--name",
                "Bo",
                "--role",
                "editor",
            ][..],
            &db,
        ]
        .concat(),
        "short\n",
    );
    assert_one_line_error(&o);
    assert!(stderr(&o).contains("12 characters"));
    let o = townhall(
        &[
            &[
                "user",
                "add",
                "--email",
                "bo@example.org",
                "--name",
                "Bo",
                "--role",
                "editor",
            ][..],
            &db,
        ]
        .concat(),
        "a good long passphrase\n",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty());

    for (args, needle) in [
        (
            vec![
                "user",
                "add",
                "--email",
                "ada@example.org",
                "--name",
                "Ada",
                "--role",
                "admin",
            ],
            "already a user",
        ),
        (
            vec![
                "user",
                "add",
                "--email",
                "not-an-email",
                "--name",
                "X",
                "--role",
                "admin",
            ],
            "correct format",
        ),
        (
            vec![
                "user",
                "add",
                "--email",
                "x@example.org",
                "--name",
                "X",
                "--role",
                "root",
            ],
            "Unknown role",
        ),
        (
            vec![
                "user",
                "add",
                "--email",
                "x@example.org",
                "--name",
                "X",
                "--role",
                "editor",
                "--org",
                "nowhere",
            ],
            "no organisation",
        ),
        (
            vec!["token", "create", "--email", "nobody@example.org"],
            "no user",
        ),
    ] {
        let o = townhall(&[&args[..], &db].concat(), "");
        assert_one_line_error(&o);
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }

    let o = townhall(
        &[&["token", "create", "--email", "ada@example.org"][..], &db].concat(),
        "",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let token = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert!(token.starts_with("th_") && token.len() > 40);

    // Hub admins are made (and unmade) only here.
    let o = townhall(
        &[
            &["user", "hub-admin", "--email", "nobody@example.org"][..],
            &db,
        ]
        .concat(),
        "",
    );
    assert_one_line_error(&o);
    assert!(stderr(&o).contains("townhall user add"), "{}", stderr(&o));
    let o = townhall(
        &[
            &["user", "hub-admin", "--email", "ada@example.org"][..],
            &db,
        ]
        .concat(),
        "",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("now a hub admin"));
    let o = townhall(
        &[
            &[
                "user",
                "hub-admin",
                "--email",
                "ada@example.org",
                "--revoke",
            ][..],
            &db,
        ]
        .concat(),
        "",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("no longer a hub admin"));
}

#[tokio::test]
async fn export_writes_every_dataset_and_a_datapackage_that_describes_them() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let db = townhall::store::Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    townhall::demo::seed(&db).await.unwrap();
    db.close().await;

    let out = dir.path().join("open data");
    let o = townhall(
        &["export", "--database", &url, "--out", out.to_str().unwrap()],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let package: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("datapackage.json")).unwrap())
            .unwrap();
    assert_eq!(package["profile"], "tabular-data-package");
    assert!(
        package["licenses"][0]["title"]
            .as_str()
            .unwrap()
            .contains("Open Government Licence")
    );
    let resources = package["resources"].as_array().unwrap();
    let names: Vec<&str> = resources
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    for wanted in [
        "posts",
        "programme-projects",
        "consultations",
        "consultation-results",
    ] {
        assert!(names.contains(&wanted), "{wanted} is exported");
    }
    for r in resources {
        let fields: Vec<&str> = r["schema"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        let mut csv = csv::Reader::from_path(out.join(r["path"].as_str().unwrap())).unwrap();
        let header: Vec<String> = csv.headers().unwrap().iter().map(str::to_string).collect();
        assert_eq!(
            header, fields,
            "{}: the CSV's columns are the schema's",
            r["name"]
        );
        let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join(format!("{}.json", r["name"].as_str().unwrap())))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            json["items"].as_array().unwrap().len(),
            rows.len(),
            "{}: CSV and JSON agree",
            r["name"]
        );
        assert!(
            !rows.is_empty(),
            "{}: the demo fills every dataset",
            r["name"]
        );
    }
    // A folder that cannot be made is a one-line error.
    let o = townhall(
        &[
            "export",
            "--database",
            &url,
            "--out",
            "/proc/no/such/folder",
        ],
        "",
    );
    assert_one_line_error(&o);
}

#[test]
fn bad_mail_settings_stop_serve_with_one_line_that_keeps_the_password_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let o = townhall(
        &[
            "serve",
            "--database",
            &db,
            "--addr",
            "127.0.0.1:0",
            "--smtp-url",
            "smtp//user:s3cret@relay",
        ],
        "",
    );
    assert_one_line_error(&o);
    assert!(
        stderr(&o).contains("--smtp-url") && !stderr(&o).contains("s3cret"),
        "{}",
        stderr(&o)
    );
    let o = townhall(
        &[
            "serve",
            "--database",
            &db,
            "--addr",
            "127.0.0.1:0",
            "--smtp-url",
            "smtp://127.0.0.1:2525",
            "--mail-from",
            "nobody",
        ],
        "",
    );
    assert_one_line_error(&o);
    assert!(stderr(&o).contains("--mail-from"), "{}", stderr(&o));
}
