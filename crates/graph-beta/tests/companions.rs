//! The companion operations on the wire (wiremock on 127.0.0.1): listing owners (paths, query
//! encoding, pages, headers on every page, verbatim skip tokens, foreign next links refused,
//! typed and unknown owners), removing an owner, reading limited mode.

mod common;

use common::*;
use graph_beta::prelude::*;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LIST_PATH: &str = "/beta/servicePrincipals/00000000-0000-0000-0000-0000000000a1/microsoft.graph.agentIdentity/owners";

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

fn page(value: serde_json::Value, next: Option<String>) -> ResponseTemplate {
    let mut body = json!({"@odata.context": "https://graph.microsoft.com/beta/$metadata#directoryObjects", "value": value});
    if let Some(next) = next {
        body["@odata.nextLink"] = json!(next);
    }
    ResponseTemplate::new(200).set_body_json(body)
}

fn user(id: &str, upn: &str) -> serde_json::Value {
    json!({"@odata.type": "#microsoft.graph.user", "id": id, "displayName": null, "userPrincipalName": upn})
}

#[tokio::test]
async fn list_sends_the_exact_path_and_encodes_every_query_option() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .respond_with(page(json!([user(OWNER_ID, "adele@contoso.com")]), None))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server);
    let first = bounded(
        owners(&client)
            .get()
            .select(["id", "userPrincipalName"])
            .filter("startswith(displayName,'A&B ü')")
            .top(5)
            .count(true)
            .orderby(["displayName desc"])
            .search("\"displayName:Adele\"")
            .consistency_level("eventual"),
    )
    .await
    .expect("first page");
    assert_eq!(first.items.len(), 1);
    assert!(!first.has_next());
    let AnyDirectoryObject::User(adele) = &first.items[0] else {
        panic!("{:?}", first.items[0])
    };
    assert_eq!(
        adele.user_principal_name.as_deref(),
        Some("adele@contoso.com")
    );
    assert_eq!(
        adele.display_name,
        Nullable::Null,
        "an explicit null survives"
    );
    let request = &received(&server).await[0];
    assert_eq!(
        request.url.query(),
        Some(
            "$select=id,userPrincipalName&$filter=startswith%28displayName%2C%27A%26B%20%C3%BC%27%29&$top=5&$count=true\
             &$orderby=displayName%20desc&$search=%22displayName%3AAdele%22"
        )
    );
    assert_eq!(header_of(request, "consistencylevel"), Some("eventual"));
    assert_eq!(header_of(request, "accept"), Some("application/json"));
}

fn header_of<'a>(request: &'a wiremock::Request, name: &str) -> Option<&'a str> {
    common::header(request, name)
}

#[tokio::test]
async fn three_pages_stream_with_headers_on_every_page_and_tokens_verbatim() {
    let server = MockServer::start().await;
    let link = |token: &str| format!("{}{LIST_PATH}?$top=1&$skiptoken={token}", server.uri());
    // Graph's tokens are opaque: %2B, %2F and %3D must reach the server as written.
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .and(query_param("$skiptoken", "RFNwdAIAAQAAACE6+/=="))
        .respond_with(page(json!([user("u3", "c@x")]), None))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .and(query_param("$skiptoken", "p2"))
        .respond_with(page(
            json!([user("u2", "b@x")]),
            Some(link("RFNwdAIAAQAAACE6%2B%2F%3D%3D")),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .and(query_param("$top", "1"))
        .respond_with(page(json!([user("u1", "a@x")]), Some(link("p2"))))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let client = client_for(&server);
    let mut pages = owners(&client)
        .get()
        .top(1)
        .consistency_level("eventual")
        .header("Prefer", "odata.maxpagesize=1")
        .pages();
    let mut seen = Vec::new();
    while let Some(page) = bounded(pages.next()).await {
        let page = page.expect("page");
        seen.extend(page.items.iter().filter_map(|o| o.id().map(str::to_owned)));
    }
    assert_eq!(seen, ["u1", "u2", "u3"]);
    let requests = received(&server).await;
    assert_eq!(requests.len(), 3);
    for r in &requests {
        assert_eq!(
            header_of(r, "consistencylevel"),
            Some("eventual"),
            "{}",
            r.url
        );
        assert_eq!(
            header_of(r, "prefer"),
            Some("odata.maxpagesize=1"),
            "{}",
            r.url
        );
        assert_eq!(
            header_of(r, "authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
    assert_eq!(
        requests[2].url.query(),
        Some("$top=1&$skiptoken=RFNwdAIAAQAAACE6%2B%2F%3D%3D")
    );
    let ids: std::collections::BTreeSet<&str> = requests
        .iter()
        .filter_map(|r| header_of(r, "client-request-id"))
        .collect();
    assert_eq!(ids.len(), 3, "each page has its own client-request-id");
}

#[tokio::test]
async fn ended_streams_keep_answering_none() {
    // Polling a page or item stream again after its end (or after an error) is allowed and
    // answers `None`, as `Stream` users expect of a fused stream; it sends nothing more.
    let server = MockServer::start().await;
    let link = format!("{}{LIST_PATH}?$skiptoken=p2", server.uri());
    Mock::given(method("GET"))
        .and(query_param("$skiptoken", "p2"))
        .respond_with(page(json!([user("u2", "b@x")]), None))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .respond_with(page(json!([user("u1", "a@x")]), Some(link)))
        .mount(&server)
        .await;
    let client = client_for(&server);

    let mut items = owners(&client).get().items();
    let mut seen = Vec::new();
    while let Some(item) = bounded(items.next()).await {
        seen.push(item.expect("item").id().map(str::to_owned));
    }
    assert_eq!(seen, [Some("u1".to_owned()), Some("u2".to_owned())]);
    for _ in 0..3 {
        assert!(bounded(items.next()).await.is_none());
    }

    let mut pages = owners(&client).get().pages();
    assert_eq!(bounded(pages.next()).await.map(|p| p.is_ok()), Some(true));
    assert_eq!(bounded(pages.next()).await.map(|p| p.is_ok()), Some(true));
    for _ in 0..3 {
        assert!(bounded(pages.next()).await.is_none());
    }
    assert_eq!(
        received(&server).await.len(),
        4,
        "two pages per stream, nothing after"
    );

    // After an error: the stream yields it once and then ends for good.
    let mut items = owners(&client).get().header("Prefer", "bad\nvalue").items();
    assert!(matches!(
        bounded(items.next()).await,
        Some(Err(Error::InvalidInput { .. }))
    ));
    for _ in 0..3 {
        assert!(bounded(items.next()).await.is_none());
    }
}

#[tokio::test]
async fn a_next_link_to_another_host_or_port_is_refused_before_anything_is_sent() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    for foreign in [
        format!("{}{LIST_PATH}?$skiptoken=SECRET-TOKEN-1", elsewhere.uri()),
        format!(
            "{}{LIST_PATH}?$skiptoken=SECRET-TOKEN-1",
            server.uri().replace("http://", "https://")
        ),
        format!(
            "http://user:pw@{}{LIST_PATH}?$skiptoken=SECRET-TOKEN-1",
            server.address()
        ),
        format!("{LIST_PATH}?$skiptoken=SECRET-TOKEN-1"),
    ] {
        server.reset().await;
        Mock::given(method("GET"))
            .and(path(LIST_PATH))
            .respond_with(page(json!([user("u1", "a@x")]), Some(foreign.clone())))
            .mount(&server)
            .await;
        let client = client_for(&server);
        let all = bounded(owners(&client).get().items().collect_all()).await;
        let err = all.expect_err("the foreign link is refused");
        let Error::InvalidNextLink {
            operation_id,
            reason,
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(*operation_id, "servicePrincipals.agentIdentity.ListOwners");
        assert!(
            !err.to_string().contains("SECRET-TOKEN-1")
                && !format!("{err:?}").contains("SECRET-TOKEN-1"),
            "{reason}"
        );
        assert_eq!(
            received(&server).await.len(),
            1,
            "{foreign}: only the first page was fetched"
        );
        assert!(
            received(&elsewhere).await.is_empty(),
            "nothing went to the other host"
        );
    }
    // Resuming from a foreign link is refused the same way, and nothing is sent at all.
    server.reset().await;
    let client = client_for(&server);
    let err = bounded(
        owners(&client)
            .get()
            .resume(format!("{}{LIST_PATH}", elsewhere.uri())),
    )
    .await
    .expect_err("refused");
    assert!(matches!(err, Error::InvalidNextLink { .. }), "{err:?}");
    assert!(received(&server).await.is_empty() && received(&elsewhere).await.is_empty());
}

#[tokio::test]
async fn resume_continues_from_a_stored_next_link_with_the_requests_headers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .and(query_param("$skiptoken", "stored"))
        .and(header("ConsistencyLevel", "eventual"))
        .respond_with(page(json!([user("u9", "z@x")]), None))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server);
    let stored = format!("{}{LIST_PATH}?$skiptoken=stored", server.uri());
    let page = bounded(
        owners(&client)
            .get()
            .consistency_level("eventual")
            .resume(stored),
    )
    .await
    .expect("page");
    assert_eq!(page.items[0].id(), Some("u9"));
}

#[tokio::test]
async fn a_builder_error_before_resume_is_returned_not_dropped() {
    // The resumed stream does not send the first request, but an invalid header set on it is
    // still refused, by `.await` and by the page stream alike, and nothing is sent.
    let server = MockServer::start().await;
    let client = client_for(&server);
    let stored = format!("{}{LIST_PATH}?$skiptoken=stored", server.uri());
    let first = || {
        owners(&client)
            .get()
            .header("ConsistencyLevel", "bad\nvalue")
            .resume(stored.clone())
    };
    let e = bounded(first()).await.unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    let mut pages = first().pages();
    let e = bounded(pages.next()).await.expect("one item").unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    assert!(bounded(pages.next()).await.is_none());
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn each_page_is_retried_on_its_own_and_an_error_mid_stream_is_yielded() {
    let server = MockServer::start().await;
    let link = |token: &str| format!("{}{LIST_PATH}?$skiptoken={token}", server.uri());
    Mock::given(method("GET"))
        .and(query_param("$skiptoken", "p3"))
        .respond_with(ResponseTemplate::new(403).set_body_json(graph_error(
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )))
        .mount(&server)
        .await;
    // Mocks are matched in the order they are mounted: the 429 answers p2 once, then the page.
    Mock::given(method("GET"))
        .and(query_param("$skiptoken", "p2"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("$skiptoken", "p2"))
        .respond_with(page(json!([user("u2", "b@x")]), Some(link("p3"))))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .respond_with(page(json!([user("u1", "a@x")]), Some(link("p2"))))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let client = client_for(&server);
    let mut items = owners(&client).get().items();
    let mut ids = Vec::new();
    let mut error = None;
    while let Some(item) = bounded(items.next()).await {
        match item {
            Ok(owner) => ids.extend(owner.id().map(str::to_owned)),
            Err(e) => error = Some(e),
        }
    }
    assert_eq!(ids, ["u1", "u2"]);
    let error = error.expect("the third page's 403 is yielded");
    assert_eq!(error.status(), Some(403));
    let requests = received(&server).await;
    assert_eq!(
        requests.len(),
        4,
        "page 1, page 2 throttled and retried, page 3"
    );
    assert_eq!(header_of(&requests[2], "retry-attempt"), Some("1"));
    assert_eq!(
        header_of(&requests[1], "client-request-id"),
        header_of(&requests[2], "client-request-id"),
        "a retry keeps its page's id"
    );
}

#[tokio::test]
async fn unknown_and_missing_odata_types_decode_to_the_base_with_every_member_kept() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .respond_with(page(
            json!([
                {"@odata.type": "#microsoft.graph.group", "id": "g1", "mailEnabled": true},
                {"id": "x1"},
                {"@odata.type": "#microsoft.graph.agentIdentity", "id": "a1", "appId": "app", "agentIdentityBlueprintId": "bp"},
                {"@odata.type": "#microsoft.graph.servicePrincipal", "id": "s1", "appId": "app2"}
            ]),
            None,
        ))
        .mount(&server)
        .await;
    let client = client_for(&server);
    let page = bounded(owners(&client).get()).await.expect("page");
    let AnyDirectoryObject::Other(group) = &page.items[0] else {
        panic!("{:?}", page.items[0])
    };
    assert_eq!(
        group.additional_properties.get("mailEnabled"),
        Some(&json!(true))
    );
    assert_eq!(page.items[0].odata_type(), Some("#microsoft.graph.group"));
    assert!(
        matches!(&page.items[1], AnyDirectoryObject::Other(o) if o.id.as_deref() == Some("x1"))
    );
    let agent = page.items[2].as_agent_identity().expect("agent identity");
    assert_eq!(
        (
            agent.app_id.as_deref(),
            agent.agent_identity_blueprint_id.as_deref()
        ),
        (Some("app"), Some("bp"))
    );
    assert_eq!(
        page.items[3]
            .as_service_principal()
            .and_then(|s| s.app_id.as_deref()),
        Some("app2")
    );
    // The unknown type round-trips as it came.
    assert_eq!(
        serde_json::to_value(&page.items[0]).unwrap(),
        json!({"@odata.type": "#microsoft.graph.group", "id": "g1", "mailEnabled": true})
    );
}

#[tokio::test]
async fn remove_sends_delete_to_the_exact_reference_path() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path(format!("{LIST_PATH}/a%2Fb%20c/$ref")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server);
    bounded(
        owners(&client)
            .by_directory_object_id("a/b c")
            .ref_()
            .delete()
            .if_match("W/\"1\""),
    )
    .await
    .expect("removed");
    let request = &received(&server).await[0];
    assert_eq!(header_of(request, "if-match"), Some("W/\"1\""));
    assert!(request.body.is_empty());
    // `.` and `..` never leave the client.
    for bad in ["", ".", ".."] {
        let err = bounded(owners(&client).by_directory_object_id(bad).ref_().delete())
            .await
            .expect_err("refused");
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    }
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn limited_mode_is_read_bare_or_wrapped_in_value() {
    let server = MockServer::start().await;
    let body = json!({"@odata.type": "#microsoft.graph.copilotAdminLimitedMode", "isEnabledForGroup": true, "groupId": GROUP_ID});
    Mock::given(method("GET"))
        .and(path(LIMITED_MODE_PATH))
        .and(query_param("$select", "isEnabledForGroup,groupId"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"@odata.context": "x", "value": body})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(LIMITED_MODE_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(body.clone()))
        .mount(&server)
        .await;
    let client = client_for(&server);
    let limited = client.copilot().admin().settings().limited_mode();
    let wrapped = bounded(limited.get().select(["isEnabledForGroup", "groupId"]))
        .await
        .expect("wrapped");
    let bare = bounded(limited.get()).await.expect("bare");
    assert_eq!(wrapped, bare);
    assert_eq!(bare.is_enabled_for_group, Nullable::Value(true));
    assert_eq!(bare.group_id.as_deref(), Some(GROUP_ID));
}
