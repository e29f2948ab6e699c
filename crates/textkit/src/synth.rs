//! Synthetic consultation responses with known themes and planted campaigns, for benchmarks
//! and for measuring campaign detection. Deterministic for a seed.

use crate::rng::Rng;

/// One generated response with its ground truth.
#[derive(Debug, Clone)]
pub struct Synthetic {
    /// Response id (`r1`, `r2`, …).
    pub id: String,
    /// Text (with a little HTML and odd Unicode now and then).
    pub text: String,
    /// Segment.
    pub segment: String,
    /// Index of the theme the response was written about.
    pub theme: usize,
    /// Index of the planted campaign, if it is a campaign copy.
    pub campaign: Option<usize>,
}

struct ThemeSpec {
    subjects: &'static [&'static str],
    problems: &'static [&'static str],
    asks: &'static [&'static str],
}

const THEMES: &[ThemeSpec] = &[
    ThemeSpec {
        subjects: &[
            "the bus service",
            "the number 12 bus",
            "evening buses",
            "rural bus routes",
            "the bus timetable",
        ],
        problems: &[
            "is unreliable and often late",
            "stops running far too early",
            "has been cut back again",
            "never matches the train times",
            "costs too much for a short journey",
        ],
        asks: &[
            "restore the evening services",
            "publish real-time arrival information",
            "cap fares for young people",
            "run buses to the villages on Sundays",
        ],
    },
    ThemeSpec {
        subjects: &[
            "waiting times at the surgery",
            "getting a GP appointment",
            "the wait for hospital referrals",
            "appointment booking",
            "the phone queue at the practice",
        ],
        problems: &[
            "means waiting three weeks to see a doctor",
            "is impossible at eight in the morning",
            "leaves patients without treatment for months",
            "puts older people off asking for help",
        ],
        asks: &[
            "offer more appointments online",
            "hire more doctors and nurses",
            "let pharmacists handle minor illnesses",
            "call patients back instead of a queue",
        ],
    },
    ThemeSpec {
        subjects: &[
            "the branch library",
            "library opening hours",
            "the mobile library",
            "the children's reading scheme",
            "library computers",
        ],
        problems: &[
            "is closed when working families could visit",
            "has lost most of its staff",
            "is the only free place to study",
            "helps people without internet at home",
        ],
        asks: &[
            "open on Saturdays and evenings",
            "keep the branch open and staffed",
            "buy more books and e-books",
            "run homework clubs after school",
        ],
    },
    ThemeSpec {
        subjects: &[
            "potholes on the high street",
            "the cycle lanes",
            "pavements near the school",
            "road repairs",
            "street lighting",
        ],
        problems: &[
            "are dangerous for cyclists and wheelchair users",
            "have not been repaired for a year",
            "make walking to school unsafe",
            "damage cars and bikes every week",
        ],
        asks: &[
            "repair the worst roads first",
            "build protected cycle lanes",
            "fix the broken street lights",
            "lower the speed limit near schools",
        ],
    },
    ThemeSpec {
        subjects: &[
            "council tax",
            "the proposed budget",
            "spending on consultants",
            "the cost of the new offices",
            "business rates",
        ],
        problems: &[
            "keeps rising while services get worse",
            "is not spent where residents need it",
            "wastes money that should fund care",
            "hits small shops hardest",
        ],
        asks: &[
            "freeze council tax this year",
            "publish where every pound goes",
            "cut spending on consultants",
            "support local businesses with lower rates",
        ],
    },
    ThemeSpec {
        subjects: &[
            "recycling collections",
            "the bin service",
            "fly-tipping in the lanes",
            "the garden waste charge",
            "the tip opening hours",
        ],
        problems: &[
            "moved to every three weeks which is not enough",
            "leaves rubbish in the street for days",
            "is getting worse since the charge",
            "encourages people to dump waste",
        ],
        asks: &[
            "collect bins every fortnight",
            "scrap the garden waste charge",
            "fine fly-tippers properly",
            "open the tip at weekends",
        ],
    },
    ThemeSpec {
        subjects: &[
            "care for older people",
            "home care visits",
            "support for carers",
            "the day centre",
            "adult social care",
        ],
        problems: &[
            "is stretched so visits last fifteen minutes",
            "leaves families exhausted and unpaid",
            "has waiting lists that are far too long",
            "is closing when people depend on it",
        ],
        asks: &[
            "pay care workers properly",
            "keep the day centre open",
            "give carers regular breaks",
            "invest in home care before hospitals",
        ],
    },
    ThemeSpec {
        subjects: &[
            "affordable housing",
            "new housing estates",
            "rents in the town",
            "empty homes",
            "the local plan",
        ],
        problems: &[
            "are out of reach for young families",
            "are built without schools or doctors",
            "keep rising faster than wages",
            "sit empty while people wait for homes",
        ],
        asks: &[
            "build more social housing",
            "require infrastructure before building",
            "bring empty homes back into use",
            "protect the green belt",
        ],
    },
];

const OPENERS: &[&str] = &[
    "",
    "",
    "",
    "I think ",
    "In my view ",
    "Honestly, ",
    "As a resident, ",
    "Speaking for my family, ",
];
const CONNECT: &[&str] = &[
    ". Please ",
    ". The council should ",
    " and you need to ",
    ". We urgently need to ",
    ". I would like you to ",
];
const EXTRAS: &[&str] = &[
    " This has been going on for years.",
    " My neighbours all say the same.",
    " I have lived here for twenty years.",
    " Thank you for asking.",
    " It affects my elderly mother too.",
    " Nobody seems to listen.",
    "",
    "",
    "",
];
const PLACES: &[&str] = &[
    "Mill Lane",
    "the station",
    "Church Street",
    "Riverside",
    "the old market",
    "Northfield",
    "Elm Road",
    "the retail park",
    "Brook Green",
    "the hospital",
    "Castle Hill",
    "Westbury",
    "the harbour",
    "Oakwood",
];
const FILLERS: &[&str] = &[
    "really",
    "frankly",
    "just",
    "simply",
    "also",
    "now",
    "clearly",
    "completely",
    "still",
    "always",
    "honestly",
    "actually",
    "certainly",
    "obviously",
    "sadly",
    "basically",
    "quite",
    "so",
    "totally",
    "literally",
    "genuinely",
    "seriously",
    "truly",
    "very",
    "often",
    "again",
    "today",
    "locally",
];
const MONTHS: &[&str] = &[
    "January",
    "March",
    "May",
    "July",
    "September",
    "November",
    "winter",
    "summer",
];
const RELATIVES: &[&str] = &[
    "son",
    "daughter",
    "father",
    "mother",
    "grandson",
    "neighbour",
    "husband",
    "wife",
];
const SEGMENTS: &[&str] = &[
    "individual",
    "individual",
    "individual",
    "organisation",
    "business",
];

/// Campaign letters planted by the generator (one per campaign, cycling).
const LETTERS: &[&str] = &[
    "I am writing to object to the closure of the branch library. It is used every day by children after school, by older people who have no internet at home and by people looking for work. Closing it would save very little money and cost our community a great deal.",
    "As a member of the Save Our Buses group I urge the council to restore the evening bus services that were cut last year. Shift workers, students and older residents now have no way to get home after six o'clock and are forced to pay for taxis they cannot afford.",
    "We the undersigned residents oppose the plan to build four hundred homes on the green fields north of the town without first building a new school, a surgery and proper roads. The infrastructure must come first, not years after the houses are sold.",
    "Please stop the proposed cuts to home care visits for older people. Fifteen minute visits are not enough to help someone wash, eat and take their medicine with dignity, and the cuts will only push more people into hospital at greater cost.",
];

/// The letter of campaign `c`: the four written letters, then letters composed from
/// ordinary sentences with a fixed seed (distinct campaigns on the same themes).
fn letter(c: usize) -> String {
    if let Some(l) = LETTERS.get(c) {
        return (*l).to_string();
    }
    let mut rng = Rng::new(0xca ^ c as u64);
    let theme = [2, 0, 7, 6][c % LETTERS.len()];
    let t = &THEMES[theme];
    let (a, b) = (rng.below(THEMES.len()), rng.below(THEMES.len()));
    format!(
        "On behalf of the {} residents group: {} {}. We ask the council to {} and to {}. {} {} and {}.",
        rng.pick(PLACES),
        rng.pick(t.subjects),
        rng.pick(t.problems),
        rng.pick(t.asks),
        rng.pick(t.asks),
        rng.pick(&["Remember that", "Do not forget that", "Everyone knows that"]),
        rng.pick(THEMES[a].subjects),
        rng.pick(THEMES[b].problems),
    )
}

/// One participant's copy of campaign `c`'s letter: small edits, sometimes a personal
/// sentence, sometimes an HTML wrapper.
pub fn campaign_copy(c: usize, rng: &mut Rng) -> String {
    edit(&letter(c), rng)
}

/// Small edits a campaign participant makes to a letter.
fn edit(letter: &str, rng: &mut Rng) -> String {
    let mut words: Vec<String> = letter.split(' ').map(str::to_string).collect();
    let edits = rng.below(3);
    for _ in 0..edits {
        let i = rng.below(words.len());
        match rng.below(3) {
            0 => {
                words.remove(i);
            }
            1 => words.insert(
                i,
                (*rng.pick(&["really", "very", "truly", "also"])).to_string(),
            ),
            _ => words[i] = words[i].to_uppercase(),
        }
    }
    let mut text = words.join(" ");
    match rng.below(5) {
        0 => {
            text = format!(
                "{} {text}",
                rng.pick(&[
                    "My family has lived here for thirty years.",
                    "I use this service every single week.",
                    "This matters enormously to me and my children."
                ])
            )
        }
        1 => {
            text = format!(
                "{text} {}",
                rng.pick(&[
                    "Yours faithfully, a worried resident.",
                    "Please listen to us this time.",
                    "Thank you."
                ])
            )
        }
        2 => text = format!("<p>{}</p>", text.replace(". ", ".</p><p>")),
        _ => {}
    }
    text
}

fn ordinary(theme: usize, rng: &mut Rng) -> String {
    let t = &THEMES[theme];
    let mut s = format!(
        "{}{} {}",
        rng.pick(OPENERS),
        rng.pick(t.subjects),
        rng.pick(t.problems)
    );
    s.push_str(rng.pick::<&str>(CONNECT));
    s.push_str(rng.pick::<&str>(t.asks));
    s.push('.');
    // Some people write more: a second point on the same theme, or on another one.
    if rng.below(3) == 0 {
        let other = if rng.below(4) == 0 {
            rng.below(THEMES.len())
        } else {
            theme
        };
        let o = &THEMES[other];
        s.push_str(&format!(
            " Also {} {}.",
            rng.pick(o.subjects),
            rng.pick(o.problems)
        ));
    }
    s.push_str(rng.pick::<&str>(EXTRAS));
    // People write in their own words: drop some words and add personal details, so that
    // independent responses are not near-copies of each other (real ones rarely are).
    if rng.below(10) < 7 {
        let detail = match rng.below(4) {
            0 => format!(
                " I live near {} and have done for {} years.",
                rng.pick(PLACES),
                2 + rng.below(50)
            ),
            1 => format!(
                " Last {} it took {} weeks to sort out.",
                rng.pick(MONTHS),
                2 + rng.below(10)
            ),
            2 => format!(
                " My {} is {} and depends on this.",
                rng.pick(RELATIVES),
                5 + rng.below(85)
            ),
            _ => format!(
                " We moved to {} in {}.",
                rng.pick(PLACES),
                1970 + rng.below(55)
            ),
        };
        s.push_str(&detail);
    }
    let mut words: Vec<&str> = Vec::new();
    for w in s.split(' ') {
        if rng.below(100) < 15 {
            words.push(*rng.pick(FILLERS));
        }
        if rng.below(100) >= 12 {
            words.push(w);
        }
    }
    let s = words.join(" ");
    // Capitalise the first letter.
    let mut chars = s.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    match rng.below(40) {
        0 => format!("<div><b>{out}</b></div>"),
        1 => out.replace(' ', "\u{00A0}"),
        2 => format!("{out} &amp; thanks"),
        3 => out.replace("the ", "the\u{200B} "),
        4 => format!("\u{FF29} agree. {out}"),
        _ => out,
    }
}

/// Generates `count` responses; about `campaign_share` of them are campaign copies spread
/// over `campaigns` campaigns (edited, with personal sentences and HTML now and then).
pub fn generate(count: usize, campaigns: usize, campaign_share: f64, seed: u64) -> Vec<Synthetic> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|i| {
            let segment = rng.pick(SEGMENTS).to_string();
            let id = format!("r{}", i + 1);
            if campaigns > 0 && rng.next_f64() < campaign_share {
                let c = rng.below(campaigns);
                let text = edit(&letter(c), &mut rng);
                return Synthetic {
                    id,
                    text,
                    segment,
                    theme: [2, 0, 7, 6][c % LETTERS.len()],
                    campaign: Some(c),
                };
            }
            let theme = rng.below(THEMES.len());
            Synthetic {
                id,
                text: ordinary(theme, &mut rng),
                segment,
                theme,
                campaign: None,
            }
        })
        .collect()
}

/// Number of themes the generator writes about.
pub fn theme_count() -> usize {
    THEMES.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_plants_campaigns() {
        let a = generate(500, 3, 0.1, 5);
        let b = generate(500, 3, 0.1, 5);
        assert_eq!(
            a.iter().map(|s| &s.text).collect::<Vec<_>>(),
            b.iter().map(|s| &s.text).collect::<Vec<_>>()
        );
        let planted = a.iter().filter(|s| s.campaign.is_some()).count();
        assert!((25..=80).contains(&planted), "{planted}");
    }
}
