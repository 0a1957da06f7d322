//! The token-bucket arithmetic, as pure functions of (state, now, cost): no clock, no lock, so
//! it is tested without sleeping.
//!
//! A bucket holds what was spent (`used`) against a `capacity` per `window`; what was spent
//! drains continuously at `capacity / window` per second of model time. A request of cost `c`
//! fits when `used + c` stays within the share of the capacity it may use; otherwise it must
//! wait until enough has drained.

/// One limit: `capacity` units per `window_secs` seconds of model time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Limit {
    pub(crate) capacity: f64,
    pub(crate) window_secs: f64,
}

impl Limit {
    /// Units drained per second of model time.
    pub(crate) fn rate(self) -> f64 {
        self.capacity / self.window_secs
    }
}

/// What a bucket had spent at a moment of model time.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Level {
    pub(crate) used: f64,
    /// Model time (seconds) at which `used` was measured.
    pub(crate) at: f64,
}

/// The answer for one request against one bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Verdict {
    /// The request fits; the bucket's level once it is counted.
    Admit(Level),
    /// It does not: seconds of model time until it would, and `used + cost` as a share of what
    /// the request may use of the capacity (always over 1).
    Refuse { wait_secs: f64, share: f64 },
}

/// The level at `now`: what was spent, drained since it was measured (never below 0; a clock
/// that went back drains nothing).
pub(crate) fn level_at(level: Level, limit: Limit, now: f64) -> Level {
    let elapsed = (now - level.at).max(0.0);
    Level {
        used: (level.used - elapsed * limit.rate()).max(0.0),
        at: now.max(level.at),
    }
}

/// Whether a request of `cost` fits at `now` when `reserve` (a share of the capacity, 0 for a
/// request of normal priority) must stay free after it. A request that could never fit (its
/// cost exceeds what it may use of an empty bucket) is admitted once the bucket is empty.
pub(crate) fn decide(level: Level, limit: Limit, now: f64, cost: f64, reserve: f64) -> Verdict {
    let current = level_at(level, limit, now);
    let allowed = limit.capacity * (1.0 - reserve.clamp(0.0, 1.0));
    let target = (allowed - cost).max(0.0);
    // A tolerance of a millionth of a unit keeps a request sent exactly when its Retry-After
    // ends from being refused by rounding.
    if current.used <= target + 1e-6 {
        Verdict::Admit(Level {
            used: current.used + cost,
            at: current.at,
        })
    } else {
        Verdict::Refuse {
            wait_secs: (current.used - target) / limit.rate(),
            share: (current.used + cost) / allowed.max(f64::MIN_POSITIVE),
        }
    }
}

/// The share of the capacity a level uses.
pub(crate) fn share(level: Level, limit: Limit) -> f64 {
    level.used / limit.capacity
}

#[cfg(test)]
mod tests {
    use super::*;

    const RU: Limit = Limit {
        capacity: 3500.0,
        window_secs: 10.0,
    };

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    fn admit(level: Level, now: f64, cost: f64) -> Level {
        match decide(level, RU, now, cost, 0.0) {
            Verdict::Admit(level) => level,
            Verdict::Refuse { .. } => panic!("refused {cost} at {now} with {level:?}"),
        }
    }

    #[test]
    fn fills_to_capacity_then_refuses_with_the_time_to_drain() {
        let mut level = Level::default();
        for _ in 0..3500 {
            level = admit(level, 0.0, 1.0);
        }
        assert!(close(level.used, 3500.0));
        // 350 RU drain per second: one RU needs 1/350 s.
        match decide(level, RU, 0.0, 1.0, 0.0) {
            Verdict::Refuse { wait_secs, share } => {
                assert!(close(wait_secs, 1.0 / 350.0), "{wait_secs}");
                assert!(close(share, 3501.0 / 3500.0));
            }
            other => panic!("{other:?}"),
        }
        // A cost of 700 needs two seconds.
        match decide(level, RU, 0.0, 700.0, 0.0) {
            Verdict::Refuse { wait_secs, .. } => assert!(close(wait_secs, 2.0)),
            other => panic!("{other:?}"),
        }
        // Exactly then, it fits; a moment before, it does not.
        assert!(matches!(
            decide(level, RU, 1.999, 700.0, 0.0),
            Verdict::Refuse { .. }
        ));
        let after = admit(level, 2.0, 700.0);
        assert!(close(after.used, 3500.0));
        assert!(close(after.at, 2.0));
    }

    #[test]
    fn drains_continuously_and_never_below_zero() {
        let level = Level {
            used: 1000.0,
            at: 5.0,
        };
        assert!(close(level_at(level, RU, 6.0).used, 650.0));
        assert!(close(level_at(level, RU, 100.0).used, 0.0));
        // A clock that went back drains nothing.
        assert_eq!(level_at(level, RU, 4.0), level);
    }

    #[test]
    fn a_reserve_refuses_low_priority_first() {
        let level = Level {
            used: 2700.0,
            at: 0.0,
        };
        // Normal priority: 2700 + 100 ≤ 3500.
        assert!(matches!(
            decide(level, RU, 0.0, 100.0, 0.0),
            Verdict::Admit(_)
        ));
        // Low priority keeps 20 % free: 2700 + 100 ≤ 2800 still fits, 2700 + 200 does not.
        assert!(matches!(
            decide(level, RU, 0.0, 100.0, 0.2),
            Verdict::Admit(_)
        ));
        match decide(level, RU, 0.0, 200.0, 0.2) {
            Verdict::Refuse { wait_secs, share } => {
                assert!(close(wait_secs, 100.0 / 350.0));
                // Of the 2,800 it may use.
                assert!(close(share, 2900.0 / 2800.0));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_oversized_request_waits_for_an_empty_bucket() {
        let level = Level {
            used: 35.0,
            at: 0.0,
        };
        match decide(level, RU, 0.0, 5000.0, 0.0) {
            Verdict::Refuse { wait_secs, .. } => assert!(close(wait_secs, 0.1)),
            other => panic!("{other:?}"),
        }
        let admitted = admit(level, 0.1, 5000.0);
        assert!(close(admitted.used, 5000.0));
        assert!(share(admitted, RU) > 1.0);
    }
}
