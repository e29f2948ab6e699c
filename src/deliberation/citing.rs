//! A conversation's statements and groups as "you said, we did" cites them
//! (`domain::chain::ConversationRef`): what can be cited, and how a citation reads on the
//! consultation's results page, linking to the conversation's results.

use crate::domain::chain::{ConversationPart, ConversationRef};
use crate::store::conversations::Conversation;
use crate::store::{Db, StoreError, StoreResult};
use serde::Serialize;

/// A statement or group of a conversation, ready to show or choose.
#[derive(Debug, Clone, Serialize)]
pub struct CitedPart {
    /// As the form's theme field writes it.
    pub value: String,
    pub question: String,
    /// `Statement 12: “…”` or `Group A (40 people)`.
    pub label: String,
    /// On the conversation's results page.
    pub href: String,
}

fn part(c: &Conversation, part: ConversationPart, label: String) -> CitedPart {
    let anchor = match &part {
        ConversationPart::Statement(n) => format!("statement-{n}"),
        ConversationPart::Group(letter) => format!("group-{letter}"),
    };
    CitedPart {
        value: ConversationRef {
            conversation_id: c.id,
            part,
        }
        .form_value(),
        question: c.question.clone(),
        label,
        href: format!("/conversations/{}/results#{anchor}", c.slug),
    }
}

fn group_label(letter: &str, people: usize) -> String {
    let word = if people == 1 { "person" } else { "people" };
    format!("Group {letter} ({people} {word})")
}

/// Every group and approved statement of `organisation_id`'s conversations whose results are
/// published: what the public can follow a citation to.
pub async fn citable(db: &Db, organisation_id: i64) -> StoreResult<Vec<CitedPart>> {
    let mut parts = Vec::new();
    for c in db.conversations().await? {
        if c.organisation_id != organisation_id || !c.published || c.results_published_at.is_none()
        {
            continue;
        }
        for g in db.conversation_results(c.id).await?.groups {
            let label = group_label(&g.label, g.members.len());
            parts.push(part(&c, ConversationPart::Group(g.label), label));
        }
        for s in db.shown_statements(c.id).await? {
            let label = format!("Statement {}: “{}”", s.number, s.body);
            parts.push(part(&c, ConversationPart::Statement(s.number), label));
        }
    }
    Ok(parts)
}

/// How a citation reads now; `None` once what it cites is gone (a statement rejected, a
/// group no longer found, the results withdrawn).
pub async fn describe(db: &Db, cited: &ConversationRef) -> StoreResult<Option<CitedPart>> {
    let c = match db.conversation(cited.conversation_id).await {
        Ok(c) if c.published && c.results_published_at.is_some() => c,
        Ok(_) | Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(match &cited.part {
        ConversationPart::Statement(n) => (db.shown_statements(c.id).await?)
            .into_iter()
            .find(|s| s.number == *n)
            .map(|s| {
                let label = format!("Statement {n}: “{}”", s.body);
                part(&c, cited.part.clone(), label)
            }),
        ConversationPart::Group(letter) => (db.conversation_results(c.id).await?.groups)
            .iter()
            .find(|g| &g.label == letter)
            .map(|g| part(&c, cited.part.clone(), group_label(letter, g.members.len()))),
    })
}
