//! Idea challenges in the admin: `/admin/ideas`, where editors set challenges up, moderators
//! approve, reject (with a reason) and shortlist, and the panel scores ideas against the
//! challenge's published criteria; a shortlisted idea becomes a project.

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::idea::{ChallengeInput, IdeaStatus, project_from_idea};
use crate::domain::role::Role;
use crate::store::ideas::Challenge;
use crate::web::error::form_status;
use crate::web::error::{PageError, PageResult};
use crate::web::publishing::admin::DecisionForm;
use crate::web::viewer::{CsrfForm, Viewer};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::Value;
use minijinja::context;
use minijinja::value::Serde;

/// `GET /admin/ideas`: challenges, and the form for a new one.
pub async fn admin_list(State(app): State<App>, viewer: Viewer) -> PageResult {
    render_admin_list(
        &app,
        &viewer,
        &ChallengeInput::default(),
        FieldErrors::new(),
    )
    .await
}

async fn render_admin_list(
    app: &App,
    viewer: &Viewer,
    form: &ChallengeInput,
    errors: FieldErrors,
) -> PageResult {
    let user = viewer.signed_in()?.clone();
    let all = app.db.organisations().await?;
    let editor = user.organisations_with(Role::Editor, &all);
    let moderator = user.organisations_with(Role::Moderator, &all);
    if editor.is_empty() && moderator.is_empty() {
        return Err(PageError::Forbidden);
    }
    let status = form_status(&errors);
    let mut challenges = Vec::new();
    for c in app.db.challenges().await? {
        if editor
            .iter()
            .chain(&moderator)
            .any(|o| o.id == c.organisation_id)
        {
            let pending = app.db.ideas(c.id, &[IdeaStatus::Pending]).await?.len();
            challenges.push((c, pending));
        }
    }
    viewer.render_with_status(
        app,
        "admin/ideas/list.html",
        context! {
            challenges => Serde(challenges), organisations => Serde(editor), errors => Serde(errors),
            form => context! { opens => Serde(&form.opens), closes => Serde(&form.closes), ..Value::from(Serde(form)) },
            time_zone => app.config.time_zone.name(),
        },
        status,
    )
}

/// `POST /admin/ideas`: creates a challenge (editor).
pub async fn create_challenge(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<ChallengeInput>,
) -> PageResult {
    let user = viewer.signed_in()?.clone();
    let orgs = user.organisations_with(Role::Editor, &app.db.organisations().await?);
    if orgs.is_empty() {
        return Err(PageError::Forbidden);
    }
    let keys: Vec<(String, i64)> = orgs.iter().map(|o| (o.slug.clone(), o.id)).collect();
    let c = match form.check(&keys, &app.config.time_zone) {
        Ok(c) => c,
        Err(errors) => return render_admin_list(&app, &viewer, &form, errors).await,
    };
    let slug = c.slug.as_str();
    let created = (app.db)
        .create_challenge(
            c.organisation_id,
            slug,
            &c.title,
            &c.summary,
            &c.criteria,
            c.opens_at,
            c.closes_at,
        )
        .await;
    match created {
        Ok(_) => {
            app.db
                .audit(Some(user.id), "challenge.create", slug, "")
                .await?;
            Ok(Redirect::to(&format!("/admin/ideas/{slug}")).into_response())
        }
        Err(crate::store::StoreError::Conflict(_)) => {
            let errors = FieldErrors::one(
                "slug",
                "Another challenge already has that web address: choose another",
            );
            render_admin_list(&app, &viewer, &form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Roles the viewer holds for a challenge's organisation: (moderator, panel member).
async fn roles_for(app: &App, viewer: &Viewer, c: &Challenge) -> PageResult<(i64, bool, bool)> {
    let user = viewer.signed_in()?.clone();
    let all = app.db.organisations().await?;
    let holds = |role| {
        user.organisations_with(role, &all)
            .iter()
            .any(|o| o.id == c.organisation_id)
    };
    let (moderator, panel) = (holds(Role::Moderator), holds(Role::Editor));
    if !moderator && !panel {
        return Err(PageError::Forbidden);
    }
    Ok((user.id, moderator, panel))
}

/// `GET /admin/ideas/{challenge}`: moderation queue, scoring and shortlist.
pub async fn admin_challenge(
    State(app): State<App>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> PageResult {
    let c = app.db.challenge_by_slug(&slug).await?;
    let (_, moderator, panel) = roles_for(&app, &viewer, &c).await?;
    let user = viewer.signed_in()?;
    let programme = user
        .organisations_with(Role::Programme, &app.db.organisations().await?)
        .iter()
        .any(|o| o.id == c.organisation_id);
    viewer.render(
        &app,
        "admin/ideas/challenge.html",
        context! {
            challenge => Serde(&c), criteria => c.criteria(), moderator, panel, programme,
            projects => Serde(app.db.idea_projects(c.id).await?),
            pending => Serde(app.db.ideas(c.id, &[IdeaStatus::Pending]).await?),
            ideas => Serde(app.db.ideas(c.id, IdeaStatus::PUBLIC).await?),
            rejected => Serde(app.db.ideas(c.id, &[IdeaStatus::Rejected]).await?),
            bursts => Serde(crate::domain::idea::bursts(&app.db.vote_times(c.id).await?)),
            burst_minutes => crate::domain::idea::BURST_WINDOW_SECS / 60,
        },
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct VotingForm {
    /// `yes`: votes count once confirmed from an email address.
    need_email: String,
}

/// `POST /admin/ideas/{challenge}/voting` (moderator): whether votes need a confirmed email.
pub async fn set_voting(
    State(app): State<App>,
    viewer: Viewer,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<VotingForm>,
) -> PageResult {
    let c = app.db.challenge_by_slug(&slug).await?;
    let (user, moderator, _) = roles_for(&app, &viewer, &c).await?;
    if !moderator {
        return Err(PageError::Forbidden);
    }
    let need = form.need_email == "yes";
    app.db.set_votes_need_email(c.id, need).await?;
    let detail = if need { "by email" } else { "by browser" };
    (app.db)
        .audit(Some(user), "challenge.voting", &slug, detail)
        .await?;
    Ok(Redirect::to(&format!("/admin/ideas/{slug}#voting")).into_response())
}

/// `POST /admin/ideas/{challenge}/{idea}/decide`: approve, reject with a reason, shortlist
/// (moderator).
pub async fn decide(
    State(app): State<App>,
    viewer: Viewer,
    Path((slug, id)): Path<(String, i64)>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> PageResult {
    let c = app.db.challenge_by_slug(&slug).await?;
    let (user, moderator, _) = roles_for(&app, &viewer, &c).await?;
    if !moderator {
        return Err(PageError::Forbidden);
    }
    let idea = app.db.idea(id).await?;
    if idea.challenge_id != c.id {
        return Err(PageError::NotFound);
    }
    let reason = form.reason.trim();
    match form.decision.as_str() {
        "approve" => app.db.decide_idea(id, IdeaStatus::Approved, None).await?,
        "shortlist" => app.db.decide_idea(id, IdeaStatus::Shortlisted, None).await?,
        "reject" if !reason.is_empty() => app.db.decide_idea(id, IdeaStatus::Rejected, Some(reason)).await?,
        "reject" => return Err(PageError::BadRequest("Give a reason for rejecting the idea: it is recorded with the decision. Go back and try again.".into())),
        _ => return Err(PageError::BadRequest("Choose approve, reject or shortlist.".into())),
    }
    app.db
        .audit(
            Some(user),
            &format!("idea.{}", form.decision),
            &c.slug,
            &format!("idea {id}: {}", idea.title),
        )
        .await?;
    Ok(Redirect::to(&format!("/admin/ideas/{slug}")).into_response())
}

/// `POST /admin/ideas/{challenge}/{idea}/score`: a panel member's score (0 to 5) against each
/// criterion; fields `score_0`, `score_1`… in the criteria's order.
pub async fn score(
    State(app): State<App>,
    viewer: Viewer,
    Path((slug, id)): Path<(String, i64)>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> PageResult {
    let c = app.db.challenge_by_slug(&slug).await?;
    let (user, _, panel) = roles_for(&app, &viewer, &c).await?;
    if !panel {
        return Err(PageError::Forbidden);
    }
    let idea = app.db.idea(id).await?;
    if idea.challenge_id != c.id || !idea.status.is_public() {
        return Err(PageError::NotFound);
    }
    let mut scores = Vec::new();
    for (i, criterion) in c.criteria().into_iter().enumerate() {
        let value = fields
            .iter()
            .find(|(k, _)| k == &format!("score_{i}"))
            .map(|(_, v)| v.trim());
        match value.and_then(|v| v.parse::<i64>().ok()) {
            Some(n) if (0..=5).contains(&n) => scores.push((criterion, n)),
            _ => {
                return Err(PageError::BadRequest(format!(
                    "Give a score from 0 to 5 for “{criterion}”."
                )));
            }
        }
    }
    app.db.score_idea(id, user, &scores).await?;
    app.db
        .audit(Some(user), "idea.score", &c.slug, &format!("idea {id}"))
        .await?;
    Ok(Redirect::to(&format!("/admin/ideas/{slug}#idea-{id}")).into_response())
}

/// `POST /admin/ideas/{challenge}/{idea}/project` (programme role): a shortlisted idea
/// becomes a project in the register (in discovery), linked back to the idea; the programme
/// manager then completes it in the register's editor.
pub async fn make_project(
    State(app): State<App>,
    viewer: Viewer,
    Path((slug, id)): Path<(String, i64)>,
    CsrfForm(_): CsrfForm<DecisionForm>,
) -> PageResult {
    let c = app.db.challenge_by_slug(&slug).await?;
    let user = viewer.signed_in()?.clone();
    let all = app.db.organisations().await?;
    let programme = user.organisations_with(Role::Programme, &all);
    if !programme.iter().any(|o| o.id == c.organisation_id) {
        return Err(PageError::Forbidden);
    }
    let idea = app.db.idea(id).await?;
    if idea.challenge_id != c.id || idea.status != IdeaStatus::Shortlisted {
        return Err(PageError::BadRequest(
            "Only a shortlisted idea can become a project: shortlist it first.".into(),
        ));
    }
    if app
        .db
        .idea_projects(c.id)
        .await?
        .iter()
        .any(|(i, _, _)| *i == id)
    {
        return Err(PageError::BadRequest(
            "This idea is already a project; find it in the programme register.".into(),
        ));
    }
    let register = app.db.register().await?;
    let today = crate::store::now().day();
    let taken = |slug: &str| register.project(slug).is_some();
    let project = project_from_idea(&idea.title, &idea.body, c.organisation_id, today, taken);
    let slug_text = project.slug.to_string();
    let project_id = app.db.create_project_from_idea(id, &project).await?;
    app.db
        .audit(
            Some(user.id),
            "idea.project",
            &c.slug,
            &format!("idea {id} became project {slug_text}"),
        )
        .await?;
    Ok(Redirect::to(&format!("/admin/programme/projects/{project_id}/edit")).into_response())
}
