//! The request log.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn records_method_raw_path_query_headers_body_and_outcome() {
    let graph = seeded().await;
    let response = client()
        .post(format!(
            "{}/servicePrincipals/{AGENT}/graph.agentIdentity/owners/$ref?x=1&y=%20",
            graph.base_url()
        ))
        .bearer_auth("secret")
        .header("Client-Request-Id", "abc")
        .header("X-Custom", "one")
        .json(&v1_ref(USER))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let _ = patch_limited_mode(&graph, &json!({"groupId": 1})).await;

    let log = graph.requests();
    assert_eq!(log.len(), 2);
    let first = &log[0];
    assert_eq!(first.method, "POST");
    assert_eq!(
        first.path,
        format!("/beta/servicePrincipals/{AGENT}/graph.agentIdentity/owners/$ref")
    );
    assert_eq!(first.query.as_deref(), Some("x=1&y=%20"));
    assert_eq!(first.header("authorization"), Some("Bearer secret"));
    assert_eq!(first.header("CLIENT-REQUEST-ID"), Some("abc"));
    assert!(
        first
            .headers
            .iter()
            .any(|(name, value)| name == "x-custom" && value == "one")
    );
    assert!(
        first
            .headers
            .iter()
            .all(|(name, _)| *name == name.to_lowercase())
    );
    assert_eq!(first.body_json(), Some(v1_ref(USER)));
    assert_eq!(first.body_text(), Some(v1_ref(USER).to_string().as_str()));
    assert_eq!(first.body, v1_ref(USER).to_string().into_bytes());
    assert_eq!(first.operation_id.as_deref(), Some(ADD_OWNER));
    assert_eq!(first.status, Some(204));

    let second = &log[1];
    assert_eq!(second.method, "PATCH");
    assert_eq!(second.query, None);
    assert_eq!(second.operation_id.as_deref(), Some(LIMITED_MODE));
    assert_eq!(second.status, Some(400));
    assert_eq!(second.header_values("content-type"), ["application/json"]);

    graph.clear_requests();
    assert!(graph.requests().is_empty());
}

#[tokio::test]
async fn unrouted_requests_are_logged_too() {
    let graph = seeded().await;
    let _ = client()
        .delete(format!("{}/nowhere", graph.base_url()))
        .send()
        .await
        .unwrap();
    let log = graph.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].path, "/beta/nowhere");
    assert_eq!(log[0].operation_id, None);
    assert_eq!(log[0].status, Some(401));
    assert!(log[0].body.is_empty());
}

#[tokio::test]
async fn without_request_log_nothing_is_kept_and_requests_are_still_served() {
    let graph = graph_emulator::Emulator::builder()
        .seed(tenant())
        .without_request_log()
        .start()
        .await
        .unwrap();
    let response = add_owner(&graph, AGENT, &v1_ref(USER)).await;
    assert_eq!(response.status(), 204);
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
    assert!(graph.requests().is_empty());
}
