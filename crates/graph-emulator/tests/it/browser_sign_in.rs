//! Browser sign-in: the authorization endpoint (its page, its redirects and its error pages),
//! the authorization code grant with PKCE, and sign-out. The test plays the browser with
//! reqwest: it GETs the page, POSTs its form, and reads the 302 it would follow.

use base64::Engine as _;
use graph_emulator::{App, EMULATOR_TENANT, Emulator};
use reqwest::{Client, Url};
use serde_json::Value;

use crate::common::*;
use crate::identity::{CONFIDENTIAL, Form as _, PUBLIC, SECRET, aadsts, claims, post_form};

const SCOPE: &str = "CopilotSettings-LimitedMode.ReadWrite";
/// RFC 7636, appendix B: a verifier and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "http://localhost:53117";
const OTHER_PUBLIC: &str = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a";
const WEB_REDIRECT: &str = "https://owner-sync.example/signed-in";
const MARKUP_APP: &str = r#"<b>"Admin" & 'CLI'</b>"#;

fn apps() -> Vec<App> {
    vec![
        App::confidential(CONFIDENTIAL, SECRET, &[])
            .with_redirect_uri(WEB_REDIRECT)
            .display_name("Owner sync"),
        App::public(PUBLIC, &[SCOPE, "AgentIdentity.Read.All"]).display_name(MARKUP_APP),
        App::public(OTHER_PUBLIC, &[SCOPE]),
    ]
}

async fn provider(approve_as: Option<&str>) -> Emulator {
    let mut builder = Emulator::builder().seed(tenant());
    for app in apps() {
        builder = builder.app(app);
    }
    if let Some(user) = approve_as {
        builder = builder.approve_device_codes_as(user);
    }
    builder.start().await.unwrap()
}

/// A browser that does not follow redirects: the test reads them.
fn browser() -> Client {
    let _ = client();
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn authorize_url(graph: &Emulator) -> String {
    format!(
        "{}/{EMULATOR_TENANT}/oauth2/v2.0/authorize",
        graph.authority_host()
    )
}

/// The usual request: a public client, PKCE S256, state, nonce, openid and offline_access.
fn sign_in_params(client_id: &str) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", client_id.to_owned()),
        ("response_type", "code".to_owned()),
        ("redirect_uri", REDIRECT.to_owned()),
        (
            "scope",
            format!("https://graph.microsoft.com/{SCOPE} openid profile offline_access"),
        ),
        ("state", "st-4711/x y".to_owned()),
        ("nonce", "n-0S6_WzA2Mj".to_owned()),
        ("code_challenge", CHALLENGE.to_owned()),
        ("code_challenge_method", "S256".to_owned()),
    ]
}

fn with(
    params: &[(&'static str, String)],
    name: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    let mut params: Vec<_> = params.iter().filter(|(n, _)| *n != name).cloned().collect();
    params.push((name, value.to_owned()));
    params
}

fn without(params: &[(&'static str, String)], name: &str) -> Vec<(&'static str, String)> {
    params.iter().filter(|(n, _)| *n != name).cloned().collect()
}

async fn get_authorize(
    http: &Client,
    graph: &Emulator,
    params: &[(&'static str, String)],
) -> reqwest::Response {
    http.get(url_with(&authorize_url(graph), params))
        .send()
        .await
        .unwrap()
}

/// `base` with `params` in its query.
fn url_with<K: AsRef<str>, V: AsRef<str>>(base: &str, params: &[(K, V)]) -> Url {
    Url::parse_with_params(base, params.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))).unwrap()
}

/// The `Location` of a 302, parsed.
fn location(response: &reqwest::Response) -> Url {
    assert_eq!(response.status(), 302, "expected a redirect");
    Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
}

fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

/// The value of a hidden input on a page.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("{name} in {page}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

async fn answer_page(
    http: &Client,
    graph: &Emulator,
    sign_in: &str,
    user: &str,
    action: &str,
) -> reqwest::Response {
    http.post(authorize_url(graph))
        .form_pairs(&[("sign_in", sign_in), ("user", user), ("action", action)])
        .send()
        .await
        .unwrap()
}

async fn redeem(http: &Client, graph: &Emulator, form: &[(&str, &str)]) -> (u16, Value) {
    post_form(
        http,
        &format!(
            "{}/{EMULATOR_TENANT}/oauth2/v2.0/token",
            graph.authority_host()
        ),
        form,
    )
    .await
}

/// A code for the usual request, from an emulator that approves sign-ins up front.
async fn code_for(http: &Client, graph: &Emulator, params: &[(&'static str, String)]) -> String {
    let response = get_authorize(http, graph, params).await;
    query(&location(&response), "code").expect("a code")
}

#[tokio::test]
async fn the_page_signs_in_the_chosen_user_and_the_code_redeems_once_with_pkce() {
    let graph = provider(None).await;
    let http = browser();
    let params = with(&sign_in_params(PUBLIC), "login_hint", USER2);
    let page = get_authorize(&http, &graph, &params).await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(page.headers()["cache-control"], "no-store");
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        policy,
        format!("default-src 'none'; form-action 'self' {REDIRECT}"),
        "the form may end in a redirect to the app"
    );
    let html = page.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        html.contains("&lt;b&gt;&quot;Admin&quot; &amp; &#39;CLI&#39;&lt;/b&gt;"),
        "the app's name, escaped: {html}"
    );
    assert!(!html.contains("<b>"));
    assert!(html.contains(&format!("<li>{SCOPE}</li>")), "{html}");
    assert!(html.contains(&format!(r#"<option value="{USER2}" selected>Alex Wilber"#)));
    assert!(html.contains(&format!(r#"<option value="{USER}">Adele Vance"#)));
    assert!(html.contains(&format!(
        r#"<form method="post" action="/{EMULATOR_TENANT}/oauth2/v2.0/authorize">"#
    )));
    let sign_in = hidden(&html, "sign_in");

    // Nobody chosen: the page again, with the error; the sign-in still waits.
    let again = answer_page(&http, &graph, &sign_in, "no-such-user", "accept").await;
    assert_eq!(again.status(), 400);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("Choose one of the tenant")
    );

    let accepted = answer_page(&http, &graph, &sign_in, USER2, "accept").await;
    let back = location(&accepted);
    assert_eq!(back.origin().ascii_serialization(), REDIRECT);
    assert_eq!(query(&back, "state").as_deref(), Some("st-4711/x y"));
    let code = query(&back, "code").unwrap();

    // The page was answered: answering again is refused.
    let late = answer_page(&http, &graph, &sign_in, USER2, "accept").await;
    assert_eq!(late.status(), 400);
    assert!(late.text().await.unwrap().contains("no longer waiting"));

    let (status, tokens) = redeem(
        &http,
        &graph,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", PUBLIC),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            (
                "scope",
                &format!("https://graph.microsoft.com/{SCOPE} openid profile offline_access"),
            ),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let access = claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["scp"], SCOPE);
    assert_eq!(access["oid"], USER2);
    assert_eq!(access["appid"], PUBLIC);
    assert_eq!(access["aud"], "https://graph.microsoft.com");
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(id_token["aud"], PUBLIC);
    assert_eq!(id_token["oid"], USER2);
    assert_eq!(
        id_token["iss"],
        format!("{}/{EMULATOR_TENANT}/v2.0", graph.authority_host())
    );
    let client_info: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(tokens["client_info"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(client_info["uid"], USER2);
    assert_eq!(client_info["utid"], EMULATOR_TENANT);

    // The token works on Graph; its refresh token renews it.
    let limited = http
        .get(limited_mode_url(&graph))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 200);
    let (status, renewed) = redeem(
        &http,
        &graph,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", PUBLIC),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{renewed}");
    assert_eq!(
        claims(renewed["access_token"].as_str().unwrap())["oid"],
        USER2
    );

    // A code is good once.
    let (status, reused) = redeem(
        &http,
        &graph,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", PUBLIC),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(
        (status, reused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(aadsts(&reused), 54_005);
}

#[tokio::test]
async fn redemptions_that_do_not_fit_the_code_are_invalid_grant() {
    let graph = provider(Some(USER)).await;
    let http = browser();
    let params = sign_in_params(PUBLIC);
    let redeem_with = |code: String, changes: Vec<(&'static str, String)>| {
        let http = http.clone();
        let graph = &graph;
        async move {
            let mut form: Vec<(&str, String)> = vec![
                ("grant_type", "authorization_code".into()),
                ("client_id", PUBLIC.into()),
                ("code", code),
                ("redirect_uri", REDIRECT.into()),
                ("code_verifier", VERIFIER.into()),
            ];
            for (name, value) in changes {
                form.retain(|(n, _)| *n != name);
                if !value.is_empty() {
                    form.push((name, value));
                }
            }
            let pairs: Vec<(&str, &str)> = form.iter().map(|(n, v)| (*n, v.as_str())).collect();
            redeem(&http, graph, &pairs).await
        }
    };
    let change = |name: &'static str, value: &str| vec![(name, value.to_owned())];
    for (changes, code) in [
        (change("code_verifier", ""), 501_481),
        (change("code_verifier", "too-short"), 501_481),
        (change("redirect_uri", "http://localhost:53118"), 500_112),
        (change("client_id", OTHER_PUBLIC), 70_000),
        (change("code", "not-a-code"), 70_000),
    ] {
        let issued = code_for(&http, &graph, &params).await;
        let (status, body) = redeem_with(issued, changes.clone()).await;
        assert_eq!(
            (status, body["error"].as_str(), aadsts(&body)),
            (400, Some("invalid_grant"), code),
            "{changes:?}: {body}"
        );
    }
    // A wrong verifier uses the code up: the right one comes too late.
    let issued = code_for(&http, &graph, &params).await;
    let wrong = change("code_verifier", &"x".repeat(43));
    let (_, body) = redeem_with(issued.clone(), wrong).await;
    assert_eq!(aadsts(&body), 501_481);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS501481: The Code_Verifier does not match")
    );
    let (_, body) = redeem_with(issued, vec![]).await;
    assert_eq!(aadsts(&body), 54_005);

    // An expired code.
    let issued = code_for(&http, &graph, &params).await;
    graph.identity().expire_authorization_codes();
    let (_, body) = redeem_with(issued, vec![]).await;
    assert_eq!(
        (body["error"].as_str(), aadsts(&body)),
        (Some("invalid_grant"), 70_008)
    );

    // A plain challenge is the verifier itself; without a challenge no verifier is needed.
    let plain = with(
        &with(&params, "code_challenge", VERIFIER),
        "code_challenge_method",
        "plain",
    );
    let issued = code_for(&http, &graph, &plain).await;
    let (status, body) = redeem_with(issued, vec![]).await;
    assert_eq!(status, 200, "{body}");
    let no_pkce = without(&without(&params, "code_challenge"), "code_challenge_method");
    let issued = code_for(&http, &graph, &no_pkce).await;
    let (status, body) = redeem_with(issued, change("code_verifier", "")).await;
    assert_eq!(status, 200, "{body}");
    // Missing parameters.
    let (status, body) = redeem_with(String::new(), vec![]).await;
    assert_eq!((status, aadsts(&body)), (400, 900_144));
}

#[tokio::test]
async fn declining_sends_access_denied_back_to_the_app() {
    let graph = provider(None).await;
    let http = browser();
    let page = get_authorize(&http, &graph, &sign_in_params(PUBLIC)).await;
    let sign_in = hidden(&page.text().await.unwrap(), "sign_in");
    let declined = answer_page(&http, &graph, &sign_in, USER, "decline").await;
    let back = location(&declined);
    assert_eq!(query(&back, "error").as_deref(), Some("access_denied"));
    assert!(
        query(&back, "error_description")
            .unwrap()
            .starts_with("AADSTS65004: User declined to consent to access the app.")
    );
    assert_eq!(query(&back, "state").as_deref(), Some("st-4711/x y"));
    assert_eq!(query(&back, "code"), None);
}

#[tokio::test]
async fn requests_that_cannot_be_sent_back_get_an_error_page_never_a_redirect() {
    let graph = provider(Some(USER)).await;
    let http = browser();
    let usual = sign_in_params(PUBLIC);
    let unknown_tenant = http
        .get(url_with(
            &format!(
                "{}/contoso.example/oauth2/v2.0/authorize",
                graph.authority_host()
            ),
            &usual,
        ))
        .send()
        .await
        .unwrap();
    let cases = [
        (
            with(&usual, "client_id", "00000000-0000-0000-0000-00000000dead"),
            700_016,
        ),
        (without(&usual, "client_id"), 900_144),
        (
            with(&usual, "redirect_uri", "https://evil.example/callback"),
            50_011,
        ),
        (
            with(&usual, "redirect_uri", "https://localhost:53117"),
            50_011,
        ),
        (
            with(&usual, "redirect_uri", "http://localhost.evil.example/"),
            50_011,
        ),
        (without(&usual, "redirect_uri"), 500_113),
        // A confidential client may use only its registered URIs.
        (with(&usual, "client_id", CONFIDENTIAL), 50_011),
    ];
    let mut responses = vec![(unknown_tenant, 90_002)];
    for (params, code) in cases {
        responses.push((get_authorize(&http, &graph, &params).await, code));
    }
    for (response, code) in responses {
        assert_eq!(response.status(), 400);
        assert!(response.headers().get("location").is_none());
        let html = response.text().await.unwrap();
        assert!(html.contains(&format!("AADSTS{code}")), "{code}: {html}");
    }
    // A confidential client's registered URI is fine; the client redeems with its secret.
    let web = with(
        &with(&usual, "client_id", CONFIDENTIAL),
        "redirect_uri",
        WEB_REDIRECT,
    );
    let web = with(
        &web,
        "scope",
        "openid offline_access https://graph.microsoft.com/.default",
    );
    let mut consented = App::confidential(CONFIDENTIAL, SECRET, &[])
        .with_redirect_uri(WEB_REDIRECT)
        .display_name("Owner sync");
    consented.delegated_scopes = vec!["AgentIdentity.Read.All".into()];
    graph.identity().register(consented);
    let code = code_for(&http, &graph, &web).await;
    let form = |secret: Option<&'static str>| {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("client_id", CONFIDENTIAL),
            ("code", code.as_str()),
            ("redirect_uri", WEB_REDIRECT),
            ("code_verifier", VERIFIER),
        ];
        form.extend(secret.map(|s| ("client_secret", s)));
        form
    };
    let (status, body) = redeem(&http, &graph, &form(None)).await;
    assert_eq!((status, aadsts(&body)), (401, 7_000_218), "{body}");
    let (status, body) = redeem(&http, &graph, &form(Some(SECRET))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["scp"],
        "AgentIdentity.Read.All"
    );
}

#[tokio::test]
async fn other_faults_go_back_to_the_app_with_its_state() {
    let graph = provider(None).await;
    let http = browser();
    let usual = sign_in_params(PUBLIC);
    for (params, error, code) in [
        (
            with(&usual, "response_type", "token"),
            "unsupported_response_type",
            700_054,
        ),
        (without(&usual, "response_type"), "invalid_request", 900_144),
        (
            with(&usual, "scope", "User.ReadWrite.All"),
            "invalid_scope",
            70_011,
        ),
        (
            with(&usual, "scope", "https://other.example/Files.Read"),
            "invalid_resource",
            500_011,
        ),
        (
            with(&usual, "code_challenge", "short"),
            "invalid_request",
            501_491,
        ),
        (
            with(&usual, "code_challenge_method", "S512"),
            "invalid_request",
            501_491,
        ),
        (
            with(&usual, "response_mode", "jwt"),
            "invalid_request",
            900_144,
        ),
        (with(&usual, "prompt", "none"), "login_required", 50_058),
    ] {
        let response = get_authorize(&http, &graph, &params).await;
        let back = location(&response);
        assert!(back.as_str().starts_with(REDIRECT), "{back}");
        assert_eq!(query(&back, "error").as_deref(), Some(error), "{back}");
        assert!(
            query(&back, "error_description")
                .unwrap()
                .starts_with(&format!("AADSTS{code}: ")),
            "{back}"
        );
        assert_eq!(query(&back, "state").as_deref(), Some("st-4711/x y"));
    }
    // In the fragment when asked.
    let response = get_authorize(
        &http,
        &graph,
        &with(
            &with(&usual, "response_mode", "fragment"),
            "response_type",
            "token",
        ),
    )
    .await;
    let back = location(&response);
    assert_eq!(back.query(), None);
    assert!(
        back.fragment()
            .unwrap()
            .starts_with("error=unsupported_response_type&")
    );
}

#[tokio::test]
async fn approving_up_front_signs_in_at_once_in_every_response_mode() {
    let graph = provider(Some(USER)).await;
    let http = browser();
    let usual = sign_in_params(PUBLIC);
    let response = get_authorize(&http, &graph, &usual).await;
    let back = location(&response);
    assert_eq!(query(&back, "state").as_deref(), Some("st-4711/x y"));
    let code = query(&back, "code").unwrap();
    let (status, tokens) = redeem(
        &http,
        &graph,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", PUBLIC),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        claims(tokens["access_token"].as_str().unwrap())["oid"],
        USER
    );
    // prompt=none works too: the user is "signed in".
    let silent = get_authorize(&http, &graph, &with(&usual, "prompt", "none")).await;
    assert!(query(&location(&silent), "code").is_some());

    // Fragment.
    let response = get_authorize(&http, &graph, &with(&usual, "response_mode", "fragment")).await;
    let back = location(&response);
    assert!(back.fragment().unwrap().starts_with("code="));

    // form_post: a page whose form posts code and state to the redirect URI.
    let response = get_authorize(&http, &graph, &with(&usual, "response_mode", "form_post")).await;
    assert_eq!(response.status(), 200);
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.starts_with(&format!(
            "default-src 'none'; form-action {REDIRECT}; script-src 'sha256-"
        )),
        "{policy}"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains(&format!(r#"<form method="post" action="{REDIRECT}">"#)));
    assert!(!hidden(&html, "code").is_empty());
    assert_eq!(hidden(&html, "state"), "st-4711/x y");
}

#[tokio::test]
async fn sign_out_returns_to_loopback_or_registered_uris_only() {
    let graph = provider(None).await;
    let http = browser();
    let logout = format!(
        "{}/{EMULATOR_TENANT}/oauth2/v2.0/logout",
        graph.authority_host()
    );
    let back = http
        .get(url_with(
            &logout,
            &[
                ("post_logout_redirect_uri", "http://localhost:53117/done"),
                ("state", "s 1"),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&back).as_str(),
        "http://localhost:53117/done?state=s%201"
    );
    let registered = http
        .get(url_with(
            &logout,
            &[
                ("post_logout_redirect_uri", WEB_REDIRECT),
                ("client_id", CONFIDENTIAL),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&registered).as_str(), WEB_REDIRECT);
    for query in [
        vec![("post_logout_redirect_uri", "https://evil.example/<x>")],
        vec![("post_logout_redirect_uri", WEB_REDIRECT)],
        vec![],
    ] {
        let page = http.get(url_with(&logout, &query)).send().await.unwrap();
        assert_eq!(page.status(), 200, "{query:?}");
        assert!(page.headers().get("location").is_none());
        let html = page.text().await.unwrap();
        assert!(html.contains("You signed out."));
        assert!(!html.contains("<x>"));
    }
    let unknown = http
        .get(format!(
            "{}/nobody.example/oauth2/v2.0/logout",
            graph.authority_host()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    assert!(unknown.text().await.unwrap().contains("AADSTS90002"));
    // Both endpoints are logged under their names.
    let names: Vec<Option<String>> = graph
        .requests()
        .iter()
        .map(|r| r.operation_id.clone())
        .collect();
    assert!(
        names.contains(&Some("identity:logout".to_owned())),
        "{names:?}"
    );
}

#[tokio::test]
async fn json_seeds_register_redirect_uris_and_login_hints_name_users_by_principal_name() {
    let seed = graph_emulator::Seed::from_json(
        &serde_json::json!({
            "users": [
                {"id": USER, "displayName": "Adele Vance", "userPrincipalName": "adele@contoso.example"},
                {"id": USER2, "displayName": "Alex Wilber", "userPrincipalName": "alex@contoso.example"},
            ],
            "apps": [{
                "clientId": CONFIDENTIAL,
                "secrets": [SECRET],
                "delegatedScopes": [SCOPE],
                "redirectUris": [WEB_REDIRECT],
            }],
        })
        .to_string(),
    )
    .unwrap();
    let graph = Emulator::builder().seed(seed).start().await.unwrap();
    let http = browser();
    let params = with(
        &with(
            &with(&sign_in_params(CONFIDENTIAL), "redirect_uri", WEB_REDIRECT),
            "login_hint",
            "ALEX@contoso.example",
        ),
        "scope",
        SCOPE,
    );
    let page = get_authorize(&http, &graph, &params).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!(r#"<option value="{USER2}" selected>"#)),
        "{html}"
    );
    assert!(html.contains(&format!(r#"<option value="{USER}">"#)));
    // Not registered: the page refuses, whatever the app's other URIs.
    let elsewhere = get_authorize(
        &http,
        &graph,
        &with(&params, "redirect_uri", "https://owner-sync.example/other"),
    )
    .await;
    assert_eq!(elsewhere.status(), 400);
    assert!(elsewhere.text().await.unwrap().contains("AADSTS50011"));
}
