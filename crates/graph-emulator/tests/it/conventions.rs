//! Graph conventions every response follows: ids, error shape, routing errors.

use serde_json::json;

use crate::common::*;

fn is_uuid(s: &str) -> bool {
    let groups: Vec<usize> = s.split('-').map(str::len).collect();
    groups == [8, 4, 4, 4, 12] && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}

#[tokio::test]
async fn every_response_has_a_request_id_and_echoes_client_request_id() {
    let graph = seeded().await;
    let http = client();
    let client_id = "0f0e0d0c-0b0a-4909-8807-060504030201";
    // A success...
    let ok = http
        .post(owners_url(&graph, AGENT))
        .bearer_auth("t")
        .header("client-request-id", client_id)
        .json(&v1_ref(USER))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 204);
    let first_id = ok.headers()["request-id"].to_str().unwrap().to_owned();
    assert!(is_uuid(&first_id), "{first_id}");
    assert_eq!(ok.headers()["client-request-id"], client_id);
    // ...and an error, which also carries both in innerError.
    let error = http
        .post(owners_url(&graph, AGENT))
        .bearer_auth("t")
        .header("client-request-id", client_id)
        .json(&v1_ref(USER))
        .send()
        .await
        .unwrap();
    let request_id = error.headers()["request-id"].to_str().unwrap().to_owned();
    assert_ne!(request_id, first_id);
    assert_eq!(error.headers()["client-request-id"], client_id);
    let body = body_json(error).await;
    assert_graph_error(&body, "Request_BadRequest");
    assert_eq!(
        body["error"]["innerError"]["request-id"],
        request_id.as_str()
    );
    assert_eq!(body["error"]["innerError"]["client-request-id"], client_id);
    // Without a client-request-id, the request id stands in for it.
    let response = http
        .patch(limited_mode_url(&graph))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let request_id = response.headers()["request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(response.headers()["client-request-id"], request_id.as_str());
    let body = body_json(response).await;
    assert_eq!(
        body["error"]["innerError"]["client-request-id"],
        request_id.as_str()
    );
}

#[tokio::test]
async fn error_bodies_have_graph_shape_and_an_iso_date() {
    let graph = seeded().await;
    let body = body_json(add_owner(&graph, "ghost", &v1_ref(USER)).await).await;
    assert_graph_error(&body, "Request_ResourceNotFound");
    let error = body["error"].as_object().unwrap();
    let mut keys: Vec<&str> = error.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["code", "innerError", "message"]);
    let inner = error["innerError"].as_object().unwrap();
    assert!(inner.get("@odata.type").is_none());
    let date = inner["date"].as_str().unwrap();
    let bytes = date.as_bytes();
    assert_eq!(date.len(), 20, "{date}");
    assert_eq!(
        (
            bytes[4], bytes[7], bytes[10], bytes[13], bytes[16], bytes[19]
        ),
        (b'-', b'-', b'T', b':', b':', b'Z')
    );
}

#[tokio::test]
async fn unknown_segments_and_versions_are_400() {
    let graph = seeded().await;
    let http = client();
    let response = http
        .get(format!("{}/servicePrincipals", graph.base_url()))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    let message = expect_error(response, 400, "BadRequest").await;
    assert_eq!(
        message,
        "Resource not found for the segment 'servicePrincipals'."
    );
    let response = http
        .get(format!("{}/me/drive", graph.base_url()))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    let message = expect_error(response, 400, "BadRequest").await;
    assert_eq!(message, "Resource not found for the segment 'me'.");
    let v1 = graph.base_url().replace("/beta", "/v1.0");
    let response = http
        .patch(format!("{v1}/copilot/admin/settings/limitedMode"))
        .bearer_auth("t")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let message = expect_error(response, 400, "BadRequest").await;
    assert!(message.starts_with("Invalid version: v1.0"), "{message}");
}
