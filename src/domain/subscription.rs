//! E-mail subscriptions: the lists a reader can follow, how often they hear, what they hear
//! of (notices) and when digests are due. See docs/email.md.

use crate::domain::time::{Timestamp, Zone};
use serde::Serialize;
use std::fmt;

/// Something a reader can follow by e-mail. Kept as its [`List::key`] (`category:5`), by id
/// so that a renamed category keeps its subscribers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum List {
    /// Everything published on the site.
    Hub,
    /// An organisation's posts, consultations and project updates.
    Organisation(i64),
    /// Posts in a blog category.
    Category(i64),
    /// Posts, consultations and projects on a topic.
    Topic(i64),
    /// Every consultation, survey and review as it opens, closes and publishes results.
    Consultations,
    /// Updates on the programme's projects.
    Programme,
    /// The results of one consultation, survey or review, when they are published (asked
    /// for by a respondent on the confirmation page).
    Results(i64),
}

impl List {
    pub fn key(&self) -> String {
        match self {
            List::Hub => "hub".into(),
            List::Organisation(id) => format!("organisation:{id}"),
            List::Category(id) => format!("category:{id}"),
            List::Topic(id) => format!("topic:{id}"),
            List::Consultations => "consultations".into(),
            List::Programme => "programme".into(),
            List::Results(id) => format!("results:{id}"),
        }
    }

    pub fn parse(key: &str) -> Option<List> {
        match key {
            "hub" => return Some(List::Hub),
            "consultations" => return Some(List::Consultations),
            "programme" => return Some(List::Programme),
            _ => {}
        }
        let (kind, id) = key.split_once(':')?;
        let id: i64 = id.parse().ok().filter(|id| *id > 0)?;
        match kind {
            "organisation" => Some(List::Organisation(id)),
            "category" => Some(List::Category(id)),
            "topic" => Some(List::Topic(id)),
            "results" => Some(List::Results(id)),
            _ => None,
        }
    }
}

impl fmt::Display for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

impl Serialize for List {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.key())
    }
}

/// How often a subscriber hears of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    /// A message for each notice, a minute or so after it is published.
    Immediately,
    /// One message a day at [`DIGEST_HOUR`], when there is something new.
    Daily,
    /// One message a week, on Monday at [`DIGEST_HOUR`], when there is something new.
    Weekly,
}

impl Frequency {
    pub const ALL: [Frequency; 3] = [Frequency::Immediately, Frequency::Daily, Frequency::Weekly];

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Immediately => "immediately",
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
        }
    }

    pub fn parse(s: &str) -> Option<Frequency> {
        Frequency::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The digest this frequency sends, if any.
    pub fn digest(self) -> Option<Digest> {
        match self {
            Frequency::Immediately => None,
            Frequency::Daily => Some(Digest::Daily),
            Frequency::Weekly => Some(Digest::Weekly),
        }
    }
}

/// Local hour (in the site's time zone) at which digests are due.
pub const DIGEST_HOUR: i8 = 7;

/// A digest: what was published since the last one, in one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Digest {
    Daily,
    Weekly,
}

impl Digest {
    pub const ALL: [Digest; 2] = [Digest::Daily, Digest::Weekly];

    pub fn frequency(self) -> Frequency {
        match self {
            Digest::Daily => Frequency::Daily,
            Digest::Weekly => Frequency::Weekly,
        }
    }

    /// The latest moment at or before `now` a digest was due: [`DIGEST_HOUR`] o'clock local
    /// time each day, or each Monday for the weekly one.
    pub fn due_before(self, now: Timestamp, zone: &Zone) -> Timestamp {
        let weekday = match self {
            Digest::Daily => None,
            Digest::Weekly => Some(jiff::civil::Weekday::Monday),
        };
        zone.latest_hour(now, DIGEST_HOUR, weekday)
    }
}

/// What a notice tells subscribers of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    Post,
    ConsultationOpened,
    ConsultationClosed,
    ResultsPublished,
    ProjectUpdate,
    /// For staff only: an analysis finished (told to whoever asked for it).
    AnalysisFinished,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 6] = [
        NoticeKind::Post,
        NoticeKind::ConsultationOpened,
        NoticeKind::ConsultationClosed,
        NoticeKind::ResultsPublished,
        NoticeKind::ProjectUpdate,
        NoticeKind::AnalysisFinished,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Post => "post",
            NoticeKind::ConsultationOpened => "consultation_opened",
            NoticeKind::ConsultationClosed => "consultation_closed",
            NoticeKind::ResultsPublished => "results_published",
            NoticeKind::ProjectUpdate => "project_update",
            NoticeKind::AnalysisFinished => "analysis_finished",
        }
    }

    pub fn parse(s: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The words before a notice's title in a message: "New post", "Now open".
    pub fn heading(self) -> &'static str {
        match self {
            NoticeKind::Post => "New post",
            NoticeKind::ConsultationOpened => "Now open",
            NoticeKind::ConsultationClosed => "Now closed",
            NoticeKind::ResultsPublished => "Results published",
            NoticeKind::ProjectUpdate => "Project update",
            NoticeKind::AnalysisFinished => "Analysis finished",
        }
    }
}

/// The e-mails about their work a member of staff gets (each on unless turned off on the
/// account page).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StaffAlerts {
    /// Moderators: comments and ideas waiting, at most every [`MODERATION_ALERT_SECS`].
    pub moderation: bool,
    /// Editors: a consultation they created opens or closes.
    pub exercises: bool,
    /// Analysts: an analysis they asked for finishes.
    pub analyses: bool,
}

/// Seconds between two messages to a moderator about what waits.
pub const MODERATION_ALERT_SECS: i64 = 3600;

/// Unconfirmed addresses and subscriptions are deleted after this long, and a confirmation
/// link stops working.
pub const CONFIRM_WITHIN_SECS: i64 = 7 * 86_400;
/// Permanent refusals in a row after which an address is paused (nothing is sent to it).
pub const PAUSE_AFTER_REFUSALS: i64 = 3;
/// Lists one form may subscribe to: every list the site offers fits many times over.
pub const MAX_LISTS_PER_FORM: usize = 200;

impl TryFrom<String> for List {
    type Error = String;
    fn try_from(s: String) -> Result<List, String> {
        List::parse(&s).ok_or_else(|| format!("unknown list {s:?}"))
    }
}

impl TryFrom<String> for Frequency {
    type Error = String;
    fn try_from(s: String) -> Result<Frequency, String> {
        Frequency::parse(&s).ok_or_else(|| format!("unknown frequency {s:?}"))
    }
}

impl TryFrom<String> for NoticeKind {
    type Error = String;
    fn try_from(s: String) -> Result<NoticeKind, String> {
        NoticeKind::parse(&s).ok_or_else(|| format!("unknown notice kind {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_keys_read_back_and_nothing_else_does() {
        for list in [
            List::Hub,
            List::Organisation(3),
            List::Category(12),
            List::Topic(1),
            List::Consultations,
            List::Programme,
            List::Results(7),
        ] {
            assert_eq!(List::parse(&list.key()), Some(list));
        }
        for bad in [
            "",
            "category",
            "category:",
            "category:0",
            "category:-1",
            "category:x",
            "user:1",
            "hub:1",
            "category:99999999999999999999",
        ] {
            assert_eq!(List::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn digests_are_due_at_seven_local_time() {
        let zone = Zone::named("Europe/London").unwrap();
        // Wednesday 1 July 2026, 06:30 UTC = 07:30 BST: today's daily was due at 06:00 UTC.
        let t = Timestamp::from_secs(1_782_887_400);
        assert_eq!(Digest::Daily.due_before(t, &zone).secs(), 1_782_885_600);
        // Before seven local time, the latest was yesterday's.
        let early = Timestamp::from_secs(1_782_885_599);
        assert_eq!(
            Digest::Daily.due_before(early, &zone).secs(),
            1_782_885_600 - 86_400
        );
        // The weekly one was Monday 29 June, 07:00 BST.
        assert_eq!(
            Digest::Weekly.due_before(t, &zone).secs(),
            1_782_885_600 - 2 * 86_400
        );
        // Exactly at the hour, it is due.
        assert_eq!(
            Digest::Daily
                .due_before(Timestamp::from_secs(1_782_885_600), &zone)
                .secs(),
            1_782_885_600
        );
    }
}
