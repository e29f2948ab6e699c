//! Types and rules, with no HTTP and no SQL: values are parsed once at the edge into types
//! that cannot hold invalid data, and every rule a user can break yields a [`FieldErrors`].

pub mod chain;
pub mod conversation;
pub mod draft;
pub mod evidence;
pub mod exercise;
pub mod feed;
pub mod idea;
pub mod media;
pub mod network;
pub mod organisation;
pub mod post;
pub mod programme;
pub mod register_import;
pub mod review;
pub mod role;
pub mod sign_in;
pub mod subscription;
pub mod table;
pub mod text;
pub mod time;
pub mod user;

use crate::domain::time::Timestamp;
use serde::Serialize;

/// Validation messages by field, in the order the fields appear on the form.
///
/// Pages show them in a GOV.UK error summary; the API returns them as `fields`.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// One message for one field.
    pub fn one(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    /// Records the first message for a field; later ones for the same field are dropped
    /// because GOV.UK pages show one message per field.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        if !self.0.iter().any(|e| e.field == field) {
            self.0.push(FieldError {
                field: field.to_string(),
                message: message.into(),
            });
        }
    }

    /// Keeps the value when `result` is Ok, records the message otherwise.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }

    /// `Ok(value)` when there were no errors.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

/// A name read from the database that no variant has (a row written by a newer release, or
/// by hand): decoding the row fails with this rather than guessing.
#[derive(Debug, thiserror::Error)]
#[error("{what} has no value called {name:?}")]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
}

/// `TryFrom<String>` for an enum with `ALL` and `as_str`, so the store decodes its column
/// into the enum (`#[sqlx(try_from = "String")]`).
macro_rules! decode_by_name {
    ($name:ident) => {
        impl TryFrom<String> for $name {
            type Error = $crate::domain::UnknownName;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s).ok_or(
                    $crate::domain::UnknownName {
                        what: stringify!($name),
                        name: s,
                    },
                )
            }
        }
    };
}
pub(crate) use decode_by_name;

/// Declares an enum kept in the database, and shown, as one name per variant: `ALL`,
/// `as_str`, `Serialize` and `Deserialize` as the name, and decoding from a column
/// ([`decode_by_name!`]).
macro_rules! named {
    ($(#[$meta:meta])* pub enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = String::deserialize(d)?;
                $name::try_from(name).map_err(serde::de::Error::custom)
            }
        }

        $crate::domain::decode_by_name!($name);
    };
}
pub(crate) use named;

named! {
    /// Where a moment falls in a window that opens and closes: consultations and idea
    /// challenges both have one.
    pub enum WindowState {
        Upcoming = "upcoming",
        Open = "open",
        Closed = "closed",
    }
}

/// Where `at` falls in a window that opens at `opens_at` and closes at `closes_at` (Unix
/// seconds).
pub fn window_state(opens_at: Timestamp, closes_at: Timestamp, at: Timestamp) -> WindowState {
    if at < opens_at {
        WindowState::Upcoming
    } else if at < closes_at {
        WindowState::Open
    } else {
        WindowState::Closed
    }
}

/// A 1-based page number of a list, from 1 to [`PageNumber::MAX`], so that the offset it
/// makes can never overflow or go negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageNumber(i64);

impl PageNumber {
    pub const MAX: i64 = 100_000;

    /// Reads `?page=`: absent or empty is page 1.
    pub fn parse(given: Option<&str>) -> Result<PageNumber, String> {
        match given.map(str::trim) {
            None | Some("") => Ok(PageNumber(1)),
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=Self::MAX).contains(n))
                .map(PageNumber)
                .ok_or_else(|| format!("page must be a whole number from 1 to {}", Self::MAX)),
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }

    /// How many items come before this page, at `per_page` items a page.
    pub fn offset(self, per_page: i64) -> i64 {
        (self.0 - 1) * per_page
    }
}

impl Default for PageNumber {
    fn default() -> Self {
        PageNumber(1)
    }
}

#[cfg(test)]
mod page_number_tests {
    use super::PageNumber;

    #[test]
    fn pages_are_read_within_range() {
        assert_eq!(PageNumber::parse(None), Ok(PageNumber(1)));
        assert_eq!(PageNumber::parse(Some("3")).unwrap().offset(20), 40);
        for bad in [
            "0",
            "-1",
            "9223372036854775807",
            "-9223372036854775808",
            "1e3",
            "x",
        ] {
            assert!(PageNumber::parse(Some(bad)).is_err(), "{bad}");
        }
    }
}
