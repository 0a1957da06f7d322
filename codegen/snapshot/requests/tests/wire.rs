//! The kitchen-sink builders on the wire: optional and required query and
//! header parameters, `$count`, casts and `$ref` segments, typed bodies and
//! results, against a real HTTP server on 127.0.0.1.

use graph_core::{CoreClient, RetryPolicy, StaticToken};
use snapshot_requests::GraphClient;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn client(server: &MockServer) -> GraphClient {
    let core = CoreClient::builder(StaticToken::new("kitchen-token"))
        .service_root(format!("{}/beta", server.uri()))
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client");
    GraphClient::from(core)
}

#[tokio::test]
async fn optional_query_and_header_parameters_are_sent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/beta/widgets"))
        .and(query_param("$top", "5"))
        .and(query_param("$select", "id,color"))
        .and(query_param("$orderby", "red,dark-blue"))
        .and(header("ConsistencyLevel", "eventual"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "value": [{"id": "w1", "color": "dark-blue", "shade": null, "brandNew": 1}],
            "@odata.nextLink": null
        })))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server)
        .await
        .widgets()
        .get()
        .top(5)
        .select(["id", "color"])
        .orderby([graph_models::Color::Red, graph_models::Color::DarkBlue])
        .consistency_level("eventual")
        .await
        .expect("list");
    let widgets = page.value.expect("value");
    assert_eq!(widgets[0].color, Some(graph_models::Color::DarkBlue));
    assert_eq!(widgets[0].shade, graph_models::Nullable::Null);
    assert_eq!(
        widgets[0].additional_properties_2.get("brandNew"),
        Some(&serde_json::json!(1))
    );
    assert!(page.odata_next_link.is_null());
}

#[tokio::test]
async fn required_header_parameter_and_count_segment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/beta/widgets/$count"))
        .and(header("ConsistencyLevel", "eventual"))
        .respond_with(ResponseTemplate::new(200).set_body_string("42"))
        .expect(1)
        .mount(&server)
        .await;
    let n = client(&server)
        .await
        .widgets()
        .count()
        .get("eventual")
        .await
        .expect("count");
    assert_eq!(n, 42);
}

#[tokio::test]
async fn cast_and_ref_segments_with_a_reference_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(
            "/beta/widgets/w%201/microsoft.graph.gadget/parts/$ref",
        ))
        .and(body_json(
            serde_json::json!({"@odata.id": "https://example.test/parts/1"}),
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let body = graph_models::ReferenceCreate {
        odata_id: Some("https://example.test/parts/1".into()),
        ..Default::default()
    };
    client(&server)
        .await
        .widgets()
        .by_widget_id("w 1")
        .gadget()
        .parts()
        .ref_()
        .post(&body)
        .await
        .expect("204");
}

#[tokio::test]
async fn optional_header_on_delete_and_unknown_enum_members_round_trip() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/beta/widgets/w1"))
        .and(header("If-Match", "W/\"1\""))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/beta/widgets/w1"))
        .and(body_json(
            serde_json::json!({"color": "ultraviolet", "size": null}),
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server).await;
    c.widgets()
        .by_widget_id("w1")
        .delete()
        .if_match("W/\"1\"")
        .await
        .expect("delete");
    let unknown: graph_models::Color = serde_json::from_str("\"ultraviolet\"").expect("catch-all");
    assert_eq!(unknown, graph_models::Color::Other2("ultraviolet".into()));
    let patch = graph_models::Widget {
        color: Some(unknown),
        size: graph_models::Nullable::Null,
        ..Default::default()
    };
    c.widgets()
        .by_widget_id("w1")
        .patch(&patch)
        .await
        .expect("patch");
}

#[tokio::test]
async fn alternate_keys_text_counts_and_binary_streams() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/beta/widgets(serial='o%27%27neil%2F7')"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "w7"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/beta/widgets/$count/text"))
        .and(header("Accept", "text/plain"))
        .respond_with(ResponseTemplate::new(200).set_body_string("17"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/beta/widgets/w1/photo/$value"))
        .and(header("Accept", "application/octet-stream"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![0x89, b'P', b'N', b'G']))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/beta/widgets/w1/photo/$value"))
        .and(header("Content-Type", "application/octet-stream"))
        .and(wiremock::matchers::body_bytes(vec![1u8, 2, 3]))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server).await;
    let w = c
        .widgets_with_serial("o'neil/7")
        .get()
        .await
        .expect("alternate key");
    assert_eq!(w.id.as_deref(), Some("w7"));
    assert_eq!(c.widgets().count().text().get().await.expect("count"), 17);
    let photo = c
        .widgets()
        .by_widget_id("w1")
        .photo()
        .value()
        .get()
        .await
        .expect("photo");
    assert_eq!(photo, vec![0x89, b'P', b'N', b'G']);
    c.widgets()
        .by_widget_id("w1")
        .photo()
        .value()
        .put(vec![1u8, 2, 3])
        .await
        .expect("upload");
    let empty = c
        .widgets_with_serial("")
        .get()
        .await
        .expect_err("empty key");
    assert!(
        matches!(empty, graph_core::Error::InvalidInput { .. }),
        "{empty:?}"
    );
}

/// Three pages of things of every kind: the stream follows each `@odata.nextLink` verbatim,
/// repeats the first request's headers, and decodes each item by `@odata.type`.
#[tokio::test]
async fn pageable_operations_stream_every_page_and_decode_items_by_odata_type() {
    use futures_util::TryStreamExt;
    let server = MockServer::start().await;
    let page = |value: serde_json::Value, next: Option<String>| {
        let mut body = serde_json::json!({"@odata.context": "x", "value": value});
        if let Some(next) = next {
            body["@odata.nextLink"] = serde_json::Value::String(next);
        }
        ResponseTemplate::new(200).set_body_json(body)
    };
    let next = |token: &str| format!("{}/beta/things?$top=2&$skiptoken={token}", server.uri());
    Mock::given(method("GET"))
        .and(path("/beta/things"))
        .and(query_param("$skiptoken", "Rk%2B/="))
        .and(header("ConsistencyLevel", "eventual"))
        .respond_with(page(serde_json::json!([{"@odata.type": "#microsoft.graph.group", "id": "g", "visibility": "Private"}]), None))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/beta/things"))
        .and(query_param("$skiptoken", "p2"))
        .and(header("ConsistencyLevel", "eventual"))
        .respond_with(page(
            serde_json::json!([{"id": "plain"}]),
            Some(next("Rk%252B%2F%3D")),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/beta/things"))
        .and(query_param("$top", "2"))
        .and(header("ConsistencyLevel", "eventual"))
        .respond_with(page(
            serde_json::json!([
                {"@odata.type": "#microsoft.graph.widget", "id": "w", "displayName": "Widget"},
                {"@odata.type": "#microsoft.graph.gadget", "id": "d", "batteries": 2}
            ]),
            Some(next("p2")),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let things: Vec<graph_models::AnyThing> = client(&server)
        .await
        .things()
        .get()
        .top(2)
        .consistency_level("eventual")
        .items()
        .try_collect()
        .await
        .expect("items");
    assert_eq!(things.len(), 4);
    assert_eq!(
        things[0]
            .as_widget()
            .and_then(|w| w.display_name.as_option().cloned())
            .as_deref(),
        Some("Widget")
    );
    assert_eq!(things[1].as_gadget().and_then(|g| g.batteries), Some(2));
    // No @odata.type, and one this crate does not know: the base, with unknown members kept.
    let graph_models::AnyThing::Other(plain) = &things[2] else {
        panic!("{:?}", things[2])
    };
    assert_eq!(plain.id.as_deref(), Some("plain"));
    let graph_models::AnyThing::Other(group) = &things[3] else {
        panic!("{:?}", things[3])
    };
    assert_eq!(things[3].odata_type(), Some("#microsoft.graph.group"));
    assert_eq!(
        group.additional_properties.get("visibility"),
        Some(&serde_json::json!("Private"))
    );
    // Serializing writes the variant's @odata.type back, even when the value was built without it.
    let built = graph_models::AnyThing::Gadget(Box::new(graph_models::Gadget {
        batteries: Some(1),
        ..Default::default()
    }));
    assert_eq!(
        serde_json::to_value(&built).expect("json")["@odata.type"],
        "#microsoft.graph.gadget"
    );
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(requests.len(), 3);
    assert!(
        requests
            .iter()
            .all(|r| r.headers.get("authorization").is_some())
    );
    let ids: std::collections::BTreeSet<_> = requests
        .iter()
        .map(|r| r.headers["client-request-id"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        ids.len(),
        3,
        "each page is its own request with its own client-request-id"
    );
    // The third link went out exactly as the server wrote it.
    assert_eq!(
        requests[2].url.query(),
        Some("$top=2&$skiptoken=Rk%252B%2F%3D")
    );
}
