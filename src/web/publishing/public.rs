//! The public blog: lists, posts with comments, categories, and the comment form.

use crate::App;
use crate::domain::post::CommentInput;
use crate::domain::post::PostKind;
use crate::domain::{FieldErrors, PageNumber};
use crate::sanitise::Heading;
use crate::store::posts::{Post, PostFilter};
use crate::store::rate_limits::Limit;
use crate::store::settings::COMMENTS_PAUSED;
use crate::store::versions::Topic;
use crate::web::client_ip::ClientIp;
use crate::web::error::{PageError, PageResult};
use crate::web::media::{and_media, body_with_media};
use crate::web::viewer::{CsrfForm, Viewer};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Deserialize;

pub const PAGE_SIZE: i64 = 10;

#[derive(Deserialize, Default)]
pub struct PageQuery {
    page: Option<String>,
}

impl PageQuery {
    /// The 1-based page number; a page that cannot be read is page 1 (on a page for people;
    /// the API says what is wrong instead).
    pub fn number(&self) -> i64 {
        PageNumber::parse(self.page.as_deref())
            .unwrap_or_default()
            .get()
    }
}

/// The GOV.UK pagination component's params for `base` (a path, with or without a query).
pub fn pagination(base: &str, page: i64, total: i64, per_page: i64) -> Value {
    let pages = (total + per_page - 1) / per_page;
    if pages <= 1 {
        return Value::from(());
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    let href = |n: i64| {
        if n == 1 {
            base.to_string()
        } else {
            format!("{base}{sep}page={n}")
        }
    };
    let items: Vec<Value> = (1..=pages)
        .filter(|n| *n == 1 || *n == pages || (n - page).abs() <= 2)
        .fold(Vec::new(), |mut acc: Vec<Value>, n| {
            if let Some(last) = acc
                .last()
                .and_then(|v| v.get_attr("number").ok())
                .and_then(|v| i64::try_from(v).ok())
                && n - last > 1
            {
                acc.push(context! { ellipsis => true });
            }
            acc.push(context! { number => n, href => href(n), current => n == page });
            acc
        });
    context! {
        previous => if page > 1 { context! { href => href(page - 1) } } else { Value::from(()) },
        next => if page < pages { context! { href => href(page + 1) } } else { Value::from(()) },
        items,
    }
}

/// One page of public posts for `filter`, with details and the pagination for `base`;
/// a page past the end is Not Found.
pub async fn post_page(
    app: &App,
    filter: PostFilter,
    page: i64,
    base: &str,
) -> Result<(Vec<Value>, i64, Value), PageError> {
    let (posts, total) = app
        .db
        .public_posts(filter, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        .await?;
    if posts.is_empty() && page > 1 {
        return Err(PageError::NotFound);
    }
    Ok((
        with_details(app, posts).await?,
        total,
        pagination(base, page, total, PAGE_SIZE),
    ))
}

/// Posts with their authors and categories, for lists.
pub async fn with_details(app: &App, posts: Vec<Post>) -> Result<Vec<Value>, PageError> {
    let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
    let mut details = app.db.post_details(&ids).await?;
    Ok(posts
        .into_iter()
        .map(|p| {
            let (authors, categories) = details.remove(&p.id).unwrap_or_default();
            context! { post => Serde(&p), authors, categories => Serde(categories) }
        })
        .collect())
}

/// `GET /blog`.
pub async fn index(
    State(app): State<App>,
    viewer: Viewer,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let (posts, total, pagination) =
        post_page(&app, PostFilter::default(), q.number(), "/blog").await?;
    let categories: Vec<Value> = app
        .db
        .categories_in_use()
        .await?
        .into_iter()
        .map(|(c, n)| context! { category => Serde(c), count => n })
        .collect();
    viewer.render_public(
        &app,
        &POST_TOPICS,
        "blog/index.html",
        context! {
            posts,
            total, categories,
            pagination,
            feed_url => "/blog/feed.atom",
        },
    )
}

/// `GET /blog/categories/{slug}`.
pub async fn category(
    State(app): State<App>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let category = app.db.category_by_slug(&slug).await?;
    let base = format!("/blog/categories/{}", category.slug);
    let filter = PostFilter {
        category_id: Some(category.id),
        ..Default::default()
    };
    let (posts, total, pagination) = post_page(&app, filter, q.number(), &base).await?;
    viewer.render_public(
        &app,
        &POST_TOPICS,
        "blog/category.html",
        context! {
            feed_url => format!("{base}/feed.atom"),
            pagination,
            category => Serde(category),
            posts,
            total,
        },
    )
}

/// `GET /blog/{slug}`: the same for every reader who is not signed in until the post, its
/// comments or what it lists change (or a scheduled post appears among the related ones).
pub async fn post(State(app): State<App>, viewer: Viewer, Path(slug): Path<String>) -> PageResult {
    let (empty_form, no_errors) = (CommentInput::default(), FieldErrors::new());
    let page = post_context(&app, &slug, &empty_form, &no_errors).await?;
    viewer.render_public(&app, &and_media(POST_TOPICS), "blog/post.html", page)
}

/// The post page again with the comment form as it was sent (and why it was refused).
async fn render_post(
    app: &App,
    viewer: &Viewer,
    slug: &str,
    comment: CommentInput,
    errors: FieldErrors,
    status: StatusCode,
) -> PageResult {
    let page = post_context(app, slug, &comment, &errors).await?;
    viewer.render_with_status(app, "blog/post.html", page, status)
}

/// Everything the post page shows, with the comment form as given.
async fn post_context(
    app: &App,
    slug: &str,
    comment: &CommentInput,
    errors: &FieldErrors,
) -> PageResult<Value> {
    let content = post_content(app, slug).await?;
    Ok(context! {
        comment => context! { name => &comment.name, email => &comment.email, body => &comment.body },
        errors => Serde(errors.iter().collect::<Vec<_>>()),
        ..content
    })
}

/// What the blog's pages show: posts (their own, related ones, comments, authors,
/// categories and topics) and organisations.
pub const POST_TOPICS: [Topic; 2] = [Topic::Posts, Topic::Organisations];

/// A published post's page, but for the visitor's own part (the comment form as they filled
/// it in).
async fn post_content(app: &App, slug: &str) -> PageResult<Value> {
    let post = app.db.post_by_slug(slug).await?;
    if !post.is_public(crate::store::now()) || post.kind != PostKind::Post {
        return Err(PageError::NotFound);
    }
    shown_post(app, post).await
}

/// What a post's page shows, whether or not it is public yet (its preview shows it too).
pub(crate) async fn shown_post(app: &App, post: Post) -> PageResult<Value> {
    let url = format!("/blog/{}", post.slug);
    let body = body_with_media(app, &post.body_html).await?;
    let value = context! {
        authors => app.db.post_authors(post.id).await?,
        categories => Serde(app.db.post_categories(post.id).await?),
        topics => Serde(app.db.post_topics(post.id).await?),
        related => Serde(app.db.related_posts(post.id, 3).await?),
        comments => Serde(app.db.approved_comments(post.id).await?),
        comments_paused => app.db.setting(COMMENTS_PAUSED).await?,
        share => share_links(app, &url, &post.title),
        contents => Serde(contents_list(&post, 3)),
        body_html => body.html,
        share_image => Serde(body.image),
        post => Serde(post),
    };
    Ok(value)
}

/// Share links as plain links: no third-party script runs, and nothing is requested from
/// another site until the reader clicks. The address is absolute with `--public-url`;
/// without it, it stays relative rather than take the `Host` a request sent, because the page
/// is kept for every reader whatever `Host` they sent.
fn share_links(app: &App, path: &str, title: &str) -> Value {
    let enc = crate::web::error::urlencode;
    let address = match &app.config.public_url {
        Some(base) => format!("{}{path}", base.as_str().trim_end_matches('/')),
        None => path.to_string(),
    };
    context! {
        email => format!("mailto:?subject={}&body={}", enc(title), enc(&address)),
        path => path,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CommentForm {
    #[serde(flatten)]
    comment: CommentInput,
    /// The honeypot: hidden from people, filled in by bots.
    website: String,
}

/// How many comments one address may send: [`COMMENT_LIMIT`] in [`COMMENT_WINDOW_SECS`].
pub fn comment_limit(ip: std::net::IpAddr) -> Limit {
    Limit {
        key: format!("comment:address:{ip}"),
        window_secs: COMMENT_WINDOW_SECS,
        max: COMMENT_LIMIT,
    }
}

/// Comments allowed from one address in [`COMMENT_WINDOW_SECS`].
pub const COMMENT_LIMIT: i64 = 5;
pub const COMMENT_WINDOW_SECS: i64 = 10 * 60;

/// `POST /blog/{slug}/comments`.
pub async fn add_comment(
    State(app): State<App>,
    viewer: Viewer,
    ClientIp(ip): ClientIp,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<CommentForm>,
) -> PageResult {
    let post = app.db.post_by_slug(&slug).await?;
    if !post.is_public(crate::store::now()) || post.kind != PostKind::Post {
        return Err(PageError::NotFound);
    }
    let refused = |message: String, status| {
        let errors = FieldErrors::one("body", message);
        render_post(&app, &viewer, &slug, form.comment.clone(), errors, status)
    };
    if let Some(refusal) = comments_refused(&app, &post).await? {
        return refused(refusal, StatusCode::FORBIDDEN).await;
    }
    let comment = match form.comment.parse() {
        Ok(c) => c,
        Err(errors) => {
            let status = StatusCode::BAD_REQUEST;
            return render_post(&app, &viewer, &slug, form.comment, errors, status).await;
        }
    };
    let limit = comment_limit(ip);
    // A bot that filled the honeypot is thanked like anyone else, and nothing is stored.
    let within = if form.website.trim().is_empty() {
        (app.db.add_comment_within(limit, post.id, &comment).await?).is_some()
    } else {
        tracing::info!(ip = %ip, "comment honeypot filled; discarded");
        app.db.rate_limit_hit(&limit.key, limit.window_secs).await? <= limit.max
    };
    if !within {
        let wait = "You have sent several comments in a short time. Wait 10 minutes and try again.";
        return refused(wait.into(), StatusCode::TOO_MANY_REQUESTS).await;
    }
    viewer.render(
        &app,
        "blog/comment_received.html",
        context! { post => Serde(post) },
    )
}

/// Why comments cannot be taken on `post` now, if they cannot.
pub async fn comments_refused(app: &App, post: &Post) -> Result<Option<String>, PageError> {
    if let Some(message) = app.db.setting(COMMENTS_PAUSED).await? {
        return Ok(Some(message));
    }
    if !post.comments_open {
        return Ok(Some("Comments are closed on this post.".to_string()));
    }
    Ok(None)
}

/// `GET /topics`: every topic with something public on it, from every organisation.
pub async fn topics(State(app): State<App>, viewer: Viewer) -> PageResult {
    viewer.render_public(
        &app,
        &[Topic::Posts, Topic::Exercises, Topic::Register],
        "topics.html",
        context! { topics => Serde(app.db.topics_in_use().await?) },
    )
}

/// `GET /topics/{slug}`: everything about one user need, whatever the organisation: its
/// consultations and surveys, projects and posts.
pub async fn topic(
    State(app): State<App>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let topic = app.db.topic_by_slug(&slug).await?;
    let base = format!("/topics/{}", topic.slug);
    let filter = PostFilter {
        topic_id: Some(topic.id),
        ..Default::default()
    };
    let (posts, total, pagination) = post_page(&app, filter, q.number(), &base).await?;
    let register = app.db.register().await?;
    let projects = register.projects(&crate::store::programme::ProjectFilter {
        topic: Some(topic.slug.clone()),
        ..Default::default()
    });
    viewer.render_public(
        &app,
        &[
            Topic::Posts,
            Topic::Organisations,
            Topic::Exercises,
            Topic::Register,
        ],
        "topic.html",
        context! {
            projects => Serde(&projects),
            pagination,
            exercises => Serde(app.db.public_exercises(None, Some(topic.id)).await?),
            topic => Serde(topic),
            posts,
            total,
        },
    )
}

/// A contents list for long documents (`min` headings or more), linking to each `h2`/`h3`.
/// The headings were stored when the post was saved.
fn contents_list(post: &Post, min: usize) -> Vec<&Heading> {
    let headings: Vec<_> = post
        .body_headings
        .0
        .iter()
        .filter(|h| h.level <= 3)
        .collect();
    if headings.len() < min {
        return Vec::new();
    }
    headings
}

/// `GET /pages/{slug}`: a long document, such as a strategy, with a contents list and a
/// print stylesheet for a clean printed copy.
pub async fn page(State(app): State<App>, viewer: Viewer, Path(slug): Path<String>) -> PageResult {
    let page = app.db.post_by_slug(&slug).await?;
    if !page.is_public(crate::store::now()) || page.kind != PostKind::Page {
        return Err(PageError::NotFound);
    }
    let shown = shown_page(&app, page).await?;
    viewer.render_public(&app, &and_media(POST_TOPICS), "page.html", shown)
}

/// What a page (`kind` page) shows, whether or not it is public yet.
pub(crate) async fn shown_page(app: &App, page: Post) -> PageResult<Value> {
    let body = body_with_media(app, &page.body_html).await?;
    Ok(context! {
        authors => app.db.post_authors(page.id).await?,
        contents => Serde(contents_list(&page, 2)),
        body_html => body.html,
        share_image => Serde(body.image),
        page => Serde(page),
    })
}
