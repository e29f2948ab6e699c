//! Site-wide settings, as text values by key.

use super::{Db, StoreResult, read, write};
use crate::store::versions::Topic;

/// The pre-election pause: when set, no new comments are taken anywhere.
pub const COMMENTS_PAUSED: &str = "comments_paused_message";

/// The address people write to about the site (alternative formats, their data), which the
/// accessibility statement and privacy notice give.
pub const CONTACT_EMAIL: &str = "contact_email";

impl Db {
    pub async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(read!(self, |pool| sqlx::query_scalar(
            "SELECT value FROM settings WHERE key = $1"
        )
        .bind(key)
        .fetch_optional(pool)
        .await)?)
    }

    /// Sets a value, or removes it with `None`.
    pub async fn set_setting(&self, key: &str, value: Option<&str>) -> StoreResult<()> {
        let done: StoreResult<_> = async {
            match value {
                Some(v) => write!(self, |pool| sqlx::query(
                    "INSERT INTO settings (key, value) VALUES ($1, $2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                )
                .bind(key)
                .bind(v)
                .execute(pool)
                .await
                .map(|_| ()))?,
                None => write!(self, |pool| sqlx::query(
                    "DELETE FROM settings WHERE key = $1"
                )
                .bind(key)
                .execute(pool)
                .await
                .map(|_| ()))?,
            }
            Ok(())
        }
        .await;
        // Settings show on posts (the comments pause) and with library items (the contact
        // address attachments offer other formats from).
        self.then_changed(done, &[Topic::Posts, Topic::Media]).await
    }
}
