//! The identity provider: Entra's token and device-code endpoints, over real HTTP(S).

use std::time::Duration;

use base64::Engine as _;
use graph_emulator::{App, EMULATOR_TENANT, EMULATOR_TENANT_DOMAIN, Emulator, Fault, tls};
use reqwest::Client;
use serde_json::Value;

use crate::common::*;

pub(crate) const CONFIDENTIAL: &str = "3f1d1b2a-0c4e-4e5f-8a6b-7c8d9e0f1a2b";
pub(crate) const PUBLIC: &str = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d";
pub(crate) const SECRET: &str = "emulator~secret.value_1";

pub(crate) fn apps() -> [App; 2] {
    [
        App::confidential(CONFIDENTIAL, SECRET, &["AgentIdentity.ReadWrite.All"])
            .display_name("Owner sync"),
        App::public(
            PUBLIC,
            &[
                "CopilotSettings-LimitedMode.ReadWrite",
                "AgentIdentity.Read.All",
            ],
        ),
    ]
}

pub(crate) async fn identity_provider() -> Emulator {
    let [a, b] = apps();
    Emulator::builder()
        .seed(tenant())
        .app(a)
        .app(b)
        .device_code_interval(0)
        .start()
        .await
        .unwrap()
}

pub(crate) fn token_url(graph: &Emulator, tenant: &str) -> String {
    format!("{}/{tenant}/oauth2/v2.0/token", graph.authority_host())
}

pub(crate) fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

/// `application/x-www-form-urlencoded`, as OAuth clients send it.
pub(crate) trait Form {
    fn form_pairs<K: AsRef<str>, V: AsRef<str>>(self, pairs: &[(K, V)]) -> Self;
}

impl Form for reqwest::RequestBuilder {
    fn form_pairs<K: AsRef<str>, V: AsRef<str>>(self, pairs: &[(K, V)]) -> Self {
        let mut url = reqwest::Url::parse("http://form.invalid/").unwrap();
        url.query_pairs_mut()
            .extend_pairs(pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())));
        self.header("content-type", "application/x-www-form-urlencoded")
            .body(url.query().unwrap_or_default().to_owned())
    }
}

pub(crate) async fn post_form(http: &Client, url: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = http.post(url).form_pairs(form).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

pub(crate) fn aadsts(body: &Value) -> u64 {
    body["error_codes"][0].as_u64().unwrap()
}

#[tokio::test]
async fn client_credentials_issue_app_only_tokens_that_graph_routes_honour() {
    let graph = identity_provider().await;
    let http = client();
    for tenant in [EMULATOR_TENANT, EMULATOR_TENANT_DOMAIN, "organizations"] {
        let (status, body) = post_form(
            &http,
            &token_url(&graph, tenant),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", CONFIDENTIAL),
                ("client_secret", SECRET),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3599);
        assert!(body.get("refresh_token").is_none());
        let c = claims(body["access_token"].as_str().unwrap());
        assert_eq!(
            c["roles"],
            serde_json::json!(["AgentIdentity.ReadWrite.All"])
        );
        assert_eq!(c["appid"], CONFIDENTIAL);
        assert_eq!(c["tid"], EMULATOR_TENANT);
        assert_eq!(c["aud"], "https://graph.microsoft.com");
        assert!(c.get("scp").is_none());
    }

    // The issued token is checked like any other: it may add an owner, not touch limited mode.
    let (_, body) = post_form(
        &http,
        &token_url(&graph, EMULATOR_TENANT),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CONFIDENTIAL),
            ("client_secret", SECRET),
            ("scope", &format!("{}/.default", graph.authority_host())),
        ],
    )
    .await;
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(claims(token)["aud"], graph.authority_host());
    let added = http
        .post(owners_url(&graph, AGENT))
        .bearer_auth(token)
        .json(&v1_ref(USER))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 204);
    let patched = http
        .patch(limited_mode_url(&graph))
        .bearer_auth(token)
        .json(&serde_json::json!({"isEnabledForGroup": false}))
        .send()
        .await
        .unwrap();
    expect_error(patched, 403, "Authorization_RequestDenied").await;
}

#[tokio::test]
async fn basic_client_authentication_is_accepted() {
    let graph = identity_provider().await;
    let response = client()
        .post(token_url(&graph, EMULATOR_TENANT))
        .basic_auth(CONFIDENTIAL, Some(SECRET))
        .form_pairs(&[
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn refusals_are_shaped_like_entra() {
    let graph = identity_provider().await;
    let http = client();
    let url = token_url(&graph, EMULATOR_TENANT);
    let cc = |id: &'static str, secret: &'static str, scope: &'static str| {
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("scope", scope),
        ]
    };
    let graph_default = "https://graph.microsoft.com/.default";

    let (status, body) = post_form(
        &http,
        &url,
        &cc(CONFIDENTIAL, "wrong-secret", graph_default),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str().unwrap(), aadsts(&body)),
        (401, "invalid_client", 7_000_215)
    );
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.starts_with("AADSTS7000215: Invalid client secret provided."),
        "{description}"
    );
    assert!(description.contains(&format!("Trace ID: {}", body["trace_id"].as_str().unwrap())));
    assert!(description.contains(&format!(
        "Correlation ID: {}",
        body["correlation_id"].as_str().unwrap()
    )));
    assert!(
        !body.to_string().contains("wrong-secret"),
        "a refusal never echoes the secret"
    );

    let (status, body) = post_form(
        &http,
        &url,
        &cc(
            "00000000-0000-0000-0000-00000000dead",
            SECRET,
            graph_default,
        ),
    )
    .await;
    assert_eq!((status, aadsts(&body)), (400, 700_016));
    let (status, body) = post_form(
        &http,
        &url,
        &cc(
            CONFIDENTIAL,
            SECRET,
            "https://graph.microsoft.com/User.Read",
        ),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str().unwrap(), aadsts(&body)),
        (400, "invalid_scope", 1_002_012)
    );
    let (status, body) = post_form(
        &http,
        &url,
        &cc(CONFIDENTIAL, SECRET, "https://vault.azure.net/.default"),
    )
    .await;
    assert_eq!((status, aadsts(&body)), (400, 1_002_012));
    let (status, body) = post_form(
        &http,
        &token_url(&graph, "contoso.onmicrosoft.com"),
        &cc(CONFIDENTIAL, SECRET, graph_default),
    )
    .await;
    assert_eq!((status, aadsts(&body)), (400, 90_002));
    let (status, body) = post_form(
        &http,
        &url,
        &[("grant_type", "password"), ("client_id", PUBLIC)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (400, "unsupported_grant_type")
    );
    let (status, body) = post_form(&http, &url, &[("client_id", PUBLIC)]).await;
    assert_eq!((status, aadsts(&body)), (400, 900_144));
    let get = http.get(&url).send().await.unwrap();
    assert_eq!(get.status(), 400);
    assert_eq!(get.headers()["cache-control"], "no-store, no-cache");
}

#[tokio::test]
async fn client_assertions_authenticate_apps_that_accept_them() {
    let graph = Emulator::builder()
        .app(
            App::confidential(CONFIDENTIAL, SECRET, &["AgentIdentity.ReadWrite.All"])
                .accepting_assertions(),
        )
        .start()
        .await
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let assertion = |iss: &str, exp: u64| {
        graph_emulator::token::unsigned_jwt(
            &serde_json::json!({"iss": iss, "sub": iss, "aud": "x", "exp": exp}),
        )
    };
    let http = client();
    let url = token_url(&graph, EMULATOR_TENANT);
    let good = assertion(CONFIDENTIAL, now + 600);
    let form = |a: &str| {
        vec![
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", CONFIDENTIAL.to_owned()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
            ),
            ("client_assertion", a.to_owned()),
            ("scope", "https://graph.microsoft.com/.default".to_owned()),
        ]
    };
    let answer = http
        .post(&url)
        .form_pairs(&form(&good))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    for bad in [
        assertion("someone-else", now + 600),
        assertion(CONFIDENTIAL, now - 10),
        "not-a-jwt".to_owned(),
    ] {
        let answer: Value = http
            .post(&url)
            .form_pairs(&form(&bad))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(aadsts(&answer), 700_027);
    }
}

pub(crate) async fn start_device_code(http: &Client, graph: &Emulator, scope: &str) -> Value {
    let (status, body) = post_form(
        http,
        &format!(
            "{}/{EMULATOR_TENANT}/oauth2/v2.0/devicecode",
            graph.authority_host()
        ),
        &[("client_id", PUBLIC), ("scope", scope)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

pub(crate) async fn poll(http: &Client, graph: &Emulator, device_code: &str) -> (u16, Value) {
    post_form(
        http,
        &token_url(graph, EMULATOR_TENANT),
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", PUBLIC),
            ("device_code", device_code),
        ],
    )
    .await
}

#[tokio::test]
async fn device_code_walks_every_state() {
    let graph = identity_provider().await;
    let http = client();
    let started = start_device_code(
        &http,
        &graph,
        "https://graph.microsoft.com/CopilotSettings-LimitedMode.ReadWrite offline_access openid",
    )
    .await;
    let user_code = started["user_code"].as_str().unwrap();
    let device_code = started["device_code"].as_str().unwrap();
    assert_eq!(started["interval"], 0);
    assert_eq!(started["expires_in"], 900);
    assert!(started["message"].as_str().unwrap().contains(user_code));
    let pending = graph.identity().pending();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].user_code, user_code);
    assert_eq!(pending[0].scopes, ["CopilotSettings-LimitedMode.ReadWrite"]);
    assert!(!format!("{:?}", graph.identity()).contains(device_code));

    let (status, body) = poll(&http, &graph, device_code).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (400, "authorization_pending")
    );
    graph.identity().slow_down(user_code).unwrap();
    assert_eq!(
        poll(&http, &graph, device_code).await.1["error"],
        "slow_down"
    );
    assert_eq!(
        poll(&http, &graph, device_code).await.1["error"],
        "authorization_pending"
    );
    assert!(graph.identity().approve(user_code, "no-such-user").is_err());
    graph.identity().approve(user_code, USER).unwrap();
    let (status, body) = poll(&http, &graph, device_code).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    let c = claims(token);
    assert_eq!(c["scp"], "CopilotSettings-LimitedMode.ReadWrite");
    assert_eq!(c["oid"], USER);
    assert_eq!(
        body["scope"],
        "https://graph.microsoft.com/CopilotSettings-LimitedMode.ReadWrite offline_access"
    );
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    // The code is spent.
    assert_eq!(
        poll(&http, &graph, device_code).await.1["error"],
        "bad_verification_code"
    );
    // The user's token may update limited mode.
    let patched = http
        .patch(limited_mode_url(&graph))
        .bearer_auth(token)
        .json(&serde_json::json!({"isEnabledForGroup": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);

    // Refresh: a new access token and a new refresh token; narrower scopes allowed, wider not.
    let url = token_url(&graph, EMULATOR_TENANT);
    let (status, renewed) = post_form(
        &http,
        &url,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", PUBLIC),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!(status, 200, "{renewed}");
    assert_eq!(
        claims(renewed["access_token"].as_str().unwrap())["scp"],
        "CopilotSettings-LimitedMode.ReadWrite"
    );
    let (status, body) = post_form(
        &http,
        &url,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", PUBLIC),
            ("refresh_token", &refresh),
            ("scope", "AgentIdentity.Read.All"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (400, "invalid_grant")
    );
    graph.identity().revoke_refresh_tokens();
    let (status, body) = post_form(
        &http,
        &url,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", PUBLIC),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str().unwrap(), aadsts(&body)),
        (400, "invalid_grant", 700_082)
    );
}

#[tokio::test]
async fn device_code_declined_expired_and_refused() {
    let graph = identity_provider().await;
    let http = client();
    let scope = "CopilotSettings-LimitedMode.ReadWrite";
    let declined = start_device_code(&http, &graph, scope).await;
    graph
        .identity()
        .decline(declined["user_code"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        poll(&http, &graph, declined["device_code"].as_str().unwrap())
            .await
            .1["error"],
        "authorization_declined"
    );
    let expired = start_device_code(&http, &graph, scope).await;
    graph
        .identity()
        .expire(expired["user_code"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        poll(&http, &graph, expired["device_code"].as_str().unwrap())
            .await
            .1["error"],
        "expired_token"
    );
    assert_eq!(
        poll(&http, &graph, "made-up").await.1["error"],
        "bad_verification_code"
    );
    assert!(graph.identity().pending().is_empty());

    // No consent for the scope; a confidential app cannot use device code.
    let (status, body) = post_form(
        &http,
        &format!(
            "{}/{EMULATOR_TENANT}/oauth2/v2.0/devicecode",
            graph.authority_host()
        ),
        &[("client_id", PUBLIC), ("scope", "Directory.ReadWrite.All")],
    )
    .await;
    assert_eq!((status, aadsts(&body)), (400, 70_011));
    let (status, body) = post_form(
        &http,
        &format!(
            "{}/{EMULATOR_TENANT}/oauth2/v2.0/devicecode",
            graph.authority_host()
        ),
        &[("client_id", CONFIDENTIAL), ("scope", scope)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (401, "invalid_client")
    );
}

#[tokio::test]
async fn identity_endpoints_take_faults_and_are_logged() {
    let graph = identity_provider().await;
    graph.faults().on("identity:token").next(
        1,
        Fault::ServiceUnavailable {
            retry_after_secs: Some(0),
        },
    );
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", CONFIDENTIAL),
        ("client_secret", SECRET),
        ("scope", "https://graph.microsoft.com/.default"),
    ];
    let http = client();
    let first = http
        .post(token_url(&graph, EMULATOR_TENANT))
        .form_pairs(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 503);
    let second = http
        .post(token_url(&graph, EMULATOR_TENANT))
        .form_pairs(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 200);
    let log = graph.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].operation_id.as_deref(), Some("identity:token"));
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        [Some(503), Some(200)]
    );
}

#[tokio::test]
async fn short_token_lifetimes_expire_on_graph_routes() {
    let graph = Emulator::builder()
        .app(App::confidential(
            CONFIDENTIAL,
            SECRET,
            &["AgentIdentity.ReadWrite.All"],
        ))
        .seed(tenant())
        .token_lifetime(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let http = client();
    let (_, body) = post_form(
        &http,
        &token_url(&graph, EMULATOR_TENANT),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CONFIDENTIAL),
            ("client_secret", SECRET),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(body["expires_in"], 1);
    let token = body["access_token"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let added = http
        .post(owners_url(&graph, AGENT))
        .bearer_auth(&token)
        .json(&v1_ref(USER))
        .send()
        .await
        .unwrap();
    expect_error(added, 401, "InvalidAuthenticationToken").await;
}

#[tokio::test]
async fn serves_https_with_the_test_ca() {
    let [a, _] = apps();
    let graph = Emulator::builder()
        .https()
        .app(a)
        .seed(tenant())
        .start()
        .await
        .unwrap();
    assert!(graph.base_url().starts_with("https://127.0.0.1:"));
    assert!(graph.authority_host().starts_with("https://127.0.0.1:"));
    let _ = client();
    let trusting = Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(tls::TEST_CA_PEM.as_bytes()).unwrap())
        .build()
        .unwrap();
    let (status, _) = post_form(
        &trusting,
        &token_url(&graph, EMULATOR_TENANT),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CONFIDENTIAL),
            ("client_secret", SECRET),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    // A client that does not trust the test CA fails the handshake, and nothing is served.
    let distrusting = Client::new()
        .get(limited_mode_url(&graph))
        .bearer_auth("t")
        .send()
        .await;
    assert!(distrusting.is_err());
    assert_eq!(graph.requests().len(), 1);
    assert!(matches!(
        Emulator::builder()
            .tls_identity("not pem", "not pem")
            .start()
            .await,
        Err(graph_emulator::Error::Tls(_))
    ));
}

#[tokio::test]
async fn apps_come_from_json_seeds_and_never_show_secrets() {
    let seed = graph_emulator::Seed::from_json(&format!(
        r#"{{"apps": [{{"clientId": "{CONFIDENTIAL}", "secrets": ["{SECRET}"], "appRoles": ["AgentIdentity.ReadWrite.All"]}}]}}"#
    ))
    .unwrap();
    assert!(!format!("{seed:?}").contains(SECRET));
    let graph = Emulator::builder().seed(seed).start().await.unwrap();
    assert!(!format!("{:?}", graph.identity()).contains(SECRET));
    let (status, _) = post_form(
        &client(),
        &token_url(&graph, EMULATOR_TENANT),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CONFIDENTIAL),
            ("client_secret", SECRET),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        graph_emulator::Seed::from_json(r#"{"apps": [{"clientId": "x", "secret": "typo"}]}"#)
            .is_err()
    );
}
