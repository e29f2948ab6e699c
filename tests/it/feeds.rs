//! Fetching and parsing feeds against small local servers (`std::net` threads on 127.0.0.1).
//!
//! Every server thread handles each connection for at most a few seconds; the accept loops
//! end with the test process.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use townhall::feeds::{FetchError, FetchOutcome, FetchPolicy, Validators, fetch, parse};

use crate::sanitise::{assert_inert, xss_corpus};

/// What a fixture server does with a request.
pub(crate) enum Reply {
    /// Writes these bytes (a whole HTTP response) and closes.
    Bytes(Vec<u8>),
    /// Writes the head, then the body one byte a second.
    Drip { head: Vec<u8>, body: Vec<u8> },
    /// Reads the request and never answers (closes after `Duration`).
    Silent(Duration),
}

pub(crate) struct Server {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
    pub(crate) fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Starts a server; `handler` gets the request head (request line and headers).
pub(crate) fn serve(handler: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let handler = Arc::new(handler);
    let (h, r) = (hits.clone(), requests.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            h.fetch_add(1, Ordering::SeqCst);
            let (handler, r) = (handler.clone(), r.clone());
            std::thread::spawn(move || handle(stream, &*handler, &r));
        }
    });
    Server {
        addr,
        hits,
        requests,
    }
}

fn handle(mut stream: TcpStream, handler: &dyn Fn(&str) -> Reply, requests: &Mutex<Vec<String>>) {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let head = String::from_utf8_lossy(&head).to_string();
    requests.lock().unwrap().push(head.clone());
    match handler(&head) {
        Reply::Bytes(bytes) => {
            let _ = stream.write_all(&bytes);
        }
        Reply::Drip { head, body } => {
            let _ = stream.write_all(&head);
            for byte in body.iter().take(8) {
                if stream.write_all(&[*byte]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        Reply::Silent(hold) => std::thread::sleep(hold),
    }
}

pub(crate) fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    Reply::Bytes(bytes)
}

pub(crate) fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/feeds/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A server answering every request with one fixture file.
pub(crate) fn serve_fixture(name: &str, content_type: &'static str) -> Server {
    let body = fixture(name);
    serve(move |_| response("200 OK", &[("Content-Type", content_type)], &body))
}

/// The test servers listen on loopback, so the tests allow private addresses.
fn local() -> FetchPolicy {
    FetchPolicy {
        allow_private: true,
        timeout: Duration::from_secs(5),
        ..FetchPolicy::default()
    }
}

/// Fetches and parses, expecting success.
fn fetch_feed(url: &str) -> townhall::feeds::ParsedFeed {
    match fetch(url, &Validators::default(), &local()).unwrap() {
        FetchOutcome::Fetched {
            body, final_url, ..
        } => parse(&body, &final_url).unwrap(),
        FetchOutcome::NotModified => panic!("unexpected 304"),
    }
}

#[test]
fn feeds_rss_091() {
    let server = serve_fixture("rss091.xml", "application/rss+xml");
    let feed = fetch_feed(&server.url("/rss.xml"));
    assert_eq!(feed.title, "Café notes");
    assert_eq!(feed.items.len(), 2);
    assert_eq!(feed.items[0].title, "Opening hours changed");
    assert_eq!(
        feed.items[0].link.as_deref(),
        Some("http://notes.example.org/hours")
    );
    assert_eq!(feed.items[1].title, "Naïve questions");
    assert_eq!(feed.items[1].link, Some(server.url("/naive")));
    let summary = feed.items[0].summary_html.as_deref().unwrap();
    assert!(summary.contains("<b>nine</b>"), "{summary}");
}

#[test]
fn feeds_rss_10_rdf() {
    let server = serve_fixture("rss10.rdf", "application/rdf+xml");
    let feed = fetch_feed(&server.url("/feed.rdf"));
    assert_eq!(feed.title, "Statistics releases");
    let item = &feed.items[0];
    assert_eq!(item.title, "Quarterly figures");
    assert_eq!(
        item.link.as_deref(),
        Some("https://rdf.example.org/releases/1")
    );
    assert_eq!(item.author.as_deref(), Some("Office for Numbers"));
    assert_eq!(item.published, Some(1_740_821_400));
}

#[test]
fn feeds_rss_20_with_validators_relative_links_and_untitled_items() {
    let body = fixture("rss20.xml");
    let server = serve(move |_| {
        response(
            "200 OK",
            &[
                ("Content-Type", "application/rss+xml"),
                ("ETag", "\"v1\""),
                ("Last-Modified", "Mon, 02 Jun 2025 10:00:00 GMT"),
            ],
            &body,
        )
    });
    let outcome = fetch(&server.url("/feed"), &Validators::default(), &local()).unwrap();
    let FetchOutcome::Fetched {
        body,
        etag,
        last_modified,
        final_url,
    } = outcome
    else {
        panic!("expected a body")
    };
    assert_eq!(etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        last_modified.as_deref(),
        Some("Mon, 02 Jun 2025 10:00:00 GMT")
    );
    assert_eq!(final_url, server.url("/feed"));
    let feed = parse(&body, &final_url).unwrap();
    assert_eq!(feed.title, "Digital blog");
    assert_eq!(
        feed.site_url.as_deref(),
        Some("https://digital.example.gov.uk/")
    );
    let first = &feed.items[0];
    assert_eq!(first.guid, "post-42");
    assert_eq!(first.author.as_deref(), Some("Sam Jones"));
    assert_eq!(first.published, Some(1_748_858_400));
    let link = server.url("/blog/working-in-the-open");
    assert_eq!(first.link.as_deref(), Some(link.as_str()));
    let content = first.content_html.as_deref().unwrap();
    let strategy = format!(r#"href="{}""#, server.url("/strategy"));
    let chart = format!(r#"src="{}""#, server.url("/blog/images/chart.png"));
    assert!(content.contains(&strategy), "{content}");
    assert!(content.contains(&chart), "{content}");
    assert!(content.contains(r#"class="govuk-heading-l""#), "{content}");
    assert_eq!(feed.items[1].title, "Untitled");
    assert_eq!(
        feed.items[1].guid,
        "https://digital.example.gov.uk/blog/no-title"
    );

    // The request named us and asked for feeds.
    let requests = server.requests.lock().unwrap();
    let head = requests[0].to_ascii_lowercase();
    assert!(head.contains("user-agent: townhall feed reader"), "{head}");
    assert!(head.contains("accept: application/atom+xml"), "{head}");
}

#[test]
fn feeds_atom() {
    let server = serve_fixture("atom.xml", "application/atom+xml");
    let feed = fetch_feed(&server.url("/feed.atom"));
    assert_eq!(feed.title, "Data blog");
    assert_eq!(feed.site_url.as_deref(), Some("https://data.example.org/"));
    let item = &feed.items[0];
    assert_eq!(item.title, "Open data matters");
    assert_eq!(item.guid, "tag:data.example.org,2025:1");
    assert_eq!(item.author.as_deref(), Some("Priya Patel"));
    assert_eq!(item.published, Some(1_746_100_800));
    assert!(item.link.as_deref().unwrap().ends_with("/posts/open-data"));
    let summary = item.summary_html.as_deref().unwrap();
    assert!(summary.contains("Plain &lt;text&gt; summary"), "{summary}");
    let content = item.content_html.as_deref().unwrap();
    assert!(content.contains("<strong>XHTML</strong>"), "{content}");
}

#[test]
fn feeds_json_feed() {
    let server = serve_fixture("feed.json", "application/feed+json");
    let feed = fetch_feed(&server.url("/feed.json"));
    assert_eq!(feed.title, "Design notes");
    assert_eq!(
        feed.site_url.as_deref(),
        Some("https://design.example.org/")
    );
    let item = &feed.items[0];
    assert_eq!(item.title, "Forms that work");
    assert_eq!(item.author.as_deref(), Some("Alex Kim"));
    let content = item.content_html.as_deref().unwrap();
    assert!(content.contains("Ask one question per page."), "{content}");
    assert!(!content.contains("script"), "{content}");
    assert_eq!(feed.items[1].title, "Untitled");
    assert_eq!(feed.items[1].guid, "2");
}

#[test]
fn feeds_malformed_xml_and_html_pages_are_not_feeds() {
    for (name, body) in [
        ("malformed", fixture("malformed.xml")),
        (
            "html",
            b"<!doctype html><html><body><p>Not a feed</p></body></html>".to_vec(),
        ),
        ("text", b"hello".to_vec()),
    ] {
        let server = serve(move |_| response("200 OK", &[("Content-Type", "text/xml")], &body));
        let FetchOutcome::Fetched {
            body, final_url, ..
        } = fetch(&server.url("/"), &Validators::default(), &local()).unwrap()
        else {
            panic!("expected a body")
        };
        let err = parse(&body, &final_url).unwrap_err().to_string();
        assert!(err.starts_with("not a feed: "), "{name}: {err}");
    }
}

#[test]
fn feeds_a_6_mb_feed_is_refused() {
    let mut big =
        b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Big</title>".to_vec();
    while big.len() < 6 * 1024 * 1024 {
        big.extend_from_slice(b"<item><title>padding padding padding padding</title></item>\n");
    }
    big.extend_from_slice(b"</channel></rss>");
    let big = Arc::new(big);

    // With a Content-Length: refused from the header.
    let b = big.clone();
    let server = serve(move |_| response("200 OK", &[], &b));
    let err = fetch(&server.url("/big"), &Validators::default(), &local()).unwrap_err();
    assert_eq!(err.to_string(), "the feed is larger than 5 MB");

    // Without one (the body ends when the connection closes): refused while reading.
    let b = big.clone();
    let server = serve(move |_| {
        let mut bytes = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
        bytes.extend_from_slice(&b);
        Reply::Bytes(bytes)
    });
    let err = fetch(&server.url("/big"), &Validators::default(), &local()).unwrap_err();
    assert!(matches!(err, FetchError::TooLarge { .. }), "{err}");
}

#[test]
fn feeds_a_slow_server_hits_the_total_timeout() {
    let server = serve(|_| Reply::Drip {
        head: b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".to_vec(),
        body: vec![b'x'; 100],
    });
    let policy = FetchPolicy {
        timeout: Duration::from_secs(2),
        ..local()
    };
    let started = Instant::now();
    let err = fetch(&server.url("/slow"), &Validators::default(), &policy).unwrap_err();
    assert_eq!(err.to_string(), "the feed took longer than 2 seconds");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn feeds_a_server_that_never_answers_hits_the_timeout() {
    let server = serve(|_| Reply::Silent(Duration::from_secs(4)));
    let policy = FetchPolicy {
        timeout: Duration::from_millis(1500),
        ..local()
    };
    let started = Instant::now();
    let err = fetch(&server.url("/"), &Validators::default(), &policy).unwrap_err();
    assert!(matches!(err, FetchError::Timeout { .. }), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn feeds_redirects_are_followed_then_limited() {
    // /old → /new (relative Location) → the feed.
    let body = fixture("atom.xml");
    let server = serve(move |head| {
        if head.starts_with("GET /old ") {
            response("301 Moved Permanently", &[("Location", "/new")], b"")
        } else {
            response("200 OK", &[], &body)
        }
    });
    let FetchOutcome::Fetched { final_url, .. } =
        fetch(&server.url("/old"), &Validators::default(), &local()).unwrap()
    else {
        panic!("expected a body")
    };
    assert_eq!(final_url, server.url("/new"));

    // A loop: /a → /b → /a …
    let server = serve(|head| {
        let to = if head.starts_with("GET /a ") {
            "/b"
        } else {
            "/a"
        };
        response("302 Found", &[("Location", to)], b"")
    });
    let err = fetch(&server.url("/a"), &Validators::default(), &local()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "too many redirects (more than 5); the feed may redirect in a loop"
    );
    assert_eq!(server.requests.lock().unwrap().len(), 6);
}

#[test]
fn feeds_a_redirect_to_a_private_address_is_refused() {
    // The first server is allowed by exact address (as an intranet host would be); it
    // redirects to the cloud metadata address and to another loopback server, which must
    // both be refused without a connection.
    let target = serve(|_| response("200 OK", &[], b"secret"));
    let to_target = target.url("/latest/meta-data/");
    let target_port = target.addr.port();
    let first = serve(move |head| {
        if head.starts_with("GET /metadata ") {
            response(
                "302 Found",
                &[("Location", "http://169.254.169.254/latest/meta-data/")],
                b"",
            )
        } else {
            let other = to_target.replace("127.0.0.1", "127.0.0.2");
            response("307 Temporary Redirect", &[("Location", &other)], b"")
        }
    });
    let policy = FetchPolicy {
        allow_private: false,
        allow_addresses: vec![IpAddr::from([127, 0, 0, 1])],
        timeout: Duration::from_secs(5),
        ..FetchPolicy::default()
    };
    let err = fetch(&first.url("/metadata"), &Validators::default(), &policy).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the address 169.254.169.254 is on a private network (link-local); fetching from \
         private addresses needs --feeds-allow-private"
    );
    let err = fetch(&first.url("/other"), &Validators::default(), &policy).unwrap_err();
    assert!(
        matches!(err, FetchError::PrivateAddress { ip, .. } if ip == IpAddr::from([127, 0, 0, 2])),
        "{err} (port {target_port})"
    );
    assert_eq!(target.hits(), 0);
}

#[test]
fn feeds_private_addresses_are_refused_before_connecting() {
    let server = serve(|_| response("200 OK", &[], b"<rss/>"));
    let policy = FetchPolicy::default();
    for url in [
        server.url("/feed"),
        format!("http://localhost:{}/feed", server.addr.port()),
        format!("http://[::1]:{}/feed", server.addr.port()),
        format!("http://[::ffff:127.0.0.1]:{}/feed", server.addr.port()),
        format!("http://2130706433:{}/feed", server.addr.port()), // 127.0.0.1 as a number
        format!("http://0x7f.1:{}/feed", server.addr.port()),
    ] {
        let err = fetch(&url, &Validators::default(), &policy).unwrap_err();
        assert!(
            matches!(err, FetchError::PrivateAddress { .. }),
            "{url}: {err}"
        );
        assert!(
            err.to_string()
                .ends_with("fetching from private addresses needs --feeds-allow-private"),
            "{err}"
        );
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(server.hits(), 0, "a connection was made");
}

#[test]
fn feeds_304_with_etag() {
    let server = serve(|head| {
        let lower = head.to_ascii_lowercase();
        if lower.contains("if-none-match: \"abc\"")
            && lower.contains("if-modified-since: mon, 02 jun 2025")
        {
            response("304 Not Modified", &[("ETag", "\"abc\"")], b"")
        } else {
            response("200 OK", &[("ETag", "\"abc\"")], b"<rss/>")
        }
    });
    let validators = Validators {
        etag: Some("\"abc\"".into()),
        last_modified: Some("Mon, 02 Jun 2025 10:00:00 GMT".into()),
    };
    let outcome = fetch(&server.url("/feed"), &validators, &local()).unwrap();
    assert_eq!(outcome, FetchOutcome::NotModified);
    // Without validators the body comes back with its ETag.
    let outcome = fetch(&server.url("/feed"), &Validators::default(), &local()).unwrap();
    assert!(matches!(outcome, FetchOutcome::Fetched { etag: Some(ref e), .. } if e == "\"abc\""));
}

#[test]
fn feeds_error_statuses_are_reported() {
    let server = serve(|_| response("404 Not Found", &[], b"nope"));
    let url = server.url("/missing");
    let err = fetch(&url, &Validators::default(), &local()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("the feed at {url} answered 404 (Not Found)")
    );
}

#[test]
fn feeds_items_with_xss_payloads_are_inert() {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut rss = String::from(
        r#"<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>&lt;script&gt;alert(1)&lt;/script&gt;Evil</title>"#,
    );
    let mut atom = String::from(r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>"#);
    let corpus = xss_corpus();
    for (i, payload) in corpus.iter().enumerate() {
        let p = escape(payload);
        rss.push_str(&format!(
            "<item><guid>{i}</guid><title>{p}</title><link>{p}</link><description>{p}</description><content:encoded>{p}</content:encoded></item>"
        ));
        atom.push_str(&format!(
            r#"<entry><id>{i}</id><title type="html">{p}</title><link href="{}"/><summary type="html">{p}</summary><content type="html">{p}</content></entry>"#,
            p.replace('"', "&quot;")
        ));
    }
    rss.push_str("</channel></rss>");
    atom.push_str("</feed>");
    for body in [rss, atom] {
        let feed = parse(body.as_bytes(), "https://feeds.example.org/feed").unwrap();
        assert!(!feed.title.contains('<'), "{}", feed.title);
        assert_eq!(feed.items.len(), corpus.len());
        for (item, payload) in feed.items.iter().zip(&corpus) {
            // Titles are plain text with no tags left (the template escapes them anyway).
            assert!(
                !item.title.to_ascii_lowercase().contains("<script"),
                "{}",
                item.title
            );
            if let Some(link) = &item.link {
                assert!(
                    link.starts_with("http://") || link.starts_with("https://"),
                    "{link}"
                );
            }
            for html in [&item.summary_html, &item.content_html]
                .into_iter()
                .flatten()
            {
                assert_inert(html, payload);
            }
        }
    }
}

#[test]
fn feeds_items_are_capped() {
    let mut rss = String::from(r#"<rss version="2.0"><channel><title>Flood</title>"#);
    for i in 0..1000 {
        rss.push_str(&format!(
            "<item><guid>{i}</guid><title>Item {i}</title></item>"
        ));
    }
    rss.push_str("</channel></rss>");
    let feed = parse(rss.as_bytes(), "https://flood.example/").unwrap();
    assert_eq!(feed.items.len(), townhall::feeds::parse::MAX_ITEMS);
    assert_eq!(feed.items[0].title, "Item 0");
}
