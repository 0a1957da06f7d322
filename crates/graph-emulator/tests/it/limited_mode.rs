//! Operation 2: PATCH /copilot/admin/settings/limitedMode.

use graph_emulator::{Emulator, LimitedMode, Seed};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn enables_for_a_group_and_returns_the_updated_object() {
    let graph = seeded().await;
    let response = patch_limited_mode(
        &graph,
        &json!({"@odata.type": "#microsoft.graph.copilotAdminLimitedMode", "isEnabledForGroup": true, "groupId": GROUP}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body = body_json(response).await;
    assert_eq!(
        body,
        json!({
            "@odata.context": format!("{}/$metadata#copilot/admin/settings/limitedMode/$entity", graph.base_url()),
            "@odata.type": "#microsoft.graph.copilotAdminLimitedMode",
            "isEnabledForGroup": true,
            "groupId": GROUP,
        })
    );
    let state = graph.state().limited_mode;
    assert_eq!(state.is_enabled_for_group, Some(true));
    assert_eq!(state.group_id.as_deref(), Some(GROUP));
}

#[tokio::test]
async fn absent_fields_stay_and_explicit_null_clears() {
    let graph = seeded().await;
    assert_eq!(
        patch_limited_mode(
            &graph,
            &json!({"isEnabledForGroup": true, "groupId": GROUP})
        )
        .await
        .status(),
        200
    );
    // Only isEnabledForGroup: groupId stays.
    let body =
        body_json(patch_limited_mode(&graph, &json!({"isEnabledForGroup": false})).await).await;
    assert_eq!(body["groupId"], GROUP);
    assert_eq!(body["isEnabledForGroup"], false);
    // An empty PATCH changes nothing.
    let body = body_json(patch_limited_mode(&graph, &json!({})).await).await;
    assert_eq!(
        (
            body["groupId"].as_str(),
            body["isEnabledForGroup"].as_bool()
        ),
        (Some(GROUP), Some(false))
    );
    // Turning it off as the docs say: explicit null clears.
    let body = body_json(
        patch_limited_mode(
            &graph,
            &json!({"isEnabledForGroup": false, "groupId": null}),
        )
        .await,
    )
    .await;
    assert_eq!(body["groupId"], serde_json::Value::Null);
    assert!(body.as_object().unwrap().contains_key("groupId"));
    assert_eq!(graph.state().limited_mode, LimitedMode::default());
    // null on the nullable boolean too.
    let body =
        body_json(patch_limited_mode(&graph, &json!({"isEnabledForGroup": null})).await).await;
    assert_eq!(body["isEnabledForGroup"], serde_json::Value::Null);
    assert_eq!(graph.state().limited_mode.is_enabled_for_group, None);
}

#[tokio::test]
async fn enabling_without_a_group_is_400_and_changes_nothing() {
    let graph = seeded().await;
    let response = patch_limited_mode(&graph, &json!({"isEnabledForGroup": true})).await;
    let message = expect_error(response, 400, "BadRequest").await;
    assert!(message.contains("groupId"), "{message}");
    // Clearing the group of an enabled setting is refused the same way.
    assert_eq!(
        patch_limited_mode(
            &graph,
            &json!({"isEnabledForGroup": true, "groupId": GROUP})
        )
        .await
        .status(),
        200
    );
    let response = patch_limited_mode(&graph, &json!({"groupId": null})).await;
    expect_error(response, 400, "BadRequest").await;
    assert_eq!(graph.state().limited_mode.group_id.as_deref(), Some(GROUP));
}

#[tokio::test]
async fn unknown_group_is_404() {
    let graph = seeded().await;
    let response = patch_limited_mode(
        &graph,
        &json!({"isEnabledForGroup": true, "groupId": "no-such-group"}),
    )
    .await;
    let message = expect_error(response, 404, "Request_ResourceNotFound").await;
    assert!(message.contains("no-such-group"));
    assert_eq!(graph.state().limited_mode, LimitedMode::default());
}

#[tokio::test]
async fn unknown_mistyped_and_read_only_properties_are_400() {
    let graph = seeded().await;
    let cases = [
        (
            json!({"isEnabledForGroup": true, "groupId": GROUP, "colour": "red"}),
            "colour",
            "does not exist on type 'microsoft.graph.copilotAdminLimitedMode'",
        ),
        (
            json!({"isEnabledForGroup": "true"}),
            "isEnabledForGroup",
            "must be a boolean or null",
        ),
        (json!({"groupId": 7}), "groupId", "must be a string or null"),
        (
            json!({"@odata.context": "https://graph.microsoft.com/beta/$metadata#copilot/admin/settings/limitedMode/$entity", "group@odata.bind": "x"}),
            "group@odata.bind",
            "not supported",
        ),
        (
            json!({"@odata.type": "#microsoft.graph.user"}),
            "@odata.type",
            "not assignable",
        ),
        (json!({"@odata.type": 1}), "@odata.type", "must be a string"),
    ];
    for (body, target, text) in cases {
        let response = patch_limited_mode(&graph, &body).await;
        assert_eq!(response.status(), 400, "{body}");
        let error = body_json(response).await;
        let message = assert_graph_error(&error, "BadRequest");
        assert!(message.contains(&format!("'{target}'")), "{message}");
        assert!(message.contains(text), "{message}");
        assert_eq!(error["error"]["target"], target);
    }
    let response = patch_limited_mode(&graph, &json!(["isEnabledForGroup"])).await;
    expect_error(response, 400, "BadRequest").await;
    assert_eq!(graph.state().limited_mode, LimitedMode::default());
}

#[tokio::test]
async fn seeded_setting_is_served_and_updated() {
    let seed = Seed::new().group(GROUP, "pilot").limited_mode(LimitedMode {
        group_id: Some(GROUP.into()),
        is_enabled_for_group: Some(true),
        ..LimitedMode::default()
    });
    let graph = Emulator::builder().seed(seed).start().await.unwrap();
    let body = body_json(patch_limited_mode(&graph, &json!({})).await).await;
    assert_eq!(
        (
            body["groupId"].as_str(),
            body["isEnabledForGroup"].as_bool()
        ),
        (Some(GROUP), Some(true))
    );
}

#[tokio::test]
async fn wrapped_value_shape_can_be_injected() {
    let graph = seeded().await;
    graph
        .faults()
        .on(LIMITED_MODE)
        .once(graph_emulator::Fault::WrapInValue);
    let body = body_json(
        patch_limited_mode(
            &graph,
            &json!({"isEnabledForGroup": true, "groupId": GROUP}),
        )
        .await,
    )
    .await;
    assert_eq!(
        body,
        json!({"value": {
            "@odata.type": "#microsoft.graph.copilotAdminLimitedMode",
            "isEnabledForGroup": true,
            "groupId": GROUP,
        }})
    );
    // The update itself happened.
    assert_eq!(graph.state().limited_mode.is_enabled_for_group, Some(true));
    // Only once.
    let body = body_json(patch_limited_mode(&graph, &json!({})).await).await;
    assert!(body.get("value").is_none());
}
