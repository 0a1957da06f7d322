//! Retry policy, `Retry-After` parsing (with Graph's decimal seconds, lists and millisecond
//! headers) and backoff.
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

/// Parses a `Retry-After` value as Graph sends it, relative to `now`:
/// - delta-seconds, whole or decimal (`"120"`, `"2.128"`; Graph's throttling answers carry
///   decimals, kept to the nanosecond);
/// - a comma-separated list of such values (`"30,120"` has been seen): the largest is taken;
/// - an HTTP-date; a date in the past gives zero.
///
/// Surrounding whitespace is ignored. Anything else (negative numbers, units, garbage, an empty
/// value) gives `None`. Absurdly large second counts saturate at [`Duration::MAX`].
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if let Some(wait) = parse_seconds(value, 1) {
        return Some(wait);
    }
    // An HTTP-date has a comma of its own ("Wed, 21 Oct 2015 07:28:00 GMT"): try it whole first.
    if let Ok(date) = httpdate::parse_http_date(value) {
        return Some(date.duration_since(now).unwrap_or(Duration::ZERO));
    }
    if value.contains(',') {
        let mut largest: Option<Duration> = None;
        for part in value.split(',') {
            let wait = parse_seconds(part.trim(), 1)?;
            largest = Some(largest.map_or(wait, |l| l.max(wait)));
        }
        return largest;
    }
    None
}

/// The name of Graph's millisecond `Retry-After` header.
pub const X_MS_RETRY_AFTER_MS: &str = "x-ms-retry-after-ms";
/// The name of the standard-track millisecond `Retry-After` header.
pub const RETRY_AFTER_MS: &str = "retry-after-ms";

/// The wait an answer asks for, from its headers, most precise first:
/// 1. `x-ms-retry-after-ms` (milliseconds, whole or decimal),
/// 2. `retry-after-ms` (the same),
/// 3. `Retry-After` (seconds, decimal seconds, a list or a date; see [`parse_retry_after`]).
///
/// A header that is present but unparsable is skipped in favour of the next one. `None` when
/// none gives a wait.
pub fn retry_after_from_headers(
    headers: &reqwest::header::HeaderMap,
    now: SystemTime,
) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    [X_MS_RETRY_AFTER_MS, RETRY_AFTER_MS]
        .into_iter()
        .find_map(|name| text(name).and_then(|v| parse_seconds(v.trim(), 1000)))
        .or_else(|| {
            headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, now))
        })
}

/// `digits[.digits]` in units of `1/per_second` s (1: seconds, 1000: milliseconds), saturating;
/// `None` for anything else (a sign, an exponent, a unit, an empty part).
fn parse_seconds(text: &str, per_second: u32) -> Option<Duration> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || text.ends_with('.') {
        return None;
    }
    // Whole units; beyond u64 the wait saturates.
    let Ok(units) = whole.parse::<u64>() else {
        return Some(Duration::MAX);
    };
    // The fraction, to nine digits (nanoseconds of a second; finer is dropped).
    let mut nanos_of_unit: u64 = 0;
    for i in 0..9 {
        let digit = fraction
            .as_bytes()
            .get(i)
            .map_or(0, |b| u64::from(b - b'0'));
        nanos_of_unit = nanos_of_unit * 10 + digit;
    }
    let per_second = u64::from(per_second);
    let secs = units / per_second;
    let rest_nanos = (units % per_second) * (1_000_000_000 / per_second);
    let fraction_nanos = nanos_of_unit / per_second;
    Some(
        Duration::from_secs(secs).saturating_add(Duration::from_nanos(rest_nanos + fraction_nanos)),
    )
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
        for bad in ["", "-1", "soon", "12 s"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }

    /// Every form Graph (and its gateways) have been seen to send, and garbage: never a panic.
    #[test]
    fn retry_after_forms_as_a_table() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let ms = Duration::from_millis;
        let in_30s = httpdate::fmt_http_date(now + Duration::from_secs(30));
        let list_with_date = format!("5, {in_30s}");
        let table: Vec<(&str, Option<Duration>)> = vec![
            ("2", Some(ms(2000))),
            ("2.128", Some(ms(2128))),
            ("0.249", Some(ms(249))),
            ("0.000000001", Some(Duration::from_nanos(1))),
            ("0.0000000019", Some(Duration::from_nanos(1))),
            ("1.5", Some(ms(1500))),
            ("  7\t", Some(ms(7000))),
            ("30,120", Some(Duration::from_secs(120))),
            ("120, 30", Some(Duration::from_secs(120))),
            ("0.5,2.25", Some(ms(2250))),
            (in_30s.as_str(), Some(Duration::from_secs(30))),
            ("18446744073709551616", Some(Duration::MAX)),
            ("99999999999999999999999.5", Some(Duration::MAX)),
            ("18446744073709551615", Some(Duration::from_secs(u64::MAX))),
            ("", None),
            ("   ", None),
            ("-1", None),
            ("-0.5", None),
            ("+3", None),
            ("1e3", None),
            ("1.", None),
            (".5", None),
            ("1..2", None),
            ("1.2.3", None),
            ("30,", None),
            (",", None),
            ("30,soon", None),
            ("NaN", None),
            ("inf", None),
            ("12 s", None),
            ("١٢", None),
            (list_with_date.as_str(), None),
        ];
        for (text, expected) in table {
            assert_eq!(parse_retry_after(text, now), expected, "{text:?}");
        }
    }

    #[test]
    fn millisecond_headers_win_over_retry_after() {
        use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
        let now = SystemTime::UNIX_EPOCH;
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, HeaderValue::from_static(value));
            }
            map
        };
        let table: Vec<(HeaderMap, Option<Duration>)> = vec![
            (headers(&[]), None),
            (
                headers(&[("retry-after", "3")]),
                Some(Duration::from_secs(3)),
            ),
            (
                headers(&[("retry-after", "3"), ("retry-after-ms", "2500")]),
                Some(Duration::from_millis(2500)),
            ),
            (
                headers(&[
                    ("retry-after", "3"),
                    ("retry-after-ms", "2500"),
                    ("x-ms-retry-after-ms", "2128.5"),
                ]),
                Some(Duration::from_micros(2_128_500)),
            ),
            (
                headers(&[("retry-after", "3"), ("x-ms-retry-after-ms", "garbage")]),
                Some(Duration::from_secs(3)),
            ),
            (headers(&[("retry-after-ms", "-5")]), None),
            (
                headers(&[("x-ms-retry-after-ms", "99999999999999999999999")]),
                Some(Duration::MAX),
            ),
        ];
        for (map, expected) in table {
            assert_eq!(retry_after_from_headers(&map, now), expected, "{map:?}");
        }
        let mut opaque = HeaderMap::new();
        opaque.insert(RETRY_AFTER, HeaderValue::from_bytes(b"\xff").unwrap());
        assert_eq!(retry_after_from_headers(&opaque, now), None);
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
