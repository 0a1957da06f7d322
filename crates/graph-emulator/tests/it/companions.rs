//! The companion operations (list and remove owners, read limited mode), served by the engine
//! with no code of their own; rate-based faults; generic seeds.

use graph_emulator::{Emulator, Fault, Seed, token};
use serde_json::{Value, json};

use crate::common::*;

fn list_url(graph: &Emulator, agent: &str) -> String {
    format!(
        "{}/servicePrincipals/{agent}/microsoft.graph.agentIdentity/owners",
        graph.base_url()
    )
}

async fn get_json(url: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut request = client().get(url).bearer_auth("t");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, body_json(response).await)
}

#[tokio::test]
async fn owners_are_listed_typed_and_paged() {
    let graph = seeded().await;
    let (status, empty) = get_json(&list_url(&graph, AGENT), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(empty["value"], json!([]));
    assert_eq!(
        empty["@odata.context"],
        format!("{}/$metadata#directoryObjects", graph.base_url())
    );
    for owner in [USER, PLAIN_SP, USER2] {
        assert_eq!(add_owner(&graph, AGENT, &v1_ref(owner)).await.status(), 204);
    }
    let (_, all) = get_json(&list_url(&graph, AGENT), &[]).await;
    let types: Vec<&str> = all["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["@odata.type"].as_str())
        .collect();
    assert_eq!(
        types,
        [
            "#microsoft.graph.user",
            "#microsoft.graph.servicePrincipal",
            "#microsoft.graph.user"
        ]
    );
    assert_eq!(all["value"][0]["displayName"], "Adele Vance");
    // Two pages of two and one.
    let (_, first) = get_json(&format!("{}?$top=2", list_url(&graph, AGENT)), &[]).await;
    assert_eq!(first["value"].as_array().unwrap().len(), 2);
    let next = first["@odata.nextLink"].as_str().unwrap();
    assert!(next.starts_with(&list_url(&graph, AGENT)), "{next}");
    let (status, second) = get_json(next, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(second["value"].as_array().unwrap().len(), 1);
    assert_eq!(second["value"][0]["id"], USER2);
    assert!(second.get("@odata.nextLink").is_none());
    // A token that lost its encoding on the way is refused.
    let mangled = next.replace("%2B", "+");
    assert_ne!(mangled, next);
    let (status, error) = get_json(&mangled, &[]).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (400, Some("Request_BadRequest"))
    );
    // $count is an advanced query: it needs ConsistencyLevel: eventual.
    let counted = format!(
        "{}?$count=true&$filter=displayName%20eq%20'Alex%20Wilber'",
        list_url(&graph, AGENT)
    );
    let (status, error) = get_json(&counted, &[]).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (400, Some("Request_UnsupportedQuery"))
    );
    let (status, filtered) = get_json(&counted, &[("ConsistencyLevel", "eventual")]).await;
    assert_eq!(status, 200);
    assert_eq!(filtered["@odata.count"], 1);
    assert_eq!(filtered["value"][0]["id"], USER2);
    // $select keeps @odata.type.
    let (_, selected) = get_json(
        &format!("{}?$select=displayName", list_url(&graph, AGENT)),
        &[],
    )
    .await;
    assert_eq!(
        selected["value"][0],
        json!({"@odata.type": "#microsoft.graph.user", "displayName": "Adele Vance"})
    );
    // A plain service principal is not an agent identity: 404.
    let (status, _) = get_json(&list_url(&graph, PLAIN_SP), &[]).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn owners_are_removed_once_and_then_404() {
    let graph = seeded().await;
    assert_eq!(add_owner(&graph, AGENT, &v1_ref(USER)).await.status(), 204);
    let url = format!("{}/{USER}/$ref", list_url(&graph, AGENT));
    let response = client().delete(&url).bearer_auth("t").send().await.unwrap();
    assert_eq!(response.status(), 204);
    assert!(graph.state().owners_of(AGENT).is_empty());
    let response = client().delete(&url).bearer_auth("t").send().await.unwrap();
    let message = expect_error(response, 404, "Request_ResourceNotFound").await;
    assert!(message.contains(USER), "{message}");
    // Permissions come from the spec: a read scope cannot remove.
    assert_eq!(add_owner(&graph, AGENT, &v1_ref(USER)).await.status(), 204);
    let response = client()
        .delete(&url)
        .bearer_auth(token::delegated(&["AgentIdentity.Read.All"]))
        .send()
        .await
        .unwrap();
    expect_error(response, 403, "Authorization_RequestDenied").await;
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
}

#[tokio::test]
async fn limited_mode_is_read_with_its_defaults_and_after_a_write() {
    let graph = seeded().await;
    let (status, initial) = get_json(&limited_mode_url(&graph), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        initial,
        json!({
            "@odata.context": format!("{}/$metadata#copilot/admin/settings/limitedMode/$entity", graph.base_url()),
            "@odata.type": "#microsoft.graph.copilotAdminLimitedMode",
            "isEnabledForGroup": false,
            "groupId": null,
        })
    );
    assert_eq!(
        patch_limited_mode(
            &graph,
            &json!({"isEnabledForGroup": true, "groupId": GROUP})
        )
        .await
        .status(),
        200
    );
    graph
        .faults()
        .on("/copilot/admin/settings/limitedMode")
        .once(Fault::WrapInValue);
    let (_, wrapped) = get_json(&limited_mode_url(&graph), &[]).await;
    assert_eq!(wrapped["value"]["groupId"], GROUP);
    // Delegated read scope suffices for GET, not for PATCH.
    let read = token::delegated(&["CopilotSettings-LimitedMode.Read"]);
    let response = client()
        .get(limited_mode_url(&graph))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = client()
        .patch(limited_mode_url(&graph))
        .bearer_auth(&read)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    expect_error(response, 403, "Authorization_RequestDenied").await;
}

async fn statuses_under_storm(seed: u64) -> Vec<u16> {
    let graph = seeded().await;
    graph.faults().seed(seed).on_any().at_rate(
        0.3,
        [
            Fault::Throttle {
                retry_after_secs: 0,
            },
            Fault::ServiceUnavailable {
                retry_after_secs: None,
            },
        ],
    );
    let http = client();
    let mut statuses = Vec::new();
    for _ in 0..200 {
        let response = http
            .patch(limited_mode_url(&graph))
            .bearer_auth("t")
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn faults_at_a_rate_are_seeded_and_repeatable() {
    let a = statuses_under_storm(42).await;
    let b = statuses_under_storm(42).await;
    let c = statuses_under_storm(43).await;
    assert_eq!(a, b, "the same seed gives the same storm");
    assert_ne!(a, c, "another seed gives another");
    let faulted = a.iter().filter(|s| **s != 200).count();
    assert!(
        (35..=85).contains(&faulted),
        "{faulted} of 200 faulted at a rate of 0.3"
    );
    assert!(a.contains(&429) && a.contains(&503));
    // Queued faults win over the rate; clearing removes the rate.
    let graph = seeded().await;
    let faults = graph.faults();
    faults.on_any().at_rate(
        1.0,
        [Fault::Throttle {
            retry_after_secs: 0,
        }],
    );
    faults.on_any().once(Fault::ServiceUnavailable {
        retry_after_secs: None,
    });
    assert_eq!(patch_limited_mode(&graph, &json!({})).await.status(), 503);
    assert_eq!(patch_limited_mode(&graph, &json!({})).await.status(), 429);
    faults.clear();
    assert_eq!(patch_limited_mode(&graph, &json!({})).await.status(), 200);
}

#[tokio::test]
async fn generic_seeds_hold_entities_links_and_singletons() {
    let seed = Seed::from_json(
        &json!({
            "entities": {
                "users": [{"id": "u9", "@odata.type": "#microsoft.graph.user", "displayName": "Nine"}],
                "servicePrincipals": [{"id": "a9", "@odata.type": "#microsoft.graph.agentIdentity"}]
            },
            "links": [{"set": "servicePrincipals", "id": "a9", "property": "owners", "targets": ["u9"]}],
            "singletons": {"copilot/admin/settings/limitedMode": {"@odata.type": "#microsoft.graph.copilotAdminLimitedMode", "isEnabledForGroup": false, "groupId": null, "note": "seeded"}}
        })
        .to_string(),
    )
    .unwrap();
    let graph = Emulator::builder()
        .seed(seed.clone())
        .start()
        .await
        .unwrap();
    assert_eq!(graph.state().owners_of("a9"), ["u9"]);
    assert_eq!(
        graph.state().limited_mode.additional.get("note"),
        Some(&json!("seeded"))
    );
    let (_, listed) = get_json(&list_url(&graph, "a9"), &[]).await;
    assert_eq!(listed["value"][0]["displayName"], "Nine");
    // The generic JSON form reads back as the same seed.
    assert_eq!(Seed::from_json(&seed.to_json().to_string()).unwrap(), seed);
    // An entity without an id is a seed error.
    assert!(Seed::from_json(r#"{"entities": {"users": [{"displayName": "x"}]}}"#).is_err());
    assert!(
        graph
            .seed(Seed::new().entity("users", json!({"no": "id"})))
            .is_err()
    );
}
