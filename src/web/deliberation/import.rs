//! `/admin/conversations/import`: an editor brings a Pol.is conversation in by uploading its
//! export's `comments.csv` and `votes.csv`, as `townhall import polis` does from a folder
//! (`deliberation/interchange.rs`). The conversation arrives unpublished and closed, with
//! every participant, statement and vote; the worker computes its groups.

use crate::App;
use crate::deliberation::interchange;
use crate::domain::FieldErrors;
use crate::domain::conversation::not_a_page;
use crate::domain::role::Role;
use crate::domain::text::Slug;
use crate::store::StoreError;
use crate::store::organisations::Organisation;
use crate::web::error::{PageError, PageResult, form_status};
use crate::web::viewer::{CsrfUpload, MediaUpload, UploadedFile, Viewer};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use minijinja::value::Serde;
use serde::Serialize;

/// The form's text fields, as sent.
#[derive(Default, Serialize)]
struct ImportForm {
    organisation: String,
    slug: String,
}

/// The organisations the viewer may open conversations for.
async fn editor_of(app: &App, viewer: &Viewer) -> Result<Vec<Organisation>, PageError> {
    let user = viewer.signed_in()?;
    let orgs = user.organisations_with(Role::Editor, &app.db.organisations().await?);
    if orgs.is_empty() {
        return Err(PageError::Forbidden);
    }
    Ok(orgs)
}

fn render(
    app: &App,
    viewer: &Viewer,
    orgs: &[Organisation],
    form: &ImportForm,
    errors: &FieldErrors,
) -> PageResult {
    viewer.render_with_status(
        app,
        "admin/conversations/import.html",
        context! {
            organisations => Serde(orgs), form => Serde(form), errors => Serde(errors),
            max_upload => crate::domain::media::human_size(app.config.max_upload_bytes),
        },
        form_status(errors),
    )
}

/// `GET /admin/conversations/import`.
pub async fn show(State(app): State<App>, viewer: Viewer) -> PageResult {
    let orgs = editor_of(&app, &viewer).await?;
    render(
        &app,
        &viewer,
        &orgs,
        &ImportForm::default(),
        &FieldErrors::new(),
    )
}

/// `POST /admin/conversations/import` (`multipart/form-data`: `organisation`, `slug`, and the
/// files `comments` and `votes`).
pub async fn import(
    State(app): State<App>,
    viewer: Viewer,
    MediaUpload(upload): MediaUpload,
) -> PageResult {
    let orgs = editor_of(&app, &viewer).await?;
    let field = |name: &str| upload.fields.get(name).cloned().unwrap_or_default();
    let form = ImportForm {
        organisation: field("organisation"),
        slug: field("slug"),
    };
    let mut errors = FieldErrors::new();
    let org = orgs.iter().find(|o| o.slug == form.organisation);
    if org.is_none() {
        errors.add(
            "organisation",
            "Choose the organisation the conversation belongs to",
        );
    }
    let slug = errors.check("slug", Slug::parse(&form.slug).and_then(not_a_page));
    if let Some(slug) = &slug {
        match app.db.conversation_by_slug(slug.as_str()).await {
            Ok(_) => errors.add(
                "slug",
                "Another conversation already has that web address: choose another",
            ),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let files = (
        required(&upload, "comments", &mut errors),
        required(&upload, "votes", &mut errors),
    );
    let (Some(org), Some(slug), (Some(comments), Some(votes))) = (org, slug, files) else {
        return render(&app, &viewer, &orgs, &form, &errors);
    };
    if !errors.is_empty() {
        return render(&app, &viewer, &orgs, &form, &errors);
    }
    match import_files(&app, org.id, slug.as_str(), comments, votes).await {
        Ok(imported) => {
            let user = viewer.signed_in()?;
            let what = format!(
                "{} participants, {} statements, {} votes",
                imported.participants, imported.statements, imported.votes
            );
            (app.db)
                .audit(Some(user.id), "conversation.import", slug.as_str(), &what)
                .await?;
            let to = format!("/admin/conversations/{}", slug.as_str());
            Ok(Redirect::to(&to).into_response())
        }
        Err(message) => {
            let errors = FieldErrors::one("comments", message);
            render(&app, &viewer, &orgs, &form, &errors)
        }
    }
}

/// The file chosen in `field`, or an error saying which file to choose.
fn required<'a>(
    upload: &'a CsrfUpload,
    field: &str,
    errors: &mut FieldErrors,
) -> Option<&'a UploadedFile> {
    let file = upload.file_in(field);
    if file.is_none_or(|f| f.bytes.is_empty()) {
        errors.add(field, format!("Choose the export's {field}.csv"));
        return None;
    }
    file
}

/// Imports the two files, laid out as Pol.is exports them, from a folder of their own; what
/// is wrong with them, for the form, if they cannot be imported.
async fn import_files(
    app: &App,
    organisation: i64,
    slug: &str,
    comments: &UploadedFile,
    votes: &UploadedFile,
) -> Result<interchange::Imported, String> {
    let saved = async {
        let dir = tempfile::tempdir()?;
        tokio::fs::write(dir.path().join("comments.csv"), &comments.bytes).await?;
        tokio::fs::write(dir.path().join("votes.csv"), &votes.bytes).await?;
        Ok::<_, std::io::Error>(dir)
    };
    let dir = saved
        .await
        .map_err(|e| format!("The files could not be saved for the import ({e}): try again."))?;
    let imported = interchange::import(&app.db, dir.path(), organisation, slug, &|_| {}).await;
    imported.map_err(|e| {
        // The reader names files by their path in the folder: only their names mean anything
        // to the person who uploaded them.
        let folder = format!("{}/", dir.path().display());
        format!(
            "The files could not be imported: {}. Check that they are the comments.csv and \
             votes.csv of one Pol.is export, then upload them again.",
            e.to_string().replace(&folder, "")
        )
    })
}
