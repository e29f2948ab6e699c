//! Single sign-on with OpenID Connect: staff sign in with the accounts their department already
//! has (Microsoft Entra ID, Google Workspace, any certified provider).
//!
//! The authorisation code flow with PKCE: `begin` makes the provider's address with a random
//! state, nonce and PKCE challenge (kept by the caller, see `store/sso.rs`); `finish` trades
//! the code for tokens with the PKCE verifier, checks the ID token (signature against the
//! provider's published keys, issuer, audience, expiry, and the nonce) and returns the
//! verified e-mail address. Roles are never taken from the provider: a user is matched by that
//! address, and what they may do is given in Townhall.
//!
//! Providers are settings (`--oidc-provider`); each one's discovery document is fetched on
//! first use and kept for an hour. HTTP to providers goes through `ureq` on the blocking pool,
//! without following redirects.

use openidconnect::core::{CoreClient, CoreProviderMetadata, CoreResponseType};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, http,
};
use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a provider's discovery document is kept.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
/// The largest answer read from a provider.
const MAX_ANSWER: u64 = 1 << 20;

/// One provider, as `--oidc-provider` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// Its part of the address (`/sign-in/sso/{slug}`), made from the name.
    pub slug: String,
    /// What the sign-in button says: "Sign in with {name}".
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    /// Read from the environment variable the setting names (never written in a setting).
    pub client_secret: Option<String>,
    /// E-mail domains whose people get an account (with no roles) the first time they sign
    /// in; empty: only people who already have an account may sign in.
    pub new_accounts_for: Vec<String>,
}

impl Provider {
    /// Reads `name=…,issuer=…,client-id=…[,secret-env=VAR][,new-accounts-for=a.gov.uk b.gov.uk]`,
    /// taking the secret from the environment variable named by `secret-env`.
    pub fn parse(spec: &str) -> Result<Provider, String> {
        let mut fields: HashMap<&str, &str> = HashMap::new();
        for part in spec.split(',') {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?} is not key=value"))?;
            fields.insert(key.trim(), value.trim());
        }
        let need = |key: &str| {
            fields
                .get(key)
                .filter(|v| !v.is_empty())
                .map(|v| v.to_string())
                .ok_or_else(|| format!("{key}= is missing"))
        };
        let name = need("name")?;
        let issuer = need("issuer")?;
        IssuerUrl::new(issuer.clone()).map_err(|e| format!("issuer {issuer:?}: {e}"))?;
        let client_secret = match fields.get("secret-env") {
            Some(var) => Some(std::env::var(var).map_err(|_| {
                format!("secret-env names {var}, which is not set: put the client secret in it")
            })?),
            None => None,
        };
        let new_accounts_for = fields
            .get("new-accounts-for")
            .map(|d| d.split_whitespace().map(|d| d.to_lowercase()).collect())
            .unwrap_or_default();
        let slug = crate::domain::text::Slug::from_title(&name)
            .as_str()
            .to_string();
        if slug.is_empty() {
            return Err(format!("name {name:?} needs a letter or a digit"));
        }
        if let Some(unknown) = fields.keys().find(|k| {
            ![
                "name",
                "issuer",
                "client-id",
                "secret-env",
                "new-accounts-for",
            ]
            .contains(k)
        }) {
            return Err(format!("{unknown}= is not a setting of a provider"));
        }
        Ok(Provider {
            slug,
            name,
            issuer,
            client_id: need("client-id")?,
            client_secret,
            new_accounts_for,
        })
    }

    /// True when someone with this (verified) address may be given an account on first sign-in.
    pub fn makes_accounts_for(&self, email: &str) -> bool {
        let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
        self.new_accounts_for.iter().any(|d| d == domain)
    }
}

/// Why signing in with a provider did not work, in words for the person signing in.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("the sign-in service could not be reached ({0})")]
    Unreachable(String),
    #[error("the sign-in service's answer could not be checked ({0})")]
    Refused(String),
    #[error("the sign-in service did not give a verified email address")]
    NoVerifiedEmail,
}

/// Where a sign-in goes, and what must be kept to check its answer.
pub struct Started {
    pub authorize_url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// The providers and their discovery documents.
#[derive(Default)]
pub struct SingleSignOn {
    providers: Vec<Provider>,
    discovered: Mutex<HashMap<String, (CoreProviderMetadata, Instant)>>,
}

impl SingleSignOn {
    pub fn new(providers: Vec<Provider>) -> SingleSignOn {
        SingleSignOn {
            providers,
            discovered: Mutex::default(),
        }
    }

    pub fn providers(&self) -> &[Provider] {
        &self.providers
    }

    pub fn provider(&self, slug: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.slug == slug)
    }

    /// The provider's discovery document, fetched when not kept or kept too long.
    async fn metadata(&self, provider: &Provider) -> Result<CoreProviderMetadata, SsoError> {
        if let Some((m, at)) = self
            .discovered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&provider.slug)
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(m.clone());
        }
        let issuer = IssuerUrl::new(provider.issuer.clone())
            .map_err(|e| SsoError::Unreachable(e.to_string()))?;
        let metadata = tokio::task::spawn_blocking(move || {
            CoreProviderMetadata::discover(&issuer, &send)
                .map_err(|e| SsoError::Unreachable(chain(&e)))
        })
        .await
        .map_err(|e| SsoError::Unreachable(e.to_string()))??;
        self.discovered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(provider.slug.clone(), (metadata.clone(), Instant::now()));
        Ok(metadata)
    }

    /// The provider's address for a new sign-in that comes back to `redirect`.
    pub async fn begin(&self, provider: &Provider, redirect: &str) -> Result<Started, SsoError> {
        let metadata = self.metadata(provider).await?;
        let redirect =
            RedirectUrl::new(redirect.to_string()).map_err(|e| SsoError::Refused(e.to_string()))?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(provider.client_id.clone()),
            provider.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Started {
            authorize_url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Trades the provider's code for its ID token and checks it (signature, issuer, audience,
    /// expiry, the `nonce` this sign-in sent); the verified e-mail address and the name.
    pub async fn finish(
        &self,
        provider: &Provider,
        redirect: &str,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<(String, Option<String>), SsoError> {
        let metadata = self.metadata(provider).await?;
        let redirect =
            RedirectUrl::new(redirect.to_string()).map_err(|e| SsoError::Refused(e.to_string()))?;
        let (client_id, secret) = (provider.client_id.clone(), provider.client_secret.clone());
        let (code, verifier, nonce) = (
            AuthorizationCode::new(code.to_string()),
            PkceCodeVerifier::new(pkce_verifier.to_string()),
            Nonce::new(nonce.to_string()),
        );
        tokio::task::spawn_blocking(move || {
            let client = CoreClient::from_provider_metadata(
                metadata,
                ClientId::new(client_id),
                secret.map(ClientSecret::new),
            )
            .set_redirect_uri(redirect);
            let tokens = client
                .exchange_code(code)
                .map_err(|e| SsoError::Refused(e.to_string()))?
                .set_pkce_verifier(verifier)
                .request(&send)
                .map_err(|e| SsoError::Refused(chain(&e)))?;
            use openidconnect::TokenResponse;
            let id_token = tokens
                .id_token()
                .ok_or_else(|| SsoError::Refused("no ID token".into()))?;
            let claims = id_token
                .claims(&client.id_token_verifier(), &nonce)
                .map_err(|e| SsoError::Refused(chain(&e)))?;
            let email = claims
                .email()
                .filter(|_| claims.email_verified() == Some(true))
                .ok_or(SsoError::NoVerifiedEmail)?;
            let name = claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string());
            Ok((email.to_string(), name))
        })
        .await
        .map_err(|e| SsoError::Refused(e.to_string()))?
    }
}

/// An error and its causes, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct HttpError(String);

/// One HTTP request to a provider: no redirects followed, ten seconds at most, at most
/// [`MAX_ANSWER`] bytes read.
fn send(request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, HttpError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let (parts, body) = request.into_parts();
    let uri = parts.uri.to_string();
    let mut answer = if parts.method == http::Method::POST {
        let mut r = agent.post(&uri);
        for (name, value) in &parts.headers {
            r = r.header(name, value);
        }
        r.send(&body[..])
    } else {
        let mut r = agent.get(&uri);
        for (name, value) in &parts.headers {
            r = r.header(name, value);
        }
        r.call()
    }
    .map_err(|e| HttpError(e.to_string()))?;
    let mut bytes = Vec::new();
    answer
        .body_mut()
        .as_reader()
        .take(MAX_ANSWER)
        .read_to_end(&mut bytes)
        .map_err(|e| HttpError(e.to_string()))?;
    let mut response = http::Response::new(bytes);
    *response.status_mut() = answer.status();
    *response.headers_mut() = answer.headers().clone();
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_are_read_from_their_setting() {
        let p = Provider::parse(
            "name=Department Entra ID, issuer=https://login.example.com/tenant/v2.0, \
             client-id=abc, new-accounts-for=Example.gov.uk other.gov.uk",
        )
        .unwrap();
        assert_eq!(p.slug, "department-entra-id");
        assert_eq!(p.client_secret, None);
        assert!(p.makes_accounts_for("ada@example.gov.uk"));
        assert!(!p.makes_accounts_for("ada@example.gov.uk.evil.test"));
        assert!(!p.makes_accounts_for("ada@evil.test"));
        for bad in [
            "issuer=https://x.example,client-id=a",
            "name=X,client-id=a",
            "name=X,issuer=not a url,client-id=a",
            "name=X,issuer=https://x.example,client-id=a,secret-env=TOWNHALL_NO_SUCH_VAR_SET",
            "name=X,issuer=https://x.example,client-id=a,colour=blue",
            "name=X,issuer=https://x.example",
            "nonsense",
        ] {
            assert!(Provider::parse(bad).is_err(), "{bad}");
        }
    }
}
