//! Throttling through the generated request types (wiremock on 127.0.0.1):
//! `x-ms-throttle-priority` on the wire (every page of a paged request), `send_with_response`
//! metadata, and the client-wide governor reached through `Client`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use graph_beta::prelude::*;
use graph_beta::{ThrottleGovernor, ThrottlePriority};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn owners(
    client: &Client,
) -> graph_beta::requests::service_principals::ServicePrincipalsItemAgentIdentityOwnersRequestBuilder
{
    client
        .service_principals()
        .by_service_principal_id(AGENT_ID)
        .agent_identity()
        .owners()
}

const OWNERS_LIST: &str = "/beta/servicePrincipals/00000000-0000-0000-0000-0000000000a1/microsoft.graph.agentIdentity/owners";

#[tokio::test]
async fn the_priority_header_goes_on_the_wire_and_on_every_page() {
    let server = MockServer::start().await;
    let next = format!("{}{OWNERS_LIST}?$skiptoken=page2", server.uri());
    Mock::given(method("GET"))
        .and(path(OWNERS_LIST))
        .and(query_param("$skiptoken", "page2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"value": []})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(OWNERS_LIST))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"value": [], "@odata.nextLink": next})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(OWNERS_PATH))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = client_for(&server);

    let pages = owners(&client)
        .get()
        .throttle_priority(ThrottlePriority::Low)
        .pages();
    let pages: Vec<_> = futures_collect(pages).await;
    assert_eq!(pages.len(), 2);
    let body = ReferenceCreate::directory_object(&client, OWNER_ID).unwrap();
    bounded(
        owners(&client)
            .ref_()
            .post(&body)
            .throttle_priority(ThrottlePriority::Normal)
            .throttle_priority(ThrottlePriority::High),
    )
    .await
    .unwrap();

    let seen = received(&server).await;
    let priorities: Vec<Option<&str>> = seen
        .iter()
        .map(|r| header(r, "x-ms-throttle-priority"))
        .collect();
    assert_eq!(priorities, [Some("Low"), Some("Low"), Some("High")]);
    // The header is sent once, the last setter winning.
    assert_eq!(
        seen[2]
            .headers
            .get_all("x-ms-throttle-priority")
            .iter()
            .count(),
        1
    );
}

async fn futures_collect<T>(mut pages: graph_beta::Pages<T>) -> Vec<Page<T>> {
    let mut out = Vec::new();
    while let Some(page) = bounded(pages.next()).await {
        out.push(page.unwrap());
    }
    out
}

#[tokio::test]
async fn send_with_response_returns_the_value_and_the_answers_metadata() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(LIMITED_MODE_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-ms-resource-unit", "1")
                .insert_header("x-ms-throttle-limit-percentage", "0.85")
                .insert_header("request-id", "7b1f6c0e-0000-4000-8000-000000000001")
                .set_body_json(serde_json::json!({
                    "isEnabledForGroup": true,
                    "groupId": GROUP_ID
                })),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(OWNERS_PATH))
        .respond_with(
            ResponseTemplate::new(204)
                .insert_header("x-ms-resource-unit", "1")
                .insert_header("client-request-id", "echoed"),
        )
        .mount(&server)
        .await;
    let client = client_for(&server);

    let limited_mode = client.copilot().admin().settings().limited_mode();
    let (value, info) = bounded(limited_mode.get().send_with_response())
        .await
        .unwrap();
    assert_eq!(value.group_id.as_deref(), Some(GROUP_ID));
    assert_eq!(info.status(), 200);
    assert_eq!(info.resource_units(), Some(1));
    assert_eq!(info.throttle_limit_percentage(), Some(0.85));
    assert_eq!(
        info.request_id(),
        Some("7b1f6c0e-0000-4000-8000-000000000001")
    );

    let body = ReferenceCreate::directory_object(&client, OWNER_ID).unwrap();
    let ((), info) = bounded(owners(&client).ref_().post(&body).send_with_response())
        .await
        .unwrap();
    assert_eq!(info.status(), 204);
    assert_eq!(info.client_request_id(), Some("echoed"));
    assert_eq!(info.throttle_limit_percentage(), None);

    // The governor saw the limit percentage of the read (and paces reads gently from there).
    let state = client.throttle_state();
    assert_eq!(state.read.limit_percentage, Some(0.85));
    assert_eq!(state.write.limit_percentage, None);
}

#[tokio::test]
async fn a_client_without_a_governor_reports_it_off() {
    let server = MockServer::start().await;
    let client = Client::builder(StaticToken::new(TOKEN))
        .service_root(format!("{}/beta", server.uri()))
        .throttle_governor(ThrottleGovernor::off())
        .build()
        .unwrap();
    assert!(!client.throttle_state().enabled);
    assert!(
        client_for(&server).throttle_state().enabled,
        "on by default"
    );
}
