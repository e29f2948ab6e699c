//! Users and their roles in organisations.

use super::{Db, StoreError, StoreResult, found, now, one, read, write};
use crate::domain::role::Role;
use crate::domain::user::Email;
use crate::store::versions::Topic;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub disabled: bool,
    /// Manages every organisation (given and taken away only from the command line).
    pub hub_admin: bool,
    /// Signs in with a second factor.
    pub two_factor: bool,
    /// Has chosen a password (an invited user has not, until they follow the link).
    pub has_password: bool,
}

/// The columns of [`User`].
const USER: &str = "id, email, name, disabled, hub_admin, totp_secret IS NOT NULL AS two_factor,
                    password_hash <> '' AS has_password";

/// What sign-in needs: the user and the stored password hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub id: i64,
    /// Empty for an invited user who has not chosen a password yet.
    pub password_hash: String,
    pub disabled: bool,
    /// Signs in with a second factor.
    pub two_factor: bool,
}

/// One role held in one organisation.
#[derive(Debug, Clone, Serialize)]
pub struct Membership {
    pub organisation_id: i64,
    pub organisation_slug: String,
    pub organisation_name: String,
    pub role: Role,
}

#[derive(sqlx::FromRow)]
struct MembershipRow {
    organisation_id: i64,
    organisation_slug: String,
    organisation_name: String,
    role: String,
}

impl TryFrom<MembershipRow> for Membership {
    type Error = StoreError;
    fn try_from(r: MembershipRow) -> StoreResult<Membership> {
        let role = Role::parse(&r.role)
            .map_err(|e| StoreError::Database(sqlx::Error::Decode(e.into())))?;
        Ok(Membership {
            organisation_id: r.organisation_id,
            organisation_slug: r.organisation_slug,
            organisation_name: r.organisation_name,
            role,
        })
    }
}

impl Db {
    /// Creates a user with roles, in one transaction; a taken email is a conflict.
    pub async fn create_user(
        &self,
        email: &Email,
        name: &str,
        password_hash: &str,
        roles: &[(i64, Role)],
    ) -> StoreResult<i64> {
        let insert = "INSERT INTO users (email, name, password_hash, created_at) VALUES ($1, $2,
                      $3, $4) RETURNING id";
        let grant = "INSERT INTO memberships (user_id, organisation_id, role) VALUES ($1, $2,
                     $3)";
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(insert)
                .bind(email.as_str())
                .bind(name)
                .bind(password_hash)
                .bind(now())
                .fetch_one(&mut *tx)
                .await
                .map_err(StoreError::from_sqlx)?;
            for (org, role) in roles {
                sqlx::query(grant)
                    .bind(id)
                    .bind(org)
                    .bind(role.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(id)
        })
    }

    pub async fn users(&self) -> StoreResult<Vec<User>> {
        let q = format!("SELECT {USER} FROM users ORDER BY name, email");
        Ok(read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .fetch_all(pool)
            .await)?)
    }

    pub async fn user(&self, id: i64) -> StoreResult<User> {
        let q = format!("SELECT {USER} FROM users WHERE id = $1");
        one(read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .bind(id)
            .fetch_optional(pool)
            .await))
    }

    pub async fn user_by_email(&self, email: &Email) -> StoreResult<User> {
        let q = format!("SELECT {USER} FROM users WHERE email = $1");
        read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .bind(email.as_str())
            .fetch_optional(pool)
            .await)?
        .ok_or(StoreError::NotFound)
    }

    pub async fn credentials(&self, email: &Email) -> StoreResult<Option<Credentials>> {
        let q = "SELECT id, password_hash, disabled, totp_secret IS NOT NULL AS two_factor
                 FROM users WHERE email = $1";
        Ok(read!(self, |pool| sqlx::query_as(q)
            .bind(email.as_str())
            .fetch_optional(pool)
            .await)?)
    }

    /// Every role a user holds, by organisation.
    pub async fn memberships(&self, user_id: i64) -> StoreResult<Vec<Membership>> {
        let q = "SELECT m.organisation_id, o.slug AS organisation_slug, o.name AS
                 organisation_name, m.role
                 FROM memberships m JOIN organisations o ON o.id = m.organisation_id
                 WHERE m.user_id = $1 ORDER BY o.name, m.role";
        let rows: Vec<MembershipRow> = read!(self, |pool| sqlx::query_as(q)
            .bind(user_id)
            .fetch_all(pool)
            .await)?;
        rows.into_iter().map(Membership::try_from).collect()
    }

    /// Replaces a user's name, disabled flag and roles in one transaction. Disabling a user
    /// also ends their sessions and revokes their API tokens.
    pub async fn update_user(
        &self,
        id: i64,
        name: &str,
        disabled: bool,
        roles: &[(i64, Role)],
    ) -> StoreResult<()> {
        let done: StoreResult<_> = async {
            write!(self, |pool| {
                let mut tx = pool.begin().await?;
                let n = sqlx::query("UPDATE users SET name = $1, disabled = $2 WHERE id = $3")
                    .bind(name)
                    .bind(disabled)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
                sqlx::query("DELETE FROM memberships WHERE user_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                for (org, role) in roles {
                    sqlx::query(
                        "INSERT INTO memberships (user_id, organisation_id, role) VALUES ($1, $2,
                         $3)",
                    )
                    .bind(id)
                    .bind(org)
                    .bind(role.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
                if disabled {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("DELETE FROM api_tokens WHERE user_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            })
        }
        .await;
        self.then_changed(done, &[Topic::Posts]).await
    }

    /// Makes a user a hub admin, or no longer one.
    pub async fn set_hub_admin(&self, id: i64, hub_admin: bool) -> StoreResult<()> {
        let n = write!(self, |pool| sqlx::query(
            "UPDATE users SET hub_admin = $1 WHERE id = $2"
        )
        .bind(hub_admin)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        found(n)
    }

    /// Number of enabled users who are admins somewhere (or hub admins); the last one cannot
    /// be removed.
    pub async fn count_enabled_admins(&self) -> StoreResult<i64> {
        let q = "SELECT COUNT(*) FROM users u WHERE u.disabled = FALSE
                 AND (u.hub_admin OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id
                 AND m.role = 'admin'))";
        Ok(read!(self, |pool| sqlx::query_scalar(q)
            .fetch_one(pool)
            .await)?)
    }
}
