//! Sign-ins that last, end to end on 127.0.0.1: [`DeviceCodeCredential`] with a
//! [`PersistentTokenCache`] against the emulator's identity provider.
//!
//! * the first client signs in by device code (approved from the test); a NEW client with the
//!   same cache file, and a SECOND PROCESS (this test binary run again as a child), get tokens
//!   and call Graph with no prompt, by the cached refresh token;
//! * several processes signing in silently at once leave one whole, private file;
//! * signing out (of the cache, or through the credential) makes the next sign-in prompt, and a
//!   running credential whose account was signed out elsewhere prompts at its next renewal;
//! * a cached refresh token Entra refuses is forgotten and the person is prompted;
//! * a damaged or foreign file is left alone: the person is prompted, with a warning;
//! * [`BrowserCredential`] keeps its sign-in the same way, and shares it with device code (same
//!   app, same authority);
//! * the file is 0600 and holds no access token.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod emulator_common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use emulator_common::*;
use graph_beta::prelude::*;
use graph_beta::runtime::reqwest;
use graph_beta::runtime::{
    BrowserCredential, DeviceCodeCredential, PersistentCacheErrorKind, PersistentTokenCache,
};
use graph_emulator::{App, EMULATOR_TENANT, Emulator, RecordedRequest};

const PUBLIC_APP: &str = "6c1f4e2a-9b3d-4c5e-8f7a-0b1c2d3e4f5a";

/// What the child process reads (set only when a test runs this binary as its child).
const CHILD_AUTHORITY: &str = "GRAPH_BETA_TEST_CACHE_AUTHORITY";
const CHILD_SERVICE_ROOT: &str = "GRAPH_BETA_TEST_CACHE_SERVICE_ROOT";
const CHILD_CACHE: &str = "GRAPH_BETA_TEST_CACHE_PATH";
/// What the child prints when it called Graph without a prompt.
const CHILD_DONE: &str = "child: limited mode updated without a prompt";

/// A fresh directory for one test's cache file, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "graph-beta-persistent-{name}-{}-{}",
            std::process::id(),
            uuid_like()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn cache_path(&self) -> PathBuf {
        // A directory the cache must create (mode 0700) on the first write.
        self.0.join("cache").join("token-cache.json")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{nanos:x}")
}

async fn emulator() -> Emulator {
    start(
        Emulator::builder()
            .seed(tenant())
            .app(App::public(PUBLIC_APP, &[LIMITED_MODE_SCOPE]).display_name("Admin CLI"))
            .device_code_interval(0),
    )
    .await
}

fn plain_http() -> reqwest::Client {
    graph_beta::runtime::ensure_crypto_provider().unwrap();
    reqwest::Client::new()
}

/// How many times a credential prompted.
type Prompts = Arc<Mutex<usize>>;

/// A credential on `cache` whose person approves every prompt as `USER`.
fn approving(graph: &Emulator, cache: &PersistentTokenCache) -> (DeviceCodeCredential, Prompts) {
    approving_as(graph, cache, USER, None)
}

/// A credential on `cache` (preferring the cached account `hint`) whose person approves every
/// prompt as `user`.
fn approving_as(
    graph: &Emulator,
    cache: &PersistentTokenCache,
    user: &'static str,
    hint: Option<&str>,
) -> (DeviceCodeCredential, Prompts) {
    let prompts: Prompts = Arc::default();
    let seen = Arc::clone(&prompts);
    let identity = graph.identity().clone();
    let mut builder = DeviceCodeCredential::builder(EMULATOR_TENANT, PUBLIC_APP)
        .authority_host(graph.authority_host())
        .http_client(plain_http())
        .scopes([LIMITED_MODE_SCOPE])
        .persistent_cache(cache.clone())
        .on_prompt(move |prompt| {
            *seen.lock().unwrap() += 1;
            identity.approve(&prompt.user_code, user).unwrap();
        });
    if let Some(hint) = hint {
        builder = builder.account(hint);
    }
    (builder.build().unwrap(), prompts)
}

/// A credential on `cache` asking for `scope`, whose person declines every prompt.
fn declining(graph: &Emulator, cache: &PersistentTokenCache, scope: &str) -> DeviceCodeCredential {
    let identity = graph.identity().clone();
    DeviceCodeCredential::builder(EMULATOR_TENANT, PUBLIC_APP)
        .authority_host(graph.authority_host())
        .http_client(plain_http())
        .scopes([scope])
        .persistent_cache(cache.clone())
        .on_prompt(move |prompt| identity.decline(&prompt.user_code).unwrap())
        .build()
        .unwrap()
}

/// Asks `credential` for a token for the emulator's Graph; the person declines.
async fn declined(graph: &Emulator, credential: &DeviceCodeCredential) {
    let request = graph_beta::TokenRequest {
        scopes: vec![format!("{}/.default", graph.authority_host())],
        claims: None,
    };
    let error = credential.token(&request).await.unwrap_err();
    assert_eq!(
        error.kind(),
        graph_beta::CredentialErrorKind::SignInDeclined
    );
}

fn graph_client(graph: &Emulator, credential: impl Credential + 'static) -> Client {
    Client::builder(credential)
        .service_root(graph.base_url())
        .http_client(plain_http())
        .retry_policy(fast_policy())
        .build()
        .unwrap()
}

fn requests_to(graph: &Emulator, endpoint: &str) -> Vec<RecordedRequest> {
    graph
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with(&format!("/oauth2/v2.0/{endpoint}")))
        .collect()
}

fn refresh_grants(graph: &Emulator) -> Vec<RecordedRequest> {
    requests_to(graph, "token")
        .into_iter()
        .filter(|r| form_value(r, "grant_type").as_deref() == Some("refresh_token"))
        .collect()
}

/// Runs this test binary again as a child process that signs in from the cache at `path` and
/// calls Graph ([`child_signs_in_from_the_cache_and_calls_graph`]).
fn child(graph: &Emulator, path: &Path) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "child_signs_in_from_the_cache_and_calls_graph",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_AUTHORITY, graph.authority_host())
        .env(CHILD_SERVICE_ROOT, graph.base_url())
        .env(CHILD_CACHE, path);
    command
}

/// Runs `n` children at once and waits for them (off the runtime, which serves the emulator).
async fn run_children(graph: &Emulator, path: &Path, n: usize) -> Vec<Output> {
    let children: Vec<_> = (0..n)
        .map(|_| {
            child(graph, path)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect()
    })
    .await
    .unwrap()
}

fn assert_child_succeeded(output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains(CHILD_DONE),
        "the child process failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    // The test harness ran exactly the child test (not zero tests).
    assert!(stdout.contains("1 passed"), "{stdout}");
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn a_new_client_and_a_second_process_reuse_the_cache_without_a_prompt() {
    let graph = emulator().await;
    let dir = TempDir::new("reuse");
    let cache = PersistentTokenCache::at(dir.cache_path());

    // First run: the person signs in by device code.
    let (first, prompts) = approving(&graph, &cache);
    let client = graph_client(&graph, first);
    patch_limited_mode(&client, &enable_for(GROUP))
        .await
        .unwrap();
    assert_eq!(*prompts.lock().unwrap(), 1);
    let started = requests_to(&graph, "devicecode");
    assert_eq!(started.len(), 1);
    // It asked for who signs in (MSAL's scopes and client_info), to key the account.
    let scope = form_value(&started[0], "scope").unwrap();
    for wanted in ["openid", "profile", "offline_access"] {
        assert!(scope.split(' ').any(|s| s == wanted), "{scope}");
    }
    let polled = requests_to(&graph, "token");
    assert_eq!(
        form_value(polled.last().unwrap(), "client_info").as_deref(),
        Some("1")
    );

    // The account is in the file, which is private and holds no access token.
    let accounts = cache.accounts().unwrap();
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    let account = &accounts[0];
    assert_eq!(account.home_account_id, format!("{USER}.{EMULATOR_TENANT}"));
    assert_eq!(account.tenant_id, EMULATOR_TENANT);
    assert_eq!(account.client_id, PUBLIC_APP);
    assert_eq!(account.authority_host, graph.authority_host());
    assert!(account.username.is_some(), "{account:?}");
    assert!(
        account
            .scopes
            .iter()
            .any(|s| s.ends_with(LIMITED_MODE_SCOPE)),
        "{account:?}"
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&dir.cache_path()), 0o600);
        assert_eq!(mode(dir.cache_path().parent().unwrap()), 0o700);
    }
    let file = std::fs::read_to_string(cache.path()).unwrap();
    for request in graph.requests() {
        if let Some(bearer) = request
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
        {
            assert!(!file.contains(bearer), "an access token was written");
        }
    }

    // A new client in this process: no prompt, a renewal by the cached refresh token.
    let (second, prompts) = approving(&graph, &PersistentTokenCache::at(dir.cache_path()));
    let client = graph_client(&graph, second);
    patch_limited_mode(&client, &turn_off()).await.unwrap();
    assert_eq!(*prompts.lock().unwrap(), 0, "the new client prompted");
    assert_eq!(requests_to(&graph, "devicecode").len(), 1);
    assert_eq!(refresh_grants(&graph).len(), 1);
    assert_eq!(refresh_grants(&graph)[0].status, Some(200));

    // A second process: the same, with nothing shared but the file.
    let outputs = run_children(&graph, &dir.cache_path(), 1).await;
    assert_child_succeeded(&outputs[0]);
    assert_eq!(
        requests_to(&graph, "devicecode").len(),
        1,
        "the child prompted"
    );
    let renewals = refresh_grants(&graph);
    assert_eq!(renewals.len(), 2);
    assert_eq!(renewals[1].status, Some(200));
    assert_eq!(
        graph.state().limited_mode.group_id.as_deref(),
        Some(GROUP2),
        "the child's Graph call arrived"
    );
    // Still one account, with the refresh token the child's renewal rotated in.
    assert_eq!(cache.accounts().unwrap().len(), 1);
    assert_ne!(std::fs::read_to_string(cache.path()).unwrap(), file);
}

/// The second process of the tests above: signs in from the cache its parent names and calls
/// Graph; a prompt fails it. Not a test of its own (it is ignored unless run as a child).
#[tokio::test]
#[ignore = "run as a child process by the persistent cache tests"]
async fn child_signs_in_from_the_cache_and_calls_graph() {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: this is the child process of the tests above, not a test to run by itself")
        })
    };
    let credential = DeviceCodeCredential::builder(EMULATOR_TENANT, PUBLIC_APP)
        .authority_host(var(CHILD_AUTHORITY))
        .http_client(plain_http())
        .scopes([LIMITED_MODE_SCOPE])
        .persistent_cache(PersistentTokenCache::at(var(CHILD_CACHE)))
        .on_prompt(|prompt| panic!("the child was prompted: {}", prompt.message))
        .build()
        .unwrap();
    let client = Client::builder(credential)
        .service_root(var(CHILD_SERVICE_ROOT))
        .http_client(plain_http())
        .retry_policy(fast_policy())
        .build()
        .unwrap();
    patch_limited_mode(&client, &enable_for(GROUP2))
        .await
        .unwrap();
    println!("{CHILD_DONE}");
}

#[tokio::test]
async fn processes_signing_in_silently_at_once_keep_one_whole_private_file() {
    let graph = emulator().await;
    let dir = TempDir::new("processes");
    let cache = PersistentTokenCache::at(dir.cache_path());
    let (first, prompts) = approving(&graph, &cache);
    patch_limited_mode(&graph_client(&graph, first), &turn_off())
        .await
        .unwrap();
    assert_eq!(*prompts.lock().unwrap(), 1);

    // Four processes at once, each renewing and writing its new refresh token back.
    let outputs = run_children(&graph, &dir.cache_path(), 4).await;
    for output in &outputs {
        assert_child_succeeded(output);
    }
    assert_eq!(requests_to(&graph, "devicecode").len(), 1);
    assert_eq!(refresh_grants(&graph).len(), 4);
    // The file is whole (it parses), private, and one account; no temporary file is left.
    assert_eq!(cache.accounts().unwrap().len(), 1);
    #[cfg(unix)]
    assert_eq!(mode(&dir.cache_path()), 0o600);
    let mut names: Vec<String> = std::fs::read_dir(dir.cache_path().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["token-cache.json", "token-cache.json.lock"]);
    // And its refresh token is one Entra still takes: a new client signs in silently.
    let (after, prompts) = approving(&graph, &cache);
    patch_limited_mode(&graph_client(&graph, after), &turn_off())
        .await
        .unwrap();
    assert_eq!(*prompts.lock().unwrap(), 0);
}

#[tokio::test]
async fn signing_out_makes_the_next_sign_in_prompt() {
    let graph = emulator().await;
    let dir = TempDir::new("sign-out");
    let cache = PersistentTokenCache::at(dir.cache_path());
    let (first, prompts) = approving(&graph, &cache);
    let first = Arc::new(first);
    patch_limited_mode(&graph_client(&graph, Arc::clone(&first)), &turn_off())
        .await
        .unwrap();
    assert_eq!(*prompts.lock().unwrap(), 1);
    let account = first.account().expect("the credential knows its account");
    assert_eq!(account.home_account_id, format!("{USER}.{EMULATOR_TENANT}"));

    // Signing out of the cache: a new client prompts.
    assert!(cache.sign_out(&account).unwrap());
    assert!(cache.accounts().unwrap().is_empty());
    let (second, prompts) = approving(&graph, &cache);
    let second = Arc::new(second);
    patch_limited_mode(&graph_client(&graph, Arc::clone(&second)), &turn_off())
        .await
        .unwrap();
    assert_eq!(*prompts.lock().unwrap(), 1, "signed out, so prompted");
    assert_eq!(cache.accounts().unwrap().len(), 1);

    // Signing out through the credential: it forgets its tokens too, and prompts again.
    assert!(second.sign_out().unwrap());
    assert!(cache.accounts().unwrap().is_empty());
    assert!(second.account().is_none());
    patch_limited_mode(&graph_client(&graph, Arc::clone(&second)), &turn_off())
        .await
        .unwrap();
    assert_eq!(*prompts.lock().unwrap(), 2);

    // Clearing signs every account out.
    cache.clear().unwrap();
    assert!(cache.accounts().unwrap().is_empty());
    assert_eq!(requests_to(&graph, "devicecode").len(), 3);
}

#[tokio::test]
async fn a_refused_cached_refresh_token_is_forgotten_and_the_person_prompted() {
    let graph = emulator().await;
    let dir = TempDir::new("refused");
    let cache = PersistentTokenCache::at(dir.cache_path());
    let (first, _) = approving(&graph, &cache);
    patch_limited_mode(&graph_client(&graph, first), &turn_off())
        .await
        .unwrap();

    // Entra revokes every refresh token: the cached one is refused (invalid_grant,
    // AADSTS700082) and forgotten, even though the person then declines to sign in again.
    graph.identity().revoke_refresh_tokens();
    declined(&graph, &declining(&graph, &cache, LIMITED_MODE_SCOPE)).await;
    let renewals = refresh_grants(&graph);
    assert_eq!(renewals.len(), 1);
    assert_eq!(renewals[0].status, Some(400));
    assert!(cache.accounts().unwrap().is_empty());
    // The next run prompts (nothing to renew with), and its sign-in is kept.
    let (second, prompts) = approving(&graph, &cache);
    patch_limited_mode(&graph_client(&graph, second), &turn_off())
        .await
        .unwrap();
    assert_eq!(*prompts.lock().unwrap(), 1);
    assert_eq!(refresh_grants(&graph).len(), 1, "no dead token tried again");
    assert_eq!(cache.accounts().unwrap().len(), 1);
    let (third, prompts) = approving(&graph, &cache);
    patch_limited_mode(&graph_client(&graph, third), &turn_off())
        .await
        .unwrap();
    assert_eq!(*prompts.lock().unwrap(), 0);
}

#[tokio::test]
async fn a_damaged_or_foreign_file_is_left_alone_and_the_person_prompted() {
    let graph = emulator().await;
    let dir = TempDir::new("damaged");
    let path = dir.cache_path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let cache = PersistentTokenCache::at(&path);
    for (text, kind) in [
        (
            "{\"format\": \"graph-beta-rs token cache\", \"vers",
            PersistentCacheErrorKind::Corrupt,
        ),
        (
            r#"{"someone": "else's file"}"#,
            PersistentCacheErrorKind::Foreign,
        ),
    ] {
        std::fs::write(&path, text).unwrap();
        assert_eq!(cache.accounts().unwrap_err().kind(), kind);
        let (credential, prompts) = approving(&graph, &cache);
        patch_limited_mode(&graph_client(&graph, credential), &turn_off())
            .await
            .unwrap();
        assert_eq!(*prompts.lock().unwrap(), 1);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "overwritten");
    }
    // Clearing refuses another program's file…
    assert_eq!(
        cache.clear().unwrap_err().kind(),
        PersistentCacheErrorKind::Foreign
    );
    // …and replaces a damaged one; the next sign-in is kept again.
    std::fs::write(&path, "{ damaged").unwrap();
    cache.clear().unwrap();
    let (credential, prompts) = approving(&graph, &cache);
    patch_limited_mode(&graph_client(&graph, credential), &turn_off())
        .await
        .unwrap();
    assert_eq!(*prompts.lock().unwrap(), 1);
    assert_eq!(cache.accounts().unwrap().len(), 1);
}

#[tokio::test]
async fn a_token_refused_for_a_new_scope_is_kept_when_the_person_declines() {
    const OTHER_SCOPE: &str = "AgentIdentity.Read.All";
    let graph = start(
        Emulator::builder()
            .seed(tenant())
            .app(App::public(PUBLIC_APP, &[LIMITED_MODE_SCOPE, OTHER_SCOPE]))
            .device_code_interval(0),
    )
    .await;
    let dir = TempDir::new("new-scope");
    let cache = PersistentTokenCache::at(dir.cache_path());
    let (first, _) = approving(&graph, &cache);
    patch_limited_mode(&graph_client(&graph, first), &turn_off())
        .await
        .unwrap();
    let kept = std::fs::read_to_string(cache.path()).unwrap();

    // Another tool of the same app asks for a scope the cached sign-in was not granted: Entra
    // refuses the renewal (invalid_grant, AADSTS65001), the person is prompted and declines.
    declined(&graph, &declining(&graph, &cache, OTHER_SCOPE)).await;
    let renewal = refresh_grants(&graph);
    assert_eq!(renewal.len(), 1);
    assert_eq!(renewal[0].status, Some(400), "refused for the new scope");
    // The cached sign-in still serves what it was granted.
    assert_eq!(std::fs::read_to_string(cache.path()).unwrap(), kept);
    let (again, prompts) = approving(&graph, &cache);
    patch_limited_mode(&graph_client(&graph, again), &turn_off())
        .await
        .unwrap();
    assert_eq!(*prompts.lock().unwrap(), 0);
}

/// The refresh token the cache file holds for each home account id.
fn cached_refresh_tokens(cache: &PersistentTokenCache) -> Vec<(String, String)> {
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cache.path()).unwrap()).unwrap();
    file["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["home_account_id"].as_str().unwrap().to_owned(),
                a["refresh_token"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Whose cached refresh token the last renewal sent.
fn renewed_as(graph: &Emulator, before: &[(String, String)]) -> String {
    let sent = form_value(refresh_grants(graph).last().unwrap(), "refresh_token").unwrap();
    before
        .iter()
        .find(|(_, rt)| *rt == sent)
        .map(|(id, _)| id.clone())
        .expect("the renewal sent a cached refresh token")
}

#[tokio::test]
async fn several_accounts_the_hint_picks_one_and_sign_out_never_falls_back_to_another() {
    let graph = emulator().await;
    let dir = TempDir::new("accounts");
    let cache = PersistentTokenCache::at(dir.cache_path());
    let first = format!("{USER}.{EMULATOR_TENANT}");
    let second = format!("{USER2}.{EMULATOR_TENANT}");
    // The second person's credential names its account: none is cached, so it prompts (instead
    // of signing in silently as the first).
    for (user, hint) in [(USER, None), (USER2, Some(second.as_str()))] {
        let (credential, prompts) = approving_as(&graph, &cache, user, hint);
        patch_limited_mode(&graph_client(&graph, credential), &turn_off())
            .await
            .unwrap();
        assert_eq!(*prompts.lock().unwrap(), 1);
    }
    let accounts = cache.accounts().unwrap();
    let ids: Vec<&str> = accounts
        .iter()
        .map(|a| a.home_account_id.as_str())
        .collect();
    assert_eq!(ids, [second.as_str(), first.as_str()], "most recent first");

    // Without a hint: the most recently used account; with one: that account (by home account
    // id or username), silently.
    let username = accounts[1].username.clone().unwrap();
    for (hint, expected) in [
        (None, &second),
        (Some(first.as_str()), &first),
        (Some(username.as_str()), &first),
    ] {
        let before = cached_refresh_tokens(&cache);
        let (credential, prompts) = approving_as(&graph, &cache, USER, hint);
        patch_limited_mode(&graph_client(&graph, credential), &turn_off())
            .await
            .unwrap();
        assert_eq!(*prompts.lock().unwrap(), 0, "{hint:?}");
        assert_eq!(&renewed_as(&graph, &before), expected, "{hint:?}");
    }

    // Signing out of one account does not sign the credential in as the other: it prompts.
    let (credential, prompts) = approving_as(&graph, &cache, USER, Some(&second));
    let credential = Arc::new(credential);
    let client = graph_client(&graph, Arc::clone(&credential));
    patch_limited_mode(&client, &turn_off()).await.unwrap();
    assert_eq!(*prompts.lock().unwrap(), 0);
    assert_eq!(credential.account().unwrap().home_account_id, second);
    assert!(credential.sign_out().unwrap());
    patch_limited_mode(&client, &turn_off()).await.unwrap();
    assert_eq!(
        *prompts.lock().unwrap(),
        1,
        "prompted, not signed in as the other account"
    );
    // The person signed in as the first account again: its record was updated.
    let ids: Vec<String> = cache
        .accounts()
        .unwrap()
        .into_iter()
        .map(|a| a.home_account_id)
        .collect();
    assert_eq!(ids, [first]);
}

/// A browser credential on `cache` whose "browser" (reqwest, following the emulator's redirect
/// to the loopback listener: the emulator signs every sign-in in up front) counts its openings.
fn browser_credential(
    graph: &Emulator,
    cache: &PersistentTokenCache,
) -> (BrowserCredential, Prompts) {
    let opened: Prompts = Arc::default();
    let seen = Arc::clone(&opened);
    let credential = BrowserCredential::builder(EMULATOR_TENANT, PUBLIC_APP)
        .authority_host(graph.authority_host())
        .http_client(plain_http())
        .scopes([LIMITED_MODE_SCOPE])
        .persistent_cache(cache.clone())
        .open_with(move |url| {
            *seen.lock().unwrap() += 1;
            let url = url.to_owned();
            tokio::spawn(async move {
                let browser = reqwest::Client::builder()
                    .resolve("localhost", std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
                    .build()
                    .unwrap();
                let page = browser.get(url).send().await.unwrap();
                assert!(page.status().is_success(), "{}", page.status());
            });
            Ok(())
        })
        .build()
        .unwrap();
    (credential, opened)
}

#[tokio::test]
async fn the_browser_credential_keeps_its_sign_in_and_shares_it_with_device_code() {
    let graph = start(
        Emulator::builder()
            .seed(tenant())
            .app(App::public(PUBLIC_APP, &[LIMITED_MODE_SCOPE]))
            .approve_device_codes_as(USER),
    )
    .await;
    let dir = TempDir::new("browser");
    let cache = PersistentTokenCache::at(dir.cache_path());

    let (first, opened) = browser_credential(&graph, &cache);
    patch_limited_mode(&graph_client(&graph, first), &turn_off())
        .await
        .unwrap();
    assert_eq!(*opened.lock().unwrap(), 1);
    let accounts = cache.accounts().unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(
        accounts[0].home_account_id,
        format!("{USER}.{EMULATOR_TENANT}")
    );
    let code_grants = requests_to(&graph, "token")
        .iter()
        .filter(|r| form_value(r, "grant_type").as_deref() == Some("authorization_code"))
        .count();
    assert_eq!(code_grants, 1);

    // A new browser credential: no browser, a renewal by the cached refresh token.
    let (second, opened) = browser_credential(&graph, &cache);
    let second = Arc::new(second);
    patch_limited_mode(&graph_client(&graph, Arc::clone(&second)), &turn_off())
        .await
        .unwrap();
    assert_eq!(*opened.lock().unwrap(), 0, "the browser opened");
    assert_eq!(refresh_grants(&graph).len(), 1);
    assert_eq!(
        second.account().unwrap().home_account_id,
        accounts[0].home_account_id
    );

    // Device code for the same app at the same authority uses the same sign-in.
    let (device, prompts) = approving(&graph, &cache);
    patch_limited_mode(&graph_client(&graph, device), &turn_off())
        .await
        .unwrap();
    assert_eq!(*prompts.lock().unwrap(), 0);
    assert_eq!(refresh_grants(&graph).len(), 2);

    // Signing out through the browser credential: the next token opens the browser again.
    assert!(second.sign_out().unwrap());
    assert!(cache.accounts().unwrap().is_empty());
    patch_limited_mode(&graph_client(&graph, Arc::clone(&second)), &turn_off())
        .await
        .unwrap();
    assert_eq!(*opened.lock().unwrap(), 1);
    assert_eq!(cache.accounts().unwrap().len(), 1);
}

#[tokio::test]
async fn a_sign_out_elsewhere_ends_a_running_credential_at_its_next_renewal() {
    // Tokens that live 1 s are always inside the token cache's margin: every call renews.
    let graph = start(
        Emulator::builder()
            .seed(tenant())
            .app(App::public(PUBLIC_APP, &[LIMITED_MODE_SCOPE]))
            .device_code_interval(0)
            .token_lifetime(std::time::Duration::from_secs(1)),
    )
    .await;
    let dir = TempDir::new("elsewhere");
    let cache = PersistentTokenCache::at(dir.cache_path());
    let (running, prompts) = approving(&graph, &cache);
    let client = graph_client(&graph, running);
    patch_limited_mode(&client, &turn_off()).await.unwrap();
    patch_limited_mode(&client, &turn_off()).await.unwrap();
    assert_eq!(*prompts.lock().unwrap(), 1);
    assert_eq!(
        refresh_grants(&graph).len(),
        1,
        "renewed with its own token"
    );

    // Another program (a `tool logout`) signs the account out of the file.
    let elsewhere = PersistentTokenCache::at(dir.cache_path());
    let account = elsewhere.accounts().unwrap().remove(0);
    assert!(elsewhere.sign_out(&account).unwrap());
    patch_limited_mode(&client, &turn_off()).await.unwrap();
    assert_eq!(*prompts.lock().unwrap(), 2, "signed out, so prompted");
    assert_eq!(
        refresh_grants(&graph).len(),
        1,
        "the old refresh token was not used"
    );
    // The new sign-in is kept and renews as before.
    assert_eq!(elsewhere.accounts().unwrap().len(), 1);
    patch_limited_mode(&client, &turn_off()).await.unwrap();
    assert_eq!(*prompts.lock().unwrap(), 2);
    assert_eq!(refresh_grants(&graph).len(), 2);

    // Deleting the file signs every account out, too.
    std::fs::remove_file(dir.cache_path()).unwrap();
    patch_limited_mode(&client, &turn_off()).await.unwrap();
    assert_eq!(*prompts.lock().unwrap(), 3);
}
