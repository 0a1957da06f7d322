//! Operation 1 end to end, SDK → emulator:
//! `POST /servicePrincipals/{id}/microsoft.graph.agentIdentity/owners/$ref`.
//!
//! Each test asserts both what the SDK returns (typed) and what the emulator saw and did
//! (request log, tenant state).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod emulator_common;

use emulator_common::*;
use graph_beta::prelude::*;
use graph_emulator::{Emulator, Seed, ServicePrincipal};
use serde_json::json;

#[tokio::test]
async fn adds_owner_returns_unit_and_records_owner() {
    let graph = emulator().await;
    let client = client(&graph);

    let body = ReferenceCreate::directory_object(&client, USER).unwrap();
    // The SDK builds the reference on its own service root, i.e. the emulator's host.
    assert_eq!(
        body.odata_id.as_deref(),
        Some(format!("{}/directoryObjects/{USER}", graph.base_url()).as_str())
    );
    // The typed result is `()`.
    let result: Result<(), Error> = add_owner_ref(&client, AGENT, &body).await;
    assert!(matches!(result, Ok(())), "{result:?}");

    assert_eq!(graph.state().owners_of(AGENT), [USER]);
    let r = only_request(&graph);
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, owners_path(AGENT));
    assert_eq!(r.query, None);
    assert_eq!(r.operation_id.as_deref(), Some(ADD_OWNER_OP));
    assert_eq!(r.status, Some(204));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("accept"), Some("application/json"));
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {}", full_token()).as_str())
    );
    assert!(is_uuid(r.header("client-request-id").unwrap()));
    assert_eq!(r.header("retry-attempt"), None);
    assert!(
        r.header("user-agent")
            .is_some_and(|ua| ua.starts_with("graph-beta-rs/")),
        "{:?}",
        r.header("user-agent")
    );
    assert_eq!(
        r.body_json(),
        Some(json!({"@odata.id": format!("{}/directoryObjects/{USER}", graph.base_url())}))
    );
}

#[tokio::test]
async fn owners_can_be_users_service_principals_and_the_agent_itself() {
    let graph = emulator().await;
    let client = client(&graph);

    add_owner(&client, AGENT, USER).await.unwrap();
    add_owner(&client, AGENT, SP).await.unwrap();
    add_owner(&client, AGENT, AGENT).await.unwrap();
    add_owner(&client, AGENT, USER2).await.unwrap();

    assert_eq!(graph.state().owners_of(AGENT), [USER, SP, AGENT, USER2]);
    assert_eq!(statuses(&graph), [Some(204); 4]);
}

#[tokio::test]
async fn documented_v1_reference_url_is_accepted() {
    // The docs use a v1.0 URL on the global host even for beta.
    let graph = emulator().await;
    let client = client(&graph);
    let body = ReferenceCreate {
        odata_id: Some(format!(
            "https://graph.microsoft.com/v1.0/directoryObjects/{USER}"
        )),
        ..Default::default()
    };
    add_owner_ref(&client, AGENT, &body).await.unwrap();
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
}

#[tokio::test]
async fn unknown_agent_is_404_resource_not_found() {
    let graph = emulator().await;
    let client = client(&graph);

    let err = add_owner(&client, "no-such-agent", USER).await.unwrap_err();

    let svc = expect_service(&err, 404, "Request_ResourceNotFound");
    assert_eq!(err.status(), Some(404));
    assert!(svc.message().unwrap().contains("'no-such-agent'"), "{err}");
    assert_eq!(svc.operation_id, ADD_OWNER_OP);
    assert!(!err.is_throttled());
    let r = only_request(&graph);
    assert_eq!(r.path, owners_path("no-such-agent"));
    assert_eq!(r.status, Some(404));
    assert!(graph.state().owners_of(AGENT).is_empty());
}

#[tokio::test]
async fn plain_service_principal_is_404() {
    // The cast segment only finds agent identities.
    let graph = emulator().await;
    let client = client(&graph);

    let err = add_owner(&client, SP, USER).await.unwrap_err();

    let svc = expect_service(&err, 404, "Request_ResourceNotFound");
    assert!(svc.message().unwrap().contains(SP), "{err}");
    assert_eq!(only_request(&graph).status, Some(404));
    assert!(graph.state().owners_of(SP).is_empty());
}

#[tokio::test]
async fn bare_id_reference_is_400_invalid_url_format() {
    let graph = emulator().await;
    let client = client(&graph);
    let body = ReferenceCreate {
        odata_id: Some(USER.into()),
        ..Default::default()
    };

    let err = add_owner_ref(&client, AGENT, &body).await.unwrap_err();

    let svc = expect_service(&err, 400, "Request_BadRequest");
    assert!(
        svc.message().unwrap().starts_with("Invalid URL format"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("Invalid URL format specified in payload"),
        "{err}"
    );
    let r = only_request(&graph);
    assert_eq!(r.body_json(), Some(json!({"@odata.id": USER})));
    assert_eq!(r.status, Some(400));
    assert!(graph.state().owners_of(AGENT).is_empty());
}

#[tokio::test]
async fn reference_through_the_targets_own_entity_set_is_accepted() {
    // Graph accepts `…/users/{id}` for an owner as well as `…/directoryObjects/{id}`.
    let graph = emulator().await;
    let client = client(&graph);
    let body = ReferenceCreate::entity(&client, "users", USER).unwrap();
    add_owner_ref(&client, AGENT, &body).await.unwrap();
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
}

#[tokio::test]
async fn unknown_owner_is_404() {
    let graph = emulator().await;
    let client = client(&graph);

    let err = add_owner(&client, AGENT, "no-such-user").await.unwrap_err();

    let svc = expect_service(&err, 404, "Request_ResourceNotFound");
    assert!(svc.message().unwrap().contains("'no-such-user'"), "{err}");
    assert_eq!(only_request(&graph).status, Some(404));
    assert!(graph.state().owners_of(AGENT).is_empty());
}

#[tokio::test]
async fn group_as_owner_is_400() {
    let graph = emulator().await;
    let client = client(&graph);
    let err = add_owner(&client, AGENT, GROUP).await.unwrap_err();
    expect_service(&err, 400, "Request_BadRequest");
    assert!(graph.state().owners_of(AGENT).is_empty());
}

#[tokio::test]
async fn duplicate_owner_is_400_already_exist() {
    let graph = emulator().await;
    let client = client(&graph);

    add_owner(&client, AGENT, USER).await.unwrap();
    let err = add_owner(&client, AGENT, USER).await.unwrap_err();

    let svc = expect_service(&err, 400, "Request_BadRequest");
    assert_eq!(
        svc.message(),
        Some(
            "One or more added object references already exist for the following modified properties: 'owners'."
        )
    );
    // 400 is not retried.
    assert_eq!(statuses(&graph), [Some(204), Some(400)]);
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
}

#[tokio::test]
async fn seeded_owner_is_a_duplicate_too() {
    let graph = Emulator::builder()
        .seed(tenant())
        .seed(Seed::new().service_principal(ServicePrincipal::agent_identity("a2").owner(USER)))
        .start()
        .await
        .unwrap();
    let client = client(&graph);
    let err = add_owner(&client, "a2", USER).await.unwrap_err();
    let svc = expect_service(&err, 400, "Request_BadRequest");
    assert!(svc.message().unwrap().contains("already exist"), "{err}");
    assert_eq!(graph.state().owners_of("a2"), [USER]);
}

#[tokio::test]
async fn hostile_agent_ids_travel_as_one_encoded_segment() {
    let graph = emulator().await;
    let client = client(&graph);
    let cases = [
        ("a/b", "a%2Fb"),
        ("a?b", "a%3Fb"),
        ("a#b", "a%23b"),
        ("%", "%25"),
        ("%2e", "%252e"),
        (" ", "%20"),
        ("a b", "a%20b"),
        ("ü", "%C3%BC"),
        ("../x", "..%2Fx"),
        ("a+b", "a%2Bb"),
        ("a;b=c", "a%3Bb%3Dc"),
        ("$ref", "%24ref"),
        ("...", "..."),
        (".a", ".a"),
        ("~", "~"),
        ("%2E%2E", "%252E%252E"),
        ("\\..", "%5C.."),
        ("a\nb", "a%0Ab"),
    ];
    for (i, (id, encoded)) in cases.iter().enumerate() {
        let err = add_owner(&client, id, USER).await.unwrap_err();
        let svc = expect_service(&err, 404, "Request_ResourceNotFound");
        // The emulator decoded exactly one segment, giving back the id as the caller wrote it.
        assert!(
            svc.message().unwrap().contains(&format!("'{id}'")),
            "{id:?}: {err}"
        );
        let log = graph.requests();
        assert_eq!(log.len(), i + 1, "{id:?}: one request per call");
        let r = &log[i];
        assert_eq!(r.path, owners_path(encoded), "{id:?}");
        assert_eq!(r.query, None, "{id:?}");
        assert_eq!(r.operation_id.as_deref(), Some(ADD_OWNER_OP), "{id:?}");
    }
}

#[tokio::test]
async fn agent_identity_with_hostile_id_gets_its_owner() {
    let agent = "agent 1/ü";
    let graph = Emulator::builder()
        .seed(tenant())
        .seed(Seed::new().agent_identity(agent, "Odd agent"))
        .start()
        .await
        .unwrap();
    let client = client(&graph);

    add_owner(&client, agent, USER).await.unwrap();

    assert_eq!(graph.state().owners_of(agent), [USER]);
    let r = only_request(&graph);
    assert_eq!(r.path, owners_path("agent%201%2F%C3%BC"));
    assert_eq!(r.status, Some(204));
}

#[tokio::test]
async fn owner_with_hostile_id_is_referenced_by_an_encoded_url() {
    let owner = "user ü/1?x#y";
    let graph = Emulator::builder()
        .seed(tenant())
        .seed(Seed::new().user(owner, "Odd user"))
        .start()
        .await
        .unwrap();
    let client = client(&graph);

    add_owner(&client, AGENT, owner).await.unwrap();

    assert_eq!(graph.state().owners_of(AGENT), [owner]);
    let sent = only_request(&graph).body_json().unwrap();
    assert_eq!(
        sent,
        json!({"@odata.id": format!("{}/directoryObjects/user%20%C3%BC%2F1%3Fx%23y", graph.base_url())})
    );
}

#[tokio::test]
async fn dot_and_empty_ids_are_refused_before_sending() {
    let graph = emulator().await;
    let client = client(&graph);
    for id in [".", "..", ""] {
        let err = add_owner(&client, id, USER).await.unwrap_err();
        match &err {
            Error::InvalidInput { message } => {
                assert!(message.contains("servicePrincipal-id"), "{id:?}: {message}");
            }
            other => panic!("{id:?}: expected Error::InvalidInput, got {other:?}"),
        }
        // The owner reference is validated the same way.
        assert!(
            matches!(
                ReferenceCreate::directory_object(&client, id),
                Err(Error::InvalidInput { .. })
            ),
            "{id:?}"
        );
    }
    assert!(graph.requests().is_empty(), "{:#?}", graph.requests());
    assert!(graph.state().owners_of(AGENT).is_empty());
}

#[tokio::test]
async fn agent_ids_are_matched_case_insensitively() {
    let graph = emulator().await;
    let client = client(&graph);
    add_owner(&client, &AGENT.to_uppercase(), USER)
        .await
        .unwrap();
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
}

#[tokio::test]
async fn duplicate_detection_ignores_id_case() {
    let graph = emulator().await;
    let client = client(&graph);
    add_owner(&client, AGENT, USER).await.unwrap();
    let err = add_owner(&client, AGENT, &USER.to_uppercase())
        .await
        .unwrap_err();
    let svc = expect_service(&err, 400, "Request_BadRequest");
    assert!(svc.message().unwrap().contains("already exist"), "{err}");
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
}

#[tokio::test]
async fn agent_identity_with_hostile_id_can_own_another() {
    let odd = "agent 2/ü?#";
    let graph = Emulator::builder()
        .seed(tenant())
        .seed(Seed::new().agent_identity(odd, "Odd agent"))
        .start()
        .await
        .unwrap();
    let client = client(&graph);
    add_owner(&client, AGENT, odd).await.unwrap();
    add_owner(&client, odd, AGENT).await.unwrap();
    assert_eq!(graph.state().owners_of(AGENT), [odd]);
    assert_eq!(graph.state().owners_of(odd), [AGENT]);
    assert_eq!(
        graph.requests()[1].path,
        owners_path("agent%202%2F%C3%BC%3F%23")
    );
}

#[tokio::test]
async fn emulator_directory_object_url_is_a_valid_reference() {
    let graph = emulator().await;
    let client = client(&graph);
    let body = ReferenceCreate {
        odata_id: Some(graph.directory_object_url(USER)),
        ..Default::default()
    };
    add_owner_ref(&client, AGENT, &body).await.unwrap();
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
}

#[tokio::test]
async fn service_root_without_the_version_segment_is_a_400_from_the_emulator() {
    let graph = emulator().await;
    let root = graph.base_url().trim_end_matches("/beta").to_owned();
    let client = graph_beta::Client::builder(StaticToken::new(full_token()))
        .service_root(root)
        .retry_policy(fast_policy())
        .build()
        .unwrap();
    let err = add_owner(&client, AGENT, USER).await.unwrap_err();
    let svc = expect_service(&err, 400, "BadRequest");
    assert!(svc.message().unwrap().contains("Invalid version"), "{err}");
    let r = only_request(&graph);
    assert_eq!(
        r.path,
        format!("/servicePrincipals/{AGENT}/microsoft.graph.agentIdentity/owners/$ref")
    );
    assert_eq!(r.operation_id, None);
    assert!(graph.state().owners_of(AGENT).is_empty());
}
