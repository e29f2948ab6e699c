//! Rendering untrusted text to inert HTML: Markdown for posts, and HTML from other sites.
//!
//! Everything passes through ammonia's allow-list, so no script, event handler or
//! `javascript:` URL survives, whatever a writer types or a feed sends.

/// Renders Markdown to sanitised HTML.
pub fn markdown_to_html(markdown: &str) -> String {
    let mut options = pulldown_cmark::Options::empty();
    options.insert(pulldown_cmark::Options::ENABLE_TABLES);
    options.insert(pulldown_cmark::Options::ENABLE_STRIKETHROUGH);
    let parser = pulldown_cmark::Parser::new_ext(markdown, options);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    sanitise_html(&html)
}

/// Sanitises HTML from elsewhere to the allow-list.
pub fn sanitise_html(html: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer"))
        .clean(html)
        .to_string()
}

/// Plain text of at most `max_chars`, cut at a word, for summaries and snippets.
pub fn plain_text(html: &str, max_chars: usize) -> String {
    let text = ammonia::Builder::empty().clean(html).to_string();
    let text = text
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'");
    let mut out = String::new();
    let mut count = 0;
    for w in text.split_whitespace() {
        let n = w.chars().count();
        if count + n + 1 > max_chars {
            out.push('…');
            return out;
        }
        if !out.is_empty() {
            out.push(' ');
            count += 1;
        }
        out.push_str(w);
        count += n;
    }
    out
}
