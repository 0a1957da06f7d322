//! Retry policy, `Retry-After` parsing and backoff.
//!
//! What is retried:
//! - HTTP 429 and 503, for every method including POST: Graph did not execute a throttled or
//!   unavailable request.
//! - HTTP 504, for every method by default, as Microsoft's SDKs do. A gateway timeout leaves the
//!   outcome unknown: the service may have finished the request after the gateway gave up. A
//!   retried POST can then meet its own earlier effect (an error that says so, see
//!   [`ServiceError::may_have_been_applied`](crate::ServiceError::may_have_been_applied)) or,
//!   for a POST that creates something, create it twice. Set
//!   [`RetryPolicy::retry_post_after_gateway_timeout`] to `false` to get the 504 back instead.
//! - Connection failures (the TCP/TLS connection could not be established), because no
//!   byte of the request reached the server.
//!
//! What is not retried: 500, 502 and all other statuses; any other transport error or a
//! timeout, because the server may already have executed the request.
//!
//! After a retried 504, a reference operation that meets its own earlier effect succeeds: an
//! add (`POST …/$ref`) answered 400 "already exist", or a remove (`DELETE …/$ref`) answered
//! 404, has reached the state the caller asked for. Every decision is made in one place,
//! [`decide`], which the send loop calls after each attempt.

mod decision;

pub use decision::{Decision, GiveUpReason, History, Outcome, decide};

use std::time::{Duration, SystemTime};

/// How a client retries throttled and unavailable responses.
///
/// A `Retry-After` header (delta-seconds or HTTP-date) is honoured. Without one, the wait is
/// `base_delay * 2^(retry - 1)` plus up to 50 % random jitter, at most `max_delay`. When the
/// service asks for a wait longer than `max_delay`, the client does not sleep: it returns the
/// service error at once, with [`ServiceError::retry_after`](crate::ServiceError::retry_after)
/// set, so the caller can decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many retries after the first attempt (default 3). `0` disables retries.
    pub max_retries: u32,
    /// The first backoff delay when the service gives no `Retry-After` (default 1 s).
    pub base_delay: Duration,
    /// The longest single wait (default 60 s).
    pub max_delay: Duration,
    /// Whether a POST answered `504 Gateway Timeout` is retried (default `true`). The service
    /// may have executed it; with `false` the 504 is returned at once, for the caller to check.
    pub retry_post_after_gateway_timeout: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            retry_post_after_gateway_timeout: true,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The backoff before retry number `retry` (1-based) when no `Retry-After` was given,
    /// including jitter and capped at `max_delay`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(31);
        let base = self
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        let jitter = base.mul_f64(fastrand::f64() * 0.5);
        base.saturating_add(jitter).min(self.max_delay)
    }

    /// The wait before retry number `retry`, or `None` when the service's `Retry-After`
    /// exceeds `max_delay` (then the caller gets the error instead).
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Option<Duration> {
        match retry_after {
            Some(wait) if wait > self.max_delay => None,
            Some(wait) => Some(wait),
            None => Some(self.backoff(retry)),
        }
    }
}

/// Whether a response status is retried (429, 503, 504).
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 503 | 504)
}

/// Parses a `Retry-After` value: delta-seconds (`"120"`) or an HTTP-date, relative to
/// `now`. A date in the past gives zero; an unparsable value gives `None`. Absurdly large
/// second counts saturate.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(
            value
                .parse::<u64>()
                .map_or(Duration::MAX, Duration::from_secs),
        );
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::MAX)
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::ZERO)
        );
        for bad in ["", "-1", "1.5", "soon", "12 s"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        for retry in 1..=3 {
            let d = p.backoff(retry);
            let base = Duration::from_millis(100 * (1 << (retry - 1)));
            assert!(d >= base && d <= base.mul_f64(1.5), "{retry}: {d:?}");
        }
        assert_eq!(p.backoff(10), Duration::from_millis(1000));
        assert_eq!(p.backoff(u32::MAX), Duration::from_millis(1000));
    }

    #[test]
    fn delay_respects_cap() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(5))),
            Some(Duration::from_secs(5))
        );
        assert_eq!(p.delay(1, Some(Duration::from_secs(61))), None);
        assert!(p.delay(1, None).is_some());
        assert_eq!(RetryPolicy::none().max_retries, 0);
        assert!(is_retryable_status(429) && is_retryable_status(503) && is_retryable_status(504));
        assert!(
            !is_retryable_status(500) && !is_retryable_status(502) && !is_retryable_status(401)
        );
    }
}
