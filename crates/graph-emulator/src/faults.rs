//! Scriptable fault injection, per route.
//!
//! A route is named by its operation id (`users.ListUsers`, say), its path
//! template as the spec writes it (`/copilot/admin/settings/limitedMode`, leading `/` optional) or
//! `*` for every operation. Faults are checked after the request is logged and routed, and before
//! authentication: a faulted request is not executed, exactly like a throttled request at Graph.
//!
//! Faults come three ways, checked in this order: queued one-shots ([`RouteFaults::next`],
//! [`RouteFaults::once`]), permanent ones ([`RouteFaults::always`]), and faults at a rate
//! ([`RouteFaults::at_rate`]), drawn from a seeded generator so a storm is repeatable
//! ([`Faults::seed`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), graph_emulator::Error> {
//! use graph_emulator::{Emulator, Fault};
//!
//! let graph = Emulator::start().await?;
//! graph
//!     .faults()
//!     .on("/copilot/admin/settings/limitedMode")
//!     .next(2, Fault::Throttle { retry_after_secs: 0 });
//! // The next two requests get 429 with `Retry-After: 0`; the third one is served.
//!
//! // A storm in one line: 20 % of all attempts answer 429 with a Retry-After of 0, 1 or 2 s.
//! graph.faults().seed(7).on_any().at_rate(0.2, (0..=2).map(|s| Fault::Throttle { retry_after_secs: s }));
//! # Ok(()) }
//! ```

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;

use crate::odata::RouteOperation;
use crate::response::{Ctx, graph_error, no_content, with_ids};

/// Marks a response that must not be sent: the connection is closed instead.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

/// One injected fault.
///
/// Most faults replace the response (the request is not executed). [`Fault::Latency`] and
/// [`Fault::WrapInValue`] instead modify a normally served request, and
/// [`Fault::GatewayTimeoutAfterApplying`] executes it but loses its response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// `429 Too Many Requests` with `Retry-After: <secs>` and a Graph error body
    /// (`TooManyRequests`).
    Throttle {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u64,
    },
    /// `429 Too Many Requests` whose `Retry-After` is an HTTP-date `retry_after_secs` from now.
    ThrottleUntil {
        /// Seconds from now to the date sent.
        retry_after_secs: u64,
    },
    /// `503 Service Unavailable` with a Graph error body, with or without `Retry-After`.
    ServiceUnavailable {
        /// The `Retry-After` value in seconds, if any.
        retry_after_secs: Option<u64>,
    },
    /// `504 Gateway Timeout` with a Graph error body, with or without `Retry-After`.
    GatewayTimeout {
        /// The `Retry-After` value in seconds, if any.
        retry_after_secs: Option<u64>,
    },
    /// `502 Bad Gateway` with an HTML body, as a gateway in front of Graph sends it.
    BadGatewayHtml,
    /// The given status with an empty body (no `Content-Type`).
    EmptyBody {
        /// The HTTP status code.
        status: u16,
    },
    /// A Graph-shaped error with any status, code and message (for example a 500).
    Error {
        /// The HTTP status code.
        status: u16,
        /// `error.code`.
        code: String,
        /// `error.message`.
        message: String,
    },
    /// `401 InvalidAuthenticationToken` with a continuous-access-evaluation claims challenge:
    /// `WWW-Authenticate: Bearer …, error="insufficient_claims", claims="<base64 of claims>"`.
    /// A client should get a new token for those claims and retry once.
    ClaimsChallenge {
        /// The claims JSON (sent base64-encoded), e.g.
        /// `{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}`.
        claims: String,
    },
    /// Close the connection without sending any response.
    DropConnection,
    /// Wait this long, then serve the request normally.
    Latency(Duration),
    /// Serve the request normally, but wrap a JSON success body as `{"value": <body>}`, the shape
    /// of Microsoft's doc example for the limited-mode update.
    WrapInValue,
    /// Execute the request (its effect on the state stays), then answer `504 Gateway Timeout`
    /// instead of its response: the gateway gave up while the service finished. The caller cannot
    /// tell that it happened, so retrying a POST meets its own earlier effect (for an owner
    /// reference, a 400 "already exist").
    GatewayTimeoutAfterApplying {
        /// The `Retry-After` value in seconds, if any.
        retry_after_secs: Option<u64>,
    },
}

impl Fault {
    /// Whether this fault replaces the response without executing the request (as opposed to
    /// modifying a served request, or, for [`Fault::GatewayTimeoutAfterApplying`], replacing the
    /// response of an executed one).
    pub fn is_terminal(&self) -> bool {
        !matches!(
            self,
            Self::Latency(_) | Self::WrapInValue | Self::GatewayTimeoutAfterApplying { .. }
        )
    }
}

/// Faults that strike a share of a route's requests.
#[derive(Debug, Clone)]
struct AtRate {
    probability: f64,
    choices: Vec<Fault>,
}

#[derive(Debug)]
struct Table {
    queued: HashMap<String, VecDeque<Fault>>,
    always: HashMap<String, Vec<Fault>>,
    rates: Vec<(String, AtRate)>,
    rng: fastrand::Rng,
}

/// The seed of the fault generator until [`Faults::seed`] sets another.
const DEFAULT_SEED: u64 = 0x6772_6170_685f_7273;

impl Default for Table {
    fn default() -> Self {
        Self {
            queued: HashMap::new(),
            always: HashMap::new(),
            rates: Vec::new(),
            rng: fastrand::Rng::with_seed(DEFAULT_SEED),
        }
    }
}

/// The fault script of a running emulator; get it from [`Emulator::faults`](crate::Emulator::faults).
/// Clones share the same script.
#[derive(Debug, Clone)]
pub struct Faults {
    table: Arc<Mutex<Table>>,
    known: Arc<Vec<(Option<String>, String)>>,
}

/// The faults of one route; see [`Faults::on`].
#[derive(Debug, Clone)]
pub struct RouteFaults {
    table: Arc<Mutex<Table>>,
    key: String,
}

/// What the faults say about one request.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    pub(crate) latency: Duration,
    pub(crate) wrap_in_value: bool,
    /// [`Fault::GatewayTimeoutAfterApplying`]'s `retry_after_secs`, when that fault applies.
    pub(crate) timeout_after_applying: Option<Option<u64>>,
    pub(crate) terminal: Option<Fault>,
}

impl Faults {
    pub(crate) fn new<'a>(operations: impl Iterator<Item = &'a RouteOperation>) -> Self {
        let known = operations
            .map(|op| (op.operation_id.clone(), op.template.clone()))
            .collect();
        Self {
            table: Arc::default(),
            known: Arc::new(known),
        }
    }

    /// The faults of a route: an operation id, a path template from the spec (leading `/`
    /// optional), `identity:token` or `identity:devicecode` for the identity provider's
    /// endpoints, or `*` for every operation (the identity endpoints excluded).
    ///
    /// # Panics
    ///
    /// When `route` names no operation of the spec, so that a typo cannot silently script nothing.
    pub fn on(&self, route: impl Into<String>) -> RouteFaults {
        let key = route.into();
        let known = key == "*"
            || crate::identity::FAULT_ROUTES.contains(&key.as_str())
            || self.known.iter().any(|(id, template)| {
                id.as_deref() == Some(key.as_str())
                    || *template == key
                    || template.strip_prefix('/') == Some(key.as_str())
            });
        assert!(
            known,
            "graph-emulator: no operation in the spec has the operation id or path template {key:?}; known: {:?}",
            self.known
        );
        RouteFaults {
            table: Arc::clone(&self.table),
            key,
        }
    }

    /// The faults of every operation (same as `on("*")`).
    pub fn on_any(&self) -> RouteFaults {
        self.on("*")
    }

    /// Removes every scripted fault.
    pub fn clear(&self) {
        let mut table = lock(&self.table);
        table.queued.clear();
        table.always.clear();
        table.rates.clear();
    }

    /// Reseeds the generator that decides which requests a rate-based fault strikes, so the
    /// same requests in the same order meet the same faults. Returns `self` for chaining.
    pub fn seed(&self, seed: u64) -> &Self {
        lock(&self.table).rng = fastrand::Rng::with_seed(seed);
        self
    }

    /// How many one-shot faults are still queued, over all routes.
    pub fn pending(&self) -> usize {
        lock(&self.table).queued.values().map(VecDeque::len).sum()
    }

    /// Takes what applies to one request of `op`: the route's own queue is served before `*`'s;
    /// when no queued fault applies, rate-based faults are drawn (the route's before `*`'s).
    pub(crate) fn take(&self, op: &RouteOperation) -> Applied {
        self.take_named(|key| op.is_named(key), true)
    }

    /// [`Faults::take`] for a route known by names rather than an operation (the identity
    /// provider's endpoints, `identity:token` and `identity:devicecode`).
    pub(crate) fn take_named(&self, is_named: impl Fn(&str) -> bool, with_any: bool) -> Applied {
        let mut table = lock(&self.table);
        let mut applied = Applied::default();
        let mut keys: Vec<String> = table
            .queued
            .keys()
            .filter(|k| is_named(k) && *k != "*")
            .cloned()
            .collect();
        if with_any {
            keys.push("*".into());
        }
        let queued = keys
            .iter()
            .find_map(|key| table.queued.get_mut(key).and_then(VecDeque::pop_front));
        let always: Vec<Fault> = table
            .always
            .iter()
            .filter(|(k, _)| is_named(k))
            .flat_map(|(_, faults)| faults.iter().cloned())
            .collect();
        let drawn = if queued.is_some() {
            None
        } else {
            let Table { rates, rng, .. } = &mut *table;
            let mut candidates: Vec<&AtRate> = rates
                .iter()
                .filter(|(k, _)| k != "*" && is_named(k))
                .map(|(_, r)| r)
                .collect();
            if with_any {
                candidates.extend(rates.iter().filter(|(k, _)| k == "*").map(|(_, r)| r));
            }
            candidates.into_iter().find_map(|rate| {
                (rng.f64() < rate.probability && !rate.choices.is_empty())
                    .then(|| rate.choices[rng.usize(..rate.choices.len())].clone())
            })
        };
        for fault in queued.into_iter().chain(drawn).chain(always) {
            match fault {
                Fault::Latency(d) => applied.latency += d,
                Fault::WrapInValue => applied.wrap_in_value = true,
                Fault::GatewayTimeoutAfterApplying { retry_after_secs } => {
                    applied.timeout_after_applying = Some(retry_after_secs);
                }
                terminal => {
                    applied.terminal.get_or_insert(terminal);
                }
            }
        }
        applied
    }
}

impl RouteFaults {
    /// Queues `fault` for the next `n` requests of this route (after any already queued).
    pub fn next(&self, n: usize, fault: Fault) -> &Self {
        let mut table = lock(&self.table);
        let queue = table.queued.entry(self.key.clone()).or_default();
        queue.extend(std::iter::repeat_n(fault, n));
        self
    }

    /// Queues `fault` for the next request of this route.
    pub fn once(&self, fault: Fault) -> &Self {
        self.next(1, fault)
    }

    /// Applies `fault` to every request of this route until cleared.
    pub fn always(&self, fault: Fault) -> &Self {
        lock(&self.table)
            .always
            .entry(self.key.clone())
            .or_default()
            .push(fault);
        self
    }

    /// Makes a share of this route's requests meet one of `choices` (picked uniformly), from
    /// the seeded generator (see [`Faults::seed`]). `probability` is clamped to 0..=1. A
    /// queued fault, when one applies, is served instead.
    pub fn at_rate(&self, probability: f64, choices: impl IntoIterator<Item = Fault>) -> &Self {
        let probability = if probability.is_nan() {
            0.0
        } else {
            probability.clamp(0.0, 1.0)
        };
        lock(&self.table).rates.push((
            self.key.clone(),
            AtRate {
                probability,
                choices: choices.into_iter().collect(),
            },
        ));
        self
    }

    /// Removes this route's faults (queued, permanent and at a rate).
    pub fn clear(&self) -> &Self {
        let mut table = lock(&self.table);
        table.queued.remove(&self.key);
        table.always.remove(&self.key);
        table.rates.retain(|(k, _)| *k != self.key);
        self
    }

    /// How many one-shot faults this route still has queued.
    pub fn pending(&self) -> usize {
        lock(&self.table)
            .queued
            .get(&self.key)
            .map_or(0, VecDeque::len)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The response a terminal fault gives.
pub(crate) fn respond(fault: &Fault, ctx: &Ctx) -> Response {
    let with_retry_after = |mut response: Response, value: Option<String>| {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    };
    let throttled = |ctx: &Ctx| {
        graph_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Too many requests. Retry after the time given in the Retry-After header.",
            None,
            ctx,
        )
    };
    match fault {
        Fault::Throttle { retry_after_secs } => {
            with_retry_after(throttled(ctx), Some(retry_after_secs.to_string()))
        }
        Fault::ThrottleUntil { retry_after_secs } => with_retry_after(
            throttled(ctx),
            Some(httpdate::fmt_http_date(
                std::time::SystemTime::now() + Duration::from_secs(*retry_after_secs),
            )),
        ),
        Fault::ServiceUnavailable { retry_after_secs } => with_retry_after(
            graph_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceNotAvailable",
                "The service is temporarily unavailable. Please retry later.",
                None,
                ctx,
            ),
            retry_after_secs.map(|s| s.to_string()),
        ),
        Fault::GatewayTimeout { retry_after_secs }
        | Fault::GatewayTimeoutAfterApplying { retry_after_secs } => with_retry_after(
            graph_error(
                StatusCode::GATEWAY_TIMEOUT,
                "GatewayTimeout",
                "The gateway did not receive a timely response from the service.",
                None,
                ctx,
            ),
            retry_after_secs.map(|s| s.to_string()),
        ),
        Fault::BadGatewayHtml => {
            let html = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><h1>502 Bad Gateway</h1><p>The server returned an invalid or incomplete response.</p></body></html>\n";
            let mut response = Response::new(Body::from(html));
            *response.status_mut() = StatusCode::BAD_GATEWAY;
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            with_ids(response, ctx)
        }
        Fault::EmptyBody { status } => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() =
                StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            with_ids(response, ctx)
        }
        Fault::Error {
            status,
            code,
            message,
        } => graph_error(
            StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message.clone(),
            None,
            ctx,
        ),
        Fault::ClaimsChallenge { claims } => {
            let mut response = graph_error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp",
                None,
                ctx,
            );
            let encoded = base64::engine::general_purpose::STANDARD.encode(claims);
            let challenge = format!(
                "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\", error=\"insufficient_claims\", claims=\"{encoded}\""
            );
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
            response
        }
        Fault::DropConnection => {
            let mut response = Response::new(Body::empty());
            response.extensions_mut().insert(DropConnection);
            response
        }
        // Not terminal: never chosen as the terminal fault.
        Fault::Latency(_) | Fault::WrapInValue => no_content(ctx),
    }
}
