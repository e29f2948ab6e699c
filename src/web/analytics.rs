//! Analytics on the web: noting page views for the `measure` middleware (see
//! `crate::analytics`), the dashboard at `/admin/analytics` (admins see the hub, editors their
//! organisations), its CSV download, and `GET /api/v1/analytics/pages` for admins.

use crate::App;
use crate::analytics::{Hit, day_of, external_referrer, is_bot, is_public_page_path};
use crate::domain::FieldErrors;
use crate::domain::role::Role;
use crate::domain::time::Timestamp;
use crate::domain::time::iso_date;
use crate::store::analytics::Scope;
use crate::store::organisations::Organisation;
use crate::web::api::{ApiQuery, ApiUser, Items};
use crate::web::client_ip::ClientIp;
use crate::web::error::form_status;
use crate::web::error::{ApiError, PageError, PageResult};
use crate::web::openapi::{BadRequest, Forbidden, Invalid, Unauthorized};
use crate::web::viewer::{SignedIn, Viewer};
use axum::Json;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::net::IpAddr;
use utoipa::ToSchema;

/// A request that may be a page view, noted before its handler runs (by
/// `middleware::measure`, the layer every routed request passes through).
pub struct PageView {
    /// Clones of the URI and header share the request's buffers: nothing is copied.
    uri: Uri,
    user_agent: Option<HeaderValue>,
    ip: IpAddr,
    referrer: Option<String>,
}

impl PageView {
    /// Notes the request when analytics is on and it could be a page view: a GET of a public
    /// path, not from a bot, not a prefetch.
    pub fn begin(app: &App, req: &Request) -> Option<PageView> {
        app.analytics.as_ref()?;
        let headers = req.headers();
        let user_agent = headers.get(header::USER_AGENT);
        let ua = user_agent.and_then(|v| v.to_str().ok()).unwrap_or("");
        let candidate = req.method() == Method::GET
            && is_public_page_path(req.uri().path())
            && !is_prefetch(headers)
            && !is_bot(ua);
        if !candidate {
            return None;
        }
        let referrer = headers
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .and_then(|r| {
                external_referrer(r, headers.get(header::HOST).and_then(|h| h.to_str().ok()))
            });
        Some(PageView {
            uri: req.uri().clone(),
            user_agent: user_agent.cloned(),
            ip: ClientIp::of(app, req.extensions(), headers).0,
            referrer,
        })
    }

    /// Counts the view when the response is a page (200, HTML); never waits for the database.
    pub fn finish(self, app: &App, response: &Response) {
        if response.status() == StatusCode::OK && is_html(response.headers()) {
            self.count(app);
        }
    }

    /// Counts the view: a page was shown, if only from the browser's own copy (a 304).
    pub fn count(self, app: &App) {
        if let Some(recorder) = &app.analytics {
            recorder.record(Hit {
                path: self.uri.path(),
                ip: self.ip,
                user_agent: self
                    .user_agent
                    .as_ref()
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
                referrer: self.referrer.as_deref(),
                at: crate::store::now(),
            });
        }
    }
}

/// Whether a response with these headers is a page (HTML).
pub fn is_html(headers: &axum::http::HeaderMap) -> bool {
    (headers.get(header::CONTENT_TYPE))
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"))
}

/// Browsers mark speculative loads; they are not views (yet).
fn is_prefetch(headers: &axum::http::HeaderMap) -> bool {
    ["sec-purpose", "purpose", "x-moz", "x-purpose"]
        .iter()
        .filter_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
        .any(|v| v.to_ascii_lowercase().contains("prefetch") || v.contains("preview"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PeriodQuery {
    from: String,
    to: String,
    organisation: String,
}

/// A period of whole days (Unix times of their midnights), both ends included.
#[derive(Debug, Clone, Copy)]
struct Period {
    from: i64,
    to: i64,
}

/// The longest period one request may ask for (ten years).
const MAX_DAYS: i64 = 3660;

/// Reads `from` and `to` (`YYYY-MM-DD`; empty: the last 30 days).
fn parse_period(q: &PeriodQuery) -> Result<Period, FieldErrors> {
    let today = day_of(crate::store::now());
    let mut errors = FieldErrors::new();
    let mut read = |field: &str, value: &str, default: i64| {
        if value.trim().is_empty() {
            return Some(default);
        }
        let day = Timestamp::parse_iso_date(value).map(Timestamp::secs);
        if day.is_none() {
            errors.add(
                field,
                format!(
                    "Enter the {} date as year-month-day, for example 2026-11-01",
                    if field == "from" { "start" } else { "end" }
                ),
            );
        }
        day
    };
    let from = read("from", &q.from, today - 29 * 86_400);
    let to = read("to", &q.to, today);
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            errors.add(
                "to",
                "The end date must be the same as or after the start date",
            );
        } else if (to - from) / 86_400 >= MAX_DAYS {
            errors.add("from", "Choose a period of ten years or less");
        }
    }
    match (from, to) {
        (Some(from), Some(to)) if errors.is_empty() => Ok(Period { from, to }),
        _ => Err(errors),
    }
}

/// What the viewer may see: the hub (admins) and the organisations they edit.
struct Access {
    hub: bool,
    organisations: Vec<Organisation>,
}

async fn access(app: &App, user: &SignedIn) -> Result<Access, crate::store::StoreError> {
    let all = app.db.organisations().await?;
    Ok(Access {
        hub: user.hub_admin,
        organisations: user.organisations_with(Role::Editor, &all),
    })
}

/// The scope asked for, if the viewer may see it; `None` is 403.
fn choose<'a>(access: &'a Access, slug: &str) -> Option<(Scope<'a>, Option<&'a Organisation>)> {
    if slug.is_empty() {
        return if access.hub {
            Some((Scope::Hub, None))
        } else {
            access.organisations.first().map(|o| {
                (
                    Scope::Organisation {
                        id: o.id,
                        slug: &o.slug,
                    },
                    Some(o),
                )
            })
        };
    }
    access
        .organisations
        .iter()
        .find(|o| o.slug == slug)
        .map(|o| {
            (
                Scope::Organisation {
                    id: o.id,
                    slug: &o.slug,
                },
                Some(o),
            )
        })
}

/// The period asked for; or, when it cannot be read, the last 30 days and why.
fn period_or_default(q: &PeriodQuery) -> (Period, FieldErrors) {
    match parse_period(q) {
        Ok(p) => (p, FieldErrors::new()),
        Err(e) => {
            let default = parse_period(&PeriodQuery::default());
            (default.unwrap_or(Period { from: 0, to: 0 }), e)
        }
    }
}

/// The dashboard's choice of what to count: the whole hub (for those who see it) and each
/// organisation the viewer may see.
fn scope_choices(access: &Access, chosen: Option<&Organisation>) -> Vec<serde_json::Value> {
    let mut scopes = Vec::new();
    if access.hub {
        let whole = json!({"value": "", "text": "The whole hub", "selected": chosen.is_none()});
        scopes.push(whole);
    }
    for o in &access.organisations {
        let selected = chosen.is_some_and(|s| s.slug == o.slug);
        scopes.push(json!({"value": o.slug, "text": o.name, "selected": selected}));
    }
    scopes
}

/// `GET /admin/analytics`.
pub async fn dashboard(
    State(app): State<App>,
    viewer: Viewer,
    Query(q): Query<PeriodQuery>,
) -> PageResult {
    let user = viewer.signed_in()?;
    let access = access(&app, user).await?;
    let (scope, organisation) = choose(&access, &q.organisation).ok_or(PageError::Forbidden)?;
    let (period, errors) = period_or_default(&q);
    // This node's latest counts first, so the page is up to the moment here.
    app.flush_analytics().await;
    let top = app
        .db
        .analytics_pages(scope, Some(period.from), Some(period.to), 20)
        .await?;
    let all_time = app.db.analytics_pages(scope, None, None, 10).await?;
    let days = app.db.analytics_days(scope, period.from, period.to).await?;
    let referrers = app
        .db
        .analytics_referrers(scope, period.from, period.to, 20)
        .await?;
    let total_views: i64 = days.iter().map(|d| d.views).sum();
    let total_visitors: i64 = days.iter().map(|d| d.visitors).sum();
    let trend = trend_rows(period, &days);
    let status = form_status(&errors);
    let scopes = scope_choices(&access, organisation);
    let organisation_slug = organisation.map(|o| o.slug.as_str()).unwrap_or("");
    let csv_query = format!(
        "from={}&to={}&organisation={}",
        iso_date(period.from),
        iso_date(period.to),
        crate::web::error::urlencode(organisation_slug)
    );
    viewer.render_with_status(
        &app,
        "admin/analytics.html",
        context! {
            errors => Serde(errors.iter().collect::<Vec<_>>()),
            from => if q.from.is_empty() { iso_date(period.from) } else { q.from.clone() },
            to => if q.to.is_empty() { iso_date(period.to) } else { q.to.clone() },
            period_from => period.from,
            period_to => period.to,
            scopes => Serde(scopes),
            organisation => Serde(organisation),
            top => Serde(top),
            all_time => Serde(all_time),
            referrers => Serde(referrers),
            trend => Serde(trend),
            trend_by_month => (period.to - period.from) / 86_400 >= TREND_DAYS,
            total_views,
            total_visitors,
            csv_query,
        },
        status,
    )
}

/// Periods this long or longer are charted by month instead of by day.
const TREND_DAYS: i64 = 92;

/// Bars for the trend chart: every day of the period (zero when there were no views), or
/// every month for long periods.
fn trend_rows(
    period: Period,
    days: &[crate::store::analytics::DayCount],
) -> Vec<serde_json::Value> {
    let by_day: std::collections::HashMap<i64, i64> =
        days.iter().map(|d| (d.day, d.views)).collect();
    if (period.to - period.from) / 86_400 < TREND_DAYS {
        let short = time::macros::format_description!("[day padding:none] [month repr:short]");
        (0..=(period.to - period.from) / 86_400)
            .map(|i| {
                let day = period.from + i * 86_400;
                let label = time::OffsetDateTime::from_unix_timestamp(day)
                    .ok()
                    .and_then(|t| t.format(&short).ok())
                    .unwrap_or_default();
                json!({"label": label, "value": by_day.get(&day).copied().unwrap_or(0)})
            })
            .collect()
    } else {
        let month = time::macros::format_description!("[month repr:short] [year]");
        let mut rows: Vec<(String, i64)> = Vec::new();
        let mut day = period.from;
        while day <= period.to {
            let label = time::OffsetDateTime::from_unix_timestamp(day)
                .ok()
                .and_then(|t| t.format(&month).ok())
                .unwrap_or_default();
            let views = by_day.get(&day).copied().unwrap_or(0);
            match rows.last_mut() {
                Some((l, v)) if *l == label => *v += views,
                _ => rows.push((label, views)),
            }
            day += 86_400;
        }
        rows.into_iter()
            .map(|(label, value)| json!({"label": label, "value": value}))
            .collect()
    }
}

/// `GET /admin/analytics.csv`: views and visitors per page per day for the period.
pub async fn csv(
    State(app): State<App>,
    viewer: Viewer,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let user = viewer.signed_in()?;
    let access = access(&app, user).await?;
    let (scope, organisation) = choose(&access, &q.organisation).ok_or(PageError::Forbidden)?;
    let period = parse_period(&q).map_err(|e| {
        PageError::BadRequest(
            e.iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(". "),
        )
    })?;
    let rows = app.db.analytics_rows(scope, period.from, period.to).await?;
    let write = || -> Result<Vec<u8>, anyhow::Error> {
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(["date", "path", "views", "visitors"])?;
        for r in &rows {
            out.write_record([
                iso_date(r.day),
                r.path.clone(),
                r.views.to_string(),
                r.visitors.to_string(),
            ])?;
        }
        out.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
    };
    let body = write().map_err(PageError::Internal)?;
    let name = format!(
        "analytics-{}-{}-{}.csv",
        organisation.map(|o| o.slug.as_str()).unwrap_or("hub"),
        iso_date(period.from),
        iso_date(period.to)
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// A page's views and visitors over a period.
#[derive(Serialize, ToSchema)]
pub struct PageViews {
    pub path: String,
    pub views: i64,
    pub visitors: i64,
}

/// `GET /api/v1/analytics/pages?from=YYYY-MM-DD&to=YYYY-MM-DD`: admins only.
#[utoipa::path(
    get,
    path = "/api/v1/analytics/pages",
    operation_id = "analyticsPages",
    tag = "analytics",
    summary = "Page views and visitors per page for a period (admin)",
    description = "Counted on the server for public pages (bots and prefetches excluded), most viewed first. `visitors` estimates unique visitors per day (no cookies, no stored addresses), summed over the days of the period. Counts reach the database within a few seconds.",
    security(("bearer" = [])),
    params(
        ("from" = Option<String>, Query, format = Date, pattern = r"^\d{4}-\d{2}-\d{2}$", description = "First day, `YYYY-MM-DD` (UTC); default 29 days before `to`"),
        ("to" = Option<String>, Query, format = Date, pattern = r"^\d{4}-\d{2}-\d{2}$", description = "Last day, included, `YYYY-MM-DD` (UTC); default today"),
    ),
    responses(
        (status = 200, description = "Pages by views", body = inline(Items<PageViews>)),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Invalid),
        (status = 400, response = BadRequest),
    )
)]
pub async fn api_pages(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Json<Items<PageViews>>, ApiError> {
    let signed_in = SignedIn::load(&app.db, user.id, String::new()).await?;
    if !access(&app, &signed_in).await?.hub {
        return Err(ApiError::Forbidden);
    }
    let period = parse_period(&q).map_err(ApiError::Invalid)?;
    let items = app
        .db
        .analytics_pages(Scope::Hub, Some(period.from), Some(period.to), 1000)
        .await?
        .into_iter()
        .map(|p| PageViews {
            path: p.path,
            views: p.views,
            visitors: p.visitors,
        })
        .collect();
    Ok(Json(Items { items }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(from: &str, to: &str) -> PeriodQuery {
        PeriodQuery {
            from: from.into(),
            to: to.into(),
            organisation: String::new(),
        }
    }

    #[test]
    fn periods_are_whole_days_and_checked() {
        let p = parse_period(&q("2026-11-01", "2026-11-21")).unwrap();
        assert_eq!(iso_date(p.from), "2026-11-01");
        assert_eq!(iso_date(p.to), "2026-11-21");
        assert_eq!(p.to - p.from, 20 * 86_400);
        let p = parse_period(&q("", "")).unwrap();
        assert_eq!(p.to - p.from, 29 * 86_400);
        for (from, to, field) in [
            ("2026-13-01", "2026-11-21", "from"),
            ("yesterday", "", "from"),
            ("2026-11-01", "21/11/2026", "to"),
            ("2026-11-21", "2026-11-01", "to"),
            ("2000-01-01", "2026-01-01", "from"),
        ] {
            let e = parse_period(&q(from, to)).unwrap_err();
            assert!(e.get(field).is_some(), "{from} {to}");
        }
    }
}
