//! A Markdown document's top-level blocks, for pages that number and discuss a text block by
//! block (a consultation's draft): each heading with its text, and every other block
//! (a paragraph, a whole list, a block quote, a table, a code block, an HTML block) with its
//! own Markdown source, to be rendered with [`crate::render_markdown`] on its own.
//!
//! The parser is the one [`crate::render_markdown`] uses, with the same options, so a block
//! here is a block there. Thematic breaks (`---`) carry no text and are left out, and so are
//! link reference definitions: each block is rendered alone, so a reference link must be
//! written inline (`[text](address)`) to work.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// One top-level block of a Markdown document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// A heading: its level (1 for `#`) and its text, without markup.
    Heading { level: u8, text: String },
    /// Any other block, as its Markdown source.
    Text(String),
}

/// The top-level blocks of `markdown`, in order. Linear in its length: the parser reads it
/// once and each block's source is a slice of it.
pub fn markdown_blocks(markdown: &str) -> Vec<Block> {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SMART_PUNCTUATION;
    let mut blocks = Vec::new();
    let mut depth = 0usize;
    // The heading being read: its level and the text so far.
    let mut heading: Option<(u8, String)> = None;
    for (event, range) in Parser::new_ext(markdown, options).into_offset_iter() {
        match event {
            Event::Start(tag) => {
                if depth == 0 {
                    match tag {
                        Tag::Heading { level, .. } => {
                            heading = Some((level_number(level), String::new()))
                        }
                        _ => {
                            // An indented code block's range starts after its indentation,
                            // which is what makes it code: the block starts at its line.
                            let line = markdown[..range.start].rfind('\n').map_or(0, |i| i + 1);
                            let start = if markdown[line..range.start].trim().is_empty() {
                                line
                            } else {
                                range.start
                            };
                            let source = markdown[start..range.end].trim_end().to_string();
                            if !source.trim().is_empty() {
                                blocks.push(Block::Text(source));
                            }
                        }
                    }
                }
                depth += 1;
            }
            Event::End(end) => {
                depth = depth.saturating_sub(1);
                if depth == 0
                    && matches!(end, TagEnd::Heading(_))
                    && let Some((level, text)) = heading.take()
                {
                    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    blocks.push(Block::Heading { level, text });
                }
            }
            Event::Text(t) | Event::Code(t) | Event::InlineHtml(t) => {
                if let Some((_, text)) = heading.as_mut() {
                    text.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some((_, text)) = heading.as_mut() {
                    text.push(' ');
                }
            }
            _ => {}
        }
    }
    blocks
}

fn level_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_paragraphs_lists_and_quotes_are_one_block_each() {
        let md = "# Our plan\n\nFirst paragraph\nstill first.\n\n- one\n- two\n\n  more of two\n\n> quoted\n> still quoted\n\n---\n\n## Costs `now`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n    code\n";
        let blocks = markdown_blocks(md);
        assert_eq!(
            blocks,
            vec![
                Block::Heading {
                    level: 1,
                    text: "Our plan".into()
                },
                Block::Text("First paragraph\nstill first.".into()),
                Block::Text("- one\n- two\n\n  more of two".into()),
                Block::Text("> quoted\n> still quoted".into()),
                Block::Heading {
                    level: 2,
                    text: "Costs now".into()
                },
                Block::Text("| a | b |\n|---|---|\n| 1 | 2 |".into()),
                Block::Text("    code".into()),
            ]
        );
    }

    #[test]
    fn setext_headings_and_html_blocks() {
        let blocks = markdown_blocks("Title\n=====\n\n<div>raw</div>\n\ntext <b>bold</b>\n");
        assert_eq!(
            blocks[0],
            Block::Heading {
                level: 1,
                text: "Title".into()
            }
        );
        assert_eq!(blocks[1], Block::Text("<div>raw</div>".into()));
        assert_eq!(blocks[2], Block::Text("text <b>bold</b>".into()));
        assert!(markdown_blocks("  \n\n\n").is_empty());
    }
}
