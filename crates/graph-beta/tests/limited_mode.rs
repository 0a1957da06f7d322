//! Operation 2, end to end through the generated builders:
//! `PATCH /copilot/admin/settings/limitedMode`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

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
// Errors the emulator never produces (Graph's own errors, permissions, throttling and
// retries are tested through the emulator in emulator_limited_mode.rs / emulator_faults.rs)
// ---------------------------------------------------------------------------------------

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
