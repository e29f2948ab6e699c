//! Operations endpoints: `/healthz` and `/metrics`.

use crate::App;
use crate::auth::constant_time_eq;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// The process-wide Prometheus recorder (the `metrics` facade has one global recorder, so
/// several apps in one test process share it).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ])
                .expect("the bucket list is not empty")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (e.g. by an embedding program); then
            // our metrics simply go to it and this handle renders nothing.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Every five seconds: folds the latencies recorded since the last time into their
/// histograms (the recorder keeps each sample until then, so without it memory grows with
/// every request when nothing scrapes `/metrics`), and hands freed memory back.
pub fn spawn_upkeep(handle: PrometheusHandle) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            handle.run_upkeep();
            let _ = tokio::task::spawn_blocking(release_freed_memory).await;
        }
    })
}

/// Hands the memory freed since the last time back to the system. An analysis of a large
/// consultation, or an analyst's edits to its review, work through hundreds of megabytes
/// (100,000 answers: about 300 MB at the peak); glibc's allocator keeps freed memory for
/// reuse, so without this a node that did such work once would hold that much for good.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system; it may be called at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// `GET /healthz`: 200 when the database answers, 503 when it does not.
pub async fn healthz(State(app): State<App>) -> impl IntoResponse {
    if app.db.ping().await {
        (StatusCode::OK, "ok\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
    }
}

/// `GET /metrics` on the site's own address: only with `Authorization: Bearer` and the
/// `--metrics-token`; 404 when no token is set (the metrics may then be on `--metrics-addr`).
pub async fn metrics_with_token(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(expected) = &app.config.metrics_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !constant_time_eq(given.trim(), expected) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "send the metrics token: Authorization: Bearer TOKEN\n",
        )
            .into_response();
    }
    metrics(State(app)).await.into_response()
}

/// `GET /metrics`: Prometheus text format (on `--metrics-addr`, with no token).
pub async fn metrics(State(app): State<App>) -> impl IntoResponse {
    for (pool, size, idle) in app.db.pool_stats() {
        metrics::gauge!("townhall_db_pool_connections", "pool" => pool).set(size as f64);
        metrics::gauge!("townhall_db_pool_idle_connections", "pool" => pool).set(idle as f64);
    }
    let (pages, bytes) = app.shared_pages.usage();
    metrics::gauge!("townhall_kept_pages").set(pages as f64);
    metrics::gauge!("townhall_kept_page_bytes").set(bytes as f64);
    app.metrics.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.render(),
    )
}
