//! Small validated text types shared by many forms.

use serde::Serialize;
use std::fmt;

/// A URL slug: 1 to 80 of `a-z`, `0-9` and single hyphens, not starting or ending with one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slug(String);

impl Slug {
    pub fn parse(input: &str) -> Result<Slug, String> {
        let s = input.trim();
        if s.is_empty() {
            return Err("Enter a short name for the web address".into());
        }
        if s.len() > 80 {
            return Err("Short name must be 80 characters or fewer".into());
        }
        let valid = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if !valid {
            return Err("Short name must use only lowercase letters, numbers and single hyphens, like health-data".into());
        }
        Ok(Slug(s.to_string()))
    }

    /// Makes a slug from a title: "Digital Strategy 2026!" becomes `digital-strategy-2026`.
    pub fn from_title(title: &str) -> Slug {
        let mut out = String::new();
        for c in title.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            if out.len() >= 80 {
                break;
            }
        }
        let trimmed = out.trim_end_matches('-');
        Slug(if trimmed.is_empty() {
            "untitled".to_string()
        } else {
            trimmed.to_string()
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A place on this site to send someone to (after signing in, say), from a `next` they were
/// given. It is read the way a browser reads it against this site's address (tabs and
/// newlines dropped, a backslash taken as a slash) and kept only if it stays on this site; what
/// is kept is the parsed URL written out again, so it is always a valid `Location` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPath(String);

impl LocalPath {
    /// `None` for anything that is not a path on this site (`//other.example`, `/\t/other`,
    /// `https://…`, `javascript:…`).
    pub fn parse(given: &str) -> Option<LocalPath> {
        let here = url::Url::parse("http://this-site.invalid/").expect("a valid URL");
        if !given.starts_with('/') {
            return None;
        }
        let url = here.join(given).ok()?;
        if url.origin() != here.origin() {
            return None;
        }
        let mut path = url.path().to_string();
        if let Some(query) = url.query() {
            path.push('?');
            path.push_str(query);
        }
        if let Some(fragment) = url.fragment() {
            path.push('#');
            path.push_str(fragment);
        }
        Some(LocalPath(path))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Required single-line text, trimmed, with a length limit; `what` names it in messages.
pub fn required_line(input: &str, what: &str, max: usize) -> Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err(format!("Enter {what}"));
    }
    if s.chars().count() > max {
        return Err(format!(
            "{} must be {max} characters or fewer",
            capitalise(what)
        ));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(format!("{} must be on one line", capitalise(what)));
    }
    Ok(s.to_string())
}

/// Optional multi-line text, trimmed, with a length limit.
pub fn optional_text(input: &str, what: &str, max: usize) -> Result<String, String> {
    let s = input.trim();
    if s.chars().count() > max {
        return Err(format!(
            "{} must be {max} characters or fewer",
            capitalise(what)
        ));
    }
    Ok(s.replace("\r\n", "\n"))
}

/// "an email address" → "An email address"; "the name" → "Name" reads better in messages.
fn capitalise(what: &str) -> String {
    let what = what
        .strip_prefix("the ")
        .or_else(|| what.strip_prefix("a "))
        .or_else(|| what.strip_prefix("an "))
        .unwrap_or(what);
    let mut c = what.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The words of sanitised HTML, for the search index.
pub fn searchable_text(html: &str) -> String {
    ::sanitise::plain_text(html, usize::MAX)
}

/// At most `max` characters of `text` on one line, cut at a word with "…" when longer: a
/// summary in a message or list.
pub fn snippet(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let cut: String = line.chars().take(max).collect();
    let at_word = cut.rfind(' ').filter(|i| *i > max / 2).unwrap_or(cut.len());
    format!("{}…", cut[..at_word].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_checked_and_made_from_titles() {
        assert!(Slug::parse("health-data").is_ok());
        assert!(Slug::parse("Health").is_err());
        assert!(Slug::parse("-x").is_err());
        assert!(Slug::parse("a--b").is_err());
        assert!(Slug::parse("").is_err());
        assert_eq!(
            Slug::from_title("Digital Strategy 2026!").as_str(),
            "digital-strategy-2026"
        );
        assert_eq!(Slug::from_title("!!!").as_str(), "untitled");
        assert!(Slug::parse(Slug::from_title(&"ab ".repeat(100)).as_str()).is_ok());
    }

    #[test]
    fn lines_are_trimmed_and_bounded() {
        assert_eq!(required_line("  Name ", "a name", 10).unwrap(), "Name");
        assert_eq!(
            required_line(" ", "a name", 10).unwrap_err(),
            "Enter a name"
        );
        assert_eq!(
            required_line("abcdefghijk", "a name", 10).unwrap_err(),
            "Name must be 10 characters or fewer"
        );
        assert!(required_line("a\nb", "a name", 10).is_err());
    }

    #[test]
    fn next_stays_on_this_site_however_it_is_written() {
        let ok = |s: &str| LocalPath::parse(s).map(|p| p.as_str().to_string());
        assert_eq!(
            ok("/admin/posts?x=1#top").as_deref(),
            Some("/admin/posts?x=1#top")
        );
        for other in [
            "//evil.example/",
            "/\t/evil.example/",
            "/\\evil.example",
            "\\/evil.example",
            "/\r\n/evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            " //evil.example",
            "",
        ] {
            assert_eq!(ok(other), None, "{other:?}");
        }
        // Newlines are dropped as a browser drops them, so no header can be injected.
        let injected = ok("/admin\r\nSet-Cookie: a=b").unwrap();
        let visible = |s: &str| s.bytes().all(|b| b.is_ascii_graphic());
        assert!(visible(&injected), "{injected}");
        let encoded = ok("/caf\u{e9}\u{1}\"<").unwrap();
        assert!(visible(&encoded), "{encoded}");
    }
}
