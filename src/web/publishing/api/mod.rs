//! The publishing API: posts, comments and their moderation, feed subscriptions.

use crate::App;
use crate::domain::post::CommentInput;
use crate::domain::role::Role;
use crate::domain::time::Timestamp;
use crate::domain::{FieldErrors, PageNumber};
use crate::store::comments::Decision;
use crate::store::posts::{self, PostFilter, Tag};
use crate::store::settings::COMMENTS_PAUSED;
use crate::store::{StoreError, now};
use crate::web::api::{ApiJson, ApiPath, ApiQuery, ApiUser, Created, Held, HeldStatus};
use crate::web::client_ip::ClientIp;
use crate::web::error::{ApiError, ApiResult, ErrorBody, urlencode};
use crate::web::openapi::{
    BadRequest, Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized,
};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;

mod types;
pub use types::*;

fn post_summary(
    base: &str,
    p: &posts::Post,
    authors: Vec<String>,
    categories: Vec<Tag>,
    topics: Vec<Tag>,
) -> PostSummary {
    PostSummary {
        slug: p.slug.clone(),
        title: p.title.clone(),
        summary: p.summary.clone(),
        organisation: p.organisation_slug.clone(),
        authors,
        categories: categories.into_iter().map(|c| c.slug).collect(),
        topics: topics.into_iter().map(|t| t.slug).collect(),
        published_at: p.published_at.map(Timestamp::rfc3339),
        comments_open: p.comments_open,
        url: format!("{base}{}", p.kind.url(&p.slug)),
    }
}

/// A post as lists show it, with its authors, categories and topics.
async fn summary_of(app: &App, base: &str, p: &posts::Post) -> Result<PostSummary, ApiError> {
    Ok(post_summary(
        base,
        p,
        app.db.post_authors(p.id).await?,
        app.db.post_categories(p.id).await?,
        app.db.post_topics(p.id).await?,
    ))
}

/// `POST /api/v1/posts` (editor).
#[utoipa::path(
    post,
    path = "/api/v1/posts",
    operation_id = "createPost",
    tag = "publishing",
    summary = "Write a post (editor)",
    security(("bearer" = [])),
    request_body = NewPost,
    responses(
        (status = 201, description = "Created", body = inline(Created), links(
            ("GetPost" = (operation_id = "getPost", parameters(("slug" = "$response.body#/slug")), description = "The post just made")),
            ("AddComment" = (operation_id = "addComment", parameters(("slug" = "$response.body#/slug")), description = "Comment on it")),
        )),
        (status = 400, response = Invalid),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Invalid),
    )
)]
pub async fn create_post(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(body): ApiJson<NewPost>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let (user, orgs) = user.organisations_for(&app, Role::Editor).await?;
    let (organisation, mut input) = body.into_input();
    if input.authors.trim().is_empty() {
        input.authors = user.name.clone();
    }
    let parsed = input.parse();
    let org = orgs.iter().find(|o| o.slug == organisation);
    let (Some(org), Ok(post)) = (org, &parsed) else {
        let mut errors = parsed.err().unwrap_or_default();
        if org.is_none() {
            errors.add(
                "organisation",
                "Give the short name of an organisation you are an editor of",
            );
        }
        return Err(ApiError::Invalid(errors));
    };
    let body = crate::sanitise::render_field(&post.body_markdown, "body")
        .await
        .map_err(ApiError::Invalid)?;
    let id = app
        .db
        .create_post(org.id, post, &body, Some(user.id))
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                let errors = FieldErrors::one(
                    "slug",
                    "Another post already has that web address: choose another slug",
                );
                ApiError::Invalid(errors)
            }
            e => e.into(),
        })?;
    app.db
        .audit(Some(user.id), "created post", post.slug.as_str(), "API")
        .await?;
    let created = app.db.post(id).await?;
    let url = format!("/blog/{}", created.slug);
    Ok((
        StatusCode::CREATED,
        Json(Created {
            slug: created.slug,
            url,
        }),
    ))
}

#[derive(Deserialize, Default)]
pub struct PostsQuery {
    organisation: Option<String>,
    category: Option<String>,
    topic: Option<String>,
    page: Option<String>,
}

/// `GET /api/v1/posts?organisation=&category=&topic=&page=`.
#[utoipa::path(
    get,
    path = "/api/v1/posts",
    operation_id = "listPosts",
    tag = "publishing",
    summary = "Published posts, newest first, 20 a page",
    params(
        ("organisation" = Option<String>, Query, description = "Organisation slug"),
        ("category" = Option<String>, Query, description = "Category slug"),
        ("topic" = Option<String>, Query, description = "Topic slug"),
        ("page" = Option<i64>, Query, minimum = 1, maximum = 100000, description = "Page number, from 1 to 100000"),
    ),
    responses(
        (status = 200, description = "A page of posts", body = inline(PostPage)),
        (status = 400, response = Invalid),
        (status = 404, response = NotFound),
    )
)]
pub async fn posts(
    State(app): State<App>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<PostsQuery>,
) -> ApiResult<Json<PostPage>> {
    let page = PageNumber::parse(q.page.as_deref()).map_err(ApiError::BadRequest)?;
    let mut filter = PostFilter::default();
    let mut params = Vec::new();
    if let Some(slug) = q.organisation.as_deref().filter(|s| !s.is_empty()) {
        filter.organisation_id = Some(app.db.organisation_by_slug(slug).await?.id);
        params.push(format!("organisation={}", urlencode(slug)));
    }
    if let Some(slug) = q.category.as_deref().filter(|s| !s.is_empty()) {
        filter.category_id = Some(app.db.category_by_slug(slug).await?.id);
        params.push(format!("category={}", urlencode(slug)));
    }
    if let Some(slug) = q.topic.as_deref().filter(|s| !s.is_empty()) {
        filter.topic_id = Some(app.db.topic_by_slug(slug).await?.id);
        params.push(format!("topic={}", urlencode(slug)));
    }
    const PER_PAGE: i64 = 20;
    let (posts, total) = app
        .db
        .public_posts(filter, PER_PAGE, page.offset(PER_PAGE))
        .await?;
    let base = crate::web::site::base_url(&app, &headers);
    let mut items = Vec::with_capacity(posts.len());
    for p in &posts {
        items.push(summary_of(&app, &base, p).await?);
    }
    let next = (page.get() * PER_PAGE < total).then(|| {
        params.push(format!("page={}", page.get() + 1));
        format!("{base}/api/v1/posts?{}", params.join("&"))
    });
    Ok(Json(PostPage { items, next, total }))
}

/// `GET /api/v1/posts/{slug}`: a public post, with its sanitised HTML.
#[utoipa::path(
    get,
    path = "/api/v1/posts/{slug}",
    operation_id = "getPost",
    tag = "publishing",
    summary = "A published post with its HTML",
    params(("slug" = String, Path)),
    responses(
        (status = 200, description = "The post", body = Post),
        (status = 404, response = NotFound),
        (status = 400, response = BadRequest),
    )
)]
pub async fn post(
    State(app): State<App>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<Post>> {
    let p = app.db.post_by_slug(&slug).await?;
    if !p.is_public(now()) {
        return Err(ApiError::NotFound);
    }
    let base = crate::web::site::base_url(&app, &headers);
    Ok(Json(Post {
        summary: summary_of(&app, &base, &p).await?,
        body_html: p.body_html,
    }))
}

/// `POST /api/v1/posts/{slug}/comments` (public): held for moderation.
#[utoipa::path(
    post,
    path = "/api/v1/posts/{slug}/comments",
    operation_id = "addComment",
    tag = "publishing",
    summary = "Comment on a post (public); held for moderation",
    params(("slug" = String, Path)),
    request_body = NewComment,
    responses(
        (status = 202, description = "Received, waiting for a moderator", body = inline(Held), links(
            ("ApproveComment" = (operation_id = "approveComment", parameters(("id" = "$response.body#/id")), description = "A moderator approves the comment")),
            ("RejectComment" = (operation_id = "rejectComment", parameters(("id" = "$response.body#/id")), description = "A moderator rejects it")),
        )),
        (status = 400, response = Invalid),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Invalid),
        (status = 429, response = TooManyRequests),
    )
)]
pub async fn add_comment(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    ApiPath(slug): ApiPath<String>,
    ApiJson(input): ApiJson<NewComment>,
) -> ApiResult<(StatusCode, Json<Held>)> {
    let p = app.db.post_by_slug(&slug).await?;
    if !p.is_public(now()) {
        return Err(ApiError::NotFound);
    }
    if let Some(message) = app.db.setting(COMMENTS_PAUSED).await? {
        return Err(ApiError::Refused(message));
    }
    if !p.comments_open {
        return Err(ApiError::Refused(
            "Comments are closed on this post.".into(),
        ));
    }
    let comment = CommentInput::from(input)
        .parse()
        .map_err(ApiError::Invalid)?;
    let limit = crate::web::publishing::public::comment_limit(ip);
    let retry_after_secs = limit.window_secs;
    let Some(id) = app.db.add_comment_within(limit, p.id, &comment).await? else {
        return Err(ApiError::TooManyRequests { retry_after_secs });
    };
    let held = Held {
        id,
        status: HeldStatus::Pending,
    };
    Ok((StatusCode::ACCEPTED, Json(held)))
}

async fn decide(
    app: &App,
    user: ApiUser,
    id: i64,
    decision: Decision,
    reason: &str,
) -> ApiResult<Json<CommentDecision>> {
    let (user, orgs) = user.organisations_for(app, Role::Moderator).await?;
    let comment = app.db.comment(id).await?;
    let p = app.db.post_by_slug(&comment.post_slug).await?;
    if !orgs.iter().any(|o| o.id == p.organisation_id) {
        return Err(ApiError::Forbidden);
    }
    let reason: String = reason.trim().chars().take(500).collect();
    if decision == Decision::Reject && reason.is_empty() {
        let errors = FieldErrors::one("reason", "Give a reason for rejecting the comment");
        return Err(ApiError::Invalid(errors));
    }
    crate::posts::decide_comment(app, user.id, &comment, decision, &reason).await?;
    let status = match decision {
        Decision::Approve => DecidedStatus::Approved,
        Decision::Reject => DecidedStatus::Rejected,
    };
    Ok(Json(CommentDecision { id, status }))
}

/// `POST /api/v1/comments/{id}/approve` (moderator).
#[utoipa::path(
    post,
    path = "/api/v1/comments/{id}/approve",
    operation_id = "approveComment",
    tag = "publishing",
    summary = "Approve a pending comment (moderator)",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "Approved", body = CommentDecision),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, description = "Already decided", body = ErrorBody),
        (status = 400, response = BadRequest),
    )
)]
pub async fn approve_comment(
    State(app): State<App>,
    user: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CommentDecision>> {
    decide(&app, user, id, Decision::Approve, "").await
}

/// `POST /api/v1/comments/{id}/reject` (moderator), with `{"reason"}`.
#[utoipa::path(
    post,
    path = "/api/v1/comments/{id}/reject",
    operation_id = "rejectComment",
    tag = "publishing",
    summary = "Reject a pending comment with a reason (moderator)",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = inline(Rejection),
    responses(
        (status = 200, description = "Rejected", body = CommentDecision),
        (status = 422, response = Invalid),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, description = "Already decided", body = ErrorBody),
        (status = 400, response = BadRequest),
    )
)]
pub async fn reject_comment(
    State(app): State<App>,
    user: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Rejection>,
) -> ApiResult<Json<CommentDecision>> {
    decide(&app, user, id, Decision::Reject, &body.reason).await
}

// ----- Feed subscriptions -----

/// `POST /api/v1/feeds` (editor): subscribe an organisation to a feed.
#[utoipa::path(
    post,
    path = "/api/v1/feeds",
    operation_id = "createFeed",
    tag = "publishing",
    summary = "Subscribe an organisation to another site's feed (editor)",
    security(("bearer" = [])),
    request_body = inline(NewFeed),
    responses(
        (status = 201, description = "Subscribed", body = inline(Subscribed)),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, description = "Already subscribed", body = ErrorBody),
        (status = 422, response = Invalid),
        (status = 400, response = BadRequest),
    )
)]
pub async fn create_feed(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(body): ApiJson<NewFeed>,
) -> ApiResult<(StatusCode, Json<Subscribed>)> {
    let (user, orgs) = user.organisations_for(&app, Role::Editor).await?;
    let mut errors = FieldErrors::new();
    let org = orgs.iter().find(|o| o.slug == body.organisation);
    if org.is_none() {
        errors.add(
            "organisation",
            "Give the short name of an organisation you are an editor of",
        );
    }
    let url = errors.check("url", crate::domain::feed::parse_feed_url(&body.url));
    let (Some(org), Some(url)) = (org, url) else {
        return Err(ApiError::Invalid(errors));
    };
    let id = app
        .db
        .create_subscription(org.id, &url)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                ApiError::Conflict("this organisation already subscribes to that feed".into())
            }
            e => e.into(),
        })?;
    app.db
        .audit(Some(user.id), "subscribed to feed", &url, &org.slug)
        .await?;
    Ok((StatusCode::CREATED, Json(Subscribed { id })))
}

/// `POST /api/v1/feeds/{id}/fetch` (editor): fetch now. A failed fetch is recorded on the
/// subscription and reported as `error` beside `new_items: 0`.
#[utoipa::path(
    post,
    path = "/api/v1/feeds/{id}/fetch",
    operation_id = "fetchFeed",
    tag = "publishing",
    summary = "Fetch a subscribed feed now (editor)",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "Fetched: how many items were new, or the error recorded on the subscription", body = inline(Fetched)),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 400, response = BadRequest),
    )
)]
pub async fn fetch_feed(
    State(app): State<App>,
    user: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Fetched>> {
    let (_, orgs) = user.organisations_for(&app, Role::Editor).await?;
    let sub = app.db.subscription(id).await?;
    if !orgs.iter().any(|o| o.id == sub.organisation_id) {
        return Err(ApiError::Forbidden);
    }
    let summary = crate::jobs::syndication::fetch_now(&app, id).await?;
    Ok(Json(Fetched {
        new_items: summary.new_items,
        error: summary.error,
    }))
}
