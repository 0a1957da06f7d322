//! Authentication, permissions and Graph's request/response conventions, SDK → emulator.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod emulator_common;

use emulator_common::*;
use graph_beta::prelude::*;
use graph_emulator::{Emulator, token};

// ---------------------------------------------------------------------------------------
// Permissions
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn delegated_token_with_the_documented_scope_adds_an_owner() {
    let graph = emulator().await;
    let tok = token::delegated(&[OWNERS_SCOPE]);
    let client = client_token(&graph, &tok);

    add_owner(&client, AGENT, USER).await.unwrap();

    assert_eq!(graph.state().owners_of(AGENT), [USER]);
    let r = only_request(&graph);
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {tok}").as_str())
    );
}

#[tokio::test]
async fn delegated_token_with_the_documented_scope_updates_limited_mode() {
    let graph = emulator().await;
    let client = client_token(&graph, token::delegated(&[LIMITED_MODE_SCOPE]));

    let updated = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap();

    assert_eq!(updated.is_enabled_for_group, Nullable::Value(true));
    assert_eq!(graph.state().limited_mode.group_id.as_deref(), Some(GROUP));
}

#[tokio::test]
async fn scope_names_are_matched_case_insensitively() {
    let graph = emulator().await;
    let client = client_token(&graph, token::delegated(&["agentidentity.readwrite.all"]));
    add_owner(&client, AGENT, USER).await.unwrap();
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
}

#[tokio::test]
async fn wrong_scope_is_403_naming_the_documented_permissions() {
    let graph = emulator().await;
    // The other operation's scope, plus an unrelated one.
    let client = client_token(&graph, token::delegated(&["User.Read", LIMITED_MODE_SCOPE]));

    let err = add_owner(&client, AGENT, USER).await.unwrap_err();

    let svc = expect_service(&err, 403, "Authorization_RequestDenied");
    assert_eq!(
        svc.message(),
        Some("Insufficient privileges to complete the operation.")
    );
    let text = err.to_string();
    assert!(text.contains("documented permissions"), "{text}");
    assert!(text.contains("AgentIdentity.ReadWrite.All"), "{text}");
    assert!(text.contains("AgentIdentity.CreateAsManager"), "{text}");
    let perms = svc.required_permissions.unwrap();
    assert_eq!(
        perms.delegated_work_or_school,
        ["AgentIdentity.ReadWrite.All"]
    );
    // 403 is not retried and nothing changed.
    assert_eq!(only_request(&graph).status, Some(403));
    assert!(graph.state().owners_of(AGENT).is_empty());
}

#[tokio::test]
async fn wrong_scope_on_limited_mode_is_403_naming_its_permission() {
    let graph = emulator().await;
    let client = client_token(&graph, token::delegated(&[OWNERS_SCOPE]));

    let err = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap_err();

    expect_service(&err, 403, "Authorization_RequestDenied");
    let text = err.to_string();
    assert!(
        text.contains("CopilotSettings-LimitedMode.ReadWrite"),
        "{text}"
    );
    assert!(text.contains("application: not supported"), "{text}");
    assert_eq!(only_request(&graph).status, Some(403));
    assert_eq!(graph.state().limited_mode.is_enabled_for_group, Some(false));
}

#[tokio::test]
async fn app_only_token_on_limited_mode_is_403() {
    // Application permissions are not supported for this operation, whatever the roles say.
    let graph = emulator().await;
    let client = client_token(
        &graph,
        token::application(&[LIMITED_MODE_SCOPE, "Directory.ReadWrite.All"]),
    );

    let err = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap_err();

    let svc = expect_service(&err, 403, "Authorization_RequestDenied");
    assert!(svc.required_permissions.unwrap().application.is_empty());
    assert!(
        err.to_string().contains("application: not supported"),
        "{err}"
    );
    assert_eq!(graph.state().limited_mode.group_id, None);
}

#[tokio::test]
async fn app_only_token_with_a_documented_role_adds_an_owner() {
    let graph = emulator().await;
    let client = client_token(
        &graph,
        token::application(&["AgentIdentity.CreateAsManager"]),
    );
    add_owner(&client, AGENT, USER).await.unwrap();
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
}

#[tokio::test]
async fn jwt_without_scopes_or_roles_is_403() {
    let graph = emulator().await;
    let client = client_token(
        &graph,
        token::unsigned_jwt(
            &serde_json::json!({"sub": "someone", "aud": "https://graph.microsoft.com"}),
        ),
    );
    let err = add_owner(&client, AGENT, USER).await.unwrap_err();
    expect_service(&err, 403, "Authorization_RequestDenied");
    assert!(graph.state().owners_of(AGENT).is_empty());
}

#[tokio::test]
async fn personal_account_is_403() {
    let graph = emulator().await;
    let client = client_token(&graph, token::delegated_personal(&[OWNERS_SCOPE]));
    let err = add_owner(&client, AGENT, USER).await.unwrap_err();
    expect_service(&err, 403, "Authorization_RequestDenied");
    assert!(
        err.to_string()
            .contains("delegated (personal account): not supported"),
        "{err}"
    );
    assert!(graph.state().owners_of(AGENT).is_empty());
}

// ---------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn strict_auth_refuses_an_opaque_token_with_401() {
    let graph = start(Emulator::builder().seed(tenant()).strict_auth()).await;
    let client = client_token(&graph, "not-a-jwt");

    let err = add_owner(&client, AGENT, USER).await.unwrap_err();

    let svc = expect_service(&err, 401, "InvalidAuthenticationToken");
    assert!(svc.headers.contains_key("www-authenticate"), "{err}");
    // A 401 without a claims challenge is neither retried nor re-authenticated.
    let r = only_request(&graph);
    assert_eq!(r.status, Some(401));
    assert_eq!(r.header("authorization"), Some("Bearer not-a-jwt"));
    assert!(graph.state().owners_of(AGENT).is_empty());
}

#[tokio::test]
async fn strict_auth_accepts_a_jwt_with_the_right_scope() {
    let graph = start(Emulator::builder().seed(tenant()).strict_auth()).await;
    let client = client(&graph);
    add_owner(&client, AGENT, USER).await.unwrap();
    patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap();
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
    assert_eq!(statuses(&graph), [Some(204), Some(200)]);
}

#[tokio::test]
async fn lenient_auth_accepts_an_opaque_token() {
    let graph = emulator().await;
    let client = client_token(&graph, "any-string");
    add_owner(&client, AGENT, USER).await.unwrap();
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
}

#[tokio::test]
async fn expired_token_is_401() {
    let graph = emulator().await;
    let client = client_token(&graph, token::expired(&[OWNERS_SCOPE]));
    let err = add_owner(&client, AGENT, USER).await.unwrap_err();
    let svc = expect_service(&err, 401, "InvalidAuthenticationToken");
    assert!(svc.message().unwrap().contains("expired"), "{err}");
    assert_eq!(only_request(&graph).status, Some(401));
}

// ---------------------------------------------------------------------------------------
// Conventions: request ids
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn client_request_id_is_echoed_and_request_id_is_present() {
    let graph = emulator().await;
    let client = client(&graph);

    let err = add_owner(&client, "no-such-agent", USER).await.unwrap_err();

    let sent = only_request(&graph)
        .header("client-request-id")
        .unwrap()
        .to_owned();
    assert!(is_uuid(&sent), "{sent}");
    let svc = service(&err);
    // The SDK's own copy, the echo in the body's innerError, and the echoed header agree.
    assert_eq!(svc.client_request_id, sent);
    let inner = svc.error.as_ref().unwrap().inner_error.as_ref().unwrap();
    assert_eq!(inner.client_request_id.as_deref(), Some(sent.as_str()));
    assert_eq!(
        svc.headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok()),
        Some(sent.as_str())
    );
    // request-id: present, a UUID, the same in the header and innerError, different from ours.
    let request_id = svc.request_id().unwrap();
    assert!(is_uuid(request_id), "{request_id}");
    assert_ne!(request_id, sent);
    assert_eq!(inner.request_id.as_deref(), Some(request_id));
    assert!(
        svc.date().is_some_and(|d| d.ends_with('Z')),
        "{:?}",
        svc.date()
    );
    // Display carries both ids for support tickets.
    let text = err.to_string();
    assert!(
        text.contains(&format!("request-id: {request_id}")),
        "{text}"
    );
    assert!(
        text.contains(&format!("client-request-id: {sent}")),
        "{text}"
    );
    assert!(text.contains("Request_ResourceNotFound"), "{text}");
}

#[tokio::test]
async fn every_call_gets_a_fresh_client_request_id() {
    let graph = emulator().await;
    let client = client(&graph);
    add_owner(&client, AGENT, USER).await.unwrap();
    patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap();
    add_owner(&client, AGENT, USER2).await.unwrap();
    let ids = client_request_ids(&graph);
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|id| is_uuid(id)), "{ids:?}");
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
        "{ids:?}"
    );
}

#[tokio::test]
async fn a_caller_supplied_client_request_id_is_sent_and_echoed() {
    let graph = emulator().await;
    let client = client(&graph);
    let body = ReferenceCreate::directory_object(&client, USER).unwrap();
    let err = bounded(
        client
            .service_principals()
            .by_service_principal_id("no-such-agent")
            .agent_identity()
            .owners()
            .ref_()
            .post(&body)
            .header("client-request-id", "my-correlation-id-1"),
    )
    .await
    .unwrap_err();
    let svc = service(&err);
    let r = only_request(&graph);
    assert_eq!(
        r.header_values("client-request-id"),
        ["my-correlation-id-1"]
    );
    let inner = svc.error.as_ref().unwrap().inner_error.as_ref().unwrap();
    assert_eq!(
        inner.client_request_id.as_deref(),
        Some("my-correlation-id-1")
    );
    // ServiceError::client_request_id documents "the client-request-id this client sent".
    assert_eq!(svc.client_request_id, "my-correlation-id-1");
}

// ---------------------------------------------------------------------------------------
// Tokens the SDK must not send
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_token_with_a_newline_is_refused_before_sending() {
    let graph = emulator().await;
    let client = client_token(&graph, "abc\r\nX-Injected: 1");
    let err = add_owner(&client, AGENT, USER).await.unwrap_err();
    assert!(matches!(err, Error::Credential(_)), "{err:?}");
    // The secret is not echoed in the message.
    assert!(!err.to_string().contains("X-Injected"), "{err}");
    assert!(graph.requests().is_empty());
}

#[tokio::test]
async fn an_empty_token_is_401_access_token_is_empty() {
    let graph = emulator().await;
    let client = client_token(&graph, "");
    let err = add_owner(&client, AGENT, USER).await.unwrap_err();
    let svc = expect_service(&err, 401, "InvalidAuthenticationToken");
    assert_eq!(svc.message(), Some("Access token is empty."));
    assert_eq!(statuses(&graph), [Some(401)]);
}

#[tokio::test]
async fn concurrent_calls_on_one_client_keep_their_own_ids() {
    let graph = emulator().await;
    let client = client(&graph);
    let on = enable_for(GROUP);
    let (a, b, c) = tokio::join!(
        add_owner(&client, AGENT, USER),
        add_owner(&client, AGENT, USER2),
        patch_limited_mode(&client, &on),
    );
    a.unwrap();
    b.unwrap();
    c.unwrap();
    let mut ids = client_request_ids(&graph);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3);
    let mut owners = graph.state().owners_of(AGENT);
    owners.sort();
    let mut expected = vec![USER.to_owned(), USER2.to_owned()];
    expected.sort();
    assert_eq!(owners, expected);
}

#[tokio::test]
async fn service_root_with_a_trailing_slash_gives_no_double_slash() {
    let graph = emulator().await;
    let client = graph_beta::Client::builder(StaticToken::new(full_token()))
        .service_root(format!("{}/", graph.base_url()))
        .retry_policy(fast_policy())
        .build()
        .unwrap();
    add_owner(&client, AGENT, USER).await.unwrap();
    patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap();
    let log = graph.requests();
    assert_eq!(log[0].path, owners_path(AGENT));
    assert_eq!(log[1].path, LIMITED_MODE_PATH);
    assert_eq!(
        log[0].body_json().unwrap()["@odata.id"],
        format!("{}/directoryObjects/{USER}", graph.base_url())
    );
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
}
