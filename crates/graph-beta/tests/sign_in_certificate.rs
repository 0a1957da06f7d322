//! Certificate sign-in, end to end on 127.0.0.1: [`CertificateCredential`] signs its own client
//! assertions (PS256 or RS256, with `ring`) from the committed test certificate (PEM and
//! PKCS#12), the emulator's identity provider verifies them against the certificate registered
//! for the app, and Graph takes the tokens it issues. Each refusal comes back typed, with
//! Entra's codes: an unregistered certificate, a forged signature, an expired assertion, an
//! assertion for another audience (sent through a relay on another port, as a proxy in front of
//! the identity provider would), and certificates or keys that cannot be used.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod emulator_common;

use std::time::Duration;

use base64::Engine as _;
use emulator_common::*;
use graph_beta::prelude::*;
use graph_beta::runtime::reqwest;
use graph_beta::runtime::{AssertionAlgorithm, CertificateCredential, ClientCertificate};
use graph_beta::{CredentialError, CredentialErrorKind};
use graph_emulator::{
    App, EMULATOR_TENANT, EMULATOR_TENANT_DOMAIN, Emulator, RecordedRequest, tls,
};
use serde_json::Value;

const APP: &str = "6b5a4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d";

fn registered() -> ClientCertificate {
    ClientCertificate::from_pem(tls::APP_CERT_TEST_PEM, tls::APP_CERT_TEST_KEY_PEM).unwrap()
}

fn unregistered() -> ClientCertificate {
    ClientCertificate::from_pem(tls::OTHER_CERT_TEST_PEM, tls::OTHER_CERT_TEST_KEY_PEM).unwrap()
}

async fn emulator_with(builder: graph_emulator::EmulatorBuilder) -> Emulator {
    start(
        builder.seed(tenant()).app(
            // A secret too (never used here): `confidential` is the builder that grants roles.
            App::confidential(
                APP,
                "unused~secret",
                &[OWNERS_SCOPE, "AgentIdentity.Read.All"],
            )
            .with_certificate(tls::APP_CERT_TEST_PEM)
            .display_name("Owner sync (certificate)"),
        ),
    )
    .await
}

fn plain_http() -> reqwest::Client {
    graph_beta::runtime::ensure_crypto_provider().unwrap();
    reqwest::Client::new()
}

fn credential(
    graph: &Emulator,
    certificate: ClientCertificate,
) -> graph_beta::runtime::CertificateCredentialBuilder {
    CertificateCredential::builder(EMULATOR_TENANT, APP, certificate)
        .authority_host(graph.authority_host())
        .http_client(plain_http())
}

fn graph_client(graph: &Emulator, credential: CertificateCredential) -> Client {
    Client::builder(credential)
        .service_root(graph.base_url())
        .http_client(plain_http())
        .retry_policy(fast_policy())
        .build()
        .unwrap()
}

async fn list_owners(client: &Client) -> Result<Vec<AnyDirectoryObject>, Error> {
    client
        .service_principals()
        .by_service_principal_id(AGENT)
        .agent_identity()
        .owners()
        .get()
        .items()
        .collect_all()
        .await
}

fn token_requests(graph: &Emulator) -> Vec<RecordedRequest> {
    graph
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/oauth2/v2.0/token"))
        .collect()
}

fn part(jwt: &str, index: usize) -> Value {
    let text = jwt.split('.').nth(index).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .unwrap(),
    )
    .unwrap()
}

fn credential_error(error: &Error) -> &CredentialError {
    match error {
        Error::Credential(e) => e,
        other => panic!("expected Error::Credential, got {other:?}"),
    }
}

/// The refusal a Graph call met: Entra's code, after checking that nothing reached Graph and
/// that the assertion is in no message.
fn refused(graph: &Emulator, error: &Error) -> u32 {
    let credential_error = credential_error(error);
    assert_eq!(
        credential_error.kind(),
        CredentialErrorKind::Entra,
        "{error}"
    );
    let entra = credential_error.entra_error().expect("Entra's diagnostics");
    assert_eq!(entra.error, "invalid_client");
    assert!(
        graph
            .requests()
            .iter()
            .all(|r| !r.path.starts_with("/beta/")),
        "nothing reached Graph"
    );
    for request in token_requests(graph) {
        let assertion = form_value(&request, "client_assertion").unwrap();
        let signature = assertion.rsplit('.').next().unwrap();
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(!text.contains(signature), "the assertion leaked: {text}");
        }
    }
    entra.codes[0]
}

#[tokio::test]
async fn a_pem_certificate_signs_in_and_adds_an_owner() {
    let graph = emulator_with(Emulator::builder()).await;
    let client = graph_client(&graph, credential(&graph, registered()).build().unwrap());

    add_owner(&client, AGENT, USER).await.unwrap();
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
    // The token is reused: one token request for two Graph calls.
    add_owner(&client, AGENT, USER2).await.unwrap();
    let tokens = token_requests(&graph);
    assert_eq!(tokens.len(), 1);

    // What was sent: client credentials with a PS256 assertion naming the certificate by its
    // SHA-256 thumbprint, addressed to the token endpoint, for the client itself; no secret.
    let request = &tokens[0];
    assert_eq!(
        form_value(request, "grant_type").as_deref(),
        Some("client_credentials")
    );
    assert_eq!(form_value(request, "client_id").as_deref(), Some(APP));
    assert_eq!(
        form_value(request, "client_assertion_type").as_deref(),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert_eq!(form_value(request, "client_secret"), None);
    assert_eq!(
        form_value(request, "scope"),
        Some(format!("{}/.default", graph.authority_host()))
    );
    let assertion = form_value(request, "client_assertion").unwrap();
    let header = part(&assertion, 0);
    let claims = part(&assertion, 1);
    assert_eq!(header["alg"], "PS256");
    assert_eq!(header["typ"], "JWT");
    let der = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header["x5t#S256"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        der.iter().map(|b| format!("{b:02X}")).collect::<String>(),
        registered().sha256_thumbprint()
    );
    assert!(header.get("x5c").is_none());
    assert_eq!(
        claims["aud"],
        format!(
            "{}/{EMULATOR_TENANT}/oauth2/v2.0/token",
            graph.authority_host()
        )
    );
    assert_eq!(claims["iss"], APP);
    assert_eq!(claims["sub"], APP);
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    let (nbf, exp) = (
        claims["nbf"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert_eq!(exp - nbf, 600, "ten minutes by default");
}

#[tokio::test]
async fn every_token_request_gets_a_new_assertion() {
    // Tokens that live 60 s are inside the cache's 5-minute margin: every call fetches one.
    let graph = emulator_with(Emulator::builder().token_lifetime(Duration::from_secs(60))).await;
    let client = graph_client(&graph, credential(&graph, registered()).build().unwrap());
    add_owner(&client, AGENT, USER).await.unwrap();
    add_owner(&client, AGENT, USER2).await.unwrap();
    let assertions: Vec<String> = token_requests(&graph)
        .iter()
        .map(|r| form_value(r, "client_assertion").unwrap())
        .collect();
    assert_eq!(assertions.len(), 2);
    assert_ne!(assertions[0], assertions[1]);
    assert_ne!(
        part(&assertions[0], 1)["jti"],
        part(&assertions[1], 1)["jti"]
    );
}

#[tokio::test]
async fn pkcs12_rs256_and_the_certificate_chain_sign_in_too() {
    let graph = emulator_with(Emulator::builder()).await;
    let from_p12 =
        ClientCertificate::from_pkcs12(tls::APP_CERT_TEST_P12, tls::APP_CERT_TEST_P12_PASSWORD)
            .unwrap();
    assert_eq!(
        from_p12.sha256_thumbprint(),
        registered().sha256_thumbprint()
    );
    assert_eq!(from_p12.certificate_der(), registered().certificate_der());
    let bundle = format!("{}{}", tls::APP_CERT_TEST_KEY_PEM, tls::APP_CERT_TEST_PEM);
    let from_bundle = ClientCertificate::from_pem_bundle(&bundle).unwrap();

    for (certificate, algorithm, chain) in [
        (from_p12, AssertionAlgorithm::Ps256, false),
        (from_bundle.clone(), AssertionAlgorithm::Rs256, false),
        (from_bundle, AssertionAlgorithm::Ps256, true),
    ] {
        let before = token_requests(&graph).len();
        let client = graph_client(
            &graph,
            credential(&graph, certificate)
                .algorithm(algorithm)
                .send_certificate_chain(chain)
                .build()
                .unwrap(),
        );
        list_owners(&client).await.unwrap();
        let tokens = token_requests(&graph);
        assert_eq!(tokens.len(), before + 1);
        let header = part(
            &form_value(tokens.last().unwrap(), "client_assertion").unwrap(),
            0,
        );
        assert_eq!(header["alg"], algorithm.name());
        match algorithm {
            AssertionAlgorithm::Rs256 => assert!(header.get("x5t").is_some()),
            _ => assert!(header.get("x5t#S256").is_some()),
        }
        assert_eq!(header.get("x5c").is_some(), chain);
    }

    // The tenant by its domain: the assertion names the endpoint the request goes to.
    let by_domain = CertificateCredential::builder(EMULATOR_TENANT_DOMAIN, APP, registered())
        .authority_host(graph.authority_host())
        .http_client(plain_http())
        .build()
        .unwrap();
    list_owners(&graph_client(&graph, by_domain)).await.unwrap();
}

#[tokio::test]
async fn an_unregistered_certificate_is_700027() {
    let graph = emulator_with(Emulator::builder()).await;
    let client = graph_client(&graph, credential(&graph, unregistered()).build().unwrap());
    let err = add_owner(&client, AGENT, USER).await.unwrap_err();
    assert_eq!(refused(&graph, &err), 700_027);
    let shown = err.to_string();
    assert!(shown.contains("The key was not found"), "{shown}");
    assert!(
        shown.contains(&unregistered().sha256_thumbprint()),
        "{shown}"
    );
    assert!(graph.state().owners_of(AGENT).is_empty());
}

#[tokio::test]
async fn an_expired_assertion_is_700024() {
    // No clock skew at the provider, and assertions that expire as they are made.
    let graph = emulator_with(Emulator::builder().assertion_clock_skew(Duration::ZERO)).await;
    let client = graph_client(
        &graph,
        credential(&graph, registered())
            .assertion_lifetime(Duration::ZERO)
            .build()
            .unwrap(),
    );
    let err = add_owner(&client, AGENT, USER).await.unwrap_err();
    assert_eq!(refused(&graph, &err), 700_024);
    assert!(
        err.to_string().contains("not within its valid time range"),
        "{err}"
    );
    // With a lifetime, the same provider takes it.
    let client = graph_client(&graph, credential(&graph, registered()).build().unwrap());
    add_owner(&client, AGENT, USER).await.unwrap();
}

/// Relays TCP connections from a port of its own to `target`, as a proxy in front of the
/// identity provider would: the client's URL (and so the assertion's `aud`) names the relay.
async fn relay(target: std::net::SocketAddr) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn an_assertion_for_another_audience_is_50012() {
    let graph = emulator_with(Emulator::builder()).await;
    let emulator_addr: std::net::SocketAddr = graph
        .authority_host()
        .strip_prefix("http://")
        .unwrap()
        .parse()
        .unwrap();
    let relay = relay(emulator_addr).await;
    let client = graph_client(
        &graph,
        CertificateCredential::builder(EMULATOR_TENANT, APP, registered())
            .authority_host(format!("http://{relay}"))
            .http_client(plain_http())
            .build()
            .unwrap(),
    );
    let err = add_owner(&client, AGENT, USER).await.unwrap_err();
    assert_eq!(refused(&graph, &err), 50_012);
    let shown = err.to_string();
    assert!(
        shown.contains(&relay.to_string()),
        "names the audience sent: {shown}"
    );
}

/// The test key as PKCS#1 (`RSA PRIVATE KEY`): the RSAPrivateKey inside its PKCS#8 wrapping
/// (for a 2048-bit key, after a fixed 26-byte header ending in the OCTET STRING's tag and length).
fn pkcs1_key_pem() -> String {
    use base64::engine::general_purpose::STANDARD;
    let body: String = tls::APP_CERT_TEST_KEY_PEM
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let pkcs8 = STANDARD.decode(body).unwrap();
    assert_eq!(
        &pkcs8[22..24],
        [0x04, 0x82],
        "an OCTET STRING with a two-byte length"
    );
    let pkcs1 = &pkcs8[26..];
    assert_eq!(pkcs1[0], 0x30, "RSAPrivateKey is a SEQUENCE");
    let encoded = STANDARD.encode(pkcs1);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

#[test]
fn pkcs8_and_pkcs1_keys_read_the_same() {
    let pkcs1 = ClientCertificate::from_pem(tls::APP_CERT_TEST_PEM, pkcs1_key_pem()).unwrap();
    assert_eq!(pkcs1.sha256_thumbprint(), registered().sha256_thumbprint());
    assert_eq!(pkcs1.sha1_thumbprint().len(), 40);
}

#[test]
fn unusable_certificates_and_keys_are_typed_errors() {
    let kind = |result: Result<ClientCertificate, CredentialError>| {
        let err = result.unwrap_err();
        assert_eq!(err.kind(), CredentialErrorKind::Certificate, "{err}");
        err.to_string()
    };
    // The key of another certificate.
    let text = kind(ClientCertificate::from_pem(
        tls::APP_CERT_TEST_PEM,
        tls::OTHER_CERT_TEST_KEY_PEM,
    ));
    assert!(
        text.contains("does not belong to the certificate"),
        "{text}"
    );
    // Not PEM at all, a certificate without a key, a key without a certificate.
    kind(ClientCertificate::from_pem(
        "not pem",
        tls::APP_CERT_TEST_KEY_PEM,
    ));
    let text = kind(ClientCertificate::from_pem_bundle(tls::APP_CERT_TEST_PEM));
    assert!(text.contains("no PRIVATE KEY"), "{text}");
    let text = kind(ClientCertificate::from_pem_bundle(
        tls::APP_CERT_TEST_KEY_PEM,
    ));
    assert!(text.contains("no CERTIFICATE"), "{text}");
    // An encrypted key is named as such.
    let encrypted =
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let text = kind(ClientCertificate::from_pem(
        tls::APP_CERT_TEST_PEM,
        encrypted,
    ));
    assert!(text.contains("encrypted"), "{text}");
    // A key block whose body is damaged: the message quotes nothing of it.
    let damaged = tls::APP_CERT_TEST_KEY_PEM.replacen('M', "*", 3);
    let text = kind(ClientCertificate::from_pem(
        tls::APP_CERT_TEST_PEM,
        &damaged,
    ));
    for line in damaged.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!text.contains(line), "{text}");
    }
    // PKCS#12: a wrong password, and bytes that are not PKCS#12.
    let text = kind(ClientCertificate::from_pkcs12(
        tls::APP_CERT_TEST_P12,
        "wrong",
    ));
    assert!(text.contains("password"), "{text}");
    kind(ClientCertificate::from_pkcs12(b"not pkcs12", "x"));
    kind(ClientCertificate::from_pkcs12(&[], ""));
}

#[test]
fn the_key_is_in_no_debug_output() {
    let certificate = registered();
    let credential = CertificateCredential::builder(EMULATOR_TENANT, APP, certificate.clone());
    let key_lines: Vec<&str> = tls::APP_CERT_TEST_KEY_PEM
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let built = credential
        .authority_host("http://127.0.0.1:9")
        .http_client(plain_http())
        .build()
        .unwrap();
    for text in [format!("{certificate:?}"), format!("{built:?}")] {
        assert!(text.contains(&certificate.sha256_thumbprint()), "{text}");
        for line in &key_lines {
            assert!(!text.contains(line), "{text}");
        }
    }
    // A plain-http authority elsewhere than this machine is refused before anything is sent.
    let err = CertificateCredential::builder(EMULATOR_TENANT, APP, certificate)
        .authority_host("http://login.example.com")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("https"), "{err}");
}

/// The interpreter of the emulator's Python client tests (`$GRAPH_EMULATOR_PYTHON`, a venv with
/// `crates/graph-emulator/tests/python/requirements.txt`), or `None` when the test may be
/// skipped (never under CI).
fn python() -> Option<std::path::PathBuf> {
    match std::env::var_os("GRAPH_EMULATOR_PYTHON") {
        Some(path) if !path.is_empty() => Some(path.into()),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "GRAPH_EMULATOR_PYTHON is not set under CI"
            );
            eprintln!("SKIPPED: set GRAPH_EMULATOR_PYTHON to verify assertions with PyJWT");
            None
        }
    }
}

/// Checks, in Python, an assertion as a strict relying party would, with a verifier we did not
/// write (PyJWT over `cryptography`): the signature by the certificate's public key, the
/// algorithm, `aud`, `iss`, and the required claims.
const PYJWT_CHECK: &str = r#"
import json, sys
import jwt
from cryptography import x509
assertion, cert_pem, audience, client, alg = sys.argv[1:6]
key = x509.load_pem_x509_certificate(cert_pem.encode()).public_key()
claims = jwt.decode(assertion, key, algorithms=[alg], audience=audience, issuer=client,
                    options={"require": ["exp", "nbf", "iat", "iss", "sub", "aud", "jti"]})
assert claims["sub"] == client, claims
assert jwt.get_unverified_header(assertion)["alg"] == alg
try:
    jwt.decode(assertion[:-4] + ("AAAA" if assertion[-4:] != "AAAA" else "BBBB"), key,
               algorithms=[alg], audience=audience)
except jwt.InvalidSignatureError:
    print("verified", alg)
else:
    raise AssertionError("a tampered assertion verified")
"#;

#[tokio::test]
async fn the_sdks_assertions_verify_with_pyjwt() {
    let Some(python) = python() else {
        return;
    };
    let graph = emulator_with(Emulator::builder()).await;
    for algorithm in [AssertionAlgorithm::Ps256, AssertionAlgorithm::Rs256] {
        let client = graph_client(
            &graph,
            credential(&graph, registered())
                .algorithm(algorithm)
                .build()
                .unwrap(),
        );
        list_owners(&client).await.unwrap();
        let assertion =
            form_value(token_requests(&graph).last().unwrap(), "client_assertion").unwrap();
        let audience = format!(
            "{}/{EMULATOR_TENANT}/oauth2/v2.0/token",
            graph.authority_host()
        );
        let output = std::process::Command::new(&python)
            .args(["-c", PYJWT_CHECK])
            .args([
                assertion.as_str(),
                tls::APP_CERT_TEST_PEM,
                &audience,
                APP,
                algorithm.name(),
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "PyJWT refused the SDK's {} assertion: {}",
            algorithm.name(),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&output.stdout).trim(),
            format!("verified {}", algorithm.name())
        );
    }
}
