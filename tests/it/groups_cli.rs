//! `townhall groups` as a researcher runs it: the real binary on Pol.is-format folders.
//! Two camps come out as two groups with the export's own ids; a folder with only
//! `participants-votes.csv` gives the same groups; bad input is a one-line error.

use std::path::Path;
use std::process::{Command, Output};

fn townhall(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_townhall"))
        .args(args)
        .env_remove("TOWNHALL_OUT")
        .output()
        .expect("the townhall binary runs")
}

fn groups_ok(dir: &Path) -> serde_json::Value {
    let out = townhall(&["groups", dir.to_str().expect("utf-8 path")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn groups_fail(dir: &Path) -> String {
    let out = townhall(&["groups", dir.to_str().expect("utf-8 path")]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr:?}");
    stderr
}

/// Participants 100–129 agree with statements 0–5 and disagree with 6–11; 200–229 the
/// reverse; everyone agrees with statement 12. Participant 7 voted twice only.
pub(crate) fn two_camps(dir: &Path) {
    let mut comments = String::from(
        "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n",
    );
    for s in 0..=12 {
        comments += &format!(
            "{},x,{s},0,0,0,1,\"Statement {s}, with a comma\"\n",
            1000 + s
        );
    }
    let mut votes = String::from("timestamp,datetime,comment-id,voter-id,vote\n");
    let mut t = 2000;
    for (camp, people) in [(1i8, 100..130), (-1, 200..230)] {
        for p in people {
            for s in 0..12 {
                let mut vote = if s < 6 { camp } else { -camp };
                // A little disagreement inside each camp.
                if (p + s) % 9 == 0 {
                    vote = 0;
                }
                t += 1;
                votes += &format!("{t},x,{s},{p},{vote}\n");
            }
            t += 1;
            votes += &format!("{t},x,12,{p},1\n");
        }
    }
    votes += "99999,x,0,7,1\n100000,x,1,7,-1\n";
    std::fs::write(dir.join("comments.csv"), comments).unwrap();
    std::fs::write(dir.join("votes.csv"), votes).unwrap();
}

fn ids(v: &serde_json::Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect()
}

#[test]
fn two_camps_are_two_groups_with_the_exports_ids() {
    let dir = tempfile::tempdir().unwrap();
    two_camps(dir.path());
    let v = groups_ok(dir.path());
    assert_eq!(v["participants"], 60);
    assert_eq!(ids(&v["unplaced"]), ["7"]);
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{v}");
    let mut members: Vec<Vec<&str>> = groups.iter().map(|g| ids(&g["participants"])).collect();
    members.sort();
    let camp = |r: std::ops::Range<u32>| r.map(|p| p.to_string()).collect::<Vec<_>>();
    assert_eq!(members[0], camp(100..130));
    assert_eq!(members[1], camp(200..230));
    for g in groups {
        assert!(g["id"].as_str().unwrap().starts_with('g'));
        let top = &g["representative"][0];
        let (agree, disagree) = (
            top["agree"].as_f64().unwrap(),
            top["disagree"].as_f64().unwrap(),
        );
        assert!(
            agree > 0.8 || disagree > 0.8,
            "a group's first statement is clear-cut: {top}"
        );
        assert_ne!(
            top["statement"], "12",
            "what all share does not set a group apart"
        );
    }
    let consensus = v["consensus"].as_array().unwrap();
    assert!(
        consensus
            .iter()
            .any(|c| c["statement"] == "12" && c["agree"].as_f64().unwrap() > 0.9),
        "{consensus:?}"
    );
}

#[test]
fn participants_votes_alone_gives_the_same_groups() {
    let full = tempfile::tempdir().unwrap();
    two_camps(full.path());
    let from_votes = groups_ok(full.path());
    // The same votes as Pol.is's participant-by-statement table.
    let alone = tempfile::tempdir().unwrap();
    let mut table = String::from("participant,group-id,n-comments,n-votes,n-agree,n-disagree");
    for s in 0..=12 {
        table += &format!(",{s}");
    }
    table += "\n";
    let votes = std::fs::read_to_string(full.path().join("votes.csv")).unwrap();
    let mut by_participant: std::collections::BTreeMap<u32, [Option<i8>; 13]> = Default::default();
    for line in votes.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let row = by_participant
            .entry(f[3].parse().unwrap())
            .or_insert([None; 13]);
        row[f[2].parse::<usize>().unwrap()] = Some(f[4].parse().unwrap());
    }
    for (p, row) in by_participant {
        let n = row.iter().flatten().count();
        let agree = row.iter().flatten().filter(|v| **v == 1).count();
        let disagree = row.iter().flatten().filter(|v| **v == -1).count();
        table += &format!("{p},,0,{n},{agree},{disagree}");
        for v in row {
            table += &v.map_or(",".into(), |v| format!(",{v}"));
        }
        table += "\n";
    }
    std::fs::write(alone.path().join("participants-votes.csv"), table).unwrap();
    let from_table = groups_ok(alone.path());
    assert_eq!(from_table["participants"], from_votes["participants"]);
    let members = |v: &serde_json::Value| {
        let mut m: Vec<Vec<String>> = (v["groups"].as_array().unwrap().iter())
            .map(|g| {
                ids(&g["participants"])
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            })
            .collect();
        m.sort();
        m
    };
    assert_eq!(members(&from_table), members(&from_votes));
}

#[test]
fn bad_folders_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let e = groups_fail(dir.path());
    assert!(e.contains("votes.csv"), "{e}");
    std::fs::write(
        dir.path().join("votes.csv"),
        "timestamp,datetime,comment-id,voter-id,vote\n1,x,0,5,7\n",
    )
    .unwrap();
    let e = groups_fail(dir.path());
    assert!(e.contains("line 2"), "{e}");
    let e = groups_fail(&dir.path().join("missing"));
    assert!(e.contains("missing"), "{e}");
}
