//! Operation 1, end to end through the generated builders:
//! `POST /servicePrincipals/{id}/microsoft.graph.agentIdentity/owners/$ref`.
//!
//! Raw-wire assertions against wiremock: the exact bytes, headers and path
//! the SDK sends, responses the emulator never produces, and hostile ids.
//! Graph's behaviour (errors, permissions, throttling, retries) is tested
//! through the emulator in `emulator_add_owner.rs` and `emulator_faults.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

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

// Service errors, retries and throttling are tested through the emulator
// (tests/emulator_*.rs); this file keeps what only a raw HTTP stub can assert.

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
