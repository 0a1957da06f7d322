//! The governor's decisions for one class of requests, as plain functions of (state, now,
//! event): no clock, no sleeping, no locking (the caller holds the lock and passes `now`).
//!
//! The model:
//! - A 429 **holds** the class until `now + Retry-After` (at most the configured maximum):
//!   no new request of the class starts before then.
//! - A 429 also starts (or doubles) **pacing**: a minimum spacing between the starts of the
//!   class's requests, first a quarter of the wait (at least [`MIN_SPACING`], at most
//!   [`MAX_SPACING`]). When the hold ends the waiting requests are released one at a time,
//!   not all at once. 429s that arrive while the class is already held (requests that were in
//!   flight before it) or soon after the last increase extend the hold but do not double the
//!   spacing again.
//! - Answers steer the spacing by `x-ms-throttle-limit-percentage`: at 1.0 or more (at or over
//!   the limit) it grows by a quarter (and pacing starts, if it had not); from 0.95 to 1.0 it is
//!   kept; from 0.8 to 0.95 (room left) it shrinks by a thousandth per answer, never below
//!   [`MIN_SPACING`], so a spacing that grew too far returns towards the rate the service allows
//!   (pacing starts at the minimum if it had not); below 0.8 (no header) it shrinks by a tenth
//!   per answer, and under [`MIN_SPACING`] pacing stops.
//! - Waiting requests queue with a [`Ticket`]: the next may start when the gate opens (the hold
//!   is over and a spacing has passed since the last start). A waiter sleeps until its expected
//!   turn (the gate plus a spacing per ticket ahead) and asks again, so a schedule that moved
//!   (a new 429, a new spacing) is followed. A request without a ticket goes at once only when
//!   nobody is queued. A cancelled waiter leaves the queue, and those behind it move up.

use std::time::Duration;

use tokio::time::Instant;

/// The smallest spacing: below it, pacing stops.
pub(crate) const MIN_SPACING: Duration = Duration::from_micros(100);
/// The largest spacing.
pub(crate) const MAX_SPACING: Duration = Duration::from_secs(1);
/// Growth of the spacing on an answer at or over its limit.
const GROW_AT_LIMIT: f64 = 1.25;
/// The longest a waiter sleeps before asking again, however long the queue ahead of it.
const MAX_QUEUE_ESTIMATE: Duration = Duration::from_secs(1);
/// Shrinking of the spacing on an answer well under its limits.
const SHRINK_UNDER_LIMIT: f64 = 0.9;
/// Under this limit percentage (and over 0.8) the spacing is probed down gently: the service
/// has room, so a spacing that grew too far comes back towards the rate it allows.
const PROBE_BELOW: f64 = 0.95;
/// The gentle shrink per answer between 0.8 and [`PROBE_BELOW`].
const PROBE_DOWN: f64 = 0.999;

/// A waiting request's place in the queue of its class.
pub(crate) type Ticket = u64;

/// What [`ClassGovernor::admit`] says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Start now.
    Go,
    /// Wait until `until`, then ask again with `ticket`.
    Wait {
        /// When the request's turn is expected (asked again then: the schedule may have moved).
        until: Instant,
        /// The request's place in the queue.
        ticket: Ticket,
    },
}

/// What an answer told the governor about one class.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Signal {
    /// A 429 for this class, with the wait it asked for (if any).
    Throttled {
        /// `Retry-After` (or a millisecond header), already capped.
        wait: Option<Duration>,
    },
    /// Any other answer, with its `x-ms-throttle-limit-percentage`.
    Answered {
        /// The fraction of a limit used, when over 0.8.
        limit_percentage: Option<f64>,
    },
}

/// Whether an event started or ended the class's throttling (for tracing and the fast path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// Nothing held or paced before; now something is.
    Started,
    /// Held or paced before; now neither.
    Stopped,
    /// No change of activity.
    Same,
}

/// One class's throttling state.
#[derive(Clone, Debug, Default)]
pub(crate) struct ClassGovernor {
    /// No request of the class starts before this.
    pub(crate) held_until: Option<Instant>,
    /// The minimum spacing between starts (zero: not pacing).
    pub(crate) spacing: Duration,
    /// When the last request of the class was let go while it was paced.
    last_start: Option<Instant>,
    /// When the spacing last grew.
    grown_at: Option<Instant>,
    /// The next ticket to hand out.
    next_ticket: Ticket,
    /// Tickets retired (let go or cancelled).
    retired: Ticket,
    /// The last limit percentage an answer carried (`None` when the last had none).
    pub(crate) limit_percentage: Option<f64>,
    /// 429s seen.
    pub(crate) throttled: u64,
    /// Requests waiting now (kept by the caller's waiters).
    pub(crate) waiting: usize,
}

impl ClassGovernor {
    /// Whether the class is held or paced (requests must ask [`admit`](Self::admit)).
    pub(crate) fn is_active(&self) -> bool {
        self.held_until.is_some() || !self.spacing.is_zero()
    }

    /// Forgets a hold that has ended.
    fn expire(&mut self, now: Instant) {
        if self.held_until.is_some_and(|until| until <= now) {
            self.held_until = None;
        }
    }

    /// When the next request may start: after the hold, and a spacing after the last start.
    fn gate(&self) -> Option<Instant> {
        let paced = self.last_start.map(|last| last + self.spacing);
        match (self.held_until, paced) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether a request of the class may start now. A request that waited asks again with its
    /// ticket; one that has none may go at once only when nobody is queued before it.
    pub(crate) fn admit(&mut self, now: Instant, ticket: Option<Ticket>) -> Admission {
        self.expire(now);
        if !self.is_active() {
            if let Some(ticket) = ticket {
                self.retire(ticket);
            }
            return Admission::Go;
        }
        let gate = self.gate();
        let open = gate.is_none_or(|gate| gate <= now);
        let queue_empty = self.retired >= self.next_ticket;
        if open && (ticket.is_some() || queue_empty) {
            if let Some(ticket) = ticket {
                self.retire(ticket);
            }
            self.last_start = Some(now);
            return Admission::Go;
        }
        let ticket = ticket.unwrap_or_else(|| {
            self.next_ticket += 1;
            self.next_ticket - 1
        });
        // Expected turn: the gate, then one spacing per ticket ahead.
        let ahead = u32::try_from(ticket.saturating_sub(self.retired)).unwrap_or(u32::MAX);
        let gate = gate.unwrap_or(now).max(now);
        let until = gate + self.spacing.saturating_mul(ahead).min(MAX_QUEUE_ESTIMATE);
        Admission::Wait { until, ticket }
    }

    /// A ticket leaves the queue (its request went, or was cancelled).
    fn retire(&mut self, _ticket: Ticket) {
        if self.retired < self.next_ticket {
            self.retired += 1;
        }
    }

    /// A waiter holding `ticket` went away before its turn: those behind it move up.
    pub(crate) fn cancel(&mut self, ticket: Ticket) {
        self.retire(ticket);
    }

    /// Learns from an answer. `max_hold` caps the hold a `Retry-After` can ask for.
    pub(crate) fn observe(&mut self, now: Instant, signal: Signal, max_hold: Duration) -> Change {
        self.expire(now);
        let was_active = self.is_active();
        match signal {
            Signal::Throttled { wait } => {
                self.throttled += 1;
                let wait = wait.unwrap_or(Duration::ZERO).min(max_hold);
                // Requests in flight before the hold, or answered just after the last growth,
                // are the same episode: they extend the hold but do not double the spacing.
                let same_episode = self.held_until.is_some_and(|until| now < until)
                    || self
                        .grown_at
                        .is_some_and(|at| now < at + (self.spacing * 4).max(MIN_SPACING * 10));
                if !same_episode {
                    let first = (wait.min(MAX_SPACING) / 4).max(MIN_SPACING);
                    self.spacing = (self.spacing * 2).max(first).min(MAX_SPACING);
                    self.grown_at = Some(now);
                }
                if !wait.is_zero() {
                    let until = now + wait;
                    if self.held_until.is_none_or(|held| held < until) {
                        self.held_until = Some(until);
                    }
                }
            }
            Signal::Answered { limit_percentage } => {
                self.limit_percentage = limit_percentage;
                match limit_percentage {
                    Some(p) if p >= 1.0 => {
                        let may_grow = self
                            .grown_at
                            .is_none_or(|at| now >= at + (self.spacing * 4).max(MIN_SPACING * 10));
                        if self.spacing.is_zero() {
                            self.spacing = MIN_SPACING;
                            self.grown_at = Some(now);
                        } else if may_grow {
                            self.spacing = self.spacing.mul_f64(GROW_AT_LIMIT).min(MAX_SPACING);
                            self.grown_at = Some(now);
                        }
                    }
                    Some(p) if p >= 0.8 => {
                        if self.spacing.is_zero() {
                            self.spacing = MIN_SPACING;
                        } else if p < PROBE_BELOW {
                            self.spacing = self.spacing.mul_f64(PROBE_DOWN).max(MIN_SPACING);
                        }
                    }
                    _ => {
                        if !self.spacing.is_zero() {
                            self.spacing = self.spacing.mul_f64(SHRINK_UNDER_LIMIT);
                            if self.spacing < MIN_SPACING {
                                self.spacing = Duration::ZERO;
                                self.last_start = None;
                            }
                        }
                    }
                }
            }
        }
        match (was_active, self.is_active()) {
            (false, true) => Change::Started,
            (true, false) => Change::Stopped,
            _ => Change::Same,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX_HOLD: Duration = Duration::from_secs(60);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn throttled(secs: f64) -> Signal {
        Signal::Throttled {
            wait: Some(Duration::from_secs_f64(secs)),
        }
    }

    fn answered(p: Option<f64>) -> Signal {
        Signal::Answered {
            limit_percentage: p,
        }
    }

    /// `n` requests arrive at `now`; each waits until its expected turn and asks again (a
    /// discrete-event run of the waiters, no clock). Returns when each started, relative to
    /// `now`, in the order they started.
    fn run_waiters(g: &mut ClassGovernor, now: Instant, n: usize) -> Vec<Duration> {
        let mut started = Vec::new();
        let mut waiting: Vec<(Instant, Ticket)> = Vec::new();
        for _ in 0..n {
            match g.admit(now, None) {
                Admission::Go => started.push(Duration::ZERO),
                Admission::Wait { until, ticket } => waiting.push((until, ticket)),
            }
        }
        let mut steps = 0;
        while !waiting.is_empty() {
            steps += 1;
            assert!(steps < 100_000, "waiters never finish");
            waiting.sort();
            let (at, ticket) = waiting.remove(0);
            match g.admit(at, Some(ticket)) {
                Admission::Go => started.push(at - now),
                Admission::Wait { until, ticket } => {
                    assert!(until >= at, "no waiting into the past");
                    waiting.push((until, ticket));
                }
            }
        }
        started
    }

    #[test]
    fn idle_admits_everything_at_once() {
        let now = Instant::now();
        let mut g = ClassGovernor::default();
        assert!(!g.is_active());
        assert_eq!(run_waiters(&mut g, now, 64), vec![Duration::ZERO; 64]);
        assert_eq!(g.observe(now, answered(None), MAX_HOLD), Change::Same);
        assert!(!g.is_active());
    }

    #[test]
    fn a_429_holds_then_releases_one_at_a_time() {
        let now = Instant::now();
        let mut g = ClassGovernor::default();
        assert_eq!(g.observe(now, throttled(0.8), MAX_HOLD), Change::Started);
        assert_eq!(g.held_until, Some(now + ms(800)));
        assert_eq!(g.spacing, ms(200), "a quarter of the wait");
        let starts = run_waiters(&mut g, now, 4);
        assert_eq!(starts, vec![ms(800), ms(1000), ms(1200), ms(1400)]);
        assert_eq!(g.throttled, 1);
        assert_eq!(g.retired, g.next_ticket, "the queue is empty again");
    }

    #[test]
    fn a_storm_of_429s_from_one_episode_grows_the_spacing_once() {
        let now = Instant::now();
        let mut g = ClassGovernor::default();
        g.observe(now, throttled(0.02), MAX_HOLD);
        let first = g.spacing;
        // 63 more answers of requests that were in flight together.
        for i in 0..63 {
            g.observe(now + Duration::from_micros(i), throttled(0.02), MAX_HOLD);
        }
        assert_eq!(g.spacing, first);
        assert_eq!(g.throttled, 64);
        // After the hold, a 429 to a paced request is a new episode: the spacing doubles.
        let later = now + ms(100);
        g.observe(later, throttled(0.02), MAX_HOLD);
        assert_eq!(g.spacing, first * 2);
    }

    #[test]
    fn waiters_follow_a_schedule_that_moves() {
        let now = Instant::now();
        let mut g = ClassGovernor::default();
        g.observe(now, throttled(1.0), MAX_HOLD);
        let Admission::Wait { until, ticket } = g.admit(now, None) else {
            panic!("held")
        };
        assert_eq!(until, now + ms(1000));
        // At its turn, a new 429 (another request's) holds the class for 2 s more.
        g.observe(until, throttled(2.0), MAX_HOLD);
        match g.admit(until, Some(ticket)) {
            Admission::Wait { until: again, .. } => assert_eq!(again, until + ms(2000)),
            Admission::Go => panic!("inside the new hold"),
        }
        // A newcomer queues behind it.
        let Admission::Wait { ticket: behind, .. } = g.admit(until, None) else {
            panic!()
        };
        assert!(behind > ticket);
    }

    #[test]
    fn a_cancelled_waiter_moves_those_behind_it_up() {
        let now = Instant::now();
        let mut g = ClassGovernor::default();
        g.observe(now, throttled(0.4), MAX_HOLD);
        let spacing = g.spacing;
        let tickets: Vec<(Instant, Ticket)> = (0..3)
            .map(|_| match g.admit(now, None) {
                Admission::Wait { until, ticket } => (until, ticket),
                Admission::Go => panic!("held"),
            })
            .collect();
        assert_eq!(tickets[2].0, now + ms(400) + spacing * 2);
        g.cancel(tickets[0].1);
        let Admission::Wait { until, .. } = g.admit(now, Some(tickets[2].1)) else {
            panic!()
        };
        assert_eq!(until, now + ms(400) + spacing, "one fewer ahead");
        // Cancelling everything empties the queue: a newcomer after the hold goes at once.
        g.cancel(tickets[1].1);
        g.cancel(tickets[2].1);
        assert_eq!(g.retired, g.next_ticket);
        assert_eq!(g.admit(now + ms(400), None), Admission::Go);
    }

    #[test]
    fn a_newcomer_does_not_pass_the_queue() {
        let now = Instant::now();
        let mut g = ClassGovernor::default();
        g.observe(now, throttled(0.4), MAX_HOLD);
        let Admission::Wait { ticket, .. } = g.admit(now, None) else {
            panic!()
        };
        // The gate is open at 400 ms, but a waiter is queued: the newcomer queues too.
        assert!(matches!(
            g.admit(now + ms(400), None),
            Admission::Wait { .. }
        ));
        assert_eq!(g.admit(now + ms(400), Some(ticket)), Admission::Go);
    }

    #[test]
    fn limit_percentages_steer_the_spacing() {
        let now = Instant::now();
        let mut g = ClassGovernor::default();
        // Between 0.8 and 1.0: pacing starts gently and is kept.
        assert_eq!(
            g.observe(now, answered(Some(0.85)), MAX_HOLD),
            Change::Started
        );
        assert_eq!(g.spacing, MIN_SPACING);
        assert_eq!(g.limit_percentage, Some(0.85));
        // At or over the limit: grows, at most once per episode window.
        g.observe(now, answered(Some(1.2)), MAX_HOLD);
        let grown = g.spacing;
        assert!(grown > MIN_SPACING, "{grown:?}");
        g.observe(now, answered(Some(1.2)), MAX_HOLD);
        assert_eq!(g.spacing, grown, "not twice in the same instant");
        g.observe(now + ms(10), answered(Some(1.2)), MAX_HOLD);
        assert!(g.spacing > grown);
        // Well under the limits: shrinks until pacing stops.
        let mut stopped = false;
        for i in 0..200 {
            if g.observe(now + ms(20 + i), answered(None), MAX_HOLD) == Change::Stopped {
                stopped = true;
                break;
            }
        }
        assert!(stopped && !g.is_active());
        assert_eq!(g.admit(now + ms(300), None), Admission::Go);
    }

    #[test]
    fn room_under_the_limit_probes_the_spacing_down_without_ending_pacing() {
        let now = Instant::now();
        let mut g = ClassGovernor::default();
        g.observe(now, answered(Some(0.9)), MAX_HOLD);
        g.spacing = ms(10);
        // Close to the limit: kept.
        g.observe(now, answered(Some(0.97)), MAX_HOLD);
        assert_eq!(g.spacing, ms(10));
        // Room left: a little less per answer.
        g.observe(now, answered(Some(0.9)), MAX_HOLD);
        assert!(g.spacing < ms(10) && g.spacing > ms(9), "{:?}", g.spacing);
        // However long it lasts, pacing goes on at the smallest spacing while the answers
        // still report a limit percentage.
        for _ in 0..20_000 {
            assert_ne!(
                g.observe(now, answered(Some(0.85)), MAX_HOLD),
                Change::Stopped
            );
        }
        assert_eq!(g.spacing, MIN_SPACING);
        assert!(g.is_active());
    }

    #[test]
    fn holds_are_capped_and_never_overflow() {
        let now = Instant::now();
        let mut g = ClassGovernor::default();
        g.observe(
            now,
            Signal::Throttled {
                wait: Some(Duration::MAX),
            },
            MAX_HOLD,
        );
        assert_eq!(g.held_until, Some(now + MAX_HOLD));
        assert_eq!(g.spacing, MAX_SPACING / 4);
        // A 429 without a wait paces but does not hold.
        let mut h = ClassGovernor::default();
        h.observe(now, Signal::Throttled { wait: None }, MAX_HOLD);
        assert_eq!(h.held_until, None);
        assert_eq!(h.spacing, MIN_SPACING);
        assert!(h.is_active());
    }

    #[test]
    fn the_hold_ends_on_its_own() {
        let now = Instant::now();
        let mut g = ClassGovernor::default();
        g.observe(now, throttled(0.5), MAX_HOLD);
        assert_eq!(g.admit(now + ms(500), None), Admission::Go);
        assert_eq!(g.held_until, None);
        // Still paced: the next start is a spacing later.
        assert!(matches!(
            g.admit(now + ms(500), None),
            Admission::Wait { .. }
        ));
    }
}
