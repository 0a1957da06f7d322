//! Behaviour that follows the spec text, not code: a property added to the slice is accepted.

use graph_emulator::{DEFAULT_SPEC, Emulator, Error, HookResponse, Seed};
use serde_json::json;

use crate::common::*;

/// The slice with a new nullable string property on copilotAdminLimitedMode and a new action
/// that no generic rule covers.
fn extended_spec() -> String {
    let anchor = "            isEnabledForGroup:\n";
    assert_eq!(
        DEFAULT_SPEC.matches(anchor).count(),
        1,
        "the slice changed shape; update this test"
    );
    let with_property = DEFAULT_SPEC.replace(
        anchor,
        "            meetingScope:\n              type: string\n              nullable: true\n              enum: [allMeetings, scheduledOnly, null]\n            reviewDays:\n              type: integer\n            isEnabledForGroup:\n",
    );
    let paths = "paths:\n";
    with_property.replacen(
        paths,
        "paths:\n  '/copilot/admin/settings/microsoft.graph.reset':\n    post:\n      operationId: copilot.admin.settings.reset\n      responses:\n        '204':\n          description: Success\n      x-ms-docs-operation-type: action\n",
        1,
    )
}

#[tokio::test]
async fn a_property_added_to_the_spec_is_accepted_stored_and_echoed() {
    let graph = Emulator::builder()
        .spec_yaml(extended_spec())
        .seed(tenant())
        .start()
        .await
        .unwrap();
    let response = patch_limited_mode(
        &graph,
        &json!({"meetingScope": "scheduledOnly", "reviewDays": 30, "isEnabledForGroup": false}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body = body_json(response).await;
    assert_eq!(body["meetingScope"], "scheduledOnly");
    assert_eq!(body["reviewDays"], 30);
    let stored = graph.state().limited_mode.additional;
    assert_eq!(stored.get("meetingScope"), Some(&json!("scheduledOnly")));
    assert_eq!(stored.get("reviewDays"), Some(&json!(30)));

    // It is validated like the others: type, enum, nullability.
    for (bad, target) in [
        (json!({"meetingScope": 5}), "meetingScope"),
        (json!({"meetingScope": "sometimes"}), "meetingScope"),
        (json!({"reviewDays": 1.5}), "reviewDays"),
        (json!({"reviewDays": null}), "reviewDays"),
    ] {
        let error = body_json(patch_limited_mode(&graph, &bad).await).await;
        assert_graph_error(&error, "BadRequest");
        assert_eq!(error["error"]["target"], target, "{bad}");
    }
    // Explicit null clears a nullable one.
    let body = body_json(patch_limited_mode(&graph, &json!({"meetingScope": null})).await).await;
    assert_eq!(body["meetingScope"], serde_json::Value::Null);
    assert_eq!(body["reviewDays"], 30);

    // The embedded slice still refuses it.
    let plain = seeded().await;
    let response = patch_limited_mode(&plain, &json!({"meetingScope": "scheduledOnly"})).await;
    expect_error(response, 400, "BadRequest").await;
}

#[tokio::test]
async fn an_action_without_a_hook_is_routed_and_answers_501() {
    let graph = Emulator::builder()
        .spec_yaml(extended_spec())
        .start()
        .await
        .unwrap();
    let response = client()
        .post(format!(
            "{}/copilot/admin/settings/microsoft.graph.reset",
            graph.base_url()
        ))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    let message = expect_error(response, 501, "NotImplemented").await;
    assert!(
        message.contains("copilot.admin.settings.reset"),
        "{message}"
    );
    assert_eq!(
        graph.requests()[0].operation_id.as_deref(),
        Some("copilot.admin.settings.reset")
    );
}

#[tokio::test]
async fn a_hook_answers_for_an_action_and_sees_the_store() {
    let graph = Emulator::builder()
        .spec_yaml(extended_spec())
        .seed(tenant())
        .hook("copilot.admin.settings.reset", |request, store| {
            assert_eq!(request.method, "POST");
            store.reset_singleton("copilot/admin/settings/limitedMode");
            HookResponse::Empty(204)
        })
        .start()
        .await
        .unwrap();
    assert_eq!(
        patch_limited_mode(
            &graph,
            &json!({"isEnabledForGroup": true, "groupId": GROUP})
        )
        .await
        .status(),
        200
    );
    let response = client()
        .post(format!(
            "{}/copilot/admin/settings/microsoft.graph.reset",
            graph.base_url()
        ))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(graph.state().limited_mode.is_enabled_for_group, Some(false));
    // A hook on an operation the spec does not have is refused at start.
    let unknown = Emulator::builder()
        .hook("no.such.op", |_, _| HookResponse::Empty(204))
        .start()
        .await;
    assert!(matches!(unknown, Err(Error::UnknownHook(id)) if id == "no.such.op"));
}

#[tokio::test]
async fn an_unusable_spec_is_an_error() {
    for yaml in ["openapi: [", "openapi: 3.0.4\ninfo: {}\n"] {
        match Emulator::builder().spec_yaml(yaml).start().await {
            Err(Error::Spec(_)) => {}
            other => panic!("{yaml:?}: {other:?}"),
        }
    }
}

/// The slice plus Graph's `GET /users/{user-id}` (the shape of Microsoft's canonical
/// description), a route outside the slice that a test can serve by extending the spec.
pub(crate) fn spec_with_get_user() -> String {
    DEFAULT_SPEC.replacen(
        "paths:\n",
        "paths:\n  '/users/{user-id}':\n    get:\n      tags:\n        - users.user\n      summary: Get user\n      operationId: users.user.GetUser\n      parameters:\n        - name: user-id\n          in: path\n          description: The unique identifier of user\n          required: true\n          schema:\n            type: string\n          x-ms-docs-key-type: user\n      responses:\n        2XX:\n          description: Retrieved entity\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/microsoft.graph.user'\n        4XX:\n          $ref: '#/components/responses/error'\n        5XX:\n          $ref: '#/components/responses/error'\n",
        1,
    )
}

#[tokio::test]
async fn a_user_is_addressed_by_id_or_by_user_principal_name() {
    // The rules overlay says `keyAlso: [userPrincipalName]` for microsoft.graph.user, as Graph
    // reads `/users/{id | userPrincipalName}`; other sets keep ids only.
    let graph = Emulator::builder()
        .spec_yaml(spec_with_get_user())
        .seed(
            Seed::new().add_user(
                graph_emulator::User::new(USER)
                    .display_name("Adele Vance")
                    .user_principal_name("AdeleV@contoso.com"),
            ),
        )
        .start()
        .await
        .unwrap();
    for key in [
        USER,
        "AdeleV@contoso.com",
        "adelev@CONTOSO.com",
        "AdeleV%40contoso.com",
    ] {
        let response = client()
            .get(format!("{}/users/{key}", graph.base_url()))
            .bearer_auth("t")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{key}");
        let body = body_json(response).await;
        assert_eq!(body["id"], USER, "{key}");
        assert_eq!(body["userPrincipalName"], "AdeleV@contoso.com");
    }
    let response = client()
        .get(format!("{}/users/nobody@contoso.com", graph.base_url()))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    expect_error(response, 404, "Request_ResourceNotFound").await;
}
