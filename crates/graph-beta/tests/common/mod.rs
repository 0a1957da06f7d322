//! Helpers shared by the end-to-end tests of the generated SDK surface.
//!
//! Every test talks to a real HTTP server on 127.0.0.1 (wiremock) through
//! `graph_beta::Client` and the generated request builders.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use graph_beta::prelude::*;
use graph_beta::runtime::TokenFuture;
use graph_beta::{AccessToken, CredentialError, ServiceError, TokenRequest};
use wiremock::MockServer;

/// The bearer token every test client uses. It must never show up in
/// `Debug`/`Display` output.
pub const TOKEN: &str = "eyJ0eXAiOi-TEST-SECRET-TOKEN-42";

pub const AGENT_ID: &str = "00000000-0000-0000-0000-0000000000a1";
pub const OWNER_ID: &str = "1511d5e7-c324-4362-ad4b-16c20076e5aa";
pub const GROUP_ID: &str = "4c563cdf-0efa-44c5-a384-dbf57db277df";

pub const OWNERS_PATH: &str = "/beta/servicePrincipals/00000000-0000-0000-0000-0000000000a1/microsoft.graph.agentIdentity/owners/$ref";
pub const LIMITED_MODE_PATH: &str = "/beta/copilot/admin/settings/limitedMode";

pub const ADD_OWNER_OP: &str = "servicePrincipals.agentIdentity.CreateRefOwners";
pub const LIMITED_MODE_OP: &str = "copilot.admin.settings.UpdateLimitedMode";

/// A retry policy with tiny delays, so retry tests take milliseconds.
pub fn fast_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    }
}

/// A client whose service root is `{server}/beta`, with 3 fast retries.
pub fn client_for(server: &MockServer) -> Client {
    client_with(server, fast_retries(3))
}

pub fn client_with(server: &MockServer, policy: RetryPolicy) -> Client {
    Client::builder(StaticToken::new(TOKEN))
        .service_root(format!("{}/beta", server.uri()))
        .retry_policy(policy)
        .build()
        .expect("client builds")
}

/// Operation 1 through the generated builders.
pub async fn add_owner(client: &Client, agent_id: &str, owner_id: &str) -> Result<(), Error> {
    let body = ReferenceCreate::directory_object(client, owner_id)?;
    bounded(
        client
            .service_principals()
            .by_service_principal_id(agent_id)
            .agent_identity()
            .owners()
            .ref_()
            .post(&body),
    )
    .await
}

/// Operation 2 through the generated builders.
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

/// The body the docs use to turn limited mode on for a group.
pub fn enable_for_group() -> CopilotAdminLimitedMode {
    CopilotAdminLimitedMode {
        is_enabled_for_group: true.into(),
        group_id: Nullable::Value(GROUP_ID.into()),
        ..Default::default()
    }
}

/// Fails the test instead of hanging if something waits far longer than the
/// tiny retry delays.
pub async fn bounded<F: std::future::IntoFuture>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(30), f.into_future())
        .await
        .expect("request took too long")
}

pub fn header<'a>(req: &'a wiremock::Request, name: &str) -> Option<&'a str> {
    req.headers
        .get(name)
        .map(|v| v.to_str().expect("ASCII header"))
}

pub async fn received(server: &MockServer) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .expect("request recording is on")
}

pub fn service(err: &Error) -> &ServiceError {
    err.service()
        .unwrap_or_else(|| panic!("expected Error::Service, got {err:?}"))
}

/// `8-4-4-4-12` lowercase or uppercase hex: the shape of a UUID.
pub fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A Graph-shaped error body, as Graph sends it (no `@odata.type` in
/// `innerError`).
pub fn graph_error(code: &str, message: &str) -> serde_json::Value {
    serde_json::json!({
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": "2025-11-01T10:00:00",
                "request-id": "9f1c7b0e-0000-4000-8000-inner0000001",
                "client-request-id": "echoed-by-graph"
            }
        }
    })
}

/// A credential that records every token request and either fails or
/// answers [`TOKEN`].
#[derive(Debug, Default, Clone)]
pub struct Recording {
    pub requests: Arc<Mutex<Vec<TokenRequest>>>,
    pub fail: bool,
}

impl Recording {
    pub fn failing() -> Self {
        Self {
            fail: true,
            ..Self::default()
        }
    }

    pub fn scopes(&self) -> Vec<Vec<String>> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.scopes.clone())
            .collect()
    }
}

impl Credential for Recording {
    fn token<'a>(&'a self, request: &'a TokenRequest) -> TokenFuture<'a> {
        self.requests.lock().unwrap().push(request.clone());
        let result = if self.fail {
            Err(CredentialError::new("no token in this test"))
        } else {
            Ok(AccessToken::new(TOKEN))
        };
        Box::pin(async move { result })
    }
}

/// An HTTP-date (IMF-fixdate) one minute ago: `Retry-After` with it means "now".
pub fn http_date_in_the_past() -> String {
    httpdate::fmt_http_date(std::time::SystemTime::now() - Duration::from_secs(60))
}

/// An HTTP-date an hour from now: longer than any test policy's `max_delay`.
pub fn http_date_in_an_hour() -> String {
    httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3600))
}
