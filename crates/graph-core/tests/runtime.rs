//! End-to-end tests of the send pipeline against a real HTTP server (wiremock on 127.0.0.1).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use graph_core::{
    AccessToken, Cloud, CoreClient, Credential, CredentialError, Error, HttpMethod, NationalCloud,
    OperationKind, OperationMeta, Permissions, RequestPath, RetryPolicy, StaticToken, TokenFuture,
    TokenRequest, decode,
};
use serde::{Deserialize, Serialize};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "test-token-SECRET-123";

static ADD_OWNER: OperationMeta = OperationMeta {
    operation_id: "servicePrincipals.agentIdentity.CreateRefOwners",
    method: HttpMethod::Post,
    path_template: "/servicePrincipals/{servicePrincipal-id}/microsoft.graph.agentIdentity/owners/$ref",
    permissions: Some(Permissions {
        delegated_work_or_school: &["AgentIdentity.ReadWrite.All"],
        delegated_personal: &[],
        application: &[
            "AgentIdentity.ReadWrite.All",
            "AgentIdentity.CreateAsManager",
        ],
    }),
    national_clouds: None,
    docs_url: None,
    kind: OperationKind::AddReference,
};

static UPDATE_LIMITED_MODE: OperationMeta = OperationMeta {
    operation_id: "copilot.admin.settings.UpdateLimitedMode",
    method: HttpMethod::Patch,
    path_template: "/copilot/admin/settings/limitedMode",
    permissions: Some(Permissions {
        delegated_work_or_school: &["CopilotSettings-LimitedMode.ReadWrite"],
        delegated_personal: &[],
        application: &[],
    }),
    national_clouds: Some(&[NationalCloud::Global]),
    docs_url: Some(
        "https://learn.microsoft.com/graph/api/copilotadminlimitedmode-update?view=graph-rest-beta",
    ),
    kind: OperationKind::Other,
};

static GET_LIMITED_MODE: OperationMeta = OperationMeta {
    operation_id: "copilot.admin.settings.GetLimitedMode",
    method: HttpMethod::Get,
    path_template: "/copilot/admin/settings/limitedMode",
    permissions: None,
    national_clouds: None,
    docs_url: None,
    kind: OperationKind::Other,
};

#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct LimitedMode {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_enabled_for_group: Option<bool>,
}

/// A credential that records what it was asked and answers `TOKEN`, or `TOKEN-claims` when
/// a claims challenge is passed.
#[derive(Debug, Default, Clone)]
struct Recording {
    requests: Arc<Mutex<Vec<TokenRequest>>>,
    fail: bool,
}

impl Credential for Recording {
    fn token<'a>(&'a self, request: &'a TokenRequest) -> TokenFuture<'a> {
        self.requests.lock().unwrap().push(request.clone());
        let result = if self.fail {
            Err(CredentialError::new("login required"))
        } else if request.claims.is_some() {
            Ok(AccessToken::new(format!("{TOKEN}-claims")))
        } else {
            Ok(AccessToken::new(TOKEN))
        };
        Box::pin(async move { result })
    }
}

fn fast_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(50),
        ..RetryPolicy::default()
    }
}

async fn client_for(server: &MockServer) -> CoreClient {
    CoreClient::builder(StaticToken::new(TOKEN))
        .service_root(format!("{}/beta", server.uri()))
        .retry_policy(fast_retries(3))
        .build()
        .unwrap()
}

fn owner_path(id: &str) -> RequestPath {
    RequestPath::new()
        .literal("servicePrincipals")
        .param("servicePrincipal-id", id)
        .literal("microsoft.graph.agentIdentity")
        .literal("owners")
        .literal("$ref")
}

fn limited_mode_path() -> RequestPath {
    RequestPath::new()
        .literal("copilot")
        .literal("admin")
        .literal("settings")
        .literal("limitedMode")
}

fn header<'a>(req: &'a wiremock::Request, name: &str) -> Option<&'a str> {
    req.headers.get(name).map(|v| v.to_str().unwrap())
}

async fn received(server: &MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.unwrap()
}

fn service(err: &Error) -> &graph_core::ServiceError {
    err.service()
        .unwrap_or_else(|| panic!("expected a service error, got {err:?}"))
}

/// Fails the test instead of hanging if a retry waited for a long backoff.
async fn bounded<F: std::future::IntoFuture>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(20), f.into_future())
        .await
        .expect("request took too long")
}

// ---------------------------------------------------------------------------------------
// Request shape
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn post_sends_exact_method_path_headers_and_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(
            "/beta/servicePrincipals/sp-1/microsoft.graph.agentIdentity/owners/$ref",
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let client = CoreClient::builder(StaticToken::new(TOKEN))
        .service_root(format!("{}/beta", server.uri()))
        .user_agent_suffix("my-app/1.0")
        .build()
        .unwrap();
    let owner = client.entity_url("directoryObjects", "owner-1").unwrap();
    assert_eq!(
        owner,
        format!("{}/beta/directoryObjects/owner-1", server.uri())
    );

    client
        .request(&ADD_OWNER, owner_path("sp-1"), decode::empty)
        .json_body(&serde_json::json!({ "@odata.id": owner }))
        .header("ConsistencyLevel", "eventual")
        .await
        .unwrap();

    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method.as_str(), "POST");
    assert_eq!(r.url.query(), None);
    assert_eq!(
        header(r, "authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(header(r, "accept"), Some("application/json"));
    assert_eq!(header(r, "content-type"), Some("application/json"));
    assert_eq!(
        header(r, "user-agent"),
        Some(concat!(
            "graph-beta-rs/",
            env!("CARGO_PKG_VERSION"),
            " my-app/1.0"
        ))
    );
    assert_eq!(header(r, "consistencylevel"), Some("eventual"));
    assert!(header(r, "retry-attempt").is_none());
    let crid = header(r, "client-request-id").unwrap();
    assert_eq!(uuid::Uuid::parse_str(crid).unwrap().get_version_num(), 4);
    let body: serde_json::Value = r.body_json().unwrap();
    assert_eq!(body, serde_json::json!({ "@odata.id": owner }));
}

#[tokio::test]
async fn patch_sends_body_and_decodes_plain_and_wrapped() {
    let server = MockServer::start().await;
    let updated = serde_json::json!({
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#copilot/admin/settings/limitedMode/$entity",
        "id": "lm", "groupId": null, "isEnabledForGroup": false
    });
    Mock::given(method("PATCH"))
        .and(path("/beta/copilot/admin/settings/limitedMode"))
        .respond_with(ResponseTemplate::new(200).set_body_json(updated.clone()))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/beta/copilot/admin/settings/limitedMode"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "@odata.context": "x", "value": { "id": "lm", "isEnabledForGroup": false }
        })))
        .mount(&server)
        .await;
    let client = client_for(&server).await;
    let body = LimitedMode {
        is_enabled_for_group: Some(false),
        ..Default::default()
    };

    for _ in 0..2 {
        let result: LimitedMode = client
            .request(
                &UPDATE_LIMITED_MODE,
                limited_mode_path(),
                decode::json_unwrap_value,
            )
            .json_body(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            result,
            LimitedMode {
                id: Some("lm".into()),
                group_id: None,
                is_enabled_for_group: Some(false)
            }
        );
    }
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].method.as_str(), "PATCH");
    assert_eq!(reqs[0].body, br#"{"isEnabledForGroup":false}"#);
    assert_eq!(header(&reqs[0], "content-type"), Some("application/json"));
    assert_ne!(
        header(&reqs[0], "client-request-id"),
        header(&reqs[1], "client-request-id")
    );
}

#[tokio::test]
async fn query_parameters_and_no_content_type_without_body() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"id":"lm"}"#))
        .mount(&server)
        .await;
    let client = client_for(&server).await;
    let result: LimitedMode = client
        .request(&GET_LIMITED_MODE, limited_mode_path(), decode::json)
        .query_list("$select", ["id", "isEnabledForGroup", "a,b"])
        .query("$filter", "name eq 'ü & b'#")
        .await
        .unwrap();
    assert_eq!(result.id.as_deref(), Some("lm"));
    let reqs = received(&server).await;
    let r = &reqs[0];
    assert_eq!(r.method.as_str(), "GET");
    assert_eq!(
        r.url.query(),
        Some("$select=id,isEnabledForGroup,a%2Cb&$filter=name%20eq%20%27%C3%BC%20%26%20b%27%23")
    );
    assert!(header(r, "content-type").is_none());
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn service_root_joins_with_single_slashes() {
    for suffix in ["/beta", "/beta/", "/beta///", "/proxy/beta/"] {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(204))
            .mount(&server)
            .await;
        let client = CoreClient::builder(StaticToken::new(TOKEN))
            .service_root(format!("{}{suffix}", server.uri()))
            .build()
            .unwrap();
        assert!(!client.service_root().ends_with('/'));
        client
            .request(&ADD_OWNER, owner_path("x"), decode::empty)
            .await
            .unwrap();
        let reqs = received(&server).await;
        let p = reqs[0].url.path().to_owned();
        assert!(!p.contains("//"), "{p}");
        let expected_prefix = suffix.trim_end_matches('/');
        assert_eq!(
            p,
            format!(
                "{expected_prefix}/servicePrincipals/x/microsoft.graph.agentIdentity/owners/$ref"
            )
        );
    }
}

#[tokio::test]
async fn hostile_ids_are_rejected_before_sending() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = client_for(&server).await;
    for bad in ["", ".", ".."] {
        let err = client
            .request(&ADD_OWNER, owner_path(bad), decode::empty)
            .await
            .unwrap_err();
        match &err {
            Error::InvalidInput { message } => {
                assert!(message.contains("servicePrincipal-id"), "{message}")
            }
            other => panic!("{bad:?}: unexpected {other:?}"),
        }
        assert!(client.entity_url("directoryObjects", bad).is_err());
    }
    assert_eq!(received(&server).await.len(), 0);
}

#[tokio::test]
async fn hostile_ids_are_encoded_as_one_segment() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = client_for(&server).await;
    let cases = [
        ("a/b", "a%2Fb"),
        ("a?b=c", "a%3Fb%3Dc"),
        ("a#b", "a%23b"),
        ("50%", "50%25"),
        ("%2e%2e", "%252e%252e"),
        ("../x", "..%2Fx"),
        ("a b", "a%20b"),
        ("über", "%C3%BCber"),
        ("...", "..."),
    ];
    for (id, _) in cases {
        client
            .request(&ADD_OWNER, owner_path(id), decode::empty)
            .await
            .unwrap();
    }
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), cases.len());
    for (req, (id, encoded)) in reqs.iter().zip(cases) {
        assert_eq!(
            req.url.path(),
            format!("/beta/servicePrincipals/{encoded}/microsoft.graph.agentIdentity/owners/$ref"),
            "id {id:?}"
        );
        assert_eq!(req.url.query(), None, "id {id:?}");
        assert_eq!(req.url.fragment(), None, "id {id:?}");
    }
    assert_eq!(
        client.entity_url("directoryObjects", "a/b").unwrap(),
        format!("{}/beta/directoryObjects/a%2Fb", server.uri())
    );
}

#[tokio::test]
async fn invalid_headers_and_bodies_are_stored_errors() {
    struct Unserializable;
    impl Serialize for Unserializable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("boom"))
        }
    }
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = client_for(&server).await;
    let send = |r: graph_core::Request<()>| async move { r.await.unwrap_err() };

    let e = send(
        client
            .request(&ADD_OWNER, owner_path("x"), decode::empty)
            .header("Authorization", "Bearer other"),
    )
    .await;
    assert!(
        matches!(&e, Error::InvalidInput { message } if message.contains("authorization")),
        "{e:?}"
    );
    let e = send(
        client
            .request(&ADD_OWNER, owner_path("x"), decode::empty)
            .header("bad name", "v"),
    )
    .await;
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    let e = send(
        client
            .request(&ADD_OWNER, owner_path("x"), decode::empty)
            .header("X-Ok", "line\nbreak"),
    )
    .await;
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    let e = send(
        client
            .request(&ADD_OWNER, owner_path("x"), decode::empty)
            .json_body(&Unserializable),
    )
    .await;
    assert!(
        matches!(&e, Error::InvalidInput { message } if message.contains("boom")),
        "{e:?}"
    );
    assert_eq!(received(&server).await.len(), 0);
}

#[tokio::test]
async fn caller_can_choose_client_request_id() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = client_for(&server).await;
    client
        .request(&ADD_OWNER, owner_path("x"), decode::empty)
        .header("client-request-id", "my-correlation-id")
        .await
        .unwrap();
    let reqs = received(&server).await;
    assert_eq!(
        reqs[0].headers.get_all("client-request-id").iter().count(),
        1
    );
    assert_eq!(
        header(&reqs[0], "client-request-id"),
        Some("my-correlation-id")
    );
}

// ---------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn no_content_with_and_without_body() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "owner"})))
        .mount(&server)
        .await;
    let client = client_for(&server).await;
    client
        .request(&ADD_OWNER, owner_path("x"), decode::empty)
        .await
        .unwrap();
    client
        .request(&ADD_OWNER, owner_path("x"), decode::empty)
        .await
        .unwrap();
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn empty_or_invalid_success_body_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let long = format!("not json {}", "ü".repeat(2000));
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string(long))
        .mount(&server)
        .await;
    let client = client_for(&server).await;

    let e = client
        .request(
            &UPDATE_LIMITED_MODE,
            limited_mode_path(),
            decode::json_unwrap_value::<LimitedMode>,
        )
        .json_body(&LimitedMode::default())
        .await
        .unwrap_err();
    match &e {
        Error::Decode {
            operation_id,
            status,
            message,
            body_excerpt,
        } => {
            assert_eq!(*operation_id, UPDATE_LIMITED_MODE.operation_id);
            assert_eq!(*status, 200);
            assert!(message.contains("empty"), "{message}");
            assert!(body_excerpt.is_empty());
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(e.status(), Some(200));

    let e = client
        .request(
            &UPDATE_LIMITED_MODE,
            limited_mode_path(),
            decode::json_unwrap_value::<LimitedMode>,
        )
        .await
        .unwrap_err();
    let Error::Decode { body_excerpt, .. } = &e else {
        panic!("unexpected {e:?}")
    };
    assert!(body_excerpt.starts_with("not json ü"));
    assert!(
        body_excerpt.chars().count() <= 513,
        "{}",
        body_excerpt.chars().count()
    );
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

fn graph_error_body(code: &str, message: &str) -> serde_json::Value {
    serde_json::json!({
        "error": {
            "code": code,
            "message": message,
            "target": "owners",
            "details": [{ "code": "detail-code", "message": "detail message", "target": "x" }],
            "innerError": {
                "date": "2025-11-01T10:00:00",
                "request-id": "inner-request-id",
                "client-request-id": "inner-client-request-id"
            }
        }
    })
}

#[tokio::test]
async fn graph_errors_are_parsed() {
    for status in [400u16, 401, 403, 404] {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("request-id", "header-request-id")
                    .set_body_json(graph_error_body(
                        "Request_BadRequest",
                        "One or more added object references already exist",
                    )),
            )
            .mount(&server)
            .await;
        let client = client_for(&server).await;
        let e = client
            .request(&ADD_OWNER, owner_path("x"), decode::empty)
            .await
            .unwrap_err();
        let reqs = received(&server).await;
        assert_eq!(reqs.len(), 1, "status {status} must not be retried");
        let s = service(&e);
        assert_eq!(e.status(), Some(status));
        assert!(!e.is_throttled());
        assert_eq!(s.operation_id, ADD_OWNER.operation_id);
        assert_eq!(s.code(), Some("Request_BadRequest"));
        assert_eq!(
            s.message(),
            Some("One or more added object references already exist")
        );
        assert_eq!(s.request_id(), Some("header-request-id"));
        assert_eq!(s.date(), Some("2025-11-01T10:00:00"));
        assert_eq!(
            s.client_request_id,
            header(&reqs[0], "client-request-id").unwrap()
        );
        let g = s.error.as_ref().unwrap();
        assert_eq!(g.target.as_deref(), Some("owners"));
        assert_eq!(g.details.len(), 1);
        assert_eq!(g.details[0].code, "detail-code");
        assert_eq!(g.details[0].target.as_deref(), Some("x"));
        let inner = g.inner_error.as_ref().unwrap();
        assert_eq!(inner.request_id.as_deref(), Some("inner-request-id"));
        assert_eq!(
            inner.client_request_id.as_deref(),
            Some("inner-client-request-id")
        );
        let text = e.to_string();
        assert!(text.starts_with(&format!("HTTP {status} ")), "{text}");
        assert!(
            text.contains(&format!(
                "from {}: Request_BadRequest: One or more added object references already exist (request-id: header-request-id, client-request-id: {})",
                ADD_OWNER.operation_id, s.client_request_id
            )),
            "{text}"
        );
        assert_eq!(
            text.contains("documented permissions"),
            status == 403,
            "{text}"
        );
    }
}

#[tokio::test]
async fn forbidden_names_documented_permissions() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(403).set_body_json(serde_json::json!({
            "error": { "code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation.",
                       "innerError": { "request-id": "rid" } }
        })))
        .mount(&server)
        .await;
    let client = client_for(&server).await;
    let e = client
        .request(
            &UPDATE_LIMITED_MODE,
            limited_mode_path(),
            decode::json_unwrap_value::<LimitedMode>,
        )
        .json_body(&LimitedMode::default())
        .await
        .unwrap_err();
    let s = service(&e);
    assert_eq!(s.request_id(), Some("rid"));
    assert_eq!(
        e.to_string(),
        format!(
            "HTTP 403 Forbidden from copilot.admin.settings.UpdateLimitedMode: Authorization_RequestDenied: \
             Insufficient privileges to complete the operation. (request-id: rid, client-request-id: {}); \
             documented permissions: delegated (work or school): CopilotSettings-LimitedMode.ReadWrite; \
             delegated (personal account): not supported; application: not supported",
            s.client_request_id
        )
    );
}

#[tokio::test]
async fn server_errors_are_not_retried_and_keep_raw_text() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(graph_error_body("generalException", "General exception")),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(502).set_body_raw(
            "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>upstream died</body></html>",
            "text/html",
        ))
        .mount(&server)
        .await;
    let client = client_for(&server).await;

    let e = client
        .request(&ADD_OWNER, owner_path("x"), decode::empty)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(500));
    assert_eq!(service(&e).code(), Some("generalException"));
    assert_eq!(received(&server).await.len(), 1);

    let e = client
        .request(&ADD_OWNER, owner_path("x"), decode::empty)
        .await
        .unwrap_err();
    assert_eq!(received(&server).await.len(), 2);
    let s = service(&e);
    assert_eq!(s.status, 502);
    assert!(s.error.is_none());
    assert!(s.raw_body.contains("upstream died"));
    let text = e.to_string();
    assert!(
        text.starts_with(
            "HTTP 502 Bad Gateway from servicePrincipals.agentIdentity.CreateRefOwners: <html>"
        ),
        "{text}"
    );
    assert!(text.contains("upstream died"), "{text}");
}

#[tokio::test]
async fn empty_error_body() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let client = client_for(&server).await;
    let e = client
        .request(&ADD_OWNER, owner_path("x"), decode::empty)
        .await
        .unwrap_err();
    let s = service(&e);
    assert!(s.error.is_none() && s.raw_body.is_empty() && s.code().is_none());
    assert!(
        e.to_string().contains(
            "HTTP 404 Not Found from servicePrincipals.agentIdentity.CreateRefOwners: (empty body)"
        ),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------
// Retries
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn throttled_post_is_retried_with_same_client_request_id() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "0")
                .set_body_json(serde_json::json!({
                    "error": { "code": "TooManyRequests", "message": "slow down" }
                })),
        )
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    // A long backoff proves that Retry-After (0 s) was honoured instead.
    let client = CoreClient::builder(StaticToken::new(TOKEN))
        .service_root(format!("{}/beta", server.uri()))
        .retry_policy(RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_secs(3600),
            max_delay: Duration::from_secs(7200),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    bounded(
        client
            .request(&ADD_OWNER, owner_path("x"), decode::empty)
            .json_body(&serde_json::json!({"a": 1})),
    )
    .await
    .unwrap();
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 3);
    let ids: Vec<_> = reqs
        .iter()
        .map(|r| header(r, "client-request-id").unwrap())
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let attempts: Vec<_> = reqs.iter().map(|r| header(r, "retry-attempt")).collect();
    assert_eq!(attempts, [None, Some("1"), Some("2")]);
    assert!(reqs.iter().all(|r| r.body == br#"{"a":1}"#));
}

#[tokio::test]
async fn retry_after_http_date_is_honoured() {
    let server = MockServer::start().await;
    let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(60));
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", past.as_str()))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = client_for(&server).await;
    bounded(
        client
            .request(&ADD_OWNER, owner_path("x"), decode::empty)
            .retry_policy(RetryPolicy {
                max_retries: 1,
                base_delay: Duration::from_secs(3600),
                max_delay: Duration::from_secs(7200),
                ..RetryPolicy::default()
            }),
    )
    .await
    .unwrap();
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn retry_after_above_cap_returns_immediately() {
    for value in [
        "3600".to_owned(),
        httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(7200)),
    ] {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", value.as_str()))
            .mount(&server)
            .await;
        let client = client_for(&server).await; // max_delay 50 ms
        let e = bounded(client.request(&ADD_OWNER, owner_path("x"), decode::empty))
            .await
            .unwrap_err();
        assert_eq!(received(&server).await.len(), 1);
        assert!(e.is_throttled());
        assert_eq!(e.status(), Some(429));
        let wait = e.retry_after().unwrap();
        assert!(wait > Duration::from_secs(3000), "{wait:?}");
        assert!(e.to_string().contains("retry after"), "{e}");
    }
}

#[tokio::test]
async fn unavailable_and_gateway_timeout_retried_up_to_max() {
    for status in [503u16, 504] {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(status))
            .mount(&server)
            .await;
        let client = client_for(&server).await;
        let e = bounded(
            client
                .request(&ADD_OWNER, owner_path("x"), decode::empty)
                .retry_policy(fast_retries(2)),
        )
        .await
        .unwrap_err();
        let reqs = received(&server).await;
        assert_eq!(reqs.len(), 3, "status {status}");
        let attempts: Vec<_> = reqs.iter().map(|r| header(r, "retry-attempt")).collect();
        assert_eq!(attempts, [None, Some("1"), Some("2")]);
        assert_eq!(e.status(), Some(status));
        assert_eq!(service(&e).retry_after, None);
    }
}

#[tokio::test]
async fn retry_policy_none_does_not_retry() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .mount(&server)
        .await;
    let client = CoreClient::builder(StaticToken::new(TOKEN))
        .service_root(format!("{}/beta", server.uri()))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let e = client
        .request(&ADD_OWNER, owner_path("x"), decode::empty)
        .await
        .unwrap_err();
    assert_eq!(e.retry_after(), Some(Duration::ZERO));
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn claims_challenge_gets_a_new_token_once() {
    // base64 of {"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}
    let claims_json = r#"{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}"#;
    let challenge = "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", \
        error=\"insufficient_claims\", claims=\"eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwidmFsdWUiOiIxNjA0MTA2NjUxIn19fQ==\"";

    // Challenge, then success.
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401).insert_header("WWW-Authenticate", challenge))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let credential = Recording::default();
    let client = CoreClient::builder(credential.clone())
        .service_root(format!("{}/beta", server.uri()))
        .build()
        .unwrap();
    client
        .request(&ADD_OWNER, owner_path("x"), decode::empty)
        .await
        .unwrap();
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        header(&reqs[0], "authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(
        header(&reqs[1], "authorization"),
        Some(format!("Bearer {TOKEN}-claims").as_str())
    );
    assert_eq!(
        header(&reqs[0], "client-request-id"),
        header(&reqs[1], "client-request-id")
    );
    let asked = credential.requests.lock().unwrap().clone();
    assert_eq!(asked.len(), 2);
    assert_eq!(asked[0].claims, None);
    assert_eq!(asked[1].claims.as_deref(), Some(claims_json));
    let scope = format!("{}/.default", server.uri());
    assert!(
        asked.iter().all(|r| r.scopes == [scope.clone()]),
        "{asked:?}"
    );

    // A challenge that keeps coming is answered only once.
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401).insert_header("WWW-Authenticate", challenge))
        .mount(&server)
        .await;
    let client = CoreClient::builder(Recording::default())
        .service_root(format!("{}/beta", server.uri()))
        .build()
        .unwrap();
    let e = client
        .request(&ADD_OWNER, owner_path("x"), decode::empty)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn plain_401_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("WWW-Authenticate", "Bearer error=\"invalid_token\""),
        )
        .mount(&server)
        .await;
    let client = client_for(&server).await;
    let e = client
        .request(&ADD_OWNER, owner_path("x"), decode::empty)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert_eq!(received(&server).await.len(), 1);
}

// ---------------------------------------------------------------------------------------
// Clouds, credentials, transport
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn operation_not_available_in_national_cloud() {
    let credential = Recording::default();
    let client = CoreClient::builder(credential.clone())
        .cloud(Cloud::UsGovL4)
        .build()
        .unwrap();
    assert_eq!(client.service_root(), "https://graph.microsoft.us/beta");
    let e = client
        .request(
            &UPDATE_LIMITED_MODE,
            limited_mode_path(),
            decode::json_unwrap_value::<LimitedMode>,
        )
        .json_body(&LimitedMode::default())
        .await
        .unwrap_err();
    match &e {
        Error::NotAvailableInCloud {
            operation_id,
            cloud,
            available,
        } => {
            assert_eq!(*operation_id, "copilot.admin.settings.UpdateLimitedMode");
            assert_eq!(*cloud, NationalCloud::UsGovL4);
            assert_eq!(*available, &[NationalCloud::Global]);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        e.to_string(),
        "copilot.admin.settings.UpdateLimitedMode is not available in US Government L4; documented clouds: global"
    );
    // Nothing happened: not even a token was requested.
    assert!(credential.requests.lock().unwrap().is_empty());
}

#[tokio::test]
async fn custom_cloud_skips_availability_check() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"id":"lm"}"#))
        .mount(&server)
        .await;
    let client = client_for(&server).await;
    let r: LimitedMode = client
        .request(
            &UPDATE_LIMITED_MODE,
            limited_mode_path(),
            decode::json_unwrap_value,
        )
        .json_body(&LimitedMode::default())
        .await
        .unwrap();
    assert_eq!(r.id.as_deref(), Some("lm"));
}

#[tokio::test]
async fn credential_failure_is_reported_without_sending() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = CoreClient::builder(Recording {
        fail: true,
        ..Default::default()
    })
    .service_root(format!("{}/beta", server.uri()))
    .build()
    .unwrap();
    let e = client
        .request(&ADD_OWNER, owner_path("x"), decode::empty)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Credential(c) if c.message() == "login required"),
        "{e:?}"
    );
    assert!(std::error::Error::source(&e).is_some());
    assert_eq!(received(&server).await.len(), 0);
}

#[tokio::test]
async fn timeout_maps_to_timeout_error() {
    // Both with the HTTP client the SDK builds (which has the timeout as its own) and with a
    // caller's (which does not, so each request carries it).
    graph_core::ensure_crypto_provider().unwrap();
    for callers_http_client in [false, true] {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(204).set_delay(Duration::from_secs(10)))
            .mount(&server)
            .await;
        let mut builder = CoreClient::builder(StaticToken::new(TOKEN))
            .service_root(format!("{}/beta", server.uri()))
            .timeout(Duration::from_millis(200));
        if callers_http_client {
            builder = builder.http_client(graph_core::reqwest::Client::builder().build().unwrap());
        }
        let client = builder.build().unwrap();
        let e = bounded(client.request(&ADD_OWNER, owner_path("x"), decode::empty))
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::Timeout { operation_id, .. } if operation_id == ADD_OWNER.operation_id),
            "caller's client: {callers_http_client}: {e:?}"
        );
        // Timeouts are not retried: the request may have been executed.
        assert_eq!(received(&server).await.len(), 1);
    }
}

#[tokio::test]
async fn connection_refused_is_a_transport_error_after_retries() {
    // A port that is bound but not listening refuses connections. Holding it (rather than
    // binding a listener and closing it) keeps other tests' servers off the port meanwhile.
    let held = tokio::net::TcpSocket::new_v4().unwrap();
    held.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = held.local_addr().unwrap().port();
    let client = CoreClient::builder(StaticToken::new(TOKEN))
        .service_root(format!("http://127.0.0.1:{port}/beta"))
        .retry_policy(fast_retries(2))
        .build()
        .unwrap();
    let e = bounded(client.request(&ADD_OWNER, owner_path("x"), decode::empty))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e:?}");
    assert!(!e.to_string().contains(TOKEN));
}

#[tokio::test]
async fn custom_root_validation_and_infallible_new() {
    for bad in [
        "not a url",
        "ftp://h/beta",
        "http://h/beta?x=1",
        "http://h/beta#f",
        "",
    ] {
        let e = CoreClient::builder(StaticToken::new(TOKEN))
            .service_root(bad)
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{bad:?}: {e:?}");
    }
    let e = CoreClient::builder(StaticToken::new(TOKEN))
        .user_agent_suffix("bad\nsuffix")
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");

    let client = CoreClient::new(StaticToken::new(TOKEN));
    assert_eq!(client.service_root(), "https://graph.microsoft.com/beta");
    assert_eq!(client.cloud(), &Cloud::Global);
    assert_eq!(
        client.cloud().token_scope(),
        "https://graph.microsoft.com/.default"
    );
}

#[tokio::test]
async fn bring_your_own_http_client() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    // reqwest needs a crypto provider before a client is built.
    graph_core::ensure_crypto_provider().unwrap();
    let http = graph_core::reqwest::Client::builder().build().unwrap();
    let client = CoreClient::builder(StaticToken::new(TOKEN))
        .service_root(format!("{}/beta/", server.uri()))
        .http_client(http)
        .build()
        .unwrap();
    client
        .request(&ADD_OWNER, owner_path("x"), decode::empty)
        .await
        .unwrap();
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn builder_output_can_be_a_wrapper() {
    #[derive(Debug)]
    struct Wrapper(CoreClient);
    impl From<CoreClient> for Wrapper {
        fn from(c: CoreClient) -> Self {
            Wrapper(c)
        }
    }
    let w: Wrapper = graph_core::ClientBuilder::<Wrapper>::new(StaticToken::new(TOKEN))
        .cloud(Cloud::China)
        .build()
        .unwrap();
    assert_eq!(
        w.0.service_root(),
        "https://microsoftgraph.chinacloudapi.cn/beta"
    );
}

#[tokio::test]
async fn tokens_never_appear_in_debug_or_display() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401).set_body_json(graph_error_body(
            "InvalidAuthenticationToken",
            "Access token is empty.",
        )))
        .mount(&server)
        .await;
    let credential = StaticToken::new(TOKEN);
    let client = client_for(&server).await;
    let request = client
        .request(&ADD_OWNER, owner_path("x"), decode::empty)
        .header("X-Custom", "value")
        .json_body(&serde_json::json!({}));
    let request_debug = format!("{request:?}");
    let e = request.await.unwrap_err();
    let texts = [
        format!("{credential:?}"),
        format!("{client:?}"),
        request_debug,
        format!("{e:?}"),
        e.to_string(),
        format!("{:?}", AccessToken::new(TOKEN)),
        format!("{:?}", CoreClient::builder(StaticToken::new(TOKEN))),
    ];
    for text in texts {
        assert!(!text.contains(TOKEN) && !text.contains("SECRET"), "{text}");
    }
    assert!(format!("{client:?}").contains(&format!("{}/beta", server.uri())));
}

/// Without any TLS feature and without an installed provider, building fails with a typed
/// error instead of panicking. (Only compiled with `--no-default-features`.)
#[cfg(not(any(feature = "rustls-ring", feature = "rustls-aws-lc-rs")))]
#[test]
fn missing_crypto_provider_is_a_config_error() {
    let e = CoreClient::builder(StaticToken::new(TOKEN))
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Config { .. }), "{e:?}");
    let client = CoreClient::new(StaticToken::new(TOKEN));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let e = rt
        .block_on(
            client
                .request(&ADD_OWNER, owner_path("x"), decode::empty)
                .into_future(),
        )
        .unwrap_err();
    assert!(matches!(e, Error::Config { .. }), "{e:?}");
}
