//! The client's address, as [`crate::domain::network::TrustedProxies`] reads it from the
//! peer and `X-Forwarded-For`. Rate limits and analytics use it.

use crate::App;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

/// Extractor: the client's address (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<App> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        Ok(ClientIp::of(app, &parts.extensions, &parts.headers))
    }
}

impl ClientIp {
    /// The client's address for a request with these extensions and headers.
    pub fn of(app: &App, extensions: &Extensions, headers: &HeaderMap) -> ClientIp {
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let forwarded_for: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        ClientIp(app.config.trusted_proxies.client_ip(peer, &forwarded_for))
    }
}
