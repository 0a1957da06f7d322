//! One scan for every kind of secret: access tokens, refresh tokens, client secrets, device
//! codes, the refresh token a persistent cache file keeps, client assertions and the private
//! keys that sign them, and a secret a caller puts in a header of their own.
//!
//! The secrets are real ones of a sign-in against the emulator (over HTTPS with its test CA):
//! a client-secret sign-in through `azure_identity`, and a device-code sign-in with
//! `offline_access` renewed by its refresh token. Whatever the client sent is read back from the
//! emulator's request log. Then `Debug` and `Display` of every public type that can hold one of
//! them, every [`Error`] variant a caller can meet, and everything the SDK logged through
//! `tracing` on the way, must contain none of them. (The emulator's request log is held to
//! the credentials only: it shows the caller's own headers, which it cannot know are secret.)
//!
//! [`Error::Config`] is the one variant not produced here: it comes from a failed
//! `reqwest::Client` build or a missing TLS provider, and its message is reqwest's or a fixed
//! text, which hold no secret.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod capture;
mod emulator_common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use emulator_common::*;
use graph_beta::prelude::*;
use graph_beta::runtime::{
    AzureIdentityOptions, BrowserCredential, CertificateCredential, ClientCertificate,
    DeviceCodeCredential, PersistentTokenCache,
};
use graph_beta::{AccessToken, TokenCache, TokenRequest};
use graph_emulator::{App, EMULATOR_TENANT, Emulator, Fault, Seed, tls};

const APP: &str = "7e6d5c4b-3a29-4817-8615-a4b3c2d1e0f9";
const CLIENT_SECRET: &str = "cs~Secret.Scan_client-secret-value";
const PUBLIC_APP: &str = "1b2c3d4e-5f60-4718-892a-0b1c2d3e4f50";
const CERT_APP: &str = "2c3d4e5f-6071-4829-9a3b-1c2d3e4f5061";
/// A value a caller sends in a header of their own (an API key for a proxy, say).
const HEADER_SECRET: &str = "header-secret-value-Zq81";
/// What a stored next link may carry in its query.
const SKIPTOKEN: &str = "skiptoken-secret-Rr42";

fn apps() -> [App; 2] {
    [
        App::confidential(APP, CLIENT_SECRET, &[OWNERS_SCOPE]),
        App::public(PUBLIC_APP, &[LIMITED_MODE_SCOPE]),
    ]
}

/// The secrets in the emulator's log, by kind: what each token request carried and each
/// Graph request's bearer token.
fn secrets_in_log(graph: &Emulator, found: &mut Vec<(&'static str, String)>) {
    for request in graph.requests() {
        for (kind, field) in [
            ("client secret", "client_secret"),
            ("device code", "device_code"),
            ("refresh token", "refresh_token"),
            ("client assertion", "client_assertion"),
        ] {
            if let Some(value) = form_value(&request, field) {
                found.push((kind, value));
            }
        }
        if let Some(bearer) = request
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
        {
            found.push(("access token", bearer.to_owned()));
        }
    }
}

fn owners(
    client: &Client,
) -> graph_beta::requests::service_principals::ServicePrincipalsItemAgentIdentityOwnersRequestBuilder
{
    client
        .service_principals()
        .by_service_principal_id(AGENT)
        .agent_identity()
        .owners()
}

/// Lists owners with the caller's secret header; the call is expected to fail.
async fn list_with_header(client: &Client) -> Error {
    owners(client)
        .get()
        .header("X-Api-Key", HEADER_SECRET)
        .await
        .unwrap_err()
}

fn no_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 0,
        ..fast_policy()
    }
}

#[test]
fn no_secret_of_any_kind_reaches_debug_display_errors_or_logs() {
    let (capture, _guard, runtime) = capture::runtime();
    // (what, the text shown)
    let mut shown: Vec<(String, String)> = Vec::new();
    let mut show = |what: &str, text: String| shown.push((what.to_owned(), text));
    let mut secrets: Vec<(&'static str, String)> = vec![
        ("client secret", CLIENT_SECRET.to_owned()),
        ("header secret", HEADER_SECRET.to_owned()),
        ("skiptoken", SKIPTOKEN.to_owned()),
    ];

    runtime.block_on(async {
        let mut seed = tenant();
        for app in apps() {
            seed = seed.app(app);
        }
        show("seed with apps", format!("{seed:?}"));
        let json_seed = Seed::from_json(
            &serde_json::json!({
                "apps": [{ "clientId": APP, "secrets": [CLIENT_SECRET], "appRoles": [OWNERS_SCOPE] }]
            })
            .to_string(),
        )
        .unwrap();
        show("seed from JSON", format!("{json_seed:?}"));
        for app in apps() {
            show("app", format!("{app:?}"));
        }
        let graph = start(Emulator::builder().https().seed(seed)).await;
        let http = trusting_http();

        // App-only: a client secret through azure_identity, behind the SDK's token cache.
        let options = AzureIdentityOptions::new(&Cloud::Global)
            .authority_host(graph.authority_host())
            .http_client(http.clone());
        show("azure options", format!("{options:?}"));
        let azure = options
            .client_secret(EMULATOR_TENANT, APP, CLIENT_SECRET)
            .unwrap();
        show("azure credential", format!("{azure:?}"));
        let cached = Arc::new(TokenCache::new(azure));
        let app_client = Client::builder(Arc::clone(&cached))
            .service_root(graph.base_url())
            .http_client(http.clone())
            .retry_policy(fast_policy());
        show("client builder", format!("{app_client:?}"));
        let app_client = app_client.build().unwrap();
        add_owner(&app_client, AGENT, USER).await.unwrap();
        show("token cache, filled", format!("{cached:?}"));
        show("client", format!("{app_client:?}"));

        // Delegated: device code with offline_access, then a silent renewal by refresh token.
        // The prompt sees the pending sign-in before approving it, as a test of its own would.
        let identity = graph.identity().clone();
        let pending_seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = Arc::clone(&pending_seen);
        let builder = DeviceCodeCredential::builder(EMULATOR_TENANT, PUBLIC_APP)
            .authority_host(graph.authority_host())
            .http_client(http.clone())
            .scopes([LIMITED_MODE_SCOPE])
            .offline_access(true)
            .on_prompt(move |prompt| {
                let mut seen = seen.lock().unwrap();
                seen.push(format!("{prompt:?}"));
                seen.extend(identity.pending().iter().map(|p| format!("{p:?}")));
                identity.approve(&prompt.user_code, USER).unwrap();
            });
        show("device code builder", format!("{builder:?}"));
        let device = Arc::new(builder.build().unwrap());
        let request = TokenRequest {
            scopes: vec!["https://graph.microsoft.com/.default".to_owned()],
            claims: None,
        };
        let first = device.token(&request).await.unwrap();
        show("device code credential, signed in", format!("{device:?}"));
        show("access token", format!("{first:?}"));
        // Two renewals by refresh token (a claims request bypasses the token at hand): the
        // credential then holds the refresh token the second one rotated in. It is shown, and a
        // third renewal sends it, so the scan knows it.
        let renew = TokenRequest {
            claims: Some(r#"{"access_token":{"nbf":{"essential":true}}}"#.to_owned()),
            ..request.clone()
        };
        let renewed = device.token(&renew).await.unwrap();
        show("renewed token", format!("{renewed:?}"));
        let renewed_again = device.token(&renew).await.unwrap();
        show("device code credential, renewed twice", format!("{device:?}"));
        let renewed_thrice = device.token(&renew).await.unwrap();
        let pending_seen = pending_seen.lock().unwrap().clone();
        assert!(
            pending_seen.iter().any(|p| p.starts_with("PendingSignIn")),
            "the prompt saw the pending sign-in: {pending_seen:?}"
        );
        for text in pending_seen {
            show("device code prompt and pending sign-in", text);
        }
        show("emulator identity", format!("{:?}", graph.identity()));

        // A persistent token cache: a sign-in kept in a file, a second credential signing in
        // silently with the refresh token it holds (which the log then shows the scan), and a
        // damaged file holding that refresh token, read and written (typed errors, warnings).
        let dir = std::env::temp_dir().join(format!(
            "graph-beta-secrets-cache-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        ));
        let cache = PersistentTokenCache::at(dir.join("token-cache.json"));
        show("persistent cache", format!("{cache:?}"));
        let identity = graph.identity().clone();
        let persisted = |cache: &PersistentTokenCache| {
            let identity = identity.clone();
            DeviceCodeCredential::builder(EMULATOR_TENANT, PUBLIC_APP)
                .authority_host(graph.authority_host())
                .http_client(http.clone())
                .scopes([LIMITED_MODE_SCOPE])
                .persistent_cache(cache.clone())
                .account(format!("{USER}.{EMULATOR_TENANT}"))
                .on_prompt(move |prompt| identity.approve(&prompt.user_code, USER).unwrap())
        };
        show("device code builder with a cache", format!("{:?}", persisted(&cache)));
        let signs_in = persisted(&cache).build().unwrap();
        let kept = signs_in.token(&request).await.unwrap();
        secrets.push(("access token", kept.secret().to_owned()));
        show("credential with a cache, signed in", format!("{signs_in:?}"));
        show("its account", format!("{:?}", signs_in.account()));
        show("cached accounts", format!("{:?}", cache.accounts().unwrap()));
        let silent = persisted(&cache).build().unwrap();
        let silently = silent.token(&request).await.unwrap();
        secrets.push(("access token", silently.secret().to_owned()));
        show("credential signed in from the cache", format!("{silent:?}"));
        // The browser credential of the same app signs in from the same cache (no browser).
        let browser = BrowserCredential::builder(EMULATOR_TENANT, PUBLIC_APP)
            .authority_host(graph.authority_host())
            .http_client(http.clone())
            .scopes([LIMITED_MODE_SCOPE])
            .persistent_cache(cache.clone())
            .open_with(|_| Err(std::io::Error::other("no browser in this test")));
        show("browser builder with a cache", format!("{browser:?}"));
        let browser = browser.build().unwrap();
        let from_browser = browser.token(&request).await.unwrap();
        secrets.push(("access token", from_browser.secret().to_owned()));
        show("browser credential signed in from the cache", format!("{browser:?}"));
        let file = std::fs::read_to_string(cache.path()).unwrap();
        let cached_refresh = serde_json::from_str::<serde_json::Value>(&file).unwrap()
            ["accounts"][0]["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned();
        secrets.push(("refresh token", cached_refresh.clone()));
        let account = signs_in.account().unwrap();
        for damaged in [
            format!("{{\"format\":\"graph-beta-rs token cache\",\"version\":1,\"accounts\":[{{\"refresh_token\":[\"{cached_refresh}\"]}}]}}"),
            format!("{{\"format\":\"graph-beta-rs token cache\",\"version\":1,\"accounts\":\"{cached_refresh}\"}}"),
            format!("{cached_refresh} is not JSON"),
            format!("{{\"another\":\"{cached_refresh}\"}}"),
        ] {
            std::fs::write(cache.path(), damaged).unwrap();
            let read = cache.accounts().unwrap_err();
            show("persistent cache error", format!("{read} {read:?}"));
            let signed_out = cache.sign_out(&account).unwrap_err();
            show("persistent cache error", format!("{signed_out} {signed_out:?}"));
            // A credential meeting it warns (the capture keeps the warning) and prompts.
            persisted(&cache).build().unwrap().token(&request).await.unwrap();
        }
        show("credential with a cache, after", format!("{signs_in:?}"));
        std::fs::remove_dir_all(&dir).unwrap();
        // App-only with a certificate: the SDK signs its own client assertions (which the log
        // scan below collects) with the key (whose lines are secrets too).
        for key in [tls::APP_CERT_TEST_KEY_PEM, tls::OTHER_CERT_TEST_KEY_PEM] {
            for line in key.lines().filter(|l| !l.starts_with("-----") && l.len() >= 16) {
                secrets.push(("private key", line.to_owned()));
            }
        }
        graph.identity().register(
            App::confidential(CERT_APP, CLIENT_SECRET, &[OWNERS_SCOPE])
                .with_certificate(tls::APP_CERT_TEST_PEM),
        );
        let certificate =
            ClientCertificate::from_pem(tls::APP_CERT_TEST_PEM, tls::APP_CERT_TEST_KEY_PEM)
                .unwrap();
        show("client certificate", format!("{certificate:?}"));
        let builder = CertificateCredential::builder(EMULATOR_TENANT, CERT_APP, certificate)
            .authority_host(graph.authority_host())
            .http_client(http.clone());
        show("certificate credential builder", format!("{builder:?}"));
        let by_certificate = builder.build().unwrap();
        let certificate_token = by_certificate.token(&request).await.unwrap();
        secrets.push(("access token", certificate_token.secret().to_owned()));
        show(
            "certificate credential, signed in",
            format!("{by_certificate:?}"),
        );
        let mismatched =
            ClientCertificate::from_pem(tls::APP_CERT_TEST_PEM, tls::OTHER_CERT_TEST_KEY_PEM)
                .unwrap_err();
        show("unusable certificate", format!("{mismatched} {mismatched:?}"));

        // Every token the test holds, and the types that hold one.
        let own = AccessToken::new("own-access-token-Kp93")
            .with_expires_on(SystemTime::now() + Duration::from_secs(600));
        secrets.push(("access token", own.secret().to_owned()));
        show("own access token", format!("{own:?}"));
        let static_token = StaticToken::new(own.secret());
        show("static token", format!("{static_token:?}"));
        let static_cache = TokenCache::new(StaticToken::new(own.secret()));
        let _ = static_cache.token(&request).await.unwrap();
        show("token cache of a static token", format!("{static_cache:?}"));
        let delegated = Client::builder(Arc::clone(&device))
            .service_root(graph.base_url())
            .http_client(http.clone())
            .retry_policy(fast_policy())
            .build()
            .unwrap();
        get_limited_mode(&delegated)
            .await
            .unwrap();
        let with_header = delegated
            .copilot()
            .admin()
            .settings()
            .limited_mode()
            .get()
            .header("X-Api-Key", HEADER_SECRET);
        show("request with a caller's header", format!("{with_header:?}"));
        with_header.await.unwrap();
        let paged = owners(&delegated)
            .get()
            .header("X-Api-Key", HEADER_SECRET)
            .resume(format!(
                "{}/servicePrincipals/{AGENT}/microsoft.graph.agentIdentity/owners?$skiptoken={SKIPTOKEN}",
                graph.base_url()
            ));
        show("paged request", format!("{paged:?}"));

        // Every error variant a caller meets.
        let mut errors: Vec<(&str, Error)> = Vec::new();
        // Service: a token without the operation's permission, which Graph refuses.
        let unpermitted = graph_emulator::token::application(&["User.Read.All"]);
        secrets.push(("access token", unpermitted.clone()));
        let refused = Client::builder(StaticToken::new(unpermitted))
            .service_root(graph.base_url())
            .http_client(http.clone())
            .retry_policy(fast_policy())
            .build()
            .unwrap();
        errors.push(("service", add_owner(&refused, AGENT, USER2).await.unwrap_err()));
        // Credential: a wrong client secret, as Entra refuses it.
        let wrong = "cs~the-wrong-secret-Jm27";
        secrets.push(("client secret", wrong.to_owned()));
        let wrong_client = Client::builder(
            AzureIdentityOptions::new(&Cloud::Global)
                .authority_host(graph.authority_host())
                .http_client(http.clone())
                .client_secret(EMULATOR_TENANT, APP, wrong)
                .unwrap(),
        )
        .service_root(graph.base_url())
        .http_client(http.clone())
        .build()
        .unwrap();
        let credential = add_owner(&wrong_client, AGENT, USER2).await.unwrap_err();
        assert!(matches!(credential, Error::Credential(_)), "{credential:?}");
        errors.push(("credential", credential));
        // Credential: a certificate the app does not have.
        let unregistered = CertificateCredential::builder(
            EMULATOR_TENANT,
            CERT_APP,
            ClientCertificate::from_pem(tls::OTHER_CERT_TEST_PEM, tls::OTHER_CERT_TEST_KEY_PEM)
                .unwrap(),
        )
        .authority_host(graph.authority_host())
        .http_client(http.clone())
        .build()
        .unwrap();
        let refused_certificate = Client::builder(unregistered)
            .service_root(graph.base_url())
            .http_client(http.clone())
            .build()
            .unwrap();
        let credential = add_owner(&refused_certificate, AGENT, USER2)
            .await
            .unwrap_err();
        assert!(matches!(credential, Error::Credential(_)), "{credential:?}");
        errors.push(("credential (certificate)", credential));
        // Decode: a 200 with an empty body where a body is due.
        graph.faults().on_any().next(1, Fault::EmptyBody { status: 200 });
        let decode = get_limited_mode(&delegated)
            .await
            .unwrap_err();
        assert!(matches!(decode, Error::Decode { .. }), "{decode:?}");
        errors.push(("decode", decode));
        // Timeout: the service answers later than the client waits.
        graph
            .faults()
            .on_any()
            .next(4, Fault::Latency(Duration::from_millis(500)));
        let impatient = Client::builder(Arc::clone(&device))
            .service_root(graph.base_url())
            .http_client(http.clone())
            .timeout(Duration::from_millis(50))
            .retry_policy(no_retries())
            .build()
            .unwrap();
        let timeout = list_with_header(&impatient).await;
        assert!(matches!(timeout, Error::Timeout { .. }), "{timeout:?}");
        errors.push(("timeout", timeout));
        graph.faults().clear();
        // Transport: nothing listens on the service root's port.
        // A bound socket that does not listen: connects are refused, and no other server can be
        // given the port while it is held.
        let held = tokio::net::TcpSocket::new_v4().unwrap();
        held.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let closed = held.local_addr().unwrap().port();
        let unreachable = Client::builder(StaticToken::new(own.secret()))
            .service_root(format!("http://127.0.0.1:{closed}/beta"))
            .retry_policy(no_retries())
            .build()
            .unwrap();
        let transport = list_with_header(&unreachable).await;
        assert!(matches!(transport, Error::Transport { .. }), "{transport:?}");
        errors.push(("transport", transport));
        // Invalid input: a caller's secret header value that is not a valid header.
        let invalid = owners(&delegated)
            .get()
            .header("X-Api-Key", format!("{HEADER_SECRET}\n"))
            .await
            .unwrap_err();
        assert!(matches!(invalid, Error::InvalidInput { .. }), "{invalid:?}");
        errors.push(("invalid input", invalid));
        // Invalid next links: another host, and credentials in the link's authority.
        for link in [
            format!("https://elsewhere.example/beta/servicePrincipals?$skiptoken={SKIPTOKEN}"),
            format!(
                "{}/servicePrincipals?$skiptoken=x",
                graph
                    .base_url()
                    .replacen("://", &format!("://user:{SKIPTOKEN}@"), 1)
            ),
        ] {
            let refused = owners(&delegated).get().resume(link).await.unwrap_err();
            assert!(
                matches!(refused, Error::InvalidNextLink { .. }),
                "{refused:?}"
            );
            errors.push(("invalid next link", refused));
        }
        // Not available in the cloud: limited mode on US Government.
        let gov = Client::builder(Arc::clone(&device))
            .cloud(Cloud::UsGovL4)
            .build()
            .unwrap();
        let unavailable = gov
            .copilot()
            .admin()
            .settings()
            .limited_mode()
            .get()
            .header("X-Api-Key", HEADER_SECRET)
            .await
            .unwrap_err();
        assert!(
            matches!(unavailable, Error::NotAvailableInCloud { .. }),
            "{unavailable:?}"
        );
        errors.push(("not available", unavailable));
        for (what, error) in &errors {
            show(what, format!("{error}"));
            show(what, format!("{error:?}"));
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                show(what, format!("caused by: {cause} {cause:?}"));
                source = cause.source();
            }
        }

        // The emulator's log itself, as a failed assertion would print it, and the emulator.
        for request in graph.requests() {
            show("recorded request", format!("{request:?}"));
        }
        show("emulator", format!("{graph:?}"));
        secrets_in_log(&graph, &mut secrets);
        for token in [&first, &renewed, &renewed_again, &renewed_thrice] {
            secrets.push(("access token", token.secret().to_owned()));
        }
    });

    for kind in [
        "access token",
        "refresh token",
        "client secret",
        "device code",
        "header secret",
        "client assertion",
        "private key",
    ] {
        assert!(
            secrets.iter().any(|(k, _)| *k == kind),
            "no {kind} was collected: the scan would prove nothing about it"
        );
    }
    let logs = capture.0.lock().unwrap().clone();
    assert!(
        logs.contains("\nspan graph.request") && logs.contains(" graph_core::"),
        "the subscriber saw the SDK's own spans and events"
    );
    assert!(
        logs.contains("persistent token cache could not be read"),
        "the credential warned of the damaged cache file"
    );
    shown.push(("tracing output".to_owned(), logs));
    for (kind, secret) in &secrets {
        assert!(secret.len() >= 8, "a {kind} too short to scan for");
        for (what, text) in &shown {
            // The emulator received the caller's own header and cannot know it is a secret:
            // its log (which the emulator's Debug includes) hides credentials, not every header.
            if *kind == "header secret" && (what == "recorded request" || what == "emulator") {
                continue;
            }
            assert!(
                !text.contains(secret.as_str()),
                "a {kind} leaked into the {what}: {text}"
            );
        }
    }
    // The scan looked at useful text, not at empty strings.
    assert!(
        shown
            .iter()
            .any(|(w, t)| w == "client" && t.contains("/beta"))
    );
    assert!(
        shown
            .iter()
            .any(|(w, t)| w == "recorded request" && t.contains("<redacted>"))
    );
}
