//! Raw calls (`client.raw`, `client.raw_paged`) on the wire (wiremock on 127.0.0.1): a path
//! outside the slice goes through the same pipeline as a generated operation — the credential,
//! the default headers, encoding, the retry decision (the idempotent `$ref` rules included),
//! typed errors named by the template, paging with the same-origin rule — and a bad template or
//! value is refused before anything is sent.

mod common;

use common::*;
use graph_beta::prelude::*;
use graph_beta::runtime::HttpMethod;
use serde_json::json;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserId {
    id: String,
    user_principal_name: String,
}

#[tokio::test]
async fn resolve_a_user_principal_name_then_add_it_as_owner() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/beta/users/adele.vance%40contoso.com"))
        .and(query_param("$select", "id,userPrincipalName"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "https://graph.microsoft.com/beta/$metadata#users(id,userPrincipalName)/$entity",
            "id": OWNER_ID,
            "userPrincipalName": "adele.vance@contoso.com",
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server);
    let owner_url = client
        .core()
        .entity_url("directoryObjects", OWNER_ID)
        .unwrap();
    Mock::given(method("POST"))
        .and(path(format!("/beta/groups/{GROUP_ID}/owners/$ref")))
        .and(body_json(json!({"@odata.id": owner_url})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;

    let user: UserId = bounded(
        client
            .raw(HttpMethod::Get, "/users/{}", ["adele.vance@contoso.com"])
            .query_list("$select", ["id", "userPrincipalName"]),
    )
    .await
    .expect("user");
    assert_eq!(user.id, OWNER_ID);
    assert_eq!(user.user_principal_name, "adele.vance@contoso.com");
    bounded(
        client
            .raw::<()>(HttpMethod::Post, "/groups/{}/owners/$ref", [GROUP_ID])
            .json_body(&ReferenceCreate::directory_object(&client, &user.id).unwrap()),
    )
    .await
    .expect("owner added");

    let requests = received(&server).await;
    for r in &requests {
        assert_eq!(
            header(r, "authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert!(is_uuid(header(r, "client-request-id").unwrap()));
        assert!(
            header(r, "user-agent")
                .unwrap()
                .starts_with("graph-beta-rs/")
        );
    }
    assert_eq!(
        header(&requests[1], "content-type"),
        Some("application/json")
    );
}

#[tokio::test]
async fn values_are_encoded_as_one_segment_or_as_odata_string_literals() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "x"})))
        .mount(&server)
        .await;
    let client = client_for(&server);
    let _: serde_json::Value =
        bounded(client.raw(HttpMethod::Get, "/users/{}/memberOf", ["a/b?c#d %"]))
            .await
            .unwrap();
    let _: serde_json::Value =
        bounded(client.raw(HttpMethod::Get, "/servicePrincipals(appId='{}')", ["it's"]))
            .await
            .unwrap();
    let requests = received(&server).await;
    assert_eq!(
        requests[0].url.path(),
        "/beta/users/a%2Fb%3Fc%23d%20%25/memberOf"
    );
    assert_eq!(requests[0].url.query(), None);
    assert_eq!(
        requests[1].url.path(),
        "/beta/servicePrincipals(appId='it%27%27s')"
    );
}

#[tokio::test]
async fn a_bad_template_or_value_is_refused_before_anything_is_sent() {
    let server = MockServer::start().await;
    let client = client_for(&server);
    for (template, params) in [
        ("https://evil.example/users", vec![]),
        ("//evil.example/users", vec![]),
        ("/users/{}", vec![".."]),
        ("/users/{}", vec![""]),
        ("/users/{}", vec![]),
        ("/users/{}", vec!["a", "b"]),
        ("/users?$filter=x", vec![]),
        ("/users/../me", vec![]),
    ] {
        let e = bounded(client.raw::<serde_json::Value>(HttpMethod::Get, template, params))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{template}: {e:?}");
    }
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn errors_are_typed_and_named_by_the_template() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(graph_error(
            "Request_ResourceNotFound",
            "Resource 'nobody@contoso.com' does not exist or one of its queried reference-property objects are not present.",
        )))
        .mount(&server)
        .await;
    let client = client_for(&server);
    let e = bounded(client.raw::<serde_json::Value>(
        HttpMethod::Get,
        "/users/{}",
        ["nobody@contoso.com"],
    ))
    .await
    .unwrap_err();
    let service = service(&e);
    assert_eq!(service.status, 404);
    assert_eq!(service.operation_id, "/users/{}");
    assert_eq!(service.code(), Some("Request_ResourceNotFound"));
    assert!(e.to_string().contains("/users/{}"), "{e}");
}

#[tokio::test]
async fn raw_calls_are_retried_by_the_same_decision_including_the_reference_rules() {
    let server = MockServer::start().await;
    // A throttled GET is retried after Retry-After.
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "u1"})))
        .mount(&server)
        .await;
    // A $ref add that timed out at the gateway and then meets "already exist" was applied.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(504))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(graph_error(
            "Request_BadRequest",
            "One or more added object references already exist for the following modified properties: 'owners'.",
        )))
        .mount(&server)
        .await;
    let client = client_for(&server);
    let user: serde_json::Value = bounded(client.raw(HttpMethod::Get, "/users/{}", ["u1"]))
        .await
        .expect("retried");
    assert_eq!(user["id"], "u1");
    bounded(
        client
            .raw::<()>(HttpMethod::Post, "/groups/{}/owners/$ref", [GROUP_ID])
            .json_body(&json!({"@odata.id": "x"})),
    )
    .await
    .expect("the earlier attempt added it");
    let requests = received(&server).await;
    assert_eq!(requests.len(), 4);
    assert_eq!(header(&requests[1], "retry-attempt"), Some("1"));
    // The same POST without a $ref segment is not a reference: the 400 is the caller's.
    let e = bounded(
        client
            .raw::<()>(HttpMethod::Post, "/groups/{}/owners", [GROUP_ID])
            .json_body(&json!({})),
    )
    .await
    .unwrap_err();
    assert_eq!(service(&e).status, 400);
}

#[tokio::test]
async fn raw_paged_follows_next_links_on_the_same_origin_only() {
    let server = MockServer::start().await;
    let next = format!("{}/beta/users?$skiptoken=p2", server.uri());
    Mock::given(method("GET"))
        .and(query_param("$skiptoken", "p2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"id": "u2", "userPrincipalName": "b@x"}],
            "@odata.nextLink": "https://evil.example/beta/users?$skiptoken=p3",
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/beta/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"id": "u1", "userPrincipalName": "a@x"}],
            "@odata.nextLink": next,
        })))
        .mount(&server)
        .await;
    let client = client_for(&server);
    let mut items = client
        .raw_paged::<UserId>("/users", std::iter::empty::<String>())
        .header("ConsistencyLevel", "eventual")
        .items();
    let mut seen = Vec::new();
    let mut failure = None;
    while let Some(item) = bounded(items.next()).await {
        match item {
            Ok(user) => seen.push(user.id),
            Err(e) => failure = Some(e),
        }
    }
    assert_eq!(seen, ["u1", "u2"]);
    assert!(
        matches!(
            failure,
            Some(Error::InvalidNextLink {
                operation_id: "/users",
                ..
            })
        ),
        "{failure:?}"
    );
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2, "nothing went to the foreign host");
    for r in &requests {
        assert_eq!(header(r, "consistencylevel"), Some("eventual"));
    }
}
