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

/// A toy sentence embedder that knows synonyms: every word of a topic points the same way,
/// whatever the word, plus a little of each word's own direction so that texts differ.
struct Synonyms;

/// Words of three topics that share no word with each other.
const MEANINGS: [&[&str]; 3] = [
    &[
        "nurses", "staff", "kind", "lovely", "caring", "friendly", "doctors", "helpful",
    ],
    &[
        "parking",
        "car",
        "fees",
        "spaces",
        "park",
        "ticket",
        "expensive",
        "pay",
    ],
    &[
        "food",
        "meals",
        "cold",
        "menu",
        "lunch",
        "tasty",
        "breakfast",
        "drinks",
    ],
];

impl Embedder for Synonyms {
    fn name(&self) -> String {
        "synonyms".into()
    }
    fn dim(&self) -> usize {
        3 + 16
    }
    fn embed(&self, texts: &[&str]) -> Vec<f32> {
        let mut out = vec![0f32; texts.len() * 19];
        for (t, text) in texts.iter().enumerate() {
            let v = &mut out[t * 19..(t + 1) * 19];
            for word in text.split_whitespace() {
                let w = word.to_lowercase();
                if let Some(m) = MEANINGS.iter().position(|ws| ws.contains(&w.as_str())) {
                    v[m] += 1.0;
                }
                let h = w
                    .bytes()
                    .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
                v[3 + (h % 16) as usize] += 0.15;
            }
            crate::vectorise::normalise_dense(v);
        }
        out
    }
}

/// `n` responses, each two or three words of one topic (`id` = `m{topic}-{i}`).
fn meaning_responses(n: usize) -> Vec<Response> {
    let mut rng = crate::rng::Rng::new(5);
    (0..n)
        .map(|i| {
            let m = i % 3;
            let words: Vec<&str> = (0..2 + i % 2).map(|_| *rng.pick(MEANINGS[m])).collect();
            Response::new(format!("m{m}-{i}"), words.join(" "), None)
        })
        .collect()
}

fn semantic() -> Config {
    Config {
        embedder: Some(Arc::new(Synonyms)),
        ..Config::default()
    }
}

/// The topic of a response id made by `meaning_responses`.
fn meaning_of(id: &str) -> &str {
    id.split('-').next().expect("id")
}

#[test]
fn semantic_themes_follow_meaning_not_shared_words() {
    let rs = meaning_responses(600);
    let a = analyse(&rs, &semantic());
    let meta = a.meta.semantic.as_ref().expect("semantic meta");
    assert_eq!(meta.model, "synonyms");
    assert_eq!(a.meta.vectoriser, "embedder:synonyms");
    assert!(a.themes.len() >= 3);
    for t in &a.themes {
        let first = meaning_of(&t.members[0]);
        let pure = t.members.iter().filter(|m| meaning_of(m) == first).count();
        assert!(
            pure * 10 >= t.members.len() * 9,
            "theme {} mixes meanings",
            t.label
        );
        // A label is one of its members' words, not a stem pair.
        assert!(t.label.split_whitespace().count() <= 10, "{}", t.label);
    }
    let placed: usize = rs.len() - a.unassigned.len();
    assert!(
        placed * 10 >= rs.len() * 8,
        "{} of {} placed",
        placed,
        rs.len()
    );
    // Thirty themes of twenty: grouped, and every group's themes share its meaning.
    assert!(!a.groups.is_empty());
    for g in &a.groups {
        let members: Vec<&String> = (a.themes.iter())
            .filter(|t| g.themes.contains(&t.id))
            .flat_map(|t| &t.members)
            .collect();
        let first = meaning_of(members[0]);
        let pure = members.iter().filter(|m| meaning_of(m) == first).count();
        assert!(
            pure * 10 >= members.len() * 9,
            "group {} mixes meanings",
            g.label
        );
        assert!(g.themes.iter().all(|id| {
            a.themes
                .iter()
                .any(|t| &t.id == id && t.group.as_deref() == Some(g.id.as_str()))
        }));
    }
}

#[test]
fn beyond_the_embedding_limit_responses_are_placed_from_their_words() {
    let rs = meaning_responses(900);
    let config = Config {
        embed_limit: 200,
        ..semantic()
    };
    let a = analyse(&rs, &config);
    let meta = a.meta.semantic.as_ref().expect("semantic meta");
    assert!(meta.embedded <= 200);
    assert!(
        meta.projected > 0,
        "some responses were placed by projection"
    );
    let mut right = 0;
    let mut placed = 0;
    for t in &a.themes {
        let first = meaning_of(&t.members[0]);
        placed += t.members.len();
        right += t.members.iter().filter(|m| meaning_of(m) == first).count();
    }
    assert!(
        right * 10 >= placed * 8,
        "{right} of {placed} with their meaning"
    );
}

#[test]
fn semantic_themes_are_the_same_whatever_the_thread_count() {
    let rs = meaning_responses(450);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        let mut a = pool.install(|| analyse(&rs, &semantic()));
        if let Some(m) = a.meta.semantic.as_mut() {
            m.timings_ms.clear();
        }
        serde_json::to_string(&a).expect("json")
    };
    assert_eq!(run(1), run(3));
}

#[test]
fn semantic_shares_count_a_campaign_once_and_words_alone_are_content() {
    let mut rs = meaning_responses(300);
    let letter = "The parking fees at the hospital car park are far too expensive for visitors who come every day";
    for i in 0..60 {
        rs.push(Response::new(format!("c{i}"), letter, None));
    }
    // Stop words only: no TF-IDF vector, but a sentence embedding says something.
    rs.push(Response::new("nothing", "Nothing", None));
    let a = analyse(&rs, &semantic());
    assert_eq!(a.campaigns.len(), 1);
    let theme = (a.themes.iter())
        .find(|t| t.members.iter().any(|m| m == "c0"))
        .expect("the campaign is in a theme");
    assert_eq!(
        theme.members.iter().filter(|m| m.starts_with('c')).count(),
        60
    );
    // 300 ordinary responses and one campaign are 301 units; the theme holds at most ~100.
    assert!(
        theme.share < 0.4,
        "share {} counts the campaign once",
        theme.share
    );
    assert!(
        a.themes
            .iter()
            .any(|t| t.members.iter().any(|m| m == "nothing"))
            || a.unassigned.iter().any(|m| m == "nothing")
    );
}

#[test]
fn semantic_themes_of_nothing() {
    let a = analyse(&[], &semantic());
    assert!(a.themes.is_empty());
    let rs = vec![Response::new("a", "", None), Response::new("b", "  ", None)];
    let a = analyse(&rs, &semantic());
    assert_eq!(a.unassigned, ["a", "b"]);
    let one = analyse(&[Response::new("a", "lovely staff", None)], &semantic());
    assert_eq!(one.themes.len(), 1);
}
