//! Throttling like Microsoft Entra: the token buckets of Graph's "identity and access service
//! limits", on a time-scaled clock.
//!
//! Off unless [`EmulatorBuilder::throttling`](crate::EmulatorBuilder::throttling) switches it
//! on with a [`Throttling`]. Then every Graph request (not the identity provider's) is charged
//! after authentication and routing, before authorization and before it runs:
//!
//! | scope | what | limit |
//! |---|---|---|
//! | `Tenant_Application` (app + tenant) | resource units | 3,500 / 5,000 / 8,000 per 10 s ([`TenantSize`]) |
//! | `Tenant_Application` | writes | 3,000 per 150 s |
//! | `Application` (all tenants) | resource units | 150,000 per 20 s |
//! | `Application` | writes | 70,000 per 300 s |
//! | `Tenant` (all apps) | writes | 18,000 per 300 s |
//!
//! A request's cost comes from a [`CostTable`] (data): resource units for every request, one
//! write for POST, PATCH, PUT and DELETE. Each bucket drains continuously (`capacity / window`
//! per second of model time); a request fits when every bucket it is charged to can take its
//! cost, and is then counted in all of them. One that does not fit is refused before it runs
//! (no side effect, counted nowhere) with Graph's 429.
//!
//! A request with `x-ms-throttle-priority: low` is throttled first: it fits only if every
//! bucket keeps 20 % of its capacity free after it (the limits are unchanged; `normal` and
//! `high` are served alike).

mod bucket;
mod costs;
mod headers;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

pub use costs::{CostTable, CostTableError};
pub(crate) use headers::{Charge, Refusal, add as add_headers, decimal, too_many_requests};

use bucket::{Level, Limit, Verdict};
use costs::Cost;

use crate::sync::lock;

/// The application id charged for a bearer token that names none (an opaque token, or a JWT
/// without `appid` or `azp`).
pub const OPAQUE_TOKEN_APP_ID: &str = "00000000-0000-0000-0000-00000000a991";

/// The share of every limit a low-priority request must leave free.
const LOW_PRIORITY_RESERVE: f64 = 0.2;

/// Above this share of a limit, answers carry `x-ms-throttle-limit-percentage`.
const REPORTED_SHARE: f64 = 0.8;

/// The largest jitter added to `Retry-After`, as a share of the exact wait.
const MAX_JITTER: f64 = 0.05;

/// The tenant sizes of Entra's resource-unit limit per application and tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TenantSize {
    /// Under 50 users: 3,500 resource units per 10 s.
    #[default]
    Small,
    /// 50 to 500 users: 5,000 resource units per 10 s.
    Medium,
    /// Over 500 users: 8,000 resource units per 10 s.
    Large,
}

impl TenantSize {
    /// Resource units per 10 s for one application in one tenant of this size.
    pub fn resource_units_per_10_s(self) -> u32 {
        match self {
            Self::Small => 3_500,
            Self::Medium => 5_000,
            Self::Large => 8_000,
        }
    }
}

/// The throttling model's configuration; see [Throttling like Entra](crate#throttling-like-entra) and
/// [`EmulatorBuilder::throttling`](crate::EmulatorBuilder::throttling).
///
/// ```
/// use graph_emulator::{TenantSize, Throttling};
///
/// // Entra's limits for a small tenant, on a clock ten times faster than real time.
/// let throttling = Throttling::entra(TenantSize::Small).time_scale(10.0).seed(7);
/// assert_eq!(throttling.scale(), 10.0);
/// let parsed: Throttling = "medium:100".parse().unwrap();
/// assert_eq!(parsed.tenant_size(), TenantSize::Medium);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct Throttling {
    size: TenantSize,
    time_scale: f64,
    seed: u64,
    costs: CostTable,
}

/// A `--throttling` value that is not `small|medium|large[:SCALE]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "graph-emulator: invalid throttling {0:?}: expected small, medium or large, optionally followed by :SCALE (a positive number)"
)]
pub struct ParseThrottlingError(String);

impl Throttling {
    /// Entra's documented limits for a tenant of this size, in real time, with the embedded
    /// [`CostTable`].
    pub fn entra(size: TenantSize) -> Self {
        Self {
            size,
            time_scale: 1.0,
            seed: 0x0065_6e74_7261,
            costs: CostTable::default(),
        }
    }

    /// Runs the model's clock `scale` times faster than real time: buckets drain `scale` times
    /// faster and `Retry-After` values are divided by `scale` (10.0: a 10-second window lasts
    /// one second). A value that is not a positive finite number leaves the scale unchanged.
    pub fn time_scale(mut self, scale: f64) -> Self {
        if scale.is_finite() && scale > 0.0 {
            self.time_scale = scale;
        }
        self
    }

    /// Seeds the jitter added to `Retry-After` (up to 5 % above the exact wait, never below
    /// it, so that clients refused at the same moment do not all return at the same moment),
    /// so that the same requests in the same order get the same answers.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Charges requests by this table instead of the embedded one.
    pub fn costs(mut self, costs: CostTable) -> Self {
        self.costs = costs;
        self
    }

    /// The tenant size whose limits apply.
    pub fn tenant_size(&self) -> TenantSize {
        self.size
    }

    /// The clock's speed-up over real time.
    pub fn scale(&self) -> f64 {
        self.time_scale
    }

    /// The cost table in use.
    pub fn cost_table(&self) -> &CostTable {
        &self.costs
    }
}

impl std::str::FromStr for Throttling {
    type Err = ParseThrottlingError;

    /// `small`, `medium` or `large`, optionally `:SCALE` (the binary's `--throttling`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || ParseThrottlingError(text.to_owned());
        let (size, scale) = match text.split_once(':') {
            Some((size, scale)) => (size, Some(scale)),
            None => (text, None),
        };
        let size = match size.trim().to_ascii_lowercase().as_str() {
            "small" => TenantSize::Small,
            "medium" => TenantSize::Medium,
            "large" => TenantSize::Large,
            _ => return Err(bad()),
        };
        let mut throttling = Self::entra(size);
        if let Some(scale) = scale {
            let scale: f64 = scale.trim().parse().map_err(|_| bad())?;
            if !(scale.is_finite() && scale > 0.0) {
                return Err(bad());
            }
            throttling = throttling.time_scale(scale);
        }
        Ok(throttling)
    }
}

/// Where a limit applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scope {
    TenantApplication,
    Application,
    Tenant,
}

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Measure {
    ResourceUnits,
    Writes,
}

/// One of the five limits.
#[derive(Debug, Clone, Copy)]
struct LimitSpec {
    scope: Scope,
    measure: Measure,
    limit: Limit,
}

fn limits(size: TenantSize) -> [LimitSpec; 5] {
    let spec = |scope, measure, capacity: f64, window_secs: f64| LimitSpec {
        scope,
        measure,
        limit: Limit {
            capacity,
            window_secs,
        },
    };
    [
        spec(
            Scope::TenantApplication,
            Measure::ResourceUnits,
            f64::from(size.resource_units_per_10_s()),
            10.0,
        ),
        spec(Scope::TenantApplication, Measure::Writes, 3_000.0, 150.0),
        spec(Scope::Application, Measure::ResourceUnits, 150_000.0, 20.0),
        spec(Scope::Application, Measure::Writes, 70_000.0, 300.0),
        spec(Scope::Tenant, Measure::Writes, 18_000.0, 300.0),
    ]
}

/// Which bucket: a limit and whom it counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    scope: Scope,
    measure: Measure,
    app: Option<String>,
    tenant: Option<String>,
}

/// One request, as the model sees it.
#[derive(Debug, Clone)]
pub(crate) struct Ask<'a> {
    pub(crate) app: &'a str,
    pub(crate) tenant: &'a str,
    pub(crate) method: &'a str,
    /// Segments after the version, decoded.
    pub(crate) path: &'a [String],
    /// Query options, decoded.
    pub(crate) query: &'a [(String, String)],
    pub(crate) low_priority: bool,
}

/// The model of a running emulator: configuration, clock and buckets.
#[derive(Debug)]
pub(crate) struct Throttler {
    config: Throttling,
    limits: [LimitSpec; 5],
    origin: Instant,
    state: Mutex<Buckets>,
}

#[derive(Debug)]
struct Buckets {
    levels: HashMap<Key, Level>,
    rng: fastrand::Rng,
}

impl Throttler {
    pub(crate) fn new(config: Throttling) -> Self {
        Self {
            limits: limits(config.size),
            origin: Instant::now(),
            state: Mutex::new(Buckets {
                levels: HashMap::new(),
                rng: fastrand::Rng::with_seed(config.seed),
            }),
            config,
        }
    }

    /// What a request costs, without charging it.
    pub(crate) fn cost(&self, method: &str, path: &[String], query: &[(String, String)]) -> Charge {
        Charge {
            ru: self.config.costs.cost(method, path, query).ru,
            share: None,
        }
    }

    /// The model's clock: seconds since start, times the time scale.
    fn now(&self) -> f64 {
        self.origin.elapsed().as_secs_f64() * self.config.time_scale
    }

    /// Charges a request now: its charge, and a refusal when it does not fit.
    pub(crate) fn charge(&self, ask: &Ask<'_>) -> (Charge, Option<Refusal>) {
        self.charge_at(ask, self.now())
    }

    /// [`Throttler::charge`] at model time `now` (seconds): the clock is an argument, so the
    /// model is driven by hand in tests.
    pub(crate) fn charge_at(&self, ask: &Ask<'_>, now: f64) -> (Charge, Option<Refusal>) {
        let cost = self.config.costs.cost(ask.method, ask.path, ask.query);
        let reserve = if ask.low_priority {
            LOW_PRIORITY_RESERVE
        } else {
            0.0
        };
        let mut state = lock(&self.state);
        let mut admitted = Vec::new();
        // The limit that refuses for longest: (wait, share, spec).
        let mut refused: Option<(f64, f64, LimitSpec)> = None;
        for spec in self.limits {
            let amount = amount(cost, spec.measure);
            if amount <= 0.0 {
                continue;
            }
            let key = key(spec, ask);
            let level = state
                .levels
                .get(&key)
                .copied()
                .unwrap_or(Level { used: 0.0, at: now });
            match bucket::decide(level, spec.limit, now, amount, reserve) {
                Verdict::Admit(after) => admitted.push((key, after, spec)),
                Verdict::Refuse { wait_secs, share } => {
                    if refused.is_none_or(|(longest, _, _)| wait_secs > longest) {
                        refused = Some((wait_secs, share, spec));
                    }
                }
            }
        }
        if let Some((wait_secs, share, spec)) = refused {
            let jitter = 1.0 + state.rng.f64() * MAX_JITTER;
            let refusal = Refusal {
                retry_after_secs: wait_secs / self.config.time_scale * jitter,
                scope: scope_name(spec, ask),
                information: match spec.measure {
                    Measure::ResourceUnits => "ResourceUnitLimitExceeded",
                    Measure::Writes => "WriteLimitExceeded",
                },
            };
            return (
                Charge {
                    ru: cost.ru,
                    share: Some(share),
                },
                Some(refusal),
            );
        }
        let mut highest: f64 = 0.0;
        for (key, after, spec) in admitted {
            highest = highest.max(bucket::share(after, spec.limit));
            state.levels.insert(key, after);
        }
        (
            Charge {
                ru: cost.ru,
                share: (highest > REPORTED_SHARE).then_some(highest),
            },
            None,
        )
    }
}

fn amount(cost: Cost, measure: Measure) -> f64 {
    match measure {
        Measure::ResourceUnits => cost.ru,
        Measure::Writes => cost.writes,
    }
}

fn key(spec: LimitSpec, ask: &Ask<'_>) -> Key {
    let (app, tenant) = match spec.scope {
        Scope::TenantApplication => (Some(ask.app), Some(ask.tenant)),
        Scope::Application => (Some(ask.app), None),
        Scope::Tenant => (None, Some(ask.tenant)),
    };
    Key {
        scope: spec.scope,
        measure: spec.measure,
        app: app.map(str::to_ascii_lowercase),
        tenant: tenant.map(str::to_ascii_lowercase),
    }
}

/// `x-ms-throttle-scope`: `<Scope>/<Limit>/<ApplicationId>/<TenantId>`, the limit `ReadWrite`
/// for resource units (reads and writes spend them) and `Write` for the write quotas.
fn scope_name(spec: LimitSpec, ask: &Ask<'_>) -> String {
    let scope = match spec.scope {
        Scope::TenantApplication => "Tenant_Application",
        Scope::Application => "Application",
        Scope::Tenant => "Tenant",
    };
    let limit = match spec.measure {
        Measure::ResourceUnits => "ReadWrite",
        Measure::Writes => "Write",
    };
    format!("{scope}/{limit}/{}/{}", ask.app, ask.tenant)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ask<'a>(app: &'a str, tenant: &'a str, method: &'a str, path: &'a [String]) -> Ask<'a> {
        Ask {
            app,
            tenant,
            method,
            path,
            query: &[],
            low_priority: false,
        }
    }

    #[test]
    fn the_write_quota_refuses_the_3001st_write_until_one_drains() {
        let model = Throttler::new(Throttling::entra(TenantSize::Large));
        let path = vec!["servicePrincipals".to_owned(), "x".to_owned()];
        let write = ask("app", "tenant", "PATCH", &path);
        for _ in 0..3000 {
            let (charge, refusal) = model.charge_at(&write, 0.0);
            assert_eq!(charge.ru, 1.0);
            assert!(refusal.is_none());
        }
        let (charge, refusal) = model.charge_at(&write, 0.0);
        let refusal = refusal.unwrap();
        assert_eq!(refusal.information, "WriteLimitExceeded");
        assert_eq!(refusal.scope, "Tenant_Application/Write/app/tenant");
        // One write drains in 150 / 3000 = 0.05 s, plus at most 5 % jitter.
        assert!(
            (0.05..=0.0525 + 1e-9).contains(&refusal.retry_after_secs),
            "{refusal:?}"
        );
        assert!(charge.share.unwrap() > 1.0);
        // Reads still fit (3,000 RU spent of 8,000), for the same app.
        let read = ask("app", "tenant", "GET", &path);
        let (charge, refusal) = model.charge_at(&read, 0.0);
        assert!(refusal.is_none());
        assert_eq!(charge.share, None);
        // Another tenant's quota is its own.
        assert!(
            model
                .charge_at(&ask("app", "other", "PATCH", &path), 0.0)
                .1
                .is_none()
        );
        // After the wait, the write fits.
        assert!(model.charge_at(&write, 0.05).1.is_none());
    }

    #[test]
    fn time_scale_divides_retry_after() {
        let costs = CostTable::from_yaml(
            "default: {read: 1, write: 1, writes: 1}\npaths: [{method: GET, path: big, cost: 3500}]",
        )
        .unwrap();
        let model = Throttler::new(
            Throttling::entra(TenantSize::Small)
                .time_scale(10.0)
                .costs(costs),
        );
        let path = vec!["big".to_owned()];
        let read = ask("a", "t", "GET", &path);
        let (charge, refusal) = model.charge_at(&read, 0.0);
        assert!(refusal.is_none());
        assert_eq!(charge.share, Some(1.0));
        let refusal = model.charge_at(&read, 0.0).1.unwrap();
        assert_eq!(refusal.information, "ResourceUnitLimitExceeded");
        assert_eq!(refusal.scope, "Tenant_Application/ReadWrite/a/t");
        // 10 s of model time at a 10x clock: about one real second.
        assert!((1.0..=1.05).contains(&refusal.retry_after_secs));
    }

    #[test]
    fn low_priority_is_refused_first() {
        let costs = CostTable::from_yaml(
            "default: {read: 1, write: 1, writes: 1}\npaths: [{method: GET, path: x, cost: 1000}]",
        )
        .unwrap();
        let model = Throttler::new(Throttling::entra(TenantSize::Small).costs(costs));
        let path = vec!["x".to_owned()];
        let normal = ask("a", "t", "GET", &path);
        let low = Ask {
            low_priority: true,
            ..normal.clone()
        };
        assert!(model.charge_at(&low, 0.0).1.is_none());
        assert!(model.charge_at(&normal, 0.0).1.is_none());
        // 2,000 of 3,500 spent: low priority may go to 2,800, normal to 3,500.
        assert!(model.charge_at(&low, 0.0).1.is_some());
        assert!(model.charge_at(&normal, 0.0).1.is_none());
    }

    #[test]
    fn the_same_seed_gives_the_same_retry_after() {
        let run = |seed| {
            let model = Throttler::new(Throttling::entra(TenantSize::Small).seed(seed));
            let path = vec!["x".to_owned()];
            let write = ask("a", "t", "POST", &path);
            (0..3003)
                .filter_map(|_| model.charge_at(&write, 0.0).1)
                .map(|r| r.retry_after_secs)
                .collect::<Vec<_>>()
        };
        assert_eq!(run(1).len(), 3);
        assert_eq!(run(1), run(1));
        assert_ne!(run(1), run(2));
    }

    #[test]
    fn parses_the_binary_flag() {
        let t: Throttling = "large:10".parse().unwrap();
        assert_eq!((t.tenant_size(), t.scale()), (TenantSize::Large, 10.0));
        let t: Throttling = "Small".parse().unwrap();
        assert_eq!((t.tenant_size(), t.scale()), (TenantSize::Small, 1.0));
        for bad in [
            "",
            "huge",
            "small:",
            "small:0",
            "small:-1",
            "small:x",
            "small:inf",
        ] {
            assert!(bad.parse::<Throttling>().is_err(), "{bad:?}");
        }
    }
}
