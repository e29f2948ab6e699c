//! The OpenAPI 3.1 document of the JSON API, generated from the code: each API handler's
//! `#[utoipa::path]` gives its path, parameters, body and answers, and the types it answers
//! with (`Serialize` and `ToSchema`, beside the handlers of each area) are the schemas.
//! [`ApiDoc`] lists the handlers; `/api/openapi.json` serves [`DOCUMENT`]. A test checks that
//! every `/api/v1` route in the router is in it, another that real answers match it.

use crate::domain::WindowState;
use crate::domain::idea::IdeaStatus;
use crate::domain::post::{PostKind, PostStatus};
use crate::domain::programme::{Phase, Status};
use crate::domain::review::AnalysisStatus;
use crate::domain::role::Role;
use crate::web::error::ErrorBody;
use crate::web::{analytics, api, ideas, listening, programme, publishing};
use std::sync::LazyLock;
use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToResponse, ToSchema};

/// The API: every handler under `/api/v1`, the shared error answers and the bearer scheme.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Townhall API",
        version = "1",
        description = "Public reads need no token. Writes need `Authorization: Bearer <token>` (make one with `townhall token create --email E`). Errors are JSON: `{\"error\": \"...\", \"fields\": {...}}`.",
        license(
            name = "Open Government Licence v3.0",
            url = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
        )
    ),
    servers((url = "/")),
    paths(
        api::organisations,
        api::me,
        publishing::api::posts,
        publishing::api::create_post,
        crate::web::media::library::api_upload,
        publishing::api::post,
        publishing::api::add_comment,
        publishing::api::approve_comment,
        publishing::api::reject_comment,
        publishing::api::create_feed,
        publishing::api::fetch_feed,
        programme::api::projects,
        programme::api::project,
        programme::api::strategies,
        programme::api::themes,
        programme::api::commitments,
        programme::api::case_studies,
        listening::api::list,
        listening::api::create,
        listening::api::show,
        listening::api::respond,
        listening::api::responses,
        listening::api::request_analysis,
        listening::api::analysis,
        listening::api::statements::list,
        listening::api::statements::add,
        listening::api::statements::change,
        listening::api::statements::remove,
        analytics::api_pages,
        ideas::api::list,
        ideas::api::show,
        ideas::api::submit,
    ),
    components(
        schemas(ErrorBody),
        responses(
            Unauthorized,
            Invalid,
            Forbidden,
            NotFound,
            TooManyRequests,
            Conflict,
            BadRequest
        )
    ),
    modifiers(&BearerScheme, &LinkNames)
)]
pub struct ApiDoc;

/// The document as served, made once.
pub static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| panic!("the OpenAPI document does not serialise: {e}"))
});

/// Writes need `Authorization: Bearer <token>`; handlers that do say `security(("bearer" = []))`.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// utoipa 5 writes a link's `operationId` as `operation_id` (utoipa 6 does not): this writes
/// each link's operation under its OpenAPI name.
struct LinkNames;

impl Modify for LinkNames {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let operations = doc.paths.paths.values_mut().flat_map(|item| {
            [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
        });
        let links = operations
            .flat_map(|operation| operation.responses.responses.values_mut())
            .filter_map(|response| match response {
                RefOr::T(response) => Some(response.links.values_mut()),
                RefOr::Ref(_) => None,
            })
            .flatten();
        for link in links {
            if let RefOr::T(link) = link {
                let id = std::mem::take(&mut link.operation_id);
                if !id.is_empty() {
                    let extensions = link.extensions.get_or_insert_with(Default::default);
                    extensions.insert("operationId".into(), id.into());
                }
            }
        }
    }
}

/// An error answer: JSON in the shape of [`ErrorBody`].
fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                .build(),
        )
        .build()
}

/// The error answers that many endpoints share, each in `components.responses` under its name.
macro_rules! error_responses {
    ($($(#[$meta:meta])* $name:ident = $description:literal;)+) => {$(
        $(#[$meta])*
        pub struct $name;

        impl<'r> ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<Response>) {
                (stringify!($name), error_response($description).into())
            }
        }
    )+};
}

error_responses! {
    /// 401: `ApiError::Unauthorized`.
    Unauthorized = "No valid token";
    /// 400 or 422: `ApiError::Invalid`, with `fields`.
    Invalid = "Invalid input: `fields` says what is wrong with each field";
    /// 403: `ApiError::Forbidden` or `ApiError::Refused`.
    Forbidden = "Your role does not allow this, or the action is refused (the message says why)";
    /// 404: `ApiError::NotFound`.
    NotFound = "No such thing";
    /// 429: `ApiError::TooManyRequests`, with `Retry-After`.
    TooManyRequests = "Too many requests; try again after `Retry-After` seconds";
    /// 409: `ApiError::Conflict`.
    Conflict = "Refused because of the resource's state (for example, the exercise is closed)";
    /// 400: `ApiError::BadRequest`.
    BadRequest = "The request cannot be read: a path or query parameter that does not parse, or a body that is not JSON for this endpoint (the message says which)";
}

/// A string that is one of `names`.
pub fn one_of<'a>(names: impl IntoIterator<Item = &'a str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names))
        .build()
}

/// Schemas for the names of the domain's enums, taken from the enums themselves: a field
/// says `#[schema(value_type = PhaseName, inline)]`, a parameter `inline(PhaseName)`.
macro_rules! names {
    ($($(#[$meta:meta])* $marker:ident = $names:expr;)+) => {$(
        $(#[$meta])*
        pub struct $marker;

        impl utoipa::PartialSchema for $marker {
            fn schema() -> RefOr<Schema> {
                one_of($names).into()
            }
        }

        impl ToSchema for $marker {}
    )+};
}

names! {
    /// A role held in an organisation.
    RoleName = Role::ALL.iter().map(|r| r.as_str());
    /// A post's status.
    PostStatusName = PostStatus::ALL.iter().map(|s| s.as_str());
    /// A blog post or a page.
    PostKindName = PostKind::ALL.iter().map(|k| k.as_str());
    /// A project's phase.
    PhaseName = Phase::ALL.iter().map(|p| p.as_str());
    /// How a project is going.
    ProjectStatusName = Status::ALL.iter().map(|s| s.as_str());
    /// Whether an exercise or a challenge is upcoming, open or closed.
    WindowStateName = WindowState::ALL.iter().map(|s| s.as_str());
    /// Where an analysis job is.
    AnalysisStatusName = AnalysisStatus::ALL.iter().map(|s| s.as_str());
    /// The statuses of an idea that the public sees.
    PublicIdeaStatusName = IdeaStatus::PUBLIC.iter().map(|s| s.as_str());
    /// What kind of exercise: consultation, survey or review.
    ExerciseKindName = crate::domain::exercise::KINDS;
}
