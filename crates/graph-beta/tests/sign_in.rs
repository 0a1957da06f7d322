//! Signing in, end to end on 127.0.0.1: the SDK's credentials against the emulator's identity
//! provider, then Graph calls with the tokens it issued.
//!
//! * `azure_identity`'s client-secret credential through [`AzureIdentityOptions`], over HTTPS (it
//!   refuses a plain-http authority) with the emulator's test CA trusted;
//! * [`DeviceCodeCredential`], approved, declined, expired and slowed down from the test, renewed
//!   silently with its refresh token, and signing in again when that is revoked;
//! * [`TokenCache`] around a credential: one token request for 64 concurrent first calls;
//! * claims challenges: bypass the cache (device code), or a typed error (azure_identity);
//! * no secret in `Debug`, `Display`, errors or logs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod capture;
mod emulator_common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use emulator_common::*;
use graph_beta::prelude::*;
use graph_beta::runtime::reqwest;
// The credential types live behind graph-beta's `azure-identity` and `device-code` features;
// this crate's dev-dependency on graph-core turns them on for tests, so they are reached through
// `runtime` here.
use graph_beta::runtime::{
    AzureIdentityCredential, AzureIdentityOptions, DeviceCodeCredential, DeviceCodePrompt,
};
use graph_beta::{CredentialErrorKind, TokenCache};
use graph_emulator::{App, EMULATOR_TENANT, Emulator, Fault, RecordedRequest};

const APP: &str = "3f1d1b2a-0c4e-4e5f-8a6b-7c8d9e0f1a2b";
const APP_SECRET: &str = "Qx8~emulator.client-secret_value";
const PUBLIC_APP: &str = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d";

fn confidential_app() -> App {
    App::confidential(APP, APP_SECRET, &[OWNERS_SCOPE, "AgentIdentity.Read.All"])
        .display_name("Owner sync")
}

fn public_app() -> App {
    App::public(PUBLIC_APP, &[LIMITED_MODE_SCOPE, "AgentIdentity.Read.All"])
        .display_name("Copilot admin CLI")
}

async fn https_emulator() -> Emulator {
    start(
        Emulator::builder()
            .https()
            .seed(tenant())
            .app(confidential_app())
            .app(public_app()),
    )
    .await
}

fn graph_client(
    graph: &Emulator,
    credential: impl Credential + 'static,
    http: reqwest::Client,
) -> Client {
    Client::builder(credential)
        .service_root(graph.base_url())
        .http_client(http)
        .retry_policy(fast_policy())
        .build()
        .unwrap()
}

fn azure_credential(
    graph: &Emulator,
    http: &reqwest::Client,
    secret: &str,
) -> AzureIdentityCredential {
    AzureIdentityOptions::new(&Cloud::Global)
        .authority_host(graph.authority_host())
        .http_client(http.clone())
        .client_secret(EMULATOR_TENANT, APP, secret)
        .unwrap()
}

fn token_requests(graph: &Emulator) -> Vec<RecordedRequest> {
    graph
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/oauth2/v2.0/token"))
        .collect()
}

fn device_code_requests(graph: &Emulator) -> usize {
    graph
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/oauth2/v2.0/devicecode"))
        .count()
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

fn credential_error(error: &Error) -> &graph_beta::CredentialError {
    match error {
        Error::Credential(e) => e,
        other => panic!("expected Error::Credential, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// azure_identity: client secret
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn azure_client_secret_signs_in_over_https_and_adds_an_owner() {
    let graph = https_emulator().await;
    let http = trusting_http();
    let client = graph_client(&graph, azure_credential(&graph, &http, APP_SECRET), http);

    add_owner(&client, AGENT, USER).await.unwrap();
    assert_eq!(graph.state().owners_of(AGENT), [USER]);
    let owners = list_owners(&client).await.unwrap();
    assert_eq!(owners.len(), 1);

    // One token request, client credentials with the secret, for the client's own root.
    let tokens = token_requests(&graph);
    assert_eq!(tokens.len(), 1, "azure_identity caches the token");
    assert_eq!(
        tokens[0].path,
        format!("/{EMULATOR_TENANT}/oauth2/v2.0/token")
    );
    assert_eq!(
        form_value(&tokens[0], "grant_type").as_deref(),
        Some("client_credentials")
    );
    assert_eq!(form_value(&tokens[0], "client_id").as_deref(), Some(APP));
    assert_eq!(
        form_value(&tokens[0], "scope"),
        Some(format!("{}/.default", graph.authority_host()))
    );

    // App-only tokens are refused by limited mode, as by Graph: the roles are checked.
    let err = patch_limited_mode(&client, &turn_off()).await.unwrap_err();
    expect_service(&err, 403, "Authorization_RequestDenied");
}

#[tokio::test]
async fn azure_wrong_secret_is_a_typed_entra_error_without_the_secret() {
    let graph = https_emulator().await;
    let http = trusting_http();
    let wrong = "Wr0ng~secret-value.that_must_not_leak";
    let credential = azure_credential(&graph, &http, wrong);
    assert!(!format!("{credential:?}").contains(wrong));
    let client = graph_client(&graph, credential, http);

    let err = add_owner(&client, AGENT, USER).await.unwrap_err();
    let credential_error = credential_error(&err);
    assert_eq!(credential_error.kind(), CredentialErrorKind::Entra);
    let entra = credential_error.entra_error().expect("Entra's diagnostics");
    assert_eq!(entra.error, "invalid_client");
    assert_eq!(entra.codes, [7_000_215]);
    assert!(
        entra
            .description
            .as_deref()
            .unwrap()
            .starts_with("AADSTS7000215: Invalid client secret provided.")
    );
    let trace_id = entra.trace_id.clone().expect("trace id");
    let correlation_id = entra.correlation_id.clone().expect("correlation id");
    let shown = err.to_string();
    assert!(shown.contains("AADSTS7000215"), "{shown}");
    assert!(
        shown.contains(&trace_id) && shown.contains(&correlation_id),
        "{shown}"
    );
    for text in [shown, format!("{err:?}"), format!("{credential_error:?}")] {
        assert!(!text.contains(wrong), "the secret leaked: {text}");
    }
    // Nothing reached Graph.
    assert!(
        graph
            .requests()
            .iter()
            .all(|r| !r.path.starts_with("/beta/"))
    );
    assert!(graph.state().owners_of(AGENT).is_empty());
}

#[tokio::test]
async fn azure_identity_refuses_a_plain_http_authority_before_sending() {
    let graph = start(Emulator::builder().seed(tenant()).app(confidential_app())).await;
    assert!(graph.authority_host().starts_with("http://"));
    let http = trusting_http();
    let built = AzureIdentityOptions::new(&Cloud::Global)
        .authority_host(graph.authority_host())
        .http_client(http.clone())
        .client_secret(EMULATOR_TENANT, APP, APP_SECRET);
    let err = match built {
        Err(e) => e.to_string(),
        Ok(credential) => {
            let client = graph_client(&graph, credential, http);
            add_owner(&client, AGENT, USER)
                .await
                .unwrap_err()
                .to_string()
        }
    };
    assert!(err.to_ascii_lowercase().contains("https"), "{err}");
    assert!(!err.contains(APP_SECRET));
    assert!(graph.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn azure_credentials_end_a_claims_challenge_with_a_typed_error_not_a_loop() {
    let graph = https_emulator().await;
    graph
        .faults()
        .on(ADD_OWNER_OP)
        .always(Fault::ClaimsChallenge {
            claims: r#"{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}"#.into(),
        });
    let http = trusting_http();
    let client = graph_client(&graph, azure_credential(&graph, &http, APP_SECRET), http);
    let err = add_owner(&client, AGENT, USER).await.unwrap_err();
    assert_eq!(
        credential_error(&err).kind(),
        CredentialErrorKind::ClaimsChallengeUnsupported
    );
    assert!(
        err.to_string().contains("continuous access evaluation"),
        "{err}"
    );
    let graph_calls = graph
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/beta/"))
        .count();
    assert_eq!(graph_calls, 1, "the challenge is not retried in a loop");
}

// ---------------------------------------------------------------------------------------
// The token cache
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn token_cache_makes_64_concurrent_first_calls_cost_one_token_request() {
    let graph = https_emulator().await;
    let http = trusting_http();
    let cache = TokenCache::new(azure_credential(&graph, &http, APP_SECRET));
    let client = graph_client(&graph, cache, http);
    let calls = (0..64).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { list_owners(&client).await })
    });
    for call in futures_join(calls).await {
        call.unwrap().unwrap();
    }
    assert_eq!(token_requests(&graph).len(), 1);
    assert_eq!(
        graph
            .requests()
            .iter()
            .filter(|r| r.path.starts_with("/beta/"))
            .count(),
        64
    );
}

async fn futures_join<T>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<Result<T, tokio::task::JoinError>> {
    let mut out = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        out.push(handle.await);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Device code
// ---------------------------------------------------------------------------------------

/// What the prompt callback saw.
type Prompts = Arc<Mutex<Vec<DeviceCodePrompt>>>;

/// What the person does when prompted.
#[derive(Clone, Copy)]
enum Person {
    /// Approves at once, as `USER`.
    Approves,
    /// Approves after the client has polled once or more.
    ApprovesLater,
    /// Asks the client to slow down, then approves.
    SlowsDownThenApproves,
    Declines,
    LetsItExpire,
}

fn device_code(graph: &Emulator, person: Person) -> (DeviceCodeCredential, Prompts) {
    let prompts: Prompts = Arc::default();
    let seen = Arc::clone(&prompts);
    let identity = graph.identity().clone();
    let credential = DeviceCodeCredential::builder(EMULATOR_TENANT, PUBLIC_APP)
        .authority_host(graph.authority_host())
        .scopes([LIMITED_MODE_SCOPE])
        .on_prompt(move |prompt| {
            seen.lock().unwrap().push(prompt.clone());
            let code = prompt.user_code.clone();
            let identity = identity.clone();
            match person {
                Person::Approves => identity.approve(&code, USER).unwrap(),
                Person::Declines => identity.decline(&code).unwrap(),
                Person::LetsItExpire => identity.expire(&code).unwrap(),
                Person::ApprovesLater => {
                    std::thread::spawn(move || {
                        std::thread::sleep(Duration::from_millis(1500));
                        identity.approve(&code, USER).unwrap();
                    });
                }
                Person::SlowsDownThenApproves => {
                    identity.slow_down(&code).unwrap();
                    std::thread::spawn(move || {
                        std::thread::sleep(Duration::from_millis(500));
                        identity.approve(&code, USER).unwrap();
                    });
                }
            }
        })
        .build()
        .unwrap();
    (credential, prompts)
}

async fn device_emulator(interval: u64, lifetime: Option<Duration>) -> Emulator {
    let mut builder = Emulator::builder()
        .seed(tenant())
        .app(public_app())
        .device_code_interval(interval);
    if let Some(lifetime) = lifetime {
        builder = builder.token_lifetime(lifetime);
    }
    start(builder).await
}

fn plain_http() -> reqwest::Client {
    graph_beta::runtime::ensure_crypto_provider().unwrap();
    reqwest::Client::new()
}

#[tokio::test]
async fn device_code_signs_in_and_updates_limited_mode() {
    let graph = device_emulator(1, None).await;
    let (credential, prompts) = device_code(&graph, Person::ApprovesLater);
    let client = graph_client(&graph, credential, plain_http());

    let updated = patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap();
    assert_eq!(updated.is_enabled_for_group, Nullable::Value(true));
    assert_eq!(graph.state().limited_mode.group_id.as_deref(), Some(GROUP));

    let prompts = prompts.lock().unwrap().clone();
    assert_eq!(prompts.len(), 1);
    let prompt = &prompts[0];
    assert_eq!(
        prompt.verification_uri,
        format!("{}/devicelogin", graph.authority_host())
    );
    assert!(
        prompt.message.contains(&prompt.user_code)
            && prompt.message.contains(&prompt.verification_uri)
    );
    assert_eq!(prompt.expires_in, Duration::from_secs(900));

    // Asked for the qualified scope plus offline_access; polled while pending, then got it.
    assert_eq!(device_code_requests(&graph), 1);
    let started = graph
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/devicecode"))
        .unwrap();
    assert_eq!(
        form_value(&started, "scope"),
        Some(format!(
            "{0}/{LIMITED_MODE_SCOPE} offline_access",
            graph.authority_host()
        ))
    );
    let polls = token_requests(&graph);
    assert!(
        polls.len() >= 2,
        "polled while authorization was pending: {}",
        polls.len()
    );
    assert!(polls.iter().all(|p| form_value(p, "grant_type").as_deref()
        == Some("urn:ietf:params:oauth:grant-type:device_code")));
    let statuses: Vec<Option<u16>> = polls.iter().map(|p| p.status).collect();
    assert_eq!(statuses.last(), Some(&Some(200)));
    assert!(
        statuses[..statuses.len() - 1]
            .iter()
            .all(|s| *s == Some(400))
    );

    // The token is cached: another call asks nothing of the identity provider.
    let before = graph.requests().len();
    patch_limited_mode(&client, &turn_off()).await.unwrap();
    assert_eq!(graph.requests().len(), before + 1);
}

#[tokio::test]
async fn device_code_renews_silently_by_refresh_token_and_signs_in_again_when_revoked() {
    // Tokens that live 1 s are always inside the cache's margin: every call renews.
    let graph = device_emulator(0, Some(Duration::from_secs(1))).await;
    let (credential, prompts) = device_code(&graph, Person::Approves);
    let client = graph_client(&graph, credential, plain_http());

    patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap();
    patch_limited_mode(&client, &turn_off()).await.unwrap();
    assert_eq!(
        prompts.lock().unwrap().len(),
        1,
        "renewed without prompting"
    );
    let tokens = token_requests(&graph);
    let last = tokens.last().unwrap();
    assert_eq!(
        form_value(last, "grant_type").as_deref(),
        Some("refresh_token")
    );
    assert_eq!(last.status, Some(200));
    assert_eq!(form_value(last, "client_id").as_deref(), Some(PUBLIC_APP));

    // Refresh tokens revoked: the renewal is refused (invalid_grant) and a new sign-in starts.
    graph.identity().revoke_refresh_tokens();
    patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap();
    assert_eq!(prompts.lock().unwrap().len(), 2);
    assert_eq!(device_code_requests(&graph), 2);
    assert!(token_requests(&graph).iter().any(|r| r.status == Some(400)
        && form_value(r, "grant_type").as_deref() == Some("refresh_token")));
}

#[tokio::test]
async fn device_code_declined_and_expired_are_typed_errors() {
    for (person, kind, code) in [
        (
            Person::Declines,
            CredentialErrorKind::SignInDeclined,
            "authorization_declined",
        ),
        (
            Person::LetsItExpire,
            CredentialErrorKind::SignInExpired,
            "expired_token",
        ),
    ] {
        let graph = device_emulator(0, None).await;
        let (credential, _) = device_code(&graph, person);
        let client = graph_client(&graph, credential, plain_http());
        let err = patch_limited_mode(&client, &turn_off()).await.unwrap_err();
        let e = credential_error(&err);
        assert_eq!(e.kind(), kind, "{err}");
        let entra = e.entra_error().unwrap();
        assert_eq!(entra.error, code);
        assert!(entra.trace_id.is_some() && entra.correlation_id.is_some());
        assert!(err.to_string().contains(code), "{err}");
        assert!(
            graph
                .requests()
                .iter()
                .all(|r| !r.path.starts_with("/beta/")),
            "Graph was never called"
        );
    }
}

#[tokio::test]
async fn device_code_honours_slow_down() {
    let graph = device_emulator(0, None).await;
    let (credential, _) = device_code(&graph, Person::SlowsDownThenApproves);
    let client = graph_client(&graph, credential, plain_http());
    let started = std::time::Instant::now();
    patch_limited_mode(&client, &turn_off()).await.unwrap();
    let polls = token_requests(&graph);
    assert_eq!(
        polls.len(),
        2,
        "slow_down, then the token after 5 more seconds"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "the client added 5 s after slow_down"
    );
}

#[tokio::test]
async fn device_code_makes_64_concurrent_first_calls_share_one_sign_in() {
    let graph = device_emulator(0, None).await;
    let (credential, prompts) = device_code(&graph, Person::ApprovesLater);
    let client = graph_client(&graph, credential, plain_http());
    let calls = (0..64).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { get_limited_mode(&client).await })
    });
    for call in futures_join(calls).await {
        call.unwrap().unwrap();
    }
    assert_eq!(prompts.lock().unwrap().len(), 1);
    assert_eq!(device_code_requests(&graph), 1);
    assert_eq!(
        token_requests(&graph)
            .iter()
            .filter(|r| r.status == Some(200))
            .count(),
        1
    );
}

#[tokio::test]
async fn device_code_answers_a_claims_challenge_with_a_fresh_token() {
    let graph = device_emulator(0, None).await;
    let claims = r#"{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}"#;
    graph.faults().on(LIMITED_MODE_OP).next(
        1,
        Fault::ClaimsChallenge {
            claims: claims.into(),
        },
    );
    let (credential, prompts) = device_code(&graph, Person::Approves);
    let client = graph_client(&graph, credential, plain_http());
    patch_limited_mode(&client, &turn_off()).await.unwrap();

    // The cached token was bypassed: a renewal carrying the claims, then the call went through.
    let renewal = token_requests(&graph)
        .into_iter()
        .find(|r| form_value(r, "grant_type").as_deref() == Some("refresh_token"))
        .unwrap();
    assert_eq!(form_value(&renewal, "claims").as_deref(), Some(claims));
    let graph_calls: Vec<Option<u16>> = graph
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/beta/"))
        .map(|r| r.status)
        .collect();
    assert_eq!(graph_calls, [Some(401), Some(200)]);
    assert_eq!(prompts.lock().unwrap().len(), 1);
    let authorizations: Vec<String> = graph
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/beta/"))
        .map(|r| r.header("authorization").unwrap().to_owned())
        .collect();
    assert_ne!(
        authorizations[0], authorizations[1],
        "a new token after the challenge"
    );
}

// ---------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------

/// Every secret the client sent, read back from the emulator's request log: the client secret,
/// device codes, refresh tokens and the access tokens in `Authorization` headers.
fn secrets_sent(graph: &Emulator) -> Vec<String> {
    let mut secrets = vec![APP_SECRET.to_owned()];
    for request in graph.requests() {
        for field in [
            "client_secret",
            "device_code",
            "refresh_token",
            "client_assertion",
        ] {
            secrets.extend(form_value(&request, field));
        }
        if let Some(bearer) = request
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
        {
            secrets.push(bearer.to_owned());
        }
    }
    secrets.sort();
    secrets.dedup();
    secrets
}

#[test]
fn secrets_never_reach_debug_display_errors_or_logs() {
    let (capture, _guard, runtime) = capture::runtime();
    let mut shown = Vec::new();
    let sent = runtime.block_on(async {
        // Client secret, over HTTPS, then a refused secret.
        let graph = https_emulator().await;
        let http = trusting_http();
        let azure = azure_credential(&graph, &http, APP_SECRET);
        shown.push(format!("{azure:?}"));
        let client = graph_client(&graph, azure, http.clone());
        add_owner(&client, AGENT, USER).await.unwrap();
        shown.push(format!("{client:?}"));
        let refused = graph_client(
            &graph,
            azure_credential(&graph, &http, "the-wrong-one"),
            http,
        );
        let err = add_owner(&refused, AGENT, USER2).await.unwrap_err();
        shown.push(format!("{err} {err:?}"));
        let mut sent = secrets_sent(&graph);
        sent.push("the-wrong-one".to_owned());

        // Device code with refresh (1 s tokens renew on every call), then a declined sign-in.
        let graph = device_emulator(0, Some(Duration::from_secs(1))).await;
        let (credential, _) = device_code(&graph, Person::Approves);
        let credential = Arc::new(credential);
        let client = graph_client(&graph, Arc::clone(&credential), plain_http());
        patch_limited_mode(&client, &turn_off()).await.unwrap();
        patch_limited_mode(&client, &turn_off()).await.unwrap();
        shown.push(format!("{credential:?} {client:?}"));
        graph.identity().revoke_refresh_tokens();
        let (declining, _) = device_code(&graph, Person::Declines);
        let err = get_limited_mode(&graph_client(&graph, declining, plain_http()))
            .await
            .unwrap_err();
        shown.push(format!("{err} {err:?}"));
        let request = graph_beta::TokenRequest {
            scopes: vec![format!("{}/.default", graph.authority_host())],
            claims: None,
        };
        let token = credential.token(&request).await;
        shown.push(format!("{token:?}"));
        sent.extend(secrets_sent(&graph));
        if let Ok(token) = token {
            sent.push(token.secret().to_owned());
        }
        sent
    });
    assert!(
        sent.iter().any(|s| s.contains('.')),
        "access tokens were collected"
    );
    assert!(sent.len() >= 6, "secrets collected: {}", sent.len());
    let logs = capture.0.lock().unwrap().clone();
    assert!(
        logs.contains("\nspan ") && logs.contains("\nevent "),
        "the subscriber saw the client's spans and events: {logs}"
    );
    for secret in &sent {
        for text in shown.iter().chain(std::iter::once(&logs)) {
            assert!(
                !text.contains(secret.as_str()),
                "a secret ({} chars) leaked into: {text}",
                secret.len()
            );
        }
    }
}
