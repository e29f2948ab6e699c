//! Links to set a password, as the web admin, "Forgot your password?" and the command line
//! all make them: one working link per user (stored hashed), sent by e-mail through the
//! outbox or printed for the operator.

use crate::auth::{random_token, token_hash};
use crate::domain::time::Timestamp;
use crate::domain::user::LinkPurpose;
use crate::store::outbox::NewMail;
use crate::store::users::User;
use crate::store::{Db, StoreResult};

/// Where a link goes once made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Queued in the outbox, to the user's address.
    Email,
    /// Only returned, for the operator to pass on (`townhall user reset`).
    Printed,
}

/// A link that works once, until `expires_at`.
pub struct PasswordLink {
    pub url: String,
    pub expires_at: Timestamp,
}

/// Makes `user`'s one working link to set a password under the site address `base` (older
/// links stop working), and queues the message that carries it when asked to.
pub async fn password_link(
    db: &Db,
    user: &User,
    purpose: LinkPurpose,
    base: &str,
    delivery: Delivery,
) -> StoreResult<PasswordLink> {
    let token = random_token();
    let url = format!("{}/set-password?token={token}", base.trim_end_matches('/'));
    let (subject, body) = message(user, purpose, &url);
    let mail = NewMail::plain(&user.email, subject, &body);
    let mail = (delivery == Delivery::Email).then_some(&mail);
    let expires_at = db
        .create_password_link(user.id, purpose, &token_hash(&token), mail)
        .await?;
    Ok(PasswordLink { url, expires_at })
}

/// The message's subject and body. It says how long the link works and what to do if it was
/// not asked for; it never holds a password.
fn message(user: &User, purpose: LinkPurpose, url: &str) -> (&'static str, String) {
    match purpose {
        LinkPurpose::Reset => (
            "Reset your password",
            format!(
                "Hello {},\n\n\
                 Someone, we hope you, asked to reset the password of your account.\n\n\
                 To choose a new password, open this link within 30 minutes:\n{url}\n\n\
                 The link works once. If you did not ask, ignore this message: your password \
                 stays as it is.",
                user.name
            ),
        ),
        LinkPurpose::Invitation => (
            "You have been given an account",
            format!(
                "Hello {},\n\n\
                 An administrator has given you an account with the email address {}.\n\n\
                 To choose your password and sign in, open this link within 7 days:\n{url}\n\n\
                 The link works once. If it runs out, ask the administrator for a new one.",
                user.name, user.email
            ),
        ),
    }
}
