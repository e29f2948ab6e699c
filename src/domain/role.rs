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

/// A user's roles after an admin who administers only `administered` saves the role form:
/// what they chose there, plus every role held elsewhere, untouched (an admin can neither
/// give nor take away roles in organisations they do not administer).
pub fn roles_after_edit(
    held: &[(i64, Role)],
    chosen: &[(i64, Role)],
    administered: &[i64],
) -> Vec<(i64, Role)> {
    let mut roles: Vec<(i64, Role)> = held
        .iter()
        .filter(|(org, _)| !administered.contains(org))
        .copied()
        .collect();
    for r in chosen {
        if administered.contains(&r.0) && !roles.contains(r) {
            roles.push(*r);
        }
    }
    roles
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

    #[test]
    fn an_admin_changes_roles_only_where_they_administer() {
        let held = [(1, Role::Editor), (2, Role::Admin)];
        let chosen = [(1, Role::Analyst), (2, Role::Admin), (3, Role::Admin)];
        assert_eq!(
            roles_after_edit(&held, &chosen, &[1]),
            vec![(2, Role::Admin), (1, Role::Analyst)]
        );
        assert_eq!(roles_after_edit(&held, &[], &[1, 2]), vec![]);
    }
}
