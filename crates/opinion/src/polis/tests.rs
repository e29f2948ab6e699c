//! The export files: round trips, malformed input, size limits.

use std::path::Path;

use super::{Comment, Export, ParticipantRow, ParticipantsVotes, Summary, VoteRecord};
use crate::polis;
use crate::tests::{temp_dir, two_blocs};
use crate::{Config, Error, Id, Limits, Moderation, Vote, VoteData, compute};

fn sample_export() -> Export {
    Export {
        comments: Some(vec![
            Comment {
                timestamp: 1_403_067_224_363,
                datetime: "Wed Jun 18 11:53:44 WIB 2014".into(),
                id: Id::Number(0),
                author: Id::Number(7),
                agrees: 2,
                disagrees: 1,
                moderated: Moderation::Shown,
                body: "Quotes \"here\", commas, and\na new line".into(),
            },
            Comment {
                timestamp: 1_403_067_224_999,
                datetime: String::new(),
                id: Id::from("c-2"),
                author: Id::from("007"),
                agrees: 0,
                disagrees: 0,
                moderated: Moderation::Hidden,
                body: String::new(),
            },
        ]),
        votes: Some(vec![
            VoteRecord {
                timestamp: 5,
                datetime: "x".into(),
                statement: Id::Number(0),
                participant: Id::Number(7),
                vote: Vote::Agree,
            },
            VoteRecord {
                timestamp: 6,
                datetime: "y".into(),
                statement: Id::from("c-2"),
                participant: Id::Number(8),
                vote: Vote::Pass,
            },
        ]),
        participants: Some(ParticipantsVotes {
            statements: vec![Id::Number(0), Id::from("c-2")],
            rows: vec![ParticipantRow {
                participant: Id::Number(7),
                group: Some(1),
                n_comments: 1,
                n_votes: 1,
                n_agree: 1,
                n_disagree: 0,
                votes: vec![Some(Vote::Agree), None],
            }],
        }),
        summary: Some(Summary {
            entries: vec![
                ("topic".into(), "A, b".into()),
                ("groups".into(), "2".into()),
                ("empty".into(), String::new()),
            ],
        }),
    }
}

#[test]
fn write_then_read_gives_the_same_export() {
    let dir = temp_dir("round-trip");
    let export = sample_export();
    polis::write(&dir, &export).unwrap();
    let back = polis::read(&dir, &Limits::default()).unwrap();
    assert_eq!(back, export);
    // And the vote data built from it: the hidden statement is declared hidden.
    let data = back.to_vote_data(&Limits::default()).unwrap();
    assert!(data.is_hidden(&Id::from("c-2")));
    assert_eq!(data.vote_records(), 2);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_export_of_our_own_results_reads_back() {
    let data = two_blocs(20, 12);
    let outcome = compute(&data, None, &Config::default()).unwrap().outcome;
    let groups: Vec<Vec<Id>> = outcome.groups.iter().map(|g| g.members.clone()).collect();
    let table = polis::participants_votes(&data, &[], &groups);
    let dir = temp_dir("own-results");
    let export = Export {
        participants: Some(table),
        ..Export::default()
    };
    polis::write(&dir, &export).unwrap();
    let back = polis::read(&dir, &Limits::default()).unwrap();
    assert_eq!(back, export);
    // Without votes.csv, the vote matrix of participants-votes.csv is the vote data.
    let again = compute(
        &back.to_vote_data(&Limits::default()).unwrap(),
        None,
        &Config::default(),
    )
    .unwrap();
    assert_eq!(again.outcome.groups.len(), 2);
    std::fs::remove_dir_all(dir).unwrap();
}

fn write_file(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn parse_error_line(result: Result<Export, Error>) -> (String, u64) {
    match result {
        Err(Error::Parse {
            file,
            line,
            message,
        }) => (format!("{} {message}", file.display()), line),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn malformed_files_are_reported_with_their_line() {
    let dir = temp_dir("malformed");
    let header = "timestamp,datetime,comment-id,voter-id,vote\n";
    write_file(
        &dir,
        "votes.csv",
        &format!("{header}1,a,0,0,1\n2,b,0,1,7\n"),
    );
    let (message, line) = parse_error_line(polis::read(&dir, &Limits::default()));
    assert_eq!(line, 3);
    assert!(
        message.contains("votes.csv") && message.contains("vote"),
        "{message}"
    );

    write_file(&dir, "votes.csv", &format!("{header}1,a,0,0\n"));
    assert_eq!(parse_error_line(polis::read(&dir, &Limits::default())).1, 2);

    write_file(&dir, "votes.csv", &format!("{header}x,a,0,0,1\n"));
    assert_eq!(parse_error_line(polis::read(&dir, &Limits::default())).1, 2);

    write_file(&dir, "votes.csv", "time,comment,voter,vote\n");
    assert_eq!(parse_error_line(polis::read(&dir, &Limits::default())).1, 1);

    write_file(&dir, "votes.csv", header);
    write_file(
        &dir,
        "comments.csv",
        "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n1,a,0,0,0,0,2,body\n",
    );
    let (message, line) = parse_error_line(polis::read(&dir, &Limits::default()));
    assert!(
        message.contains("comments.csv") && line == 2,
        "{message} {line}"
    );

    std::fs::remove_file(dir.join("comments.csv")).unwrap();
    std::fs::remove_file(dir.join("votes.csv")).unwrap();
    assert!(matches!(
        polis::read(&dir, &Limits::default()),
        Err(Error::NoVotes { .. })
    ));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn sizes_beyond_the_limits_are_refused() {
    let dir = temp_dir("huge");
    // A participants-votes.csv declaring more statement columns than allowed.
    let mut header = String::from("participant,group-id,n-comments,n-votes,n-agree,n-disagree");
    for s in 0..=Limits::default().max_statements {
        header.push_str(&format!(",{s}"));
    }
    write_file(&dir, "participants-votes.csv", &(header + "\n"));
    assert!(matches!(
        polis::read(&dir, &Limits::default()),
        Err(Error::TooLarge { .. })
    ));

    let small = Limits {
        max_votes: 2,
        ..Limits::default()
    };
    write_file(
        &dir,
        "participants-votes.csv",
        "participant,group-id,n-comments,n-votes,n-agree,n-disagree,0\n",
    );
    write_file(
        &dir,
        "votes.csv",
        "timestamp,datetime,comment-id,voter-id,vote\n1,a,0,0,1\n1,a,0,1,1\n1,a,0,2,1\n",
    );
    let error = polis::read(&dir, &small).unwrap_err();
    assert!(
        matches!(error, Error::TooLarge { .. }) && error.to_string().contains("line 4"),
        "{error}"
    );

    let tiny_file = Limits {
        max_file_bytes: 10,
        ..Limits::default()
    };
    assert!(matches!(
        polis::read(&dir, &tiny_file),
        Err(Error::TooLarge { .. })
    ));

    let mut data = VoteData::with_limits(Limits {
        max_participants: 2,
        ..Limits::default()
    });
    data.add_vote(Id::Number(0), Id::Number(0), Vote::Agree)
        .unwrap();
    data.add_vote(Id::Number(1), Id::Number(0), Vote::Agree)
        .unwrap();
    assert!(matches!(
        data.add_vote(Id::Number(2), Id::Number(0), Vote::Agree),
        Err(Error::TooLarge { .. })
    ));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn ids_keep_their_spelling() {
    for text in ["0", "42", "007", "p-1", "18446744073709551616"] {
        assert_eq!(Id::parse(text).to_string(), text);
    }
    assert!(Id::parse("2") < Id::parse("10"));
}

/// Pol.is's own files come back byte for byte after a read and a write.
#[test]
fn real_exports_round_trip_byte_for_byte() {
    let root = crate::tests::polis_data();
    let root = root.as_path();
    if !root.exists() {
        println!("skipped: {} is not here", root.display());
        return;
    }
    let dir = temp_dir("real-round-trip");
    for conversation in [
        "15-per-hour-seattle",
        "brexit-consensus",
        "canadian-electoral-reform",
        "football-concussions",
    ] {
        let export = polis::read(&root.join(conversation), &Limits::default()).unwrap();
        polis::write(&dir, &export).unwrap();
        for name in [
            polis::COMMENTS,
            polis::VOTES,
            polis::PARTICIPANTS_VOTES,
            polis::SUMMARY,
        ] {
            let original = std::fs::read(root.join(conversation).join(name)).unwrap();
            let written = std::fs::read(dir.join(name)).unwrap();
            assert!(
                original == written,
                "{conversation}/{name} differs after a round trip"
            );
        }
        assert_eq!(polis::read(&dir, &Limits::default()).unwrap(), export);
    }
    std::fs::remove_dir_all(dir).unwrap();
}
