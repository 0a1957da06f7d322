//! Proof with Microsoft's official Python Graph SDKs (`msgraph-beta-sdk` and
//! `microsoft-agents-m365copilot-beta`, pinned in `tests/python/requirements.txt`), signed in by
//! `azure-identity` against the emulator's identity provider: the owners of an agent identity
//! added, listed across pages with the SDK's `PageIterator` and removed; Copilot limited mode read,
//! changed and written back as the SDK's model (`tests/python/graph_sdks.py` says how the SDKs
//! are set up, all through their documented options).
//!
//! The interpreter is `$GRAPH_EMULATOR_PYTHON`, as for `oidc_clients`: skipped with a note
//! without it, except under CI.

use graph_emulator::{App, EMULATOR_TENANT_DOMAIN, Emulator, Seed, ServicePrincipal, tls};
use serde_json::json;

use crate::common::*;
use crate::oidc_clients::{python, run_script, temp_path};

const CONFIDENTIAL: &str = "6a1f0e2d-3c4b-4a59-8e7f-9d0c1b2a3f4e";
const PUBLIC: &str = "9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d";
const SECRET: &str = "graph~sdk.secret_7";
/// Owners in the seed: five, so that `$top=2` takes three pages.
const OWNERS: [&str; 5] = [
    "0a000000-0000-4000-8000-000000000001",
    "0a000000-0000-4000-8000-000000000002",
    "0a000000-0000-4000-8000-000000000003",
    "0a000000-0000-4000-8000-000000000004",
    "0a000000-0000-4000-8000-000000000005",
];

#[tokio::test]
async fn microsofts_python_graph_sdks_work_unmodified() {
    let Some(python) = python() else {
        return;
    };
    let mut agent = ServicePrincipal::agent_identity(AGENT).display_name("Expense agent");
    let mut seed = Seed::new()
        .user(USER, "Adele Vance")
        .group(GROUP, "Copilot pilot");
    for (i, owner) in OWNERS.iter().enumerate() {
        seed = seed.user(*owner, format!("Owner {i}"));
        agent = agent.owner(*owner);
    }
    let graph = Emulator::builder()
        .https()
        .seed(seed.service_principal(agent))
        .app(App::confidential(
            CONFIDENTIAL,
            SECRET,
            &["AgentIdentity.Read.All", "AgentIdentity.ReadWrite.All"],
        ))
        .app(App::public(
            PUBLIC,
            &["CopilotSettings-LimitedMode.ReadWrite"],
        ))
        .approve_device_codes_as(USER)
        .device_code_interval(1)
        .start()
        .await
        .unwrap();
    let ca = temp_path("graph-sdks-ca.pem");
    std::fs::write(&ca, tls::TEST_CA_PEM).unwrap();
    let description = json!({
        "authority_host": graph.authority_host(),
        "tenant": EMULATOR_TENANT_DOMAIN,
        "base_url": graph.base_url(),
        "ca_file": ca,
        "agent": AGENT,
        "owners": OWNERS,
        "new_owner": USER,
        "group": GROUP,
        "confidential_client_id": CONFIDENTIAL,
        "secret": SECRET,
        "public_client_id": PUBLIC,
    });
    let stdout = run_script(&python, "graph_sdks.py", &description).await;
    let _ = std::fs::remove_file(&ca);
    assert!(
        stdout.contains("graph_sdks: 2 passed, 0 failed"),
        "{stdout}"
    );

    // What the SDKs did, as the emulator saw it.
    let state = graph.state();
    let mut owners = state.owners_of(AGENT);
    owners.sort();
    assert_eq!(owners, OWNERS, "the owner added was removed again");
    let log = graph.requests();
    let owner_pages = log
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/microsoft.graph.agentIdentity/owners"))
        .collect::<Vec<_>>();
    // Three listings (before, after the add, after the removal), each of three or more pages.
    assert!(owner_pages.len() >= 9, "{} owner pages", owner_pages.len());
    assert!(
        owner_pages
            .iter()
            .filter(|r| r.query.as_deref().unwrap_or_default().contains("skiptoken"))
            .count()
            >= 6,
        "the SDK's PageIterator followed the next links"
    );
    let operation = |id: &str| {
        log.iter()
            .filter(|r| r.operation_id.as_deref() == Some(id) && r.status.is_some_and(|s| s < 300))
            .count()
    };
    assert_eq!(operation(ADD_OWNER), 1);
    assert_eq!(operation(LIMITED_MODE), 1);
    // The read-modify-write sent back the annotations the GET gave, and was accepted.
    let patch = log
        .iter()
        .find(|r| r.operation_id.as_deref() == Some(LIMITED_MODE))
        .unwrap();
    assert!(
        String::from_utf8_lossy(&patch.body).contains("@odata.context"),
        "{patch:?}"
    );
}
