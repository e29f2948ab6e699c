//! E-mail subscriptions for readers, with no account (docs/email.md): `/subscribe` asks for
//! an address and lists, the confirmation link turns them on, and the signed links in every
//! message manage them (`/subscriptions/manage`) or leave one list at a click
//! (`/subscriptions/unsubscribe`, which mail clients post to: RFC 8058).
//!
//! Links followed from a message show a button rather than acting on a GET: mail scanners
//! open links to check them, and must not confirm or unsubscribe anyone.

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::role::Role;
use crate::domain::subscription::{CONFIRM_WITHIN_SECS, Frequency, List, MAX_LISTS_PER_FORM};
use crate::domain::user::Email;
use crate::store::subscriptions::Subscriber;
use crate::subscriptions::{Addressee, Leave, Links, ListNames, ask_to_confirm};
use crate::web::client_ip::ClientIp;
use crate::web::error::{PageError, PageResult, form_status};
use crate::web::viewer::{CsrfForm, Viewer};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;
use std::collections::HashMap;

/// Subscribe forms one network address may send in an hour.
const PER_ADDRESS_PER_HOUR: i64 = 10;
/// Confirmation messages one e-mail address may be sent in a day, however many ask.
const CONFIRMATIONS_PER_DAY: i64 = 3;

/// The site's links, or the page saying e-mail is not set up (no `--public-url`).
async fn links(app: &App) -> Result<Links, PageError> {
    match &app.config.public_url {
        Some(base) => Ok(Links::load(&app.db, base.as_str()).await?),
        None => Err(PageError::NotFound),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SubscribeQuery {
    list: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SubscribeForm {
    email: String,
    list: Vec<String>,
    frequency: String,
}

/// `GET /subscribe?list=category:5`: the form, with the list the reader came from ticked.
pub async fn subscribe_page(
    State(app): State<App>,
    viewer: Viewer,
    Query(q): Query<SubscribeQuery>,
) -> PageResult {
    let names = ListNames::load(&app.db).await?;
    let chosen: Vec<String> = List::parse(&q.list)
        .filter(|l| names.exists(*l))
        .map(|l| vec![l.key()])
        .unwrap_or_default();
    render_subscribe(
        &app,
        &viewer,
        &names,
        "",
        &chosen,
        "daily",
        FieldErrors::new(),
    )
}

fn render_subscribe(
    app: &App,
    viewer: &Viewer,
    names: &ListNames,
    email: &str,
    chosen: &[String],
    frequency: &str,
    errors: FieldErrors,
) -> PageResult {
    let groups = group_lists(names, chosen);
    let status = form_status(&errors);
    viewer.render_with_status(
        app,
        "subscriptions/subscribe.html",
        context! {
            email, frequency, groups => Serde(&groups),
            available => app.config.public_url.is_some(),
            errors => Serde(&errors),
        },
        status,
    )
}

#[derive(serde::Serialize)]
struct Group {
    legend: &'static str,
    items: Vec<Item>,
}

#[derive(serde::Serialize)]
struct Item {
    value: String,
    text: String,
    checked: bool,
}

/// The lists a reader can choose, in groups as the form shows them.
fn group_lists(names: &ListNames, chosen: &[String]) -> Vec<Group> {
    let mut groups: Vec<Group> = [
        "Across the site",
        "Organisations",
        "Blog categories",
        "Topics",
    ]
    .into_iter()
    .map(|legend| Group {
        legend,
        items: vec![],
    })
    .collect();
    for (list, name) in names.all() {
        let group = match list {
            List::Hub | List::Consultations | List::Programme | List::Results(_) => 0,
            List::Organisation(_) => 1,
            List::Category(_) => 2,
            List::Topic(_) => 3,
        };
        let value = list.key();
        groups[group].items.push(Item {
            checked: chosen.contains(&value),
            value,
            text: name,
        });
    }
    groups.retain(|g| !g.items.is_empty());
    groups
}

/// `POST /subscribe`: checks the form and sends the confirmation link. The answer is the same
/// whether or not the address was subscribed already.
pub async fn subscribe(
    State(app): State<App>,
    viewer: Viewer,
    ClientIp(ip): ClientIp,
    CsrfForm(form): CsrfForm<SubscribeForm>,
) -> PageResult {
    links(&app).await?;
    let names = ListNames::load(&app.db).await?;
    let mut errors = FieldErrors::new();
    let email = Email::parse(&form.email)
        .map_err(|message| errors.add("email", message))
        .ok();
    let lists: Option<Vec<List>> = form
        .list
        .iter()
        .map(|k| List::parse(k).filter(|l| names.exists(*l)))
        .collect();
    match &lists {
        _ if form.list.len() > MAX_LISTS_PER_FORM => errors.add(
            "list",
            format!("Choose {MAX_LISTS_PER_FORM} or fewer things to get emails about"),
        ),
        Some(lists) if lists.is_empty() => {
            errors.add("list", "Choose at least one thing to get emails about")
        }
        None => errors.add(
            "list",
            "One of the things chosen no longer exists: choose again",
        ),
        Some(_) => {}
    }
    let frequency = Frequency::parse(&form.frequency);
    if frequency.is_none() {
        errors.add("frequency", "Choose how often you want emails");
    }
    let (Some(email), Some(lists), Some(frequency), true) =
        (email, lists, frequency, errors.is_empty())
    else {
        return render_subscribe(
            &app,
            &viewer,
            &names,
            form.email.trim(),
            &form.list,
            &form.frequency,
            errors,
        );
    };
    let choices: Vec<(List, Frequency)> = lists.iter().map(|l| (*l, frequency)).collect();
    if !ask(&app, ip, &email, &choices).await? {
        let errors = FieldErrors::one("email", TOO_MANY);
        let page = render_subscribe(
            &app,
            &viewer,
            &names,
            email.as_str(),
            &form.list,
            &form.frequency,
            errors,
        )?;
        return Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response());
    }
    check_email(&app, &viewer, &email)
}

/// What a network that sent too many sign-ups is told.
pub const TOO_MANY: &str = "Too many sign-ups from your network. Wait an hour and try again";

/// Asks `email` to confirm `choices`, within the limits: false when the network address `ip`
/// has sent too many sign-ups this hour (nothing is sent). However many people ask, an address
/// gets a few confirmation messages a day at most, so the form cannot flood an inbox; past
/// that, the answer is the same but nothing is sent.
pub async fn ask(
    app: &App,
    ip: std::net::IpAddr,
    email: &Email,
    choices: &[(List, Frequency)],
) -> Result<bool, PageError> {
    let links = links(app).await?;
    if app
        .db
        .rate_limit_hit(&format!("subscribe:address:{ip}"), 3600)
        .await?
        > PER_ADDRESS_PER_HOUR
    {
        return Ok(false);
    }
    let key = format!("subscribe:email:{}", email.as_str());
    if app.db.rate_limit_hit(&key, 86_400).await? <= CONFIRMATIONS_PER_DAY {
        let names = ListNames::load(&app.db).await?;
        ask_to_confirm(
            &app.db,
            &app.templates,
            &links,
            email.as_str(),
            choices,
            &names,
        )
        .await
        .map_err(PageError::Internal)?;
    }
    Ok(true)
}

/// The page after a sign-up: the link is on its way.
pub fn check_email(app: &App, viewer: &Viewer, email: &Email) -> PageResult {
    viewer.render(
        app,
        "subscriptions/check_email.html",
        context! { email => email.as_str(), valid_days => CONFIRM_WITHIN_SECS / 86_400 },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenForm {
    token: String,
}

/// `GET /subscriptions/confirm?token=…`: a button that confirms (see the module's note).
pub async fn confirm_page(
    State(app): State<App>,
    viewer: Viewer,
    Query(q): Query<TokenForm>,
) -> PageResult {
    viewer.render(
        &app,
        "subscriptions/confirm.html",
        context! { token => q.token },
    )
}

/// `POST /subscriptions/confirm`: turns the address's waiting subscriptions on.
pub async fn confirm(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> PageResult {
    let links = links(&app).await?;
    let hash = crate::auth::token_hash(form.token.trim());
    match app
        .db
        .confirm_subscriptions(&hash, CONFIRM_WITHIN_SECS)
        .await?
    {
        Some(subscriber) => Ok(Redirect::to(&format!(
            "{}&done=confirmed",
            links.manage_path(Addressee::from(&subscriber))
        ))
        .into_response()),
        None => viewer.render_with_status(
            &app,
            "subscriptions/link_gone.html",
            context! {},
            StatusCode::NOT_FOUND,
        ),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ManageQuery {
    s: String,
    done: String,
}

/// The subscriber a signed link is for, or the page saying the link does not work.
async fn signed(app: &App, links: &Links, token: &str) -> Result<Subscriber, PageError> {
    links
        .check(&app.db, token.trim())
        .await?
        .ok_or(PageError::NotFound)
}

/// `GET /subscriptions/manage?s=…`: the address's lists and how often each is sent.
pub async fn manage_page(
    State(app): State<App>,
    viewer: Viewer,
    Query(q): Query<ManageQuery>,
) -> PageResult {
    let links = links(&app).await?;
    let Ok(subscriber) = signed(&app, &links, &q.s).await else {
        return link_gone(&app, &viewer);
    };
    render_manage(&app, &viewer, &links, &subscriber, &q.done).await
}

fn link_gone(app: &App, viewer: &Viewer) -> PageResult {
    viewer.render_with_status(
        app,
        "subscriptions/link_gone.html",
        context! {},
        StatusCode::NOT_FOUND,
    )
}

async fn render_manage(
    app: &App,
    viewer: &Viewer,
    links: &Links,
    subscriber: &Subscriber,
    done: &str,
) -> PageResult {
    let names = ListNames::load(&app.db).await?;
    let rows: Vec<_> = app
        .db
        .subscriptions_of(subscriber.id)
        .await?
        .into_iter()
        .map(|s| {
            context! {
                key => s.list.key(),
                name => names.name(s.list),
                frequency => s.frequency.as_str(),
                confirmed => s.confirmed_at.is_some(),
            }
        })
        .collect();
    let message = match done {
        "confirmed" => Some("Your subscription is confirmed"),
        "saved" => Some("Your choices are saved"),
        _ => None,
    };
    viewer.render(
        app,
        "subscriptions/manage.html",
        context! {
            email => &subscriber.email,
            token => links.token(subscriber.into()),
            rows, message,
            paused => subscriber.paused_at.is_some(),
        },
    )
}

/// `POST /subscriptions/manage`: each list's new frequency (`frequency:KEY`, or `stop`), or
/// `action=leave` to forget the address altogether.
pub async fn manage(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> PageResult {
    let links = links(&app).await?;
    let token = form.get("s").map(String::as_str).unwrap_or_default();
    let Ok(subscriber) = signed(&app, &links, token).await else {
        return link_gone(&app, &viewer);
    };
    if form.get("action").is_some_and(|a| a == "leave") {
        app.db.erase_subscriber(&subscriber.email).await?;
        return viewer.render(
            &app,
            "subscriptions/left.html",
            context! { email => &subscriber.email, everything => true },
        );
    }
    for s in app.db.subscriptions_of(subscriber.id).await? {
        let Some(choice) = form.get(&format!("frequency:{}", s.list.key())) else {
            continue;
        };
        let frequency = match choice.as_str() {
            "stop" => None,
            other => match Frequency::parse(other) {
                Some(f) => Some(f),
                None => continue,
            },
        };
        app.db
            .set_subscription(subscriber.id, s.list, frequency)
            .await?;
    }
    Ok(Redirect::to(&format!(
        "{}&done=saved",
        links.manage_path(Addressee::from(&subscriber))
    ))
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UnsubscribeQuery {
    s: String,
    list: String,
    frequency: String,
}

impl UnsubscribeQuery {
    fn leave(&self) -> Option<Leave> {
        match (List::parse(&self.list), Frequency::parse(&self.frequency)) {
            (Some(list), _) => Some(Leave::List(list)),
            (None, Some(f)) => Some(Leave::Every(f)),
            (None, None) => None,
        }
    }
}

/// `GET /subscriptions/unsubscribe?s=…&list=…`: a button that unsubscribes.
pub async fn unsubscribe_page(
    State(app): State<App>,
    viewer: Viewer,
    Query(q): Query<UnsubscribeQuery>,
) -> PageResult {
    let links = links(&app).await?;
    let (Ok(subscriber), Some(leave)) = (signed(&app, &links, &q.s).await, q.leave()) else {
        return link_gone(&app, &viewer);
    };
    let names = ListNames::load(&app.db).await?;
    viewer.render(
        &app,
        "subscriptions/unsubscribe.html",
        context! {
            what => leaving(&names, leave),
            action => links.unsubscribe_path(Addressee::from(&subscriber), leave),
            manage => links.manage_path(Addressee::from(&subscriber)),
        },
    )
}

fn leaving(names: &ListNames, leave: Leave) -> String {
    match leave {
        Leave::List(list) => names.name(list),
        Leave::Every(Frequency::Weekly) => "Your weekly emails".into(),
        Leave::Every(_) => "Your daily emails".into(),
    }
}

#[derive(Deserialize, Default)]
pub struct OneClick {}

/// `POST /subscriptions/unsubscribe?s=…&list=…`: the page's button, and a mail client's
/// one-click unsubscribe (RFC 8058: `List-Unsubscribe=One-Click` in the body, no cookie).
pub async fn unsubscribe(
    State(app): State<App>,
    viewer: Viewer,
    Query(q): Query<UnsubscribeQuery>,
    CsrfForm(_): CsrfForm<OneClick>,
) -> PageResult {
    let links = links(&app).await?;
    let (Ok(subscriber), Some(leave)) = (signed(&app, &links, &q.s).await, q.leave()) else {
        return link_gone(&app, &viewer);
    };
    match leave {
        Leave::List(list) => {
            app.db.set_subscription(subscriber.id, list, None).await?;
        }
        Leave::Every(f) => {
            app.db.end_subscriptions_at(subscriber.id, f).await?;
        }
    }
    let names = ListNames::load(&app.db).await?;
    viewer.render(
        &app,
        "subscriptions/left.html",
        context! {
            email => &subscriber.email,
            what => leaving(&names, leave),
            manage => links.manage_path(Addressee::from(&subscriber)),
        },
    )
}

/// `GET /admin/subscriptions`: subscribers per list, the outbox, and addresses the relay
/// refused (hub admins: the addresses are personal data).
pub async fn admin(State(app): State<App>, viewer: Viewer) -> PageResult {
    render_admin(&app, &viewer, None, "", FieldErrors::new()).await
}

async fn render_admin(
    app: &App,
    viewer: &Viewer,
    message: Option<String>,
    email: &str,
    errors: FieldErrors,
) -> PageResult {
    viewer.require_hub_role(app, Role::Admin).await?;
    let names = ListNames::load(&app.db).await?;
    let lists: Vec<_> = app
        .db
        .subscriber_counts()
        .await?
        .into_iter()
        .map(|c| context! { name => names.name(c.list), confirmed => c.confirmed, pending => c.pending })
        .collect();
    let status = form_status(&errors);
    viewer.render_with_status(
        app,
        "admin/subscriptions.html",
        context! {
            lists,
            outbox => Serde(app.db.outbox_counts().await?),
            refused => Serde(app.db.refused_subscribers(100).await?),
            relay => app.mailer.is_some(),
            public_url => app.config.public_url.is_some(),
            message, email,
            errors => Serde(&errors),
        },
        status,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AddressForm {
    email: String,
    id: i64,
}

/// `POST /admin/subscriptions/erase`: forgets an address on request (its subscriptions and
/// any message to it not sent yet).
pub async fn admin_erase(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<AddressForm>,
) -> PageResult {
    let admin = viewer.require_hub_role(&app, Role::Admin).await?.clone();
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(message) => {
            return render_admin(
                &app,
                &viewer,
                None,
                &form.email,
                FieldErrors::one("email", message),
            )
            .await;
        }
    };
    if !app.db.erase_subscriber(email.as_str()).await? {
        let errors = FieldErrors::one(
            "email",
            format!(
                "No subscriber has the address {}. Check it and try again",
                email.as_str()
            ),
        );
        return render_admin(&app, &viewer, None, email.as_str(), errors).await;
    }
    app.db
        .audit(Some(admin.id), "subscriber.erase", "", "")
        .await?;
    render_admin(
        &app,
        &viewer,
        Some(format!(
            "{} and its subscriptions are deleted",
            email.as_str()
        )),
        "",
        FieldErrors::new(),
    )
    .await
}

/// `POST /admin/subscriptions/resume`: sends to a paused address again.
pub async fn admin_resume(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<AddressForm>,
) -> PageResult {
    let admin = viewer.require_hub_role(&app, Role::Admin).await?.clone();
    if !app.db.resume_subscriber(form.id).await? {
        return Err(PageError::NotFound);
    }
    app.db
        .audit(
            Some(admin.id),
            "subscriber.resume",
            &form.id.to_string(),
            "",
        )
        .await?;
    Ok(Redirect::to("/admin/subscriptions").into_response())
}
