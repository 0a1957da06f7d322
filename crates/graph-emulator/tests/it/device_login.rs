//! The person's side of a device-code sign-in: the `/devicelogin` page, and approving every
//! sign-in up front (`approve_device_codes_as`, the binary's `--approve-as`).

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use graph_emulator::{App, EMULATOR_TENANT, Emulator, Error, Seed};
use reqwest::Client;
use serde_json::Value;

use crate::common::*;
use crate::identity::{Form as _, PUBLIC, apps, claims, poll, post_form, start_device_code};

const SCOPE: &str = "CopilotSettings-LimitedMode.ReadWrite";
/// A display name that is markup.
const MARKUP_NAME: &str = r#"<script>alert("x")</script> & 'Co'"#;

async fn page_provider() -> Emulator {
    let [a, b] = apps();
    Emulator::builder()
        .seed(tenant().user("u-markup", MARKUP_NAME))
        .app(a)
        .app(b)
        .device_code_interval(0)
        .start()
        .await
        .unwrap()
}

/// POSTs the form as a browser does; `(status, content type, page)`.
async fn submit(http: &Client, graph: &Emulator, form: &[(&str, &str)]) -> (u16, String, String) {
    let response = http
        .post(format!("{}/devicelogin", graph.authority_host()))
        .form_pairs(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (status, content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn the_page_approves_a_sign_in_as_the_chosen_user() {
    let graph = page_provider().await;
    let http = client();
    let started = start_device_code(&http, &graph, SCOPE).await;
    let user_code = started["user_code"].as_str().unwrap();
    let verification_uri = started["verification_uri"].as_str().unwrap();
    assert_eq!(
        verification_uri,
        format!("{}/devicelogin", graph.authority_host())
    );

    // The form: the code prefilled from ?otc=, a choice of the seeded users, escaped.
    let page = http
        .get(format!("{verification_uri}?otc={user_code}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(&format!(
        r#"name="code" autocomplete="off" required value="{user_code}""#
    )));
    assert!(html.contains(&format!(
        r#"<option value="{USER}">Adele Vance ({USER})</option>"#
    )));
    assert!(html.contains(&format!(r#"<option value="{USER2}">Alex Wilber"#)));
    assert!(
        html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Co&#39;"),
        "{html}"
    );
    assert!(!html.contains("<script>"), "{html}");

    // Not yet: the client keeps polling.
    let device_code = started["device_code"].as_str().unwrap();
    assert_eq!(
        poll(&http, &graph, device_code).await.1["error"],
        "authorization_pending"
    );
    // Codes are compared as Entra does, ignoring case and surrounding blanks.
    let typed = format!(" {} ", user_code.to_ascii_lowercase());
    let (status, content_type, html) = submit(
        &http,
        &graph,
        &[("code", &typed), ("user", USER2), ("action", "approve")],
    )
    .await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, "text/html; charset=utf-8"),
        "{html}"
    );
    assert!(
        html.contains("You signed in as <strong>Alex Wilber</strong>"),
        "{html}"
    );
    let (status, body) = poll(&http, &graph, device_code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(claims(body["access_token"].as_str().unwrap())["oid"], USER2);
    assert!(graph.identity().pending().is_empty());

    // The same code again: its sign-in has finished.
    let (status, _, html) = submit(
        &http,
        &graph,
        &[("code", user_code), ("user", USER), ("action", "approve")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(html.contains("already used"), "{html}");
}

#[tokio::test]
async fn the_page_says_plainly_what_is_wrong() {
    let graph = page_provider().await;
    let http = client();
    let refused = |status: u16, html: &str, words: &str| {
        assert_eq!(status, 400, "{html}");
        assert!(html.contains(r#"role="alert""#), "{html}");
        assert!(html.contains(words), "{words:?} in {html}");
        // The form is shown again, to try once more.
        assert!(html.contains(r#"<form method="post" action="/devicelogin">"#));
    };

    // A code no sign-in has; markup in it is shown escaped, never as markup.
    let (status, _, html) = submit(
        &http,
        &graph,
        &[
            ("code", "<b>NOPE</b>"),
            ("user", USER),
            ("action", "approve"),
        ],
    )
    .await;
    refused(status, &html, "That code didn&#39;t work");
    assert!(html.contains("value=\"&lt;b&gt;NOPE&lt;/b&gt;\""), "{html}");
    assert!(!html.contains("<b>NOPE"), "{html}");
    let (status, _, html) = submit(&http, &graph, &[("user", USER)]).await;
    refused(status, &html, "Enter the code");

    // An expired sign-in.
    let expired = start_device_code(&http, &graph, SCOPE).await;
    let expired_code = expired["user_code"].as_str().unwrap();
    graph.identity().expire(expired_code).unwrap();
    let (status, _, html) = submit(
        &http,
        &graph,
        &[
            ("code", expired_code),
            ("user", USER),
            ("action", "approve"),
        ],
    )
    .await;
    refused(status, &html, "expired");

    // A user the tenant does not have: the sign-in stays pending.
    let started = start_device_code(&http, &graph, SCOPE).await;
    let user_code = started["user_code"].as_str().unwrap();
    let (status, _, html) = submit(
        &http,
        &graph,
        &[
            ("code", user_code),
            ("user", "nobody"),
            ("action", "approve"),
        ],
    )
    .await;
    refused(status, &html, "Choose one of the tenant");
    assert_eq!(graph.identity().pending().len(), 1);

    // Declining.
    let (status, _, html) =
        submit(&http, &graph, &[("code", user_code), ("action", "decline")]).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("declined"));
    assert_eq!(
        poll(&http, &graph, started["device_code"].as_str().unwrap())
            .await
            .1["error"],
        "authorization_declined"
    );

    // Other methods.
    let put = http
        .put(format!("{}/devicelogin", graph.authority_host()))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 405);
    assert_eq!(put.headers()["allow"], "GET, POST");
}

#[tokio::test]
async fn approve_as_finishes_every_sign_in_at_once() {
    let [_, public] = apps();
    let graph = Emulator::builder()
        .seed(tenant())
        .app(public)
        .approve_device_codes_as(USER)
        .device_code_interval(0)
        .start()
        .await
        .unwrap();
    let http = client();
    for _ in 0..2 {
        let started = start_device_code(&http, &graph, SCOPE).await;
        assert!(graph.identity().pending().is_empty());
        let (status, body) = poll(&http, &graph, started["device_code"].as_str().unwrap()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(claims(body["access_token"].as_str().unwrap())["oid"], USER);
    }
    assert!(matches!(
        Emulator::builder()
            .seed(tenant())
            .approve_device_codes_as("nobody")
            .start()
            .await,
        Err(Error::SignIn(message)) if message.contains("nobody")
    ));
}

fn seed_file() -> std::path::PathBuf {
    let seed = Seed::new()
        .user(USER, "Adele Vance")
        .app(App::public(PUBLIC, &[SCOPE]));
    let json = serde_json::json!({
        "users": [{"id": USER, "displayName": "Adele Vance"}],
        "apps": [{"clientId": PUBLIC, "publicClient": true, "delegatedScopes": [SCOPE]}],
    });
    assert_eq!(Seed::from_json(&json.to_string()).unwrap(), seed);
    let path = std::env::temp_dir().join(format!(
        "graph-emulator-{}-approve-as-seed.json",
        std::process::id()
    ));
    std::fs::write(&path, json.to_string()).unwrap();
    path
}

#[cfg(unix)]
#[tokio::test]
async fn the_binary_approves_as_the_named_user() {
    let path = seed_file();
    let mut child = Command::new(env!("CARGO_BIN_EXE_graph-emulator"))
        .args(["--port", "0", "--approve-as", USER, "--seed"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let banner = tokio::task::spawn_blocking(move || {
        let mut reader = BufReader::new(stdout);
        let mut lines = Vec::new();
        for _ in 0..4 {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            lines.push(line.trim_end().to_owned());
        }
        lines
    })
    .await
    .unwrap();
    let base_url = banner[0]
        .strip_prefix("graph-emulator listening on ")
        .unwrap_or_else(|| panic!("{banner:?}"));
    let host = base_url.strip_suffix("/beta").unwrap();
    assert_eq!(
        banner[2],
        format!(
            "OpenID configuration: {host}/{EMULATOR_TENANT}/v2.0/.well-known/openid-configuration"
        )
    );
    assert_eq!(
        banner[3],
        format!("every device-code and browser sign-in is approved as {USER}")
    );

    let http = client();
    let (status, started) = post_form(
        &http,
        &format!("{host}/{EMULATOR_TENANT}/oauth2/v2.0/devicecode"),
        &[
            ("client_id", PUBLIC),
            ("scope", &format!("{SCOPE} openid profile")),
        ],
    )
    .await;
    assert_eq!(status, 200, "{started}");
    let (status, token): (u16, Value) = post_form(
        &http,
        &format!("{host}/{EMULATOR_TENANT}/oauth2/v2.0/token"),
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", PUBLIC),
            ("device_code", started["device_code"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(claims(token["id_token"].as_str().unwrap())["oid"], USER);

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");

    // A user the seed does not have is refused at start.
    let output = Command::new(env!("CARGO_BIN_EXE_graph-emulator"))
        .args(["--port", "0", "--approve-as", "nobody", "--seed"])
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot approve sign-ins as \"nobody\""),
        "{stderr}"
    );
    let output = Command::new(env!("CARGO_BIN_EXE_graph-emulator"))
        .arg("--approve-as")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--approve-as needs a value"));
}
