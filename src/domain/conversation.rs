//! Conversations: short statements voted on agree, disagree or pass (docs/deliberation.md).

use super::FieldErrors;
use super::text::{Slug, required_line};
use crate::domain::time::{DateTimeInput, Timestamp, Zone, prefix_closes, prefix_opens};
use serde::{Deserialize, Serialize};

pub mod results;

super::named! {
    /// A participant's statement waits for a moderator; the hosts' statements, and those a
    /// moderator approved, are shown and voted on; a rejected one is hidden and leaves the maths.
    pub enum StatementStatus {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
    }
}

impl StatementStatus {
    /// As Pol.is's `moderated` column has it: shown, unmoderated, hidden.
    pub fn moderation(self) -> opinion::Moderation {
        match self {
            StatementStatus::Approved => opinion::Moderation::Shown,
            StatementStatus::Pending => opinion::Moderation::Unmoderated,
            StatementStatus::Rejected => opinion::Moderation::Hidden,
        }
    }

    pub fn from_moderation(moderation: opinion::Moderation) -> StatementStatus {
        match moderation {
            opinion::Moderation::Shown => StatementStatus::Approved,
            opinion::Moderation::Unmoderated => StatementStatus::Pending,
            opinion::Moderation::Hidden => StatementStatus::Rejected,
        }
    }
}

/// Statement length: Pol.is keeps statements to a tweet's length so that each says one thing
/// that can be agreed or disagreed with.
pub const STATEMENT_MAX_CHARS: usize = 280;
/// Statements a conversation may open with.
pub const SEEDS_MAX: usize = 100;

/// A new conversation as an editor typed it.
#[derive(Debug, Deserialize, Serialize, Default)]
#[serde(default)]
pub struct ConversationInput {
    pub organisation: String,
    pub topic: String,
    pub question: String,
    pub slug: String,
    pub summary: String,
    /// The statements it opens with, one per line.
    pub seeds: String,
    /// When it opens and closes, typed in the site's time zone with the GOV.UK date input.
    #[serde(flatten, with = "prefix_opens")]
    pub opens: DateTimeInput,
    #[serde(flatten, with = "prefix_closes")]
    pub closes: DateTimeInput,
}

/// A checked conversation.
#[derive(Debug, Clone)]
pub struct NewConversation {
    pub organisation_id: i64,
    pub topic: Option<String>,
    pub question: String,
    pub slug: Slug,
    pub summary: String,
    pub seeds: Vec<String>,
    pub opens_at: Timestamp,
    pub closes_at: Timestamp,
}

impl ConversationInput {
    /// Checks the form; `organisations` are the (slug, id) the editor may choose from, and
    /// dates are read in `zone`.
    pub fn check(
        &self,
        organisations: &[(String, i64)],
        zone: &Zone,
    ) -> Result<NewConversation, FieldErrors> {
        let mut errors = FieldErrors::new();
        let org = (organisations.iter()).find(|(slug, _)| *slug == self.organisation);
        if org.is_none() {
            errors.add(
                "organisation",
                "Choose an organisation you are an editor of",
            );
        }
        let question = errors.check(
            "question",
            required_line(&self.question, "the question people will discuss", 200),
        );
        let slug = if self.slug.trim().is_empty() {
            question.as_deref().map(Slug::from_title)
        } else {
            errors.check("slug", Slug::parse(&self.slug))
        };
        let slug = slug.and_then(|s| errors.check("slug", not_a_page(s)));
        let topic = self.topic.trim();
        if topic.chars().count() > 80 {
            errors.add("topic", "Topic must be 80 characters or fewer");
        }
        if self.summary.chars().count() > 2000 {
            errors.add("summary", "Summary must be 2000 characters or fewer");
        }
        let seeds: Vec<String> = (self.seeds.lines().map(str::trim))
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        if seeds.is_empty() {
            errors.add(
                "seeds",
                "Enter at least one statement to open the conversation with, one per line",
            );
        } else if seeds.len() > SEEDS_MAX {
            errors.add(
                "seeds",
                format!("Enter {SEEDS_MAX} opening statements or fewer"),
            );
        } else if let Some(long) = seeds
            .iter()
            .position(|s| s.chars().count() > STATEMENT_MAX_CHARS)
        {
            errors.add(
                "seeds",
                format!(
                    "Statement {} is longer than {STATEMENT_MAX_CHARS} characters: shorten or split it",
                    long + 1
                ),
            );
        }
        let window = zone.opening_window(&self.opens, &self.closes, &mut errors);
        match (org, question, slug, window) {
            (
                Some((_, organisation_id)),
                Some(question),
                Some(slug),
                Some((opens_at, closes_at)),
            ) if errors.is_empty() => Ok(NewConversation {
                organisation_id: *organisation_id,
                topic: (!topic.is_empty()).then(|| topic.to_string()),
                question,
                slug,
                summary: self.summary.trim().to_string(),
                seeds,
                opens_at,
                closes_at,
            }),
            _ => Err(errors),
        }
    }
}

/// A participant's statement as typed: one line of at most [`STATEMENT_MAX_CHARS`].
pub fn statement_text(input: &str) -> Result<String, String> {
    let text = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        Err("Enter your statement".into())
    } else if text.chars().count() > STATEMENT_MAX_CHARS {
        Err(format!(
            "Your statement must be {STATEMENT_MAX_CHARS} characters or fewer: say one thing others can agree or disagree with"
        ))
    } else {
        Ok(text)
    }
}

/// A participant's answer to a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Agree,
    Disagree,
    Pass,
}

impl Choice {
    pub fn parse(form_value: &str) -> Option<Choice> {
        match form_value {
            "agree" => Some(Choice::Agree),
            "disagree" => Some(Choice::Disagree),
            "pass" => Some(Choice::Pass),
            _ => None,
        }
    }

    /// As stored and as Pol.is's `votes.csv` has it.
    pub fn code(self) -> i64 {
        match self {
            Choice::Agree => 1,
            Choice::Disagree => -1,
            Choice::Pass => 0,
        }
    }
}

/// Which of the statements a participant has not voted on to show next: `(number, votes so
/// far)` each, and `draw` a random number. A statement with fewer votes is likelier (its
/// weight is 1 / (1 + votes)), so new statements are seen soon and every statement gathers
/// votes; the draw keeps the order different for each participant, as Pol.is does.
pub fn next_statement(unvoted: &[(i64, i64)], draw: u64) -> Option<i64> {
    let weight = |votes: i64| 1.0 / (1.0 + votes.max(0) as f64);
    let total: f64 = unvoted.iter().map(|&(_, v)| weight(v)).sum();
    // A draw in [0, total): 53 bits are all an f64 holds.
    let mut point = (draw >> 11) as f64 / (1u64 << 53) as f64 * total;
    for &(number, votes) in unvoted {
        point -= weight(votes);
        if point < 0.0 {
            return Some(number);
        }
    }
    unvoted.last().map(|&(number, _)| number)
}

/// `slug` unless an admin page has that address (`/admin/conversations/import`).
pub fn not_a_page(slug: Slug) -> Result<Slug, String> {
    if slug.as_str() == "import" {
        return Err("That web address is taken by the admin's import page: choose another".into());
    }
    Ok(slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_statement_favours_the_least_voted() {
        let unvoted = [(1, 0), (2, 99)];
        let mut shown = [0; 3];
        for i in 0..1000u64 {
            let draw = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            shown[next_statement(&unvoted, draw).unwrap() as usize] += 1;
        }
        // Weights 1 and 1/100: about 990 against 10.
        assert!(shown[1] > 950 && shown[2] > 0, "{shown:?}");
        assert_eq!(next_statement(&[], 7), None);
        assert_eq!(next_statement(&[(5, 3)], u64::MAX), Some(5));
    }

    #[test]
    fn a_statement_is_one_line_of_bounded_length() {
        assert_eq!(statement_text("  a\n b  ").unwrap(), "a b");
        assert!(statement_text(" \n").is_err());
        assert!(statement_text(&"x".repeat(STATEMENT_MAX_CHARS + 1)).is_err());
        assert!(statement_text(&"é".repeat(STATEMENT_MAX_CHARS)).is_ok());
    }
}
