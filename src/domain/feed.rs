//! Feeds from other sites: the address an editor types, and an item as it is stored.

/// Checks a feed URL: http or https, with a host, at most 2,000 characters. Whether the host
/// is allowed (not a private address) is decided when it is fetched, per redirect.
pub fn parse_feed_url(input: &str) -> Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("Enter the address of the feed".into());
    }
    if s.len() > 2000 {
        return Err("The feed address must be 2,000 characters or fewer".into());
    }
    let url = url::Url::parse(s)
        .map_err(|_| "Enter a full web address, like https://example.org/feed.xml".to_string())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err("The feed address must start with http:// or https://".into());
    }
    Ok(url.to_string())
}

/// One item of a feed. Titles and authors are plain text (templates escape them); the HTML
/// fields have been through `sanitise_html` with relative links made
/// absolute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedItem {
    /// A stable identifier: the item's id/guid, else its link, else a hash of its title and
    /// date (`sha256:…`).
    pub guid: String,
    /// Plain text; "Untitled" when the item has no usable title.
    pub title: String,
    /// The item's page on the original site (absolute http/https): the "Original source".
    pub link: Option<String>,
    /// The first author's name, plain text.
    pub author: Option<String>,
    /// Publication time in Unix seconds (the `updated` time when there is no `published`).
    pub published: Option<i64>,
    /// Sanitised HTML.
    pub summary_html: Option<String>,
    /// Sanitised HTML.
    pub content_html: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_urls_must_be_web_addresses() {
        assert_eq!(
            parse_feed_url(" https://example.org/feed ").unwrap(),
            "https://example.org/feed"
        );
        for bad in [
            "",
            "example.org/feed",
            "ftp://example.org/x",
            "javascript:alert(1)",
            "file:///etc/passwd",
        ] {
            assert!(parse_feed_url(bad).is_err(), "{bad}");
        }
    }
}
