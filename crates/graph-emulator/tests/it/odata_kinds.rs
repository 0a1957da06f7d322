//! The general kinds of request that Microsoft's real upstream modules exercise, each served by an
//! OData rule of the engine (no code per operation), on fixtures that `cargo xtask slice` cut from
//! those modules, nothing edited by hand (`tests/fixtures/*-odata-kinds.yaml`: Applications,
//! Users and Identity.DirectoryManagement at upstream commit 297822af; each file's header names
//! its source, checksum and the command that regenerates it). The Users and Directory cuts add
//! one schema through an overlay, `openTypeExtension`, which those modules do not define
//! (`tests/fixtures/overlays/open-type-extension.yaml`).

use graph_emulator::{Emulator, Seed};
use serde_json::{Value, json};

use crate::common::*;

const APPLICATIONS: &str = include_str!("../fixtures/applications-odata-kinds.yaml");
const DIRECTORY: &str = include_str!("../fixtures/directory-odata-kinds.yaml");
const USERS: &str = include_str!("../fixtures/users-odata-kinds.yaml");

const APP: &str = "a1b2c3d4-0000-4000-8000-00000000000a";
const OTHER_APP: &str = "a1b2c3d4-0000-4000-8000-00000000000b";
const CONNECTOR_GROUP: &str = "c0c0c0c0-0000-4000-8000-0000000000c1";
const UNIT: &str = "ad000000-0000-4000-8000-0000000000a1";

async fn start(spec: &str, seed: Seed) -> Emulator {
    Emulator::builder()
        .spec_yaml(spec)
        .seed(seed)
        .start()
        .await
        .unwrap()
}

/// The Applications fixture with two applications, the usual users, group and service
/// principal, and a connector group contained in the `applicationProxy` publishing profile.
async fn applications() -> Emulator {
    let seed = tenant()
        .entity(
            "applications",
            json!({"id": APP, "@odata.type": "#microsoft.graph.application", "displayName": "Payroll", "appId": "11111111-1111-4111-8111-111111111111"}),
        )
        .entity(
            "applications",
            json!({"id": OTHER_APP, "@odata.type": "#microsoft.graph.application", "displayName": "Other"}),
        )
        .entity(
            "onPremisesPublishingProfiles",
            json!({"id": "applicationProxy", "@odata.type": "#microsoft.graph.onPremisesPublishingProfile"}),
        )
        .entity(
            "connectorGroups",
            json!({"id": CONNECTOR_GROUP, "@odata.type": "#microsoft.graph.connectorGroup", "name": "Default"}),
        )
        .link(
            "onPremisesPublishingProfiles",
            "applicationProxy",
            "connectorGroups",
            CONNECTOR_GROUP,
        );
    start(APPLICATIONS, seed).await
}

/// Status and body (JSON, text as a string, `null` when empty).
async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.bearer_auth("t").send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// `url?name=value`, the value percent-encoded.
fn with_query(url: &str, name: &str, value: &str) -> String {
    let value = percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC);
    format!("{url}?{name}={value}")
}

fn ids(list: &Value) -> Vec<&str> {
    list["value"]
        .as_array()
        .unwrap_or_else(|| panic!("not a collection: {list}"))
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect()
}

/// Kind 1: POST to a collection-valued navigation creates the entity, which is then reachable
/// under the navigation, listed, counted and deleted there.
#[tokio::test]
async fn posting_to_a_collection_navigation_creates_a_reachable_entity() {
    let graph = applications().await;
    let http = client();
    let base = graph.base_url();
    let nav = format!("{base}/applications/{APP}/extensionProperties");
    let (status, created) = send(http.post(&nav).json(&json!({
        "name": "jobGroup", "dataType": "String", "targetObjects": ["User"]
    })))
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 36);
    assert_eq!(created["name"], "jobGroup");
    assert_eq!(created["@odata.type"], "#microsoft.graph.extensionProperty");
    assert_eq!(
        created["@odata.context"],
        format!("{base}/$metadata#applications('{APP}')/extensionProperties/$entity")
    );

    let (status, read) = send(http.get(format!("{nav}/{id}"))).await;
    assert_eq!((status, read["dataType"].as_str()), (200, Some("String")));
    let (status, list) = send(http.get(&nav)).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&list), [id.as_str()]);
    let (status, count) = send(http.get(format!("{nav}/$count"))).await;
    assert_eq!((status, count), (200, json!(1)));
    // Another application's navigation does not hold it.
    let other = format!("{base}/applications/{OTHER_APP}/extensionProperties");
    let (status, _) = send(http.get(format!("{other}/{id}"))).await;
    assert_eq!(status, 404);
    assert!(ids(&send(http.get(&other)).await.1).is_empty());
    // Under an unknown owner: 404, nothing stored.
    let (status, error) = send(
        http.post(format!("{base}/applications/ghost/extensionProperties"))
            .json(&json!({"name": "x"})),
    )
    .await;
    assert_eq!(status, 404);
    assert_graph_error(&error, "Request_ResourceNotFound");

    let (status, _) = send(http.delete(format!("{nav}/{id}"))).await;
    assert_eq!(status, 204);
    let (status, _) = send(http.get(format!("{nav}/{id}"))).await;
    assert_eq!(status, 404);
    assert!(ids(&send(http.get(&nav)).await.1).is_empty());
}

/// Kind 3: an alternate key on a navigation resolves by the named property: 200 for a match,
/// 404 for an unknown one; PATCH and DELETE through it act on that entity.
#[tokio::test]
async fn an_alternate_key_on_a_navigation_is_a_key() {
    let graph = applications().await;
    let http = client();
    let base = graph.base_url();
    let nav = format!("{base}/applications/{APP}/federatedIdentityCredentials");
    let credential = json!({
        "name": "github-main",
        "issuer": "https://token.actions.githubusercontent.com",
        "subject": "repo:contoso/app:ref:refs/heads/main",
        "audiences": ["api://AzureADTokenExchange"]
    });
    let (status, created) = send(http.post(&nav).json(&credential)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();

    let by_name =
        format!("{base}/applications/{APP}/federatedIdentityCredentials(name='github-main')");
    let (status, read) = send(http.get(&by_name)).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["id"], id.as_str());
    assert_eq!(read["subject"], "repo:contoso/app:ref:refs/heads/main");
    // The same key under the key's own template.
    let (status, read) = send(http.get(format!("{nav}/{id}"))).await;
    assert_eq!((status, read["name"].as_str()), (200, Some("github-main")));

    let (status, error) = send(http.get(format!(
        "{base}/applications/{APP}/federatedIdentityCredentials(name='unknown')"
    )))
    .await;
    assert_eq!(status, 404, "{error}");
    let message = assert_graph_error(&error, "Request_ResourceNotFound");
    assert!(message.contains("unknown"), "{message}");
    // Another application's credentials do not answer to the key.
    let (status, _) = send(http.get(format!(
        "{base}/applications/{OTHER_APP}/federatedIdentityCredentials(name='github-main')"
    )))
    .await;
    assert_eq!(status, 404);

    let (status, _) = send(http.patch(&by_name).json(&json!({"description": "CI"}))).await;
    assert!(status == 200 || status == 204, "{status}");
    let (_, read) = send(http.get(&by_name)).await;
    assert_eq!(read["description"], "CI");
    let (status, _) = send(http.delete(&by_name)).await;
    assert_eq!(status, 204);
    let (status, _) = send(http.get(&by_name)).await;
    assert_eq!(status, 404);
}

/// Kind 4: a single-valued navigation with a `$ref` is a reference: unset it is a 404; `PUT
/// $ref` sets it (to an entity of the navigation's type, named by any URL that resolves to
/// it), GET answers the entity and `GET $ref` its `@odata.id`, `DELETE $ref` clears it.
#[tokio::test]
async fn a_single_valued_navigation_with_a_ref_is_set_read_and_cleared() {
    let graph = applications().await;
    let http = client();
    let base = graph.base_url();
    let nav = format!("{base}/applications/{APP}/connectorGroup");
    let (status, error) = send(http.get(&nav)).await;
    assert_eq!(status, 404, "{error}");
    assert_graph_error(&error, "Request_ResourceNotFound");
    assert_eq!(send(http.get(format!("{nav}/$ref"))).await.0, 404);
    assert_eq!(send(http.delete(format!("{nav}/$ref"))).await.0, 404);

    // The URL Microsoft's docs use: the connector group contained in its publishing profile.
    let reference = json!({"@odata.id": format!(
        "https://graph.microsoft.com/beta/onPremisesPublishingProfiles/applicationProxy/connectorGroups/{CONNECTOR_GROUP}"
    )});
    let (status, body) = send(http.put(format!("{nav}/$ref")).json(&reference)).await;
    assert_eq!(status, 204, "{body}");
    let (status, read) = send(http.get(&nav)).await;
    assert_eq!(status, 200);
    assert_eq!(read["id"], CONNECTOR_GROUP, "{read}");
    assert_eq!(read["name"], "Default");
    assert!(read.get("value").is_none(), "{read}");
    let (status, link) = send(http.get(format!("{nav}/$ref"))).await;
    assert_eq!(status, 200);
    assert!(
        link["@odata.id"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/{CONNECTOR_GROUP}"))),
        "{link}"
    );

    // A service principal is not a connector group: 404, and the reference stays.
    let (status, _) = send(http.put(format!("{nav}/$ref")).json(&json!({
        "@odata.id": format!("https://graph.microsoft.com/v1.0/servicePrincipals/{PLAIN_SP}")
    })))
    .await;
    assert_eq!(status, 404);
    // A malformed URL: Graph's 400.
    let (status, error) = send(
        http.put(format!("{nav}/$ref"))
            .json(&json!({"@odata.id": CONNECTOR_GROUP})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        assert_graph_error(&error, "Request_BadRequest"),
        "Invalid URL format specified in payload."
    );
    assert_eq!(send(http.get(&nav)).await.1["id"], CONNECTOR_GROUP);

    assert_eq!(send(http.delete(format!("{nav}/$ref"))).await.0, 204);
    assert_eq!(send(http.get(&nav)).await.0, 404);
    assert_eq!(send(http.delete(format!("{nav}/$ref"))).await.0, 404);
}

/// Kind 4 on the Users module: `/users/{id}/manager`.
#[tokio::test]
async fn a_manager_is_assigned_read_and_removed() {
    let graph = start(USERS, tenant()).await;
    let http = client();
    let base = graph.base_url();
    let manager = format!("{base}/users/{USER}/manager");
    assert_eq!(send(http.get(&manager)).await.0, 404);
    let (status, body) = send(http.put(format!("{manager}/$ref")).json(&json!({
        "@odata.id": format!("https://graph.microsoft.com/v1.0/users/{USER2}")
    })))
    .await;
    assert_eq!(status, 204, "{body}");
    let (status, read) = send(http.get(&manager)).await;
    assert_eq!(
        (status, read["displayName"].as_str()),
        (200, Some("Alex Wilber"))
    );
    assert_eq!(read["@odata.type"], "#microsoft.graph.user");
    let (_, link) = send(http.get(format!("{manager}/$ref"))).await;
    assert_eq!(
        link["@odata.id"],
        format!("{base}/directoryObjects/{USER2}"),
        "{link}"
    );
    // PUT replaces.
    let (status, _) = send(http.put(format!("{manager}/$ref")).json(&json!({
        "@odata.id": format!("{base}/users/{USER}")
    })))
    .await;
    assert_eq!(status, 204);
    assert_eq!(send(http.get(&manager)).await.1["id"], USER);
    assert_eq!(graph.state().links("users", USER, "manager"), [USER]);
    assert_eq!(send(http.delete(format!("{manager}/$ref"))).await.0, 204);
    assert!(graph.state().links("users", USER, "manager").is_empty());
}

/// Kind 3 on the Users module: `appRoleAssignedResources(appId='…')`.
#[tokio::test]
async fn an_alternate_key_on_a_reference_navigation_resolves_by_app_id() {
    let seed = tenant()
        .entity(
            "servicePrincipals",
            json!({"id": PLAIN_SP, "@odata.type": "#microsoft.graph.servicePrincipal", "displayName": "Payroll app", "appId": "22222222-2222-4222-8222-222222222222"}),
        )
        .link("users", USER, "appRoleAssignedResources", PLAIN_SP);
    let graph = start(USERS, seed).await;
    let http = client();
    let base = graph.base_url();
    let (status, read) = send(http.get(format!(
        "{base}/users/{USER}/appRoleAssignedResources(appId='22222222-2222-4222-8222-222222222222')"
    )))
    .await;
    assert_eq!(
        (status, read["id"].as_str()),
        (200, Some(PLAIN_SP)),
        "{read}"
    );
    let (status, error) = send(http.get(format!(
        "{base}/users/{USER}/appRoleAssignedResources(appId='33333333-3333-4333-8333-333333333333')"
    )))
    .await;
    assert_eq!(status, 404, "{error}");
    assert_graph_error(&error, "Request_ResourceNotFound");
    // Not assigned to the other user.
    let (status, _) = send(http.get(format!(
        "{base}/users/{USER2}/appRoleAssignedResources(appId='22222222-2222-4222-8222-222222222222')"
    )))
    .await;
    assert_eq!(status, 404);
}

/// Kind 5: `DELETE …/$ref?$id={url}` removes a member like `DELETE …/{id}/$ref`.
#[tokio::test]
async fn a_reference_is_removed_by_its_id_url() {
    let graph = applications().await;
    let http = client();
    let base = graph.base_url();
    let refs = format!("{base}/applications/{APP}/owners/$ref");
    for id in [USER, USER2, PLAIN_SP] {
        let (status, body) = send(http.post(&refs).json(&v1_ref(id))).await;
        assert_eq!(status, 204, "{body}");
    }
    let url = format!("https://graph.microsoft.com/v1.0/directoryObjects/{USER}");
    let (status, body) = send(http.delete(with_query(&refs, "$id", &url))).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        graph.state().links("applications", APP, "owners"),
        [USER2, PLAIN_SP]
    );
    // Not a member (any more): 404.
    let (status, error) = send(http.delete(with_query(&refs, "$id", &url))).await;
    assert_eq!(status, 404);
    assert_graph_error(&error, "Request_ResourceNotFound");
    // The spec's own spelling, `@id`, and a URL on the emulator's origin.
    let own = format!("{base}/users/{USER2}");
    assert_eq!(
        send(http.delete(with_query(&refs, "@id", &own))).await.0,
        204
    );
    // Malformed or missing: 400.
    for url in [
        with_query(&refs, "$id", USER),
        with_query(&refs, "$id", "https://example.com/v1.0/users/x"),
        refs.clone(),
    ] {
        let (status, error) = send(http.delete(&url)).await;
        assert_eq!(status, 400, "{url}: {error}");
        assert_graph_error(&error, "Request_BadRequest");
    }
    // The key form still works.
    let (status, _) =
        send(http.delete(format!("{base}/applications/{APP}/owners/{PLAIN_SP}/$ref"))).await;
    assert_eq!(status, 204);
    assert!(
        graph
            .state()
            .links("applications", APP, "owners")
            .is_empty()
    );
}

/// Kind 6: a `$ref` body may name the target in its own entity set, absolute (Graph's host or
/// the emulator's origin) or relative; foreign hosts and malformed URLs are Graph's 400.
#[tokio::test]
async fn a_reference_may_name_the_target_in_its_own_entity_set() {
    let graph = applications().await;
    let http = client();
    let base = graph.base_url().to_owned();
    let refs = format!("{base}/applications/{APP}/owners/$ref");
    for (url, id) in [
        (
            format!("https://graph.microsoft.com/v1.0/users/{USER}"),
            USER,
        ),
        (format!("{base}/groups/{GROUP}"), GROUP),
        (format!("servicePrincipals/{PLAIN_SP}"), PLAIN_SP),
        (format!("/beta/users/{USER2}"), USER2),
    ] {
        let (status, body) = send(http.post(&refs).json(&json!({"@odata.id": url}))).await;
        assert_eq!(status, 204, "{url}: {body}");
        assert!(
            graph
                .state()
                .links("applications", APP, "owners")
                .contains(&id.to_owned()),
            "{url}"
        );
    }
    let (status, _) = send(http.post(&refs).json(&json!({
        "@odata.id": "https://graph.microsoft.com/v1.0/users/ghost"
    })))
    .await;
    assert_eq!(status, 404);
    for url in [
        format!("https://evil.example/v1.0/users/{USER}"),
        format!("https://graph.microsoft.com/v1.0/users/{USER}?x=1"),
        USER.to_owned(),
        format!("https://graph.microsoft.com/v1.0/nothings/{USER}"),
    ] {
        let (status, error) = send(http.post(&refs).json(&json!({"@odata.id": url}))).await;
        assert_eq!(status, 400, "{url}");
        assert_eq!(
            assert_graph_error(&error, "Request_BadRequest"),
            "Invalid URL format specified in payload."
        );
    }
    assert_eq!(graph.state().links("applications", APP, "owners").len(), 4);
}

/// Kind 7: the empty segments right after the version are collapsed; an empty key further on
/// is refused.
#[tokio::test]
async fn a_doubled_slash_after_the_version_is_served() {
    let graph = applications().await;
    let http = client();
    let base = graph.base_url();
    let (status, read) = send(http.get(format!("{base}//servicePrincipals/{PLAIN_SP}"))).await;
    assert_eq!(
        (status, read["id"].as_str()),
        (200, Some(PLAIN_SP)),
        "{read}"
    );
    let (status, list) = send(http.get(format!("{base}///applications/{APP}/owners"))).await;
    assert_eq!(status, 200, "{list}");
    let (status, error) = send(http.get(format!("{base}/applications//owners"))).await;
    assert_eq!(status, 400);
    assert_eq!(
        assert_graph_error(&error, "BadRequest"),
        "Resource not found for the segment ''."
    );
}

/// Kind 8: the official SDKs' read-modify-write sends back what GET gave; the instance and
/// property annotations are ignored (and not stored), `@odata.type` still checked.
#[tokio::test]
async fn a_read_modify_write_round_trip_is_accepted() {
    let graph = applications().await;
    let http = client();
    let url = format!("{}/applications/{APP}", graph.base_url());
    let (status, mut read) = send(http.get(&url)).await;
    assert_eq!(status, 200);
    assert!(read["@odata.context"].is_string(), "{read}");
    read["displayName"] = json!("Payroll v2");
    read["@odata.etag"] = json!("W/\"JzEtQXBwbGljYXRpb24\"");
    read["displayName@odata.type"] = json!("#String");
    read.as_object_mut().unwrap().remove("id");
    let (status, body) = send(http.patch(&url).json(&read)).await;
    assert!(status == 200 || status == 204, "{status} {body}");
    let stored = graph.state().entity("applications", APP).unwrap().clone();
    assert_eq!(stored["displayName"], "Payroll v2");
    for key in ["@odata.context", "@odata.etag", "displayName@odata.type"] {
        assert!(stored.get(key).is_none(), "{key} stored: {stored}");
    }
    // The type hint is not an ignored annotation.
    let (status, error) = send(
        http.patch(&url)
            .json(&json!({"@odata.type": "#microsoft.graph.user"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error["error"]["target"], "@odata.type");
}

/// Kind 9: unknown properties are refused on Graph's types, whatever their value, even though
/// every upstream schema carries `additionalProperties: {type: object}`.
#[tokio::test]
async fn unknown_properties_are_refused_on_closed_types() {
    let graph = applications().await;
    let http = client();
    let base = graph.base_url();
    let url = format!("{base}/applications/{APP}");
    for (body, target) in [
        (json!({"unknownThing": {"a": 1}}), "unknownThing"),
        (json!({"wheels": 4}), "wheels"),
        (
            json!({"web": {"redirectUris": [], "colour": {}}}),
            "web.colour",
        ),
    ] {
        let (status, error) = send(http.patch(&url).json(&body)).await;
        assert_eq!(status, 400, "{body}");
        let message = assert_graph_error(&error, "BadRequest");
        assert!(message.contains("does not exist on type"), "{message}");
        assert_eq!(error["error"]["target"], target, "{error}");
    }
    let (status, error) = send(
        http.post(format!("{base}/applications/{APP}/extensionProperties"))
            .json(&json!({"name": "x", "extra": {}})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        assert_graph_error(&error, "BadRequest")
            .contains("'extra' does not exist on type 'microsoft.graph.extensionProperty'")
    );
    assert_eq!(
        graph.state().entity("applications", APP).unwrap()["displayName"],
        "Payroll"
    );
}

/// Kind 9's other side: an open type (`openTypeExtension`) takes any property; its closed base
/// (`extension`) does not. Kind 1 on the Directory and Users modules' `extensions` navigations.
/// Upstream's modules do not define `openTypeExtension`; both fixtures get it from the overlay
/// `tests/fixtures/overlays/open-type-extension.yaml` (see its description).
#[tokio::test]
async fn open_type_extensions_take_any_property() {
    let seed = Seed::new().entity(
        "administrativeUnits",
        json!({"id": UNIT, "@odata.type": "#microsoft.graph.administrativeUnit", "displayName": "Seattle"}),
    );
    let graph = start(DIRECTORY, seed).await;
    let http = client();
    let nav = format!("{}/administrativeUnits/{UNIT}/extensions", graph.base_url());
    let (status, created) = send(http.post(&nav).json(&json!({
        "@odata.type": "microsoft.graph.openTypeExtension",
        "extensionName": "com.contoso.roamingSettings",
        "theme": "dark",
        "color": {"primary": "purple"},
        "lang": "Japanese"
    })))
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["@odata.type"], "#microsoft.graph.openTypeExtension");
    let id = created["id"].as_str().unwrap();
    let (status, read) = send(http.get(format!("{nav}/{id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(
        (read["theme"].as_str(), read["color"]["primary"].as_str()),
        (Some("dark"), Some("purple"))
    );
    assert_eq!(ids(&send(http.get(&nav)).await.1), [id]);
    let (status, error) = send(http.post(&nav).json(&json!({"theme": "dark"}))).await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["error"]["target"], "theme");

    // The same on the Users module's `/users/{id}/extensions`, held per user.
    let graph = start(USERS, tenant()).await;
    let nav = format!("{}/users/{USER}/extensions", graph.base_url());
    let (status, created) = send(http.post(&nav).json(&json!({
        "@odata.type": "#microsoft.graph.openTypeExtension",
        "extensionName": "com.contoso.referral",
        "companyName": "Wingtip Toys",
        "dealValue": 500050
    })))
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let (status, read) = send(http.get(format!("{nav}/{id}"))).await;
    assert_eq!(
        (status, read["dealValue"].as_i64()),
        (200, Some(500050)),
        "{read}"
    );
    assert_eq!(ids(&send(http.get(&nav)).await.1), [id]);
    let other = format!("{}/users/{USER2}/extensions", graph.base_url());
    assert!(ids(&send(http.get(&other)).await.1).is_empty());
    let (status, error) = send(http.post(&nav).json(&json!({"dealValue": 1}))).await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["error"]["target"], "dealValue");
}

/// Kind 2: alternate keys under the `/directory` singleton leave it a singleton, with its
/// navigations, `$count` and casts served; each of upstream's two alternate keys on
/// `subscriptions` resolves by its own property.
#[tokio::test]
async fn the_directory_singleton_keeps_its_subtree() {
    // Upstream has no POST on `deletedItems` (Graph fills it when objects are deleted), so
    // the deleted objects are seeded into the singleton's navigation.
    let retired_app = "de1e7ed0-0000-4000-8000-0000000000a1";
    let old_unit = "de1e7ed0-0000-4000-8000-0000000000a2";
    let seed = Seed::new()
        .entity(
            "directory/deletedItems",
            json!({"id": retired_app, "@odata.type": "#microsoft.graph.application", "displayName": "Retired app"}),
        )
        .entity(
            "directory/deletedItems",
            json!({"id": old_unit, "@odata.type": "#microsoft.graph.administrativeUnit", "displayName": "Old unit"}),
        );
    let graph = start(DIRECTORY, seed).await;
    let http = client();
    let base = graph.base_url();
    let (status, directory) = send(http.get(format!("{base}/directory"))).await;
    assert_eq!(status, 200, "{directory}");
    assert!(directory.get("value").is_none(), "{directory}");
    assert_eq!(directory["@odata.type"], "#microsoft.graph.directory");
    // Upstream's PATCH answers `2XX` with the directory: the emulator gives it back.
    let (status, patched) = send(http.patch(format!("{base}/directory")).json(&json!({}))).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["@odata.type"], "#microsoft.graph.directory");

    let deleted = format!("{base}/directory/deletedItems");
    let (status, list) = send(http.get(&deleted)).await;
    assert_eq!(status, 200, "{list}");
    let mut listed = ids(&list);
    listed.sort_unstable();
    assert_eq!(listed, [retired_app, old_unit]);
    assert_eq!(
        send(http.get(format!("{deleted}/$count"))).await,
        (200, json!(2))
    );
    let (status, apps) = send(http.get(format!("{deleted}/microsoft.graph.application"))).await;
    assert_eq!(status, 200, "{apps}");
    assert_eq!(ids(&apps), [retired_app]);
    let (status, read) = send(http.get(format!("{deleted}/{retired_app}"))).await;
    assert_eq!(
        (status, read["displayName"].as_str()),
        (200, Some("Retired app"))
    );
    assert_eq!(
        send(http.delete(format!("{deleted}/{retired_app}")))
            .await
            .0,
        204
    );
    assert_eq!(
        send(http.get(format!("{deleted}/{retired_app}"))).await.0,
        404
    );
    assert_eq!(
        send(http.get(format!("{deleted}/$count"))).await,
        (200, json!(1))
    );
    let (_, apps) = send(http.get(format!("{deleted}/microsoft.graph.application"))).await;
    assert!(ids(&apps).is_empty(), "{apps}");

    let subscriptions = format!("{base}/directory/subscriptions");
    let (status, created) = send(http.post(&subscriptions).json(&json!({
        "commerceSubscriptionId": "9a7b-commerce", "ocpSubscriptionId": "5c1d-ocp",
        "skuPartNumber": "ENTERPRISEPACK", "totalLicenses": 25
    })))
    .await;
    assert_eq!(status, 201, "{created}");
    let (status, other) = send(http.post(&subscriptions).json(&json!({
        "commerceSubscriptionId": "other-commerce", "ocpSubscriptionId": "other-ocp",
        "skuPartNumber": "EMS", "totalLicenses": 5
    })))
    .await;
    assert_eq!(status, 201, "{other}");
    assert_eq!(
        send(http.get(format!("{subscriptions}/$count"))).await,
        (200, json!(2))
    );
    let by_commerce =
        format!("{base}/directory/subscriptions(commerceSubscriptionId='9a7b-commerce')");
    let by_ocp = format!("{base}/directory/subscriptions(ocpSubscriptionId='5c1d-ocp')");
    for url in [&by_commerce, &by_ocp] {
        let (status, read) = send(http.get(url)).await;
        assert_eq!(status, 200, "{url}: {read}");
        assert_eq!(read["id"], created["id"], "{url}");
        assert_eq!(read["skuPartNumber"], "ENTERPRISEPACK", "{url}");
    }
    // One key's value is not the other key's: no match across properties.
    let (status, _) = send(http.get(format!(
        "{base}/directory/subscriptions(ocpSubscriptionId='9a7b-commerce')"
    )))
    .await;
    assert_eq!(status, 404);
    let (status, _) = send(http.patch(&by_commerce).json(&json!({"totalLicenses": 30}))).await;
    assert_eq!(status, 200);
    assert_eq!(send(http.get(&by_ocp)).await.1["totalLicenses"], 30);
    let (status, _) = send(http.patch(&by_ocp).json(&json!({"totalLicenses": 40}))).await;
    assert_eq!(status, 200);
    assert_eq!(send(http.get(&by_commerce)).await.1["totalLicenses"], 40);
    let id = other["id"].as_str().unwrap();
    assert_eq!(
        send(http.get(format!("{subscriptions}/{id}"))).await.1["totalLicenses"],
        5
    );
    for (key, value) in [
        ("commerceSubscriptionId", "unknown-commerce"),
        ("ocpSubscriptionId", "unknown-ocp"),
    ] {
        let (status, error) =
            send(http.get(format!("{base}/directory/subscriptions({key}='{value}')"))).await;
        assert_eq!(status, 404, "{key}: {error}");
        let message = assert_graph_error(&error, "Request_ResourceNotFound");
        assert!(message.contains(value), "{message}");
    }
}
