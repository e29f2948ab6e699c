//! A consultation's draft document, commented on paragraph by paragraph: splitting its
//! Markdown into numbered paragraphs, the bounds on its size, checking a comment, and
//! ordering paragraphs by how much they were discussed.
//!
//! Headings stay headings and are not numbered; every other top-level block (a paragraph,
//! a whole list, a block quote, a table) is one numbered paragraph, rendered on its own by
//! the sanitiser, so what a comment points at is exactly what readers see under its number.

use super::FieldErrors;
use super::text::required_line;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The longest draft, in characters (a long consultation document is about 60,000).
pub const MAX_DRAFT_CHARS: usize = 100_000;
/// The most numbered paragraphs a draft may have.
pub const MAX_PARAGRAPHS: usize = 500;
/// The longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 2_000;
/// The longest name given with a comment.
pub const MAX_NAME_CHARS: usize = 100;
/// Fewer approved comments than this on a paragraph are read one by one: themes found in
/// a handful of texts would say more about the engine than about the comments.
pub const MIN_COMMENTS_FOR_THEMES: usize = 5;

super::named! {
    /// A comment is held for moderation, then approved (shown and analysed) or rejected
    /// with a reason.
    pub enum CommentStatus {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
    }
}

/// One block of a draft as pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftBlock {
    /// A paragraph's number, from 1; `None` for a heading.
    pub number: Option<u32>,
    /// A heading's level on the page (3 or 4: the page's own headings are above it).
    pub heading_level: Option<u8>,
    /// A heading's text (plain: templates escape it).
    pub text: String,
    /// A paragraph's HTML, made safe by the sanitiser.
    pub html: String,
}

/// A checked draft: its source and its blocks. No blocks means no draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub markdown: String,
    pub blocks: Vec<DraftBlock>,
}

impl Draft {
    /// How many numbered paragraphs it has.
    pub fn paragraphs(&self) -> u32 {
        paragraph_count(&self.blocks)
    }
}

/// How many numbered paragraphs `blocks` have.
pub fn paragraph_count(blocks: &[DraftBlock]) -> u32 {
    blocks.iter().filter_map(|b| b.number).max().unwrap_or(0)
}

/// Paragraph `number` of `blocks`.
pub fn paragraph(blocks: &[DraftBlock], number: u32) -> Option<&DraftBlock> {
    blocks.iter().find(|b| b.number == Some(number))
}

/// Splits `markdown` into headings and numbered paragraphs, each paragraph rendered by the
/// sanitiser. The error says what to change.
pub fn split(markdown: &str) -> Result<Vec<DraftBlock>, String> {
    let mut blocks = Vec::new();
    let mut number = 0u32;
    for block in ::sanitise::blocks::markdown_blocks(markdown) {
        match block {
            ::sanitise::blocks::Block::Heading { level, text } => blocks.push(DraftBlock {
                number: None,
                heading_level: Some(if level <= 2 { 3 } else { 4 }),
                text,
                html: String::new(),
            }),
            ::sanitise::blocks::Block::Text(source) => {
                number += 1;
                if number as usize > MAX_PARAGRAPHS {
                    return Err(format!(
                        "The draft has more than {MAX_PARAGRAPHS} paragraphs: split it into \
                         several consultations, or join short paragraphs"
                    ));
                }
                let rendered = ::sanitise::render_markdown(&source)
                    .map_err(|e| format!("Paragraph {number}: the text {e}"))?;
                blocks.push(DraftBlock {
                    number: Some(number),
                    heading_level: None,
                    text: String::new(),
                    html: rendered.html.trim_end().to_string(),
                });
            }
        }
    }
    Ok(blocks)
}

/// Checks a draft as an editor typed it. `commented_up_to` is the highest paragraph that
/// has comments: a new version must keep that many paragraphs, or comments would point at
/// nothing. An empty draft (allowed only without comments) removes it.
pub fn check_draft(markdown: &str, commented_up_to: Option<u32>) -> Result<Draft, FieldErrors> {
    let markdown = markdown.replace("\r\n", "\n");
    let fail = |m: String| FieldErrors::one("draft", m);
    let length = markdown.chars().count();
    if length > MAX_DRAFT_CHARS {
        return Err(fail(format!(
            "The draft must be {MAX_DRAFT_CHARS} characters or fewer (it has {length}): \
             shorten it or split it into several consultations"
        )));
    }
    let blocks = split(&markdown).map_err(fail)?;
    let paragraphs = paragraph_count(&blocks);
    if !markdown.trim().is_empty() && paragraphs == 0 {
        return Err(fail(
            "Add at least one paragraph of text under the headings".into(),
        ));
    }
    if let Some(highest) = commented_up_to
        && paragraphs < highest
    {
        let now = if paragraphs == 0 {
            "Removing the draft".to_string()
        } else {
            format!("This version has {paragraphs} paragraphs")
        };
        return Err(fail(format!(
            "People have commented on paragraph {highest}. {now} would leave their comments \
             without a paragraph: keep at least {highest} paragraphs"
        )));
    }
    Ok(Draft {
        markdown: markdown.trim_end().to_string(),
        blocks,
    })
}

/// A comment as checked: the text, and the name to show with it (empty: anonymous).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComment {
    pub body: String,
    pub name: String,
}

/// Checks a comment on a paragraph; errors name the fields `comment` and `name`.
pub fn check_comment(body: &str, name: &str) -> Result<NewComment, FieldErrors> {
    let mut errors = FieldErrors::new();
    let body = body.trim().replace("\r\n", "\n");
    let length = body.chars().count();
    if body.is_empty() {
        errors.add("comment", "Enter your comment on this paragraph");
    } else if length > MAX_COMMENT_CHARS {
        errors.add(
            "comment",
            format!(
                "Your comment must be {MAX_COMMENT_CHARS} characters or fewer (it has \
                 {length}): shorten it, or comment on each paragraph it is about"
            ),
        );
    }
    let name = if name.trim().is_empty() {
        Some(String::new())
    } else {
        errors.check("name", required_line(name, "your name", MAX_NAME_CHARS))
    };
    match name {
        Some(name) if errors.is_empty() => Ok(NewComment { body, name }),
        _ => Err(errors),
    }
}

/// Paragraphs with comments, the most discussed first (then in the draft's order): from
/// (paragraph, comments) counts.
pub fn most_discussed(counts: &BTreeMap<u32, usize>) -> Vec<(u32, usize)> {
    let mut ranked: Vec<(u32, usize)> = (counts.iter())
        .filter(|(_, n)| **n > 0)
        .map(|(p, n)| (*p, *n))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(blocks: &[DraftBlock]) -> Vec<Option<u32>> {
        blocks.iter().map(|b| b.number).collect()
    }

    #[test]
    fn headings_stay_headings_and_every_other_block_is_one_numbered_paragraph() {
        let md = "# The plan\n\nWe will open later.\n\n## What changes\n\n- Mondays\n- Tuesdays\n\n> A quote\n\n### Detail\n\nLast words.";
        let blocks = split(md).unwrap();
        assert_eq!(
            numbers(&blocks),
            vec![None, Some(1), None, Some(2), Some(3), None, Some(4)]
        );
        assert_eq!(blocks[0].text, "The plan");
        assert_eq!(
            (blocks[0].heading_level, blocks[5].heading_level),
            (Some(3), Some(4))
        );
        assert_eq!(
            blocks[1].html,
            "<p class=\"govuk-body\">We will open later.</p>"
        );
        assert!(
            blocks[3].html.contains("<li>Mondays</li>"),
            "{}",
            blocks[3].html
        );
        assert!(blocks[3].html.contains("<li>Tuesdays</li>"));
        assert_eq!(paragraph_count(&blocks), 4);
        assert!(paragraph(&blocks, 4).unwrap().html.contains("Last words."));
        assert!(paragraph(&blocks, 5).is_none());
    }

    #[test]
    fn paragraphs_are_sanitised() {
        let blocks = split("Hello <script>alert(1)</script> <b onclick=\"x()\">there</b>\n\n[link](javascript:alert(1))").unwrap();
        let all: String = blocks.iter().map(|b| b.html.as_str()).collect();
        assert!(
            !all.contains("<script") && !all.contains("onclick") && !all.contains("javascript:"),
            "{all}"
        );
        assert!(all.contains("<b>there</b>"), "{all}");
    }

    #[test]
    fn sizes_are_bounded() {
        let long = "word ".repeat(MAX_DRAFT_CHARS / 5 + 1);
        let e = check_draft(&long, None).unwrap_err();
        assert!(
            e.get("draft")
                .unwrap()
                .contains("100000 characters or fewer")
        );
        let many = "Para.\n\n".repeat(MAX_PARAGRAPHS + 1);
        let e = check_draft(&many, None).unwrap_err();
        assert!(e.get("draft").unwrap().contains("more than 500 paragraphs"));
        assert_eq!(
            check_draft(&"Para.\n\n".repeat(MAX_PARAGRAPHS), None)
                .unwrap()
                .paragraphs(),
            500
        );
        let deep = format!("{}x", "> ".repeat(200));
        assert!(
            check_draft(&deep, None)
                .unwrap_err()
                .get("draft")
                .unwrap()
                .starts_with("Paragraph 1: the text nests")
        );
    }

    #[test]
    fn a_new_version_keeps_every_commented_paragraph() {
        let thirty: String = (1..=30).map(|i| format!("Paragraph {i}.\n\n")).collect();
        let d = check_draft(&thirty, Some(12)).unwrap();
        assert_eq!(d.paragraphs(), 30);
        let ten: String = (1..=10).map(|i| format!("Paragraph {i}.\n\n")).collect();
        let e = check_draft(&ten, Some(12)).unwrap_err();
        assert!(
            e.get("draft")
                .unwrap()
                .contains("keep at least 12 paragraphs")
        );
        assert!(check_draft("", Some(1)).is_err());
        assert!(
            check_draft("  ", None).unwrap().blocks.is_empty(),
            "empty removes the draft"
        );
        assert!(check_draft("# Only a heading", None).is_err());
        assert_eq!(
            check_draft("a\r\n\r\nb\r\n", None).unwrap().markdown,
            "a\n\nb"
        );
    }

    #[test]
    fn comments_are_checked() {
        let c = check_comment("  Too early.\r\nMake it later. ", "").unwrap();
        assert_eq!(
            (c.body.as_str(), c.name.as_str()),
            ("Too early.\nMake it later.", "")
        );
        assert_eq!(check_comment("Fine", " Ann ").unwrap().name, "Ann");
        let e = check_comment("  ", "x".repeat(101).as_str()).unwrap_err();
        assert!(e.get("comment").is_some() && e.get("name").is_some());
        let e = check_comment(&"x".repeat(MAX_COMMENT_CHARS + 1), "").unwrap_err();
        assert!(
            e.get("comment")
                .unwrap()
                .contains("2000 characters or fewer")
        );
    }

    #[test]
    fn the_most_discussed_come_first() {
        let counts = BTreeMap::from([(3, 2), (12, 5), (7, 5), (9, 0)]);
        assert_eq!(most_discussed(&counts), vec![(7, 5), (12, 5), (3, 2)]);
    }
}
