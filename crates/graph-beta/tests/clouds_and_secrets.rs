//! National clouds and secrecy of the token, through the generated SDK surface.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use graph_beta::prelude::*;
use graph_beta::runtime::reqwest;
use graph_beta::{NationalCloud, TokenRequest};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const NATIONAL: &[(Cloud, NationalCloud, &str)] = &[
    (
        Cloud::UsGovL4,
        NationalCloud::UsGovL4,
        "https://graph.microsoft.us",
    ),
    (
        Cloud::UsGovL5Dod,
        NationalCloud::UsGovL5Dod,
        "https://dod-graph.microsoft.us",
    ),
    (
        Cloud::China,
        NationalCloud::China,
        "https://microsoftgraph.chinacloudapi.cn",
    ),
];

/// A reqwest client that sends *everything* to `server` as a proxy, so a test
/// can tell whether a national-cloud client tried to go out at all without
/// touching the network.
fn through_proxy(server: &MockServer) -> reqwest::Client {
    // reqwest panics when built before a TLS crypto provider is installed; which
    // test builds the first client depends on scheduling, so install it here.
    graph_beta::runtime::ensure_crypto_provider().unwrap();
    reqwest::Client::builder()
        .proxy(reqwest::Proxy::all(server.uri()).unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn limited_mode_is_refused_on_national_clouds_before_sending() {
    let proxy = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&proxy)
        .await;
    for (cloud, national, root) in NATIONAL {
        let credential = Recording::default();
        let client = Client::builder(credential.clone())
            .cloud(cloud.clone())
            .http_client(through_proxy(&proxy))
            .build()
            .unwrap();
        assert_eq!(client.core().service_root(), format!("{root}/beta"));
        let e = patch_limited_mode(&client, &enable_for_group())
            .await
            .unwrap_err();
        match &e {
            Error::NotAvailableInCloud {
                operation_id,
                cloud: got,
                available,
            } => {
                assert_eq!(*operation_id, LIMITED_MODE_OP);
                assert_eq!(got, national);
                assert_eq!(*available, [NationalCloud::Global]);
            }
            other => panic!("{national}: expected NotAvailableInCloud, got {other:?}"),
        }
        let text = e.to_string();
        assert!(text.contains(national.name()), "{text}");
        assert!(text.contains("global"), "{text}");
        assert!(
            credential.scopes().is_empty(),
            "{national}: no token requested"
        );
    }
    assert!(received(&proxy).await.is_empty(), "nothing went out");
}

#[tokio::test]
async fn add_owner_is_allowed_on_national_clouds() {
    // The credential fails, so nothing is sent; what matters is that the request got
    // past the cloud check and asked for a token for the right cloud.
    for (cloud, national, root) in NATIONAL {
        let credential = Recording::failing();
        let client = Client::builder(credential.clone())
            .cloud(cloud.clone())
            .build()
            .unwrap();
        let e = add_owner(&client, AGENT_ID, OWNER_ID).await.unwrap_err();
        assert!(
            matches!(e, Error::Credential(_)),
            "{national}: expected a credential error, got {e:?}"
        );
        assert_eq!(
            credential.scopes(),
            [vec![format!("{root}/.default")]],
            "{national}"
        );
    }
}

#[tokio::test]
async fn add_owner_on_national_clouds_goes_to_that_cloud() {
    // All traffic goes to a local "proxy". For an https root the client opens a CONNECT
    // tunnel to the cloud's host; the local server refuses the tunnel, so nothing leaves
    // the machine, but the CONNECT shows where the request was headed.
    let proxy = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(403))
        .mount(&proxy)
        .await;
    for (cloud, national, root) in NATIONAL {
        let client = Client::builder(StaticToken::new(TOKEN))
            .cloud(cloud.clone())
            .http_client(through_proxy(&proxy))
            .retry_policy(fast_retries(0))
            .build()
            .unwrap();
        let e = add_owner(&client, AGENT_ID, OWNER_ID).await.unwrap_err();
        assert!(
            !matches!(
                e,
                Error::NotAvailableInCloud { .. } | Error::InvalidInput { .. }
            ),
            "{national}: {e:?}"
        );
        let host = root.trim_start_matches("https://");
        let reqs = received(&proxy).await;
        let last = reqs.last().expect("the client tried to connect");
        assert_eq!(last.method.as_str(), "CONNECT", "{national}");
        assert_eq!(
            last.headers.get("host").and_then(|v| v.to_str().ok()),
            Some(format!("{host}:443").as_str()),
            "{national}"
        );
    }
}

#[test]
fn owner_references_use_the_configured_cloud() {
    for (cloud, _, root) in NATIONAL.iter().chain([&(
        Cloud::Global,
        NationalCloud::Global,
        "https://graph.microsoft.com",
    )]) {
        let client = Client::builder(StaticToken::new(TOKEN))
            .cloud(cloud.clone())
            .build()
            .unwrap();
        let r = ReferenceCreate::directory_object(&client, OWNER_ID).unwrap();
        assert_eq!(
            r.odata_id.as_deref(),
            Some(format!("{root}/beta/directoryObjects/{OWNER_ID}").as_str())
        );
    }
}

#[tokio::test]
async fn custom_service_root_performs_no_cloud_check() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"isEnabledForGroup":true}"#))
        .mount(&server)
        .await;
    let credential = Recording::default();
    let client = Client::builder(credential.clone())
        .service_root(format!("{}/beta", server.uri()))
        .retry_policy(fast_retries(0))
        .build()
        .unwrap();
    patch_limited_mode(&client, &enable_for_group())
        .await
        .unwrap();
    assert_eq!(
        credential.scopes(),
        [vec![format!("{}/.default", server.uri())]]
    );
}

#[tokio::test]
async fn global_client_asks_for_the_global_scope() {
    let credential = Recording::failing();
    let client = Client::new(credential.clone());
    let e = patch_limited_mode(&client, &enable_for_group())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Credential(_)), "{e:?}");
    let requests: Vec<TokenRequest> = credential.requests.lock().unwrap().clone();
    assert_eq!(
        requests,
        [TokenRequest {
            scopes: vec!["https://graph.microsoft.com/.default".into()],
            claims: None
        }]
    );
    assert_eq!(
        client.core().service_root(),
        "https://graph.microsoft.com/beta"
    );
}

// ---------------------------------------------------------------------------------------
// The token never leaks into text
// ---------------------------------------------------------------------------------------

fn assert_no_token(label: &str, text: &str) {
    assert!(
        !text.contains(TOKEN) && !text.contains("SECRET"),
        "{label} leaks the token: {text}"
    );
}

#[tokio::test]
async fn token_never_appears_in_debug_or_display() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401).set_body_json(graph_error(
            "InvalidAuthenticationToken",
            "Access token validation failure. Invalid audience.",
        )))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string(""))
        .mount(&server)
        .await;
    let client = client_for(&server);
    let mut texts = vec![
        ("client", format!("{client:?}")),
        ("core client", format!("{:?}", client.core())),
        (
            "builder",
            format!("{:?}", Client::builder(StaticToken::new(TOKEN))),
        ),
        ("credential", format!("{:?}", StaticToken::new(TOKEN))),
        (
            "request builder",
            format!(
                "{:?}",
                client
                    .service_principals()
                    .by_service_principal_id(AGENT_ID)
            ),
        ),
        (
            "request",
            format!(
                "{:?}",
                client
                    .copilot()
                    .admin()
                    .settings()
                    .limited_mode()
                    .patch(&enable_for_group())
            ),
        ),
    ];

    let service_error = add_owner(&client, AGENT_ID, OWNER_ID).await.unwrap_err();
    assert_eq!(service_error.status(), Some(401));
    let decode_error = patch_limited_mode(&client, &enable_for_group())
        .await
        .unwrap_err();
    assert!(
        matches!(decode_error, Error::Decode { .. }),
        "{decode_error:?}"
    );
    let invalid = add_owner(&client, "..", OWNER_ID).await.unwrap_err();
    let gov = Client::builder(StaticToken::new(TOKEN))
        .cloud(Cloud::UsGovL4)
        .build()
        .unwrap();
    let refused = patch_limited_mode(&gov, &enable_for_group())
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::NotAvailableInCloud { .. }));
    for (label, e) in [
        ("service error", &service_error),
        ("decode error", &decode_error),
        ("invalid input", &invalid),
        ("not available", &refused),
    ] {
        texts.push((label, format!("{e:?}")));
        texts.push((label, e.to_string()));
    }
    texts.push(("gov client", format!("{gov:?}")));
    for (label, text) in &texts {
        assert_no_token(label, text);
    }
    // The Debug output is still useful.
    assert!(format!("{client:?}").contains(&format!("{}/beta", server.uri())));
}

#[tokio::test]
async fn credential_failure_is_readable() {
    let e = patch_limited_mode(&Client::new(Recording::failing()), &enable_for_group())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no token in this test"), "{e}");
}
