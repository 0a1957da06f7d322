//! JSON batching: `POST /beta/$batch`, each item through the same pipeline as a request.

use std::collections::BTreeMap;

use graph_emulator::{CostTable, Emulator, Fault, TenantSize, Throttling, token};
use serde_json::{Value, json};

use crate::common::*;

const MISSING_SP: &str = "99999999-9999-4999-8999-999999999999";

fn batch_url(graph: &Emulator) -> String {
    format!("{}/$batch", graph.base_url())
}

fn owners_ref(agent: &str) -> String {
    format!("/servicePrincipals/{agent}/microsoft.graph.agentIdentity/owners/$ref")
}

/// Sends a batch with this bearer token; status, headers and body.
async fn send_batch(
    graph: &Emulator,
    bearer: Option<&str>,
    body: &Value,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = client().post(batch_url(graph)).json(body);
    if let Some(bearer) = bearer {
        request = request.bearer_auth(bearer);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, body_json(response).await)
}

/// The responses of a 200 batch by id, each answered exactly once.
fn by_id(body: &Value) -> BTreeMap<String, Value> {
    let responses = body["responses"]
        .as_array()
        .unwrap_or_else(|| panic!("no responses: {body}"));
    let map: BTreeMap<String, Value> = responses
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_owned(), r.clone()))
        .collect();
    assert_eq!(map.len(), responses.len(), "an id answered twice: {body}");
    map
}

fn status(answers: &BTreeMap<String, Value>, id: &str) -> u64 {
    answers[id]["status"].as_u64().unwrap()
}

#[tokio::test]
async fn items_answer_on_their_own_and_a_failed_dependency_gives_424() {
    let graph = seeded().await;
    graph
        .faults()
        .on("/copilot/admin/settings/limitedMode")
        .once(Fault::ServiceUnavailable {
            retry_after_secs: Some(1),
        });
    let json_header = json!({"Content-Type": "application/json"});
    let body = json!({"requests": [
        // Meets the scripted 503 (the first request of that route).
        {"id": "faulted", "method": "GET", "url": "/copilot/admin/settings/limitedMode"},
        {"id": "add", "method": "POST", "url": owners_ref(AGENT), "headers": json_header, "body": v1_ref(USER)},
        {"id": "list", "method": "GET",
         "url": format!("servicePrincipals/{AGENT}/microsoft.graph.agentIdentity/owners?$select=id"),
         "dependsOn": ["add"]},
        {"id": "unknown", "method": "GET", "url": "/nothing"},
        {"id": "no-type", "method": "PATCH", "url": "/copilot/admin/settings/limitedMode",
         "body": {"isEnabledForGroup": false}},
        {"id": "missing", "method": "POST", "url": owners_ref(MISSING_SP), "headers": json_header, "body": v1_ref(USER2)},
        {"id": "after-missing", "method": "POST", "url": owners_ref(AGENT), "headers": json_header,
         "body": v1_ref(USER2), "dependsOn": ["missing"]},
        {"id": "read", "method": "get", "url": "copilot/admin/settings/limitedMode"},
    ]});
    let (code, headers, answer) = send_batch(&graph, Some("t"), &body).await;
    assert_eq!(code, 200, "{answer}");
    assert!(headers.contains_key("request-id"));
    let answers = by_id(&answer);
    assert_eq!(answers.len(), 8);
    assert_eq!(status(&answers, "faulted"), 503);
    assert_eq!(answers["faulted"]["headers"]["Retry-After"], "1");
    assert_graph_error(&answers["faulted"]["body"], "ServiceNotAvailable");
    assert_eq!(status(&answers, "add"), 204);
    assert!(answers["add"].get("body").is_none());
    assert_eq!(status(&answers, "list"), 200);
    assert_eq!(answers["list"]["body"]["value"][0]["id"], USER);
    assert_eq!(status(&answers, "unknown"), 400);
    assert_graph_error(&answers["unknown"]["body"], "BadRequest");
    assert_eq!(status(&answers, "no-type"), 400);
    let message = assert_graph_error(&answers["no-type"]["body"], "BadRequest");
    assert!(message.contains("Content-Type"), "{message}");
    assert_eq!(status(&answers, "missing"), 404);
    assert_eq!(status(&answers, "after-missing"), 424);
    assert_graph_error(&answers["after-missing"]["body"], "FailedDependency");
    assert_eq!(status(&answers, "read"), 200);
    assert!(
        answers["read"]["headers"]["Content-Type"]
            .as_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(
        answers["read"]["body"]["@odata.type"],
        "#microsoft.graph.copilotAdminLimitedMode"
    );
    // Effects: the add ran, the dependent add did not, the PATCH without a type did not.
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
    assert_eq!(graph.state().limited_mode.is_enabled_for_group, Some(false));

    // Every item is in the log with its answer, then the batch itself.
    let log = graph.requests();
    assert_eq!(log.len(), 9);
    let batch = log.last().unwrap();
    assert_eq!(
        (batch.method.as_str(), batch.path.as_str(), batch.status),
        ("POST", "/beta/$batch", Some(200))
    );
    let add = log
        .iter()
        .find(|r| {
            r.method == "POST"
                && r.path.ends_with(&format!(
                    "{AGENT}/microsoft.graph.agentIdentity/owners/$ref"
                ))
                && r.status == Some(204)
        })
        .unwrap();
    assert_eq!(add.operation_id.as_deref(), Some(ADD_OWNER));
    assert_eq!(add.header("authorization"), Some("Bearer t"));
    assert_eq!(add.body_json().unwrap(), v1_ref(USER));
    let mut statuses: Vec<u16> = log[..8].iter().map(|r| r.status.unwrap()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 204, 400, 400, 404, 424, 503]);
}

#[tokio::test]
async fn items_authenticate_with_the_batch_token() {
    let graph = seeded().await;
    let body = json!({"requests": [
        {"id": "1", "method": "GET", "url": "/copilot/admin/settings/limitedMode"},
    ]});
    let (code, _, answer) = send_batch(&graph, None, &body).await;
    assert_eq!(code, 200);
    assert_eq!(status(&by_id(&answer), "1"), 401);
    // An item's own Authorization header is not used.
    let with_own = json!({"requests": [
        {"id": "1", "method": "GET", "url": "/copilot/admin/settings/limitedMode",
         "headers": {"Authorization": "Bearer t"}},
    ]});
    let weak = token::delegated(&["User.Read"]);
    let (code, _, answer) = send_batch(&graph, Some(&weak), &with_own).await;
    assert_eq!(code, 200);
    let answers = by_id(&answer);
    assert_eq!(status(&answers, "1"), 403);
    assert_graph_error(&answers["1"]["body"], "Authorization_RequestDenied");
}

#[tokio::test]
async fn graph_refuses_malformed_batches_as_a_whole() {
    let graph = seeded().await;
    let patch = |id: usize| {
        json!({"id": id.to_string(), "method": "PATCH", "url": "/copilot/admin/settings/limitedMode",
               "headers": {"content-type": "application/json"},
               "body": {"isEnabledForGroup": true, "groupId": GROUP}})
    };
    let get = json!({"id": "1", "method": "GET", "url": "/copilot/admin/settings/limitedMode"});
    for (body, words) in [
        (
            json!({"requests": (0..21).map(patch).collect::<Vec<_>>()}),
            "limit is 20",
        ),
        (json!({"requests": [get, get]}), "more than once"),
        (json!({"requests": [{"id": "1", "method": "GET"}]}), "'url'"),
        (json!({"requests": [{"id": "1", "url": "/x"}]}), "'method'"),
        (
            json!({"requests": [{"method": "GET", "url": "/x"}]}),
            "'id'",
        ),
        (
            json!({"requests": [{"id": "1", "method": "GET", "url": "/x", "dependsOn": ["2"]}]}),
            "not a request of the batch",
        ),
        (json!({"value": []}), "requests"),
    ] {
        let (code, _, answer) = send_batch(&graph, Some("t"), &body).await;
        assert_eq!(code, 400, "{body}");
        let message = assert_graph_error(&answer, "BadRequest");
        assert!(message.contains(words), "{message}");
    }
    // Nothing ran.
    assert_eq!(graph.state().limited_mode.is_enabled_for_group, Some(false));
    let exactly_20 = json!({"requests": (0..20).map(patch).collect::<Vec<_>>()});
    let (code, _, answer) = send_batch(&graph, Some("t"), &exactly_20).await;
    assert_eq!(code, 200);
    assert!(by_id(&answer).values().all(|a| a["status"] == 200));
    let not_json = client()
        .post(batch_url(&graph))
        .bearer_auth("t")
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    expect_error(not_json, 400, "BadRequest").await;
}

#[tokio::test]
async fn items_are_throttled_one_by_one_inside_a_200() {
    let costs = CostTable::from_yaml(
        "default: {read: 1, write: 1, writes: 1}\npaths: [{method: GET, path: copilot/admin/settings/limitedMode, cost: 1000}]",
    )
    .unwrap();
    let graph = Emulator::builder()
        .seed(tenant())
        .throttling(
            Throttling::entra(TenantSize::Small)
                .time_scale(0.001)
                .costs(costs),
        )
        .start()
        .await
        .unwrap();
    let get =
        |id: &str| json!({"id": id, "method": "GET", "url": "/copilot/admin/settings/limitedMode"});
    let body = json!({"requests": [
        get("1"), get("2"), get("3"), get("4"), get("5"),
        {"id": "write", "method": "PATCH", "url": "/copilot/admin/settings/limitedMode",
         "headers": {"Content-Type": "application/json"},
         "body": {"isEnabledForGroup": true, "groupId": GROUP}},
    ]});
    let (code, headers, answer) = send_batch(&graph, Some("t"), &json!({"requests": []})).await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(headers["x-ms-resource-unit"], "0");
    let (code, headers, answer) = send_batch(&graph, Some("t"), &body).await;
    assert_eq!(code, 200, "{answer}");
    let answers = by_id(&answer);
    for id in ["1", "2", "3"] {
        assert_eq!(status(&answers, id), 200, "{id}");
        assert_eq!(answers[id]["headers"]["x-ms-resource-unit"], "1000");
    }
    for id in ["4", "5"] {
        assert_eq!(status(&answers, id), 429, "{id}");
        let item_headers = &answers[id]["headers"];
        let retry_after: f64 = item_headers["Retry-After"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry_after > 0.0);
        assert_eq!(
            item_headers["x-ms-throttle-information"],
            "ResourceUnitLimitExceeded"
        );
        assert!(
            item_headers["x-ms-throttle-scope"]
                .as_str()
                .unwrap()
                .starts_with("Tenant_Application/ReadWrite/")
        );
        assert_graph_error(&answers[id]["body"], "TooManyRequests");
    }
    // The throttled reads never failed their sibling: the write (1 RU) fits and ran.
    assert_eq!(status(&answers, "write"), 200);
    assert_eq!(graph.state().limited_mode.is_enabled_for_group, Some(true));
    // The batch's own answer: the items' resource units and the highest share.
    assert_eq!(headers["x-ms-resource-unit"], "5001");
    let share: f64 = headers["x-ms-throttle-limit-percentage"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(share > 1.0);
    // Each admitted item was charged: 3,001 of 3,500 RU are spent, so a top-level read of
    // 1,000 is refused.
    let response = client()
        .get(limited_mode_url(&graph))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
}

#[tokio::test]
async fn items_take_the_batch_priority_unless_they_say_their_own() {
    let costs = CostTable::from_yaml(
        "default: {read: 1, write: 1, writes: 1}\npaths: [{method: GET, path: copilot/admin/settings/limitedMode, cost: 1000}]",
    )
    .unwrap();
    let graph = Emulator::builder()
        .seed(tenant())
        .throttling(
            Throttling::entra(TenantSize::Small)
                .time_scale(0.001)
                .costs(costs),
        )
        .start()
        .await
        .unwrap();
    let get =
        |id: &str| json!({"id": id, "method": "GET", "url": "/copilot/admin/settings/limitedMode"});
    let body = json!({"requests": [
        get("1"), get("2"), get("3"),
        {"id": "normal", "method": "GET", "url": "/copilot/admin/settings/limitedMode",
         "headers": {"x-ms-throttle-priority": "normal"}, "dependsOn": ["3"]},
    ]});
    let response = client()
        .post(batch_url(&graph))
        .bearer_auth("t")
        .header("x-ms-throttle-priority", "low")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answers = by_id(&body_json(response).await);
    // Low priority keeps 700 of 3,500 free: the third read of 1,000 waits…
    assert_eq!(status(&answers, "1"), 200);
    assert_eq!(status(&answers, "2"), 200);
    assert_eq!(status(&answers, "3"), 429);
    // … and so does what depends on it, though a normal read would have fitted.
    assert_eq!(status(&answers, "normal"), 424);
    let normal = json!({"requests": [
        {"id": "normal", "method": "GET", "url": "/copilot/admin/settings/limitedMode",
         "headers": {"x-ms-throttle-priority": "normal"}},
    ]});
    let response = client()
        .post(batch_url(&graph))
        .bearer_auth("t")
        .header("x-ms-throttle-priority", "low")
        .json(&normal)
        .send()
        .await
        .unwrap();
    assert_eq!(status(&by_id(&body_json(response).await), "normal"), 200);
}
