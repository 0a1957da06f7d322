//! Operation 1: POST /servicePrincipals/{id}/microsoft.graph.agentIdentity/owners/$ref.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn adds_an_owner_with_204_and_records_it() {
    let graph = seeded().await;
    let response = add_owner(&graph, AGENT, &v1_ref(USER)).await;
    assert_eq!(response.status(), 204);
    assert!(response.headers().get("content-type").is_none());
    assert!(response.text().await.unwrap().is_empty());
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
}

#[tokio::test]
async fn accepts_beta_and_local_urls_the_short_cast_alias_and_every_owner_kind() {
    let graph = seeded().await;
    // A beta URL for a second user, through the `graph.agentIdentity` alias.
    let response = client()
        .post(format!("{}/servicePrincipals/{AGENT}/graph.agentIdentity/owners/$ref", graph.base_url()))
        .bearer_auth("t")
        .json(&json!({"@odata.id": format!("https://graph.microsoft.com/beta/directoryObjects/{USER2}")}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    // The emulator's own URL, naming a plain service principal.
    let own = json!({"@odata.id": graph.directory_object_url(PLAIN_SP)});
    assert_eq!(add_owner(&graph, AGENT, &own).await.status(), 204);
    // The agent identity owning itself.
    assert_eq!(add_owner(&graph, AGENT, &v1_ref(AGENT)).await.status(), 204);
    // Ids are GUIDs: case does not matter, the stored id is the object's.
    assert_eq!(
        add_owner(&graph, AGENT, &v1_ref(&USER.to_uppercase()))
            .await
            .status(),
        204
    );
    assert_eq!(
        graph.state().owners_of(AGENT),
        [USER2, PLAIN_SP, AGENT, USER]
    );
}

#[tokio::test]
async fn unknown_agent_identity_is_404() {
    let graph = seeded().await;
    let response = add_owner(&graph, "no-such-id", &v1_ref(USER)).await;
    let message = expect_error(response, 404, "Request_ResourceNotFound").await;
    assert_eq!(
        message,
        "Resource 'no-such-id' does not exist or one of its queried reference-property objects are not present."
    );
}

#[tokio::test]
async fn service_principal_that_is_not_an_agent_identity_is_404() {
    let graph = seeded().await;
    let response = add_owner(&graph, PLAIN_SP, &v1_ref(USER)).await;
    let message = expect_error(response, 404, "Request_ResourceNotFound").await;
    assert!(message.contains(PLAIN_SP));
    assert!(graph.state().owners_of(PLAIN_SP).is_empty());
}

#[tokio::test]
async fn reference_that_is_not_a_directory_object_url_is_400() {
    let graph = seeded().await;
    for reference in [
        json!({"@odata.id": USER}),
        json!({"@odata.id": format!("/v1.0/{USER}")}),
        json!({"@odata.id": format!("https://example.com/v1.0/directoryObjects/{USER}")}),
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/widgets/{USER}")}),
        json!({"@odata.id": format!("ftp://graph.microsoft.com/v1.0/directoryObjects/{USER}")}),
        json!({}),
    ] {
        let response = add_owner(&graph, AGENT, &reference).await;
        let message = expect_error(response, 400, "Request_BadRequest").await;
        assert_eq!(
            message, "Invalid URL format specified in payload.",
            "{reference}"
        );
    }
    assert!(graph.state().owners_of(AGENT).is_empty());
}

#[tokio::test]
async fn unknown_owner_is_404() {
    let graph = seeded().await;
    let response = add_owner(&graph, AGENT, &v1_ref("ghost")).await;
    let message = expect_error(response, 404, "Request_ResourceNotFound").await;
    assert!(
        message.starts_with("Resource 'ghost' does not exist"),
        "{message}"
    );
    assert!(graph.state().owners_of(AGENT).is_empty());
}

#[tokio::test]
async fn duplicate_owner_is_400_and_stored_once() {
    let graph = seeded().await;
    assert_eq!(add_owner(&graph, AGENT, &v1_ref(USER)).await.status(), 204);
    let response = add_owner(&graph, AGENT, &v1_ref(USER)).await;
    let message = expect_error(response, 400, "Request_BadRequest").await;
    assert_eq!(
        message,
        "One or more added object references already exist for the following modified properties: 'owners'."
    );
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
}

#[tokio::test]
async fn group_cannot_own_an_agent_identity() {
    let graph = seeded().await;
    let response = add_owner(&graph, AGENT, &v1_ref(GROUP)).await;
    expect_error(response, 400, "Request_BadRequest").await;
    assert!(graph.state().owners_of(AGENT).is_empty());
}

#[tokio::test]
async fn body_is_validated_against_reference_create() {
    let graph = seeded().await;
    // ReferenceCreate has `additionalProperties: {type: object}`: object extras are allowed...
    let mut body = v1_ref(USER);
    body["extra"] = json!({"anything": 1});
    assert_eq!(add_owner(&graph, AGENT, &body).await.status(), 204);
    // ...other extras are mistyped.
    let mut body = v1_ref(USER2);
    body["extra"] = json!("text");
    let response = add_owner(&graph, AGENT, &body).await;
    let message = expect_error(response, 400, "BadRequest").await;
    assert!(message.contains("'extra'"), "{message}");
    // A mistyped `@odata.id`.
    let response = add_owner(&graph, AGENT, &json!({"@odata.id": 42})).await;
    let body = body_json(response).await;
    let message = assert_graph_error(&body, "BadRequest");
    assert!(
        message.contains("'@odata.id'") && message.contains("a string"),
        "{message}"
    );
    assert_eq!(body["error"]["target"], "@odata.id");
    // An instance annotation a GET gave is ignored (the official SDKs send it back).
    let mut body = v1_ref(USER2);
    body["@odata.context"] =
        json!("https://graph.microsoft.com/beta/$metadata#directoryObjects/$entity");
    assert_eq!(add_owner(&graph, AGENT, &body).await.status(), 204);
    assert_eq!(graph.state().owners_of(AGENT), [USER, USER2]);
}

#[tokio::test]
async fn empty_and_malformed_bodies_are_400() {
    let graph = seeded().await;
    let url = owners_url(&graph, AGENT);
    let response = client().post(&url).bearer_auth("t").send().await.unwrap();
    let message = expect_error(response, 400, "BadRequest").await;
    assert_eq!(message, "Empty Payload. JSON content expected.");
    let response = client()
        .post(&url)
        .bearer_auth("t")
        .header("content-type", "application/json")
        .body("{\"@odata.id\": ")
        .send()
        .await
        .unwrap();
    let message = expect_error(response, 400, "BadRequest").await;
    assert!(
        message.starts_with("Unable to read JSON request payload."),
        "{message}"
    );
    let response = client()
        .post(&url)
        .bearer_auth("t")
        .json(&json!([v1_ref(USER)]))
        .send()
        .await
        .unwrap();
    let message = expect_error(response, 400, "BadRequest").await;
    assert!(message.contains("must be an object"), "{message}");
    let response = client()
        .post(&url)
        .bearer_auth("t")
        .header("content-type", "text/plain")
        .body(v1_ref(USER).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
}

#[tokio::test]
async fn path_parameters_are_percent_decoded() {
    let graph = seeded().await;
    graph.add_agent_identity("agent one");
    let response = client()
        .post(format!(
            "{}/servicePrincipals/agent%20one/microsoft.graph.agentIdentity/owners/%24ref",
            graph.base_url()
        ))
        .bearer_auth("t")
        .json(&v1_ref(USER))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(graph.state().owners_of("agent one"), [USER]);
    assert_eq!(
        graph.requests()[0].path,
        "/beta/servicePrincipals/agent%20one/microsoft.graph.agentIdentity/owners/%24ref"
    );
}

#[tokio::test]
async fn wrong_cast_doubled_slash_and_wrong_method_are_refused() {
    let graph = seeded().await;
    let base = graph.base_url();
    let http = client();
    let response = http
        .post(format!(
            "{base}/servicePrincipals/{AGENT}/microsoft.graph.user/owners/$ref"
        ))
        .bearer_auth("t")
        .json(&v1_ref(USER))
        .send()
        .await
        .unwrap();
    let message = expect_error(response, 400, "BadRequest").await;
    assert_eq!(
        message,
        "Resource not found for the segment 'microsoft.graph.user'."
    );
    // An empty key is refused like any segment no template takes.
    let response = http
        .post(format!(
            "{base}/servicePrincipals//microsoft.graph.agentIdentity/owners/$ref"
        ))
        .bearer_auth("t")
        .json(&v1_ref(USER))
        .send()
        .await
        .unwrap();
    let message = expect_error(response, 400, "BadRequest").await;
    assert_eq!(message, "Resource not found for the segment ''.");
    let response = http
        .get(owners_url(&graph, AGENT))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "POST");
    expect_error(response, 405, "Request_BadRequest").await;
    assert!(graph.state().owners_of(AGENT).is_empty());
}
