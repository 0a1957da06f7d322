//! Browser sign-in, end to end on 127.0.0.1: [`BrowserCredential`] against the emulator's
//! authorization endpoint, with the test playing the browser (reqwest): it is handed the
//! authorization URL, GETs the sign-in page, POSTs its form as the person would, and follows the
//! 302 to the credential's loopback listener, whose page it reads. Then Graph calls with the
//! tokens issued.
//!
//! * a sign-in (PKCE S256, state, nonce, `http://localhost:{port}`), renewed silently by
//!   refresh token, and a new browser sign-in when that is revoked; the same over HTTPS;
//! * each refusal as a typed error: a declined consent, a redirect with another state, an
//!   `id_token` with another nonce, no answer before the timeout, a browser that cannot open;
//! * one browser for 64 concurrent first calls; sign-ins approved up front
//!   (`approve_device_codes_as`) with a browser that just follows redirects;
//! * with a persistent token cache, a new credential signs in with no browser, until it signs
//!   out;
//! * no secret (authorization code, PKCE verifier, refresh and access tokens) in `Debug`,
//!   `Display`, errors or logs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod capture;
mod emulator_common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use emulator_common::*;
use graph_beta::prelude::*;
use graph_beta::runtime::reqwest::{self, Url};
// `BrowserCredential` lives behind graph-beta's `browser` feature; this crate's dev-dependency
// on graph-core turns it on for tests, so it is reached through `runtime` here.
use graph_beta::runtime::{BrowserCredential, BrowserCredentialBuilder, PersistentTokenCache};
use graph_beta::{CredentialErrorKind, TokenRequest};
use graph_emulator::{App, EMULATOR_TENANT, Emulator, RecordedRequest};

const PUBLIC_APP: &str = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d";

/// What the person at the browser does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Person {
    /// Signs in as `USER` (after the browser asked the loopback for a favicon).
    Accepts,
    Declines,
    /// Accepts, but the redirect that reaches the app carries another state (a forged or stale
    /// answer).
    ForgesState,
    /// Opens the authorization URL with another nonce (a code meant for another sign-in).
    SwapsNonce,
    /// Never opens the page.
    WalksAway,
    /// Follows redirects and nothing else (sign-ins approved up front).
    JustFollows,
}

/// What the browser saw: the authorization URLs it was handed, and each loopback page as
/// `(status, text)`; and anything that went wrong in the browser itself.
#[derive(Default, Debug)]
struct Seen {
    urls: Vec<String>,
    pages: Vec<(u16, String)>,
    problems: Vec<String>,
    /// The browser's tasks, one per sign-in.
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

type Shared = Arc<Mutex<Seen>>;

/// Waits until the browser has read every page it was shown (the credential may finish first:
/// the listener closes once its answer is written).
async fn browser_done(seen: &Shared) {
    let tasks = std::mem::take(&mut seen.lock().unwrap().tasks);
    for task in tasks {
        task.await.unwrap();
    }
}

/// A browser: no cookies, redirects followed only when asked, `localhost` on 127.0.0.1, the
/// emulator's test CA trusted.
fn browser(follow: bool) -> reqwest::Client {
    graph_beta::runtime::ensure_crypto_provider().unwrap();
    let policy = if follow {
        reqwest::redirect::Policy::limited(5)
    } else {
        reqwest::redirect::Policy::none()
    };
    reqwest::Client::builder()
        .redirect(policy)
        .resolve("localhost", SocketAddr::from(([127, 0, 0, 1], 0)))
        // The emulator's test CA, for the HTTPS test (as a person's browser would be told to).
        .add_root_certificate(
            reqwest::Certificate::from_pem(graph_emulator::tls::TEST_CA_PEM.as_bytes()).unwrap(),
        )
        .build()
        .unwrap()
}

fn form_body(pairs: &[(&str, &str)]) -> String {
    let mut url = Url::parse("http://form.invalid/").unwrap();
    url.query_pairs_mut().extend_pairs(pairs);
    url.query().unwrap_or_default().to_owned()
}

fn with_param(url: &Url, name: &str, value: &str) -> Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(n, v)| {
            let v = if n == name {
                value.to_owned()
            } else {
                v.into_owned()
            };
            (n.into_owned(), v)
        })
        .collect();
    let mut changed = url.clone();
    changed.query_pairs_mut().clear().extend_pairs(pairs);
    changed
}

/// Plays the browser for one sign-in.
async fn play(person: Person, url: String, seen: Shared) -> Result<(), String> {
    let mut url = Url::parse(&url).map_err(|e| e.to_string())?;
    if person == Person::SwapsNonce {
        url = with_param(&url, "nonce", "a-nonce-of-another-sign-in");
    }
    if person == Person::JustFollows {
        let page = browser(true)
            .get(url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = page.status().as_u16();
        let text = page.text().await.unwrap_or_default();
        seen.lock().unwrap().pages.push((status, text));
        return Ok(());
    }
    let http = browser(false);
    let redirect_uri = url
        .query_pairs()
        .find(|(n, _)| n == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .ok_or("no redirect_uri")?;
    if person == Person::Accepts {
        // Browsers ask for a favicon; the listener says 404 and keeps waiting.
        let favicon = http
            .get(format!("{redirect_uri}/favicon.ico"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        seen.lock()
            .unwrap()
            .pages
            .push((favicon.status().as_u16(), String::new()));
    }
    let page = http
        .get(url.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if page.status() != 200 {
        return Err(format!("the sign-in page answered {}", page.status()));
    }
    let html = page.text().await.map_err(|e| e.to_string())?;
    let marker = r#"name="sign_in" value=""#;
    let start = html.find(marker).ok_or("no sign_in field")? + marker.len();
    let sign_in = html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned();
    let action = if person == Person::Declines {
        "decline"
    } else {
        "accept"
    };
    let answered = http
        .post(
            url.join(&format!("/{EMULATOR_TENANT}/oauth2/v2.0/authorize"))
                .unwrap(),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[
            ("sign_in", &sign_in),
            ("user", USER),
            ("action", action),
        ]))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let location = answered
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .ok_or_else(|| format!("no redirect: {}", answered.status()))?;
    let mut back = Url::parse(location).map_err(|e| e.to_string())?;
    if !back.as_str().starts_with(&redirect_uri) {
        return Err(format!("redirected elsewhere: {back}"));
    }
    if person == Person::ForgesState {
        back = with_param(&back, "state", "a-state-of-another-sign-in");
    }
    let landed = http.get(back).send().await.map_err(|e| e.to_string())?;
    let status = landed.status().as_u16();
    let text = landed.text().await.unwrap_or_default();
    seen.lock().unwrap().pages.push((status, text));
    Ok(())
}

fn credential(graph: &Emulator, person: Person, seen: &Shared) -> BrowserCredential {
    builder(graph, person, seen).build().unwrap()
}

/// A credential whose browser is played by the test, as `person`.
fn builder(graph: &Emulator, person: Person, seen: &Shared) -> BrowserCredentialBuilder {
    let shared = Arc::clone(seen);
    BrowserCredential::builder(EMULATOR_TENANT, PUBLIC_APP)
        .authority_host(graph.authority_host())
        .scopes([LIMITED_MODE_SCOPE])
        .timeout(if person == Person::WalksAway {
            Duration::from_millis(300)
        } else {
            Duration::from_secs(60)
        })
        .open_with(move |url| {
            shared.lock().unwrap().urls.push(url.to_owned());
            if person != Person::WalksAway {
                let (url, seen) = (url.to_owned(), Arc::clone(&shared));
                let task = tokio::spawn(async move {
                    if let Err(problem) = play(person, url, Arc::clone(&seen)).await {
                        seen.lock().unwrap().problems.push(problem);
                    }
                });
                shared.lock().unwrap().tasks.push(task);
            }
            Ok(())
        })
}

fn public_app() -> App {
    App::public(PUBLIC_APP, &[LIMITED_MODE_SCOPE, "AgentIdentity.Read.All"])
        .display_name("Copilot admin CLI")
}

async fn provider(lifetime: Option<Duration>, approve: bool) -> Emulator {
    let mut builder = Emulator::builder().seed(tenant()).app(public_app());
    if let Some(lifetime) = lifetime {
        builder = builder.token_lifetime(lifetime);
    }
    if approve {
        builder = builder.approve_device_codes_as(USER);
    }
    start(builder).await
}

fn graph_client(graph: &Emulator, credential: impl Credential + 'static) -> Client {
    graph_beta::runtime::ensure_crypto_provider().unwrap();
    Client::builder(credential)
        .service_root(graph.base_url())
        .http_client(reqwest::Client::new())
        .retry_policy(fast_policy())
        .build()
        .unwrap()
}

fn token_requests(graph: &Emulator) -> Vec<RecordedRequest> {
    graph
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/oauth2/v2.0/token"))
        .collect()
}

fn authorize_requests(graph: &Emulator) -> Vec<RecordedRequest> {
    graph
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/oauth2/v2.0/authorize") && r.method == "GET")
        .collect()
}

fn graph_calls(graph: &Emulator) -> usize {
    graph
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/beta/"))
        .count()
}

fn credential_error(error: &Error) -> &graph_beta::CredentialError {
    match error {
        Error::Credential(e) => e,
        other => panic!("expected Error::Credential, got {other:?}"),
    }
}

fn query_value(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn browser_sign_in_updates_limited_mode_then_renews_without_the_browser() {
    // Tokens that live 1 s are always inside the cache's margin: every call renews.
    let graph = provider(Some(Duration::from_secs(1)), false).await;
    let seen = Shared::default();
    let client = graph_client(&graph, credential(&graph, Person::Accepts, &seen));

    let updated = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap();
    assert_eq!(updated.is_enabled_for_group, Nullable::Value(true));
    assert_eq!(graph.state().limited_mode.group_id.as_deref(), Some(GROUP));
    browser_done(&seen).await;
    {
        let seen = seen.lock().unwrap();
        assert!(seen.problems.is_empty(), "{seen:?}");
        assert_eq!(seen.urls.len(), 1, "one browser sign-in");
        let [(favicon, _), (status, page)] = &seen.pages[..] else {
            panic!("{seen:?}");
        };
        assert_eq!(*favicon, 404);
        assert_eq!(*status, 200);
        assert!(page.contains("You can close this window"), "{page}");

        // The authorization request: PKCE S256, state, nonce, a loopback redirect, the scopes.
        let url = &seen.urls[0];
        assert!(url.starts_with(&format!(
            "{}/{EMULATOR_TENANT}/oauth2/v2.0/authorize?",
            graph.authority_host()
        )));
        let param = |name| query_value(url, name);
        assert_eq!(param("response_type").as_deref(), Some("code"));
        assert_eq!(param("client_id").as_deref(), Some(PUBLIC_APP));
        assert_eq!(param("code_challenge_method").as_deref(), Some("S256"));
        assert_eq!(param("code_challenge").map(|c| c.len()), Some(43));
        assert!(param("state").is_some_and(|s| s.len() >= 16));
        assert!(param("nonce").is_some_and(|n| n.len() >= 16));
        assert_eq!(param("response_mode").as_deref(), Some("query"));
        let redirect = param("redirect_uri").unwrap();
        let port: u16 = redirect
            .strip_prefix("http://localhost:")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("{redirect}"));
        assert_ne!(port, 0);
        assert_eq!(
            param("scope"),
            Some(format!(
                "{}/{LIMITED_MODE_SCOPE} openid profile offline_access",
                graph.authority_host()
            ))
        );
        // The listener closed after the answer.
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    }
    // The code was redeemed once, with the verifier and the same redirect URI.
    let tokens = token_requests(&graph);
    assert_eq!(tokens.len(), 1);
    let redeemed = &tokens[0];
    assert_eq!(redeemed.status, Some(200));
    assert_eq!(
        form_value(redeemed, "grant_type").as_deref(),
        Some("authorization_code")
    );
    assert_eq!(
        form_value(redeemed, "code_verifier").map(|v| v.len()),
        Some(43)
    );
    assert_eq!(
        form_value(redeemed, "redirect_uri"),
        query_value(&seen.lock().unwrap().urls[0], "redirect_uri")
    );

    // Renewed by refresh token: no browser.
    patch_limited_mode(&client, &turn_off()).await.unwrap();
    assert_eq!(
        seen.lock().unwrap().urls.len(),
        1,
        "renewed without the browser"
    );
    let last = token_requests(&graph).pop().unwrap();
    assert_eq!(
        form_value(&last, "grant_type").as_deref(),
        Some("refresh_token")
    );
    assert_eq!(last.status, Some(200));

    // Refresh tokens revoked: the renewal is refused (invalid_grant) and the browser opens again.
    graph.identity().revoke_refresh_tokens();
    patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap();
    assert_eq!(seen.lock().unwrap().urls.len(), 2);
    assert_eq!(authorize_requests(&graph).len(), 2);
    assert!(token_requests(&graph).iter().any(|r| r.status == Some(400)
        && form_value(r, "grant_type").as_deref() == Some("refresh_token")));
}

#[tokio::test]
async fn browser_sign_in_over_https() {
    let graph = start(Emulator::builder().https().seed(tenant()).app(public_app())).await;
    assert!(graph.authority_host().starts_with("https://"));
    let seen = Shared::default();
    let credential = builder(&graph, Person::Accepts, &seen)
        .http_client(trusting_http())
        .build()
        .unwrap();
    let client = Client::builder(credential)
        .service_root(graph.base_url())
        .http_client(trusting_http())
        .retry_policy(fast_policy())
        .build()
        .unwrap();
    patch_limited_mode(&client, &turn_off()).await.unwrap();
    browser_done(&seen).await;
    let seen = seen.lock().unwrap();
    assert!(seen.problems.is_empty(), "{seen:?}");
    assert!(seen.urls[0].starts_with("https://127.0.0.1:"), "{seen:?}");
    // The redirect stays plain http on the loopback, as Entra allows for it.
    assert!(
        query_value(&seen.urls[0], "redirect_uri")
            .unwrap()
            .starts_with("http://localhost:")
    );
    assert_eq!(token_requests(&graph).len(), 1);
}

#[tokio::test]
async fn a_declined_consent_is_a_typed_error_and_the_browser_is_told() {
    let graph = provider(None, false).await;
    let seen = Shared::default();
    let client = graph_client(&graph, credential(&graph, Person::Declines, &seen));
    let err = patch_limited_mode(&client, &turn_off()).await.unwrap_err();
    let e = credential_error(&err);
    assert_eq!(e.kind(), CredentialErrorKind::SignInDeclined, "{err}");
    let entra = e.entra_error().unwrap();
    assert_eq!(entra.error, "access_denied");
    assert_eq!(entra.codes, [65_004]);
    assert!(
        entra.trace_id.is_some() && entra.correlation_id.is_some(),
        "{entra:?}"
    );
    assert!(err.to_string().contains("AADSTS65004"), "{err}");
    browser_done(&seen).await;
    let seen = seen.lock().unwrap();
    let (status, page) = seen.pages.last().unwrap();
    assert_eq!(*status, 200);
    assert!(
        page.contains("Sign-in failed") && page.contains("access_denied"),
        "{page}"
    );
    assert!(token_requests(&graph).is_empty(), "nothing to redeem");
    assert_eq!(graph_calls(&graph), 0);
}

#[tokio::test]
async fn a_redirect_with_another_state_is_refused_and_its_code_never_redeemed() {
    let graph = provider(None, false).await;
    let seen = Shared::default();
    let client = graph_client(&graph, credential(&graph, Person::ForgesState, &seen));
    let err = patch_limited_mode(&client, &turn_off()).await.unwrap_err();
    assert_eq!(
        credential_error(&err).kind(),
        CredentialErrorKind::StateMismatch,
        "{err}"
    );
    browser_done(&seen).await;
    let seen = seen.lock().unwrap();
    let (status, page) = seen.pages.last().unwrap();
    assert_eq!(*status, 400);
    assert!(page.contains("state does not match"), "{page}");
    assert!(
        token_requests(&graph).is_empty(),
        "the code was not redeemed"
    );
    assert_eq!(graph_calls(&graph), 0);
}

#[tokio::test]
async fn an_id_token_with_another_nonce_is_refused() {
    let graph = provider(None, false).await;
    let seen = Shared::default();
    let client = graph_client(&graph, credential(&graph, Person::SwapsNonce, &seen));
    let err = patch_limited_mode(&client, &turn_off()).await.unwrap_err();
    assert_eq!(
        credential_error(&err).kind(),
        CredentialErrorKind::NonceMismatch,
        "{err}"
    );
    assert!(err.to_string().contains("nonce"), "{err}");
    // The code was redeemed (the nonce is only known from the id_token), its tokens not used.
    assert_eq!(token_requests(&graph).len(), 1);
    assert_eq!(graph_calls(&graph), 0);
}

#[tokio::test]
async fn no_answer_before_the_timeout_or_no_browser_is_a_typed_error() {
    let graph = provider(None, false).await;
    let seen = Shared::default();
    let client = graph_client(&graph, credential(&graph, Person::WalksAway, &seen));
    let err = patch_limited_mode(&client, &turn_off()).await.unwrap_err();
    let e = credential_error(&err);
    assert_eq!(e.kind(), CredentialErrorKind::SignInExpired, "{err}");
    assert!(err.to_string().contains("http://localhost:"), "{err}");
    assert_eq!(seen.lock().unwrap().urls.len(), 1);
    assert!(authorize_requests(&graph).is_empty());

    // A browser that cannot open ends the sign-in at once, saying why.
    let cannot = BrowserCredential::builder(EMULATOR_TENANT, PUBLIC_APP)
        .authority_host(graph.authority_host())
        .open_with(|_| Err(std::io::Error::other("no display")))
        .build()
        .unwrap();
    let client = graph_client(&graph, cannot);
    let err = patch_limited_mode(&client, &turn_off()).await.unwrap_err();
    let e = credential_error(&err);
    assert_eq!(e.kind(), CredentialErrorKind::Other);
    assert!(err.to_string().contains("no display"), "{err}");
    assert_eq!(graph_calls(&graph), 0);
}

#[tokio::test]
async fn sign_ins_approved_up_front_need_only_a_browser_that_follows_redirects() {
    let graph = provider(None, true).await;
    let seen = Shared::default();
    let client = graph_client(&graph, credential(&graph, Person::JustFollows, &seen));
    // 64 concurrent first calls share one sign-in.
    let calls: Vec<_> = (0..64)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { get_limited_mode(&client).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    browser_done(&seen).await;
    let seen = seen.lock().unwrap();
    assert!(seen.problems.is_empty(), "{seen:?}");
    assert_eq!(seen.urls.len(), 1);
    assert_eq!(seen.pages.len(), 1);
    assert!(seen.pages[0].1.contains("You are signed in"));
    assert_eq!(token_requests(&graph).len(), 1);
    assert_eq!(graph_calls(&graph), 64);
}

#[tokio::test]
async fn with_a_persistent_cache_a_new_credential_signs_in_without_the_browser() {
    let dir = std::env::temp_dir().join(format!(
        "graph-beta-browser-cache-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let path = dir.join("token-cache.json");
    let graph = provider(None, false).await;
    let seen = Shared::default();
    let first = builder(&graph, Person::Accepts, &seen)
        .persistent_cache(PersistentTokenCache::at(&path))
        .build()
        .unwrap();
    patch_limited_mode(&graph_client(&graph, first), &turn_off())
        .await
        .unwrap();
    browser_done(&seen).await;
    assert_eq!(seen.lock().unwrap().urls.len(), 1);

    // A new credential (a new run of the app) with the same file: no browser.
    let again = Shared::default();
    let second = Arc::new(
        builder(&graph, Person::Accepts, &again)
            .persistent_cache(PersistentTokenCache::at(&path))
            .build()
            .unwrap(),
    );
    get_limited_mode(&graph_client(&graph, Arc::clone(&second)))
        .await
        .unwrap();
    assert!(again.lock().unwrap().urls.is_empty(), "signed in silently");
    let renewal = token_requests(&graph).pop().unwrap();
    assert_eq!(
        form_value(&renewal, "grant_type").as_deref(),
        Some("refresh_token")
    );
    let account = second.account().expect("the cached account");
    assert_eq!(account.home_account_id, format!("{USER}.{EMULATOR_TENANT}"));

    // Signed out: the next credential opens the browser again.
    assert!(second.sign_out().unwrap());
    let after = Shared::default();
    let third = builder(&graph, Person::Accepts, &after)
        .persistent_cache(PersistentTokenCache::at(&path))
        .build()
        .unwrap();
    get_limited_mode(&graph_client(&graph, third))
        .await
        .unwrap();
    browser_done(&after).await;
    assert_eq!(after.lock().unwrap().urls.len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_secret_of_a_browser_sign_in_reaches_debug_display_errors_or_logs() {
    let (capture, _guard, runtime) = capture::runtime();
    let mut shown: Vec<(String, String)> = Vec::new();
    let mut secrets: Vec<(&str, String)> = Vec::new();
    runtime.block_on(async {
        let graph = provider(Some(Duration::from_secs(1)), false).await;
        let seen = Shared::default();
        let builder = BrowserCredential::builder(EMULATOR_TENANT, PUBLIC_APP)
            .authority_host(graph.authority_host())
            .scopes([LIMITED_MODE_SCOPE]);
        shown.push(("builder".into(), format!("{builder:?}")));
        let credential = Arc::new(credential(&graph, Person::Accepts, &seen));
        let request = TokenRequest {
            scopes: vec!["https://graph.microsoft.com/.default".to_owned()],
            claims: None,
        };
        let first = credential.token(&request).await.unwrap();
        shown.push(("credential, signed in".into(), format!("{credential:?}")));
        shown.push(("access token".into(), format!("{first:?}")));
        let renewed = credential.token(&request).await.unwrap();
        shown.push(("credential, renewed".into(), format!("{credential:?}")));
        // A refusal after a sign-in: the next renewal fails with the refresh token it sent.
        graph.faults().on("identity:token").next(
            1,
            graph_emulator::Fault::ServiceUnavailable {
                retry_after_secs: None,
            },
        );
        let failed = credential.token(&request).await.unwrap_err();
        shown.push(("error".into(), format!("{failed} {failed:?}")));
        for request in graph.requests() {
            shown.push(("recorded request".into(), format!("{request:?}")));
            for (kind, field) in [
                ("authorization code", "code"),
                ("PKCE verifier", "code_verifier"),
                ("refresh token", "refresh_token"),
            ] {
                if let Some(value) = form_value(&request, field) {
                    secrets.push((kind, value));
                }
            }
        }
        shown.push(("emulator".into(), format!("{graph:?}")));
        secrets.push(("access token", first.secret().to_owned()));
        secrets.push(("access token", renewed.secret().to_owned()));
    });
    for kind in [
        "authorization code",
        "PKCE verifier",
        "refresh token",
        "access token",
    ] {
        assert!(
            secrets.iter().any(|(k, _)| *k == kind),
            "no {kind} was collected: the scan would prove nothing about it"
        );
    }
    shown.push(("tracing output".into(), capture.0.lock().unwrap().clone()));
    for (kind, secret) in &secrets {
        assert!(secret.len() >= 8, "a {kind} too short to scan for");
        for (what, text) in &shown {
            assert!(
                !text.contains(secret.as_str()),
                "a {kind} leaked into the {what}: {text}"
            );
        }
    }
    assert!(
        shown
            .iter()
            .any(|(w, t)| w == "credential, signed in" && t.contains("has_refresh_token: true"))
    );
}
