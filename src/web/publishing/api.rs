//! The publishing API: posts, comments and their moderation, feed subscriptions.

use crate::App;
use crate::domain::post::{CommentInput, PostInput};
use crate::domain::role::Role;
use crate::domain::{FieldErrors, PageNumber};
use crate::store::comments::Decision;
use crate::store::posts::{Post, PostFilter, Tag};
use crate::store::settings::COMMENTS_PAUSED;
use crate::store::{StoreError, now};
use crate::web::api::{ApiJson, ApiPath, ApiQuery, ApiUser};
use crate::web::client_ip::ClientIp;
use crate::web::error::{ApiError, ApiResult, urlencode};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::{Value, json};

#[derive(serde::Deserialize)]
pub struct NewPostBody {
    #[serde(default)]
    organisation: String,
    #[serde(flatten)]
    post: PostInput,
}

fn post_json(
    base: &str,
    p: &Post,
    authors: Vec<String>,
    categories: Vec<Tag>,
    topics: Vec<Tag>,
    with_body: bool,
) -> Value {
    let mut v = json!({
        "slug": p.slug, "title": p.title, "summary": p.summary, "organisation": p.organisation_slug,
        "authors": authors,
        "categories": categories.iter().map(|c| &c.slug).collect::<Vec<_>>(),
        "topics": topics.iter().map(|t| &t.slug).collect::<Vec<_>>(),
        "published_at": p.published_at.map(crate::domain::time::Timestamp::rfc3339),
        "comments_open": p.comments_open,
        "url": format!("{base}{}", p.kind.url(&p.slug)),
    });
    if with_body {
        v["body_html"] = json!(p.body_html);
    }
    v
}

/// `POST /api/v1/posts` (editor).
pub async fn create_post(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(body): ApiJson<NewPostBody>,
) -> ApiResult {
    let (user, orgs) = user.organisations_for(&app, Role::Editor).await?;
    let mut input = body.post;
    if input.authors.trim().is_empty() {
        input.authors = user.name.clone();
    }
    let parsed = input.parse();
    let org = orgs.iter().find(|o| o.slug == body.organisation);
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
    app.posts_changed();
    app.db
        .audit(Some(user.id), "created post", post.slug.as_str(), "API")
        .await?;
    let created = app.db.post(id).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"slug": created.slug, "url": format!("/blog/{}", created.slug)})),
    )
        .into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct PostsQuery {
    organisation: Option<String>,
    category: Option<String>,
    topic: Option<String>,
    page: Option<String>,
}

/// `GET /api/v1/posts?organisation=&category=&topic=&page=`.
pub async fn posts(
    State(app): State<App>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<PostsQuery>,
) -> ApiResult<Json<Value>> {
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
        items.push(post_json(
            &base,
            p,
            app.db.post_authors(p.id).await?,
            app.db.post_categories(p.id).await?,
            app.db.post_topics(p.id).await?,
            false,
        ));
    }
    let next = (page.get() * PER_PAGE < total).then(|| {
        params.push(format!("page={}", page.get() + 1));
        format!("{base}/api/v1/posts?{}", params.join("&"))
    });
    Ok(Json(json!({"items": items, "next": next, "total": total})))
}

/// `GET /api/v1/posts/{slug}`: a public post, with its sanitised HTML.
pub async fn post(
    State(app): State<App>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let p = app.db.post_by_slug(&slug).await?;
    if !p.is_public(now()) {
        return Err(ApiError::NotFound);
    }
    let base = crate::web::site::base_url(&app, &headers);
    Ok(Json(post_json(
        &base,
        &p,
        app.db.post_authors(p.id).await?,
        app.db.post_categories(p.id).await?,
        app.db.post_topics(p.id).await?,
        true,
    )))
}

/// `POST /api/v1/posts/{slug}/comments` (public): held for moderation.
pub async fn add_comment(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    ApiPath(slug): ApiPath<String>,
    ApiJson(input): ApiJson<CommentInput>,
) -> ApiResult {
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
    let comment = input.parse().map_err(ApiError::Invalid)?;
    let key = format!("comment:address:{}", ip);
    if app
        .db
        .rate_limit_hit(&key, crate::web::publishing::public::COMMENT_WINDOW_SECS)
        .await?
        > crate::web::publishing::public::COMMENT_LIMIT
    {
        return Err(ApiError::TooManyRequests {
            retry_after_secs: crate::web::publishing::public::COMMENT_WINDOW_SECS,
        });
    }
    let id = app.db.add_comment(p.id, &comment).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"id": id, "status": "pending"})),
    )
        .into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct ReasonBody {
    #[serde(default)]
    reason: String,
}

async fn decide(
    app: &App,
    user: ApiUser,
    id: i64,
    decision: Decision,
    reason: &str,
) -> ApiResult<Json<Value>> {
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
    app.db
        .decide_comment(id, decision, &reason, user.id)
        .await?;
    app.posts_changed();
    let (action, status) = match decision {
        Decision::Approve => ("approved comment", "approved"),
        Decision::Reject => ("rejected comment", "rejected"),
    };
    app.db
        .audit(
            Some(user.id),
            action,
            &format!("comment {id} on {}", comment.post_slug),
            &reason,
        )
        .await?;
    Ok(Json(json!({"id": id, "status": status})))
}

/// `POST /api/v1/comments/{id}/approve` (moderator).
pub async fn approve_comment(
    State(app): State<App>,
    user: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    decide(&app, user, id, Decision::Approve, "").await
}

/// `POST /api/v1/comments/{id}/reject` (moderator), with `{"reason"}`.
pub async fn reject_comment(
    State(app): State<App>,
    user: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> ApiResult<Json<Value>> {
    decide(&app, user, id, Decision::Reject, &body.reason).await
}

// ----- Feed subscriptions -----

#[derive(serde::Deserialize)]
pub struct NewFeedBody {
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    url: String,
}

/// `POST /api/v1/feeds` (editor): subscribe an organisation to a feed.
pub async fn create_feed(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(body): ApiJson<NewFeedBody>,
) -> ApiResult {
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
    Ok((StatusCode::CREATED, Json(json!({"id": id}))).into_response())
}

/// `POST /api/v1/feeds/{id}/fetch` (editor): fetch now. A failed fetch is recorded on the
/// subscription and reported as `error` beside `new_items: 0`.
pub async fn fetch_feed(
    State(app): State<App>,
    user: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    let (_, orgs) = user.organisations_for(&app, Role::Editor).await?;
    let sub = app.db.subscription(id).await?;
    if !orgs.iter().any(|o| o.id == sub.organisation_id) {
        return Err(ApiError::Forbidden);
    }
    let summary = crate::jobs::syndication::fetch_now(&app, id).await?;
    Ok(Json(
        json!({"new_items": summary.new_items, "error": summary.error}),
    ))
}
