//! Authentication and permission checks.

use graph_emulator::{AuthMode, Emulator, token};
use serde_json::json;

use crate::common::*;

const OWNERS_SCOPE: &str = "AgentIdentity.ReadWrite.All";
const LIMITED_MODE_SCOPE: &str = "CopilotSettings-LimitedMode.ReadWrite";

#[tokio::test]
async fn missing_or_malformed_authorization_is_401() {
    let graph = seeded().await;
    let http = client();
    let url = owners_url(&graph, AGENT);
    let missing = http.post(&url).json(&v1_ref(USER)).send().await.unwrap();
    assert_eq!(
        missing.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .split(' ')
            .next(),
        Some("Bearer")
    );
    let message = expect_error(missing, 401, "InvalidAuthenticationToken").await;
    assert_eq!(message, "Access token is empty.");
    for header in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a b", "t"] {
        let response = http
            .post(&url)
            .header("authorization", header)
            .json(&v1_ref(USER))
            .send()
            .await
            .unwrap();
        expect_error(response, 401, "InvalidAuthenticationToken").await;
    }
    // Auth is checked before routing errors too.
    let response = http
        .get(format!("{}/nothing/here", graph.base_url()))
        .send()
        .await
        .unwrap();
    expect_error(response, 401, "InvalidAuthenticationToken").await;
    assert!(graph.state().owners_of(AGENT).is_empty());
}

#[tokio::test]
async fn opaque_tokens_are_all_powerful_in_lenient_mode_only() {
    let graph = seeded().await;
    assert_eq!(add_owner(&graph, AGENT, &v1_ref(USER)).await.status(), 204);
    assert_eq!(
        patch_limited_mode(&graph, &json!({"isEnabledForGroup": false}))
            .await
            .status(),
        200
    );

    let strict = Emulator::builder()
        .seed(tenant())
        .auth_mode(AuthMode::StrictJwt)
        .start()
        .await
        .unwrap();
    let message = expect_error(
        add_owner(&strict, AGENT, &v1_ref(USER)).await,
        401,
        "InvalidAuthenticationToken",
    )
    .await;
    assert!(message.contains("CompactToken"), "{message}");
    let response = client()
        .post(owners_url(&strict, AGENT))
        .bearer_auth(token::delegated(&[OWNERS_SCOPE]))
        .json(&v1_ref(USER))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn delegated_scopes_are_checked_against_the_spec() {
    let graph = seeded().await;
    let http = client();
    let url = owners_url(&graph, AGENT);
    let denied = http
        .post(&url)
        .bearer_auth(token::delegated(&["User.Read", LIMITED_MODE_SCOPE]))
        .json(&v1_ref(USER))
        .send()
        .await
        .unwrap();
    let message = expect_error(denied, 403, "Authorization_RequestDenied").await;
    assert_eq!(
        message,
        "Insufficient privileges to complete the operation."
    );
    assert!(graph.state().owners_of(AGENT).is_empty());
    let allowed = http
        .post(&url)
        .bearer_auth(token::delegated(&["User.Read", OWNERS_SCOPE]))
        .json(&v1_ref(USER))
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 204);

    let lm = limited_mode_url(&graph);
    let denied = http
        .patch(&lm)
        .bearer_auth(token::delegated(&[OWNERS_SCOPE]))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    expect_error(denied, 403, "Authorization_RequestDenied").await;
    let allowed = http
        .patch(&lm)
        .bearer_auth(token::delegated(&[LIMITED_MODE_SCOPE]))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
}

#[tokio::test]
async fn application_roles_are_checked_and_limited_mode_refuses_app_only() {
    let graph = seeded().await;
    let http = client();
    for (role, status) in [
        ("AgentIdentity.CreateAsManager", 204),
        ("AgentIdentity.ReadWrite.All", 400),
        ("Directory.Read.All", 403),
    ] {
        // 400 on the second: USER is already an owner by then, so the permission check passed.
        let response = http
            .post(owners_url(&graph, AGENT))
            .bearer_auth(token::application(&[role]))
            .json(&v1_ref(USER))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{role}");
    }
    // Application permissions are "not supported" for limited mode: any app-only token is denied.
    let response = http
        .patch(limited_mode_url(&graph))
        .bearer_auth(token::application(&[LIMITED_MODE_SCOPE]))
        .json(&json!({"isEnabledForGroup": false}))
        .send()
        .await
        .unwrap();
    expect_error(response, 403, "Authorization_RequestDenied").await;
}

#[tokio::test]
async fn personal_accounts_tokens_without_claims_and_expired_tokens_are_refused() {
    let graph = seeded().await;
    let http = client();
    let send = |bearer: String| {
        http.post(owners_url(&graph, AGENT))
            .bearer_auth(bearer)
            .json(&v1_ref(USER))
            .send()
    };
    expect_error(
        send(token::delegated_personal(&[OWNERS_SCOPE]))
            .await
            .unwrap(),
        403,
        "Authorization_RequestDenied",
    )
    .await;
    expect_error(
        send(token::unsigned_jwt(&json!({"sub": "x"})))
            .await
            .unwrap(),
        403,
        "Authorization_RequestDenied",
    )
    .await;
    let message = expect_error(
        send(token::expired(&[OWNERS_SCOPE])).await.unwrap(),
        401,
        "InvalidAuthenticationToken",
    )
    .await;
    assert!(message.contains("expired"), "{message}");
    assert!(graph.state().owners_of(AGENT).is_empty());
}

#[tokio::test]
async fn tokens_for_another_resource_are_refused_like_graph() {
    let lenient = seeded().await;
    let strict = Emulator::builder()
        .seed(tenant())
        .strict_auth()
        .start()
        .await
        .unwrap();
    for graph in [&lenient, &strict] {
        let send = |aud: serde_json::Value| {
            let token = token::unsigned_jwt(&json!({
                "aud": aud,
                "tid": graph_emulator::EMULATOR_TENANT,
                "scp": OWNERS_SCOPE,
            }));
            client()
                .post(owners_url(graph, AGENT))
                .bearer_auth(token)
                .json(&v1_ref(USER))
        };
        let refused = send(json!("https://management.azure.com"))
            .send()
            .await
            .unwrap();
        assert!(refused.headers().contains_key("www-authenticate"));
        let message = expect_error(refused, 401, "InvalidAuthenticationToken").await;
        assert_eq!(
            message,
            "Access token validation failure. Invalid audience."
        );
        assert!(graph.state().owners_of(AGENT).is_empty());
        // Graph's application id and the emulator's own origin are Graph here.
        for aud in [
            json!("00000003-0000-0000-c000-000000000000"),
            json!(graph.authority_host()),
        ] {
            let response = send(aud.clone()).send().await.unwrap();
            assert_eq!(response.status(), 204, "{aud}");
            graph.update_state(|store| {
                store.unlink("servicePrincipals", AGENT, "owners", USER);
            });
        }
    }
}
