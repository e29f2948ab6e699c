//! Signed-in editorial work: writing posts (editors), the comment moderation queue and the
//! pre-election pause (moderators).
//!
//! Roles are checked on the server per organisation: an editor or moderator of a department
//! also works on its arm's-length bodies' posts.

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::post::PostInput;
use crate::domain::role::Role;
use crate::domain::time::{DateTimeInput, prefix_publish};
use crate::store::StoreError;
use crate::store::comments::Decision;
use crate::store::organisations::Organisation;
use crate::store::posts::Post;
use crate::store::settings::COMMENTS_PAUSED;
use crate::web::error::form_status;
use crate::web::error::{PageError, PageResult};
use crate::web::viewer::{CsrfForm, NoFields, SignedIn, Viewer};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

/// The viewer, and the organisations whose posts they may write (403 when there are none).
pub(crate) async fn editor_orgs(
    app: &App,
    viewer: &Viewer,
) -> Result<(SignedIn, Vec<Organisation>), PageError> {
    let user = viewer.signed_in()?.clone();
    let orgs = user.organisations_with(Role::Editor, &app.db.organisations().await?);
    if orgs.is_empty() {
        return Err(PageError::Forbidden);
    }
    Ok((user, orgs))
}

/// `GET /admin/posts`.
pub async fn posts(State(app): State<App>, viewer: Viewer) -> PageResult {
    let (_, orgs) = editor_orgs(&app, &viewer).await?;
    let ids: Vec<i64> = orgs.iter().map(|o| o.id).collect();
    let posts = app.db.posts_of(&ids).await?;
    let now = crate::store::now();
    let rows: Vec<_> = posts
        .iter()
        .map(|p| {
            let state = match (p.status.as_str(), p.published_at) {
                ("published", Some(at)) if at > now => "Scheduled",
                ("published", _) => "Published",
                _ => "Draft",
            };
            context! { post => Serde(p), state }
        })
        .collect();
    viewer.render(&app, "admin/posts.html", context! { posts => rows })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PostForm {
    #[serde(flatten)]
    post: PostInput,
    organisation: String,
    /// The publication date, typed in the site's time zone with the GOV.UK date input (the
    /// API's `publish_at` is UTC, and the form does not send it).
    #[serde(flatten, with = "prefix_publish")]
    publish: DateTimeInput,
}

fn post_form_page(
    app: &App,
    viewer: &Viewer,
    existing: Option<&Post>,
    form: &PostForm,
    errors: &FieldErrors,
    orgs: &[Organisation],
    revisions: Vec<crate::store::posts::Revision>,
) -> PageResult {
    let status = form_status(errors);
    let p = &form.post;
    viewer.render_with_status(
        app,
        "admin/post_form.html",
        context! {
            existing => Serde(existing),
            organisations => Serde(orgs),
            revisions => Serde(revisions),
            form => context! {
                organisation => &form.organisation, kind => &p.kind, title => &p.title, slug => &p.slug, summary => &p.summary,
                body => &p.body, status => &p.status, publish => Serde(&form.publish), authors => &p.authors,
                categories => p.categories.join(", "), topics => p.topics.join(", "),
                comments_closed => p.comments_closed.is_some(),
            },
            errors => Serde(errors.iter().collect::<Vec<_>>()),
            time_zone => app.config.time_zone.name(),
        },
        status,
    )
}

/// `GET /admin/posts/new`.
pub async fn new_post(State(app): State<App>, viewer: Viewer) -> PageResult {
    let (user, orgs) = editor_orgs(&app, &viewer).await?;
    let form = PostForm {
        post: PostInput {
            authors: user.name.clone(),
            status: "draft".into(),
            ..Default::default()
        },
        organisation: orgs.first().map(|o| o.slug.clone()).unwrap_or_default(),
        ..PostForm::default()
    };
    post_form_page(
        &app,
        &viewer,
        None,
        &form,
        &FieldErrors::new(),
        &orgs,
        Vec::new(),
    )
}

/// `POST /admin/posts/new`.
pub async fn create_post(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<PostForm>,
) -> PageResult {
    let (user, orgs) = editor_orgs(&app, &viewer).await?;
    save_post(&app, &viewer, &user, &orgs, None, &form).await
}

/// Saves a new post (`existing` is `None`) or a new version of one, then back to the list; or
/// the form again with what is wrong.
async fn save_post(
    app: &App,
    viewer: &Viewer,
    user: &SignedIn,
    orgs: &[Organisation],
    existing: Option<&Post>,
    form: &PostForm,
) -> PageResult {
    let org = orgs.iter().find(|o| o.slug == form.organisation);
    let publish_at = (app.config.time_zone).parse_date_time("Publication date", &form.publish);
    let checked = match (org, form.post.parse(), publish_at) {
        (Some(org), Ok(mut post), Ok(publish_at)) => {
            post.published_at = publish_at;
            crate::sanitise::render_field(&post.body_markdown, "body")
                .await
                .map(|body| (org, post, body))
        }
        (org, parsed, publish_at) => {
            let mut errors = parsed.err().unwrap_or_default();
            if let Err(message) = publish_at {
                errors.add("publish-day", message);
            }
            if org.is_none() {
                let message = "Choose the organisation whose blog this is for";
                errors.add("organisation", message);
            }
            Err(errors)
        }
    };
    let errors = match checked {
        Ok((org, post, body)) => {
            let by = Some(user.id);
            let saved = match existing {
                Some(p) => app.db.update_post(p.id, &post, &body, by).await,
                None => app
                    .db
                    .create_post(org.id, &post, &body, by)
                    .await
                    .map(|_| ()),
            };
            match saved {
                Ok(()) => {
                    let done = match existing {
                        Some(_) => "updated post",
                        None => "created post",
                    };
                    app.db
                        .audit(by, done, post.slug.as_str(), post.status.as_str())
                        .await?;
                    return Ok(Redirect::to("/admin/posts").into_response());
                }
                Err(StoreError::Conflict(_)) => FieldErrors::one(
                    "slug",
                    "Another post already has that web address: change the short name",
                ),
                Err(e) => return Err(e.into()),
            }
        }
        Err(errors) => errors,
    };
    let revisions = match existing {
        Some(p) => app.db.post_revisions(p.id).await?,
        None => Vec::new(),
    };
    post_form_page(app, viewer, existing, form, &errors, orgs, revisions)
}

/// The post, if the viewer may edit it.
async fn editable_post(
    app: &App,
    viewer: &Viewer,
    id: i64,
) -> Result<(SignedIn, Vec<Organisation>, Post), PageError> {
    let (user, orgs) = editor_orgs(app, viewer).await?;
    let post = app.db.post(id).await?;
    if !orgs.iter().any(|o| o.id == post.organisation_id) {
        return Err(PageError::Forbidden);
    }
    Ok((user, orgs, post))
}

/// `GET /admin/posts/{id}/preview`: a draft or scheduled post (or a published one) exactly
/// as readers will see it, with a banner saying it is a preview. Under `/admin`, so it is
/// never kept for others, never counted and never indexed; the comment form is left out.
pub async fn preview_post(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> PageResult {
    let (_, _, post) = editable_post(&app, &viewer, id).await?;
    let (template, shown) = match post.kind {
        crate::domain::post::PostKind::Page => {
            let shown = crate::web::publishing::public::shown_page(&app, post).await?;
            ("page.html", shown)
        }
        crate::domain::post::PostKind::Post => {
            let shown = crate::web::publishing::public::shown_post(&app, post).await?;
            ("blog/post.html", shown)
        }
    };
    let mut page = viewer.render(
        &app,
        template,
        context! { preview => context! { edit => format!("/admin/posts/{id}/edit") }, ..shown },
    )?;
    page.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("private, no-store"),
    );
    page.headers_mut().insert(
        "x-robots-tag",
        axum::http::HeaderValue::from_static("noindex"),
    );
    Ok(page)
}

/// The edit form filled in with a post as it is stored.
async fn form_of(app: &App, post: &Post) -> Result<PostForm, PageError> {
    let id = post.id;
    Ok(PostForm {
        organisation: post.organisation_slug.clone(),
        post: PostInput {
            kind: post.kind.as_str().into(),
            title: post.title.clone(),
            slug: post.slug.clone(),
            summary: post.summary.clone(),
            body: post.body_markdown.clone(),
            status: post.status.as_str().into(),
            authors: app.db.post_authors(id).await?.join("\n"),
            categories: (app.db.post_categories(id).await?.into_iter())
                .map(|c| c.name)
                .collect(),
            topics: (app.db.post_topics(id).await?.into_iter())
                .map(|t| t.name)
                .collect(),
            comments_closed: (!post.comments_open).then(String::new),
            ..PostInput::default()
        },
        publish: (post.published_at)
            .map(|t| app.config.time_zone.date_time_input(t))
            .unwrap_or_default(),
    })
}

/// `GET /admin/posts/{id}/edit`.
pub async fn edit_post(State(app): State<App>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    let (_, orgs, post) = editable_post(&app, &viewer, id).await?;
    let form = form_of(&app, &post).await?;
    let revisions = app.db.post_revisions(id).await?;
    post_form_page(
        &app,
        &viewer,
        Some(&post),
        &form,
        &FieldErrors::new(),
        &orgs,
        revisions,
    )
}

/// `GET /admin/posts/{id}/revisions/{revision}`: what differs between a saved version and
/// the post as it is now (title, summary and the Markdown, line by line), and a button to
/// restore that version.
pub async fn revision(
    State(app): State<App>,
    viewer: Viewer,
    Path((id, revision)): Path<(i64, i64)>,
) -> PageResult {
    let (_, _, post) = editable_post(&app, &viewer, id).await?;
    let old = app.db.post_revision(id, revision).await?;
    let field = |then: &str, now: &str| (then != now).then(|| context! { then, now });
    let body = crate::domain::post::line_changes(&old.body_markdown, &post.body_markdown);
    viewer.render(
        &app,
        "admin/post_revision.html",
        context! {
            post => Serde(&post),
            revision => Serde(&old),
            title => field(&old.title, &post.title),
            summary => field(&old.summary, &post.summary),
            body => Serde(body),
        },
    )
}

/// `POST /admin/posts/{id}/revisions/{revision}/restore`: saves that version's title, summary
/// and text as the post's (a new version in the history; everything else stays).
pub async fn restore_revision(
    State(app): State<App>,
    viewer: Viewer,
    Path((id, revision)): Path<(i64, i64)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let (user, orgs, post) = editable_post(&app, &viewer, id).await?;
    let old = app.db.post_revision(id, revision).await?;
    let mut form = form_of(&app, &post).await?;
    form.post.title = old.title;
    form.post.summary = old.summary;
    form.post.body = old.body_markdown;
    save_post(&app, &viewer, &user, &orgs, Some(&post), &form).await
}

/// `POST /admin/posts/{id}/edit`. The organisation of a post does not change.
pub async fn update_post(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(mut form): CsrfForm<PostForm>,
) -> PageResult {
    let (user, orgs, post) = editable_post(&app, &viewer, id).await?;
    form.organisation = post.organisation_slug.clone();
    save_post(&app, &viewer, &user, &orgs, Some(&post), &form).await
}

// ----- Moderation -----

/// The moderator's organisations, or 403.
async fn moderator(app: &App, viewer: &Viewer) -> Result<(SignedIn, Vec<Organisation>), PageError> {
    let user = viewer.signed_in()?.clone();
    let all = app.db.organisations().await?;
    let orgs = user.organisations_with(Role::Moderator, &all);
    if orgs.is_empty() {
        return Err(PageError::Forbidden);
    }
    Ok((user, orgs))
}

/// `GET /admin/comments`: comments awaiting a decision on posts the viewer moderates.
pub async fn moderation_queue(State(app): State<App>, viewer: Viewer) -> PageResult {
    let (user, orgs) = moderator(&app, &viewer).await?;
    let mut queue = Vec::new();
    for c in app.db.moderation_queue().await? {
        let post = app.db.post_by_slug(&c.post_slug).await?;
        if orgs.iter().any(|o| o.id == post.organisation_id) {
            queue.push(c);
        }
    }
    let top: Vec<i64> = orgs
        .iter()
        .filter(|o| o.parent_id.is_none())
        .map(|o| o.id)
        .collect();
    let can_pause = user.has_hub_role(Role::Moderator, &top);
    let paused = app.db.setting(COMMENTS_PAUSED).await?;
    // Conversations' statements wait in the same queue (decided in `web::deliberation`).
    let statements: Vec<_> = (app.db.pending_statements().await?)
        .into_iter()
        .filter(|s| orgs.iter().any(|o| o.id == s.organisation_id))
        .collect();
    let org_ids: Vec<i64> = orgs.iter().map(|o| o.id).collect();
    // Comments on consultations' drafts are moderated on each draft's page.
    let drafts = app.db.pending_draft_comments(&org_ids).await?;
    viewer.render(
        &app,
        "admin/comments.html",
        context! { queue => Serde(queue), statements => Serde(statements), can_pause, paused, drafts },
    )
}

/// A moderator's decision on a comment or an idea, with the reason shown to the public for a
/// rejection.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    pub(crate) decision: String,
    pub(crate) reason: String,
    /// `yes`: e-mail the commenter the reason for a rejection.
    pub(crate) tell: String,
}

/// `POST /admin/comments/{id}`: approve, or reject with a reason.
pub async fn decide(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> PageResult {
    let (user, orgs) = moderator(&app, &viewer).await?;
    let comment = app.db.comment(id).await?;
    let post = app.db.post_by_slug(&comment.post_slug).await?;
    if !orgs.iter().any(|o| o.id == post.organisation_id) {
        return Err(PageError::Forbidden);
    }
    let decision = match form.decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject,
        _ => {
            return Err(PageError::BadRequest(
                "Choose whether to approve or reject the comment.".into(),
            ));
        }
    };
    let reason = form.reason.trim();
    if decision == Decision::Reject && reason.is_empty() {
        return Err(PageError::BadRequest(
            "Give a reason for rejecting the comment: go back and enter one.".into(),
        ));
    }
    let reason: String = reason.chars().take(500).collect();
    // A comment another moderator decided meanwhile keeps their decision.
    let tell = form.tell == "yes";
    match crate::posts::decide_comment_telling(&app, user.id, &comment, decision, &reason, tell)
        .await
    {
        Ok(()) | Err(StoreError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to("/admin/comments").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PauseForm {
    message: String,
    action: String,
}

/// `POST /admin/comments/pause`: pause or resume comments everywhere (hub-wide moderators).
pub async fn pause(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<PauseForm>,
) -> PageResult {
    let user = viewer.require_hub_role(&app, Role::Moderator).await?;
    if form.action == "resume" {
        app.db.set_setting(COMMENTS_PAUSED, None).await?;
        app.db
            .audit(Some(user.id), "resumed comments", "hub", "")
            .await?;
    } else {
        let message = match form.message.trim() {
            "" => "Comments are paused during the pre-election period.",
            m => m,
        };
        let message: String = message.chars().take(500).collect();
        app.db.set_setting(COMMENTS_PAUSED, Some(&message)).await?;
        app.db
            .audit(Some(user.id), "paused comments", "hub", &message)
            .await?;
    }
    Ok(Redirect::to("/admin/comments").into_response())
}
