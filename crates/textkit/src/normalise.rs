//! Text normalisation for responses as they arrive from real sources.
//!
//! Responses are pasted from word processors, e-mail clients and other survey tools, so
//! they carry HTML tags, entities, compatibility characters (full-width letters,
//! ligatures), zero-width characters and odd whitespace. [`normalise`] turns all of that
//! into plain, readable text that is safe to show and stable to compare.
//!
//! Guarantees (checked by property tests):
//! - it never panics, whatever the input;
//! - it is idempotent: `normalise(&normalise(x)) == normalise(x)`;
//! - the output has no control or format characters, no HTML tag (`<` is never directly
//!   followed by a letter, `/`, `!` or `?`), no character entity (`&` is never directly
//!   followed by a letter or `#`), no leading, trailing or repeated whitespace, and is in
//!   Unicode NFKC form.

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// Inline elements whose tags are removed without leaving a space, so that
/// `<b>word</b>s` stays one word; every other tag becomes a word break.
const INLINE_TAGS: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "em", "font", "i", "kbd", "mark", "q", "s",
    "samp", "small", "span", "strong", "sub", "sup", "u", "var", "wbr",
];

/// Elements whose content is not text a person wrote (scripts, styles).
const SKIP_CONTENT_TAGS: &[&str] = &["script", "style", "head", "title"];

/// Normalises one response: NFKC, control characters removed, HTML tags removed (script and
/// style content dropped), character entities decoded, whitespace collapsed to single spaces.
///
/// Case is kept: quotes shown to people should look like what they wrote.
pub fn normalise(input: &str) -> String {
    // NFKC first so that compatibility forms of `<` and `&` are seen as markup, and control
    // characters out before tags so that a zero-width space cannot hide a tag.
    let cleaned: String = if input.is_ascii() {
        // ASCII is already NFKC: skip the (comparatively slow) normaliser.
        input.chars().filter_map(clean_char).collect()
    } else {
        input.nfkc().filter_map(clean_char).collect()
    };
    let stripped = strip_markup(&cleaned);
    // Decoded entities may be compatibility characters (`&#xFF1C;`): normalise again.
    if stripped.is_ascii() || is_nfkc_quick(stripped.chars()) == IsNormalized::Yes {
        finish(&stripped)
    } else {
        finish(&stripped.nfkc().collect::<String>())
    }
}

/// Maps a character to what survives cleaning: whitespace and line breaks become a space,
/// other control and format characters (zero-width, bidi overrides, BOM) disappear.
fn clean_char(c: char) -> Option<char> {
    if c.is_whitespace() {
        Some(' ')
    } else if c.is_control() || is_format(c) {
        None
    } else {
        Some(c)
    }
}

/// Unicode general category Cf (format) characters that matter in practice, plus the
/// private-use and noncharacter ranges that never carry meaning in a response.
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{E000}'..='\u{F8FF}' | '\u{FDD0}'..='\u{FDEF}'
        | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}'
        | '\u{F0000}'..='\u{10FFFF}')
}

/// True when `<` followed by this character starts markup.
fn starts_tag(c: char) -> bool {
    c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?')
}

/// Removes tags and comments, drops script/style content and decodes entities. Decoded
/// characters are literal text: they are never read again as markup.
fn strip_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        let b = bytes[i];
        if b == b'<'
            && rest[1..].chars().next().is_some_and(starts_tag)
            && let Some(end) = tag_end(rest)
        {
            let tag = &rest[..end];
            let name = tag_name(tag);
            let closing = tag.starts_with("</");
            if !closing && SKIP_CONTENT_TAGS.contains(&name.as_str()) {
                // Skip to the matching close tag (or the end of the text).
                let close = format!("</{name}");
                let after = &rest[end..];
                let lower = after.to_ascii_lowercase();
                let skip = lower.find(&close).map(|p| {
                    let tail = &after[p..];
                    p + tail.find('>').map_or(tail.len(), |q| q + 1)
                });
                i += end + skip.unwrap_or(after.len());
                out.push(' ');
                continue;
            }
            if !INLINE_TAGS.contains(&name.as_str()) {
                out.push(' ');
            }
            i += end;
            continue;
        }
        if b == b'&'
            && let Some((decoded, len)) = decode_entity(rest)
        {
            if let Some(c) = clean_char(decoded) {
                out.push(c);
            }
            i += len;
            continue;
        }
        // Plain character: copy it whole.
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Byte length of the tag or comment at the start of `s` (which starts with `<`), or
/// `None` when it is never closed (then the `<` is plain text).
fn tag_end(s: &str) -> Option<usize> {
    if let Some(body) = s.strip_prefix("<!--") {
        return body.find("-->").map(|p| p + 4 + 3);
    }
    // Quotes are deliberately not special: a browser-like reading of quoted attributes would
    // let an unbalanced quote hide a `>` and leave tag-like text in the output.
    for (i, b) in s.bytes().enumerate().skip(1) {
        match b {
            b'>' => return Some(i + 1),
            // A new `<` before `>` means the first `<` was text, not a tag.
            b'<' => return None,
            _ => {}
        }
    }
    None
}

/// Lower-case element name of a tag such as `</P class=x>` → `p`.
fn tag_name(tag: &str) -> String {
    tag.trim_start_matches('<')
        .trim_start_matches('/')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Decodes the entity at the start of `s` (which starts with `&`): returns the character and
/// the entity's byte length, or `None` when it is not a known, well-formed entity.
fn decode_entity(s: &str) -> Option<(char, usize)> {
    let end = s.char_indices().take(12).find(|(_, c)| *c == ';')?.0;
    let body = &s[1..end];
    let c = if let Some(num) = body.strip_prefix('#') {
        let code = if let Some(hex) = num.strip_prefix('x').or_else(|| num.strip_prefix('X')) {
            u32::from_str_radix(hex, 16).ok()?
        } else {
            num.parse::<u32>().ok()?
        };
        char::from_u32(code).unwrap_or('\u{FFFD}')
    } else {
        match body {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" | "ensp" | "emsp" | "thinsp" => ' ',
            "ndash" => '–',
            "mdash" => '—',
            "lsquo" => '‘',
            "rsquo" => '’',
            "ldquo" => '“',
            "rdquo" => '”',
            "hellip" => '…',
            "pound" => '£',
            "euro" => '€',
            "copy" => '©',
            "reg" => '®',
            "trade" => '™',
            "deg" => '°',
            "middot" => '·',
            "bull" => '•',
            "eacute" => 'é',
            "egrave" => 'è',
            "acirc" => 'â',
            "ecirc" => 'ê',
            "icirc" => 'î',
            "ocirc" => 'ô',
            "ucirc" => 'û',
            "wcirc" => 'ŵ',
            "ycirc" => 'ŷ',
            "auml" => 'ä',
            "ouml" => 'ö',
            "uuml" => 'ü',
            _ => return None,
        }
    };
    Some((c, end + 1))
}

/// Collapses whitespace, trims, and defuses anything that would read as markup a second time
/// (a literal `<b>` that came from `&lt;b&gt;` becomes `< b>`), which keeps the function
/// idempotent and its output inert.
fn finish(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
        let rest = &s[i..];
        let defuse = match c {
            '<' => rest[1..].chars().next().is_some_and(starts_tag) && tag_end(rest).is_some(),
            '&' => decode_entity(rest).is_some(),
            _ => false,
        };
        if defuse {
            out.push(' ');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_and_decodes_entities() {
        assert_eq!(
            normalise("<p>Fix the <b>bus</b>es&nbsp;&amp; trains</p><p>please</p>"),
            "Fix the buses & trains please"
        );
    }

    #[test]
    fn drops_script_and_comments() {
        assert_eq!(
            normalise("a<script>alert(1)</script>b<!-- hidden -->c"),
            "a b c"
        );
        assert_eq!(normalise("x<STYLE>p{}</STYLE>y"), "x y");
    }

    #[test]
    fn keeps_plain_less_than() {
        assert_eq!(
            normalise("waits < 2 weeks & >3 <3"),
            "waits < 2 weeks & >3 <3"
        );
    }

    #[test]
    fn escaped_markup_stays_inert() {
        let once = normalise("&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(once, "< script>alert(1)< /script>");
        assert_eq!(normalise(&once), once);
    }

    #[test]
    fn nfkc_and_invisible_characters() {
        assert_eq!(
            normalise("ﬁne\u{200B} ｗｏｒｋ\u{00A0}\t\r\nhere\u{FEFF}"),
            "fine work here"
        );
    }

    #[test]
    fn unclosed_tag_is_text() {
        assert_eq!(normalise("a <b and c"), "a <b and c");
        assert_eq!(normalise("AT&T &c"), "AT&T &c");
    }

    #[test]
    fn welsh_and_other_scripts_survive() {
        assert_eq!(
            normalise("Mae&#39;r gwasanaeth yn dda iawn ŵ ŷ"),
            "Mae'r gwasanaeth yn dda iawn ŵ ŷ"
        );
        assert_eq!(normalise("公共交通 <i>很好</i>"), "公共交通 很好");
        assert_eq!(normalise("النقل العام"), "النقل العام");
    }
}
