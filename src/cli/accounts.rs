//! `townhall user …`, `townhall organisation add` and `townhall token create`: people,
//! organisations and API tokens from the command line.

use super::{DatabaseArg, connect, parse_public_url};
use crate::auth::{API_TOKEN_PREFIX, generate_password, hash_password, random_token, token_hash};
use crate::domain::organisation::NewOrganisation;
use crate::domain::role::Role;
use crate::domain::text::required_line;
use crate::domain::user::{Email, LinkPurpose, check_new_password};
use crate::store::{Db, StoreError};
use anyhow::{Context, bail};
use clap::Subcommand;
use std::io::{IsTerminal, Read};

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user. Reads the password from standard input, or generates and prints one.
    Add {
        #[command(flatten)]
        db: DatabaseArg,
        /// Email address (used to sign in).
        #[arg(long, env = "TOWNHALL_EMAIL")]
        email: String,
        /// Full name.
        #[arg(long, env = "TOWNHALL_NAME")]
        name: String,
        /// Role: admin, editor, moderator, analyst or programme.
        #[arg(long, env = "TOWNHALL_ROLE")]
        role: String,
        /// Organisation the role is held in (default: the department, when there is one).
        #[arg(long, env = "TOWNHALL_ORG")]
        org: Option<String>,
        /// Also make them a hub admin: they manage every organisation and add departments.
        #[arg(long)]
        hub_admin: bool,
    },
    /// Make a user a hub admin (every organisation, adding departments), or with --revoke no
    /// longer one. Only the command line gives this.
    HubAdmin {
        #[command(flatten)]
        db: DatabaseArg,
        #[arg(long, env = "TOWNHALL_EMAIL")]
        email: String,
        #[arg(long)]
        revoke: bool,
    },
    /// Print a one-time link with which a user sets a new password (for a server without a
    /// mail relay): it works once, for 30 minutes (7 days for someone who has never set one),
    /// and any older link stops working.
    Reset {
        #[command(flatten)]
        db: DatabaseArg,
        #[arg(long, env = "TOWNHALL_EMAIL")]
        email: String,
        /// The site's public address, as `serve --public-url` has it.
        #[arg(
            long,
            env = "TOWNHALL_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum OrganisationCommand {
    /// Create an organisation (a department, or an arm's-length body with --parent).
    Add {
        #[command(flatten)]
        db: DatabaseArg,
        /// Name, e.g. "Department of Community Services".
        #[arg(long, env = "TOWNHALL_NAME")]
        name: String,
        /// Short name for web addresses (default: made from the name).
        #[arg(long, env = "TOWNHALL_SLUG", default_value = "")]
        slug: String,
        /// The department this body reports to (its short name).
        #[arg(long, env = "TOWNHALL_PARENT")]
        parent: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Print a new API token for a user (shown once; only its hash is stored).
    Create {
        #[command(flatten)]
        db: DatabaseArg,
        #[arg(long, env = "TOWNHALL_EMAIL")]
        email: String,
    },
}

pub(super) async fn user(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            db,
            email,
            name,
            role,
            org,
            hub_admin,
        } => {
            let id = user_add(&db.database, &email, &name, &role, org.as_deref()).await?;
            if hub_admin {
                hub_admin_set(&db.database, id, &email, true).await?;
            }
            Ok(())
        }
        UserCommand::HubAdmin { db, email, revoke } => {
            let user = existing_user(&connect(&db.database).await?, &email).await?;
            hub_admin_set(&db.database, user.id, &email, !revoke).await
        }
        UserCommand::Reset {
            db,
            email,
            public_url,
        } => user_reset(&db.database, &email, &public_url).await,
    }
}

pub(super) async fn organisation(command: OrganisationCommand) -> anyhow::Result<()> {
    match command {
        OrganisationCommand::Add {
            db,
            name,
            slug,
            parent,
        } => organisation_add(&db.database, &name, &slug, parent.as_deref()).await,
    }
}

pub(super) async fn token(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create { db, email } => token_create(&db.database, &email).await,
    }
}

/// The organisation named by `slug`, or the only department when none is named.
pub(super) async fn organisation_or_department(
    db: &Db,
    slug: Option<&str>,
) -> anyhow::Result<crate::store::organisations::Organisation> {
    let orgs = db.organisations().await?;
    let found = match slug {
        Some(slug) => orgs.into_iter().find(|o| o.slug == slug).with_context(|| {
            format!("there is no organisation {slug:?}; list them at /admin/organisations or create one with `townhall organisation add`")
        })?,
        None => {
            let mut top: Vec<_> = orgs.into_iter().filter(|o| o.parent_id.is_none()).collect();
            match top.len() {
                1 => top.remove(0),
                0 => bail!("there are no organisations yet: create one with `townhall organisation add --name NAME`"),
                _ => bail!("there are several departments: choose one with --org"),
            }
        }
    };
    Ok(found)
}

/// Reads a password from standard input when it is piped in; `None` when there is none.
/// The user with this e-mail address, or a one-line error that says how to add one.
async fn existing_user(db: &Db, email: &str) -> anyhow::Result<crate::store::users::User> {
    let address = Email::parse(email).map_err(anyhow::Error::msg)?;
    db.user_by_email(&address).await.map_err(|_| {
        anyhow::anyhow!(
            "there is no user with the email {}; add one with `townhall user add`",
            address.as_str()
        )
    })
}

fn password_from_stdin() -> anyhow::Result<Option<String>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(None);
    }
    let mut input = String::new();
    stdin
        .lock()
        .take(4096)
        .read_to_string(&mut input)
        .context("cannot read the password from standard input")?;
    let password = input.lines().next().unwrap_or("").to_string();
    Ok(if password.is_empty() {
        None
    } else {
        Some(password)
    })
}

async fn user_reset(url: &str, email: &str, public_url: &str) -> anyhow::Result<()> {
    let base = parse_public_url(public_url)?;
    let db = connect(url).await?;
    let user = existing_user(&db, email).await?;
    if user.disabled {
        bail!("the account {email} is disabled: enable it in /admin/users first");
    }
    let purpose = if user.has_password {
        LinkPurpose::Reset
    } else {
        LinkPurpose::Invitation
    };
    let delivery = crate::accounts::Delivery::Printed;
    let link = crate::accounts::password_link(&db, &user, purpose, base.as_str(), delivery).await?;
    db.audit(None, "printed a password link", &user.email, "command line")
        .await?;
    println!("{}", link.url);
    eprintln!(
        "Give this link to {} privately. It works once, until {} (UTC); any older link no longer works.",
        user.email,
        link.expires_at.rfc3339()
    );
    Ok(())
}

async fn user_add(
    url: &str,
    email: &str,
    name: &str,
    role: &str,
    org: Option<&str>,
) -> anyhow::Result<i64> {
    let email = Email::parse(email).map_err(anyhow::Error::msg)?;
    let name = required_line(name, "a name", 200).map_err(anyhow::Error::msg)?;
    let role = Role::parse(role).map_err(anyhow::Error::msg)?;
    let db = connect(url).await?;
    let org = organisation_or_department(&db, org).await?;
    let (password, generated) = match password_from_stdin()? {
        Some(p) => {
            check_new_password(&p, &[email.as_str(), &name]).map_err(anyhow::Error::msg)?;
            (p, false)
        }
        None => (generate_password(), true),
    };
    let hash = hash_password(password.clone()).await?;
    let id = match db
        .create_user(&email, &name, &hash, &[(org.id, role)])
        .await
    {
        Ok(id) => id,
        Err(StoreError::Conflict(_)) => {
            bail!("there is already a user with the email {}", email.as_str())
        }
        Err(e) => return Err(e.into()),
    };
    db.audit(
        None,
        "created user",
        email.as_str(),
        &format!("{role} in {} (command line)", org.slug),
    )
    .await?;
    eprintln!(
        "Created {} ({}) as {role} in {}.",
        name,
        email.as_str(),
        org.name
    );
    if generated {
        println!("{password}");
        eprintln!("The password above was generated: give it to them privately.");
    }
    Ok(id)
}

async fn organisation_add(
    url: &str,
    name: &str,
    slug: &str,
    parent: Option<&str>,
) -> anyhow::Result<()> {
    let db = connect(url).await?;
    let parent_id = match parent {
        Some(p) => Some(
            db.organisation_by_slug(p)
                .await
                .map_err(|_| anyhow::anyhow!("there is no organisation {p:?} to be the parent"))?
                .id,
        ),
        None => None,
    };
    let org = NewOrganisation::parse(name, slug, "", parent_id).map_err(|errors| {
        anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    match db.create_organisation(&org).await {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => bail!(
            "the short name {} is already used: choose another with --slug",
            org.slug
        ),
        Err(e) => return Err(e.into()),
    }
    println!("{}", org.slug);
    eprintln!("Created {} at /organisations/{}.", org.name, org.slug);
    Ok(())
}

/// Makes the user `id` a hub admin, or (`hub_admin` false) no longer one.
async fn hub_admin_set(url: &str, id: i64, email: &str, hub_admin: bool) -> anyhow::Result<()> {
    let db = connect(url).await?;
    if !hub_admin && db.count_enabled_admins().await? <= 1 {
        let user = db.user(id).await?;
        let memberships = db.memberships(id).await?;
        if user.hub_admin && !memberships.iter().any(|m| m.role == Role::Admin) {
            bail!("{email} is the only admin: make another user a hub admin first");
        }
    }
    db.set_hub_admin(id, hub_admin).await?;
    let what = if hub_admin {
        "made hub admin"
    } else {
        "no longer hub admin"
    };
    db.audit(None, what, email, "command line").await?;
    eprintln!(
        "{email} {}.",
        if hub_admin {
            "is now a hub admin: they manage every organisation"
        } else {
            "is no longer a hub admin"
        }
    );
    Ok(())
}

async fn token_create(url: &str, email: &str) -> anyhow::Result<()> {
    let db = connect(url).await?;
    let user = existing_user(&db, email).await?;
    if user.disabled {
        bail!(
            "{} is disabled: enable the account at /admin/users first",
            user.email
        );
    }
    let token = format!("{API_TOKEN_PREFIX}{}", random_token());
    db.create_api_token(user.id, &token_hash(&token)).await?;
    db.audit(
        Some(user.id),
        "created API token",
        &user.email,
        "command line",
    )
    .await?;
    println!("{token}");
    Ok(())
}
