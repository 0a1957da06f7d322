//! Operation 2 end to end, SDK → emulator: `PATCH /copilot/admin/settings/limitedMode`.
//!
//! Each test asserts both the typed result and the emulator's state and request log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod emulator_common;

use emulator_common::*;
use graph_beta::prelude::*;
use graph_emulator::{Emulator, LimitedMode, Seed};
use serde_json::json;

/// A tenant whose limited mode is already on for [`GROUP`].
async fn enabled_emulator() -> Emulator {
    Emulator::builder()
        .seed(tenant())
        .seed(Seed::new().limited_mode(LimitedMode {
            group_id: Some(GROUP.into()),
            is_enabled_for_group: Some(true),
            additional: Default::default(),
        }))
        .start()
        .await
        .unwrap()
}

fn assert_state(graph: &Emulator, enabled: Option<bool>, group: Option<&str>) {
    let lm = graph.state().limited_mode;
    assert_eq!(lm.is_enabled_for_group, enabled, "{lm:?}");
    assert_eq!(lm.group_id.as_deref(), group, "{lm:?}");
    assert!(lm.additional.is_empty(), "{lm:?}");
}

#[tokio::test]
async fn patch_returns_the_updated_object_with_its_fields() {
    let graph = emulator().await;
    let client = client(&graph);
    assert_state(&graph, Some(false), None);

    let updated = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap();

    assert_eq!(updated.is_enabled_for_group, Nullable::Value(true));
    assert_eq!(updated.group_id, Nullable::Value(GROUP.to_owned()));
    assert_eq!(
        updated.odata_type.as_deref(),
        Some(CopilotAdminLimitedMode::ODATA_TYPE)
    );
    let context = updated
        .additional_properties
        .annotation("@odata.context")
        .and_then(|v| v.as_str())
        .unwrap();
    assert_eq!(
        context,
        format!(
            "{}/$metadata#copilot/admin/settings/limitedMode/$entity",
            graph.base_url()
        )
    );
    // Nothing but the annotation landed in the bag.
    assert_eq!(updated.additional_properties.properties().count(), 0);

    assert_state(&graph, Some(true), Some(GROUP));
    let r = only_request(&graph);
    assert_eq!(r.method, "PATCH");
    assert_eq!(r.path, LIMITED_MODE_PATH);
    assert_eq!(r.operation_id.as_deref(), Some(LIMITED_MODE_OP));
    assert_eq!(r.status, Some(200));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.body_json(),
        Some(json!({"isEnabledForGroup": true, "groupId": GROUP}))
    );
}

#[tokio::test]
async fn turn_on_for_a_group_then_off_with_explicit_null() {
    let graph = emulator().await;
    let client = client(&graph);

    let on = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap();
    assert_eq!(on.is_enabled_for_group, Nullable::Value(true));
    assert_state(&graph, Some(true), Some(GROUP));

    let off = patch_limited_mode(&client, &turn_off()).await.unwrap();
    assert_eq!(off.is_enabled_for_group, Nullable::Value(false));
    assert_eq!(off.group_id, Nullable::Null);
    assert_state(&graph, Some(false), None);

    let log = graph.requests();
    assert_eq!(log.len(), 2);
    // The explicit null is on the wire (and distinguishable from an absent member).
    assert_eq!(
        log[1].body_json(),
        Some(json!({"isEnabledForGroup": false, "groupId": null}))
    );
    assert!(log[1].body_text().unwrap().contains(r#""groupId":null"#));
}

#[tokio::test]
async fn absent_fields_are_not_sent_and_stay_unchanged() {
    let graph = enabled_emulator().await;
    let client = client(&graph);

    // Only the group changes; isEnabledForGroup is not sent and stays true.
    let moved = patch_limited_mode(
        &client,
        &CopilotAdminLimitedMode {
            group_id: Nullable::Value(GROUP2.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(moved.is_enabled_for_group, Nullable::Value(true));
    assert_eq!(moved.group_id, Nullable::Value(GROUP2.to_owned()));
    assert_state(&graph, Some(true), Some(GROUP2));

    // An empty model sends `{}` and changes nothing.
    let same = patch_limited_mode(&client, &CopilotAdminLimitedMode::default())
        .await
        .unwrap();
    assert_eq!(same.is_enabled_for_group, Nullable::Value(true));
    assert_eq!(same.group_id, Nullable::Value(GROUP2.to_owned()));
    assert_state(&graph, Some(true), Some(GROUP2));

    let log = graph.requests();
    assert_eq!(log[0].body_json(), Some(json!({"groupId": GROUP2})));
    assert_eq!(log[1].body_json(), Some(json!({})));
}

#[tokio::test]
async fn enabling_without_a_group_is_400() {
    let graph = emulator().await;
    let client = client(&graph);

    let err = patch_limited_mode(
        &client,
        &CopilotAdminLimitedMode {
            is_enabled_for_group: true.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();

    let svc = expect_service(&err, 400, "BadRequest");
    assert_eq!(
        svc.error.as_ref().unwrap().target.as_deref(),
        Some("groupId")
    );
    assert!(svc.message().unwrap().contains("groupId"), "{err}");
    assert_eq!(
        only_request(&graph).body_json(),
        Some(json!({"isEnabledForGroup": true}))
    );
    assert_state(&graph, Some(false), None);
}

#[tokio::test]
async fn enabling_with_an_explicit_null_group_is_400() {
    let graph = enabled_emulator().await;
    let client = client(&graph);

    let err = patch_limited_mode(
        &client,
        &CopilotAdminLimitedMode {
            is_enabled_for_group: true.into(),
            group_id: Nullable::Null,
            ..Default::default()
        },
    )
    .await
    .unwrap_err();

    expect_service(&err, 400, "BadRequest");
    assert_state(&graph, Some(true), Some(GROUP));
}

#[tokio::test]
async fn unknown_group_is_404() {
    let graph = emulator().await;
    let client = client(&graph);

    let err = patch_limited_mode(&client, &enable_for("no-such-group"))
        .await
        .unwrap_err();

    let svc = expect_service(&err, 404, "Request_ResourceNotFound");
    assert!(svc.message().unwrap().contains("'no-such-group'"), "{err}");
    assert_eq!(only_request(&graph).status, Some(404));
    assert_state(&graph, Some(false), None);
}

#[tokio::test]
async fn unknown_property_is_400_naming_it() {
    let graph = emulator().await;
    let client = client(&graph);
    let mut body = enable_for(GROUP);
    body.additional_properties
        .insert("colourOfTheDay", json!("blue"));

    let err = patch_limited_mode(&client, &body).await.unwrap_err();

    let svc = expect_service(&err, 400, "BadRequest");
    assert!(svc.message().unwrap().contains("'colourOfTheDay'"), "{err}");
    assert!(err.to_string().contains("colourOfTheDay"), "{err}");
    // The SDK did send the open-type property (unknown properties round-trip).
    assert_eq!(
        only_request(&graph).body_json(),
        Some(json!({"isEnabledForGroup": true, "groupId": GROUP, "colourOfTheDay": "blue"}))
    );
    assert_state(&graph, Some(false), None);
}

#[tokio::test]
async fn wrong_odata_type_is_400() {
    let graph = emulator().await;
    let client = client(&graph);
    let mut body = enable_for(GROUP);
    body.odata_type = Some("#microsoft.graph.user".into());
    let err = patch_limited_mode(&client, &body).await.unwrap_err();
    let svc = expect_service(&err, 400, "BadRequest");
    assert!(svc.message().unwrap().contains("@odata.type"), "{err}");
    assert_state(&graph, Some(false), None);
}

#[tokio::test]
async fn returned_object_patched_back_does_not_send_annotations() {
    let graph = emulator().await;
    let client = client(&graph);

    let got = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap();
    assert!(
        got.additional_properties
            .annotation("@odata.context")
            .is_some()
    );

    let again = patch_limited_mode(&client, &got).await.unwrap();

    assert_eq!(again.is_enabled_for_group, got.is_enabled_for_group);
    assert_eq!(again.group_id, got.group_id);
    assert_state(&graph, Some(true), Some(GROUP));
    let log = graph.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].status, Some(200));
    let sent = log[1].body_json().unwrap();
    let sent = sent.as_object().unwrap();
    assert!(!sent.contains_key("@odata.context"), "{sent:?}");
    assert!(
        sent.keys().all(|k| !k.contains('@') || k == "@odata.type"),
        "only declared members may be sent: {sent:?}"
    );
    assert_eq!(sent.get("groupId"), Some(&json!(GROUP)));
    assert_eq!(sent.get("isEnabledForGroup"), Some(&json!(true)));
}

#[tokio::test]
async fn read_modify_write_turns_it_off() {
    let graph = enabled_emulator().await;
    let client = client(&graph);

    let mut current = patch_limited_mode(&client, &CopilotAdminLimitedMode::default())
        .await
        .unwrap();
    current.is_enabled_for_group = false.into();
    current.group_id = Nullable::Null;
    let off = patch_limited_mode(&client, &current).await.unwrap();

    assert_eq!(off.is_enabled_for_group, Nullable::Value(false));
    assert_eq!(off.group_id, Nullable::Null);
    assert_state(&graph, Some(false), None);
    let sent = graph.requests()[1].body_json().unwrap();
    assert_eq!(sent.get("groupId"), Some(&json!(null)));
    assert!(sent.get("@odata.context").is_none(), "{sent}");
}

#[tokio::test]
async fn explicit_null_for_is_enabled_clears_it() {
    let graph = emulator().await;
    let client = client(&graph);
    let cleared = patch_limited_mode(
        &client,
        &CopilotAdminLimitedMode {
            is_enabled_for_group: Nullable::Null,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(cleared.is_enabled_for_group, Nullable::Null);
    assert_eq!(cleared.group_id, Nullable::Null);
    assert_state(&graph, None, None);
    assert_eq!(
        only_request(&graph).body_json(),
        Some(json!({"isEnabledForGroup": null}))
    );
}

#[tokio::test]
async fn members_inserted_into_additional_properties_are_sent_as_written() {
    // What the caller inserts is sent, annotation-shaped or not (that is how a client-side
    // `x@odata.bind` gets out); only annotations *received* are held back. An instance
    // annotation such as `@odata.etag` is ignored on write by the service (the emulator does
    // the same), so the update goes through.
    let graph = emulator().await;
    let client = client(&graph);
    let mut body = enable_for(GROUP);
    body.additional_properties
        .insert("@odata.etag", json!("W/\"1\""));

    patch_limited_mode(&client, &body).await.unwrap();

    assert_eq!(
        only_request(&graph).body_json(),
        Some(json!({"isEnabledForGroup": true, "groupId": GROUP, "@odata.etag": "W/\"1\""}))
    );
    assert_state(&graph, Some(true), Some(GROUP));
}
