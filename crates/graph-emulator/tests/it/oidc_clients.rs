//! Proof with clients we did not write: Microsoft's Python identity libraries (`msal`,
//! `azure-identity`, pinned in `tests/python/requirements.txt`) discover the emulator's identity
//! provider and sign in by client credentials, by device code and in the browser (authorization
//! code with PKCE, their own loopback servers, the test's "browser" registered with Python's
//! `webbrowser`), unmodified
//! (`tests/python/oidc_clients.py` says what it checks, and why instance discovery is turned
//! off there).
//!
//! The interpreter is `$GRAPH_EMULATOR_PYTHON` (a virtualenv with the requirements installed).
//! Without it the test says so and passes, except under CI (`CI` set), where it fails.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use graph_emulator::{
    App, EMULATOR_TENANT, EMULATOR_TENANT_DOMAIN, Emulator, Seed, ServicePrincipal, User, tls,
};
use serde_json::{Value, json};

use crate::common::*;

const CONFIDENTIAL: &str = "5d2c4e1a-7b3f-4c6d-9e8a-1f2b3c4d5e6f";
const PUBLIC: &str = "8e7d6c5b-4a3f-4e2d-8c1b-0a9f8e7d6c5b";
const SECRET: &str = "python~client.secret_1";
const UPN: &str = "adele@emulator.onmicrosoft.com";

/// The interpreter to run, or `None` (with the reason printed) when the test may be skipped.
pub(crate) fn python() -> Option<PathBuf> {
    match std::env::var_os("GRAPH_EMULATOR_PYTHON") {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "GRAPH_EMULATOR_PYTHON is not set under CI: the OIDC client test must run there \
                 (a venv with crates/graph-emulator/tests/python/requirements.txt)"
            );
            eprintln!(
                "SKIPPED: set GRAPH_EMULATOR_PYTHON to a Python with \
                 crates/graph-emulator/tests/python/requirements.txt installed to run the msal and \
                 azure-identity checks"
            );
            None
        }
    }
}

pub(crate) fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "graph-emulator-{}-{}-{name}",
        std::process::id(),
        uuid_like()
    ))
}

/// A per-call suffix, so parallel tests never share a file.
fn uuid_like() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// What the script needs to know about a running emulator.
fn description(authority_host: &str, base_url: &str, approved_up_front: bool) -> Value {
    json!({
        "authority_host": authority_host,
        "tenant": EMULATOR_TENANT_DOMAIN,
        "tenant_id": EMULATOR_TENANT,
        "base_url": base_url,
        "user": USER,
        "user_principal_name": UPN,
        "agent": AGENT,
        "confidential_client_id": CONFIDENTIAL,
        "secret": SECRET,
        "public_client_id": PUBLIC,
        "approved_up_front": approved_up_front,
    })
}

/// Runs the script against the emulator `description` describes, trusting the test CA; its
/// output, after asserting that it succeeded.
async fn run_clients(python: &Path, description: &Value) -> String {
    run_script(python, "oidc_clients.py", description).await
}

/// Runs `tests/python/{script}` like [`run_clients`].
pub(crate) async fn run_script(python: &Path, script: &str, description: &Value) -> String {
    let ca = temp_path("test-ca.pem");
    std::fs::write(&ca, tls::TEST_CA_PEM).unwrap();
    let config = temp_path("oidc-clients.json");
    std::fs::write(&config, description.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(script);
    let mut command = Command::new(python);
    command
        .arg(script)
        .arg(&config)
        .env("REQUESTS_CA_BUNDLE", &ca)
        .env("SSL_CERT_FILE", &ca)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("AZURE_AUTHORITY_HOST");
    // The script blocks; an in-process server keeps serving on this runtime meanwhile.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let _ = std::fs::remove_file(&ca);
    let _ = std::fs::remove_file(&config);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the Python clients failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    stdout
}

#[tokio::test]
async fn msal_and_azure_identity_sign_in_unmodified() {
    let Some(python) = python() else {
        return;
    };
    let graph = Emulator::builder()
        .https()
        .seed(
            Seed::new()
                .add_user(User {
                    user_principal_name: Some(UPN.to_owned()),
                    ..User::new(USER).display_name("Adele Vance")
                })
                .service_principal(
                    ServicePrincipal::agent_identity(AGENT)
                        .display_name("Expense agent")
                        .owner(USER),
                ),
        )
        .app(App::confidential(
            CONFIDENTIAL,
            SECRET,
            &["AgentIdentity.Read.All", "AgentIdentity.ReadWrite.All"],
        ))
        .app(App::public(
            PUBLIC,
            &["CopilotSettings-LimitedMode.ReadWrite"],
        ))
        .device_code_interval(1)
        .start()
        .await
        .unwrap();
    // Clients name the tenant by its domain, as people do; the provider answers with its id.
    let stdout = run_clients(
        &python,
        &description(graph.authority_host(), graph.base_url(), false),
    )
    .await;
    assert!(
        stdout.contains("oidc_clients: 9 passed, 0 failed"),
        "{stdout}"
    );

    // What the libraries did, as the emulator saw it: discovery first, then the token
    // endpoint; the device-login page used by the script as a person would.
    let log = graph.requests();
    let first = &log[0];
    assert!(
        first
            .path
            .ends_with("/v2.0/.well-known/openid-configuration"),
        "{}",
        first.path
    );
    let count = |operation: &str| {
        log.iter()
            .filter(|r| r.operation_id.as_deref() == Some(operation))
            .count()
    };
    assert!(count("identity:discovery") >= 4);
    assert!(count("identity:devicecode") >= 2);
    assert!(count("identity:token") >= 5);
    assert_eq!(
        log.iter()
            .filter(
                |r| r.operation_id.as_deref() == Some("identity:devicelogin") && r.method == "POST"
            )
            .count(),
        2
    );
    assert!(log.iter().any(|r| r.path == "/common/discovery/instance"));
    // Browser sign-ins: the page shown and answered (three times), and the code redeemed.
    assert!(count("identity:authorize") >= 6);
    assert_eq!(
        log.iter()
            .filter(
                |r| r.operation_id.as_deref() == Some("identity:authorize") && r.method == "POST"
            )
            .count(),
        3
    );
    assert!(
        log.iter()
            .any(|r| r.operation_id.as_deref() == Some("identity:token")
                && String::from_utf8_lossy(&r.body).contains("grant_type=authorization_code"))
    );
}

/// A server process, killed if the test fails before stopping it.
struct Running(Option<std::process::Child>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The standalone binary with `--https --approve-as USER`: the same script, with nobody at the
/// device-login page.
#[cfg(unix)]
#[tokio::test]
async fn msal_and_azure_identity_sign_in_to_the_binary_approving_as_a_user() {
    let Some(python) = python() else {
        return;
    };
    let seed = json!({
        "users": [{"id": USER, "displayName": "Adele Vance", "userPrincipalName": UPN}],
        "agentIdentities": [{"id": AGENT, "displayName": "Expense agent", "owners": [USER]}],
        "apps": [
            {"clientId": CONFIDENTIAL, "secrets": [SECRET],
             "appRoles": ["AgentIdentity.Read.All", "AgentIdentity.ReadWrite.All"]},
            {"clientId": PUBLIC, "publicClient": true,
             "delegatedScopes": ["CopilotSettings-LimitedMode.ReadWrite"]},
        ],
    });
    let seed_path = temp_path("binary-seed.json");
    std::fs::write(&seed_path, seed.to_string()).unwrap();
    let mut server = Running(Some(
        Command::new(env!("CARGO_BIN_EXE_graph-emulator"))
            .args(["--https", "--port", "0", "--approve-as", USER, "--seed"])
            .arg(&seed_path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    ));
    let stdout = server.0.as_mut().unwrap().stdout.take().unwrap();
    let first = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let _ = std::fs::remove_file(&seed_path);
    let base_url = first
        .trim()
        .strip_prefix("graph-emulator listening on ")
        .unwrap_or_else(|| panic!("{first:?}"))
        .to_owned();
    let authority_host = base_url.strip_suffix("/beta").unwrap().to_owned();
    assert!(authority_host.starts_with("https://127.0.0.1:"));
    let output = run_clients(&python, &description(&authority_host, &base_url, true)).await;
    let mut child = server.0.take().unwrap();
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
    assert!(
        output.contains("oidc_clients: 9 passed, 0 failed"),
        "{output}"
    );
}
