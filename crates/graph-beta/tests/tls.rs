//! The SDK over real TLS, with whichever crypto provider feature this build enabled
//! (`rustls-ring` by default; CI also runs this file with `rustls-aws-lc-rs`).
//!
//! The server is a small HTTPS responder on 127.0.0.1 whose certificate, for `localhost` and
//! `127.0.0.1`, is the emulator's built-in test identity (`graph_emulator::tls`), signed by a test
//! CA. Both are valid from 2000 to 2126, so no clock can make them expired or not yet valid; the
//! key is a test fixture and protects nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use graph_beta::prelude::*;
use graph_beta::runtime::reqwest;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

const CA: &[u8] = graph_emulator::tls::TEST_CA_PEM.as_bytes();
const CERT: &[u8] = graph_emulator::tls::TEST_CERT_PEM.as_bytes();
const KEY: &[u8] = graph_emulator::tls::TEST_KEY_PEM.as_bytes();
const TOKEN: &str = "tls-test-token-SECRET";

/// What the HTTPS server saw: one entry per request that completed a handshake.
type Seen = Arc<Mutex<Vec<String>>>;

/// Starts an HTTPS server on 127.0.0.1 that answers every request with `200` and a
/// `copilotAdminLimitedMode` body, and records each request's head and body.
async fn https_server() -> (u16, Seen) {
    let certs = vec![CertificateDer::from_pem_slice(CERT).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(KEY).unwrap();
    // The test server names its provider (ring) rather than relying on a process default:
    // in the aws-lc-rs build both rustls providers are compiled in (the emulator, a
    // dev-dependency, uses ring), and rustls then picks no default on its own. The client
    // under test keeps whichever provider the build selected.
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Seen::default();
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                // A client that rejects the certificate aborts the handshake: nothing to serve.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Some(request) = read_request(&mut tls).await else {
                    return;
                };
                log.lock().unwrap().push(request);
                let body = r#"{"isEnabledForGroup":true,"groupId":"g-1"}"#;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, seen)
}

/// Reads one HTTP/1.1 request (head, then `content-length` bytes of body) as text.
async fn read_request(tls: &mut (impl AsyncReadExt + Unpin)) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        let n = tls.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return Some(String::from_utf8_lossy(&buf).into_owned());
            }
        }
    }
}

/// Turns Copilot limited mode on for group `g-1` (op 2).
async fn enable_limited_mode(
    client: &graph_beta::Client,
) -> Result<CopilotAdminLimitedMode, Error> {
    let body = CopilotAdminLimitedMode {
        is_enabled_for_group: true.into(),
        group_id: "g-1".into(),
        ..Default::default()
    };
    client
        .copilot()
        .admin()
        .settings()
        .limited_mode()
        .patch(&body)
        .await
}

#[tokio::test]
async fn requests_go_over_tls_to_a_server_the_client_trusts() {
    // The documented way to bring your own reqwest client: make sure a provider exists first.
    graph_beta::runtime::ensure_crypto_provider().unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(CA).unwrap()])
        .build()
        .unwrap();
    let (port, seen) = https_server().await;
    let client = graph_beta::Client::builder(StaticToken::new(TOKEN))
        .service_root(format!("https://localhost:{port}/beta"))
        .http_client(http)
        .build()
        .unwrap();

    let updated = enable_limited_mode(&client).await.unwrap();

    assert_eq!(updated.group_id, Nullable::Value("g-1".to_owned()));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let request = &seen[0];
    assert!(
        request.starts_with("PATCH /beta/copilot/admin/settings/limitedMode HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        request.to_ascii_lowercase().contains(&format!(
            "authorization: bearer {}",
            TOKEN.to_ascii_lowercase()
        )),
        "{request}"
    );
    assert!(
        request.ends_with(r#"{"groupId":"g-1","isEnabledForGroup":true}"#),
        "{request}"
    );
}

#[tokio::test]
async fn the_default_client_refuses_a_certificate_from_an_unknown_ca() {
    // No http_client: the SDK builds its own, verifying against the platform's roots, which do
    // not include the test CA. The handshake must fail and nothing may reach the server.
    let (port, seen) = https_server().await;
    let client = graph_beta::Client::builder(StaticToken::new(TOKEN))
        .service_root(format!("https://localhost:{port}/beta"))
        .retry_policy(RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();

    let err = enable_limited_mode(&client).await.unwrap_err();

    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    // Refused for the certificate, not for some other transport failure.
    let mut chain = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(&err);
    while let Some(e) = source {
        chain.push_str(&format!("{e} / {e:?}\n"));
        source = e.source();
    }
    assert!(chain.contains("UnknownIssuer"), "{chain}");
    assert!(seen.lock().unwrap().is_empty());
    for text in [format!("{err}"), format!("{err:?}")] {
        assert!(!text.contains(TOKEN), "{text}");
    }
}
