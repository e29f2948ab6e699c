//! Roles, held per organisation.
//!
//! A role held in an organisation also applies to the organisations below it (a
//! department's editor may edit its arm's-length bodies' blogs), and `admin` implies every
//! other role there.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Editor,
    Moderator,
    Analyst,
    Programme,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Editor,
        Role::Moderator,
        Role::Analyst,
        Role::Programme,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Moderator => "moderator",
            Role::Analyst => "analyst",
            Role::Programme => "programme",
        }
    }

    /// What the role is for, as shown next to its checkbox.
    pub fn description(self) -> &'static str {
        match self {
            Role::Admin => {
                "Organisations, users and roles, settings and backups; can do everything"
            }
            Role::Editor => {
                "Writes posts and pages, runs consultations and surveys, subscribes feeds"
            }
            Role::Moderator => "Approves or rejects comments and ideas, pauses comments",
            Role::Analyst => {
                "Reviews themes in responses and writes \u{201c}you said, we did\u{201d}"
            }
            Role::Programme => "Keeps strategies, commitments, projects and case studies current",
        }
    }

    pub fn parse(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                format!("Unknown role {s:?}: choose admin, editor, moderator, analyst or programme")
            })
    }

    /// True when holding `self` lets a user act as `needed`.
    pub fn grants(self, needed: Role) -> bool {
        self == needed || self == Role::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_grants_everything_and_others_only_themselves() {
        for r in Role::ALL {
            assert!(Role::Admin.grants(r));
            assert!(r.grants(r));
        }
        assert!(!Role::Editor.grants(Role::Moderator));
        assert!(!Role::Analyst.grants(Role::Admin));
        assert_eq!(Role::parse("Editor").unwrap(), Role::Editor);
        assert!(Role::parse("root").is_err());
    }
}
