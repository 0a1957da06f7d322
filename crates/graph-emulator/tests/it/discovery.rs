//! OpenID discovery, the JWKS and signed tokens, instance discovery, unknown tenants.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use graph_emulator::{EMULATOR_TENANT, EMULATOR_TENANT_DOMAIN, Emulator};
use reqwest::Client;
use serde_json::{Value, json};

use crate::common::*;
use crate::identity::{
    CONFIDENTIAL, PUBLIC, SECRET, aadsts, claims, identity_provider, post_form, token_url,
};

async fn get_json(http: &Client, url: &str) -> (u16, Value) {
    let response = http.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn configuration_url(graph: &Emulator, tenant: &str) -> String {
    format!(
        "{}/{tenant}/v2.0/.well-known/openid-configuration",
        graph.authority_host()
    )
}

/// Verifies a compact RS256 JWS with the key of the JWKS its `kid` names; the claims.
fn verify(token: &str, jwks: &Value) -> Result<Value, String> {
    let (input, signature) = token.rsplit_once('.').ok_or("not a JWS")?;
    let (header, payload) = input.split_once('.').ok_or("not a JWS")?;
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|e| e.to_string());
    let header: Value = serde_json::from_slice(&decode(header)?).map_err(|e| e.to_string())?;
    if header["alg"] != "RS256" {
        return Err(format!("alg {}", header["alg"]));
    }
    let key = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == header["kid"]))
        .ok_or("no key has the token's kid")?;
    let component = |name: &str| decode(key[name].as_str().unwrap_or_default());
    let public = ring::signature::RsaPublicKeyComponents {
        n: component("n")?,
        e: component("e")?,
    };
    public
        .verify(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            input.as_bytes(),
            &decode(signature)?,
        )
        .map_err(|_| "bad signature".to_owned())?;
    serde_json::from_slice(&decode(payload)?).map_err(|e| e.to_string())
}

#[tokio::test]
async fn openid_configuration_points_at_the_emulator() {
    let graph = identity_provider().await;
    let http = client();
    let host = graph.authority_host();
    for (tenant, path_tenant, issuer) in [
        (
            EMULATOR_TENANT,
            EMULATOR_TENANT,
            format!("{host}/{EMULATOR_TENANT}/v2.0"),
        ),
        // A domain name resolves to the tenant's id, as Entra's configuration does.
        (
            EMULATOR_TENANT_DOMAIN,
            EMULATOR_TENANT,
            format!("{host}/{EMULATOR_TENANT}/v2.0"),
        ),
        ("common", "common", format!("{host}/{{tenantid}}/v2.0")),
        (
            "organizations",
            "organizations",
            format!("{host}/{{tenantid}}/v2.0"),
        ),
    ] {
        let (status, config) = get_json(&http, &configuration_url(&graph, tenant)).await;
        assert_eq!(status, 200, "{config}");
        assert_eq!(config["issuer"], issuer.as_str());
        let base = format!("{host}/{path_tenant}");
        assert_eq!(
            config["token_endpoint"],
            format!("{base}/oauth2/v2.0/token")
        );
        assert_eq!(
            config["device_authorization_endpoint"],
            format!("{base}/oauth2/v2.0/devicecode")
        );
        assert_eq!(
            config["authorization_endpoint"],
            format!("{base}/oauth2/v2.0/authorize")
        );
        assert_eq!(
            config["end_session_endpoint"],
            format!("{base}/oauth2/v2.0/logout")
        );
        assert_eq!(config["jwks_uri"], format!("{base}/discovery/v2.0/keys"));
        assert_eq!(
            config["id_token_signing_alg_values_supported"],
            json!(["RS256"])
        );
        assert_eq!(config["subject_types_supported"], json!(["pairwise"]));
        for member in [
            "response_types_supported",
            "scopes_supported",
            "claims_supported",
            "token_endpoint_auth_methods_supported",
            "response_modes_supported",
        ] {
            assert!(
                config[member].as_array().is_some_and(|a| !a.is_empty()),
                "{member}"
            );
        }
        assert!(config.get("tenant_region_scope").is_some());
        assert_eq!(config["msgraph_host"], host.split_once("://").unwrap().1);

        // What it names works: the token endpoint, the device endpoint, the keys.
        let (status, body) = post_form(
            &http,
            config["token_endpoint"].as_str().unwrap(),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", CONFIDENTIAL),
                ("client_secret", SECRET),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = post_form(
            &http,
            config["device_authorization_endpoint"].as_str().unwrap(),
            &[("client_id", PUBLIC), ("scope", "AgentIdentity.Read.All")],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (status, jwks) = get_json(&http, config["jwks_uri"].as_str().unwrap()).await;
        assert_eq!(status, 200);
        let key = &jwks["keys"][0];
        assert_eq!(
            (&key["kty"], &key["use"], &key["alg"]),
            (&json!("RSA"), &json!("sig"), &json!("RS256"))
        );
        assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()));
        assert!(key.get("d").is_none(), "the JWKS holds the public key only");
    }
    // Entra's tenant-less key set too.
    let (status, jwks) = get_json(&http, &format!("{host}/common/discovery/keys")).await;
    assert_eq!(
        (status, jwks["keys"].as_array().map(Vec::len)),
        (200, Some(1))
    );
    // Discovery documents are read with GET.
    let posted = http
        .post(configuration_url(&graph, EMULATOR_TENANT))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 400);
    assert_eq!(aadsts(&posted.json().await.unwrap()), 900_561);
    // The authorization endpoint the configuration names is served: a request it cannot send
    // back (no redirect URI, none registered) is an HTML page with Entra's code.
    let authorize = http
        .get(format!(
            "{}?client_id={PUBLIC}",
            config_authorize(&http, &graph).await
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(authorize.status(), 400);
    assert_eq!(
        authorize.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    assert!(authorize.text().await.unwrap().contains("AADSTS500113"));
}

async fn config_authorize(http: &reqwest::Client, graph: &Emulator) -> String {
    let (_, config) = get_json(http, &configuration_url(graph, "common")).await;
    config["authorization_endpoint"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn id_tokens_and_access_tokens_verify_with_the_published_keys() {
    let graph = identity_provider().await;
    let http = client();
    let (_, config) = get_json(&http, &configuration_url(&graph, EMULATOR_TENANT_DOMAIN)).await;
    let (_, jwks) = get_json(&http, config["jwks_uri"].as_str().unwrap()).await;
    let (status, started) = post_form(
        &http,
        config["device_authorization_endpoint"].as_str().unwrap(),
        &[
            ("client_id", PUBLIC),
            (
                "scope",
                "https://graph.microsoft.com/CopilotSettings-LimitedMode.ReadWrite openid profile offline_access",
            ),
            ("nonce", "n-0S6_WzA2Mj"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{started}");
    graph
        .identity()
        .approve(started["user_code"].as_str().unwrap(), USER)
        .unwrap();
    let token_endpoint = config["token_endpoint"].as_str().unwrap();
    let (status, answer) = post_form(
        &http,
        token_endpoint,
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", PUBLIC),
            ("device_code", started["device_code"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let id_token = answer["id_token"].as_str().unwrap();
    let c = verify(id_token, &jwks).unwrap();
    assert_eq!(c["aud"], PUBLIC);
    assert_eq!(c["iss"], config["issuer"]);
    assert_eq!(c["oid"], USER);
    assert_eq!(c["tid"], EMULATOR_TENANT);
    assert_eq!(c["name"], "Adele Vance");
    assert_eq!(
        c["preferred_username"],
        format!("{USER}@{EMULATOR_TENANT_DOMAIN}"),
        "a user without a userPrincipalName is named in the tenant's domain"
    );
    assert_eq!(c["ver"], "2.0");
    assert_eq!(c["nonce"], "n-0S6_WzA2Mj");
    let sub = c["sub"].as_str().unwrap().to_owned();
    assert_eq!(sub.len(), 43);
    assert_ne!(sub, USER, "the subject is pairwise, not the object id");
    let (iat, nbf, exp) = (
        c["iat"].as_u64().unwrap(),
        c["nbf"].as_u64().unwrap(),
        c["exp"].as_u64().unwrap(),
    );
    assert!(nbf <= iat && iat < exp, "{c}");
    let client_info: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(answer["client_info"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(client_info, json!({"uid": USER, "utid": EMULATOR_TENANT}));
    // The access token is signed by the same key (its claims are Graph's, as before).
    let access = verify(answer["access_token"].as_str().unwrap(), &jwks).unwrap();
    assert_eq!(access["aud"], "https://graph.microsoft.com");
    assert_eq!(access["scp"], "CopilotSettings-LimitedMode.ReadWrite");
    // A changed payload or signature does not verify.
    let (head, rest) = id_token.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let forged_claims = URL_SAFE_NO_PAD.encode(json!({"oid": USER2, "aud": PUBLIC}).to_string());
    assert!(verify(&format!("{head}.{forged_claims}.{signature}"), &jwks).is_err());
    let bad_signature = format!("{}.{}", id_token.rsplit_once('.').unwrap().0, "AAAA");
    assert!(verify(&bad_signature, &jwks).is_err());

    // Renewals carry an id_token for the same subject: asked again, or inherited.
    let refresh = answer["refresh_token"].as_str().unwrap();
    let (status, renewed) = post_form(
        &http,
        token_endpoint,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", PUBLIC),
            ("refresh_token", refresh),
            (
                "scope",
                "CopilotSettings-LimitedMode.ReadWrite openid profile offline_access",
            ),
            ("client_info", "1"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{renewed}");
    let renewed_claims = verify(renewed["id_token"].as_str().unwrap(), &jwks).unwrap();
    assert_eq!(renewed_claims["sub"], sub.as_str());
    assert!(renewed_claims.get("nonce").is_none());
    assert!(renewed["client_info"].is_string());
    let (status, inherited) = post_form(
        &http,
        token_endpoint,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", PUBLIC),
            ("refresh_token", renewed["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{inherited}");
    assert!(verify(inherited["id_token"].as_str().unwrap(), &jwks).is_ok());

    // Without `openid`, no id_token and no client_info (unless asked for with client_info=1).
    for (client_info, expected) in [(None, false), (Some("1"), true)] {
        let (_, started) = post_form(
            &http,
            config["device_authorization_endpoint"].as_str().unwrap(),
            &[("client_id", PUBLIC), ("scope", "AgentIdentity.Read.All")],
        )
        .await;
        graph
            .identity()
            .approve(started["user_code"].as_str().unwrap(), USER)
            .unwrap();
        let mut form = vec![
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", PUBLIC),
            ("device_code", started["device_code"].as_str().unwrap()),
        ];
        form.extend(client_info.map(|v| ("client_info", v)));
        let (status, plain) = post_form(&http, token_endpoint, &form).await;
        assert_eq!(status, 200, "{plain}");
        assert!(plain.get("id_token").is_none(), "{plain}");
        assert_eq!(plain.get("client_info").is_some(), expected, "{plain}");
    }
    // App-only answers never carry one.
    let (_, app_only) = post_form(
        &http,
        token_endpoint,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CONFIDENTIAL),
            ("client_secret", SECRET),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert!(app_only.get("id_token").is_none());
    assert_eq!(
        claims(app_only["access_token"].as_str().unwrap())["idtyp"],
        "app"
    );
}

#[tokio::test]
async fn unknown_tenants_are_invalid_tenant_everywhere() {
    let graph = identity_provider().await;
    let http = client();
    let host = graph.authority_host();
    let tenant = "contoso.onmicrosoft.com";
    let expect_invalid_tenant = |status: u16, body: &Value| {
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "invalid_tenant", "{body}");
        assert_eq!(aadsts(body), 90_002);
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .starts_with(&format!("AADSTS90002: Tenant '{tenant}' not found.")),
            "{body}"
        );
    };
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
    expect_invalid_tenant(status, &body);
    let (status, body) = post_form(
        &http,
        &format!("{host}/{tenant}/oauth2/v2.0/devicecode"),
        &[("client_id", PUBLIC), ("scope", "AgentIdentity.Read.All")],
    )
    .await;
    expect_invalid_tenant(status, &body);
    for url in [
        configuration_url(&graph, tenant),
        format!("{host}/{tenant}/discovery/v2.0/keys"),
        format!(
            "{host}/common/discovery/instance?api-version=1.1&authorization_endpoint={host}/{tenant}/oauth2/v2.0/authorize"
        ),
    ] {
        let (status, body) = get_json(&http, &url).await;
        expect_invalid_tenant(status, &body);
    }
}

#[tokio::test]
async fn instance_discovery_answers_like_entra() {
    let graph = identity_provider().await;
    let http = client();
    let host = graph.authority_host();
    let netloc = host.split_once("://").unwrap().1.to_owned();
    let port = netloc.rsplit_once(':').unwrap().1;
    let discover = |endpoint: String| {
        let http = http.clone();
        let url = format!("{host}/common/discovery/instance");
        async move {
            let url = reqwest::Url::parse_with_params(
                &url,
                &[
                    ("api-version", "1.1"),
                    ("authorization_endpoint", &endpoint),
                ],
            )
            .unwrap();
            let response = http.get(url).send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let (status, body) = discover(format!(
        "{host}/{EMULATOR_TENANT_DOMAIN}/oauth2/v2.0/authorize"
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["tenant_discovery_endpoint"],
        configuration_url(&graph, EMULATOR_TENANT)
    );
    assert_eq!(body["api-version"], "1.1");
    let metadata = &body["metadata"][0];
    assert_eq!(metadata["preferred_network"], netloc.as_str());
    assert_eq!(metadata["preferred_cache"], netloc.as_str());
    let aliases: Vec<&str> = metadata["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        aliases,
        [
            netloc.as_str(),
            &format!("localhost:{port}"),
            "127.0.0.1",
            "localhost"
        ]
    );
    // The same answer for the other loopback name, with or without the port (MSAL sends
    // its instance's host name alone), and for `common`.
    for endpoint in [
        format!("https://localhost:{port}/common/oauth2/v2.0/authorize"),
        "https://127.0.0.1/organizations/oauth2/authorize".to_owned(),
    ] {
        let (status, body) = discover(endpoint).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body["tenant_discovery_endpoint"]
                .as_str()
                .unwrap()
                .starts_with(host)
        );
    }
    // Another instance is not this cloud: Entra's invalid_instance.
    let (status, body) =
        discover("https://login.contoso.test/common/oauth2/v2.0/authorize".to_owned()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_instance"))
    );
    assert_eq!(aadsts(&body), 50_049);
    let (status, body) = get_json(&http, &format!("{host}/common/discovery/instance")).await;
    assert_eq!((status, aadsts(&body)), (400, 90_014));
}

#[tokio::test]
async fn identity_requests_need_no_bearer_token_and_are_logged() {
    let graph = Emulator::builder().strict_auth().start().await.unwrap();
    let http = client();
    let (status, _) = get_json(&http, &configuration_url(&graph, "common")).await;
    assert_eq!(status, 200);
    let page = http
        .get(format!("{}/devicelogin", graph.authority_host()))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let log = graph.requests();
    assert_eq!(
        log.iter()
            .map(|r| r.operation_id.as_deref())
            .collect::<Vec<_>>(),
        [Some("identity:discovery"), Some("identity:devicelogin")]
    );
}
