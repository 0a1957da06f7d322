//! Fault injection.

use std::time::Duration;

use graph_emulator::Fault;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn throttles_the_next_n_requests_then_serves() {
    let graph = seeded().await;
    graph.faults().on(LIMITED_MODE).next(
        2,
        Fault::Throttle {
            retry_after_secs: 0,
        },
    );
    assert_eq!(graph.faults().on(LIMITED_MODE).pending(), 2);
    let body = json!({"isEnabledForGroup": true, "groupId": GROUP});
    for _ in 0..2 {
        let response = patch_limited_mode(&graph, &body).await;
        assert_eq!(response.headers()["retry-after"], "0");
        assert!(response.headers().contains_key("request-id"));
        expect_error(response, 429, "TooManyRequests").await;
        // A throttled request is not executed.
        assert_eq!(graph.state().limited_mode.is_enabled_for_group, Some(false));
    }
    assert_eq!(patch_limited_mode(&graph, &body).await.status(), 200);
    assert_eq!(graph.state().limited_mode.is_enabled_for_group, Some(true));
    assert_eq!(graph.faults().pending(), 0);
    let statuses: Vec<Option<u16>> = graph.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(429), Some(429), Some(200)]);
}

#[tokio::test]
async fn throttled_post_is_not_executed_and_can_be_retried() {
    let graph = seeded().await;
    // Named by path template this time.
    graph
        .faults()
        .on("/servicePrincipals/{servicePrincipal-id}/microsoft.graph.agentIdentity/owners/$ref")
        .once(Fault::Throttle {
            retry_after_secs: 3,
        });
    let response = add_owner(&graph, AGENT, &v1_ref(USER)).await;
    assert_eq!(response.headers()["retry-after"], "3");
    assert_eq!(response.status(), 429);
    assert!(graph.state().owners_of(AGENT).is_empty());
    assert_eq!(add_owner(&graph, AGENT, &v1_ref(USER)).await.status(), 204);
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
}

#[tokio::test]
async fn gateway_timeout_after_applying_executes_the_request_and_answers_504() {
    let graph = seeded().await;
    graph
        .faults()
        .on(ADD_OWNER)
        .once(Fault::GatewayTimeoutAfterApplying {
            retry_after_secs: Some(2),
        });
    assert!(
        !Fault::GatewayTimeoutAfterApplying {
            retry_after_secs: None
        }
        .is_terminal()
    );
    let response = add_owner(&graph, AGENT, &v1_ref(USER)).await;
    assert_eq!(response.headers()["retry-after"], "2");
    expect_error(response, 504, "GatewayTimeout").await;
    // The effect stayed: the same request again meets it.
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
    let again = add_owner(&graph, AGENT, &v1_ref(USER)).await;
    expect_error(again, 400, "Request_BadRequest").await;
    let statuses: Vec<Option<u16>> = graph.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(504), Some(400)]);
}

#[tokio::test]
async fn retry_after_can_be_an_http_date() {
    let graph = seeded().await;
    graph.faults().on(ADD_OWNER).once(Fault::ThrottleUntil {
        retry_after_secs: 120,
    });
    let response = add_owner(&graph, AGENT, &v1_ref(USER)).await;
    assert_eq!(response.status(), 429);
    let value = response.headers()["retry-after"].to_str().unwrap();
    assert!(httpdate::parse_http_date(value).is_ok(), "{value}");
}

#[tokio::test]
async fn service_unavailable_and_gateway_timeout_with_and_without_retry_after() {
    let graph = seeded().await;
    graph
        .faults()
        .on_any()
        .once(Fault::ServiceUnavailable {
            retry_after_secs: Some(5),
        })
        .once(Fault::ServiceUnavailable {
            retry_after_secs: None,
        })
        .once(Fault::GatewayTimeout {
            retry_after_secs: Some(1),
        })
        .once(Fault::GatewayTimeout {
            retry_after_secs: None,
        });
    let expected = [(503, Some("5")), (503, None), (504, Some("1")), (504, None)];
    for (status, retry_after) in expected {
        let response = patch_limited_mode(&graph, &json!({})).await;
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap()),
            retry_after
        );
        let body = body_json(response).await;
        assert_graph_error(&body, body["error"]["code"].as_str().unwrap());
    }
    assert_eq!(patch_limited_mode(&graph, &json!({})).await.status(), 200);
}

#[tokio::test]
async fn html_502_empty_bodies_and_arbitrary_errors() {
    let graph = seeded().await;
    graph
        .faults()
        .on(LIMITED_MODE)
        .once(Fault::BadGatewayHtml)
        .once(Fault::EmptyBody { status: 503 })
        .once(Fault::Error {
            status: 500,
            code: "generalException".into(),
            message: "General exception while processing".into(),
        });
    let response = patch_limited_mode(&graph, &json!({})).await;
    assert_eq!(response.status(), 502);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(response.text().await.unwrap().contains("<html>"));
    let response = patch_limited_mode(&graph, &json!({})).await;
    assert_eq!(response.status(), 503);
    assert!(response.headers().get("content-type").is_none());
    assert!(response.headers().contains_key("request-id"));
    assert!(response.bytes().await.unwrap().is_empty());
    let response = patch_limited_mode(&graph, &json!({})).await;
    let message = expect_error(response, 500, "generalException").await;
    assert_eq!(message, "General exception while processing");
}

#[tokio::test]
async fn dropped_connection_gets_no_response() {
    let graph = seeded().await;
    graph.faults().on(ADD_OWNER).once(Fault::DropConnection);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let result = http
        .post(owners_url(&graph, AGENT))
        .bearer_auth("t")
        .json(&v1_ref(USER))
        .send()
        .await;
    let error = result.expect_err("the connection should have been closed without a response");
    assert!(!error.is_status());
    let log = graph.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, None);
    assert!(graph.state().owners_of(AGENT).is_empty());
    // The server is fine afterwards.
    assert_eq!(add_owner(&graph, AGENT, &v1_ref(USER)).await.status(), 204);
}

#[tokio::test]
async fn latency_and_permanent_faults_and_clearing() {
    let graph = seeded().await;
    let faults = graph.faults();
    faults
        .on(LIMITED_MODE)
        .always(Fault::Latency(Duration::from_millis(20)));
    faults.on(LIMITED_MODE).always(Fault::WrapInValue);
    for _ in 0..2 {
        let body = body_json(patch_limited_mode(&graph, &json!({})).await).await;
        assert!(body.get("value").is_some(), "{body}");
    }
    // Other routes are unaffected.
    assert_eq!(add_owner(&graph, AGENT, &v1_ref(USER)).await.status(), 204);
    faults.on(LIMITED_MODE).clear();
    let body = body_json(patch_limited_mode(&graph, &json!({})).await).await;
    assert!(body.get("value").is_none());
    faults.on_any().always(Fault::EmptyBody { status: 500 });
    assert_eq!(patch_limited_mode(&graph, &json!({})).await.status(), 500);
    assert_eq!(add_owner(&graph, AGENT, &v1_ref(USER2)).await.status(), 500);
    faults.clear();
    assert_eq!(add_owner(&graph, AGENT, &v1_ref(USER2)).await.status(), 204);
}

#[tokio::test]
async fn route_specific_queue_is_served_before_the_wildcard() {
    let graph = seeded().await;
    graph
        .faults()
        .on_any()
        .once(Fault::EmptyBody { status: 500 });
    graph.faults().on(LIMITED_MODE).once(Fault::Throttle {
        retry_after_secs: 1,
    });
    assert_eq!(patch_limited_mode(&graph, &json!({})).await.status(), 429);
    assert_eq!(patch_limited_mode(&graph, &json!({})).await.status(), 500);
    assert_eq!(patch_limited_mode(&graph, &json!({})).await.status(), 200);
}

#[tokio::test]
#[should_panic(expected = "no operation in the spec")]
async fn unknown_route_names_panic() {
    let graph = seeded().await;
    graph.faults().on("copilot.admin.settings.UpdateLimitedMod");
}

#[tokio::test]
async fn claims_challenge_is_a_401_with_www_authenticate() {
    let graph = seeded().await;
    let claims = r#"{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}"#;
    graph.faults().on(ADD_OWNER).once(Fault::ClaimsChallenge {
        claims: claims.into(),
    });
    let response = add_owner(&graph, AGENT, &v1_ref(USER)).await;
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    expect_error(response, 401, "InvalidAuthenticationToken").await;
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(
        challenge.contains("error=\"insufficient_claims\""),
        "{challenge}"
    );
    let encoded = challenge
        .split("claims=\"")
        .nth(1)
        .unwrap()
        .trim_end_matches('"');
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    assert_eq!(decoded, claims.as_bytes());
    // The retry succeeds.
    assert_eq!(add_owner(&graph, AGENT, &v1_ref(USER)).await.status(), 204);
}
