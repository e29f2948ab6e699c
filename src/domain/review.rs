//! An analyst's review of an analysis: the engine's result as an editable document, and the
//! edits (rename, merge, split, move a response, confirm or dismiss a campaign).
//!
//! After every edit the counts, shares and segment counts are worked out again with the same
//! rule the engine uses (docs/analysis.md): each member of a campaign weighs `1 / campaign
//! size`, so a campaign counts once; a dismissed campaign's members count as individuals.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Review {
    pub responses: usize,
    pub themes: Vec<ReviewTheme>,
    #[serde(default)]
    pub campaigns: Vec<ReviewCampaign>,
    #[serde(default)]
    pub unassigned: Vec<String>,
    /// Each response's segment, so counts can be redone after an edit.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub segment_of: BTreeMap<String, String>,
    /// The engine's own record of how the result was made, kept as it came.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub meta: serde_json::Value,
    /// The highest theme number given so far (`t7` → 7), merged-away themes included, so
    /// that a new theme never takes the id of one the change log already names.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub theme_numbers_used: usize,
    /// The earlier analysis of the same question whose themes this one continues (see
    /// [`Review::continue_from`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continues: Option<i64>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// How alike two themes' members must be (shared ÷ in either) for a theme of a new analysis
/// to continue one of the earlier analysis: below this they are different themes.
pub const SAME_THEME_AT_LEAST: f64 = 0.3;

/// What [`Review::continue_from`] found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Continuity {
    /// Themes found again: their id, as before.
    pub kept: Vec<String>,
    /// Themes the earlier analysis did not have: their new ids.
    pub new: Vec<String>,
    /// Earlier themes not found again: their ids and names.
    pub lost: Vec<(String, String)>,
}

impl Continuity {
    /// One line for the analysis's change log.
    pub fn note(&self, earlier: i64) -> String {
        let lost: Vec<String> = (self.lost.iter())
            .map(|(id, label)| format!("{id} (\"{label}\")"))
            .collect();
        let list = |v: &[String]| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(", ")
            }
        };
        format!(
            "continued the themes of analysis {earlier}: found again {}; new {}; not found again {}",
            list(&self.kept),
            list(&self.new),
            list(&lost)
        )
    }
}

/// The number of a theme id (`t7` → 7).
fn theme_number(id: &str) -> Option<usize> {
    id.strip_prefix('t').and_then(|n| n.parse().ok())
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReviewTheme {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub count: usize,
    pub share: f64,
    pub members: Vec<String>,
    #[serde(default)]
    pub quotes: Vec<Quote>,
    #[serde(default)]
    pub segments: BTreeMap<String, usize>,
    /// An analyst wrote or kept the name; the engine's names are not published unchecked.
    #[serde(default, skip_serializing_if = "is_false")]
    pub name_reviewed: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Quote {
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReviewCampaign {
    pub id: String,
    pub count: usize,
    pub canonical: String,
    pub members: Vec<String>,
    #[serde(default = "detected")]
    pub status: CampaignStatus,
}

super::named! {
    /// Where an analysis job is: queued, claimed by a worker, then done or failed.
    pub enum AnalysisStatus {
        Queued = "queued",
        Running = "running",
        Done = "done",
        Failed = "failed",
    }
}

super::named! {
    /// Found by the engine, then confirmed or dismissed by an analyst. A dismissed campaign's
    /// responses count one each again.
    pub enum CampaignStatus {
        Detected = "detected",
        Confirmed = "confirmed",
        Dismissed = "dismissed",
    }
}

fn detected() -> CampaignStatus {
    CampaignStatus::Detected
}

/// One edit, as the review page posts it.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Edit {
    Rename {
        theme: String,
        label: String,
    },
    Merge {
        theme: String,
        into: String,
    },
    Split {
        theme: String,
        label: String,
        members: Vec<String>,
    },
    Move {
        response: String,
        from: String,
        to: String,
    },
    Campaign {
        campaign: String,
        status: String,
    },
}

/// Where a response goes when it is moved out of every theme.
pub const UNASSIGNED: &str = "unassigned";

impl Review {
    /// Starts a review from the engine's JSON, with each response's segment.
    pub fn from_result(
        result: &str,
        segment_of: BTreeMap<String, String>,
    ) -> serde_json::Result<Review> {
        let mut r: Review = serde_json::from_str(result)?;
        r.segment_of = segment_of;
        Ok(r)
    }

    pub fn theme(&self, id: &str) -> Option<&ReviewTheme> {
        self.themes.iter().find(|t| t.id == id)
    }

    fn theme_mut(&mut self, id: &str) -> Result<&mut ReviewTheme, String> {
        self.themes
            .iter_mut()
            .find(|t| t.id == id)
            .ok_or_else(|| format!("There is no theme {id}; reload the page and try again"))
    }

    /// Applies an edit and returns a one-line description for the change record.
    pub fn apply(&mut self, edit: &Edit) -> Result<String, String> {
        let done = match edit {
            Edit::Rename { theme, label } => {
                let label = super::text::required_line(label, "a name for the theme", 120)?;
                let t = self.theme_mut(theme)?;
                t.name_reviewed = true;
                let old = std::mem::replace(&mut t.label, label.clone());
                if old == label {
                    format!("kept the name of theme {theme} (\"{label}\")")
                } else {
                    format!("renamed theme {theme} from \"{old}\" to \"{label}\"")
                }
            }
            Edit::Merge { theme, into } => {
                if theme == into {
                    return Err("Choose a different theme to merge into".into());
                }
                let from = self
                    .theme(theme)
                    .cloned()
                    .ok_or("There is no such theme; reload the page")?;
                let target = self.theme_mut(into)?;
                let mut members: BTreeSet<String> = target.members.iter().cloned().collect();
                members.extend(from.members.iter().cloned());
                target.members = ordered(members);
                for k in from.keywords {
                    if !target.keywords.contains(&k) {
                        target.keywords.push(k);
                    }
                }
                target.quotes.extend(from.quotes);
                target.quotes.truncate(5);
                let label = target.label.clone();
                self.themes.retain(|t| &t.id != theme);
                let merged = theme_number(theme).unwrap_or(0);
                self.theme_numbers_used = self.theme_numbers_used.max(merged);
                format!(
                    "merged theme {theme} (\"{}\") into {into} (\"{label}\")",
                    from.label
                )
            }
            Edit::Split {
                theme,
                label,
                members,
            } => {
                let label = super::text::required_line(label, "a name for the new theme", 120)?;
                if members.is_empty() {
                    return Err("Select the responses that form the new theme".into());
                }
                let source = self.theme_mut(theme)?;
                if let Some(m) = members.iter().find(|m| !source.members.contains(m)) {
                    return Err(format!("Response {m} is not in this theme"));
                }
                source.members.retain(|m| !members.contains(m));
                source.quotes.retain(|q| !members.contains(&q.id));
                let id = self.next_theme_id();
                self.themes.push(ReviewTheme {
                    id: id.clone(),
                    label: label.clone(),
                    keywords: vec![],
                    count: 0,
                    share: 0.0,
                    members: members.clone(),
                    quotes: vec![],
                    segments: BTreeMap::new(),
                    name_reviewed: true,
                });
                format!(
                    "split {} responses from theme {theme} into new theme {id} (\"{label}\")",
                    members.len()
                )
            }
            Edit::Move { response, from, to } => {
                if from == to {
                    return Err("Choose a different theme to move the response to".into());
                }
                if from == UNASSIGNED {
                    if !self.unassigned.contains(response) {
                        return Err(format!("Response {response} is not unassigned"));
                    }
                    self.unassigned.retain(|r| r != response);
                } else {
                    let t = self.theme_mut(from)?;
                    if !t.members.contains(response) {
                        return Err(format!("Response {response} is not in theme {from}"));
                    }
                    t.members.retain(|r| r != response);
                    t.quotes.retain(|q| &q.id != response);
                }
                if to == UNASSIGNED {
                    if !self.themes.iter().any(|t| t.members.contains(response)) {
                        self.unassigned.push(response.clone());
                    }
                } else {
                    let t = self.theme_mut(to)?;
                    if !t.members.contains(response) {
                        t.members.push(response.clone());
                        t.members = ordered(std::mem::take(&mut t.members));
                    }
                    self.unassigned.retain(|r| r != response);
                }
                format!("moved response {response} from {from} to {to}")
            }
            Edit::Campaign { campaign, status } => {
                let Ok(status) = CampaignStatus::try_from(status.clone()) else {
                    return Err("Choose confirm or dismiss".into());
                };
                let c = self
                    .campaigns
                    .iter_mut()
                    .find(|c| &c.id == campaign)
                    .ok_or("There is no such campaign; reload the page")?;
                c.status = status;
                format!(
                    "marked campaign {campaign} ({} responses) as {}",
                    c.count,
                    status.as_str()
                )
            }
        };
        self.recount();
        Ok(done)
    }

    /// A theme id no theme has had: one past the highest in use or ever merged away.
    fn next_theme_id(&mut self) -> String {
        let n = self.highest_theme_number() + 1;
        self.theme_numbers_used = n;
        format!("t{n}")
    }

    /// The highest theme number this review has given, in use or merged away.
    pub fn highest_theme_number(&self) -> usize {
        let in_use = self.themes.iter().filter_map(|t| theme_number(&t.id)).max();
        in_use.unwrap_or(0).max(self.theme_numbers_used)
    }

    /// Themes whose name the engine made and no analyst has checked.
    pub fn unreviewed_names(&self) -> Vec<&ReviewTheme> {
        self.themes.iter().filter(|t| !t.name_reviewed).collect()
    }

    /// Makes a fresh analysis continue an earlier one of the same question, so that what
    /// cites the earlier themes still holds. Pairs of themes are matched greedily by how
    /// alike their members are (shared ÷ in either, counting only responses the earlier
    /// analysis saw; highest first, each theme once, at least [`SAME_THEME_AT_LEAST`]); a theme found again takes the earlier theme's id and name
    /// (and whether an analyst checked it). The others get ids above `numbers_used`, the
    /// highest theme number any analysis of the question has given, so no id is reused.
    pub fn continue_from(
        &mut self,
        earlier: &Review,
        earlier_analysis: i64,
        numbers_used: usize,
    ) -> Continuity {
        // Responses that arrived since are left out: a theme that doubled in size with new
        // answers is still the theme it was.
        let seen: BTreeSet<&str> = (earlier.themes.iter().flat_map(|t| &t.members))
            .chain(&earlier.unassigned)
            .map(String::as_str)
            .collect();
        let mut pairs = Vec::new();
        for (i, new) in self.themes.iter().enumerate() {
            let members: BTreeSet<&str> = (new.members.iter().map(String::as_str))
                .filter(|m| seen.contains(m))
                .collect();
            for (j, old) in earlier.themes.iter().enumerate() {
                let shared = (old.members.iter())
                    .filter(|m| members.contains(m.as_str()))
                    .count();
                let either = members.len() + old.members.len() - shared;
                let alike = shared as f64 / either.max(1) as f64;
                if alike >= SAME_THEME_AT_LEAST {
                    pairs.push((alike, i, j));
                }
            }
        }
        pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
        let mut found_again: Vec<Option<usize>> = vec![None; self.themes.len()];
        let mut taken = vec![false; earlier.themes.len()];
        for (_, i, j) in pairs {
            if found_again[i].is_none() && !taken[j] {
                found_again[i] = Some(j);
                taken[j] = true;
            }
        }
        let mut next = numbers_used.max(earlier.highest_theme_number());
        let mut continuity = Continuity::default();
        for (t, matched) in self.themes.iter_mut().zip(found_again) {
            match matched {
                Some(j) => {
                    let old = &earlier.themes[j];
                    t.id = old.id.clone();
                    t.label = old.label.clone();
                    t.name_reviewed = old.name_reviewed;
                    continuity.kept.push(t.id.clone());
                }
                None => {
                    next += 1;
                    t.id = format!("t{next}");
                    continuity.new.push(t.id.clone());
                }
            }
        }
        let lost = earlier.themes.iter().zip(&taken).filter(|(_, k)| !**k);
        continuity.lost = lost.map(|(t, _)| (t.id.clone(), t.label.clone())).collect();
        self.theme_numbers_used = next;
        self.continues = Some(earlier_analysis);
        continuity
    }

    /// Works out counts, shares and segment counts again, with campaigns that are not
    /// dismissed counted once.
    pub fn recount(&mut self) {
        let mut weight: HashMap<&str, f64> = HashMap::new();
        let mut in_campaigns = 0usize;
        let mut campaigns = 0usize;
        for c in self
            .campaigns
            .iter()
            .filter(|c| c.status != CampaignStatus::Dismissed)
        {
            campaigns += 1;
            in_campaigns += c.members.len();
            for m in &c.members {
                weight.insert(m, 1.0 / c.members.len().max(1) as f64);
            }
        }
        let denominator = (self.responses.saturating_sub(in_campaigns) + campaigns).max(1) as f64;
        for t in &mut self.themes {
            t.count = t.members.len();
            let w: f64 = t
                .members
                .iter()
                .map(|m| weight.get(m.as_str()).copied().unwrap_or(1.0))
                .sum();
            t.share = (w / denominator * 10_000.0).round() / 10_000.0;
            if !self.segment_of.is_empty() {
                let mut segments = BTreeMap::new();
                for m in &t.members {
                    if let Some(s) = self.segment_of.get(m) {
                        *segments.entry(s.clone()).or_insert(0) += 1;
                    }
                }
                t.segments = segments;
            }
        }
        self.themes
            .sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
    }

    /// What the public sees of the published result: [`Review::published`] without the
    /// lists of which response is in each theme or campaign (the unassigned as a count) and
    /// without the engine's notes. Made once, when the analysis is published.
    pub fn public_summary(&self) -> serde_json::Value {
        use serde_json::Value;
        let mut v = self.published();
        for list in ["themes", "campaigns"] {
            for item in v
                .get_mut(list)
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if let Some(o) = item.as_object_mut() {
                    o.remove("members");
                }
            }
        }
        if let Some(o) = v.as_object_mut() {
            let unassigned = o
                .get("unassigned")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            o.insert("unassigned".into(), Value::from(unassigned));
            o.remove("meta");
        }
        v
    }

    /// The result as published: the `townhall analyse` JSON shape, without the campaigns an
    /// analyst dismissed and without the per-response segment map.
    pub fn published(&self) -> serde_json::Value {
        let mut copy = self.clone();
        copy.campaigns
            .retain(|c| c.status != CampaignStatus::Dismissed);
        copy.segment_of.clear();
        // Working notes of the review, not part of the result.
        copy.continues = None;
        for t in &mut copy.themes {
            t.name_reviewed = false;
        }
        serde_json::to_value(copy).expect("reviews serialise")
    }
}

/// A theme of a published summary, as a page that cites it names it.
#[derive(Debug, Deserialize)]
pub struct SummaryTheme {
    pub id: String,
    pub label: String,
    pub count: usize,
}

/// The theme `id` of a published summary ([`Review::public_summary`]).
pub fn summary_theme(summary: &serde_json::Value, id: &str) -> Option<SummaryTheme> {
    (summary["themes"].as_array()?.iter())
        .find(|t| t["id"] == id)
        .and_then(|t| SummaryTheme::deserialize(t).ok())
}

/// Response ids in a stable order: numeric ids by number, others after, by text.
fn ordered(ids: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = ids
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    v.sort_by_key(|id| {
        (
            id.trim_start_matches(|c: char| !c.is_ascii_digit())
                .parse::<u64>()
                .unwrap_or(u64::MAX),
            id.clone(),
        )
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review() -> Review {
        let json = serde_json::json!({
            "responses": 10,
            "themes": [
                {"id": "t1", "label": "waiting", "keywords": ["wait"], "count": 4, "share": 0.0,
                 "members": ["r1", "r2", "r3", "r4"], "quotes": [{"id": "r1", "text": "too long"}], "segments": {}},
                {"id": "t2", "label": "staff", "keywords": ["staff"], "count": 3, "share": 0.0,
                 "members": ["r5", "r6", "r7"], "quotes": [], "segments": {}}
            ],
            "campaigns": [{"id": "c1", "count": 3, "canonical": "same letter", "members": ["r2", "r3", "r4"]}],
            "unassigned": ["r8", "r9", "r10"]
        });
        let segs = (1..=10)
            .map(|i| {
                (
                    format!("r{i}"),
                    if i % 2 == 0 { "org" } else { "individual" }.to_string(),
                )
            })
            .collect();
        let mut r = Review::from_result(&json.to_string(), segs).unwrap();
        r.recount();
        r
    }

    #[test]
    fn campaigns_count_once_until_dismissed() {
        let mut r = review();
        // 10 responses, one campaign of 3: denominator 7 + 1 = 8; t1 weighs 1 + 3 × 1/3 = 2.
        assert_eq!(r.theme("t1").unwrap().share, 0.25);
        r.apply(&Edit::Campaign {
            campaign: "c1".into(),
            status: "dismissed".into(),
        })
        .unwrap();
        assert_eq!(r.theme("t1").unwrap().share, 0.4);
        assert!(r.published()["campaigns"].as_array().unwrap().is_empty());
    }

    #[test]
    fn merge_split_move_and_rename_keep_every_response_somewhere() {
        let mut r = review();
        r.apply(&Edit::Merge {
            theme: "t2".into(),
            into: "t1".into(),
        })
        .unwrap();
        assert_eq!(r.themes.len(), 1);
        assert_eq!(r.theme("t1").unwrap().count, 7);
        let note = r
            .apply(&Edit::Split {
                theme: "t1".into(),
                label: "Staffing".into(),
                members: vec!["r5".into(), "r6".into()],
            })
            .unwrap();
        // The merged theme's id (t2) is not given again: the change log names it already.
        assert!(note.contains("new theme t3"), "{note}");
        assert!(r.theme("t2").is_none());
        assert_eq!(r.theme("t3").unwrap().segments["org"], 1);
        r.apply(&Edit::Move {
            response: "r8".into(),
            from: UNASSIGNED.into(),
            to: "t3".into(),
        })
        .unwrap();
        assert_eq!(r.theme("t3").unwrap().members, vec!["r5", "r6", "r8"]);
        assert!(!r.unassigned.contains(&"r8".to_string()));
        r.apply(&Edit::Move {
            response: "r1".into(),
            from: "t1".into(),
            to: UNASSIGNED.into(),
        })
        .unwrap();
        assert!(r.unassigned.contains(&"r1".to_string()));
        r.apply(&Edit::Rename {
            theme: "t3".into(),
            label: "Staffing levels".into(),
        })
        .unwrap();
        assert_eq!(r.theme("t3").unwrap().label, "Staffing levels");
        assert!(
            r.apply(&Edit::Rename {
                theme: "t3".into(),
                label: "  ".into()
            })
            .is_err()
        );
        assert!(
            r.apply(&Edit::Move {
                response: "r99".into(),
                from: "t1".into(),
                to: "t3".into()
            })
            .is_err()
        );
    }

    #[test]
    fn a_new_analysis_continues_the_themes_it_finds_again() {
        let mut earlier = review();
        earlier
            .apply(&Edit::Rename {
                theme: "t1".into(),
                label: "Waiting times".into(),
            })
            .unwrap();
        // Earlier: t1 "Waiting times" r1–r4 (checked), t2 "staff" r5–r7 (not checked).
        let json = serde_json::json!({
            "responses": 14,
            "themes": [
                {"id": "t1", "label": "rude, staff", "count": 0, "share": 0.0,
                 "members": ["r5", "r6", "r7", "r12"]},
                {"id": "t2", "label": "parking", "count": 0, "share": 0.0,
                 "members": ["r11", "r13", "r14"]},
                {"id": "t3", "label": "queue, wait", "count": 0, "share": 0.0,
                 "members": ["r1", "r2", "r3", "r9"]}
            ]
        });
        let mut fresh = Review::from_result(&json.to_string(), BTreeMap::new()).unwrap();
        let c = fresh.continue_from(&earlier, 4, 5);
        assert_eq!(c.kept, vec!["t2", "t1"]);
        assert_eq!(c.new, vec!["t6"], "above every number given before");
        assert!(c.lost.is_empty());
        let waiting = fresh
            .themes
            .iter()
            .find(|t| t.members.contains(&"r9".into()));
        let waiting = waiting.unwrap();
        assert_eq!(
            (waiting.id.as_str(), waiting.label.as_str()),
            ("t1", "Waiting times")
        );
        assert!(waiting.name_reviewed);
        assert_eq!(fresh.theme("t2").unwrap().label, "staff");
        assert_eq!(fresh.continues, Some(4));
        let unchecked: Vec<&str> = fresh
            .unreviewed_names()
            .iter()
            .map(|t| t.id.as_str())
            .collect();
        assert_eq!(unchecked, vec!["t2", "t6"]);
        // A theme too unlike any earlier one is new, and an earlier one is then not found.
        let mut other = Review::from_result(&json.to_string(), BTreeMap::new()).unwrap();
        other.themes.retain(|t| t.id == "t2");
        let c = other.continue_from(&earlier, 4, 0);
        assert_eq!(c.new, vec!["t3"]);
        assert_eq!(c.lost.len(), 2);
        assert!(c.note(4).contains("not found again t1 (\"Waiting times\")"));
    }
}
