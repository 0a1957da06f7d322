//! Injected faults handled by the SDK's retry pipeline, SDK → emulator.
//!
//! The emulator checks faults after logging and routing and before auth and behaviour, so a
//! faulted request is never executed: state only changes on the attempt that gets through.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

mod emulator_common;

use emulator_common::*;
use graph_beta::prelude::*;
use graph_beta::runtime::TokenFuture;
use graph_beta::{AccessToken, TokenRequest};
use graph_emulator::Fault;

fn some(attempts: &[&str]) -> Vec<Option<String>> {
    attempts
        .iter()
        .map(|a| (!a.is_empty()).then(|| (*a).to_owned()))
        .collect()
}

fn all_same(ids: &[String]) -> bool {
    !ids.is_empty() && is_uuid(&ids[0]) && ids.iter().all(|id| *id == ids[0])
}

// ---------------------------------------------------------------------------------------
// Throttling
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn throttled_twice_then_served_limited_mode() {
    let graph = emulator().await;
    graph.faults().on(LIMITED_MODE_OP).next(
        2,
        Fault::Throttle {
            retry_after_secs: 0,
        },
    );
    let client = client(&graph);

    let updated = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap();

    assert_eq!(updated.is_enabled_for_group, Nullable::Value(true));
    assert_eq!(updated.group_id, Nullable::Value(GROUP.to_owned()));
    assert_eq!(statuses(&graph), [Some(429), Some(429), Some(200)]);
    assert_eq!(retry_attempts(&graph), some(&["", "1", "2"]));
    let ids = client_request_ids(&graph);
    assert!(all_same(&ids), "{ids:?}");
    // Every attempt carried the same body.
    let bodies: Vec<_> = graph.requests().iter().map(|r| r.body.clone()).collect();
    assert!(bodies.iter().all(|b| *b == bodies[0]));
    assert_eq!(graph.state().limited_mode.group_id.as_deref(), Some(GROUP));
    assert_eq!(graph.faults().pending(), 0);
}

#[tokio::test]
async fn throttled_twice_then_served_add_owner_post_is_retried_and_applied_once() {
    let graph = emulator().await;
    graph.faults().on(ADD_OWNER_OP).next(
        2,
        Fault::Throttle {
            retry_after_secs: 0,
        },
    );
    let client = client(&graph);

    add_owner(&client, AGENT, USER).await.unwrap();

    assert_eq!(statuses(&graph), [Some(429), Some(429), Some(204)]);
    assert_eq!(retry_attempts(&graph), some(&["", "1", "2"]));
    assert!(all_same(&client_request_ids(&graph)));
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
}

#[tokio::test]
async fn throttle_with_http_date_retry_after_is_honoured() {
    let graph = emulator().await;
    // A date of "now" (already past once truncated to seconds): wait zero, then retry.
    graph.faults().on(LIMITED_MODE_OP).next(
        2,
        Fault::ThrottleUntil {
            retry_after_secs: 0,
        },
    );
    let client = client(&graph);

    let updated = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap();

    assert_eq!(updated.is_enabled_for_group, Nullable::Value(true));
    assert_eq!(statuses(&graph), [Some(429), Some(429), Some(200)]);
    assert_eq!(retry_attempts(&graph), some(&["", "1", "2"]));
    assert!(all_same(&client_request_ids(&graph)));
}

#[tokio::test]
async fn http_date_retry_after_beyond_the_cap_is_returned_at_once() {
    let graph = emulator().await;
    graph
        .faults()
        .on(LIMITED_MODE_OP)
        .once(Fault::ThrottleUntil {
            retry_after_secs: 3600,
        });
    let client = client_with(&graph, full_token(), RetryPolicy::default());

    let err = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap_err();

    expect_service(&err, 429, "TooManyRequests");
    assert!(err.is_throttled());
    let wait = err.retry_after().unwrap();
    // An HTTP-date has one-second resolution: allow the clock to tick while the test runs.
    assert!(
        wait <= Duration::from_secs(3600) && wait >= Duration::from_secs(3500),
        "{wait:?}"
    );
    assert_eq!(statuses(&graph), [Some(429)]);
    assert_eq!(graph.state().limited_mode.group_id, None);
}

#[tokio::test]
async fn huge_retry_after_with_the_default_cap_is_returned_at_once() {
    let graph = emulator().await;
    graph.faults().on(ADD_OWNER_OP).once(Fault::Throttle {
        retry_after_secs: 3600,
    });
    let client = client_with(&graph, full_token(), RetryPolicy::default());

    let err = add_owner(&client, AGENT, USER).await.unwrap_err();

    let svc = expect_service(&err, 429, "TooManyRequests");
    assert!(err.is_throttled());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(svc.retry_after, Some(Duration::from_secs(3600)));
    assert!(err.to_string().contains("retry after 3600 s"), "{err}");
    assert_eq!(statuses(&graph), [Some(429)]);
    assert!(graph.state().owners_of(AGENT).is_empty());
}

#[tokio::test]
async fn throttled_beyond_max_retries_returns_the_429() {
    let graph = emulator().await;
    graph.faults().on(ADD_OWNER_OP).always(Fault::Throttle {
        retry_after_secs: 0,
    });
    let client = client(&graph);

    let err = add_owner(&client, AGENT, USER).await.unwrap_err();

    expect_service(&err, 429, "TooManyRequests");
    assert_eq!(err.retry_after(), Some(Duration::ZERO));
    assert_eq!(statuses(&graph), [Some(429); 4]);
    assert_eq!(retry_attempts(&graph), some(&["", "1", "2", "3"]));
    assert!(graph.state().owners_of(AGENT).is_empty());
}

// ---------------------------------------------------------------------------------------
// 5xx
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn service_unavailable_beyond_max_retries_is_503() {
    let graph = emulator().await;
    graph
        .faults()
        .on(LIMITED_MODE_OP)
        .always(Fault::ServiceUnavailable {
            retry_after_secs: None,
        });
    let client = client(&graph);

    let err = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap_err();

    let svc = expect_service(&err, 503, "ServiceNotAvailable");
    assert_eq!(svc.retry_after, None);
    assert!(err.is_throttled());
    // max_retries + 1 attempts, one client-request-id.
    assert_eq!(statuses(&graph), [Some(503); 4]);
    assert_eq!(retry_attempts(&graph), some(&["", "1", "2", "3"]));
    let ids = client_request_ids(&graph);
    assert!(all_same(&ids), "{ids:?}");
    assert_eq!(svc.client_request_id, ids[0]);
    assert_eq!(graph.state().limited_mode.group_id, None);
}

#[tokio::test]
async fn gateway_timeout_beyond_max_retries_is_504() {
    let graph = emulator().await;
    graph
        .faults()
        .on(ADD_OWNER_OP)
        .always(Fault::GatewayTimeout {
            retry_after_secs: Some(0),
        });
    let client = client(&graph);

    let err = add_owner(&client, AGENT, USER).await.unwrap_err();

    let svc = expect_service(&err, 504, "GatewayTimeout");
    assert_eq!(svc.retry_after, Some(Duration::ZERO));
    assert!(!err.is_throttled());
    assert_eq!(statuses(&graph), [Some(504); 4]);
    assert_eq!(retry_attempts(&graph), some(&["", "1", "2", "3"]));
    assert!(all_same(&client_request_ids(&graph)));
    assert!(graph.state().owners_of(AGENT).is_empty());
}

#[tokio::test]
async fn an_owner_add_retried_after_an_applied_gateway_timeout_succeeds() {
    // The first POST is executed, but the gateway answers 504; the retry then meets its own
    // effect ("already exist"). The owner is there, as asked: that is a success, not an error.
    let graph = emulator().await;
    graph
        .faults()
        .on(ADD_OWNER_OP)
        .once(Fault::GatewayTimeoutAfterApplying {
            retry_after_secs: None,
        });
    let client = client(&graph);

    add_owner(&client, AGENT, USER).await.unwrap();

    assert_eq!(statuses(&graph), [Some(504), Some(400)]);
    assert!(all_same(&client_request_ids(&graph)));
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
}

#[tokio::test]
async fn an_add_that_meets_an_owner_already_there_without_a_504_is_still_an_error() {
    let graph = emulator().await;
    let client = client(&graph);
    add_owner(&client, AGENT, USER).await.unwrap();
    graph.faults().on(ADD_OWNER_OP).once(Fault::Throttle {
        retry_after_secs: 0,
    });
    let err = add_owner(&client, AGENT, USER).await.unwrap_err();
    let svc = expect_service(&err, 400, "Request_BadRequest");
    assert!(svc.message().unwrap().contains("already exist"), "{err}");
    assert_eq!(svc.earlier_attempts, [429]);
    assert!(!svc.may_have_been_applied(), "a 429 was not executed");
}

#[tokio::test]
async fn an_owner_remove_retried_after_an_applied_gateway_timeout_succeeds() {
    let graph = emulator().await;
    let client = client(&graph);
    add_owner(&client, AGENT, USER).await.unwrap();
    graph.clear_requests();
    graph
        .faults()
        .on("servicePrincipals.agentIdentity.owners.DeleteRefDirectoryObject")
        .once(Fault::GatewayTimeoutAfterApplying {
            retry_after_secs: None,
        });
    client
        .service_principals()
        .by_service_principal_id(AGENT)
        .agent_identity()
        .owners()
        .by_directory_object_id(USER)
        .ref_()
        .delete()
        .await
        .unwrap();
    assert_eq!(statuses(&graph), [Some(504), Some(404)]);
    assert!(graph.state().owners_of(AGENT).is_empty());
}

#[tokio::test]
async fn a_policy_can_return_a_posts_gateway_timeout_instead_of_retrying() {
    let graph = emulator().await;
    graph
        .faults()
        .on(ADD_OWNER_OP)
        .once(Fault::GatewayTimeoutAfterApplying {
            retry_after_secs: None,
        });
    let client = client_with(
        &graph,
        full_token(),
        RetryPolicy {
            retry_post_after_gateway_timeout: false,
            ..fast_policy()
        },
    );

    let err = add_owner(&client, AGENT, USER).await.unwrap_err();

    let svc = expect_service(&err, 504, "GatewayTimeout");
    assert_eq!(svc.attempts, 1);
    assert!(svc.may_have_been_applied());
    assert_eq!(statuses(&graph), [Some(504)]);
    // It was applied: the caller can check before deciding to try again.
    assert_eq!(graph.state().owners_of(AGENT), [USER]);

    // The setting is about POST only: a PATCH is still retried after a 504.
    graph
        .faults()
        .on(LIMITED_MODE_OP)
        .once(Fault::GatewayTimeout {
            retry_after_secs: Some(0),
        });
    patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_post_refused_after_throttling_was_not_applied_earlier() {
    // A 429 means the attempt was not executed: a later refusal is about the call itself.
    let graph = emulator().await;
    let client = client(&graph);
    add_owner(&client, AGENT, USER).await.unwrap();
    graph.clear_requests();
    graph.faults().on(ADD_OWNER_OP).once(Fault::Throttle {
        retry_after_secs: 0,
    });

    let err = add_owner(&client, AGENT, USER).await.unwrap_err();

    let svc = expect_service(&err, 400, "Request_BadRequest");
    assert_eq!(svc.earlier_attempts, [429]);
    assert!(!svc.may_have_been_applied());
    let text = err.to_string();
    assert!(text.contains("attempt 2, after 429"), "{text}");
    assert!(!text.contains("may have applied"), "{text}");
}

#[tokio::test]
async fn a_patch_whose_response_was_lost_is_retried_to_the_same_result() {
    // Re-applying the same property values after a lost response is harmless, and succeeds.
    let graph = emulator().await;
    graph
        .faults()
        .on(LIMITED_MODE_OP)
        .once(Fault::GatewayTimeoutAfterApplying {
            retry_after_secs: None,
        });
    let client = client(&graph);

    let updated = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap();

    assert_eq!(updated.group_id, Nullable::Value(GROUP.to_owned()));
    assert_eq!(statuses(&graph), [Some(504), Some(200)]);
    assert_eq!(graph.state().limited_mode.group_id.as_deref(), Some(GROUP));
}

#[tokio::test]
async fn a_custom_max_retries_bounds_the_attempts() {
    let graph = emulator().await;
    graph
        .faults()
        .on(ADD_OWNER_OP)
        .always(Fault::ServiceUnavailable {
            retry_after_secs: None,
        });
    let client = client_with(
        &graph,
        full_token(),
        RetryPolicy {
            max_retries: 1,
            ..fast_policy()
        },
    );
    let err = add_owner(&client, AGENT, USER).await.unwrap_err();
    expect_service(&err, 503, "ServiceNotAvailable");
    assert_eq!(statuses(&graph), [Some(503); 2]);

    graph.clear_requests();
    let no_retries = client_with(&graph, full_token(), RetryPolicy::none());
    add_owner(&no_retries, AGENT, USER).await.unwrap_err();
    assert_eq!(statuses(&graph), [Some(503)]);
}

#[tokio::test]
async fn service_unavailable_then_success() {
    let graph = emulator().await;
    graph
        .faults()
        .on(ADD_OWNER_OP)
        .once(Fault::ServiceUnavailable {
            retry_after_secs: None,
        })
        .once(Fault::GatewayTimeout {
            retry_after_secs: None,
        });
    let client = client(&graph);
    add_owner(&client, AGENT, USER).await.unwrap();
    assert_eq!(statuses(&graph), [Some(503), Some(504), Some(204)]);
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
}

#[tokio::test]
async fn bad_gateway_html_is_not_retried_and_keeps_the_raw_text() {
    let graph = emulator().await;
    graph
        .faults()
        .on(LIMITED_MODE_OP)
        .once(Fault::BadGatewayHtml);
    let client = client(&graph);

    let err = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap_err();

    let svc = service(&err);
    assert_eq!(svc.status, 502);
    assert!(svc.error.is_none(), "{:?}", svc.error);
    assert_eq!(svc.code(), None);
    assert!(
        svc.raw_body.contains("<h1>502 Bad Gateway</h1>"),
        "{}",
        svc.raw_body
    );
    let text = err.to_string();
    assert!(
        text.starts_with("HTTP 502 Bad Gateway from copilot.admin.settings.UpdateLimitedMode"),
        "{text}"
    );
    assert!(text.contains("<h1>502 Bad Gateway</h1>"), "{text}");
    // request-id still comes from the response header.
    assert!(svc.request_id().is_some_and(is_uuid));
    assert_eq!(statuses(&graph), [Some(502)]);
    assert_eq!(graph.state().limited_mode.group_id, None);
}

#[tokio::test]
async fn empty_body_error_is_reported_as_such() {
    let graph = emulator().await;
    graph
        .faults()
        .on(ADD_OWNER_OP)
        .once(Fault::EmptyBody { status: 500 });
    let client = client(&graph);

    let err = add_owner(&client, AGENT, USER).await.unwrap_err();

    let svc = service(&err);
    assert_eq!(svc.status, 500);
    assert!(svc.error.is_none());
    assert_eq!(svc.raw_body, "");
    assert!(err.to_string().contains("(empty body)"), "{err}");
    assert!(svc.request_id().is_some_and(is_uuid));
    // 500 is not retried.
    assert_eq!(statuses(&graph), [Some(500)]);
}

#[tokio::test]
async fn empty_body_503_is_retried_like_any_503() {
    let graph = emulator().await;
    graph
        .faults()
        .on(ADD_OWNER_OP)
        .always(Fault::EmptyBody { status: 503 });
    let client = client(&graph);
    let err = add_owner(&client, AGENT, USER).await.unwrap_err();
    let svc = service(&err);
    assert_eq!(svc.status, 503);
    assert_eq!(svc.raw_body, "");
    assert!(err.to_string().contains("(empty body)"), "{err}");
    assert_eq!(statuses(&graph), [Some(503); 4]);
}

#[tokio::test]
async fn internal_server_error_is_not_retried() {
    let graph = emulator().await;
    graph.faults().on(LIMITED_MODE_OP).once(Fault::Error {
        status: 500,
        code: "generalException".into(),
        message: "General exception while processing".into(),
    });
    let client = client(&graph);
    let err = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap_err();
    let svc = expect_service(&err, 500, "generalException");
    assert_eq!(svc.message(), Some("General exception while processing"));
    assert_eq!(statuses(&graph), [Some(500)]);
    assert_eq!(graph.state().limited_mode.group_id, None);
}

// ---------------------------------------------------------------------------------------
// Transport
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn dropped_connection_is_a_transport_error_and_not_retried() {
    let graph = emulator().await;
    // Only the first request is dropped: a retry would succeed, so success would reveal one.
    graph.faults().on(ADD_OWNER_OP).once(Fault::DropConnection);
    let client = client(&graph);

    let err = add_owner(&client, AGENT, USER).await.unwrap_err();

    match &err {
        Error::Transport {
            operation_id,
            source,
        } => {
            assert_eq!(*operation_id, ADD_OWNER_OP);
            assert!(!source.is_connect() && !source.is_timeout(), "{source:?}");
        }
        other => panic!("expected Error::Transport, got {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("transport error in servicePrincipals.agentIdentity.CreateRefOwners"),
        "{err}"
    );
    assert_eq!(err.status(), None);
    // Logged, never answered, never executed.
    assert_eq!(statuses(&graph), [None]);
    assert!(graph.state().owners_of(AGENT).is_empty());
}

#[tokio::test]
async fn latency_beyond_the_client_timeout_is_a_timeout() {
    let graph = emulator().await;
    // Only the first request is slow: a retry would succeed, so success would reveal one.
    graph
        .faults()
        .on(LIMITED_MODE_OP)
        .once(Fault::Latency(Duration::from_secs(30)));
    let client = graph_beta::Client::builder(StaticToken::new(full_token()))
        .service_root(graph.base_url())
        .retry_policy(fast_policy())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();

    let err = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap_err();

    match &err {
        Error::Timeout {
            operation_id,
            source,
        } => {
            assert_eq!(*operation_id, LIMITED_MODE_OP);
            assert!(source.is_timeout());
        }
        other => panic!("expected Error::Timeout, got {other:?}"),
    }
    assert_eq!(err.status(), None);
    // The emulator is still sleeping on that request: nothing was executed.
    assert!(graph.requests().len() <= 1);
    assert_eq!(graph.state().limited_mode.group_id, None);
}

#[tokio::test]
async fn latency_within_the_timeout_is_served() {
    let graph = emulator().await;
    graph
        .faults()
        .on(LIMITED_MODE_OP)
        .once(Fault::Latency(Duration::from_millis(20)));
    let client = client(&graph);
    let updated = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap();
    assert_eq!(updated.group_id, Nullable::Value(GROUP.to_owned()));
    assert_eq!(statuses(&graph), [Some(200)]);
}

// ---------------------------------------------------------------------------------------
// Response shapes
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn value_wrapped_response_returns_the_object_with_its_fields() {
    let graph = emulator().await;
    graph
        .faults()
        .on(LIMITED_MODE_OP)
        .always(Fault::WrapInValue);
    let client = client(&graph);

    let updated = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap();

    assert_ne!(updated, CopilotAdminLimitedMode::default());
    assert_eq!(updated.is_enabled_for_group, Nullable::Value(true));
    assert_eq!(updated.group_id, Nullable::Value(GROUP.to_owned()));
    assert_eq!(
        updated.odata_type.as_deref(),
        Some(CopilotAdminLimitedMode::ODATA_TYPE)
    );
    assert!(updated.additional_properties.get("value").is_none());

    let off = patch_limited_mode(&client, &turn_off()).await.unwrap();
    assert_eq!(off.is_enabled_for_group, Nullable::Value(false));
    assert_eq!(off.group_id, Nullable::Null);
    assert_eq!(statuses(&graph), [Some(200), Some(200)]);
}

// ---------------------------------------------------------------------------------------
// Continuous access evaluation
// ---------------------------------------------------------------------------------------

const CLAIMS: &str = r#"{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}"#;

/// A credential that records every token request and hands out numbered tokens
/// (lenient auth treats them as all-powerful).
#[derive(Debug, Default, Clone)]
struct Recording {
    requests: Arc<Mutex<Vec<TokenRequest>>>,
}

impl Credential for Recording {
    fn token<'a>(&'a self, request: &'a TokenRequest) -> TokenFuture<'a> {
        let mut seen = self.requests.lock().unwrap();
        seen.push(request.clone());
        let n = seen.len();
        Box::pin(async move { Ok(AccessToken::new(format!("opaque-token-{n}"))) })
    }
}

#[tokio::test]
async fn claims_challenge_gets_a_new_token_for_the_claims_and_retries_once() {
    let graph = emulator().await;
    graph
        .faults()
        .on(ADD_OWNER_OP)
        .once(Fault::ClaimsChallenge {
            claims: CLAIMS.into(),
        });
    let credential = Recording::default();
    let client = graph_beta::Client::builder(credential.clone())
        .service_root(graph.base_url())
        .retry_policy(fast_policy())
        .build()
        .unwrap();

    add_owner(&client, AGENT, USER).await.unwrap();

    assert_eq!(graph.state().owners_of(AGENT), [USER]);
    assert_eq!(statuses(&graph), [Some(401), Some(204)]);
    let log = graph.requests();
    assert_eq!(
        log[0].header("authorization"),
        Some("Bearer opaque-token-1")
    );
    assert_eq!(
        log[1].header("authorization"),
        Some("Bearer opaque-token-2")
    );
    assert!(all_same(&client_request_ids(&graph)));
    let token_requests = credential.requests.lock().unwrap().clone();
    assert_eq!(token_requests.len(), 2);
    assert_eq!(token_requests[0].claims, None);
    assert_eq!(token_requests[1].claims.as_deref(), Some(CLAIMS));
    assert_eq!(token_requests[1].scopes, token_requests[0].scopes);
}

#[tokio::test]
async fn claims_challenge_with_a_static_token_retries_once_with_the_same_token() {
    // StaticToken cannot satisfy claims: it hands out the same token again. The emulator's
    // challenge is a one-shot fault, so the single retry goes through.
    let graph = emulator().await;
    graph
        .faults()
        .on(LIMITED_MODE_OP)
        .once(Fault::ClaimsChallenge {
            claims: CLAIMS.into(),
        });
    let client = client(&graph);

    let updated = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap();

    assert_eq!(updated.group_id, Nullable::Value(GROUP.to_owned()));
    assert_eq!(statuses(&graph), [Some(401), Some(200)]);
    let log = graph.requests();
    assert_eq!(
        log[0].header("authorization"),
        log[1].header("authorization")
    );
    assert!(all_same(&client_request_ids(&graph)));
}

#[tokio::test]
async fn repeated_claims_challenge_is_answered_only_once() {
    let graph = emulator().await;
    graph
        .faults()
        .on(ADD_OWNER_OP)
        .always(Fault::ClaimsChallenge {
            claims: CLAIMS.into(),
        });
    let client = client(&graph);

    let err = add_owner(&client, AGENT, USER).await.unwrap_err();

    let svc = expect_service(&err, 401, "InvalidAuthenticationToken");
    let challenge = svc
        .headers
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap();
    assert!(challenge.contains("insufficient_claims"), "{challenge}");
    assert_eq!(statuses(&graph), [Some(401), Some(401)]);
    assert!(graph.state().owners_of(AGENT).is_empty());
}

// ---------------------------------------------------------------------------------------
// More shapes and combinations
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn empty_200_on_limited_mode_is_a_decode_error_not_an_empty_object() {
    let graph = emulator().await;
    graph
        .faults()
        .on(LIMITED_MODE_OP)
        .once(Fault::EmptyBody { status: 200 });
    let client = client(&graph);

    let err = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap_err();

    match &err {
        Error::Decode {
            operation_id,
            status,
            body_excerpt,
            ..
        } => {
            assert_eq!(*operation_id, LIMITED_MODE_OP);
            assert_eq!(*status, 200);
            assert_eq!(body_excerpt, "");
        }
        other => panic!("expected Error::Decode, got {other:?}"),
    }
    assert_eq!(err.status(), Some(200));
    assert_eq!(statuses(&graph), [Some(200)]);
}

#[tokio::test]
async fn empty_2xx_on_add_owner_is_success() {
    let graph = emulator().await;
    graph
        .faults()
        .on(ADD_OWNER_OP)
        .once(Fault::EmptyBody { status: 200 });
    let client = client(&graph);
    add_owner(&client, AGENT, USER).await.unwrap();
    assert_eq!(statuses(&graph), [Some(200)]);
    // The fault replaced the response: the request was not executed.
    assert!(graph.state().owners_of(AGENT).is_empty());
}

#[tokio::test]
async fn graph_shaped_429_without_retry_after_is_retried_with_backoff() {
    let graph = emulator().await;
    graph.faults().on(ADD_OWNER_OP).next(
        2,
        Fault::Error {
            status: 429,
            code: "TooManyRequests".into(),
            message: "slow down".into(),
        },
    );
    let client = client(&graph);
    add_owner(&client, AGENT, USER).await.unwrap();
    assert_eq!(statuses(&graph), [Some(429), Some(429), Some(204)]);
    assert_eq!(retry_attempts(&graph), some(&["", "1", "2"]));
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
}

#[tokio::test]
async fn service_unavailable_with_a_huge_retry_after_is_returned_at_once() {
    let graph = emulator().await;
    graph
        .faults()
        .on(ADD_OWNER_OP)
        .always(Fault::ServiceUnavailable {
            retry_after_secs: Some(3600),
        });
    let client = client(&graph);
    let err = add_owner(&client, AGENT, USER).await.unwrap_err();
    expect_service(&err, 503, "ServiceNotAvailable");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(statuses(&graph), [Some(503)]);
}

#[tokio::test]
async fn a_401_without_claims_is_not_retried() {
    let graph = emulator().await;
    graph.faults().on(ADD_OWNER_OP).once(Fault::Error {
        status: 401,
        code: "InvalidAuthenticationToken".into(),
        message: "Access token validation failure.".into(),
    });
    let client = client(&graph);
    let err = add_owner(&client, AGENT, USER).await.unwrap_err();
    expect_service(&err, 401, "InvalidAuthenticationToken");
    assert_eq!(statuses(&graph), [Some(401)]);
}

#[tokio::test]
async fn throttles_and_a_claims_challenge_combine() {
    let graph = emulator().await;
    graph
        .faults()
        .on(ADD_OWNER_OP)
        .once(Fault::Throttle {
            retry_after_secs: 0,
        })
        .once(Fault::ClaimsChallenge {
            claims: CLAIMS.into(),
        })
        .once(Fault::Throttle {
            retry_after_secs: 0,
        });
    let credential = Recording::default();
    let client = graph_beta::Client::builder(credential.clone())
        .service_root(graph.base_url())
        .retry_policy(fast_policy())
        .build()
        .unwrap();

    add_owner(&client, AGENT, USER).await.unwrap();

    assert_eq!(
        statuses(&graph),
        [Some(429), Some(401), Some(429), Some(204)]
    );
    assert!(all_same(&client_request_ids(&graph)));
    // The CAE re-send is not a throttling retry: it repeats the current Retry-Attempt.
    assert_eq!(retry_attempts(&graph), some(&["", "1", "1", "2"]));
    let log = graph.requests();
    let auth: Vec<_> = log.iter().map(|r| r.header("authorization")).collect();
    assert_eq!(
        auth,
        [
            Some("Bearer opaque-token-1"),
            Some("Bearer opaque-token-1"),
            Some("Bearer opaque-token-2"),
            Some("Bearer opaque-token-2"),
        ]
    );
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
}

/// A credential that fails when asked to satisfy claims.
#[derive(Debug)]
struct NoClaims;

impl Credential for NoClaims {
    fn token<'a>(&'a self, request: &'a TokenRequest) -> TokenFuture<'a> {
        let claims = request.claims.is_some();
        Box::pin(async move {
            if claims {
                Err(graph_beta::CredentialError::new(
                    "interaction required to satisfy the claims",
                ))
            } else {
                Ok(AccessToken::new("opaque"))
            }
        })
    }
}

#[tokio::test]
async fn claims_challenge_the_credential_cannot_meet_is_a_credential_error() {
    let graph = emulator().await;
    graph
        .faults()
        .on(ADD_OWNER_OP)
        .once(Fault::ClaimsChallenge {
            claims: CLAIMS.into(),
        });
    let client = graph_beta::Client::builder(NoClaims)
        .service_root(graph.base_url())
        .retry_policy(fast_policy())
        .build()
        .unwrap();

    let err = add_owner(&client, AGENT, USER).await.unwrap_err();

    match &err {
        Error::Credential(e) => {
            assert_eq!(e.message(), "interaction required to satisfy the claims")
        }
        other => panic!("expected Error::Credential, got {other:?}"),
    }
    assert_eq!(statuses(&graph), [Some(401)]);
}

#[tokio::test]
async fn dropped_connection_on_a_reused_connection_is_a_transport_error() {
    let graph = emulator().await;
    let client = client(&graph);
    // The first call opens a keep-alive connection; the second call reuses it and is dropped.
    add_owner(&client, AGENT, USER).await.unwrap();
    graph.faults().on(ADD_OWNER_OP).once(Fault::DropConnection);

    let err = add_owner(&client, AGENT, USER2).await.unwrap_err();

    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(statuses(&graph), [Some(204), None]);
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
}

#[tokio::test]
async fn retry_that_times_out_is_a_timeout() {
    let graph = emulator().await;
    graph
        .faults()
        .on(LIMITED_MODE_OP)
        .once(Fault::Throttle {
            retry_after_secs: 0,
        })
        .once(Fault::Latency(Duration::from_secs(30)));
    let client = graph_beta::Client::builder(StaticToken::new(full_token()))
        .service_root(graph.base_url())
        .retry_policy(fast_policy())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(graph.requests()[0].status, Some(429));
    assert_eq!(graph.state().limited_mode.group_id, None);
}

#[tokio::test]
async fn connection_refused_is_retried_then_a_transport_error() {
    // Graph is not there: a port that is bound but not listening refuses connections, and
    // holding it keeps every other test's server off it meanwhile.
    let held = tokio::net::TcpSocket::new_v4().unwrap();
    held.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let root = format!("http://{}/beta", held.local_addr().unwrap());
    let client = graph_beta::Client::builder(StaticToken::new(full_token()))
        .service_root(root)
        .retry_policy(fast_policy())
        .build()
        .unwrap();

    let err = add_owner(&client, AGENT, USER).await.unwrap_err();

    match &err {
        Error::Transport { source, .. } => assert!(source.is_connect(), "{source:?}"),
        other => panic!("expected Error::Transport, got {other:?}"),
    }
}

#[tokio::test]
async fn faults_on_every_route_hit_both_operations() {
    let graph = emulator().await;
    graph.faults().on_any().next(
        2,
        Fault::Throttle {
            retry_after_secs: 0,
        },
    );
    let client = client(&graph);
    add_owner(&client, AGENT, USER).await.unwrap();
    assert_eq!(statuses(&graph), [Some(429), Some(429), Some(204)]);
    graph.faults().on_any().once(Fault::BadGatewayHtml);
    let err = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(502));
}
