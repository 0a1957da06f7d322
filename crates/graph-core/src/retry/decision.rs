//! The one place that decides what happens after an attempt: [`decide`].
//!
//! It takes the operation (method and [`OperationKind`]), the policy, what the attempts so far
//! came to ([`History`]) and the outcome of the latest ([`Outcome`]), and returns a
//! [`Decision`]. It does no I/O and reads no clock, so it is tested as a table.

use std::time::Duration;

use super::{RetryPolicy, is_retryable_status};
use crate::error::GraphError;
use crate::operation::{HttpMethod, OperationKind};

/// What one attempt came to.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// A 2xx answer.
    Success,
    /// Any other answer.
    Status {
        /// The HTTP status.
        status: u16,
        /// The `Retry-After` wait, if the answer had a valid one.
        retry_after: Option<Duration>,
        /// The decoded claims of a continuous-access-evaluation challenge (401 with
        /// `WWW-Authenticate: … claims="…"`).
        claims: Option<&'a str>,
        /// Graph's error body, when the answer had one.
        error: Option<&'a GraphError>,
    },
    /// The connection could not be established: no byte of the request reached the server.
    ConnectFailed,
    /// Any other transport failure, or a timeout: the request may have reached the server.
    TransportFailed,
}

/// What the attempts of one logical request came to so far. The send loop
/// [`record`](Self::record)s each decision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// Attempts made.
    pub attempts: u32,
    /// Retries made (claims retries not counted: they are not the policy's).
    pub retries: u32,
    /// Whether the one retry with claims was made.
    pub claims_retried: bool,
    /// The statuses of the attempts that were answered and retried, oldest first.
    pub earlier_statuses: Vec<u16>,
}

impl History {
    /// Notes an attempt and the decision taken after it.
    pub fn record(&mut self, outcome: &Outcome<'_>, decision: &Decision) {
        self.attempts += 1;
        let status = match outcome {
            Outcome::Status { status, .. } => Some(*status),
            _ => None,
        };
        match decision {
            Decision::Retry { .. } => {
                self.retries += 1;
                self.earlier_statuses.extend(status);
            }
            Decision::RetryWithClaims(_) => {
                self.claims_retried = true;
                self.earlier_statuses.extend(status);
            }
            Decision::Succeed { .. } | Decision::AlreadyApplied { .. } | Decision::GiveUp(_) => {}
        }
    }

    /// Whether an earlier attempt ended in a 504: the service may have applied it.
    pub fn had_gateway_timeout(&self) -> bool {
        self.earlier_statuses.contains(&504)
    }
}

/// What to do after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Decode the answer and return it. `after_gateway_timeout`: a change succeeded after an
    /// earlier 504, which may also have been applied (the loop logs a warning).
    Succeed {
        /// An earlier attempt of this change ended in a 504.
        after_gateway_timeout: bool,
    },
    /// The answer is the operation's own earlier effect: after a 504, a reference add met
    /// "already exist" (400) or a reference remove met 404. The state the caller asked for is
    /// reached: report success (the loop logs a warning naming the 504).
    AlreadyApplied {
        /// The status met (400 or 404).
        status: u16,
    },
    /// Send again after this wait.
    Retry {
        /// The wait.
        after: Duration,
    },
    /// Ask the credential for a token with these claims and send again at once.
    RetryWithClaims(String),
    /// Return the error, for this reason.
    GiveUp(GiveUpReason),
}

/// Why [`decide`] gives up: the send loop logs it and returns the error it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GiveUpReason {
    /// The status is never retried (a 4xx other than 429, a 500, a 502, …), or a second claims
    /// challenge came.
    NotRetryable,
    /// Every retry the policy allows was used.
    RetriesExhausted,
    /// The service asked for a longer wait (`Retry-After`) than the policy's `max_delay`: the
    /// caller decides when to try again.
    RetryAfterTooLong {
        /// The wait asked for.
        wait: Duration,
    },
    /// A `POST` met a 504 and the policy does not resend a `POST` that may have been applied.
    PostAfterGatewayTimeout,
    /// The connection broke or timed out after the request may have reached the server.
    MayHaveReachedServer,
}

impl GiveUpReason {
    /// A short description, for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            GiveUpReason::NotRetryable => "the status is not retried",
            GiveUpReason::RetriesExhausted => "the policy's retries are used up",
            GiveUpReason::RetryAfterTooLong { .. } => "Retry-After exceeds the policy's max_delay",
            GiveUpReason::PostAfterGatewayTimeout => {
                "a POST that met a 504 may have been applied and the policy does not resend it"
            }
            GiveUpReason::MayHaveReachedServer => {
                "the transport failed after the request may have reached the server"
            }
        }
    }
}

/// Graph's words for a reference add that meets an existing reference.
fn is_already_exists(error: Option<&GraphError>) -> bool {
    error.is_some_and(|e| e.message.to_ascii_lowercase().contains("already exist"))
}

/// Decides what follows `outcome`; see the [module docs](super) for the rules.
pub fn decide(
    policy: &RetryPolicy,
    method: HttpMethod,
    kind: OperationKind,
    history: &History,
    outcome: &Outcome<'_>,
) -> Decision {
    let retries_left = history.retries < policy.max_retries;
    match *outcome {
        Outcome::Success => Decision::Succeed {
            after_gateway_timeout: method != HttpMethod::Get && history.had_gateway_timeout(),
        },
        Outcome::ConnectFailed if retries_left => Decision::Retry {
            after: policy.backoff(history.retries + 1),
        },
        Outcome::ConnectFailed => Decision::GiveUp(GiveUpReason::RetriesExhausted),
        Outcome::TransportFailed => Decision::GiveUp(GiveUpReason::MayHaveReachedServer),
        Outcome::Status {
            status,
            retry_after,
            claims,
            error,
        } => {
            if status == 401 && !history.claims_retried {
                if let Some(claims) = claims {
                    return Decision::RetryWithClaims(claims.to_owned());
                }
            }
            if history.had_gateway_timeout() {
                let own_effect = match kind {
                    OperationKind::AddReference => status == 400 && is_already_exists(error),
                    OperationKind::RemoveReference => status == 404,
                    OperationKind::Other => false,
                };
                if own_effect {
                    return Decision::AlreadyApplied { status };
                }
            }
            if !is_retryable_status(status) {
                return Decision::GiveUp(GiveUpReason::NotRetryable);
            }
            if status == 504
                && method == HttpMethod::Post
                && !policy.retry_post_after_gateway_timeout
            {
                return Decision::GiveUp(GiveUpReason::PostAfterGatewayTimeout);
            }
            if !retries_left {
                return Decision::GiveUp(GiveUpReason::RetriesExhausted);
            }
            match (policy.delay(history.retries + 1, retry_after), retry_after) {
                (Some(after), _) => Decision::Retry { after },
                // The service asks for a longer wait than the policy allows: the caller decides.
                (None, wait) => Decision::GiveUp(GiveUpReason::RetryAfterTooLong {
                    wait: wait.unwrap_or(policy.max_delay),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::{HttpMethod::*, OperationKind::*};

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
            retry_post_after_gateway_timeout: true,
        }
    }

    fn status(status: u16) -> Outcome<'static> {
        Outcome::Status {
            status,
            retry_after: None,
            claims: None,
            error: None,
        }
    }

    fn history(retries: u32, earlier: &[u16]) -> History {
        History {
            attempts: retries + 1,
            retries,
            claims_retried: false,
            earlier_statuses: earlier.to_vec(),
        }
    }

    fn already_exists() -> GraphError {
        GraphError {
            code: "Request_BadRequest".into(),
            message: "One or more added object references already exist for the following modified properties: 'owners'.".into(),
            ..GraphError::default()
        }
    }

    fn is_retry(d: &Decision) -> bool {
        matches!(d, Decision::Retry { .. })
    }

    #[test]
    fn statuses_as_a_table() {
        let p = policy();
        let none = history(0, &[]);
        // (method, kind, status, retried?)
        let table = [
            (Get, Other, 429, true),
            (Post, AddReference, 429, true),
            (Patch, Other, 503, true),
            (Get, Other, 504, true),
            (Post, AddReference, 504, true),
            (Delete, RemoveReference, 504, true),
            (Get, Other, 500, false),
            (Get, Other, 502, false),
            (Post, Other, 400, false),
            (Get, Other, 401, false),
            (Get, Other, 403, false),
            (Delete, RemoveReference, 404, false),
        ];
        for (method, kind, code, retried) in table {
            let d = decide(&p, method, kind, &none, &status(code));
            assert_eq!(is_retry(&d), retried, "{method} {kind:?} {code}: {d:?}");
            if !retried {
                assert_eq!(
                    d,
                    Decision::GiveUp(GiveUpReason::NotRetryable),
                    "{method} {kind:?} {code}"
                );
            }
        }
    }

    #[test]
    fn waits_follow_retry_after_and_the_budget() {
        let p = policy();
        let after = |secs| Outcome::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(secs)),
            claims: None,
            error: None,
        };
        assert_eq!(
            decide(&p, Get, Other, &history(0, &[]), &after(3)),
            Decision::Retry {
                after: Duration::from_secs(3)
            }
        );
        assert_eq!(
            decide(&p, Get, Other, &history(0, &[]), &after(11)),
            Decision::GiveUp(GiveUpReason::RetryAfterTooLong {
                wait: Duration::from_secs(11)
            }),
            "longer than max_delay"
        );
        assert_eq!(
            decide(&p, Get, Other, &history(2, &[429, 429]), &after(1)),
            Decision::GiveUp(GiveUpReason::RetriesExhausted),
            "retries used up"
        );
        let Decision::Retry { after } = decide(&p, Get, Other, &history(1, &[503]), &status(503))
        else {
            panic!()
        };
        assert!(
            after >= Duration::from_millis(200) && after <= Duration::from_millis(300),
            "{after:?}"
        );
        let none = RetryPolicy::none();
        assert_eq!(
            decide(&none, Get, Other, &history(0, &[]), &status(429)),
            Decision::GiveUp(GiveUpReason::RetriesExhausted)
        );
    }

    #[test]
    fn transport_failures() {
        let p = policy();
        assert!(is_retry(&decide(
            &p,
            Post,
            Other,
            &history(0, &[]),
            &Outcome::ConnectFailed
        )));
        assert_eq!(
            decide(&p, Post, Other, &history(2, &[]), &Outcome::ConnectFailed),
            Decision::GiveUp(GiveUpReason::RetriesExhausted)
        );
        assert_eq!(
            decide(&p, Get, Other, &history(0, &[]), &Outcome::TransportFailed),
            Decision::GiveUp(GiveUpReason::MayHaveReachedServer)
        );
    }

    #[test]
    fn posts_after_a_gateway_timeout_follow_the_policy() {
        let strict = RetryPolicy {
            retry_post_after_gateway_timeout: false,
            ..policy()
        };
        assert_eq!(
            decide(&strict, Post, AddReference, &history(0, &[]), &status(504)),
            Decision::GiveUp(GiveUpReason::PostAfterGatewayTimeout)
        );
        assert!(is_retry(&decide(
            &strict,
            Patch,
            Other,
            &history(0, &[]),
            &status(504)
        )));
        assert!(is_retry(&decide(
            &strict,
            Post,
            Other,
            &history(0, &[]),
            &status(503)
        )));
    }

    #[test]
    fn one_claims_retry() {
        let p = policy();
        let challenge = Outcome::Status {
            status: 401,
            retry_after: None,
            claims: Some("{\"x\":1}"),
            error: None,
        };
        assert_eq!(
            decide(&p, Get, Other, &history(0, &[]), &challenge),
            Decision::RetryWithClaims("{\"x\":1}".into())
        );
        let mut h = history(0, &[]);
        h.record(&challenge, &Decision::RetryWithClaims("{}".into()));
        assert!(h.claims_retried && h.retries == 0 && h.earlier_statuses == [401]);
        assert_eq!(
            decide(&p, Get, Other, &h, &challenge),
            Decision::GiveUp(GiveUpReason::NotRetryable),
            "a second challenge is returned"
        );
        // Claims retries do not use the budget.
        let used = History {
            claims_retried: false,
            ..history(2, &[429, 429])
        };
        assert!(matches!(
            decide(&p, Get, Other, &used, &challenge),
            Decision::RetryWithClaims(_)
        ));
    }

    #[test]
    fn references_meeting_their_own_effect_after_a_504_succeed() {
        let p = policy();
        let exists = already_exists();
        let dup = Outcome::Status {
            status: 400,
            retry_after: None,
            claims: None,
            error: Some(&exists),
        };
        let after_504 = history(1, &[504]);
        assert_eq!(
            decide(&p, Post, AddReference, &after_504, &dup),
            Decision::AlreadyApplied { status: 400 }
        );
        assert_eq!(
            decide(&p, Delete, RemoveReference, &after_504, &status(404)),
            Decision::AlreadyApplied { status: 404 }
        );
        // Without an earlier 504 it is a real error: the reference was there (or absent) before.
        assert_eq!(
            decide(&p, Post, AddReference, &history(0, &[]), &dup),
            Decision::GiveUp(GiveUpReason::NotRetryable)
        );
        assert_eq!(
            decide(
                &p,
                Delete,
                RemoveReference,
                &history(1, &[429]),
                &status(404)
            ),
            Decision::GiveUp(GiveUpReason::NotRetryable)
        );
        // Other 400s, other kinds and other methods keep the honest error.
        let other = GraphError {
            message: "Invalid URL format specified in payload.".into(),
            ..GraphError::default()
        };
        let bad = Outcome::Status {
            status: 400,
            retry_after: None,
            claims: None,
            error: Some(&other),
        };
        assert_eq!(
            decide(&p, Post, AddReference, &after_504, &bad),
            Decision::GiveUp(GiveUpReason::NotRetryable)
        );
        assert_eq!(
            decide(&p, Post, Other, &after_504, &dup),
            Decision::GiveUp(GiveUpReason::NotRetryable)
        );
        assert_eq!(
            decide(&p, Delete, Other, &after_504, &status(404)),
            Decision::GiveUp(GiveUpReason::NotRetryable)
        );
        assert_eq!(
            decide(&p, Post, AddReference, &after_504, &status(400)),
            Decision::GiveUp(GiveUpReason::NotRetryable),
            "no body: not provably ours"
        );
    }

    #[test]
    fn successes_after_a_504_are_flagged_for_changes_only() {
        let p = policy();
        assert_eq!(
            decide(&p, Patch, Other, &history(1, &[504]), &Outcome::Success),
            Decision::Succeed {
                after_gateway_timeout: true
            }
        );
        assert_eq!(
            decide(&p, Get, Other, &history(1, &[504]), &Outcome::Success),
            Decision::Succeed {
                after_gateway_timeout: false
            }
        );
        assert_eq!(
            decide(&p, Patch, Other, &history(1, &[429]), &Outcome::Success),
            Decision::Succeed {
                after_gateway_timeout: false
            }
        );
    }

    #[test]
    fn history_records_what_was_retried() {
        let mut h = History::default();
        h.record(
            &status(429),
            &Decision::Retry {
                after: Duration::ZERO,
            },
        );
        h.record(
            &Outcome::ConnectFailed,
            &Decision::Retry {
                after: Duration::ZERO,
            },
        );
        h.record(
            &status(504),
            &Decision::Retry {
                after: Duration::ZERO,
            },
        );
        h.record(&status(400), &Decision::GiveUp(GiveUpReason::NotRetryable));
        assert_eq!(
            h,
            History {
                attempts: 4,
                retries: 3,
                claims_retried: false,
                earlier_statuses: vec![429, 504]
            }
        );
        assert!(h.had_gateway_timeout());
    }
}
