//! JSON batching (`POST /$batch`) on the wire, against wiremock on 127.0.0.1: requests of the
//! generated builders and raw calls go into one batch, are split at 20 items per request with
//! `dependsOn` groups kept together (or ordered across requests), and each item's answer comes
//! back typed, through the same decoders, errors and retry decision as a single call.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use graph_beta::prelude::*;
use graph_beta::runtime::{BatchItem, HttpMethod};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const BATCH_PATH: &str = "/beta/$batch";

/// The items of a recorded batch request.
fn items_of(request: &Request) -> Vec<Value> {
    let body: Value = serde_json::from_slice(&request.body).expect("a JSON batch body");
    body["requests"].as_array().expect("requests").clone()
}

/// The batch requests the server received, as their item lists.
async fn batches(server: &MockServer) -> Vec<Vec<Value>> {
    received(server)
        .await
        .iter()
        .filter(|r| r.url.path() == BATCH_PATH)
        .map(items_of)
        .collect()
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().expect("string id").to_owned())
        .collect()
}

fn answer(responses: Vec<Value>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "responses": responses }))
}

/// Mounts a `$batch` endpoint answering each request with `respond(call number from 0, items)`.
async fn mount_batch<F>(server: &MockServer, respond: F)
where
    F: Fn(usize, &[Value]) -> ResponseTemplate + Send + Sync + 'static,
{
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path(BATCH_PATH))
        .respond_with(move |request: &Request| {
            let call = calls.fetch_add(1, Ordering::SeqCst);
            respond(call, &items_of(request))
        })
        .mount(server)
        .await;
}

fn agent(i: usize) -> String {
    format!("00000000-0000-0000-0000-{i:012}")
}

/// `POST …/owners/$ref` adding OWNER_ID to `agent`, through the generated builders.
fn add_owner_request(client: &Client, agent: &str) -> graph_beta::runtime::Request<()> {
    client
        .service_principals()
        .by_service_principal_id(agent)
        .agent_identity()
        .owners()
        .ref_()
        .post(&ReferenceCreate::directory_object(client, OWNER_ID).expect("a reference"))
        .into_request()
}

#[tokio::test]
async fn forty_five_owner_adds_go_as_20_20_5_answered_in_any_order() {
    let server = MockServer::start().await;
    mount_batch(&server, |_, items| {
        // Every item 204, answered in reverse order.
        answer(
            items
                .iter()
                .rev()
                .map(|i| json!({"id": i["id"], "status": 204, "headers": {}}))
                .collect(),
        )
    })
    .await;
    let client = client_for(&server);
    let mut batch = client.batch();
    let handles: Vec<BatchItem<()>> = (0..45)
        .map(|i| batch.add(add_owner_request(&client, &agent(i))).unwrap())
        .collect();
    let results = bounded(batch).await.expect("sent");
    for (i, item) in handles.iter().enumerate() {
        results
            .get(item)
            .unwrap_or_else(|e| panic!("item {i}: {e}"));
        assert_eq!(results.attempts(item.id()), 1);
    }
    assert_eq!(results.http_requests(), 3);
    let sent = batches(&server).await;
    assert_eq!(sent.iter().map(Vec::len).collect::<Vec<_>>(), [20, 20, 5]);
    let all: Vec<Value> = sent.concat();
    assert_eq!(
        ids(&all),
        (1..=45).map(|i| i.to_string()).collect::<Vec<_>>()
    );
    let owner_url = client
        .core()
        .entity_url("directoryObjects", OWNER_ID)
        .unwrap();
    for (i, item) in all.iter().enumerate() {
        assert_eq!(item["method"], "POST");
        assert_eq!(
            item["url"],
            format!(
                "/servicePrincipals/{}/microsoft.graph.agentIdentity/owners/$ref",
                agent(i)
            )
        );
        assert_eq!(item["headers"]["Content-Type"], "application/json");
        assert!(is_uuid(
            item["headers"]["client-request-id"].as_str().unwrap()
        ));
        // The body as JSON, not as a string.
        assert_eq!(item["body"], json!({"@odata.id": owner_url}));
        assert!(item.get("dependsOn").is_none());
    }
    for request in received(&server).await {
        assert_eq!(
            header(&request, "authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(header(&request, "content-type"), Some("application/json"));
    }
}

#[tokio::test]
async fn depends_on_is_serialized_and_chains_longer_than_20_are_ordered_across_requests() {
    let server = MockServer::start().await;
    mount_batch(&server, |_, items| {
        answer(
            items
                .iter()
                .map(|i| {
                    if i["method"] == "GET" {
                        json!({"id": i["id"], "status": 200, "headers": {"Content-Type": "application/json"},
                               "body": {"value": [{"@odata.type": "#microsoft.graph.user", "id": OWNER_ID}]}})
                    } else {
                        json!({"id": i["id"], "status": 204})
                    }
                })
                .collect(),
        )
    })
    .await;
    let client = client_for(&server);
    let owners = client
        .service_principals()
        .by_service_principal_id(AGENT_ID)
        .agent_identity()
        .owners();

    // Add, then list (paged: its first page), then a raw call after the list; one independent.
    let mut batch = client.batch();
    let add = batch.add(add_owner_request(&client, AGENT_ID)).unwrap();
    let list = batch
        .add_after(owners.get().select(["id"]).into_request(), &[add.id()])
        .unwrap();
    let other = batch
        .add(client.raw::<Value>(HttpMethod::Get, "/users/{}", ["adele@contoso.com"]))
        .unwrap();
    let after_list = batch
        .add_after(
            client.raw::<()>(
                HttpMethod::Delete,
                "/groups/{}/owners/{}/$ref",
                [GROUP_ID, OWNER_ID],
            ),
            &[list.id(), add.id()],
        )
        .unwrap();
    let results = bounded(batch).await.unwrap();
    results.get(&add).unwrap();
    let page = results.get(&list).unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id(), Some(OWNER_ID));
    assert_eq!(results.get(&other).unwrap()["value"][0]["id"], OWNER_ID);
    results.get(&after_list).unwrap();
    let sent = batches(&server).await;
    assert_eq!(sent.len(), 1);
    let items = &sent[0];
    assert_eq!(ids(items), ["1", "2", "3", "4"]);
    assert!(items[0].get("dependsOn").is_none());
    assert_eq!(items[1]["dependsOn"], json!(["1"]));
    assert_eq!(
        items[1]["url"],
        format!("/servicePrincipals/{AGENT_ID}/microsoft.graph.agentIdentity/owners?$select=id")
    );
    assert!(
        items[1].get("body").is_none()
            && items[1]
                .get("headers")
                .unwrap()
                .get("Content-Type")
                .is_none()
    );
    assert_eq!(items[2]["url"], "/users/adele%40contoso.com");
    assert!(items[2].get("dependsOn").is_none());
    assert_eq!(items[3]["dependsOn"], json!(["1", "2"]));
    assert_eq!(items[3]["method"], "DELETE");

    // A chain of 25 (each after the one before): 20 in the first request, the other 5 in the
    // next, whose first item names no dependsOn (its dependency succeeded in the first).
    let mut batch = client.batch();
    let mut chain: Vec<BatchItem<()>> = Vec::new();
    for i in 0..25 {
        let after: Vec<_> = chain.last().map(|p| p.id()).into_iter().collect();
        chain.push(
            batch
                .add_after(add_owner_request(&client, &agent(i)), &after)
                .unwrap(),
        );
    }
    let results = bounded(batch).await.unwrap();
    assert!(chain.iter().all(|item| results.get(item).is_ok()));
    assert_eq!(results.http_requests(), 2);
    let sent = batches(&server).await;
    let (first, second) = (&sent[1], &sent[2]);
    assert_eq!(first.len(), 20);
    assert_eq!(ids(second), ["21", "22", "23", "24", "25"]);
    assert!(first[0].get("dependsOn").is_none());
    assert_eq!(first[19]["dependsOn"], json!(["19"]));
    assert!(second[0].get("dependsOn").is_none());
    assert_eq!(second[1]["dependsOn"], json!(["21"]));
}

#[tokio::test]
async fn a_failed_dependency_in_an_earlier_request_stops_the_rest_of_the_chain_unsent() {
    let server = MockServer::start().await;
    mount_batch(&server, |_, items| {
        answer(
            items
                .iter()
                .map(|i| {
                    if i["id"] == "20" {
                        json!({"id": "20", "status": 404, "headers": {"Content-Type": "application/json"},
                               "body": graph_error("Request_ResourceNotFound", "Resource does not exist.")})
                    } else {
                        json!({"id": i["id"], "status": 204})
                    }
                })
                .collect(),
        )
    })
    .await;
    let client = client_for(&server);
    let mut batch = client.batch();
    let mut chain: Vec<BatchItem<()>> = Vec::new();
    for i in 0..25 {
        let after: Vec<_> = chain.last().map(|p| p.id()).into_iter().collect();
        chain.push(
            batch
                .add_after(add_owner_request(&client, &agent(i)), &after)
                .unwrap(),
        );
    }
    let results = bounded(batch).await.unwrap();
    assert_eq!(results.http_requests(), 1, "the rest is never sent");
    assert!(chain[..19].iter().all(|item| results.get(item).is_ok()));
    assert_eq!(service(&results.get(&chain[19]).unwrap_err()).status, 404);
    for item in &chain[20..] {
        let err = results.get(item).unwrap_err();
        let Error::BatchItemNotRun { id, source, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(*id, item.wire_id());
        assert!(err.to_string().contains("depends on"), "{err}");
        // The source is the dependency's failure (item 21's is item 20's 404; later ones, the
        // item before them not run).
        assert!(source.status() == Some(404) || matches!(**source, Error::BatchItemNotRun { .. }));
        assert_eq!(results.attempts(item.id()), 0);
    }
}

#[derive(Debug, serde::Deserialize)]
struct UserName {
    #[serde(rename = "displayName")]
    display_name: String,
}

#[tokio::test]
async fn mixed_results_are_decoded_per_item_and_builder_errors_fail_only_their_item() {
    let server = MockServer::start().await;
    mount_batch(&server, |_, items| {
        let mut out: Vec<Value> = items
            .iter()
            .map(|i| {
                let url = i["url"].as_str().unwrap();
                let id = i["id"].clone();
                match (i["method"].as_str().unwrap(), url) {
                    ("GET", u) if u.starts_with("/copilot") => json!({"id": id, "status": 200,
                        "headers": {"Content-Type": "application/json"},
                        "body": {"isEnabledForGroup": true, "groupId": GROUP_ID}}),
                    ("POST", _) => json!({"id": id, "status": 204, "headers": {}}),
                    ("GET", u) if u.contains("/owners") => json!({"id": id, "status": 404,
                        "headers": {"Content-Type": "application/json", "request-id": "req-404"},
                        "body": graph_error("Request_ResourceNotFound", "Resource 'x' does not exist.")}),
                    ("PATCH", _) => json!({"id": id, "status": 400,
                        "headers": {"Content-Type": "application/json"},
                        "body": graph_error("BadRequest", "Invalid groupId.")}),
                    ("GET", _) => json!({"id": id, "status": 200,
                        "headers": {"Content-Type": "application/json"},
                        "body": {"displayName": "Adele Vance"}}),
                    other => panic!("unexpected item {other:?}"),
                }
            })
            .collect();
        out.rotate_left(2);
        answer(out)
    })
    .await;
    let client = client_for(&server);
    let mut batch = client.batch();
    let mode = batch
        .add(
            client
                .copilot()
                .admin()
                .settings()
                .limited_mode()
                .get()
                .into_request(),
        )
        .unwrap();
    let bad_header = batch
        .add(add_owner_request(&client, AGENT_ID).header("bad name", "x"))
        .unwrap();
    let add = batch.add(add_owner_request(&client, AGENT_ID)).unwrap();
    let owners = batch
        .add(
            client
                .service_principals()
                .by_service_principal_id("missing")
                .agent_identity()
                .owners()
                .get()
                .into_request(),
        )
        .unwrap();
    let patch = batch
        .add(
            client
                .copilot()
                .admin()
                .settings()
                .limited_mode()
                .patch(&enable_for_group())
                .into_request(),
        )
        .unwrap();
    let not_json = batch
        .add(
            client
                .raw::<()>(HttpMethod::Post, "/groups/{}/photo", [GROUP_ID])
                .bytes_body("image/png", vec![0x89, b'P']),
        )
        .unwrap();
    let bad_id = batch
        .add(client.raw::<UserName>(HttpMethod::Get, "/users/{}", [".."]))
        .unwrap();
    let user = batch
        .add(client.raw::<UserName>(HttpMethod::Get, "/users/{}", ["adele@contoso.com"]))
        .unwrap();
    let results = bounded(batch).await.unwrap();

    let mode = results.get(&mode).unwrap();
    assert_eq!(mode.is_enabled_for_group, Nullable::Value(true));
    assert_eq!(mode.group_id, Nullable::Value(GROUP_ID.to_owned()));
    results.get(&add).unwrap();
    assert_eq!(results.response(&add).unwrap().0, 204);
    assert_eq!(results.get(&user).unwrap().display_name, "Adele Vance");

    let err = results.get(&owners).unwrap_err();
    let s = service(&err);
    assert_eq!(s.status, 404);
    assert_eq!(s.code(), Some("Request_ResourceNotFound"));
    assert_eq!(s.request_id(), Some("req-404"));
    assert_eq!(s.operation_id, "servicePrincipals.agentIdentity.ListOwners");
    assert_eq!(s.method, graph_beta::runtime::HttpMethod::Get);
    assert!(is_uuid(&s.client_request_id));
    assert_eq!(s.attempts, 1);
    let err = results.get(&patch).unwrap_err();
    assert_eq!(service(&err).status, 400);
    assert_eq!(service(&err).message(), Some("Invalid groupId."));
    assert_eq!(service(&err).operation_id, LIMITED_MODE_OP);

    for (item, words) in [
        (&bad_header, "invalid header name"),
        (&not_json, "only JSON bodies"),
    ] {
        let err = results.get(item).unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
        assert!(err.to_string().contains(words), "{err}");
        assert_eq!(results.attempts(item.id()), 0);
    }
    assert!(matches!(
        results.get(&bad_id).unwrap_err(),
        Error::InvalidInput { .. }
    ));

    let sent = batches(&server).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        ids(&sent[0]),
        ["1", "3", "4", "5", "8"],
        "the items that failed before sending are not sent"
    );
    assert_eq!(
        sent[0][3]["body"],
        json!({"isEnabledForGroup": true, "groupId": GROUP_ID})
    );
}

#[tokio::test]
async fn a_throttled_item_is_retried_alone_in_a_later_request_after_its_retry_after() {
    let server = MockServer::start().await;
    mount_batch(&server, |call, items| {
        answer(
            items
                .iter()
                .map(|i| {
                    if call == 0 && i["id"] == "2" {
                        json!({"id": "2", "status": 429,
                               "headers": {"Retry-After": "1", "Content-Type": "application/json",
                                           "x-ms-throttle-scope": "Tenant_Application/Write/app/tenant"},
                               "body": graph_error("TooManyRequests", "Please retry again later.")})
                    } else {
                        json!({"id": i["id"], "status": 204})
                    }
                })
                .collect(),
        )
    })
    .await;
    // Waits up to 2 s are honoured (the item asks for 1 s).
    let client = client_with(
        &server,
        RetryPolicy {
            max_delay: std::time::Duration::from_secs(2),
            ..fast_retries(3)
        },
    );
    let mut batch = client.batch();
    let items: Vec<BatchItem<()>> = (0..3)
        .map(|i| batch.add(add_owner_request(&client, &agent(i))).unwrap())
        .collect();
    let results = bounded(batch).await.unwrap();
    for item in &items {
        results.get(item).unwrap();
    }
    assert_eq!(results.attempts(items[0].id()), 1);
    assert_eq!(results.attempts(items[1].id()), 2);
    assert_eq!(results.attempts(items[2].id()), 1);
    let sent = batches(&server).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(ids(&sent[1]), ["2"]);
    assert_eq!(results.http_requests(), 2);
    // The item's 429 taught the client-wide governor (it holds writes, not reads).
    let state = client.throttle_state();
    assert_eq!(state.write.throttled, 1);
    assert_eq!(state.read.throttled, 0);
}

#[tokio::test]
async fn an_item_throttled_past_its_retry_budget_fails_alone() {
    let server = MockServer::start().await;
    mount_batch(&server, |_, items| {
        answer(
            items
                .iter()
                .map(|i| {
                    if i["id"] == "1" {
                        json!({"id": "1", "status": 503, "headers": {"Retry-After": "0"}})
                    } else {
                        json!({"id": i["id"], "status": 204})
                    }
                })
                .collect(),
        )
    })
    .await;
    let client = client_with(&server, fast_retries(2));
    let mut batch = client.batch();
    let throttled = batch.add(add_owner_request(&client, &agent(1))).unwrap();
    let fine = batch.add(add_owner_request(&client, &agent(2))).unwrap();
    let results = bounded(batch).await.unwrap();
    results.get(&fine).unwrap();
    let err = results.get(&throttled).unwrap_err();
    let s = service(&err);
    assert_eq!(s.status, 503);
    assert_eq!(s.attempts, 3);
    assert_eq!(s.earlier_attempts, [503, 503]);
    assert_eq!(s.retry_after, Some(std::time::Duration::ZERO));
    assert!(err.is_throttled());
    assert_eq!(
        batches(&server)
            .await
            .iter()
            .map(Vec::len)
            .collect::<Vec<_>>(),
        [2, 1, 1]
    );
}

#[tokio::test]
async fn a_reference_add_meeting_already_exist_after_a_retried_504_item_succeeds() {
    let server = MockServer::start().await;
    let exists = graph_error(
        "Request_BadRequest",
        "One or more added object references already exist for the following modified properties: 'owners'.",
    );
    mount_batch(&server, move |call, items| {
        answer(
            items
                .iter()
                .map(|i| match (call, i["id"].as_str().unwrap()) {
                    (0, "1") => json!({"id": "1", "status": 504}),
                    _ => json!({"id": i["id"], "status": 400,
                                "headers": {"Content-Type": "application/json"}, "body": exists.clone()}),
                })
                .collect(),
        )
    })
    .await;
    let client = client_for(&server);
    let mut batch = client.batch();
    let after_504 = batch.add(add_owner_request(&client, &agent(1))).unwrap();
    let duplicate = batch.add(add_owner_request(&client, &agent(2))).unwrap();
    let results = bounded(batch).await.unwrap();
    results
        .get(&after_504)
        .expect("its own earlier effect: done");
    assert_eq!(results.attempts(after_504.id()), 2);
    // Without an earlier 504 the same answer is an honest error.
    let err = results.get(&duplicate).unwrap_err();
    assert_eq!(service(&err).status, 400);
    assert!(!service(&err).may_have_been_applied());
}

#[tokio::test]
async fn a_424_item_goes_again_with_its_throttled_dependency() {
    let server = MockServer::start().await;
    mount_batch(&server, |call, items| {
        answer(
            items
                .iter()
                .map(|i| match (call, i["id"].as_str().unwrap()) {
                    (0, "1") => json!({"id": "1", "status": 429, "headers": {"Retry-After": "0"}}),
                    (0, "2") => json!({"id": "2", "status": 424,
                                       "body": graph_error("FailedDependency", "Failed dependency.")}),
                    _ => json!({"id": i["id"], "status": 204}),
                })
                .collect(),
        )
    })
    .await;
    let client = client_for(&server);
    let mut batch = client.batch();
    let first = batch.add(add_owner_request(&client, &agent(1))).unwrap();
    let second = batch
        .add_after(add_owner_request(&client, &agent(2)), &[first.id()])
        .unwrap();
    let results = bounded(batch).await.unwrap();
    results.get(&first).unwrap();
    results.get(&second).unwrap();
    assert_eq!(results.attempts(first.id()), 2);
    let sent = batches(&server).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(ids(&sent[1]), ["1", "2"]);
    assert_eq!(sent[1][1]["dependsOn"], json!(["1"]));
}

#[tokio::test]
async fn the_batch_request_itself_is_retried_and_its_final_failure_reaches_every_item() {
    // A 503 of the POST itself: retried by the send loop, counted once.
    let server = MockServer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    Mock::given(method("POST"))
        .and(path(BATCH_PATH))
        .respond_with(move |request: &Request| {
            if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                ResponseTemplate::new(503).insert_header("Retry-After", "0")
            } else {
                answer(
                    items_of(request)
                        .iter()
                        .map(|i| json!({"id": i["id"], "status": 204}))
                        .collect(),
                )
            }
        })
        .mount(&server)
        .await;
    let client = client_for(&server);
    let mut batch = client.batch();
    let a = batch.add(add_owner_request(&client, &agent(1))).unwrap();
    let b = batch.add(add_owner_request(&client, &agent(2))).unwrap();
    let results = bounded(batch).await.unwrap();
    results.get(&a).unwrap();
    results.get(&b).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(results.http_requests(), 1);
    let sent = received(&server).await;
    assert_eq!(header(&sent[1], "retry-attempt"), Some("1"));
    assert_eq!(
        header(&sent[0], "client-request-id"),
        header(&sent[1], "client-request-id")
    );

    // A 500 of the POST (not retried): every item gets it.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(BATCH_PATH))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(graph_error("InternalServerError", "Something went wrong.")),
        )
        .mount(&server)
        .await;
    let client = client_for(&server);
    let mut batch = client.batch();
    let a = batch.add(add_owner_request(&client, &agent(1))).unwrap();
    let b = batch.add(add_owner_request(&client, &agent(2))).unwrap();
    let results = bounded(batch).await.unwrap();
    for item in [&a, &b] {
        let err = results.get(item).unwrap_err();
        assert_eq!(service(&err).status, 500);
        assert_eq!(service(&err).operation_id, "$batch");
        assert_eq!(results.attempts(item.id()), 1);
    }

    // No server at all: every item gets the transport failure as its source.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = Client::builder(StaticToken::new(TOKEN))
        .service_root(format!("http://127.0.0.1:{port}/beta"))
        .retry_policy(fast_retries(1))
        .build()
        .unwrap();
    let mut batch = client.batch();
    let a = batch.add(add_owner_request(&client, &agent(1))).unwrap();
    let b = batch.add(add_owner_request(&client, &agent(2))).unwrap();
    let results = bounded(batch).await.unwrap();
    for item in [&a, &b] {
        let err = results.get(item).unwrap_err();
        let Error::BatchItemNotRun {
            source,
            operation_id,
            ..
        } = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(*operation_id, ADD_OWNER_OP);
        assert!(matches!(**source, Error::Transport { .. }), "{source:?}");
        assert!(!err.to_string().contains(TOKEN));
    }
}

#[tokio::test]
async fn unknown_and_duplicate_ids_are_ignored_and_reported_and_a_missing_item_is_an_error() {
    let server = MockServer::start().await;
    mount_batch(&server, |_, _| {
        answer(vec![
            json!({"id": "99", "status": 204}),
            json!({"id": "1", "status": 204}),
            json!({"id": "1", "status": 500}),
        ])
    })
    .await;
    let client = client_for(&server);
    let mut batch = client.batch();
    let answered = batch.add(add_owner_request(&client, &agent(1))).unwrap();
    let missing = batch.add(add_owner_request(&client, &agent(2))).unwrap();
    let results = bounded(batch).await.unwrap();
    results.get(&answered).unwrap();
    assert_eq!(results.unexpected_ids(), ["99", "1"]);
    let err = results.get(&missing).unwrap_err();
    assert!(matches!(err, Error::Decode { status: 200, .. }), "{err:?}");
    assert!(err.to_string().contains("no response for item 2"), "{err}");
}

#[tokio::test]
async fn a_malformed_batch_answer_is_a_typed_error_for_every_item() {
    for body in [
        "<html>oops</html>",
        "",
        "{}",
        r#"{"responses": "none"}"#,
        r#"{"responses": [{"id": "1"}]}"#,
        r#"{"responses": [{"id": "1", "status": "200"}]}"#,
        r#"{"responses": [{"id": {}, "status": 200}]}"#,
        r#"{"responses": [{"id": "1", "status": 99999}]}"#,
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(BATCH_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
        let client = client_for(&server);
        let mut batch = client.batch();
        let a = batch.add(add_owner_request(&client, &agent(1))).unwrap();
        let b = batch
            .add(
                client
                    .copilot()
                    .admin()
                    .settings()
                    .limited_mode()
                    .get()
                    .into_request(),
            )
            .unwrap();
        let results = bounded(batch).await.unwrap();
        let first = results.get(&a).unwrap_err();
        let second = results.get(&b).unwrap_err();
        for err in [first, second] {
            assert!(
                matches!(
                    &err,
                    Error::Decode {
                        status: 200,
                        operation_id: "$batch",
                        ..
                    }
                ),
                "{body:?}: {err:?}"
            );
        }
    }
}

#[tokio::test]
async fn handles_of_another_batch_are_refused() {
    let server = MockServer::start().await;
    let client = client_for(&server);
    let mut one = client.batch();
    let mut two = client.batch();
    let a = one.add(add_owner_request(&client, &agent(1))).unwrap();
    assert!(matches!(
        two.add_after(add_owner_request(&client, &agent(2)), &[a.id()]),
        Err(Error::InvalidInput { .. })
    ));
    let results = bounded(two).await.unwrap();
    assert!(results.is_empty());
    assert_eq!(results.http_requests(), 0);
    assert!(matches!(results.get(&a), Err(Error::InvalidInput { .. })));
}

#[tokio::test]
async fn a_504_of_the_batch_request_reaches_each_item_as_its_own_504() {
    let server = MockServer::start().await;
    let exists = graph_error(
        "Request_BadRequest",
        "One or more added object references already exist for the following modified properties: 'owners'.",
    );
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    Mock::given(method("POST"))
        .and(path(BATCH_PATH))
        .respond_with(move |request: &Request| {
            if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                return ResponseTemplate::new(504).set_body_string("<html>Gateway Timeout</html>");
            }
            answer(
                items_of(request)
                    .iter()
                    .map(|i| match i["method"].as_str().unwrap() {
                        "POST" => json!({"id": i["id"], "status": 400,
                                         "headers": {"Content-Type": "application/json"}, "body": exists.clone()}),
                        _ => json!({"id": i["id"], "status": 200,
                                    "headers": {"Content-Type": "application/json"},
                                    "body": {"isEnabledForGroup": false}}),
                    })
                    .collect(),
            )
        })
        .mount(&server)
        .await;
    let client = client_for(&server);
    let mut batch = client.batch();
    let add = batch.add(add_owner_request(&client, AGENT_ID)).unwrap();
    let read = batch
        .add(
            client
                .copilot()
                .admin()
                .settings()
                .limited_mode()
                .get()
                .into_request(),
        )
        .unwrap();
    let results = bounded(batch).await.unwrap();
    // The add may have been applied by the timed-out request: meeting it again is success.
    results.get(&add).expect("its own earlier effect");
    assert_eq!(
        results.get(&read).unwrap().is_enabled_for_group,
        Nullable::Value(false)
    );
    assert_eq!(results.attempts(add.id()), 2);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the 504 itself is not resent by the send loop"
    );
    assert_eq!(results.http_requests(), 2);

    // With a policy that does not resend a POST after a 504, the add gets the 504 back.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(BATCH_PATH))
        .respond_with(ResponseTemplate::new(504))
        .mount(&server)
        .await;
    let client = client_with(
        &server,
        RetryPolicy {
            retry_post_after_gateway_timeout: false,
            ..fast_retries(3)
        },
    );
    let mut batch = client.batch();
    let add = batch.add(add_owner_request(&client, AGENT_ID)).unwrap();
    let results = bounded(batch).await.unwrap();
    let err = results.get(&add).unwrap_err();
    assert_eq!(service(&err).status, 504);
    assert!(service(&err).may_have_been_applied());
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn concurrent_requests_never_split_a_dependency_between_them() {
    let server = MockServer::start().await;
    mount_batch(&server, |_, items| {
        answer(
            items
                .iter()
                .map(|i| json!({"id": i["id"], "status": 204}))
                .collect(),
        )
    })
    .await;
    let client = client_for(&server);
    let mut batch = client.batch().concurrency(3);
    // A chain of 25, then 10 independent items.
    let mut all: Vec<BatchItem<()>> = Vec::new();
    for i in 0..25 {
        let after: Vec<_> = all.last().map(|p| p.id()).into_iter().collect();
        all.push(
            batch
                .add_after(add_owner_request(&client, &agent(i)), &after)
                .unwrap(),
        );
    }
    for i in 25..35 {
        all.push(batch.add(add_owner_request(&client, &agent(i))).unwrap());
    }
    let results = bounded(batch).await.unwrap();
    assert!(all.iter().all(|item| results.get(item).is_ok()));
    assert_eq!(results.http_requests(), 3);
    let sent = batches(&server).await;
    let mut sizes: Vec<usize> = sent.iter().map(Vec::len).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [5, 10, 20]);
    // The rest of the chain went last, after the request holding its dependency was answered.
    assert_eq!(ids(&sent[2]), ["21", "22", "23", "24", "25"]);
}

/// The README's bulk example, as written there: add one owner to many agent identities in one
/// batch, and report each failure.
async fn add_owner_to_all(
    client: &Client,
    agent_ids: &[String],
    owner_id: &str,
) -> Result<Vec<(String, Error)>, Error> {
    let owner = ReferenceCreate::directory_object(client, owner_id)?;
    let mut batch = client.batch();
    let mut adds = Vec::new();
    for agent_id in agent_ids {
        let add = client
            .service_principals()
            .by_service_principal_id(agent_id)
            .agent_identity()
            .owners()
            .ref_()
            .post(&owner);
        adds.push((agent_id, batch.add(add.into_request())?));
    }
    // 20 items per POST /$batch; a throttled item goes again in a later one after its own
    // Retry-After, without failing its siblings.
    let results = batch.send().await?;
    let mut failures = Vec::new();
    for (agent_id, add) in &adds {
        if let Err(e) = results.get(add) {
            failures.push((agent_id.to_string(), e));
        }
    }
    Ok(failures)
}

#[tokio::test]
async fn the_readme_bulk_example_adds_owners_and_reports_failures_per_agent() {
    let server = MockServer::start().await;
    mount_batch(&server, |call, items| {
        answer(
            items
                .iter()
                .map(|i| {
                    let url = i["url"].as_str().unwrap();
                    if url.contains(&agent(7)) {
                        json!({"id": i["id"], "status": 404, "headers": {"Content-Type": "application/json"},
                               "body": graph_error("Request_ResourceNotFound", "Resource does not exist.")})
                    } else if call == 0 && url.contains(&agent(3)) {
                        json!({"id": i["id"], "status": 429, "headers": {"Retry-After": "0"}})
                    } else {
                        json!({"id": i["id"], "status": 204})
                    }
                })
                .collect(),
        )
    })
    .await;
    let client = client_for(&server);
    let agents: Vec<String> = (0..50).map(agent).collect();
    let failures = bounded(add_owner_to_all(&client, &agents, OWNER_ID))
        .await
        .unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].0, agent(7));
    assert_eq!(failures[0].1.status(), Some(404));
    let sent = batches(&server).await;
    // The throttled item (id 4) goes first in the next request, which takes 19 new ones.
    assert_eq!(sent.iter().map(Vec::len).collect::<Vec<_>>(), [20, 20, 11]);
    assert_eq!(ids(&sent[1])[..2], ["4", "21"]);
    assert_eq!(ids(&sent[2])[0], "40");
}

#[tokio::test]
async fn a_resumed_page_goes_by_its_next_link_made_relative_and_a_foreign_link_fails_its_item() {
    let server = MockServer::start().await;
    mount_batch(&server, |_, items| {
        answer(
            items
                .iter()
                .map(|i| json!({"id": i["id"], "status": 200, "headers": {"Content-Type": "application/json"},
                                "body": {"value": []}}))
                .collect(),
        )
    })
    .await;
    let client = client_for(&server);
    let owners = || {
        client
            .service_principals()
            .by_service_principal_id(AGENT_ID)
            .agent_identity()
            .owners()
            .get()
            .into_request()
    };
    let link = format!(
        "{}/beta/servicePrincipals/{AGENT_ID}/microsoft.graph.agentIdentity/owners?$skiptoken=X%27abc%27",
        server.uri()
    );
    let mut batch = client.batch();
    let resumed = batch.add(owners().resume(link)).unwrap();
    let foreign = batch
        .add(owners().resume("https://elsewhere.example/beta/servicePrincipals?$skiptoken=1"))
        .unwrap();
    let results = bounded(batch).await.unwrap();
    assert!(results.get(&resumed).unwrap().items.is_empty());
    assert!(matches!(
        results.get(&foreign).unwrap_err(),
        Error::InvalidNextLink { .. }
    ));
    let sent = batches(&server).await;
    assert_eq!(ids(&sent[0]), ["1"]);
    assert_eq!(
        sent[0][0]["url"],
        format!(
            "/servicePrincipals/{AGENT_ID}/microsoft.graph.agentIdentity/owners?$skiptoken=X%27abc%27"
        )
    );
    assert_eq!(sent[0][0]["method"], "GET");
}

#[tokio::test]
async fn near_a_limit_a_batch_sends_one_request_at_a_time() {
    let server = MockServer::start().await;
    let arrivals = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&arrivals);
    // Every item succeeds, reporting 90 % of a write limit in use; each answer takes 500 ms.
    mount_batch(&server, move |_, items| {
        seen.lock().unwrap().push(std::time::Instant::now());
        let responses = items
            .iter()
            .map(|i| {
                json!({"id": i["id"], "status": 204,
                       "headers": {"x-ms-throttle-limit-percentage": "0.9"}})
            })
            .collect();
        answer(responses).set_delay(std::time::Duration::from_millis(500))
    })
    .await;
    let client = client_for(&server);
    let mut batch = client.batch().concurrency(3);
    let items: Vec<BatchItem<()>> = (0..100)
        .map(|i| batch.add(add_owner_request(&client, &agent(i))).unwrap())
        .collect();
    let results = bounded(batch).await.unwrap();
    for item in &items {
        results.get(item).unwrap();
    }
    let sizes: Vec<usize> = batches(&server).await.iter().map(Vec::len).collect();
    assert_eq!(sizes, [20, 20, 20, 20, 20]);
    let at = arrivals.lock().unwrap().clone();
    let gap = |a: usize, b: usize| at[b].duration_since(at[a]);
    // The first wave, before any answer: three requests together (all sent before the first
    // answer could have come back).
    assert!(gap(0, 2) < std::time::Duration::from_millis(500), "{at:?}");
    // Its answers put the governor's writes at 90 % of a limit: the rest go one by one, each
    // after the answer to the one before.
    assert!(client.throttle_state().write.spacing > std::time::Duration::ZERO);
    assert!(gap(2, 3) >= std::time::Duration::from_millis(500), "{at:?}");
    assert!(gap(3, 4) >= std::time::Duration::from_millis(500), "{at:?}");
}
