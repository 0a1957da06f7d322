//! Staying inside Graph's throttling limits: the client-wide throttle governor
//! ([`ThrottleGovernor`], observed through [`CoreClient::throttle_state`](crate::CoreClient::throttle_state)),
//! the headers it reads ([`THROTTLE_SCOPE`], [`THROTTLE_LIMIT_PERCENTAGE`]) and the
//! `x-ms-throttle-priority` request header ([`ThrottlePriority`]).
//!
//! # The governor
//!
//! Every clone of a client, and every task using one, shares one governor. It learns only from
//! answers: a 429's wait (`x-ms-retry-after-ms`, `retry-after-ms` or `Retry-After`, see
//! [`retry_after_from_headers`](crate::retry::retry_after_from_headers)) and its
//! `x-ms-throttle-scope` (whose limit part, `Read`, `Write` or `ReadWrite`, says which class of
//! requests is throttled; without one, the class of the request that met it), and every answer's
//! `x-ms-throttle-limit-percentage`. Requests come in two classes: reads (`GET`) and writes
//! (`POST`, `PATCH`, `PUT`, `DELETE`).
//!
//! Before each attempt a request asks the governor; while its class is held (after a 429, until
//! the wait has passed) or paced (a minimum spacing between starts), it waits for its slot
//! instead of meeting a 429 of its own. After the hold, waiting requests are released one slot
//! at a time; the spacing then follows the limit percentage the answers report (growing at or
//! over the limit, kept from 95 % to 100 %, eased down gently from 80 % to 95 %, shrinking
//! below 80 % until pacing stops). The rules
//! are in the `governor` module's docs and tests.
//!
//! When nothing is throttled, asking costs one atomic load; a waiting request that is dropped
//! leaves nothing behind. The retry decision is unchanged ([`retry::decide`](crate::retry::decide)):
//! a 429 is still retried after its `Retry-After`, and its retry asks the governor like every
//! other attempt, so the throttled request and its siblings wait together.
//!
//! `tracing`: an `INFO` event `throttle governor: holding` when a class starts being held or
//! paced, and `throttle governor: released` when it is neither again.

mod governor;
mod priority;
mod scope;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use tokio::time::Instant;

use crate::operation::HttpMethod;
use governor::{Admission, Change, ClassGovernor, Signal, Ticket};

pub use priority::{THROTTLE_PRIORITY, ThrottlePriority};
pub use scope::{THROTTLE_LIMIT_PERCENTAGE, THROTTLE_SCOPE};

/// The class of a request, as Entra's limits count it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ThrottleClass {
    /// `GET`.
    Read,
    /// `POST`, `PATCH`, `PUT` and `DELETE`.
    Write,
}

impl ThrottleClass {
    /// The class of a request sent with `method`.
    pub const fn of(method: HttpMethod) -> Self {
        match method {
            HttpMethod::Get => ThrottleClass::Read,
            HttpMethod::Post | HttpMethod::Put | HttpMethod::Patch | HttpMethod::Delete => {
                ThrottleClass::Write
            }
        }
    }

    /// `read` or `write`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ThrottleClass::Read => "read",
            ThrottleClass::Write => "write",
        }
    }

    const fn index(self) -> usize {
        match self {
            ThrottleClass::Read => 0,
            ThrottleClass::Write => 1,
        }
    }

    const fn bit(self) -> u8 {
        1 << self.index()
    }

    const fn alone(self) -> &'static [ThrottleClass] {
        match self {
            ThrottleClass::Read => &[ThrottleClass::Read],
            ThrottleClass::Write => &[ThrottleClass::Write],
        }
    }
}

/// How a client's throttle governor is configured (see the [module docs](self)): on by default,
/// [`ThrottleGovernor::off`] to send every request as soon as it is made.
///
/// ```
/// use graph_core::{CoreClient, StaticToken, ThrottleGovernor};
/// use std::time::Duration;
///
/// let client = CoreClient::builder(StaticToken::new("token"))
///     .throttle_governor(ThrottleGovernor::default().max_hold(Duration::from_secs(30)))
///     .build()?;
/// assert!(client.throttle_state().enabled);
/// # Ok::<(), graph_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleGovernor {
    enabled: bool,
    max_hold: Duration,
}

impl Default for ThrottleGovernor {
    /// On, holding a class for at most 60 s (the default retry policy's longest wait).
    fn default() -> Self {
        Self {
            enabled: true,
            max_hold: Duration::from_secs(60),
        }
    }
}

impl ThrottleGovernor {
    /// No governor: requests never wait for one another (each still retries its own 429s).
    pub fn off() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// The longest hold a single `Retry-After` can put on a class (default 60 s).
    #[must_use]
    pub fn max_hold(mut self, max_hold: Duration) -> Self {
        self.max_hold = max_hold;
        self
    }

    /// Whether the governor is on.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }
}

/// A snapshot of a client's throttle governor ([`CoreClient::throttle_state`](crate::CoreClient::throttle_state)).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ThrottleState {
    /// Whether the governor is on.
    pub enabled: bool,
    /// Reads (`GET`).
    pub read: ClassThrottleState,
    /// Writes (`POST`, `PATCH`, `PUT`, `DELETE`).
    pub write: ClassThrottleState,
}

impl ThrottleState {
    /// The state of one class.
    pub fn class(&self, class: ThrottleClass) -> &ClassThrottleState {
        match class {
            ThrottleClass::Read => &self.read,
            ThrottleClass::Write => &self.write,
        }
    }
}

/// What the governor knows of one class of requests.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct ClassThrottleState {
    /// No request of the class starts before this (a 429's wait), if it is still ahead.
    pub held_until: Option<std::time::Instant>,
    /// The minimum spacing between starts of the class's requests (zero: not paced).
    pub spacing: Duration,
    /// The `x-ms-throttle-limit-percentage` of the class's latest answer (`None`: it had none,
    /// i.e. under 80 % of every limit).
    pub limit_percentage: Option<f64>,
    /// Requests of the class waiting for their slot now.
    pub waiting: usize,
    /// 429s the class met.
    pub throttled: u64,
}

/// The governor in a client's shared state.
pub(crate) struct Throttle {
    config: ThrottleGovernor,
    /// One bit per class that is held or paced: the fast path reads only this.
    active: AtomicU8,
    classes: Mutex<[ClassGovernor; 2]>,
}

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttle")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Throttle {
    pub(crate) fn new(config: ThrottleGovernor) -> Self {
        Self {
            config,
            active: AtomicU8::new(0),
            classes: Mutex::new(Default::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, [ClassGovernor; 2]> {
        self.classes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Keeps the class's bit in step with its state (called with the lock held).
    fn set_active(&self, class: ThrottleClass, active: bool) {
        if active {
            self.active.fetch_or(class.bit(), Ordering::Release);
        } else {
            self.active.fetch_and(!class.bit(), Ordering::Release);
        }
    }

    /// Whether `class` is held or paced now (one atomic load).
    pub(crate) fn is_active(&self, class: ThrottleClass) -> bool {
        self.active.load(Ordering::Acquire) & class.bit() != 0
    }

    /// Waits until a request of `class` may start. Returns at once (one atomic load) when the
    /// class is neither held nor paced. Dropping the future while it waits gives its slot back
    /// and takes it off the waiting count.
    pub(crate) async fn admit(&self, class: ThrottleClass) {
        if !self.is_active(class) {
            return;
        }
        self.wait_for_slot(class).await;
    }

    async fn wait_for_slot(&self, class: ThrottleClass) {
        let mut waiter: Option<Waiter<'_>> = None;
        loop {
            let admission = {
                let mut classes = self.lock();
                let governor = &mut classes[class.index()];
                let admission = governor.admit(Instant::now(), waiter.as_ref().map(|w| w.ticket));
                self.set_active(class, governor.is_active());
                if let (Admission::Wait { ticket, .. }, None) = (admission, &waiter) {
                    governor.waiting += 1;
                    waiter = Some(Waiter {
                        throttle: self,
                        class,
                        ticket,
                        done: false,
                    });
                }
                admission
            };
            match admission {
                Admission::Go => {
                    if let Some(w) = &mut waiter {
                        // Its turn was taken: nothing to give back.
                        w.done = true;
                    }
                    return;
                }
                Admission::Wait { until, .. } => tokio::time::sleep_until(until).await,
            }
        }
    }

    /// Learns from an answer to a request of `class`: its status and headers.
    pub(crate) fn observe(&self, class: ThrottleClass, status: u16, headers: &HeaderMap) {
        if !self.config.enabled {
            return;
        }
        if status == 429 {
            let wait = crate::retry::retry_after_from_headers(headers, SystemTime::now());
            let classes = scope::throttled_classes(headers, class);
            self.learn(classes, Signal::Throttled { wait });
            return;
        }
        let limit_percentage = scope::limit_percentage(headers);
        if limit_percentage.is_none() && self.active.load(Ordering::Acquire) & class.bit() == 0 {
            // Nothing throttled and nothing near a limit: nothing to learn.
            return;
        }
        self.learn(class.alone(), Signal::Answered { limit_percentage });
    }

    fn learn(&self, classes: &[ThrottleClass], signal: Signal) {
        let now = Instant::now();
        let mut state = self.lock();
        for &class in classes {
            let governor = &mut state[class.index()];
            let change = governor.observe(now, signal, self.config.max_hold);
            match change {
                Change::Started => {
                    tracing::info!(
                        class = class.as_str(),
                        hold_ms = governor
                            .held_until
                            .map_or(0, |until| until.saturating_duration_since(now).as_millis()),
                        spacing_us = governor.spacing.as_micros(),
                        "throttle governor: holding"
                    );
                }
                Change::Stopped => {
                    tracing::info!(
                        class = class.as_str(),
                        throttled = governor.throttled,
                        "throttle governor: released"
                    );
                }
                Change::Same => {}
            }
            self.set_active(class, governor.is_active());
        }
    }

    /// A snapshot of both classes.
    pub(crate) fn state(&self) -> ThrottleState {
        let now = Instant::now();
        let state = self.lock();
        let class = |g: &ClassGovernor| ClassThrottleState {
            held_until: g
                .held_until
                .filter(|until| *until > now)
                .map(Instant::into_std),
            spacing: g.spacing,
            limit_percentage: g.limit_percentage,
            waiting: g.waiting,
            throttled: g.throttled,
        };
        ThrottleState {
            enabled: self.config.enabled,
            read: class(&state[ThrottleClass::Read.index()]),
            write: class(&state[ThrottleClass::Write.index()]),
        }
    }
}

/// A request waiting for its turn: counted while it lives; dropped before its turn (the request
/// was cancelled), it leaves the queue.
struct Waiter<'a> {
    throttle: &'a Throttle,
    class: ThrottleClass,
    ticket: Ticket,
    /// It went: its ticket is retired already.
    done: bool,
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        let mut classes = self.throttle.lock();
        let governor = &mut classes[self.class.index()];
        governor.waiting = governor.waiting.saturating_sub(1);
        if !self.done {
            governor.cancel(self.ticket);
        }
    }
}
