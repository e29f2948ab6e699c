//! The evidence chain's middle link: "you said, we did", each statement citing the theme of an
//! analysis it answers and naming the commitments and projects it led to.

use super::FieldErrors;
use super::text::required_line;
use serde::Deserialize;

/// The longest "we did", in characters.
const MAX_WE_DID: usize = 5000;

/// A theme of one analysis, written `analysis id:theme id` in the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThemeRef {
    pub analysis_id: i64,
    pub theme_id: String,
}

impl ThemeRef {
    /// `""` is no theme; anything but `number:theme` is not a theme.
    pub fn parse(s: &str) -> Result<Option<ThemeRef>, NoSuchTheme> {
        if s.is_empty() {
            return Ok(None);
        }
        let (analysis, theme) = s.split_once(':').ok_or(NoSuchTheme)?;
        let analysis_id = analysis.parse().map_err(|_| NoSuchTheme)?;
        let theme_id = theme.to_string();
        Ok(Some(ThemeRef {
            analysis_id,
            theme_id,
        }))
    }
}

/// A statement or an opinion group of a conversation, written
/// `conversation:{id}:statement:{number}` or `conversation:{id}:group:{letter}` in the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRef {
    pub conversation_id: i64,
    pub part: ConversationPart,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversationPart {
    Statement(i64),
    /// By its letter on the results page.
    Group(String),
}

impl ConversationPart {
    /// As stored: `statement:12`, `group:A`.
    pub fn stored(&self) -> String {
        match self {
            ConversationPart::Statement(n) => format!("statement:{n}"),
            ConversationPart::Group(label) => format!("group:{label}"),
        }
    }

    pub fn from_stored(s: &str) -> Option<ConversationPart> {
        match s.split_once(':')? {
            ("statement", n) => n.parse().ok().map(ConversationPart::Statement),
            ("group", label)
                if label.len() == 1 && label.bytes().all(|b| b.is_ascii_uppercase()) =>
            {
                Some(ConversationPart::Group(label.to_string()))
            }
            _ => None,
        }
    }
}

impl ConversationRef {
    /// As the form writes it.
    pub fn form_value(&self) -> String {
        format!(
            "conversation:{}:{}",
            self.conversation_id,
            self.part.stored()
        )
    }
}

/// What a "you said" cites, as the form's `theme` field gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cited {
    Theme(ThemeRef),
    Conversation(ConversationRef),
}

impl Cited {
    /// `""` is nothing; `conversation:…` a part of a conversation; otherwise a theme.
    pub fn parse(s: &str) -> Result<Option<Cited>, NoSuchTheme> {
        let Some(rest) = s.strip_prefix("conversation:") else {
            return Ok(ThemeRef::parse(s)?.map(Cited::Theme));
        };
        let (id, part) = rest.split_once(':').ok_or(NoSuchTheme)?;
        Ok(Some(Cited::Conversation(ConversationRef {
            conversation_id: id.parse().map_err(|_| NoSuchTheme)?,
            part: ConversationPart::from_stored(part).ok_or(NoSuchTheme)?,
        })))
    }
}

/// A register row a "we did" statement can lead to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkTarget {
    Commitment(i64),
    Project(i64),
}

impl LinkTarget {
    /// The (commitment id, project id) columns of a link row: one of them is set.
    pub fn columns(self) -> (Option<i64>, Option<i64>) {
        match self {
            LinkTarget::Commitment(id) => (Some(id), None),
            LinkTarget::Project(id) => (None, Some(id)),
        }
    }
}

/// The theme named is not one of the exercise's analysed themes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoSuchTheme;

/// A "you said, we did" as the analyst typed it.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ActionInput {
    /// `analysis id:theme id`, a conversation's statement or group ([`Cited::parse`]), or
    /// empty for a "you said" not tied to either.
    pub theme: String,
    pub you_said: String,
    pub we_did: String,
    /// Slugs of the commitments and projects the "we did" led to.
    pub commitments: Vec<String>,
    pub projects: Vec<String>,
}

/// A checked "you said, we did".
#[derive(Debug, Clone, PartialEq)]
pub struct NewAction {
    pub theme: Option<ThemeRef>,
    pub conversation: Option<ConversationRef>,
    pub you_said: String,
    pub we_did: String,
    pub commitment_ids: Vec<i64>,
    pub project_ids: Vec<i64>,
}

impl ActionInput {
    /// Checks the statement. `cited` is [`Cited::parse`] of the form's theme once the caller
    /// has looked it up; `commitments` and `projects` are the register's (slug, id).
    pub fn check(
        &self,
        cited: Result<Option<Cited>, NoSuchTheme>,
        commitments: &[(String, i64)],
        projects: &[(String, i64)],
    ) -> Result<NewAction, FieldErrors> {
        let mut errors = FieldErrors::new();
        let you_said = errors.check(
            "you_said",
            required_line(&self.you_said, "what people said", 1000),
        );
        let we_did = self.we_did.trim();
        if we_did.is_empty() {
            errors.add("we_did", "Enter what you did, or will do, about it");
        } else if self.we_did.chars().count() > MAX_WE_DID {
            errors.add("we_did", "What you did must be 5000 characters or fewer");
        }
        let cited = cited.unwrap_or_else(|NoSuchTheme| {
            errors.add("theme", "Choose a theme, statement or group from the list");
            None
        });
        let (theme, conversation) = match cited {
            Some(Cited::Theme(t)) => (Some(t), None),
            Some(Cited::Conversation(c)) => (None, Some(c)),
            None => (None, None),
        };
        let commitment_ids = resolve(&self.commitments, commitments, "commitment", &mut errors);
        let project_ids = resolve(&self.projects, projects, "project", &mut errors);
        match you_said {
            Some(you_said) if errors.is_empty() => Ok(NewAction {
                theme,
                conversation,
                you_said,
                we_did: we_did.to_string(),
                commitment_ids,
                project_ids,
            }),
            _ => Err(errors),
        }
    }
}

/// The ids of the slugs given, each found among `keys`, or a message for `field`.
fn resolve(
    slugs: &[String],
    keys: &[(String, i64)],
    field: &str,
    errors: &mut FieldErrors,
) -> Vec<i64> {
    let mut ids = Vec::new();
    for s in slugs {
        match keys.iter().find(|(k, _)| k == s) {
            Some((_, id)) => ids.push(*id),
            None => errors.add(field, format!("There is no {field} {s} in the register")),
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_theme_is_written_analysis_colon_theme() {
        assert_eq!(ThemeRef::parse(""), Ok(None));
        assert_eq!(
            ThemeRef::parse("12:t3"),
            Ok(Some(ThemeRef {
                analysis_id: 12,
                theme_id: "t3".into()
            }))
        );
        assert_eq!(ThemeRef::parse("t3"), Err(NoSuchTheme));
        assert_eq!(ThemeRef::parse("x:t3"), Err(NoSuchTheme));
    }

    #[test]
    fn a_statement_names_what_it_led_to_by_slug() {
        let input = ActionInput {
            you_said: "Open on Saturdays".into(),
            we_did: " We will, from June. ".into(),
            projects: vec!["late-opening".into(), "nothing".into()],
            ..Default::default()
        };
        let projects = [("late-opening".to_string(), 7)];
        let errors = input.check(Ok(None), &[], &projects).unwrap_err();
        assert_eq!(
            errors.get("project"),
            Some("There is no project nothing in the register")
        );
        let ok = ActionInput {
            projects: vec!["late-opening".into()],
            ..input
        };
        let action = ok.check(Ok(None), &[], &projects).unwrap();
        assert_eq!(
            (action.we_did.as_str(), action.project_ids),
            ("We will, from June.", vec![7])
        );
        let errors = ok.check(Err(NoSuchTheme), &[], &projects).unwrap_err();
        assert_eq!(
            errors.get("theme"),
            Some("Choose a theme, statement or group from the list")
        );
    }

    #[test]
    fn a_conversation_part_is_cited_by_statement_number_or_group_letter() {
        let statement = ConversationRef {
            conversation_id: 4,
            part: ConversationPart::Statement(12),
        };
        assert_eq!(statement.form_value(), "conversation:4:statement:12");
        assert_eq!(
            Cited::parse("conversation:4:statement:12"),
            Ok(Some(Cited::Conversation(statement)))
        );
        assert_eq!(
            Cited::parse("conversation:4:group:B"),
            Ok(Some(Cited::Conversation(ConversationRef {
                conversation_id: 4,
                part: ConversationPart::Group("B".into())
            })))
        );
        assert!(matches!(Cited::parse("12:t3"), Ok(Some(Cited::Theme(_)))));
        for bad in [
            "conversation:4",
            "conversation:x:group:A",
            "conversation:4:group:ab",
            "conversation:4:row:1",
        ] {
            assert_eq!(Cited::parse(bad), Err(NoSuchTheme), "{bad}");
        }
    }
}
