//! Shared fixtures.

use graph_emulator::{Emulator, Group, Seed, ServicePrincipal, User};
use reqwest::{Client, Response};
use serde_json::Value;

pub const USER: &str = "1511d5e7-c324-4362-ad4b-16c20076e5aa";
pub const USER2: &str = "2b9e0c5d-6a2f-4d0e-9a54-6f3c2b1d7e10";
pub const AGENT: &str = "7c1e7e55-3b7a-4f6e-9d3e-0a9c8b7d6e5f";
pub const PLAIN_SP: &str = "0d9f8e7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f";
pub const GROUP: &str = "4c563cdf-0efa-44c5-a384-dbf57db277df";
pub const LIMITED_MODE: &str = "copilot.admin.settings.UpdateLimitedMode";
pub const ADD_OWNER: &str = "servicePrincipals.agentIdentity.CreateRefOwners";

/// A reqwest client (installing a rustls provider in case the workspace build turned reqwest's
/// rustls on).
pub fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

pub fn tenant() -> Seed {
    Seed::new()
        .user(USER, "Adele Vance")
        .user(USER2, "Alex Wilber")
        .agent_identity(AGENT, "Expense agent")
        .service_principal(ServicePrincipal::new(PLAIN_SP).display_name("Payroll app"))
        .group(GROUP, "Copilot pilot")
}

pub async fn seeded() -> Emulator {
    Emulator::builder().seed(tenant()).start().await.unwrap()
}

pub fn owners_url(graph: &Emulator, id: &str) -> String {
    format!(
        "{}/servicePrincipals/{id}/microsoft.graph.agentIdentity/owners/$ref",
        graph.base_url()
    )
}

pub fn limited_mode_url(graph: &Emulator) -> String {
    format!("{}/copilot/admin/settings/limitedMode", graph.base_url())
}

pub fn v1_ref(id: &str) -> Value {
    serde_json::json!({ "@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}") })
}

pub async fn add_owner(graph: &Emulator, agent: &str, body: &Value) -> Response {
    client()
        .post(owners_url(graph, agent))
        .bearer_auth("t")
        .json(body)
        .send()
        .await
        .unwrap()
}

pub async fn patch_limited_mode(graph: &Emulator, body: &Value) -> Response {
    client()
        .patch(limited_mode_url(graph))
        .bearer_auth("t")
        .json(body)
        .send()
        .await
        .unwrap()
}

pub async fn body_json(response: Response) -> Value {
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?}"))
}

/// Asserts a Graph error body with this code and returns its message.
pub fn assert_graph_error(body: &Value, code: &str) -> String {
    let error = body
        .get("error")
        .unwrap_or_else(|| panic!("no `error` in {body}"));
    assert_eq!(error["code"], code, "{body}");
    let message = error["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no message in {body}"));
    assert!(!message.is_empty());
    let inner = &error["innerError"];
    assert!(inner["date"].is_string(), "{body}");
    assert!(inner["request-id"].is_string(), "{body}");
    assert!(inner["client-request-id"].is_string(), "{body}");
    message.to_owned()
}

/// Sends a request and returns status and parsed Graph error.
pub async fn expect_error(response: Response, status: u16, code: &str) -> String {
    assert_eq!(response.status().as_u16(), status);
    let body = body_json(response).await;
    assert_graph_error(&body, code)
}

pub fn user(id: &str) -> User {
    User::new(id)
}

pub fn group(id: &str) -> Group {
    Group::new(id)
}
