//! Public pages kept as the bytes sent, for every visitor who is not signed in: a handler
//! marks its response [`ForEveryone`] with the topics it shows (`store::versions`), and
//! [`serve`] keeps it per address (host, path and query) with its gzip and brotli variants
//! (each made once, when a request first accepts it), an `ETag` and a `Last-Modified`, and
//! answers the next request for that
//! address from memory (or with a 304) until one of those topics changes or the page's own
//! time comes (a scheduled post, a consultation opening). No handler, query or template runs
//! for a kept page.
//!
//! Such a page must not differ between visitors: forms for visitors who are not signed in
//! carry no per-visitor token (`Viewer`, and ARCHITECTURE.md "Security" for why that is
//! still safe), a response that sets a cookie is never kept, and a signed-in viewer (a
//! session cookie) or an API client (an `Authorization` header) always gets a page made
//! for them (`Viewer::render_public` marks a page only for a visitor who is not signed in).
//! [`serve`] sits outside every other layer, so a kept page costs a lookup and a write; it
//! went through the other layers (security headers, error pages) when it was made.

use crate::App;
use crate::domain::time::Timestamp;
use crate::store::versions::{Topic, Versions};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::Body as _;
use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

/// What a proxy or browser may do with a page kept here: keep it, but ask again each time
/// (a 304 costs us almost nothing, and nothing stale is ever shown after an edit).
const PUBLIC: HeaderValue = HeaderValue::from_static("public, no-cache");
/// The same page made for a signed-in viewer is theirs alone.
pub const PRIVATE: HeaderValue = HeaderValue::from_static("private, no-cache");
/// A shared cache must tell signed-in viewers (their session cookie) and encodings apart.
const VARY: HeaderValue = HeaderValue::from_static("accept-encoding, cookie");
/// The largest page kept; larger ones (big downloads) are made for each request.
const MAX_PAGE: u64 = 4 * 1024 * 1024;
/// The bytes kept at most, every variant counted; beyond it the pages nobody asked for again
/// since the last time it was reached are dropped (all of them if every page was), so a
/// crawler walking every page and query grows memory only so far, and readers' pages stay.
const BUDGET: usize = 48 * 1024 * 1024;

/// Marks a response as the same for every visitor who is not signed in, showing `topics`.
/// It is made again when one of them changes, and whenever public pages change by
/// themselves (`Db::next_timed_change`: a scheduled post appears, a consultation opens).
#[derive(Clone, Debug)]
pub struct ForEveryone {
    topics: Vec<Topic>,
}

impl ForEveryone {
    /// A page that changes when one of `topics` does.
    pub fn showing(topics: &[Topic]) -> Self {
        ForEveryone {
            topics: topics.to_vec(),
        }
    }

    /// `response`, marked.
    pub fn mark(self, response: impl IntoResponse) -> Response {
        let mut response = response.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// One kept page.
struct Page {
    topics: Vec<Topic>,
    versions: Vec<i64>,
    until: Option<Timestamp>,
    /// The route template that made it, for metrics.
    route: String,
    headers: HeaderMap,
    etag: HeaderValue,
    modified: SystemTime,
    identity: Bytes,
    /// The compressed variants, each made when a request first accepts it: most pages are
    /// read only by browsers (brotli), some only through a proxy or CDN (often gzip), and a
    /// crawler's page may never be read again.
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
    /// Asked for again since the store was last full.
    used: AtomicBool,
}

impl Page {
    fn size(&self) -> usize {
        let made = |v: &OnceLock<Bytes>| v.get().map_or(0, Bytes::len);
        self.identity.len() + made(&self.gzip) + made(&self.brotli)
    }

    fn is_fresh(&self, versions: &Versions, now: Timestamp) -> bool {
        self.until.is_none_or(|until| now < until) && versions.of(&self.topics) == self.versions
    }

    /// The answer to a request with `headers`: 304 when the client's copy is this one,
    /// otherwise the variant it accepts best (made now if it is the first to accept it),
    /// and the bytes that variant added to the page.
    fn respond(&self, request: &HeaderMap, head: bool) -> (Response, usize) {
        if self.not_modified(request) {
            let mut r = StatusCode::NOT_MODIFIED.into_response();
            let h = r.headers_mut();
            h.insert(header::ETAG, self.etag.clone());
            h.insert(header::CACHE_CONTROL, PUBLIC);
            h.insert(header::VARY, VARY);
            return (r, 0);
        }
        let mut made = 0;
        let (body, encoding) = match Encoding::accepted(request) {
            Encoding::Brotli => (self.variant(&self.brotli, brotli, &mut made), Some("br")),
            Encoding::Gzip => (self.variant(&self.gzip, gzip, &mut made), Some("gzip")),
            Encoding::Identity => (&self.identity, None),
        };
        let length = body.len();
        let mut r = if head {
            Response::new(Body::empty())
        } else {
            Response::new(Body::from(body.clone()))
        };
        let h = r.headers_mut();
        h.clone_from(&self.headers);
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        if let Some(e) = encoding {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
        }
        (r, made)
    }

    /// A compressed variant, made now by the first request that accepts it (the others
    /// asking at the same moment wait for it rather than compress it again); `made` is
    /// set to its size when this call made it.
    fn variant<'a>(
        &self,
        kept: &'a OnceLock<Bytes>,
        compress: fn(&[u8]) -> Bytes,
        made: &mut usize,
    ) -> &'a Bytes {
        kept.get_or_init(|| {
            let bytes = compress(&self.identity);
            *made = bytes.len();
            bytes
        })
    }

    fn not_modified(&self, request: &HeaderMap) -> bool {
        if let Some(tags) = request.get(header::IF_NONE_MATCH) {
            let ours = weak_opaque(self.etag.as_bytes());
            return tags.to_str().is_ok_and(|tags| {
                tags.split(',')
                    .map(|t| t.trim())
                    .any(|t| t == "*" || weak_opaque(t.as_bytes()) == ours)
            });
        }
        let since = request.get(header::IF_MODIFIED_SINCE);
        let since = since.and_then(|v| httpdate::parse_http_date(v.to_str().ok()?).ok());
        since.is_some_and(|since| self.modified <= since)
    }
}

/// An entity tag without its weakness prefix: `If-None-Match` compares tags weakly.
fn weak_opaque(tag: &[u8]) -> &[u8] {
    tag.strip_prefix(b"W/").unwrap_or(tag)
}

#[derive(Debug, PartialEq)]
enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// The best encoding the request accepts (`q=0` refuses one).
    fn accepted(request: &HeaderMap) -> Encoding {
        let mut brotli = false;
        let mut gzip = false;
        for value in request.get_all(header::ACCEPT_ENCODING) {
            for item in value.to_str().unwrap_or_default().split(',') {
                let mut parts = item.split(';').map(str::trim);
                let name = parts.next().unwrap_or_default();
                let refused = parts.any(|p| {
                    p.strip_prefix("q=")
                        .is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q <= 0.0))
                });
                match name {
                    "br" => brotli = !refused,
                    "gzip" => gzip = !refused,
                    _ => {}
                }
            }
        }
        match (brotli, gzip) {
            (true, _) => Encoding::Brotli,
            (_, true) => Encoding::Gzip,
            _ => Encoding::Identity,
        }
    }
}

/// The kept pages, by address.
#[derive(Default)]
pub struct SharedPages {
    pages: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    by_address: HashMap<String, Arc<Page>>,
    bytes: usize,
}

impl SharedPages {
    fn fresh(&self, address: &str, versions: &Versions) -> Option<Arc<Page>> {
        let kept = self.pages.lock().ok()?;
        let page = kept.by_address.get(address)?;
        let fresh = page.is_fresh(versions, crate::store::now());
        fresh.then(|| {
            page.used.store(true, Ordering::Relaxed);
            page.clone()
        })
    }

    fn keep(&self, address: String, page: Arc<Page>) {
        self.keep_within(BUDGET, address, page);
    }

    fn keep_within(&self, budget: usize, address: String, page: Arc<Page>) {
        let Ok(mut kept) = self.pages.lock() else {
            return;
        };
        if kept.bytes + page.size() > budget {
            // Second chance: the pages asked for since the last time stay, once more.
            kept.by_address
                .retain(|_, p| p.used.swap(false, Ordering::Relaxed));
            kept.bytes = kept.by_address.values().map(|p| p.size()).sum();
            if kept.bytes + page.size() > budget {
                kept.by_address.clear();
                kept.bytes = 0;
            }
        }
        kept.bytes += page.size();
        if let Some(old) = kept.by_address.insert(address, page) {
            kept.bytes -= old.size();
        }
    }

    /// Counts a variant just made for `page`, if it is still the one kept at `address`.
    fn grew(&self, address: &str, page: &Arc<Page>, bytes: usize) {
        let Ok(mut kept) = self.pages.lock() else {
            return;
        };
        if kept
            .by_address
            .get(address)
            .is_some_and(|p| Arc::ptr_eq(p, page))
        {
            kept.bytes += bytes;
        }
    }

    /// How many pages and bytes are kept, for `/metrics`.
    pub fn usage(&self) -> (usize, usize) {
        self.pages
            .lock()
            .map(|k| (k.by_address.len(), k.bytes))
            .unwrap_or_default()
    }
}

/// Whether the request is from someone who may see a page made for them alone: a session
/// cookie (signed in, or it was) or an API client's `Authorization`.
fn is_personal(request: &Request) -> bool {
    let signed_in = (request.headers().get_all(header::COOKIE).iter())
        .filter_map(|v| v.to_str().ok())
        .any(|c| c.contains(crate::web::viewer::SESSION_COOKIE));
    signed_in || request.headers().contains_key(header::AUTHORIZATION)
}

/// For the compression layer: a page to be kept is compressed by [`serve`] instead, once.
pub fn not_kept(
    _: StatusCode,
    _: axum::http::Version,
    _: &HeaderMap,
    extensions: &axum::http::Extensions,
) -> bool {
    extensions.get::<ForEveryone>().is_none()
}

/// Unmarks a page made for one person ([`serve`] keeps none of them), so that it is
/// compressed like any other response: a signed-in reader's page, a feed an API client reads.
pub async fn made_for_one(request: Request, next: Next) -> Response {
    let personal = is_personal(&request);
    let mut response = next.run(request).await;
    if personal {
        response.extensions_mut().remove::<ForEveryone>();
    }
    response
}

/// The route a kept page was made by, for its metrics (`middleware::measure` notes it).
#[derive(Clone, Debug)]
pub struct Route(pub String);

/// The middleware, outside every other layer: answers from a kept page when there is a
/// fresh one (counting it as `measure` would), otherwise lets the layers and the handler
/// make the page and keeps it when the handler marked it [`ForEveryone`].
pub async fn serve(State(app): State<App>, request: Request, next: Next) -> Response {
    let head = request.method() == Method::HEAD;
    if !(request.method() == Method::GET || head) {
        return next.run(request).await;
    }
    // A page reads on one connection, taken at its first query (`store::held`).
    crate::store::held::one_connection(serve_reading(app, request, next, head)).await
}

async fn serve_reading(app: App, request: Request, next: Next, head: bool) -> Response {
    if is_personal(&request) {
        return next.run(request).await;
    }
    let host = request.headers().get(header::HOST);
    let host = host.and_then(|h| h.to_str().ok()).unwrap_or_default();
    let path = request.uri().path_and_query().map(|p| p.as_str());
    let address = format!("{host}{}", path.unwrap_or("/"));
    let versions = app.db.versions();
    if let Some(page) = app.shared_pages.fresh(&address, versions) {
        let start = std::time::Instant::now();
        let view = crate::web::analytics::PageView::begin(&app, &request);
        let (response, grown) = page.respond(request.headers(), head);
        if grown > 0 {
            app.shared_pages.grew(&address, &page, grown);
        }
        match view {
            // The reader's browser showed its own copy of the page: still a view.
            Some(view)
                if response.status() == StatusCode::NOT_MODIFIED
                    && crate::web::analytics::is_html(&page.headers) =>
            {
                view.count(&app)
            }
            Some(view) => view.finish(&app, &response),
            None => {}
        }
        crate::web::middleware::count(&page.route, request.method(), &response, start);
        return response;
    }
    // Read before the page is made: a write while it is made leaves it already out of date.
    let seen = versions.snapshot();
    // Answering this request from the page once it is kept needs what it accepts.
    let asked = request.headers().clone();
    let mut response = next.run(request).await;
    let Some(mark) = response.extensions().get::<ForEveryone>().cloned() else {
        return response;
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, PUBLIC);
    h.insert(header::VARY, VARY);
    let keepable = response.status() == StatusCode::OK
        && !head
        && !response.headers().contains_key(header::SET_COOKIE)
        && !response.headers().contains_key(header::CONTENT_ENCODING)
        && (response.body().size_hint().upper()).is_some_and(|n| n <= MAX_PAGE);
    if !keepable {
        return response;
    }
    let Ok(until) = app.db.next_timed_change().await else {
        return response;
    };
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE as usize).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let versions = (mark.topics.iter())
        .map(|t| seen.get(t).copied().unwrap_or(0))
        .collect();
    let route = parts.extensions.get::<Route>();
    let route = route.map_or_else(|| "unmatched".into(), |r| r.0.clone());
    let mut headers = parts.headers;
    // This request's own; a kept page answers later requests.
    let request_id = headers.remove("x-request-id");
    let page = Arc::new(made(bytes, headers, (mark, versions, until), route));
    app.shared_pages.keep(address.clone(), page.clone());
    // Answered as the requests to come will be: compressed if it accepts it (that variant
    // made now, once), or a 304 when its copy is the same page made before.
    let (mut response, grown) = page.respond(&asked, false);
    if grown > 0 {
        app.shared_pages.grew(&address, &page, grown);
    }
    if let Some(id) = request_id {
        response.headers_mut().insert("x-request-id", id);
    }
    response
}

/// A page with its variants and validators.
fn made(
    identity: Bytes,
    mut headers: HeaderMap,
    (mark, versions, until): (ForEveryone, Vec<i64>, Option<Timestamp>),
    route: String,
) -> Page {
    use sha2::{Digest, Sha256};
    let etag = format!("W/\"{}\"", hex::encode(&Sha256::digest(&identity)[..12]));
    let etag = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("W/\"0\""));
    // In whole seconds, as HTTP dates are.
    let modified =
        SystemTime::UNIX_EPOCH + Duration::from_secs(crate::store::now().secs().max(0) as u64);
    headers.remove(header::CONTENT_LENGTH);
    headers.insert(header::ETAG, etag.clone());
    headers.insert(
        header::LAST_MODIFIED,
        HeaderValue::from_str(&httpdate::fmt_http_date(modified))
            .unwrap_or(HeaderValue::from_static("")),
    );
    Page {
        topics: mark.topics,
        versions,
        until,
        route,
        etag,
        modified,
        gzip: OnceLock::new(),
        brotli: OnceLock::new(),
        identity,
        headers,
        used: AtomicBool::new(false),
    }
}

fn gzip(bytes: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default().into()
}

fn brotli(bytes: &[u8]) -> Bytes {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        // Quality 5 gives the same size as 6 within 0.1% on our pages (2,402 bytes against
        // 2,400 for a post with 20 comments) in three quarters of the time (0.25 ms, 0.32).
        quality: 5,
        // A 256 KB window, not the default 4 MB: the encoder clears tables sized by the
        // window before it starts, which was most of a 20 KB page's cost (0.35 ms instead of
        // 0.75–0.95 ms, the same bytes out). Larger pages lose a little ratio. Smaller windows
        // than this fall on a path several times slower in this encoder.
        lgwin: 18,
        ..Default::default()
    };
    let _ = brotli::BrotliCompress(&mut &bytes[..], &mut out, &params);
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(value: &str) -> Encoding {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        Encoding::accepted(&h)
    }

    #[test]
    fn the_best_encoding_the_client_accepts() {
        assert_eq!(accepting("gzip, deflate, br, zstd"), Encoding::Brotli);
        assert_eq!(accepting("gzip"), Encoding::Gzip);
        assert_eq!(accepting("br;q=0, gzip;q=0.5"), Encoding::Gzip);
        assert_eq!(accepting("identity"), Encoding::Identity);
        assert_eq!(accepting("gzip;q=0"), Encoding::Identity);
        assert_eq!(Encoding::accepted(&HeaderMap::new()), Encoding::Identity);
    }

    #[test]
    fn variants_decode_to_the_page() {
        use std::io::Read;
        let html = "<p>the same for everyone</p>".repeat(100);
        let mut g = String::new();
        flate2::read::GzDecoder::new(&gzip(html.as_bytes())[..])
            .read_to_string(&mut g)
            .unwrap();
        assert_eq!(g, html);
        let mut b = Vec::new();
        brotli::BrotliDecompress(&mut &brotli(html.as_bytes())[..], &mut b).unwrap();
        assert_eq!(b, html.as_bytes());
    }

    #[test]
    fn a_variant_is_made_when_first_accepted_and_counted_once() {
        let mark = ForEveryone::showing(&[Topic::Posts]);
        let html = Bytes::from("<p>the same for everyone</p>".repeat(100));
        let page = Arc::new(made(
            html.clone(),
            HeaderMap::new(),
            (mark, vec![0], None),
            "/".into(),
        ));
        let store = SharedPages::default();
        store.keep("/".into(), page.clone());
        assert_eq!(store.usage(), (1, html.len()), "kept with no variant made");
        let (plain, grown) = page.respond(&HeaderMap::new(), false);
        assert_eq!(grown, 0);
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        let mut browser = HeaderMap::new();
        browser.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, br"),
        );
        let (first, grown) = page.respond(&browser, false);
        assert_eq!(first.headers()[header::CONTENT_ENCODING], "br");
        assert!(grown > 0 && grown < html.len());
        store.grew("/", &page, grown);
        assert_eq!(store.usage(), (1, page.size()));
        let (_, again) = page.respond(&browser, false);
        assert_eq!(again, 0, "made once");
        // A variant made for a page no longer kept there is not counted.
        let other = Arc::new(made(
            html,
            HeaderMap::new(),
            (ForEveryone::showing(&[]), vec![], None),
            "/".into(),
        ));
        store.grew("/", &other, 100);
        assert_eq!(store.usage(), (1, page.size()));
    }

    #[test]
    fn a_full_store_drops_the_pages_nobody_asked_for_again() {
        let page = || {
            let mark = ForEveryone::showing(&[Topic::Posts]);
            made(
                Bytes::from(vec![b'x'; 1000]),
                HeaderMap::new(),
                (mark, vec![0], None),
                "/".into(),
            )
        };
        let size = page().size();
        let store = SharedPages::default();
        let versions = Versions::default();
        for n in 0..3 {
            store.keep_within(3 * size, format!("/{n}"), Arc::new(page()));
        }
        assert!(
            store.fresh("/1", &versions).is_some(),
            "a reader asks for /1 again"
        );
        // A crawler's fourth page fills the store: only the page read again stays.
        store.keep_within(3 * size, "/crawled".into(), Arc::new(page()));
        assert_eq!(store.usage(), (2, 2 * size));
        assert!(store.fresh("/1", &versions).is_some());
        assert!(store.fresh("/0", &versions).is_none());
    }

    #[test]
    fn validators_answer_304_for_the_same_page() {
        let mark = ForEveryone::showing(&[Topic::Posts]);
        let page = made(
            Bytes::from_static(b"<p>x</p>"),
            HeaderMap::new(),
            (mark, vec![0], None),
            "/".into(),
        );
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, page.etag.clone());
        assert!(page.not_modified(&h));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"other\", W/\"x\""),
        );
        assert!(!page.not_modified(&h));
        let mut h = HeaderMap::new();
        let later = httpdate::fmt_http_date(page.modified + Duration::from_secs(5));
        h.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_str(&later).unwrap(),
        );
        assert!(page.not_modified(&h));
        let earlier = httpdate::fmt_http_date(page.modified - Duration::from_secs(5));
        h.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_str(&earlier).unwrap(),
        );
        assert!(!page.not_modified(&h));
    }
}
