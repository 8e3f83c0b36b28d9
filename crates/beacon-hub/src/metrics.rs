//! `GET /metrics`: what this hub process has answered, in Prometheus text
//! format. Counters are this process's own (Prometheus scrapes each
//! process); the number of events stored is the database's.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use beacon_hub_db::TokenRole;

use crate::{Hub, HubError, auth};

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];
/// Upper bounds of the sync lag histogram's buckets, in seconds.
const LAG_BUCKETS: [f64; 8] = [0.1, 0.25, 0.5, 1.0, 5.0, 60.0, 3600.0, 86_400.0];

#[derive(Debug, Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], value: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; bounds.len()];
        }
        for (i, bound) in bounds.iter().enumerate() {
            if value <= *bound {
                self.counts[i] += 1;
            }
        }
        self.sum += value;
        self.count += 1;
    }

    fn write(&self, out: &mut String, name: &str, labels: &str, bounds: &[f64]) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, bound) in bounds.iter().enumerate() {
            let n = self.counts.get(i).copied().unwrap_or(0);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {n}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", self.count);
        let braces = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

#[derive(Debug, Default)]
struct Counts {
    /// (route, status) → requests.
    requests: BTreeMap<(String, u16), u64>,
    /// route → latency.
    latency: BTreeMap<String, Histogram>,
    /// Age of the newest event a pull delivered.
    sync_lag: Histogram,
}

/// This process's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    counts: Mutex<Counts>,
    /// Live streams open now (desktops connected to this process).
    streams: Arc<AtomicI64>,
}

/// Counts one open live stream until dropped.
#[derive(Debug)]
pub struct StreamOpen(Arc<AtomicI64>);

impl Drop for StreamOpen {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    fn record(&self, route: &str, status: u16, took: Duration) {
        if let Ok(mut c) = self.counts.lock() {
            *c.requests.entry((route.to_string(), status)).or_default() += 1;
            c.latency.entry(route.to_string()).or_default().observe(&BUCKETS, took.as_secs_f64());
        }
    }

    /// A live stream opened; it counts as connected until the guard drops.
    pub fn stream_opened(&self) -> StreamOpen {
        self.streams.fetch_add(1, Ordering::Relaxed);
        StreamOpen(Arc::clone(&self.streams))
    }

    /// A pull delivered events whose newest was written `age` ago.
    pub fn observe_sync_lag(&self, age: Duration) {
        if let Ok(mut c) = self.counts.lock() {
            c.sync_lag.observe(&LAG_BUCKETS, age.as_secs_f64());
        }
    }

    fn render(&self, events: u64, devices: u64) -> String {
        let mut out = String::new();
        let c = match self.counts.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        out.push_str("# HELP beacon_hub_requests_total Requests answered by this process, by route and status.\n");
        out.push_str("# TYPE beacon_hub_requests_total counter\n");
        for ((route, status), n) in &c.requests {
            let _ = writeln!(out, "beacon_hub_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
        }
        out.push_str("# HELP beacon_hub_request_seconds Time to answer, by route.\n");
        out.push_str("# TYPE beacon_hub_request_seconds histogram\n");
        for (route, h) in &c.latency {
            h.write(&mut out, "beacon_hub_request_seconds", &format!("route=\"{route}\""), &BUCKETS);
        }
        out.push_str("# HELP beacon_hub_sync_lag_seconds Age of the newest event each pull delivered.\n");
        out.push_str("# TYPE beacon_hub_sync_lag_seconds histogram\n");
        c.sync_lag.write(&mut out, "beacon_hub_sync_lag_seconds", "", &LAG_BUCKETS);
        out.push_str("# HELP beacon_hub_events_stored Events the hub's database holds.\n");
        out.push_str("# TYPE beacon_hub_events_stored gauge\n");
        let _ = writeln!(out, "beacon_hub_events_stored {events}");
        out.push_str("# HELP beacon_hub_devices Devices whose events the hub's database holds.\n");
        out.push_str("# TYPE beacon_hub_devices gauge\n");
        let _ = writeln!(out, "beacon_hub_devices {devices}");
        out.push_str("# HELP beacon_hub_devices_connected Desktops connected to this process's live stream now.\n");
        out.push_str("# TYPE beacon_hub_devices_connected gauge\n");
        let _ = writeln!(out, "beacon_hub_devices_connected {}", self.streams.load(Ordering::Relaxed));
        out
    }
}

/// Middleware: count and time every request by its route (the pattern, so
/// ids in paths do not make a series each).
pub async fn track(State(hub): State<Hub>, request: Request, next: Next) -> Response {
    let route =
        request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let started = Instant::now();
    let response = next.run(request).await;
    hub.metrics.record(&route, response.status().as_u16(), started.elapsed());
    response
}

/// `GET /metrics`, for an admin token (Prometheus sends it as a bearer token).
#[utoipa::path(
    get,
    path = "/metrics",
    responses(
        (status = 200, description = "Prometheus text format: requests and latencies by route, sync lag, events stored, devices", content_type = "text/plain", body = String),
        (status = 401, description = "No token, or an unknown or revoked one", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin token", body = crate::error::ErrorBody)
    )
)]
pub async fn get_metrics(State(hub): State<Hub>, headers: HeaderMap) -> Result<Response, HubError> {
    auth::require(&hub, &headers, &[TokenRole::Admin]).await?;
    let (events, devices) = (hub.db.event_count().await?, hub.db.device_count().await?);
    Ok(([("content-type", "text/plain; version=0.0.4")], hub.metrics.render(events, devices)).into_response())
}
