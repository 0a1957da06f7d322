//! Starting, seeding, inspecting and stopping the emulator; the standalone binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use graph_emulator::{
    AGENT_IDENTITY_TYPE, Emulator, Error, GROUP_TYPE, SERVICE_PRINCIPAL_TYPE, Seed,
    ServicePrincipal, USER_TYPE,
};
use serde_json::json;
use tokio::net::TcpStream;

use crate::common::*;

#[tokio::test]
async fn base_url_is_the_service_root_with_the_version() {
    let graph = Emulator::start().await.unwrap();
    let port = graph.addr().port();
    assert_ne!(port, 0);
    assert_eq!(graph.base_url(), format!("http://127.0.0.1:{port}/beta"));
    assert_eq!(
        graph.directory_object_url("a b"),
        format!("http://127.0.0.1:{port}/beta/directoryObjects/a%20b")
    );
    // A GUID is written as Graph writes it: its hyphens are not escaped.
    assert_eq!(
        graph.directory_object_url(USER),
        format!("http://127.0.0.1:{port}/beta/directoryObjects/{USER}")
    );
    assert_eq!(graph.state(), graph_emulator::State::default());
}

#[tokio::test]
async fn shutdown_stops_serving_and_closes_connections() {
    let graph = seeded().await;
    let addr = graph.addr();
    let http = client();
    // Leave a keep-alive connection in the pool.
    assert_eq!(
        http.patch(limited_mode_url(&graph))
            .bearer_auth("t")
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let url = limited_mode_url(&graph);
    graph.shutdown().await;
    // Holding the port proves the listener is gone and keeps any other test's server off it
    // while we check that connecting is refused.
    let _held = hold_port_once_free(addr)
        .await
        .expect("the listener still holds its port after shutdown");
    assert!(TcpStream::connect(addr).await.is_err());
    assert!(
        http.patch(url)
            .bearer_auth("t")
            .json(&json!({}))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let graph = seeded().await;
    let addr = graph.addr();
    drop(graph);
    // The server task is aborted; the listener goes away once the runtime gets to it.
    let _held = hold_port_once_free(addr)
        .await
        .expect("the listener is still open after drop");
    assert!(TcpStream::connect(addr).await.is_err());
}

/// Binds `addr` without listening, retrying for up to two seconds. That succeeds only once no
/// socket listens there; while the returned socket lives, connecting to `addr` is refused and
/// no port-0 bind (another test's server) can be given this port.
///
/// Why retry: right after shutdown the bind can still fail for a moment. When it did here
/// (about 1 run in 20 under load), `ss` showed no listener on the port, only the server's side
/// of the closed keep-alive connection in FIN-WAIT-2; the bind succeeded soon after. A listener
/// that stayed open fails every try, and the test with it.
async fn hold_port_once_free(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpSocket> {
    let mut attempts = 0;
    loop {
        let socket = tokio::net::TcpSocket::new_v4()?;
        // Connections in TIME_WAIT on this port must not block the bind.
        socket.set_reuseaddr(true)?;
        match socket.bind(addr) {
            Ok(()) => return Ok(socket),
            Err(e) if attempts == 400 => return Err(e),
            Err(_) => {
                attempts += 1;
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
    }
}

#[tokio::test]
async fn emulators_are_independent() {
    let a = seeded().await;
    let b = seeded().await;
    assert_ne!(a.base_url(), b.base_url());
    assert_eq!(add_owner(&a, AGENT, &v1_ref(USER)).await.status(), 204);
    assert_eq!(a.state().owners_of(AGENT), [USER]);
    assert!(b.state().owners_of(AGENT).is_empty());
    assert!(b.requests().is_empty());
}

#[tokio::test]
async fn state_can_be_seeded_mutated_and_inspected_from_code() {
    let graph = Emulator::start().await.unwrap();
    graph.add_user(user("u1"));
    graph.add_group(group("g1"));
    graph.add_agent_identity("a1");
    graph.add_service_principal(ServicePrincipal::new("sp1"));
    graph.seed(Seed::new().user("u2", "Second")).unwrap();
    graph.update_state(|store| assert!(store.link("servicePrincipals", "sp1", "owners", "u1")));
    let state = graph.state();
    assert_eq!(state.directory_object("u1").unwrap().odata_type, USER_TYPE);
    assert_eq!(
        state.directory_object("A1").unwrap().odata_type,
        AGENT_IDENTITY_TYPE
    );
    assert_eq!(
        state.directory_object("sp1").unwrap().odata_type,
        SERVICE_PRINCIPAL_TYPE
    );
    assert_eq!(state.directory_object("g1").unwrap().odata_type, GROUP_TYPE);
    assert_eq!(state.directory_objects().len(), 5);
    assert!(state.agent_identity("sp1").is_none());
    assert_eq!(state.owners_of("sp1"), ["u1"]);
    assert_eq!(
        state.user("u2").unwrap().display_name.as_deref(),
        Some("Second")
    );
    // What was added from code is served.
    assert_eq!(add_owner(&graph, "a1", &v1_ref("u2")).await.status(), 204);
    assert_eq!(graph.state().owners_of("a1"), ["u2"]);
    // Snapshots are copies.
    let snapshot = graph.state();
    graph.update_state(|store| store.remove("users", "u2"));
    assert_eq!(snapshot.users().len(), 2);
    assert_eq!(graph.state().users().len(), 1);
}

fn seed_json() -> String {
    json!({
        "users": [{"id": "u1", "displayName": "Adele Vance", "userPrincipalName": "adele@contoso.com"}],
        "agentIdentities": [{"id": "a1", "displayName": "Expense agent", "owners": ["u1"]}],
        "servicePrincipals": [{"id": "sp1", "displayName": "Payroll", "appId": "app-1", "isAgentIdentity": false}],
        "groups": [{"id": "g1", "displayName": "Copilot pilot"}],
        "limitedMode": {"isEnabledForGroup": true, "groupId": "g1"}
    })
    .to_string()
}

fn temp_file(name: &str, contents: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("graph-emulator-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

#[tokio::test]
async fn seed_file_loads_every_kind_of_object() {
    let path = temp_file("seed.json", &seed_json());
    let seed = Seed::from_file(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let graph = Emulator::builder().seed(seed).start().await.unwrap();
    let state = graph.state();
    assert_eq!(
        state.user("u1").unwrap().user_principal_name.as_deref(),
        Some("adele@contoso.com")
    );
    assert!(state.service_principal("a1").unwrap().is_agent_identity);
    assert_eq!(state.owners_of("a1"), ["u1"]);
    assert_eq!(
        state.service_principal("sp1").unwrap().app_id.as_deref(),
        Some("app-1")
    );
    assert!(state.group("g1").is_some());
    assert_eq!(state.limited_mode.is_enabled_for_group, Some(true));
    // The seeded owner counts as a duplicate.
    expect_error(
        add_owner(&graph, "a1", &v1_ref("u1")).await,
        400,
        "Request_BadRequest",
    )
    .await;
}

#[test]
fn bad_seeds_are_errors() {
    assert!(matches!(
        Seed::from_json(r#"{"user": []}"#),
        Err(Error::Seed(_))
    ));
    assert!(matches!(
        Seed::from_json(r#"{"users": [{"id": "u", "mail": "x"}]}"#),
        Err(Error::Seed(_))
    ));
    assert!(
        matches!(Seed::from_file("/nonexistent/seed.json"), Err(Error::Seed(m)) if m.contains("/nonexistent/seed.json"))
    );
}

#[cfg(unix)]
#[tokio::test]
async fn standalone_binary_serves_the_seed_and_stops_on_ctrl_c() {
    let path = temp_file("bin-seed.json", &seed_json());
    let mut child = Command::new(env!("CARGO_BIN_EXE_graph-emulator"))
        .args(["--port", "0", "--seed"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    std::fs::remove_file(&path).unwrap();
    let base_url = line
        .trim()
        .strip_prefix("graph-emulator listening on ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_owned();
    assert!(
        base_url.starts_with("http://127.0.0.1:") && base_url.ends_with("/beta"),
        "{base_url}"
    );

    let response = client()
        .post(format!(
            "{base_url}/servicePrincipals/a1/microsoft.graph.agentIdentity/owners/$ref"
        ))
        .bearer_auth("t")
        .json(&json!({"@odata.id": format!("{base_url}/directoryObjects/u1")}))
        .send()
        .await
        .unwrap();
    // u1 already owns a1 in the seed.
    expect_error(response, 400, "Request_BadRequest").await;

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn standalone_binary_rejects_bad_arguments() {
    let output = Command::new(env!("CARGO_BIN_EXE_graph-emulator"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown argument"));
    let output = Command::new(env!("CARGO_BIN_EXE_graph-emulator"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("--seed FILE"));
}
