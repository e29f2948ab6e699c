//! The text of a piece of HTML, read with html5ever's tokenizer alone: no tree is built, so the
//! work is linear in the input however it nests.

use std::cell::{Cell, RefCell};

use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer,
};
use html5ever::{LocalName, local_name};

/// Elements whose content is not text a reader sees: dropped with them.
fn drops_content(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("script")
            | local_name!("style")
            | local_name!("iframe")
            | local_name!("object")
            | local_name!("embed")
            | local_name!("noscript")
            | local_name!("template")
            | local_name!("svg")
            | local_name!("math")
            | local_name!("textarea")
            | local_name!("select")
            | local_name!("title")
            | local_name!("xmp")
            | local_name!("noembed")
            | local_name!("noframes")
            | local_name!("head")
    )
}

/// Elements that separate words: `<p>a</p><p>b</p>` reads "a b", not "ab".
fn separates(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("p")
            | local_name!("br")
            | local_name!("div")
            | local_name!("li")
            | local_name!("h1")
            | local_name!("h2")
            | local_name!("h3")
            | local_name!("h4")
            | local_name!("h5")
            | local_name!("h6")
            | local_name!("td")
            | local_name!("th")
            | local_name!("tr")
            | local_name!("ul")
            | local_name!("ol")
            | local_name!("blockquote")
            | local_name!("pre")
            | local_name!("hr")
            | local_name!("dt")
            | local_name!("dd")
            | local_name!("section")
            | local_name!("article")
            | local_name!("table")
    )
}

/// How the tokenizer must read what follows a start tag (as a browser's parser tells it).
fn raw_kind(name: &LocalName) -> Option<TokenSinkResult<()>> {
    Some(match *name {
        local_name!("script") => TokenSinkResult::RawData(RawKind::ScriptData),
        local_name!("style")
        | local_name!("xmp")
        | local_name!("iframe")
        | local_name!("noembed")
        | local_name!("noframes") => TokenSinkResult::RawData(RawKind::Rawtext),
        local_name!("textarea") | local_name!("title") => TokenSinkResult::RawData(RawKind::Rcdata),
        local_name!("plaintext") => TokenSinkResult::Plaintext,
        _ => return None,
    })
}

struct TextSink {
    text: RefCell<String>,
    /// The element whose content is being dropped, and how many of it are open.
    dropping: RefCell<Option<(LocalName, usize)>>,
    /// Whether a space is owed before the next text.
    space: Cell<bool>,
}

impl TextSink {
    fn tag(&self, tag: &Tag) {
        let opens = tag.kind == TagKind::StartTag && !tag.self_closing;
        let mut dropping = self.dropping.borrow_mut();
        match dropping.as_mut() {
            Some((name, open)) if *name == tag.name => {
                if tag.kind == TagKind::EndTag {
                    *open -= 1;
                    if *open == 0 {
                        *dropping = None;
                    }
                } else if opens {
                    *open += 1;
                }
            }
            Some(_) => {}
            None if opens && drops_content(&tag.name) => *dropping = Some((tag.name.clone(), 1)),
            None => {}
        }
        if separates(&tag.name) {
            self.space.set(true);
        }
    }
}

impl TokenSink for TextSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        match token {
            Token::TagToken(tag) => {
                self.tag(&tag);
                if tag.kind == TagKind::StartTag
                    && let Some(kind) = raw_kind(&tag.name)
                {
                    return kind;
                }
            }
            Token::CharacterTokens(t) if self.dropping.borrow().is_none() => {
                let mut text = self.text.borrow_mut();
                if self.space.replace(false) && !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(&t);
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// The text of `html`, entities decoded, with a space wherever a block element started or
/// ended (whitespace is not collapsed here).
pub fn text_of(html: &str) -> String {
    let sink = TextSink {
        text: RefCell::new(String::with_capacity(html.len())),
        dropping: RefCell::new(None),
        space: Cell::new(false),
    };
    let tokenizer = Tokenizer::new(sink, Default::default());
    let input = BufferQueue::default();
    input.push_back(html5ever::tendril::StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.text.take()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_without_markup_or_hidden_content() {
        assert_eq!(
            text_of("<p>Fish &amp; chips</p><p>are <b>good</b></p><script>x('<p>')</script>"),
            "Fish & chips are good"
        );
        assert_eq!(
            text_of("a<svg><svg></svg>hidden</svg>b<style>p{}</style>c"),
            "abc"
        );
        assert_eq!(text_of("&lt;script&gt;"), "<script>");
    }

    #[test]
    fn deep_nesting_is_read_without_a_tree() {
        let n = 200_000;
        let html = format!("{}x{}", "<div>".repeat(n), "</div>".repeat(n));
        assert_eq!(text_of(&html).trim(), "x");
    }
}
