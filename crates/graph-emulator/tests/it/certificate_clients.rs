//! Proof with clients we did not write: msal and azure-identity (Python, pinned in
//! `tests/python/requirements.txt`) sign in with a certificate registered for an app, making and
//! signing their own client assertions (PS256 with `x5t#S256`, RS256 with `x5t`, from PEM or
//! PKCS#12), and are refused for a certificate the app does not have or a signature by another
//! key (`tests/python/certificate_clients.py` says what it checks). Skipped without
//! `$GRAPH_EMULATOR_PYTHON` except under CI, as `oidc_clients.rs`.

use graph_emulator::{App, EMULATOR_TENANT_DOMAIN, Emulator, Seed, tls};
use serde_json::json;

use crate::common::*;
use crate::oidc_clients::{python, run_script, temp_path};

const CERT_APP: &str = "e5c3a4f6-7d8b-4c9e-8f0a-2b3c4d5e6f70";

#[tokio::test]
async fn msal_and_azure_identity_sign_in_with_a_certificate() {
    let Some(python) = python() else {
        return;
    };
    let graph = Emulator::builder()
        .https()
        .seed(
            Seed::new()
                .user(USER, "Adele Vance")
                .agent_identity(AGENT, "Expense agent"),
        )
        .app(
            App::confidential(CERT_APP, "unused~secret", &["AgentIdentity.Read.All"])
                .with_certificate(tls::APP_CERT_TEST_PEM),
        )
        .start()
        .await
        .unwrap();
    let files = [
        ("cert.pem", tls::APP_CERT_TEST_PEM.as_bytes()),
        ("cert.key", tls::APP_CERT_TEST_KEY_PEM.as_bytes()),
        ("cert.p12", tls::APP_CERT_TEST_P12),
        ("other.pem", tls::OTHER_CERT_TEST_PEM.as_bytes()),
        ("other.key", tls::OTHER_CERT_TEST_KEY_PEM.as_bytes()),
    ]
    .map(|(name, bytes)| {
        let path = temp_path(name);
        std::fs::write(&path, bytes).unwrap();
        path
    });
    let description = json!({
        "authority_host": graph.authority_host(),
        "tenant": EMULATOR_TENANT_DOMAIN,
        "base_url": graph.base_url(),
        "agent": AGENT,
        "certificate_client_id": CERT_APP,
        "certificate_pem_path": files[0],
        "certificate_key_path": files[1],
        "certificate_p12_path": files[2],
        "certificate_p12_password": tls::APP_CERT_TEST_P12_PASSWORD,
        "other_certificate_pem_path": files[3],
        "other_key_path": files[4],
    });
    let stdout = run_script(&python, "certificate_clients.py", &description).await;
    for file in &files {
        let _ = std::fs::remove_file(file);
    }
    assert!(
        stdout.contains("certificate_clients: 5 passed, 0 failed"),
        "{stdout}"
    );

    // The assertions the libraries sent, as the emulator saw them: both thumbprint kinds and
    // both algorithms, addressed to the token endpoint by tenant id (from discovery).
    let headers: Vec<serde_json::Value> = graph
        .requests()
        .iter()
        .filter(|r| r.operation_id.as_deref() == Some("identity:token"))
        .filter_map(|r| {
            let body = String::from_utf8_lossy(&r.body).into_owned();
            reqwest::Url::parse(&format!("http://form.invalid/?{body}"))
                .unwrap()
                .query_pairs()
                .find(|(k, _)| k == "client_assertion")
                .map(|(_, v)| v.into_owned())
        })
        .map(|a| {
            use base64::Engine as _;
            let header = a.split('.').next().unwrap().to_owned();
            serde_json::from_slice(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(header)
                    .unwrap(),
            )
            .unwrap()
        })
        .collect();
    assert!(
        headers
            .iter()
            .any(|h| h["alg"] == "PS256" && h.get("x5t#S256").is_some())
    );
    assert!(
        headers
            .iter()
            .any(|h| h["alg"] == "RS256" && h.get("x5t").is_some())
    );
}
