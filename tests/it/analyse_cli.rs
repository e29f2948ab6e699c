//! `townhall analyse` as a user runs it: the real binary on files in a temporary directory.
//! Every input gives a sensible result or a one-line error with exit status 1, never a panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn townhall(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_townhall"))
        .args(args)
        .env_remove("TOWNHALL_TEXT_COLUMN")
        .env_remove("TOWNHALL_ID_COLUMN")
        .env_remove("TOWNHALL_FORMAT")
        .output()
        .expect("the townhall binary runs")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write input");
    path
}

fn analyse_ok(path: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["analyse", path.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    let out = townhall(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}, stderr: {stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// A one-line error with exit status 1.
fn analyse_fails(path: &Path, extra: &[&str]) -> String {
    let mut args = vec!["analyse", path.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    let out = townhall(&args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr:?}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    stderr
}

/// Checks the contract's shape and that every response is in a theme or unassigned.
fn check_contract(v: &serde_json::Value, ids: &[String]) {
    let keys: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    for k in ["responses", "themes", "campaigns", "unassigned"] {
        assert!(keys.contains(&k), "missing {k}");
    }
    assert_eq!(v["responses"].as_u64(), Some(ids.len() as u64));
    let mut seen = std::collections::HashSet::new();
    for t in v["themes"].as_array().expect("themes") {
        let obj = t.as_object().expect("theme object");
        // The contract's keys, and `group` when semantic themes were grouped.
        let mut tk: Vec<&str> = obj
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "group")
            .collect();
        tk.sort_unstable();
        if let Some(g) = obj.get("group") {
            let groups = v["groups"]
                .as_array()
                .expect("groups beside grouped themes");
            assert!(groups.iter().any(
                |x| x["id"] == *g && x["themes"].as_array().expect("themes").contains(&t["id"])
            ));
        }
        assert_eq!(
            tk,
            [
                "count", "id", "keywords", "label", "members", "quotes", "segments", "share"
            ]
        );
        let members = t["members"].as_array().expect("members");
        assert_eq!(t["count"].as_u64(), Some(members.len() as u64));
        let share = t["share"].as_f64().expect("share");
        assert!((0.0..=1.0).contains(&share));
        for q in t["quotes"].as_array().expect("quotes") {
            assert!(q["id"].is_string() && q["text"].is_string());
        }
        seen.extend(members.iter().map(|m| m.as_str().expect("id").to_string()));
    }
    for c in v["campaigns"].as_array().expect("campaigns") {
        let mut ck: Vec<&str> = c
            .as_object()
            .expect("campaign")
            .keys()
            .map(String::as_str)
            .collect();
        ck.sort_unstable();
        assert_eq!(ck, ["canonical", "count", "id", "members"]);
    }
    for u in v["unassigned"].as_array().expect("unassigned") {
        let u = u.as_str().expect("id").to_string();
        assert!(!seen.contains(&u), "{u} is in a theme and unassigned");
        seen.insert(u);
    }
    let expected: std::collections::HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(seen, expected, "every response is in a theme or unassigned");
}

fn consultation_csv(n: usize) -> (String, Vec<String>) {
    let topics = [
        (
            "buses",
            ["late", "fares", "timetable", "evening", "routes", "drivers"],
        ),
        (
            "library",
            ["books", "opening", "sunday", "study", "staff", "computers"],
        ),
        (
            "roads",
            [
                "potholes", "repair", "pavement", "cycle", "lighting", "crossing",
            ],
        ),
    ];
    let mut csv = String::from("id,text,segment\n");
    let mut ids = Vec::new();
    for i in 0..n {
        let (topic, words) = &topics[i % 3];
        let id = format!("r{i}");
        let text = format!(
            "The {topic} {} and {} need attention, {} too",
            words[i % 6],
            words[(i / 3) % 6],
            words[(i / 7) % 6]
        );
        let segment = if i % 4 == 0 {
            "organisation"
        } else {
            "individual"
        };
        csv.push_str(&format!("{id},\"{text}\",{segment}\n"));
        ids.push(id);
    }
    (csv, ids)
}

#[test]
fn analyses_a_csv_into_the_contract_shape() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (csv, ids) = consultation_csv(90);
    let path = write(dir.path(), "responses.csv", csv.as_bytes());
    let v = analyse_ok(&path, &[]);
    check_contract(&v, &ids);
    assert!(v["themes"].as_array().expect("themes").len() >= 2);
    let t = &v["themes"][0];
    assert!(
        t["segments"]["individual"].as_u64().unwrap_or(0) > 0,
        "segments are counted: {t}"
    );
    assert!(v["meta"]["seed"].is_u64(), "meta records the seed");
}

#[test]
fn jsonl_input_and_requested_themes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut jsonl = String::new();
    let mut ids = Vec::new();
    for i in 0..60 {
        let text = if i % 2 == 0 {
            format!("bus fares and late buses {i}")
        } else {
            format!("library books and opening hours {i}")
        };
        jsonl.push_str(&serde_json::json!({"id": format!("x{i}"), "text": text}).to_string());
        jsonl.push('\n');
        ids.push(format!("x{i}"));
    }
    let path = write(dir.path(), "responses.jsonl", jsonl.as_bytes());
    let v = analyse_ok(&path, &["--themes", "3"]);
    check_contract(&v, &ids);
    assert_eq!(v["themes"].as_array().expect("themes").len(), 3);
}

#[test]
fn flags_read_environment_variables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "r.csv",
        b"ref,body\na,The buses are late again this week\nb,Open the library on Sunday please\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_townhall"))
        .args(["analyse", path.to_str().expect("path")])
        .env("TOWNHALL_TEXT_COLUMN", "body")
        .env("TOWNHALL_ID_COLUMN", "ref")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    check_contract(&v, &["a".into(), "b".into()]);
}

#[test]
fn html_report_is_a_standalone_escaped_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut csv, _) = consultation_csv(60);
    csv.push_str("evil,\"<script>alert(1)</script> &lt;img src=x onerror=alert(2)&gt; buses late\",individual\n");
    let path = write(dir.path(), "responses.csv", csv.as_bytes());
    let out_path = dir.path().join("report.html");
    let out = townhall(&[
        "analyse",
        path.to_str().expect("path"),
        "--format",
        "html",
        "--out",
        out_path.to_str().expect("path"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&out_path).expect("report written");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<html lang=\"en\">"));
    assert_eq!(html.matches("<h1").count(), 1);
    assert!(html.contains("href=\"#main\""), "skip link");
    assert!(html.contains("role=\"img\""), "chart has a role");
    assert!(html.contains("<table"), "chart data table");
    assert!(!html.contains("<script"), "nothing a visitor typed runs");
    assert!(!html.contains("<img"), "entities pasted in stay text");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external requests"
    );
    // Headings never skip a level.
    let mut last = 1;
    for (i, _) in html.match_indices("<h") {
        if let Some(level) = html[i + 2..].chars().next().and_then(|c| c.to_digit(10)) {
            assert!(level <= last + 1, "h{level} after h{last}");
            last = level;
        }
    }
}

#[test]
fn csv_report_has_one_row_per_theme() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (csv, _) = consultation_csv(60);
    let path = write(dir.path(), "responses.csv", csv.as_bytes());
    let out = townhall(&["analyse", path.to_str().expect("path"), "--format", "csv"]);
    assert!(out.status.success());
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    assert_eq!(
        reader.headers().expect("header").iter().collect::<Vec<_>>(),
        ["id", "label", "keywords", "count", "share", "quotes"]
    );
    let rows = reader.records().count();
    assert!(rows >= 2, "{rows} themes");
}

#[test]
fn empty_file_gives_an_empty_result() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "empty.csv", b"");
    let v = analyse_ok(&path, &[]);
    check_contract(&v, &[]);
    let path = write(dir.path(), "header-only.csv", b"id,text\n");
    check_contract(&analyse_ok(&path, &[]), &[]);
}

#[test]
fn one_response() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "one.csv",
        b"id,text\n1,The bus to the hospital never comes on time\n",
    );
    let v = analyse_ok(&path, &[]);
    check_contract(&v, &["1".into()]);
}

#[test]
fn identical_responses_are_one_theme_and_one_campaign() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut csv = String::from("id,text\n");
    let ids: Vec<String> = (1..=50).map(|i| i.to_string()).collect();
    for id in &ids {
        csv.push_str(&format!(
            "{id},Keep the branch library open on Saturdays because families need it\n"
        ));
    }
    let path = write(dir.path(), "same.csv", csv.as_bytes());
    let v = analyse_ok(&path, &[]);
    check_contract(&v, &ids);
    assert_eq!(v["themes"].as_array().expect("themes").len(), 1);
    assert_eq!(v["campaigns"][0]["count"].as_u64(), Some(50));
    assert_eq!(
        v["themes"][0]["share"].as_f64(),
        Some(1.0),
        "one campaign, counted once, is everything"
    );
}

#[test]
fn a_one_megabyte_response() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = "the bus service is late again and again ".repeat(26_000);
    let mut csv = String::from("id,text\n");
    csv.push_str(&format!("big,{big}\n"));
    for i in 0..20 {
        csv.push_str(&format!("s{i},library opening hours on sunday {i}\n"));
    }
    let path = write(dir.path(), "big.csv", csv.as_bytes());
    let v = analyse_ok(&path, &[]);
    for q in v["themes"]
        .as_array()
        .expect("themes")
        .iter()
        .flat_map(|t| t["quotes"].as_array().cloned().unwrap_or_default())
    {
        assert!(
            q["text"].as_str().expect("text").chars().count() <= 401,
            "long quotes are shortened"
        );
    }
}

#[test]
fn welsh_chinese_and_arabic_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut jsonl = String::new();
    let texts = [
        "Mae angen mwy o fysiau yn y pentref gyda'r nos",
        "Dylai'r llyfrgell agor ar ddydd Sadwrn",
        "公共交通需要改善，公交车总是迟到",
        "图书馆周末应该开放",
        "يجب تحسين النقل العام في المدينة",
        "المكتبة يجب أن تفتح يوم السبت",
    ];
    let mut ids = Vec::new();
    for (i, t) in texts.iter().cycle().take(30).enumerate() {
        jsonl.push_str(&serde_json::json!({"id": i, "text": t, "segment": "cy"}).to_string());
        jsonl.push('\n');
        ids.push(i.to_string());
    }
    let path = write(dir.path(), "multi.ndjson", jsonl.as_bytes());
    let v = analyse_ok(&path, &["--language", "welsh"]);
    check_contract(&v, &ids);
}

#[test]
fn invalid_utf8_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "latin1.csv", b"id,text\n1,caf\xe9 prices\n");
    let e = analyse_fails(&path, &[]);
    assert!(e.contains("not UTF-8") && e.contains("line 2"), "{e}");
}

#[test]
fn malformed_input_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "ragged.csv",
        b"id,text\n1,fine\n2,too,many,fields\n",
    );
    let e = analyse_fails(&path, &[]);
    assert!(e.contains("line 3"), "{e}");
    let path = write(
        dir.path(),
        "broken.jsonl",
        b"{\"text\": \"ok\"}\n{\"text\": \n",
    );
    let e = analyse_fails(&path, &[]);
    assert!(e.contains("line 2"), "{e}");
    let path = write(dir.path(), "cols.csv", b"a,b\n1,2\n");
    let e = analyse_fails(&path, &[]);
    assert!(e.contains("--text-column"), "{e}");
    let e = analyse_fails(&dir.path().join("missing.csv"), &[]);
    assert!(e.contains("cannot read"), "{e}");
}

#[test]
fn bad_invocation_exits_2() {
    let out = townhall(&["analyse", "x.csv", "--format", "pdf"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn argkp_dev_every_argument_accounted_for() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/argkp/arguments_dev.csv");
    if !path.exists() {
        println!(
            "skipping: {} not found (the shared ArgKP data)",
            path.display()
        );
        return;
    }
    let mut reader = csv::Reader::from_path(&path).expect("argkp csv");
    let ids: Vec<String> = reader
        .records()
        .map(|r| r.expect("record")[0].to_string())
        .collect();
    let v = analyse_ok(
        &path,
        &["--text-column", "argument", "--id-column", "arg_id"],
    );
    check_contract(&v, &ids);
    let themes = v["themes"].as_array().expect("themes");
    assert!(themes.len() >= 2, "{} themes", themes.len());
    let unassigned = v["unassigned"].as_array().expect("unassigned").len();
    assert!(
        unassigned * 5 < ids.len(),
        "{unassigned} of {} unassigned",
        ids.len()
    );
}
