//! Helpers shared by the end-to-end tests that drive the SDK (`graph_beta`) against the local
//! Graph emulator (`graph_emulator`) over real HTTP on 127.0.0.1.
//!
//! Every test starts its own emulator, so tests are independent and may run in parallel.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use graph_beta::ServiceError;
use graph_beta::prelude::*;
use graph_emulator::{Emulator, EmulatorBuilder, RecordedRequest, Seed, ServicePrincipal, token};

/// An agent identity of the standard tenant.
pub const AGENT: &str = "00000000-0000-0000-0000-0000000000a1";
/// A user of the standard tenant.
pub const USER: &str = "1511d5e7-c324-4362-ad4b-16c20076e5aa";
/// A second user.
pub const USER2: &str = "2622e6f8-d435-5473-be5c-27d31187f6bb";
/// A plain service principal (not an agent identity).
pub const SP: &str = "00000000-0000-0000-0000-0000000005b1";
/// A group.
pub const GROUP: &str = "4c563cdf-0efa-44c5-a384-dbf57db277df";
/// A second group.
pub const GROUP2: &str = "5d674de0-1f0b-55d6-b495-ecc068e388e0";

pub const ADD_OWNER_OP: &str = "servicePrincipals.agentIdentity.CreateRefOwners";
pub const LIMITED_MODE_OP: &str = "copilot.admin.settings.UpdateLimitedMode";

pub const OWNERS_SCOPE: &str = "AgentIdentity.ReadWrite.All";
pub const LIMITED_MODE_SCOPE: &str = "CopilotSettings-LimitedMode.ReadWrite";

/// The path the emulator logs for operation 1 on `encoded_agent` (already percent-encoded).
pub fn owners_path(encoded_agent: &str) -> String {
    format!("/beta/servicePrincipals/{encoded_agent}/microsoft.graph.agentIdentity/owners/$ref")
}

pub const LIMITED_MODE_PATH: &str = "/beta/copilot/admin/settings/limitedMode";

/// The standard tenant: one agent identity, two users, a plain service principal, two groups.
pub fn tenant() -> Seed {
    Seed::new()
        .agent_identity(AGENT, "Expense agent")
        .user(USER, "Adele Vance")
        .user(USER2, "Alex Wilber")
        .service_principal(ServicePrincipal::new(SP).display_name("Payroll"))
        .group(GROUP, "Copilot pilot")
        .group(GROUP2, "Copilot pilot 2")
}

/// An emulator serving the standard tenant, lenient auth.
pub async fn emulator() -> Emulator {
    start(Emulator::builder().seed(tenant())).await
}

pub async fn start(builder: EmulatorBuilder) -> Emulator {
    builder.start().await.expect("emulator starts")
}

/// A delegated token that holds both operations' documented scopes.
pub fn full_token() -> String {
    token::delegated(&[OWNERS_SCOPE, LIMITED_MODE_SCOPE])
}

/// The retry policy of these tests: 3 retries, tiny delays.
pub fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(50),
        ..RetryPolicy::default()
    }
}

/// A client for `graph` with [`full_token`] and [`fast_policy`].
pub fn client(graph: &Emulator) -> Client {
    client_with(graph, full_token(), fast_policy())
}

/// A client for `graph` with `tok` and [`fast_policy`].
pub fn client_token(graph: &Emulator, tok: impl Into<String>) -> Client {
    client_with(graph, tok, fast_policy())
}

pub fn client_with(graph: &Emulator, tok: impl Into<String>, policy: RetryPolicy) -> Client {
    Client::builder(StaticToken::new(tok.into()))
        .service_root(graph.base_url())
        .retry_policy(policy)
        .build()
        .expect("client builds")
}

/// Operation 1 with a reference built by the SDK from `owner`.
pub async fn add_owner(client: &Client, agent: &str, owner: &str) -> Result<(), Error> {
    let body = ReferenceCreate::directory_object(client, owner)?;
    add_owner_ref(client, agent, &body).await
}

/// Operation 1 with a caller-made body.
pub async fn add_owner_ref(
    client: &Client,
    agent: &str,
    body: &ReferenceCreate,
) -> Result<(), Error> {
    bounded(
        client
            .service_principals()
            .by_service_principal_id(agent)
            .agent_identity()
            .owners()
            .ref_()
            .post(body),
    )
    .await
}

/// Operation 5.
pub async fn get_limited_mode(client: &Client) -> Result<CopilotAdminLimitedMode, Error> {
    bounded(client.copilot().admin().settings().limited_mode().get()).await
}

/// Operation 2.
pub async fn patch_limited_mode(
    client: &Client,
    body: &CopilotAdminLimitedMode,
) -> Result<CopilotAdminLimitedMode, Error> {
    bounded(
        client
            .copilot()
            .admin()
            .settings()
            .limited_mode()
            .patch(body),
    )
    .await
}

/// `{"isEnabledForGroup": true, "groupId": group}`.
pub fn enable_for(group: &str) -> CopilotAdminLimitedMode {
    CopilotAdminLimitedMode {
        is_enabled_for_group: true.into(),
        group_id: Nullable::Value(group.into()),
        ..Default::default()
    }
}

/// `{"isEnabledForGroup": false, "groupId": null}`.
pub fn turn_off() -> CopilotAdminLimitedMode {
    CopilotAdminLimitedMode {
        is_enabled_for_group: false.into(),
        group_id: Nullable::Null,
        ..Default::default()
    }
}

/// Fails the test instead of hanging; not a timing assertion.
pub async fn bounded<F: std::future::IntoFuture>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(60), f.into_future())
        .await
        .expect("request took far too long (hung?)")
}

/// The service error inside `err`, or a panic naming what it was instead.
pub fn service(err: &Error) -> &ServiceError {
    err.service()
        .unwrap_or_else(|| panic!("expected Error::Service, got {err:?}"))
}

/// Asserts a Graph service error with this status and code and returns it.
pub fn expect_service<'a>(err: &'a Error, status: u16, code: &str) -> &'a ServiceError {
    let svc = service(err);
    assert_eq!(svc.status, status, "{err}");
    assert_eq!(svc.code(), Some(code), "{err}");
    svc
}

/// The single request in the log.
pub fn only_request(graph: &Emulator) -> RecordedRequest {
    let log = graph.requests();
    assert_eq!(log.len(), 1, "expected exactly one request, got {log:#?}");
    log.into_iter().next().expect("one request")
}

/// The `client-request-id` of every logged request.
pub fn client_request_ids(graph: &Emulator) -> Vec<String> {
    graph
        .requests()
        .iter()
        .map(|r| r.header("client-request-id").unwrap_or_default().to_owned())
        .collect()
}

/// The `retry-attempt` header of every logged request.
pub fn retry_attempts(graph: &Emulator) -> Vec<Option<String>> {
    graph
        .requests()
        .iter()
        .map(|r| r.header("retry-attempt").map(str::to_owned))
        .collect()
}

/// The status the emulator answered to every logged request.
pub fn statuses(graph: &Emulator) -> Vec<Option<u16>> {
    graph.requests().iter().map(|r| r.status).collect()
}

/// `8-4-4-4-12` hex: the shape of a UUID.
pub fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A reqwest client that trusts the emulator's test CA (`EmulatorBuilder::https`), and nothing
/// else added.
pub fn trusting_http() -> graph_beta::runtime::reqwest::Client {
    use graph_beta::runtime::reqwest;
    graph_beta::runtime::ensure_crypto_provider().unwrap();
    reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(graph_emulator::tls::TEST_CA_PEM.as_bytes()).unwrap(),
        )
        .build()
        .unwrap()
}

/// A field of a recorded form body (token requests), decoded.
pub fn form_value(request: &RecordedRequest, name: &str) -> Option<String> {
    let body = String::from_utf8_lossy(&request.body).into_owned();
    let url =
        graph_beta::runtime::reqwest::Url::parse(&format!("http://form.invalid/?{body}")).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
