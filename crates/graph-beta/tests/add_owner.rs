//! Operation 1, end to end through the generated builders:
//! `POST /servicePrincipals/{id}/microsoft.graph.agentIdentity/owners/$ref`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use graph_beta::prelude::*;
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

// ---------------------------------------------------------------------------------------
// Request shape
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn sends_exact_method_path_headers_and_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(OWNERS_PATH))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server);

    add_owner(&client, AGENT_ID, OWNER_ID).await.unwrap();

    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method.as_str(), "POST");
    assert_eq!(r.url.path(), OWNERS_PATH);
    assert_eq!(r.url.query(), None);
    assert_eq!(
        header(r, "authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(header(r, "accept"), Some("application/json"));
    assert_eq!(header(r, "content-type"), Some("application/json"));
    let ua = header(r, "user-agent").unwrap();
    assert!(ua.starts_with("graph-beta-rs/"), "{ua}");
    let crid = header(r, "client-request-id").unwrap();
    assert!(is_uuid(crid), "{crid}");
    assert_eq!(header(r, "retry-attempt"), None);

    // The owner reference is a full URL on the configured service root, never a bare id.
    let expected = format!(
        r#"{{"@odata.id":"{}/beta/directoryObjects/{OWNER_ID}"}}"#,
        server.uri()
    );
    assert!(expected.starts_with(r#"{"@odata.id":"http://127.0.0.1:"#));
    assert_eq!(String::from_utf8(r.body.clone()).unwrap(), expected);
}

#[tokio::test]
async fn each_call_gets_its_own_client_request_id() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = client_for(&server);
    add_owner(&client, AGENT_ID, OWNER_ID).await.unwrap();
    add_owner(&client, AGENT_ID, OWNER_ID).await.unwrap();
    let reqs = received(&server).await;
    let a = header(&reqs[0], "client-request-id").unwrap();
    let b = header(&reqs[1], "client-request-id").unwrap();
    assert!(is_uuid(a) && is_uuid(b));
    assert_ne!(a, b);
}

#[tokio::test]
async fn service_root_with_trailing_slash_gives_no_double_slash() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = Client::builder(StaticToken::new(TOKEN))
        .service_root(format!("{}/beta/", server.uri()))
        .build()
        .unwrap();
    add_owner(&client, AGENT_ID, OWNER_ID).await.unwrap();
    let reqs = received(&server).await;
    assert_eq!(reqs[0].url.path(), OWNERS_PATH);
    let body: serde_json::Value = reqs[0].body_json().unwrap();
    let reference = body["@odata.id"].as_str().unwrap();
    assert_eq!(
        reference,
        format!("{}/beta/directoryObjects/{OWNER_ID}", server.uri())
    );
}

#[tokio::test]
async fn caller_built_reference_is_sent_verbatim() {
    // The docs use a v1.0 URL even on beta; a caller may build the body by hand.
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = client_for(&server);
    let body = ReferenceCreate {
        odata_id: Some(format!(
            "https://graph.microsoft.com/v1.0/directoryObjects/{OWNER_ID}"
        )),
        ..Default::default()
    };
    client
        .service_principals()
        .by_service_principal_id(AGENT_ID)
        .agent_identity()
        .owners()
        .ref_()
        .post(&body)
        .await
        .unwrap();
    let reqs = received(&server).await;
    assert_eq!(
        reqs[0].body_json::<serde_json::Value>().unwrap(),
        serde_json::json!({
            "@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{OWNER_ID}")
        })
    );
}

// ---------------------------------------------------------------------------------------
// Successful responses
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn no_content_without_and_with_body() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    // The docs say "204 No Content and a directoryObject in the body".
    let directory_object = serde_json::json!({
        "@odata.type": "#microsoft.graph.user",
        "id": OWNER_ID,
        "displayName": "Adele Vance"
    });
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204).set_body_json(directory_object.clone()))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(directory_object))
        .mount(&server)
        .await;
    let client = client_for(&server);
    for _ in 0..3 {
        add_owner(&client, AGENT_ID, OWNER_ID).await.unwrap();
    }
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn success_with_non_json_body_is_still_success() {
    // The operation has no response schema: any 2xx body is ignored.
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(201).set_body_string("<ok/>"))
        .mount(&server)
        .await;
    add_owner(&client_for(&server), AGENT_ID, OWNER_ID)
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn duplicate_owner_is_400_request_bad_request() {
    let server = MockServer::start().await;
    let message = "One or more added object references already exist for the following modified properties: 'owners'.";
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("request-id", "header-request-id")
                .set_body_json(graph_error("Request_BadRequest", message)),
        )
        .mount(&server)
        .await;
    let e = add_owner(&client_for(&server), AGENT_ID, OWNER_ID)
        .await
        .unwrap_err();
    let s = service(&e);
    assert_eq!(s.status, 400);
    assert_eq!(e.status(), Some(400));
    assert_eq!(s.operation_id, ADD_OWNER_OP);
    assert_eq!(s.code(), Some("Request_BadRequest"));
    assert_eq!(s.message(), Some(message));
    assert_eq!(s.request_id(), Some("header-request-id"));
    assert_eq!(s.date(), Some("2025-11-01T10:00:00"));
    assert!(!e.is_throttled());
    let text = e.to_string();
    assert!(text.contains("HTTP 400"), "{text}");
    assert!(text.contains("Request_BadRequest"), "{text}");
    assert!(text.contains("already exist"), "{text}");
    assert!(text.contains(ADD_OWNER_OP), "{text}");
    // The client-request-id in the error is the one that was sent.
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 1, "a 400 is not retried");
    assert_eq!(
        header(&reqs[0], "client-request-id"),
        Some(s.client_request_id.as_str())
    );
    assert!(text.contains(&s.client_request_id), "{text}");
}

#[tokio::test]
async fn bare_id_rejection_is_reported_with_graph_message() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(400).set_body_json(graph_error(
            "Request_BadRequest",
            "Invalid URL format specified in payload.",
        )))
        .mount(&server)
        .await;
    let client = client_for(&server);
    let e = client
        .service_principals()
        .by_service_principal_id(AGENT_ID)
        .agent_identity()
        .owners()
        .ref_()
        .post(&ReferenceCreate {
            odata_id: Some(OWNER_ID.into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("Request_BadRequest: Invalid URL format specified in payload."),
        "{e}"
    );
}

#[tokio::test]
async fn unauthorized_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401).set_body_json(graph_error(
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
        )))
        .mount(&server)
        .await;
    let e = add_owner(&client_for(&server), AGENT_ID, OWNER_ID)
        .await
        .unwrap_err();
    assert_eq!(service(&e).status, 401);
    assert_eq!(service(&e).code(), Some("InvalidAuthenticationToken"));
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn forbidden_names_the_documented_permissions() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(403).set_body_json(graph_error(
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )))
        .mount(&server)
        .await;
    let e = add_owner(&client_for(&server), AGENT_ID, OWNER_ID)
        .await
        .unwrap_err();
    let s = service(&e);
    assert_eq!(s.status, 403);
    assert_eq!(s.code(), Some("Authorization_RequestDenied"));
    let p = s.required_permissions.expect("permissions are documented");
    assert_eq!(p.delegated_work_or_school, ["AgentIdentity.ReadWrite.All"]);
    assert!(p.delegated_personal.is_empty());
    assert_eq!(
        p.application,
        [
            "AgentIdentity.ReadWrite.All",
            "AgentIdentity.CreateAsManager"
        ]
    );
    let text = e.to_string();
    assert!(text.contains("Insufficient privileges"), "{text}");
    assert!(text.contains("AgentIdentity.ReadWrite.All"), "{text}");
    assert!(text.contains("AgentIdentity.CreateAsManager"), "{text}");
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn not_found() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_json(graph_error(
            "Request_ResourceNotFound",
            "Resource '00000000-0000-0000-0000-0000000000a1' does not exist or one of its queried reference-property objects are not present.",
        )))
        .mount(&server)
        .await;
    let e = add_owner(&client_for(&server), AGENT_ID, OWNER_ID)
        .await
        .unwrap_err();
    assert_eq!(service(&e).status, 404);
    assert_eq!(service(&e).code(), Some("Request_ResourceNotFound"));
    assert!(e.to_string().contains("HTTP 404 Not Found"), "{e}");
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn throttled_then_success_retries_with_same_id_and_retry_attempt() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "0")
                .set_body_json(graph_error("TooManyRequests", "Too many requests.")),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    add_owner(&client_for(&server), AGENT_ID, OWNER_ID)
        .await
        .unwrap();
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 2);
    assert_eq!(header(&reqs[0], "retry-attempt"), None);
    assert_eq!(header(&reqs[1], "retry-attempt"), Some("1"));
    let first = header(&reqs[0], "client-request-id").unwrap();
    assert!(is_uuid(first));
    assert_eq!(header(&reqs[1], "client-request-id"), Some(first));
    // The POST is replayed unchanged (a throttled request was not executed).
    assert_eq!(reqs[0].body, reqs[1].body);
    assert_eq!(reqs[1].url.path(), OWNERS_PATH);
    assert_eq!(
        header(&reqs[1], "authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[tokio::test]
async fn throttled_with_http_date_retry_after() {
    let server = MockServer::start().await;
    // A date in the past means "retry now".
    let past = http_date_in_the_past();
    Mock::given(any())
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", past.as_str()))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    add_owner(&client_for(&server), AGENT_ID, OWNER_ID)
        .await
        .unwrap();
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 2);
    assert_eq!(header(&reqs[1], "retry-attempt"), Some("1"));
}

#[tokio::test]
async fn throttled_with_retry_after_beyond_policy_returns_the_wait() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "120")
                .set_body_json(graph_error("TooManyRequests", "Too many requests.")),
        )
        .mount(&server)
        .await;
    let e = add_owner(&client_for(&server), AGENT_ID, OWNER_ID)
        .await
        .unwrap_err();
    assert!(e.is_throttled());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(120)));
    assert!(e.to_string().contains("retry after 120 s"), "{e}");
    // The wait exceeds the policy's max_delay: the caller decides, nothing is re-sent.
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn internal_server_error_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500).set_body_json(graph_error(
            "generalException",
            "An internal error occurred.",
        )))
        .mount(&server)
        .await;
    let e = add_owner(&client_for(&server), AGENT_ID, OWNER_ID)
        .await
        .unwrap_err();
    assert_eq!(service(&e).status, 500);
    assert_eq!(service(&e).code(), Some("generalException"));
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn bad_gateway_html_is_not_retried_and_keeps_raw_text() {
    let server = MockServer::start().await;
    let html = "<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad Gateway</h1></body></html>";
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(502)
                .insert_header("content-type", "text/html")
                .set_body_string(html),
        )
        .mount(&server)
        .await;
    let e = add_owner(&client_for(&server), AGENT_ID, OWNER_ID)
        .await
        .unwrap_err();
    let s = service(&e);
    assert_eq!(s.status, 502);
    assert!(s.error.is_none());
    assert_eq!(s.code(), None);
    assert_eq!(s.raw_body, html);
    let text = e.to_string();
    assert!(text.contains("HTTP 502 Bad Gateway"), "{text}");
    assert!(text.contains("<h1>Bad Gateway</h1>"), "{text}");
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn unavailable_and_gateway_timeout_are_retried_up_to_the_max() {
    for status in [503u16, 504] {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(status))
            .mount(&server)
            .await;
        let e = add_owner(&client_with(&server, fast_retries(2)), AGENT_ID, OWNER_ID)
            .await
            .unwrap_err();
        assert_eq!(service(&e).status, status);
        let reqs = received(&server).await;
        assert_eq!(reqs.len(), 3, "{status}: 1 attempt + 2 retries");
        let attempts: Vec<_> = reqs.iter().map(|r| header(r, "retry-attempt")).collect();
        assert_eq!(attempts, [None, Some("1"), Some("2")], "{status}");
        let ids: Vec<_> = reqs
            .iter()
            .map(|r| header(r, "client-request-id").unwrap())
            .collect();
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
        assert_eq!(service(&e).client_request_id, ids[0]);
    }
}

#[tokio::test]
async fn unavailable_then_success() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "0"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    add_owner(&client_for(&server), AGENT_ID, OWNER_ID)
        .await
        .unwrap();
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn empty_error_body() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(400))
        .mount(&server)
        .await;
    let e = add_owner(&client_for(&server), AGENT_ID, OWNER_ID)
        .await
        .unwrap_err();
    let s = service(&e);
    assert_eq!(s.status, 400);
    assert!(s.error.is_none());
    assert_eq!(s.raw_body, "");
    assert!(e.to_string().contains("(empty body)"), "{e}");
}

// ---------------------------------------------------------------------------------------
// Hostile ids
// ---------------------------------------------------------------------------------------

/// (id, the segment that must reach the server)
const HOSTILE: &[(&str, &str)] = &[
    ("a/b", "a%2Fb"),
    ("a?b", "a%3Fb"),
    ("a#b", "a%23b"),
    ("100%", "100%25"),
    ("%2e%2e", "%252e%252e"),
    ("a b", "a%20b"),
    ("ü", "%C3%BC"),
    ("../owners", "..%2Fowners"),
    ("...", "..."),
    ("x;y=z", "x%3By%3Dz"),
    ("a+b", "a%2Bb"),
    ("%2F", "%252F"),
    ("line\nbreak\t", "line%0Abreak%09"),
    ("nul\0", "nul%00"),
    ("$ref", "%24ref"),
    ("a\\b", "a%5Cb"),
    ("\u{1F600}", "%F0%9F%98%80"),
];

#[tokio::test]
async fn hostile_agent_ids_are_one_encoded_segment() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = client_for(&server);
    for (id, _) in HOSTILE {
        add_owner(&client, id, OWNER_ID).await.unwrap();
    }
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), HOSTILE.len());
    for (r, (id, encoded)) in reqs.iter().zip(HOSTILE) {
        assert_eq!(
            r.url.path(),
            format!("/beta/servicePrincipals/{encoded}/microsoft.graph.agentIdentity/owners/$ref"),
            "id {id:?}"
        );
        assert_eq!(r.url.query(), None, "id {id:?}");
        assert_eq!(r.url.fragment(), None, "id {id:?}");
    }
}

#[tokio::test]
async fn dot_and_empty_agent_ids_are_refused_before_sending() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let credential = Recording::default();
    let client = Client::builder(credential.clone())
        .service_root(format!("{}/beta", server.uri()))
        .build()
        .unwrap();
    for id in ["..", ".", ""] {
        let e = add_owner(&client, id, OWNER_ID).await.unwrap_err();
        match &e {
            Error::InvalidInput { message } => {
                assert!(message.contains("servicePrincipal-id"), "{id:?}: {message}");
            }
            other => panic!("{id:?}: expected InvalidInput, got {other:?}"),
        }
    }
    assert!(received(&server).await.is_empty(), "nothing may be sent");
    assert!(credential.scopes().is_empty(), "no token is even requested");
}

#[tokio::test]
async fn hostile_owner_ids_are_one_encoded_segment_in_the_reference() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = client_for(&server);
    for (id, _) in HOSTILE {
        add_owner(&client, AGENT_ID, id).await.unwrap();
    }
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), HOSTILE.len());
    for (r, (id, encoded)) in reqs.iter().zip(HOSTILE) {
        assert_eq!(r.url.path(), OWNERS_PATH);
        let body: serde_json::Value = r.body_json().unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "@odata.id": format!("{}/beta/directoryObjects/{encoded}", server.uri())
            }),
            "owner id {id:?}"
        );
    }
}

#[tokio::test]
async fn dot_and_empty_owner_ids_are_refused_before_sending() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = client_for(&server);
    for id in ["..", ".", ""] {
        let e = ReferenceCreate::directory_object(&client, id).unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{id:?}: {e:?}");
        let e = add_owner(&client, AGENT_ID, id).await.unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{id:?}: {e:?}");
        assert!(e.to_string().starts_with("invalid input"), "{e}");
    }
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn short_cast_alias_is_not_used() {
    // The builder always sends the full cast segment, which makes Graph check the type.
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    add_owner(&client_for(&server), AGENT_ID, OWNER_ID)
        .await
        .unwrap();
    let reqs = received(&server).await;
    let segments: Vec<_> = reqs[0].url.path_segments().unwrap().collect();
    assert_eq!(
        segments,
        [
            "beta",
            "servicePrincipals",
            AGENT_ID,
            "microsoft.graph.agentIdentity",
            "owners",
            "$ref"
        ]
    );
}
