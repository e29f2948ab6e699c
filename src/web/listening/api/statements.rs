//! "You said, we did" statements in the API (analysts): list, add, change and remove them,
//! each with the commitments and projects it links to, as the admin does.

use super::as_analyst;
use crate::App;
use crate::domain::chain::ActionInput;
use crate::listening::statements;
use crate::store::exercises::Exercise;
use crate::web::api::{ApiJson, ApiPath, ApiUser};
use crate::web::error::{ApiError, ApiResult};
use crate::web::openapi::{BadRequest, Forbidden, Invalid, NotFound, Unauthorized};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A statement as sent: `theme` is `analysis id:theme id`, or a statement or opinion group of
/// one of the organisation's conversations with published results
/// (`conversation:{id}:statement:{number}`, `conversation:{id}:group:{letter}`), or empty for
/// none; commitments and projects are given by slug.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // describes the body; the handlers read the domain's `ActionInput`
pub struct StatementInput {
    #[schema(example = "12:t3")]
    theme: Option<String>,
    #[schema(max_length = 1000)]
    you_said: String,
    #[schema(max_length = 5000)]
    we_did: String,
    commitments: Option<Vec<String>>,
    projects: Option<Vec<String>>,
}

/// A commitment or project a statement links to.
#[derive(Serialize, ToSchema)]
pub struct StatementLink {
    /// `commitment` or `project`
    pub kind: String,
    pub slug: String,
    pub title: String,
}

/// A "you said, we did" statement with its links.
#[derive(Serialize, ToSchema)]
pub struct Statement {
    pub id: i64,
    /// `analysis id:theme id`, `conversation:{id}:statement:{number}` or
    /// `conversation:{id}:group:{letter}`, or null when it cites none of these
    pub theme: Option<String>,
    pub you_said: String,
    pub we_did: String,
    pub links: Vec<StatementLink>,
    /// It cites a theme that the question's published analysis did not find again: choose
    /// its theme again
    pub needs_theme: bool,
}

#[derive(Serialize, ToSchema)]
pub struct StatementList {
    pub items: Vec<Statement>,
}

async fn exercise_for(app: &App, user: &ApiUser, slug: &str) -> Result<Exercise, ApiError> {
    let e = app.db.exercise_by_slug(slug).await?;
    as_analyst(app, user, &e).await?;
    Ok(e)
}

/// The exercise's statements, or the one with `id`.
async fn listed(app: &App, e: &Exercise, id: Option<i64>) -> Result<Vec<Statement>, ApiError> {
    let analyses = app.db.analyses_of(e.id).await?;
    let links = app.db.action_links(e.id).await?;
    let actions = app.db.result_actions(e.id).await?.into_iter();
    Ok(actions
        .filter(|a| id.is_none_or(|id| a.id == id))
        .map(|a| Statement {
            id: a.id,
            theme: (a.analysis_id.zip(a.theme_id.as_ref()))
                .map(|(x, t)| format!("{x}:{t}"))
                .or_else(|| a.cited_conversation().map(|c| c.form_value())),
            needs_theme: statements::needs_theme_again(&a, &analyses),
            links: (links.iter().filter(|l| l.action_id == a.id))
                .map(|l| StatementLink {
                    kind: l.kind.clone(),
                    slug: l.slug.clone(),
                    title: l.title.clone(),
                })
                .collect(),
            you_said: a.you_said,
            we_did: a.we_did,
        })
        .collect())
}

/// `GET /api/v1/consultations/{slug}/actions` (analyst).
#[utoipa::path(
    get,
    path = "/api/v1/consultations/{slug}/actions",
    operation_id = "listStatements",
    tag = "listening",
    summary = "The \"you said, we did\" statements, published or not, with their links (analyst)",
    security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses(
        (status = 200, description = "In their order on the results page", body = StatementList),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 400, response = BadRequest),
    )
)]
pub async fn list(
    State(app): State<App>,
    user: ApiUser,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<StatementList>> {
    let e = exercise_for(&app, &user, &slug).await?;
    let items = listed(&app, &e, None).await?;
    Ok(Json(StatementList { items }))
}

/// Checks and stores a statement; answers it as stored.
async fn save(
    app: &App,
    e: &Exercise,
    existing: Option<i64>,
    input: &ActionInput,
) -> Result<Statement, ApiError> {
    let action = statements::check(&app.db, e.id, input)
        .await?
        .map_err(ApiError::Invalid)?;
    let id = app.db.save_result_action(e.id, existing, &action).await?;
    listed(app, e, Some(id))
        .await?
        .pop()
        .ok_or(ApiError::NotFound)
}

/// `POST /api/v1/consultations/{slug}/actions` (analyst).
#[utoipa::path(
    post,
    path = "/api/v1/consultations/{slug}/actions",
    operation_id = "addStatement",
    tag = "listening",
    summary = "Add a \"you said, we did\" statement, linked to commitments and projects (analyst)",
    security(("bearer" = [])),
    params(("slug" = String, Path)),
    request_body = StatementInput,
    responses(
        (status = 201, description = "Stored", body = Statement),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Invalid),
        (status = 400, response = BadRequest),
    )
)]
pub async fn add(
    State(app): State<App>,
    user: ApiUser,
    ApiPath(slug): ApiPath<String>,
    ApiJson(input): ApiJson<ActionInput>,
) -> ApiResult<(StatusCode, Json<Statement>)> {
    let e = exercise_for(&app, &user, &slug).await?;
    let stored = save(&app, &e, None, &input).await?;
    app.db
        .audit(Some(user.id), "results.action", &e.slug, &stored.you_said)
        .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// `PUT /api/v1/consultations/{slug}/actions/{id}` (analyst): replaces it, links included.
#[utoipa::path(
    put,
    path = "/api/v1/consultations/{slug}/actions/{id}",
    operation_id = "changeStatement",
    tag = "listening",
    summary = "Change a statement; the links given replace its links (analyst)",
    security(("bearer" = [])),
    params(("slug" = String, Path), ("id" = i64, Path)),
    request_body = StatementInput,
    responses(
        (status = 200, description = "Stored", body = Statement),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Invalid),
        (status = 400, response = BadRequest),
    )
)]
pub async fn change(
    State(app): State<App>,
    user: ApiUser,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
    ApiJson(input): ApiJson<ActionInput>,
) -> ApiResult<Json<Statement>> {
    let e = exercise_for(&app, &user, &slug).await?;
    let stored = save(&app, &e, Some(id), &input).await?;
    app.db
        .audit(
            Some(user.id),
            "results.action.change",
            &e.slug,
            &stored.you_said,
        )
        .await?;
    Ok(Json(stored))
}

/// `DELETE /api/v1/consultations/{slug}/actions/{id}` (analyst).
#[utoipa::path(
    delete,
    path = "/api/v1/consultations/{slug}/actions/{id}",
    operation_id = "removeStatement",
    tag = "listening",
    summary = "Remove a statement and its links (analyst)",
    security(("bearer" = [])),
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 400, response = BadRequest),
    )
)]
pub async fn remove(
    State(app): State<App>,
    user: ApiUser,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
) -> ApiResult<StatusCode> {
    let e = exercise_for(&app, &user, &slug).await?;
    app.db.delete_result_action(e.id, id).await?;
    app.db
        .audit(
            Some(user.id),
            "results.action.delete",
            &e.slug,
            &id.to_string(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
