//! Operation 2, end to end through the generated builders:
//! `PATCH /copilot/admin/settings/limitedMode`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use graph_beta::prelude::*;
use serde_json::json;
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The documented 200 response of the update, unwrapped.
fn updated_object(enabled: bool, group: Option<&str>) -> serde_json::Value {
    json!({
        "@odata.type": "#microsoft.graph.copilotAdminLimitedMode",
        "id": "limitedMode",
        "isEnabledForGroup": enabled,
        "groupId": group,
    })
}

/// Mounts a 200 answer echoing `updated_object(true, GROUP_ID)`.
async fn ok_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200).set_body_json(updated_object(true, Some(GROUP_ID))),
        )
        .mount(&server)
        .await;
    server
}

/// Sends `body` and returns the raw request body as received by the server.
async fn sent_body(body: &CopilotAdminLimitedMode) -> String {
    let server = ok_server().await;
    patch_limited_mode(&client_for(&server), body)
        .await
        .unwrap();
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 1);
    String::from_utf8(reqs[0].body.clone()).unwrap()
}

fn as_json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

// ---------------------------------------------------------------------------------------
// Request shape and tri-state bodies
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn sends_exact_method_path_headers_and_body() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(LIMITED_MODE_PATH))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(updated_object(true, Some(GROUP_ID))),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server);

    let updated = patch_limited_mode(&client, &enable_for_group())
        .await
        .unwrap();
    assert_eq!(updated.is_enabled_for_group, Nullable::Value(true));
    assert_eq!(updated.group_id, Nullable::Value(GROUP_ID.to_owned()));
    assert_eq!(updated.id.as_deref(), Some("limitedMode"));
    assert_eq!(
        updated.odata_type.as_deref(),
        Some(CopilotAdminLimitedMode::ODATA_TYPE)
    );

    let reqs = received(&server).await;
    let r = &reqs[0];
    assert_eq!(r.method.as_str(), "PATCH");
    assert_eq!(r.url.path(), LIMITED_MODE_PATH);
    assert_eq!(r.url.query(), None);
    assert_eq!(
        header(r, "authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(header(r, "accept"), Some("application/json"));
    assert_eq!(header(r, "content-type"), Some("application/json"));
    assert!(
        header(r, "user-agent")
            .unwrap()
            .starts_with("graph-beta-rs/")
    );
    assert!(is_uuid(header(r, "client-request-id").unwrap()));
    assert_eq!(header(r, "retry-attempt"), None);
    let body = String::from_utf8(r.body.clone()).unwrap();
    assert_eq!(
        as_json(&body),
        json!({ "isEnabledForGroup": true, "groupId": GROUP_ID })
    );
    // Nothing else rides along: no id, no @odata.type, no annotations.
    assert_eq!(as_json(&body).as_object().unwrap().len(), 2, "{body}");
}

#[tokio::test]
async fn enable_for_group_body_is_exact() {
    let body = sent_body(&CopilotAdminLimitedMode {
        is_enabled_for_group: true.into(),
        group_id: Nullable::Value("g".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(
        as_json(&body),
        json!({"isEnabledForGroup": true, "groupId": "g"})
    );
    assert_eq!(body, r#"{"groupId":"g","isEnabledForGroup":true}"#);
}

#[tokio::test]
async fn turning_off_sends_an_explicit_null_group() {
    let body = sent_body(&CopilotAdminLimitedMode {
        is_enabled_for_group: false.into(),
        group_id: Nullable::Null,
        ..Default::default()
    })
    .await;
    assert_eq!(
        as_json(&body),
        json!({"isEnabledForGroup": false, "groupId": null})
    );
    assert!(body.contains(r#""groupId":null"#), "{body}");
}

#[tokio::test]
async fn unset_fields_are_absent_from_the_body() {
    let only_flag = sent_body(&CopilotAdminLimitedMode {
        is_enabled_for_group: false.into(),
        ..Default::default()
    })
    .await;
    assert_eq!(only_flag, r#"{"isEnabledForGroup":false}"#);

    let only_group = sent_body(&CopilotAdminLimitedMode {
        group_id: Nullable::Value(GROUP_ID.into()),
        ..Default::default()
    })
    .await;
    assert_eq!(only_group, format!(r#"{{"groupId":"{GROUP_ID}"}}"#));

    let only_null_group = sent_body(&CopilotAdminLimitedMode {
        group_id: Nullable::Null,
        ..Default::default()
    })
    .await;
    assert_eq!(only_null_group, r#"{"groupId":null}"#);

    let nothing = sent_body(&CopilotAdminLimitedMode::default()).await;
    assert_eq!(nothing, "{}");
}

#[tokio::test]
async fn option_none_converts_to_explicit_null() {
    let group: Option<String> = None;
    let body = sent_body(&CopilotAdminLimitedMode {
        is_enabled_for_group: false.into(),
        group_id: group.into(),
        ..Default::default()
    })
    .await;
    assert_eq!(
        as_json(&body),
        json!({"isEnabledForGroup": false, "groupId": null})
    );
}

#[tokio::test]
async fn get_change_patch_sends_unknown_properties_but_no_annotations() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(updated_object(false, None)))
        .mount(&server)
        .await;
    let client = client_for(&server);

    // What a GET of the resource returns, with annotations and a property this
    // SDK version does not know.
    let fetched: CopilotAdminLimitedMode = serde_json::from_value(json!({
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#copilot/admin/settings/limitedMode/$entity",
        "@odata.etag": "W/\"JzEtTGltaXRlZE1vZGUi\"",
        "groupId@odata.navigationLink": "https://example.invalid/nav",
        "isEnabledForGroup": true,
        "groupId": GROUP_ID,
        "futureSetting": {"level": 2}
    }))
    .unwrap();
    assert_eq!(
        fetched
            .additional_properties
            .annotation("@odata.context")
            .and_then(|v| v.as_str()),
        Some(
            "https://graph.microsoft.com/beta/$metadata#copilot/admin/settings/limitedMode/$entity"
        )
    );
    assert!(
        fetched
            .additional_properties
            .annotation("@odata.etag")
            .is_some()
    );
    assert_eq!(
        fetched.additional_properties.get("futureSetting"),
        Some(&json!({"level": 2}))
    );

    let mut change = fetched;
    change.is_enabled_for_group = false.into();
    change.group_id = Nullable::Null;
    patch_limited_mode(&client, &change).await.unwrap();

    let reqs = received(&server).await;
    let sent: serde_json::Value = reqs[0].body_json().unwrap();
    assert_eq!(
        sent,
        json!({
            "isEnabledForGroup": false,
            "groupId": null,
            "futureSetting": {"level": 2}
        })
    );
    let raw = String::from_utf8(reqs[0].body.clone()).unwrap();
    assert!(!raw.contains('@'), "no annotation may be sent back: {raw}");
}

#[tokio::test]
async fn patch_response_annotations_are_readable_and_not_sent_back() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "https://graph.microsoft.com/beta/$metadata#copilot/admin/settings/limitedMode/$entity",
            "@odata.etag": "W/\"1\"",
            "isEnabledForGroup": true,
            "groupId": GROUP_ID,
            "unknownThing": "kept"
        })))
        .mount(&server)
        .await;
    let client = client_for(&server);
    let first = patch_limited_mode(&client, &enable_for_group())
        .await
        .unwrap();
    assert_eq!(first.additional_properties.annotations().count(), 2);
    assert_eq!(
        first.additional_properties.get("unknownThing"),
        Some(&json!("kept"))
    );
    // Send the response straight back.
    patch_limited_mode(&client, &first).await.unwrap();
    let reqs = received(&server).await;
    assert_eq!(
        reqs[1].body_json::<serde_json::Value>().unwrap(),
        json!({"isEnabledForGroup": true, "groupId": GROUP_ID, "unknownThing": "kept"})
    );
}

// ---------------------------------------------------------------------------------------
// Successful responses
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn ok_plain_object() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "https://graph.microsoft.com/beta/$metadata#copilot/admin/settings/limitedMode/$entity",
            "isEnabledForGroup": false,
            "groupId": null
        })))
        .mount(&server)
        .await;
    let updated = patch_limited_mode(
        &client_for(&server),
        &CopilotAdminLimitedMode {
            is_enabled_for_group: false.into(),
            group_id: Nullable::Null,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(updated.is_enabled_for_group, Nullable::Value(false));
    assert_eq!(updated.group_id, Nullable::Null);
    assert_eq!(updated.id, None);
}

#[tokio::test]
async fn ok_wrapped_in_value_returns_the_object_not_an_empty_one() {
    let server = MockServer::start().await;
    // The shape of the docs' example response.
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "https://graph.microsoft.com/beta/$metadata#microsoft.graph.copilotAdminLimitedMode",
            "value": {
                "@odata.type": "#microsoft.graph.copilotAdminLimitedMode",
                "isEnabledForGroup": true,
                "groupId": GROUP_ID
            }
        })))
        .mount(&server)
        .await;
    let updated = patch_limited_mode(&client_for(&server), &enable_for_group())
        .await
        .unwrap();
    assert_ne!(updated, CopilotAdminLimitedMode::default());
    assert_eq!(updated.is_enabled_for_group, Nullable::Value(true));
    assert_eq!(updated.group_id, Nullable::Value(GROUP_ID.to_owned()));
    assert_eq!(
        updated.odata_type.as_deref(),
        Some("#microsoft.graph.copilotAdminLimitedMode")
    );
    assert!(updated.additional_properties.get("value").is_none());
}

#[tokio::test]
async fn ok_without_odata_type_is_accepted() {
    // The schema lists @odata.type as required; real payloads often lack it.
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"isEnabledForGroup":true}"#))
        .mount(&server)
        .await;
    let updated = patch_limited_mode(&client_for(&server), &enable_for_group())
        .await
        .unwrap();
    assert_eq!(updated.is_enabled_for_group, Nullable::Value(true));
    assert_eq!(updated.group_id, Nullable::Absent);
    assert_eq!(updated.odata_type, None);
}

#[tokio::test]
async fn ok_with_empty_body_is_a_decode_error() {
    for body in ["", "  \r\n"] {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
        let e = patch_limited_mode(&client_for(&server), &enable_for_group())
            .await
            .unwrap_err();
        match &e {
            Error::Decode {
                operation_id,
                status,
                message,
                ..
            } => {
                assert_eq!(*operation_id, LIMITED_MODE_OP);
                assert_eq!(*status, 200);
                assert!(message.contains("empty"), "{message}");
            }
            other => panic!("{body:?}: expected Error::Decode, got {other:?}"),
        }
        assert_eq!(e.status(), Some(200));
        assert!(e.to_string().contains(LIMITED_MODE_OP), "{e}");
        assert_eq!(received(&server).await.len(), 1, "a 200 is not retried");
    }
}

#[tokio::test]
async fn no_content_is_a_decode_error_never_an_empty_object() {
    // The operation documents 200 with the object. A bodiless 2xx cannot produce one;
    // the caller is told (with the status) rather than handed an empty object.
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let e = patch_limited_mode(&client_for(&server), &enable_for_group())
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Decode { status: 204, .. }),
        "expected a decode error for 204, got {e:?}"
    );
}

#[tokio::test]
async fn ok_with_html_or_wrong_types_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>proxy login</html>"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"isEnabledForGroup":"yes"}"#))
        .mount(&server)
        .await;
    let client = client_for(&server);
    let e = patch_limited_mode(&client, &enable_for_group())
        .await
        .unwrap_err();
    let Error::Decode { body_excerpt, .. } = &e else {
        panic!("expected Error::Decode, got {e:?}")
    };
    assert_eq!(body_excerpt, "<html>proxy login</html>");
    assert!(e.to_string().contains("<html>proxy login</html>"), "{e}");
    let e = patch_limited_mode(&client, &enable_for_group())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Decode { status: 200, .. }), "{e:?}");
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn bad_request_group_id_required() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(400).set_body_json(graph_error(
            "BadRequest",
            "groupId must be provided when isEnabledForGroup is true.",
        )))
        .mount(&server)
        .await;
    let e = patch_limited_mode(
        &client_for(&server),
        &CopilotAdminLimitedMode {
            is_enabled_for_group: true.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    let s = service(&e);
    assert_eq!(s.status, 400);
    assert_eq!(s.operation_id, LIMITED_MODE_OP);
    assert_eq!(s.code(), Some("BadRequest"));
    assert!(e.to_string().contains("groupId must be provided"), "{e}");
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn unauthorized_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401).set_body_json(graph_error(
            "InvalidAuthenticationToken",
            "Access token is empty.",
        )))
        .mount(&server)
        .await;
    let e = patch_limited_mode(&client_for(&server), &enable_for_group())
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert_eq!(service(&e).code(), Some("InvalidAuthenticationToken"));
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn forbidden_names_the_documented_permissions() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("request-id", "rid-403")
                .set_body_json(graph_error(
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.",
                )),
        )
        .mount(&server)
        .await;
    let e = patch_limited_mode(&client_for(&server), &enable_for_group())
        .await
        .unwrap_err();
    let s = service(&e);
    assert_eq!(s.status, 403);
    assert_eq!(s.request_id(), Some("rid-403"));
    let text = e.to_string();
    assert!(text.contains("HTTP 403 Forbidden"), "{text}");
    assert!(text.contains("Authorization_RequestDenied"), "{text}");
    assert!(
        text.contains("CopilotSettings-LimitedMode.ReadWrite"),
        "{text}"
    );
    // Application permissions are not supported by this operation; say so.
    assert!(text.contains("application: not supported"), "{text}");
    assert!(text.contains("rid-403"), "{text}");
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn not_found() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_json(graph_error(
            "ResourceNotFound",
            "Resource not found for the segment 'limitedMode'.",
        )))
        .mount(&server)
        .await;
    let e = patch_limited_mode(&client_for(&server), &enable_for_group())
        .await
        .unwrap_err();
    assert_eq!(service(&e).status, 404);
    assert_eq!(service(&e).code(), Some("ResourceNotFound"));
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn throttled_then_ok() {
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
        .respond_with(
            ResponseTemplate::new(200).set_body_json(updated_object(true, Some(GROUP_ID))),
        )
        .mount(&server)
        .await;
    let updated = patch_limited_mode(&client_for(&server), &enable_for_group())
        .await
        .unwrap();
    assert_eq!(updated.is_enabled_for_group, Nullable::Value(true));
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 2);
    assert_eq!(header(&reqs[0], "retry-attempt"), None);
    assert_eq!(header(&reqs[1], "retry-attempt"), Some("1"));
    assert_eq!(
        header(&reqs[0], "client-request-id"),
        header(&reqs[1], "client-request-id")
    );
    assert_eq!(reqs[0].body, reqs[1].body);
    assert_eq!(reqs[1].method.as_str(), "PATCH");
}

#[tokio::test]
async fn throttled_with_http_date_retry_after() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", http_date_in_the_past().as_str()),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200).set_body_json(updated_object(true, Some(GROUP_ID))),
        )
        .mount(&server)
        .await;
    patch_limited_mode(&client_for(&server), &enable_for_group())
        .await
        .unwrap();
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 2);
    assert_eq!(header(&reqs[1], "retry-attempt"), Some("1"));
}

#[tokio::test]
async fn throttled_with_far_http_date_returns_the_wait() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", http_date_in_an_hour().as_str()),
        )
        .mount(&server)
        .await;
    let e = patch_limited_mode(&client_for(&server), &enable_for_group())
        .await
        .unwrap_err();
    assert!(e.is_throttled());
    let wait = e.retry_after().expect("Retry-After is reported");
    assert!(wait > Duration::from_secs(3000), "{wait:?}");
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn throttled_until_the_policy_gives_up() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "0")
                .set_body_json(graph_error("TooManyRequests", "Too many requests.")),
        )
        .mount(&server)
        .await;
    let e = patch_limited_mode(&client_with(&server, fast_retries(3)), &enable_for_group())
        .await
        .unwrap_err();
    assert!(e.is_throttled());
    assert_eq!(service(&e).code(), Some("TooManyRequests"));
    assert_eq!(e.retry_after(), Some(Duration::ZERO));
    let reqs = received(&server).await;
    let attempts: Vec<_> = reqs.iter().map(|r| header(r, "retry-attempt")).collect();
    assert_eq!(attempts, [None, Some("1"), Some("2"), Some("3")]);
}

#[tokio::test]
async fn per_request_policy_overrides_the_client() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let client = client_for(&server);
    let e = bounded(
        client
            .copilot()
            .admin()
            .settings()
            .limited_mode()
            .patch(&enable_for_group())
            .retry_policy(RetryPolicy::none()),
    )
    .await
    .unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn internal_server_error_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(graph_error("InternalServerError", "Something went wrong.")),
        )
        .mount(&server)
        .await;
    let e = patch_limited_mode(&client_for(&server), &enable_for_group())
        .await
        .unwrap_err();
    let s = service(&e);
    assert_eq!(s.status, 500);
    assert_eq!(s.code(), Some("InternalServerError"));
    let text = e.to_string();
    assert!(
        text.contains("HTTP 500 Internal Server Error from copilot.admin.settings.UpdateLimitedMode: InternalServerError: Something went wrong."),
        "{text}"
    );
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn bad_gateway_html_is_not_retried_and_keeps_raw_text() {
    let server = MockServer::start().await;
    let html = "<!DOCTYPE html>\n<html><body>\n  <h1>502 -   Web server received an invalid response</h1>\n</body></html>";
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(502)
                .insert_header("content-type", "text/html")
                .set_body_string(html),
        )
        .mount(&server)
        .await;
    let e = patch_limited_mode(&client_for(&server), &enable_for_group())
        .await
        .unwrap_err();
    let s = service(&e);
    assert_eq!(s.status, 502);
    assert!(s.error.is_none());
    assert_eq!(s.raw_body, html);
    // Display collapses whitespace but keeps the text.
    assert!(
        e.to_string()
            .contains("<h1>502 - Web server received an invalid response</h1>"),
        "{e}"
    );
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn unavailable_and_gateway_timeout_are_retried_up_to_the_max() {
    for status in [503u16, 504] {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(status).set_body_string(""))
            .mount(&server)
            .await;
        let e = patch_limited_mode(&client_with(&server, fast_retries(3)), &enable_for_group())
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(status));
        assert!(e.to_string().contains("(empty body)"), "{e}");
        let reqs = received(&server).await;
        assert_eq!(reqs.len(), 4, "{status}: 1 attempt + 3 retries");
        let attempts: Vec<_> = reqs.iter().map(|r| header(r, "retry-attempt")).collect();
        assert_eq!(
            attempts,
            [None, Some("1"), Some("2"), Some("3")],
            "{status}"
        );
        assert!(reqs.iter().all(|r| r.body == reqs[0].body));
    }
}

#[tokio::test]
async fn gateway_timeout_then_ok() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(504))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(updated_object(false, None)))
        .mount(&server)
        .await;
    let updated = patch_limited_mode(&client_for(&server), &enable_for_group())
        .await
        .unwrap();
    assert_eq!(updated.is_enabled_for_group, Nullable::Value(false));
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn empty_error_body() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let e = patch_limited_mode(&client_for(&server), &enable_for_group())
        .await
        .unwrap_err();
    let s = service(&e);
    assert_eq!(s.status, 403);
    assert!(s.error.is_none());
    let text = e.to_string();
    assert!(text.contains("(empty body)"), "{text}");
    // Even without a body, a 403 says which permission is needed.
    assert!(
        text.contains("CopilotSettings-LimitedMode.ReadWrite"),
        "{text}"
    );
}

#[tokio::test]
async fn error_without_code_or_message_still_has_text() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(400).set_body_string(r#"{"error":{}}"#))
        .mount(&server)
        .await;
    let e = patch_limited_mode(&client_for(&server), &enable_for_group())
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with("HTTP 400 Bad Request from copilot.admin.settings.UpdateLimitedMode"),
        "{text}"
    );
    assert!(!text.contains("Exception of type"), "{text}");
}

/// A 200 whose only property is a `value` that is not an object (`null`, an array, a
/// string) cannot hold the updated object. `graph_core::decode::json_unwrap_value` only
/// unwraps object values and otherwise decodes the whole body, so today these come back as
/// `Ok` with every declared field absent and `"value"` parked in `additional_properties`
/// (which a later PATCH of that object would even send back as `"value": null`).
#[tokio::test]
async fn wrapped_non_object_value_is_not_a_silently_empty_object() {
    for body in [
        r#"{"value":null}"#,
        r#"{"value":[]}"#,
        r#"{"@odata.context":"x","value":"s"}"#,
    ] {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
        let result = patch_limited_mode(&client_for(&server), &enable_for_group()).await;
        assert!(
            matches!(result, Err(Error::Decode { status: 200, .. })),
            "{body} -> {result:?}"
        );
    }
}
