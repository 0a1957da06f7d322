//! The whole lifecycle of both resources through the SDK against the emulator, which serves
//! the companion operations with no code of its own: list → add → list (typed) → add again →
//! remove → list; limited mode read → on → off; paging across pages by `$top`.

mod emulator_common;

use emulator_common::*;
use graph_beta::prelude::*;
use graph_emulator::{Emulator, Seed, User, token};

/// A delegated token for reading and writing owners and limited mode. The emulator checks
/// tokens against each operation's documented permissions as written: `…ReadWrite.All` does
/// not stand in for the `…Read.All` that listing documents.
fn lifecycle_client(graph: &Emulator) -> Client {
    client_token(
        graph,
        token::delegated(&[
            OWNERS_SCOPE,
            "AgentIdentity.Read.All",
            LIMITED_MODE_SCOPE,
            "CopilotSettings-LimitedMode.Read",
        ]),
    )
}

fn owners_of(
    client: &Client,
    agent: &str,
) -> graph_beta::requests::service_principals::ServicePrincipalsItemAgentIdentityOwnersRequestBuilder
{
    client
        .service_principals()
        .by_service_principal_id(agent)
        .agent_identity()
        .owners()
}

#[tokio::test]
async fn owners_are_listed_typed_added_once_and_removed() {
    let graph = start(Emulator::builder().seed(tenant().add_user(User {
        id: "u-upn".into(),
        display_name: Some("Megan Bowen".into()),
        user_principal_name: Some("megan@contoso.example".into()),
    })))
    .await;
    let client = lifecycle_client(&graph);
    let owners = owners_of(&client, AGENT);
    assert!(bounded(owners.get()).await.expect("list").items.is_empty());
    add_owner(&client, AGENT, "u-upn").await.expect("added");
    add_owner(&client, AGENT, SP).await.expect("added");
    let page = bounded(owners.get()).await.expect("list");
    let megan = page.items[0].as_user().expect("a typed user");
    assert_eq!(
        megan.user_principal_name.as_deref(),
        Some("megan@contoso.example")
    );
    assert_eq!(
        page.items[1]
            .as_service_principal()
            .and_then(|s| s.display_name.as_deref()),
        Some("Payroll")
    );
    let again = add_owner(&client, AGENT, "u-upn")
        .await
        .expect_err("duplicate");
    expect_service(&again, 400, "Request_BadRequest");
    bounded(owners.by_directory_object_id("u-upn").ref_().delete())
        .await
        .expect("removed");
    assert_eq!(graph.state().owners_of(AGENT), [SP]);
    let gone = bounded(owners.by_directory_object_id("u-upn").ref_().delete())
        .await
        .expect_err("not an owner any more");
    expect_service(&gone, 404, "Request_ResourceNotFound");
    let ids: Vec<String> = bounded(owners.get().items().collect_all())
        .await
        .expect("list")
        .iter()
        .filter_map(|o| o.id().map(str::to_owned))
        .collect();
    assert_eq!(ids, [SP]);
}

#[tokio::test]
async fn items_stream_across_pages_by_top_with_the_advanced_query_header() {
    let mut seed = tenant();
    for i in 0..7 {
        seed = seed.user(format!("u{i}"), format!("User {i}"));
    }
    let graph = start(Emulator::builder().seed(seed)).await;
    let client = lifecycle_client(&graph);
    for i in 0..7 {
        add_owner(&client, AGENT, &format!("u{i}"))
            .await
            .expect("added");
    }
    graph.clear_requests();
    let all = bounded(
        owners_of(&client, AGENT)
            .get()
            .top(3)
            .count(true)
            .consistency_level("eventual")
            .items()
            .collect_all(),
    )
    .await
    .expect("every page");
    assert_eq!(all.len(), 7);
    let requests = graph.requests();
    assert_eq!(requests.len(), 3, "pages of 3, 3 and 1");
    assert!(
        requests
            .iter()
            .all(|r| r.header("consistencylevel") == Some("eventual"))
    );
    assert!(
        requests[1]
            .query
            .as_deref()
            .is_some_and(|q| q.contains("$skiptoken="))
    );
    // Without the header, $count is refused the way Graph refuses an advanced query.
    let err = bounded(owners_of(&client, AGENT).get().count(true))
        .await
        .expect_err("refused");
    expect_service(&err, 400, "Request_UnsupportedQuery");
}

#[tokio::test]
async fn limited_mode_is_read_then_turned_on_and_off() {
    let graph = emulator().await;
    let client = lifecycle_client(&graph);
    let limited = client.copilot().admin().settings().limited_mode();
    let initial = bounded(limited.get()).await.expect("read");
    assert_eq!(initial.is_enabled_for_group, Nullable::Value(false));
    assert_eq!(initial.group_id, Nullable::Null);
    bounded(limited.patch(&enable_for(GROUP)))
        .await
        .expect("on");
    assert_eq!(
        bounded(limited.get())
            .await
            .expect("read")
            .group_id
            .as_deref(),
        Some(GROUP)
    );
    bounded(limited.patch(&turn_off())).await.expect("off");
    assert_eq!(
        bounded(limited.get())
            .await
            .expect("read")
            .is_enabled_for_group,
        Nullable::Value(false)
    );
    // A read scope reads but does not write.
    let reader = client_token(
        &graph,
        token::delegated(&["CopilotSettings-LimitedMode.Read"]),
    );
    let reader_limited = reader.copilot().admin().settings().limited_mode();
    assert!(bounded(reader_limited.get()).await.is_ok());
    let denied = bounded(reader_limited.patch(&enable_for(GROUP)))
        .await
        .expect_err("denied");
    let svc = expect_service(&denied, 403, "Authorization_RequestDenied");
    assert!(
        denied
            .to_string()
            .contains("CopilotSettings-LimitedMode.ReadWrite"),
        "{svc:?}"
    );
}

#[tokio::test]
async fn a_seeded_tenant_lists_owners_of_every_kind() {
    let graph = start(
        Emulator::builder().seed(
            Seed::new()
                .agent_identity("a2", "Second agent")
                .user("u1", "One")
                .service_principal(
                    graph_emulator::ServicePrincipal::agent_identity("a3")
                        .display_name("Third agent")
                        .owner("u1")
                        .owner("a2"),
                ),
        ),
    )
    .await;
    let client = lifecycle_client(&graph);
    let owners = bounded(owners_of(&client, "a3").get())
        .await
        .expect("list")
        .items;
    assert!(owners[0].as_user().is_some());
    assert_eq!(
        owners[1]
            .as_agent_identity()
            .and_then(|a| a.display_name.as_deref()),
        Some("Second agent")
    );
}
