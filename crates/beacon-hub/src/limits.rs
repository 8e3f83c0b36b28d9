//! Request limits: a token bucket per caller, so one client cannot starve
//! the others. Buckets are per process: a deployment with several hub
//! processes allows each caller the rate once per process (set the rate
//! with that in mind).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::Hub;

/// Requests a caller may make: `per_second` on average, up to `burst` at once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

impl Default for Rate {
    fn default() -> Self {
        Rate { per_second: 50.0, burst: 200.0 }
    }
}

/// Most callers tracked at once; beyond it, the longest-idle are forgotten
/// (a forgotten caller starts again with a full bucket).
const MAX_CALLERS: usize = 10_000;

#[derive(Debug)]
pub struct Limiter {
    rate: Rate,
    buckets: Mutex<HashMap<[u8; 32], (f64, Instant)>>,
}

impl Limiter {
    pub fn new(rate: Rate) -> Self {
        Limiter { rate, buckets: Mutex::new(HashMap::new()) }
    }

    /// Take one request from `caller`'s bucket; how long to wait when it is empty.
    fn take(&self, caller: [u8; 32], now: Instant) -> Result<(), f64> {
        let Ok(mut buckets) = self.buckets.lock() else { return Ok(()) };
        if buckets.len() >= MAX_CALLERS && !buckets.contains_key(&caller) {
            let cutoff = now - std::time::Duration::from_secs(60);
            buckets.retain(|_, (_, at)| *at > cutoff);
        }
        let (tokens, at) = buckets.entry(caller).or_insert((self.rate.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate.per_second).min(self.rate.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err((1.0 - *tokens) / self.rate.per_second)
        }
    }
}

/// Middleware: 429 with `Retry-After` for a caller over its rate. A caller
/// is its token (by hash, before any lookup, so a flood of bad tokens is
/// limited too); callers without one share a bucket.
pub async fn limit(State(hub): State<Hub>, request: Request, next: Next) -> Response {
    let caller =
        crate::tokens::hash(request.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("anonymous"));
    match hub.limiter.take(caller, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let seconds = wait.ceil().max(1.0) as u64;
            let body = crate::error::ErrorBody {
                code: "rate_limited".into(),
                message: format!("too many requests; try again in {seconds} s"),
                retryable: true,
            };
            let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
            if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert("retry-after", v);
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_its_rate() {
        let limiter = Limiter::new(Rate { per_second: 2.0, burst: 3.0 });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take([1; 32], t0).is_ok());
        }
        let wait = limiter.take([1; 32], t0).unwrap_err();
        assert!((wait - 0.5).abs() < 1e-9, "{wait}");
        assert!(limiter.take([2; 32], t0).is_ok(), "another caller has its own bucket");
        assert!(limiter.take([1; 32], t0 + Duration::from_millis(500)).is_ok(), "half a second refills one");
        assert!(limiter.take([1; 32], t0 + Duration::from_millis(500)).is_err());
    }
}
