//! Hand-checkable cases for the maths, the export files and the limits; and, where the real
//! Pol.is conversations are present, agreement with Pol.is's own groups.

use std::path::{Path, PathBuf};

use crate::agreement::{adjusted_rand_index, evaluate_folder};
use crate::{Config, Direction, Id, KSmoother, Limits, Moderation, Vote, VoteData, compute};

/// Two blocs of `per_bloc` participants voting on `statements` statements: bloc A agrees with
/// the first half and disagrees with the second, bloc B the opposite; one vote in ten goes the
/// other way (seeded) so that participants are not all identical.
pub(crate) fn two_blocs(per_bloc: u64, statements: u64) -> VoteData {
    let mut data = VoteData::new();
    let mut rng = crate::SplitMix64(7);
    for p in 0..2 * per_bloc {
        let bloc_a = p < per_bloc;
        for s in 0..statements {
            let first_half = s < statements / 2;
            let mut agree = first_half == bloc_a;
            if rng.next_f64() < 0.1 {
                agree = !agree;
            }
            let vote = if agree { Vote::Agree } else { Vote::Disagree };
            data.add_vote(Id::Number(p), Id::Number(s), vote).unwrap();
        }
    }
    data
}

pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("opinion-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn group_of<'a>(outcome: &'a crate::Outcome, participant: &Id) -> Option<&'a str> {
    outcome
        .groups
        .iter()
        .find(|g| g.members.contains(participant))
        .map(|g| g.id.as_str())
}

#[test]
fn two_opposed_blocs_are_split_into_two_groups() {
    let outcome = compute(&two_blocs(20, 12), None, &Config::default())
        .unwrap()
        .outcome;
    assert_eq!(outcome.groups.len(), 2);
    assert_eq!(outcome.participants_counted, 40);
    let first = group_of(&outcome, &Id::Number(0)).unwrap();
    for p in 0..40u64 {
        let same_bloc = p < 20;
        assert_eq!(
            group_of(&outcome, &Id::Number(p)) == Some(first),
            same_bloc,
            "participant {p}"
        );
    }
    // Each group's representative statements say what sets it apart: bloc A agrees with the
    // first half (statements 0-5) and disagrees with the second.
    for group in &outcome.groups {
        assert!(!group.representative.is_empty());
        let bloc_a = group.members.contains(&Id::Number(0));
        for rep in &group.representative {
            let Id::Number(s) = rep.statement else {
                panic!("numeric ids")
            };
            let agrees = (s < 6) == bloc_a;
            let expected = if agrees {
                Direction::Agree
            } else {
                Direction::Disagree
            };
            assert_eq!(rep.repful_for, expected, "statement {s} for {}", group.id);
            assert!(rep.repness_test > crate::repness::Z_90);
        }
    }
}

#[test]
fn a_statement_everyone_agrees_with_is_consensus() {
    let mut data = two_blocs(20, 12);
    for p in 0..40u64 {
        data.add_vote(Id::Number(p), Id::Number(99), Vote::Agree)
            .unwrap();
    }
    let outcome = compute(&data, None, &Config::default()).unwrap().outcome;
    let top = &outcome.consensus.agree[0];
    assert_eq!(top.statement, Id::Number(99));
    assert_eq!((top.n_success, top.n_trials), (40, 40));
    assert!((top.p_success - 41.0 / 42.0).abs() < 1e-12);
    // Both groups agree, so the group-aware figure is high too: (21/22)^2.
    assert!((top.group_aware - (21.0f64 / 22.0).powi(2)).abs() < 1e-12);
    // A divisive statement is consensus in neither direction.
    assert!(
        outcome
            .consensus
            .agree
            .iter()
            .all(|c| c.statement != Id::Number(0))
    );
    assert!(
        outcome
            .consensus
            .disagree
            .iter()
            .all(|c| c.statement != Id::Number(0))
    );
}

#[test]
fn a_participant_with_too_few_votes_is_unplaced() {
    let mut data = two_blocs(20, 12);
    for s in 0..3u64 {
        data.add_vote(Id::from("late"), Id::Number(s), Vote::Agree)
            .unwrap();
    }
    let outcome = compute(&data, None, &Config::default()).unwrap().outcome;
    assert_eq!(outcome.unplaced, vec![Id::from("late")]);
    assert_eq!(group_of(&outcome, &Id::from("late")), None);
    assert_eq!(outcome.participants_counted, 40);
    assert_eq!(outcome.participants_voted, 41);
    // Still on the map, without a group.
    let position = outcome
        .positions
        .iter()
        .find(|p| p.participant == Id::from("late"))
        .unwrap();
    assert_eq!(position.group, None);
}

#[test]
fn a_pass_counts_as_seen_but_not_as_agreement() {
    let mut data = two_blocs(20, 12);
    // Seven passes are seven statements seen: enough to be counted.
    for s in 0..7u64 {
        data.add_vote(Id::from("passer"), Id::Number(s), Vote::Pass)
            .unwrap();
    }
    let outcome = compute(&data, None, &Config::default()).unwrap().outcome;
    assert!(group_of(&outcome, &Id::from("passer")).is_some());
    let counts = outcome
        .statement_votes
        .iter()
        .find(|s| s.statement == Id::Number(0))
        .unwrap();
    assert_eq!(counts.all.pass, 1);
    assert_eq!(counts.all.seen, 41);
    assert_eq!(counts.all.agree + counts.all.disagree, 40);
    let by_group: u32 = counts.groups.iter().map(|g| g.pass).sum();
    assert_eq!(by_group, 1);
}

#[test]
fn a_later_vote_replaces_an_earlier_one() {
    let mut data = two_blocs(20, 12);
    data.add_vote(Id::Number(0), Id::Number(0), Vote::Pass)
        .unwrap();
    let outcome = compute(&data, None, &Config::default()).unwrap().outcome;
    let counts = outcome
        .statement_votes
        .iter()
        .find(|s| s.statement == Id::Number(0))
        .unwrap();
    assert_eq!((counts.all.seen, counts.all.pass), (40, 1));
}

#[test]
fn hidden_statements_leave_the_maths() {
    let mut data = two_blocs(20, 12);
    data.add_statement(Id::Number(3), Moderation::Hidden)
        .unwrap();
    let outcome = compute(&data, None, &Config::default()).unwrap().outcome;
    assert_eq!(outcome.statements_counted, 11);
    assert!(
        outcome
            .statement_votes
            .iter()
            .all(|s| s.statement != Id::Number(3))
    );
    assert!(
        outcome
            .groups
            .iter()
            .flat_map(|g| &g.representative)
            .all(|r| r.statement != Id::Number(3))
    );
}

/// Two blocs voting on 12 statements from time 100 on, after "early" has voted on the only
/// four statements there were at times 1-4; `timed` says whether the votes carry their times.
fn early_participant(timed: bool) -> VoteData {
    let mut data = VoteData::new();
    let add = |data: &mut VoteData, p: Id, s: u64, vote: Vote, time: u64| {
        if timed {
            data.add_vote_at(p, Id::Number(s), vote, time).unwrap();
        } else {
            data.add_vote(p, Id::Number(s), vote).unwrap();
        }
    };
    for s in 0..4u64 {
        add(&mut data, Id::from("early"), s, Vote::Agree, 1 + s);
    }
    let blocs = two_blocs(20, 12);
    for (time, entry) in (100..).zip(blocs.entries()) {
        let p = blocs.participants()[entry.participant as usize].clone();
        let Id::Number(s) = blocs.statements()[entry.statement as usize] else {
            panic!("numeric ids")
        };
        add(&mut data, p, s, entry.vote, time);
    }
    data
}

#[test]
fn with_times_a_participant_counted_early_stays_counted() {
    // Pol.is recomputes as votes arrive: with four statements, four votes were all of them,
    // and once in, "early" stays in though 4 of 12 is short of the 7 now required.
    let timed = compute(&early_participant(true), None, &Config::default())
        .unwrap()
        .outcome;
    assert!(group_of(&timed, &Id::from("early")).is_some());
    assert_eq!(timed.participants_counted, 41);
    // Without times only the final counts are known.
    let untimed = compute(&early_participant(false), None, &Config::default())
        .unwrap()
        .outcome;
    assert_eq!(untimed.unplaced, vec![Id::from("early")]);
}

#[test]
fn a_statement_counts_from_its_first_vote_and_repeats_do_not_count() {
    // "late" votes three times on statement 0 and then on statements 1-5 once the blocs have
    // opened all 12: five distinct statements of 12 is not enough at any moment.
    let mut data = early_participant(true);
    for (i, s) in [0u64, 0, 0, 1, 2, 3, 4].into_iter().enumerate() {
        data.add_vote_at(
            Id::from("late"),
            Id::Number(s),
            Vote::Pass,
            10_000 + i as u64,
        )
        .unwrap();
    }
    let outcome = compute(&data, None, &Config::default()).unwrap().outcome;
    assert_eq!(outcome.unplaced, vec![Id::from("late")]);
}

#[test]
fn votes_out_of_time_order_are_refused() {
    let mut data = VoteData::new();
    data.add_vote_at(Id::Number(1), Id::Number(1), Vote::Agree, 10)
        .unwrap();
    let error = data
        .add_vote_at(Id::Number(2), Id::Number(1), Vote::Agree, 9)
        .unwrap_err();
    assert!(matches!(
        error,
        crate::Error::OutOfOrder {
            previous: 10,
            time: 9
        }
    ));
    // A vote without a time ends the history: the final counts decide from then on.
    data.add_vote(Id::Number(2), Id::Number(2), Vote::Agree)
        .unwrap();
    assert!(!data.has_times());
}

#[test]
fn votes_on_hidden_statements_count_towards_being_in() {
    // As in Pol.is, whose rule reads the raw matrix: "mixed" voted on 5 shown statements and
    // 2 since hidden, 7 in all. "hidden only" has no vote on a shown statement, so no place.
    let mut data = two_blocs(20, 12);
    for s in 0..5u64 {
        data.add_vote(Id::from("mixed"), Id::Number(s), Vote::Agree)
            .unwrap();
    }
    for s in [100u64, 101] {
        data.add_vote(Id::from("mixed"), Id::Number(s), Vote::Agree)
            .unwrap();
        data.add_statement(Id::Number(s), Moderation::Hidden)
            .unwrap();
    }
    for s in 100..107u64 {
        data.add_vote(Id::from("hidden only"), Id::Number(s), Vote::Agree)
            .unwrap();
        data.add_statement(Id::Number(s), Moderation::Hidden)
            .unwrap();
    }
    let outcome = compute(&data, None, &Config::default()).unwrap().outcome;
    assert!(group_of(&outcome, &Id::from("mixed")).is_some());
    assert_eq!(outcome.unplaced, vec![Id::from("hidden only")]);
    assert_eq!(outcome.statements_counted, 12);
}

#[test]
fn the_best_of_several_starts_separates_two_camps_a_single_start_cuts_across() {
    use crate::cluster::{kmeans, kmeans_best_of};
    // Two camps far apart on x, each spread a little on y; the first two points both lie in
    // the left camp, so Pol.is's start (the first k distinct points) begins with both centres
    // there and settles on a split by y that cuts through both camps.
    let mut points = Vec::new();
    for camp in [0.0, 10.0] {
        for i in 0..20 {
            let y = if i % 2 == 0 { -1.0 } else { 1.0 } * (1.0 + f64::from(i) / 20.0);
            points.push([camp + f64::from(i % 3) * 0.1, y]);
        }
    }
    let camp_of = |c: &crate::cluster::Cluster| {
        let mut camps: Vec<bool> = c.members.iter().map(|&m| m < 20).collect();
        camps.dedup();
        camps.len()
    };
    let single = kmeans(&points, None, 2, None, 100);
    assert!(single.iter().all(|c| camp_of(c) == 2), "{single:?}");
    let best = kmeans_best_of(&points, None, 2, 100, 20, 7);
    assert_eq!(best.len(), 2);
    assert!(best.iter().all(|c| camp_of(c) == 1), "{best:?}");
    // Numbered by first member, and the same whatever the seed once a start finds it.
    assert!(best[0].members.contains(&0));
    assert_eq!(best, kmeans_best_of(&points, None, 2, 100, 20, 8));
}

#[test]
fn a_young_conversation_takes_its_most_active_participants() {
    let mut data = VoteData::new();
    for p in 0..6u64 {
        for s in 0..(p % 3 + 1) {
            data.add_vote(Id::Number(p), Id::Number(s + p), Vote::Agree)
                .unwrap();
        }
    }
    // Fewer than 15 participants and nobody with 7 votes: everyone is taken in.
    let outcome = compute(&data, None, &Config::default()).unwrap().outcome;
    assert!(outcome.unplaced.is_empty());
}

#[test]
fn output_is_deterministic_cold_and_warm() {
    let data = two_blocs(30, 14);
    let config = Config::default();
    let first = compute(&data, None, &config).unwrap();
    let second = compute(&data, None, &config).unwrap();
    assert_eq!(first, second);
    let warm_a = compute(&data, Some(&first.state), &config).unwrap();
    let warm_b = compute(&data, Some(&first.state), &config).unwrap();
    assert_eq!(warm_a, warm_b);
    // A warm start on unchanged votes keeps the same groups under the same names.
    assert_eq!(
        warm_a
            .outcome
            .groups
            .iter()
            .map(|g| (&g.id, &g.members))
            .collect::<Vec<_>>(),
        first
            .outcome
            .groups
            .iter()
            .map(|g| (&g.id, &g.members))
            .collect::<Vec<_>>()
    );
    assert_eq!(warm_a.state.updates, 2);
    // The state survives JSON, as a web app would store it (serde_json may round the last
    // bit of a float, so compare what it produces rather than the bits).
    let json = serde_json::to_string(&first.state).unwrap();
    let restored: crate::State = serde_json::from_str(&json).unwrap();
    let from_json = compute(&data, Some(&restored), &config).unwrap();
    assert_eq!(
        from_json
            .outcome
            .groups
            .iter()
            .map(|g| &g.members)
            .collect::<Vec<_>>(),
        warm_a
            .outcome
            .groups
            .iter()
            .map(|g| &g.members)
            .collect::<Vec<_>>()
    );
    serde_json::to_string(&first.outcome).unwrap();
}

#[test]
fn the_number_of_groups_changes_only_after_the_buffer() {
    let mut smoother = KSmoother::next(None, 2, 4);
    assert_eq!(smoother.smoothed_k, 2);
    for update in 1..=4 {
        smoother = KSmoother::next(Some(smoother), 3, 4);
        assert_eq!(
            smoother.smoothed_k,
            if update < 4 { 2 } else { 3 },
            "update {update}"
        );
    }
    // An interruption resets the count.
    smoother = KSmoother::next(Some(smoother), 4, 4);
    smoother = KSmoother::next(Some(smoother), 3, 4);
    assert_eq!((smoother.smoothed_k, smoother.last_k_count), (3, 1));
}

#[test]
fn adjusted_rand_index_ignores_label_names() {
    assert_eq!(adjusted_rand_index(&[0, 0, 1, 1, 2], &[5, 5, 7, 7, 9]), 1.0);
    let ari = adjusted_rand_index(&[0, 0, 0, 1, 1, 1], &[0, 1, 0, 1, 0, 1]);
    assert!(ari < 0.0, "{ari}");
}

#[test]
fn tests_match_polis_formulas() {
    use crate::repness::{prop_test, two_prop_test};
    // 2·√(n+1)·((s+1)/(n+1) − ½) with s = 9, n = 10.
    assert!((prop_test(9, 10) - 2.0 * 11f64.sqrt() * (10.0 / 11.0 - 0.5)).abs() < 1e-12);
    assert_eq!(two_prop_test(5, 5, 5, 5), 0.0);
    assert!(two_prop_test(9, 1, 10, 10) > crate::repness::Z_90);
}

/// The four real Pol.is conversations of the evaluation data, beside the repository
/// (`../shared/data/polis`), or where `TOWNHALL_POLIS_DATA` says; tests that need them say
/// they skipped when they are not there.
pub(crate) fn polis_data() -> std::path::PathBuf {
    std::env::var_os("TOWNHALL_POLIS_DATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/polis"),
        std::path::PathBuf::from,
    )
}

/// Where the real conversations are present: our groups must keep agreeing with Pol.is's at
/// least as well as when this was written (median ARI 0.768, two groups in all four), less a
/// small margin for numerical noise.
#[test]
fn real_conversations_agree_with_polis() {
    let root = crate::tests::polis_data();
    let root = root.as_path();
    if !root.exists() {
        println!("skipped: {} is not here", root.display());
        return;
    }
    let names = [
        "15-per-hour-seattle",
        "brexit-consensus",
        "canadian-electoral-reform",
        "football-concussions",
    ];
    let mut aris = Vec::new();
    let mut same_groups = 0;
    for name in names {
        let (comparison, analysis) =
            evaluate_folder(&root.join(name), &Limits::default(), &Config::default()).unwrap();
        aris.push(comparison.ari);
        same_groups += usize::from(comparison.our_groups == comparison.polis_groups);
        // Every group has something to say, and every participant who voted is accounted for.
        assert!(
            analysis
                .outcome
                .groups
                .iter()
                .all(|g| !g.representative.is_empty()),
            "{name}"
        );
        assert_eq!(
            analysis.outcome.participants_counted + analysis.outcome.unplaced.len(),
            analysis.outcome.participants_voted,
            "{name}"
        );
    }
    aris.sort_by(f64::total_cmp);
    let median = (aris[1] + aris[2]) / 2.0;
    assert!(median >= 0.75, "median ARI {median:.3}");
    assert!(
        same_groups >= 3,
        "same number of groups in {same_groups} of 4"
    );
}

#[test]
fn empty_and_tiny_inputs_do_not_fail() {
    let config = Config::default();
    let empty = compute(&VoteData::new(), None, &config).unwrap().outcome;
    assert!(empty.groups.is_empty() && empty.unplaced.is_empty());
    let mut one = VoteData::new();
    one.add_vote(Id::Number(1), Id::Number(1), Vote::Agree)
        .unwrap();
    let single = compute(&one, None, &config).unwrap();
    assert_eq!(single.outcome.groups.len(), 1);
    // Warm-starting a grown conversation from a tiny one's state.
    let grown = two_blocs(20, 12);
    let warm = compute(&grown, Some(&single.state), &config)
        .unwrap()
        .outcome;
    assert_eq!(warm.participants_counted, 40);
}

#[test]
fn warm_start_follows_new_votes_and_statements() {
    let config = Config::default();
    let first = compute(&two_blocs(20, 12), None, &config).unwrap();
    let mut more = two_blocs(25, 14);
    for p in 0..50u64 {
        let vote = if p < 25 { Vote::Agree } else { Vote::Disagree };
        more.add_vote(Id::Number(p), Id::from("new statement"), vote)
            .unwrap();
    }
    let next = compute(&more, Some(&first.state), &config).unwrap();
    assert_eq!(next.outcome.participants_counted, 50);
    assert_eq!(next.outcome.groups.len(), 2);
    let a = group_of(&next.outcome, &Id::Number(0));
    assert!((0..25).all(|p| group_of(&next.outcome, &Id::Number(p)) == a));
    assert!((25..50).all(|p| group_of(&next.outcome, &Id::Number(p)) != a));
}
