//! The theme finder's unit tests.

use super::*;

fn sample_responses() -> Vec<Response> {
    let topics = [
        [
            "bus",
            "late",
            "timetable",
            "fares",
            "route",
            "driver",
            "evening",
            "service",
            "stop",
            "ticket",
        ],
        [
            "library",
            "books",
            "opening",
            "hours",
            "sunday",
            "study",
            "reading",
            "children",
            "staff",
            "computers",
        ],
        [
            "potholes", "road", "repair", "pavement", "cycle", "lane", "lighting", "traffic",
            "speed", "crossing",
        ],
    ];
    let mut rng = crate::rng::Rng::new(3);
    (0..300)
        .map(|i| {
            let t = &topics[i % 3];
            let words: Vec<&str> = (0..6).map(|_| *rng.pick(t)).collect();
            let seg = if i % 4 == 0 {
                "organisation"
            } else {
                "individual"
            };
            Response::new(
                format!("r{i}"),
                format!("I think the {} really matter here", words.join(" ")),
                Some(seg.into()),
            )
        })
        .collect()
}

#[test]
fn finds_planted_topics_and_counts_every_response() {
    let rs = sample_responses();
    let a = analyse(&rs, &Config::default());
    assert_eq!(a.themes.len(), 3, "{:?}", a.meta.silhouettes);
    let mut all: HashSet<&str> = a.unassigned.iter().map(String::as_str).collect();
    for t in &a.themes {
        all.extend(t.members.iter().map(String::as_str));
        assert_eq!(t.count, t.members.len());
        assert!(!t.quotes.is_empty());
        assert_eq!(t.segments.values().sum::<usize>(), t.count);
    }
    assert_eq!(all.len(), 300);
    // Each planted topic is one theme.
    for t in &a.themes {
        let first: usize = t.members[0][1..].parse().expect("id");
        assert!(
            t.members
                .iter()
                .all(|m| m[1..].parse::<usize>().expect("id") % 3 == first % 3)
        );
    }
}

#[test]
fn requested_number_of_themes_is_honoured() {
    let a = analyse(
        &sample_responses(),
        &Config {
            themes: Some(5),
            ..Config::default()
        },
    );
    assert_eq!(a.themes.len(), 5);
    assert_eq!(a.meta.themes_chosen_by, "requested");
}

#[test]
fn campaign_counts_once_in_shares() {
    let mut rs = sample_responses();
    let letter = "Keep the number 12 bus route running through the village because older residents rely on it to reach the hospital";
    for i in 0..100 {
        rs.push(Response::new(format!("c{i}"), letter, None));
    }
    let a = analyse(&rs, &Config::default());
    assert_eq!(a.campaigns.len(), 1);
    assert_eq!(a.campaigns[0].count, 100);
    let bus = a
        .themes
        .iter()
        .find(|t| t.members.iter().any(|m| m == "c0"))
        .expect("campaign is in a theme");
    assert!(bus.members.iter().filter(|m| m.starts_with('c')).count() == 100);
    // 300 ordinary responses + 1 campaign = 301 units; the bus theme has ~100 + 1 of them.
    assert!(
        bus.share < 0.4,
        "share {} counts the campaign once",
        bus.share
    );
    assert!(bus.quotes.iter().filter(|q| q.id.starts_with('c')).count() <= 1);
}

#[test]
fn deterministic_for_a_seed() {
    let rs = sample_responses();
    let a = serde_json::to_string(&analyse(&rs, &Config::default())).expect("json");
    let b = serde_json::to_string(&analyse(&rs, &Config::default())).expect("json");
    assert_eq!(a, b);
}

#[test]
fn empty_and_contentless_input() {
    let a = analyse(&[], &Config::default());
    assert_eq!(a.responses, 0);
    assert!(a.themes.is_empty());
    let rs = vec![
        Response::new("a", "", None),
        Response::new("b", "the and of", None),
    ];
    let a = analyse(&rs, &Config::default());
    assert_eq!(a.unassigned, ["a", "b"]);
}

struct FirstLetter;
impl Embedder for FirstLetter {
    fn name(&self) -> String {
        "first-letter".into()
    }
    fn dim(&self) -> usize {
        26
    }
    fn embed(&self, texts: &[&str]) -> Vec<f32> {
        let mut out = vec![0f32; texts.len() * 26];
        for (t, text) in texts.iter().enumerate() {
            let c = text
                .bytes()
                .find(u8::is_ascii_alphabetic)
                .unwrap_or(b'a')
                .to_ascii_lowercase();
            out[t * 26 + (c - b'a') as usize] = 1.0;
        }
        out
    }
}

#[test]
fn an_embedder_replaces_tfidf_vectors() {
    let rs: Vec<Response> = (0..40)
        .map(|i| {
            Response::new(
                format!("r{i}"),
                if i % 2 == 0 {
                    format!("apples {i} grow")
                } else {
                    format!("zebras {i} grow")
                },
                None,
            )
        })
        .collect();
    let cfg = Config {
        embedder: Some(Arc::new(FirstLetter)),
        themes: Some(2),
        ..Config::default()
    };
    let a = analyse(&rs, &cfg);
    assert_eq!(a.meta.vectoriser, "embedder:first-letter");
    assert_eq!(a.themes.len(), 2);
    assert_eq!(a.themes[0].count, 20);
}
