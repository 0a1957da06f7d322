//! Throttling like Microsoft Entra: the buckets, costs and headers of the model, over HTTP.
//!
//! Tests that fill a bucket run on a slow clock (`time_scale` well below 1), so that nothing
//! drains while they run; the one that waits for a refill runs on a fast one.

use std::time::Duration;

use graph_emulator::{
    CostTable, Emulator, Fault, OPAQUE_TOKEN_APP_ID, TenantSize, Throttling, token,
};
use reqwest::Response;
use serde_json::json;

use crate::common::*;

const APPLICATIONS: &str = include_str!("../fixtures/applications-odata-kinds.yaml");
const LIMITED_MODE_PATH: &str = "copilot/admin/settings/limitedMode";

/// A slow clock: a thousand real seconds per model second.
const FROZEN: f64 = 0.001;

async fn start(throttling: Throttling) -> Emulator {
    Emulator::builder()
        .seed(tenant())
        .throttling(throttling)
        .start()
        .await
        .unwrap()
}

/// A delegated token of application `app` in tenant `tenant`, allowed the slice's operations.
fn app_token(app: &str, tenant: &str) -> String {
    token::unsigned_jwt(&json!({
        "aud": "https://graph.microsoft.com",
        "tid": tenant,
        "appid": app,
        "scp": "CopilotSettings-LimitedMode.ReadWrite AgentIdentity.ReadWrite.All",
    }))
}

/// The embedded defaults, with these exceptions (YAML flow mappings).
fn costs(entries: &[&str]) -> CostTable {
    let yaml = format!(
        "default: {{read: 1, write: 1, writes: 1}}\npaths:\n{}",
        entries
            .iter()
            .map(|e| format!("  - {e}\n"))
            .collect::<String>()
    );
    CostTable::from_yaml(&yaml).unwrap()
}

async fn get_limited_mode(graph: &Emulator, token: &str, priority: Option<&str>) -> Response {
    let mut request = client().get(limited_mode_url(graph)).bearer_auth(token);
    if let Some(priority) = priority {
        request = request.header("x-ms-throttle-priority", priority);
    }
    request.send().await.unwrap()
}

async fn patch_limited_mode_as(graph: &Emulator, token: &str, enabled: bool) -> Response {
    client()
        .patch(limited_mode_url(graph))
        .bearer_auth(token)
        .json(&json!({"isEnabledForGroup": enabled, "groupId": GROUP}))
        .send()
        .await
        .unwrap()
}

fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

fn number(response: &Response, name: &str) -> f64 {
    header(response, name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", response.headers()))
        .parse()
        .unwrap()
}

/// Asserts Graph's 429 and returns its `Retry-After` in seconds.
async fn expect_throttled(response: Response, scope: &str, information: &str) -> f64 {
    assert_eq!(response.status(), 429, "{:?}", response.headers());
    assert_eq!(header(&response, "x-ms-throttle-scope"), Some(scope));
    assert_eq!(
        header(&response, "x-ms-throttle-information"),
        Some(information)
    );
    let retry_after = header(&response, "retry-after").unwrap().to_owned();
    assert!(number(&response, "x-ms-resource-unit") >= 1.0);
    assert!(number(&response, "x-ms-throttle-limit-percentage") >= 1.0);
    let message = expect_error(response, 429, "TooManyRequests").await;
    assert_eq!(message, "Please retry again later.");
    let seconds: f64 = retry_after.parse().unwrap();
    assert!(seconds >= 0.001, "{retry_after}");
    // At most three decimals.
    assert!(
        retry_after
            .split_once('.')
            .is_none_or(|(_, d)| d.len() <= 3),
        "{retry_after}"
    );
    seconds
}

#[tokio::test]
async fn every_graph_answer_carries_its_resource_units() {
    let graph = start(Throttling::entra(TenantSize::Small)).await;
    let response = get_limited_mode(&graph, "t", None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-ms-resource-unit"), Some("1"));
    assert_eq!(header(&response, "x-ms-throttle-limit-percentage"), None);
    let response = patch_limited_mode_as(&graph, "t", true).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-ms-resource-unit"), Some("1"));
    // Errors too: an unknown segment, a missing token, a scripted fault.
    let unknown = client()
        .get(format!("{}/nothing", graph.base_url()))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    assert_eq!(header(&unknown, "x-ms-resource-unit"), Some("1"));
    let anonymous = client().get(limited_mode_url(&graph)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(header(&anonymous, "x-ms-resource-unit"), Some("1"));
    // The rate-based and scripted faults stay, for chaos tests.
    graph.faults().on(LIMITED_MODE).once(Fault::Throttle {
        retry_after_secs: 2,
    });
    let faulted = patch_limited_mode_as(&graph, "t", false).await;
    assert_eq!(faulted.status(), 429);
    assert_eq!(header(&faulted, "retry-after"), Some("2"));
    assert_eq!(header(&faulted, "x-ms-resource-unit"), Some("1"));
    // The identity provider is not Graph.
    let discovery = client()
        .get(format!(
            "{}/{}/v2.0/.well-known/openid-configuration",
            graph.authority_host(),
            graph_emulator::EMULATOR_TENANT
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(discovery.status(), 200);
    assert_eq!(header(&discovery, "x-ms-resource-unit"), None);

    // Off by default: no headers.
    let plain = seeded().await;
    let response = get_limited_mode(&plain, "t", None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-ms-resource-unit"), None);
}

#[tokio::test]
async fn documented_costs_follow_path_and_query_options() {
    let graph = Emulator::builder()
        .spec_yaml(APPLICATIONS)
        .seed(tenant())
        .throttling(Throttling::entra(TenantSize::Small))
        .start()
        .await
        .unwrap();
    let cost = async |query: &str| {
        let response = client()
            .get(format!("{}/applications{query}", graph.base_url()))
            .bearer_auth("t")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{query}");
        number(&response, "x-ms-resource-unit")
    };
    // `GET applications` costs 2; `$top` under 20 takes one off, never below 1.
    assert_eq!(cost("").await, 2.0);
    assert_eq!(cost("?$top=5").await, 1.0);
    assert_eq!(cost("?$top=50").await, 2.0);
    assert_eq!(cost("?$top=5&$filter=displayName%20eq%20'x'").await, 1.0);
}

#[tokio::test]
async fn over_80_percent_the_answer_says_so_and_over_the_limit_it_is_a_429() {
    let app = "a0000000-0000-4000-8000-000000000001";
    let tenant_id = "70000000-0000-4000-8000-000000000001";
    let graph = start(
        Throttling::entra(TenantSize::Small)
            .time_scale(FROZEN)
            .costs(costs(&[&format!(
                "{{method: GET, path: {LIMITED_MODE_PATH}, cost: 1000}}"
            )])),
    )
    .await;
    let token = app_token(app, tenant_id);
    for expected_share in [None, None, Some(3000.0 / 3500.0)] {
        let response = get_limited_mode(&graph, &token, None).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-ms-resource-unit"), Some("1000"));
        let share =
            header(&response, "x-ms-throttle-limit-percentage").map(|s| s.parse::<f64>().unwrap());
        match (share, expected_share) {
            (None, None) => {}
            (Some(share), Some(expected)) => assert!((share - expected).abs() < 0.001),
            other => panic!("{other:?}"),
        }
    }
    let response = get_limited_mode(&graph, &token, None).await;
    let share = number(&response, "x-ms-throttle-limit-percentage");
    assert!((share - 4000.0 / 3500.0).abs() < 0.001, "{share}");
    let retry_after = expect_throttled(
        response,
        &format!("Tenant_Application/ReadWrite/{app}/{tenant_id}"),
        "ResourceUnitLimitExceeded",
    )
    .await;
    // 500 RU at 350 RU per model second, on a clock 1000 times slower, plus up to 5 % jitter.
    let exact = 500.0 / 350.0 / FROZEN;
    assert!(
        (exact - 1.0..=exact * 1.05 + 1.0).contains(&retry_after),
        "{retry_after}"
    );
    // An opaque token is charged to the fixed application, in the emulator's tenant: its own
    // bucket, still empty.
    let response = get_limited_mode(&graph, "t", None).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn the_write_quota_refuses_the_3001st_write_before_it_runs() {
    let app = "a0000000-0000-4000-8000-000000000002";
    let tenant_id = "70000000-0000-4000-8000-000000000002";
    let graph = start(Throttling::entra(TenantSize::Large).time_scale(FROZEN / 1000.0)).await;
    let token = app_token(app, tenant_id);
    // One client for all (a new client per request costs more than the request).
    let http = client();
    for n in 1..=3000 {
        let response = http
            .patch(limited_mode_url(&graph))
            .bearer_auth(&token)
            .json(&json!({"isEnabledForGroup": n % 2 == 0, "groupId": GROUP}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "write {n}");
        let share = header(&response, "x-ms-throttle-limit-percentage");
        // Over 80 % of the write quota (2,400 of 3,000), the answers say so.
        assert_eq!(share.is_some(), n > 2400, "write {n}: {share:?}");
    }
    assert_eq!(graph.state().limited_mode.is_enabled_for_group, Some(true));
    let refused = patch_limited_mode_as(&graph, &token, false).await;
    expect_throttled(
        refused,
        &format!("Tenant_Application/Write/{app}/{tenant_id}"),
        "WriteLimitExceeded",
    )
    .await;
    // Not executed.
    assert_eq!(graph.state().limited_mode.is_enabled_for_group, Some(true));
    // Reads spend resource units, of which 3,000 of 8,000 are used: still served.
    assert_eq!(get_limited_mode(&graph, &token, None).await.status(), 200);
    let log = graph.requests();
    assert_eq!(log.len(), 3002);
    assert_eq!(log[3000].status, Some(429));
}

#[tokio::test]
async fn a_throttled_request_is_served_after_its_retry_after() {
    let graph = start(
        Throttling::entra(TenantSize::Small)
            .time_scale(10.0)
            .costs(costs(&[&format!(
                "{{method: GET, path: {LIMITED_MODE_PATH}, cost: 3500}}"
            )])),
    )
    .await;
    assert_eq!(get_limited_mode(&graph, "t", None).await.status(), 200);
    // The next one is refused unless a whole (scaled) second passed since; a loaded machine
    // gets a few tries.
    let mut refused = get_limited_mode(&graph, "t", None).await;
    for _ in 0..4 {
        if refused.status() == 429 {
            break;
        }
        refused = get_limited_mode(&graph, "t", None).await;
    }
    let retry_after = expect_throttled(
        refused,
        &format!(
            "Tenant_Application/ReadWrite/{OPAQUE_TOKEN_APP_ID}/{}",
            graph_emulator::EMULATOR_TENANT
        ),
        "ResourceUnitLimitExceeded",
    )
    .await;
    // The whole bucket drains in 10 s of model time: at most a second at a 10x clock.
    assert!(retry_after <= 1.05, "{retry_after}");
    tokio::time::sleep(Duration::from_secs_f64(retry_after)).await;
    assert_eq!(get_limited_mode(&graph, "t", None).await.status(), 200);
}

#[tokio::test]
async fn low_priority_requests_are_throttled_first() {
    let graph = start(
        Throttling::entra(TenantSize::Small)
            .time_scale(FROZEN)
            .costs(costs(&[&format!(
                "{{method: GET, path: {LIMITED_MODE_PATH}, cost: 1000}}"
            )])),
    )
    .await;
    assert_eq!(
        get_limited_mode(&graph, "t", Some("low")).await.status(),
        200
    );
    assert_eq!(
        get_limited_mode(&graph, "t", Some("normal")).await.status(),
        200
    );
    // 2,000 of 3,500 used: a low-priority request must leave 20 % (700) free, so it waits…
    let low = get_limited_mode(&graph, "t", Some("Low")).await;
    assert_eq!(low.status(), 429);
    // … while a normal one still fits, the limit unchanged.
    assert_eq!(get_limited_mode(&graph, "t", None).await.status(), 200);
    // High priority buys nothing over normal: 3,000 + 1,000 is over 3,500.
    assert_eq!(
        get_limited_mode(&graph, "t", Some("high")).await.status(),
        429
    );
}

#[tokio::test]
async fn limits_apply_per_app_and_tenant_per_tenant_and_per_app() {
    // Each PATCH spends 1,000 writes: 3 per app and tenant, 18 per tenant, 70 per app.
    let graph = start(
        Throttling::entra(TenantSize::Small)
            .time_scale(FROZEN)
            .costs(costs(&[
                &format!("{{method: PATCH, path: {LIMITED_MODE_PATH}, cost: 1, writes: 1000}}"),
                &format!("{{method: GET, path: {LIMITED_MODE_PATH}, cost: 3500}}"),
            ])),
    )
    .await;
    let ok = async |app: &str, tenant: &str| {
        let response = patch_limited_mode_as(&graph, &app_token(app, tenant), true).await;
        assert_eq!(response.status(), 200, "{app} in {tenant}");
    };
    let refused = async |app: &str, tenant: &str, scope: &str| {
        let response = patch_limited_mode_as(&graph, &app_token(app, tenant), true).await;
        expect_throttled(response, scope, "WriteLimitExceeded").await;
    };

    // Application + tenant.
    for _ in 0..3 {
        ok("app-a", "tenant-1").await;
    }
    refused(
        "app-a",
        "tenant-1",
        "Tenant_Application/Write/app-a/tenant-1",
    )
    .await;
    ok("app-b", "tenant-1").await;
    ok("app-a", "tenant-2").await;

    // Tenant: 18,000 writes over all apps.
    for app in 0..6 {
        for _ in 0..3 {
            ok(&format!("app-{app}"), "tenant-3").await;
        }
    }
    refused("app-6", "tenant-3", "Tenant/Write/app-6/tenant-3").await;

    // Application: 70,000 writes over all tenants.
    for tenant in 0..23 {
        for _ in 0..3 {
            ok("app-z", &format!("tenant-z{tenant}")).await;
        }
    }
    ok("app-z", "tenant-z23").await;
    refused("app-z", "tenant-z24", "Application/Write/app-z/tenant-z24").await;

    // Resource units per application: 150,000 over all tenants, 3,500 per GET here.
    for tenant in 0..42 {
        let token = app_token("app-r", &format!("tenant-r{tenant}"));
        assert_eq!(get_limited_mode(&graph, &token, None).await.status(), 200);
    }
    let response = get_limited_mode(&graph, &app_token("app-r", "tenant-r42"), None).await;
    expect_throttled(
        response,
        "Application/ReadWrite/app-r/tenant-r42",
        "ResourceUnitLimitExceeded",
    )
    .await;
}

#[tokio::test]
async fn a_cost_table_replaces_the_documented_one() {
    let graph = start(
        Throttling::entra(TenantSize::Medium).costs(costs(&[&format!(
            "{{method: GET, path: '{}', cost: 7}}",
            "copilot/{x}/settings/limitedMode"
        )])),
    )
    .await;
    let response = get_limited_mode(&graph, "t", None).await;
    assert_eq!(header(&response, "x-ms-resource-unit"), Some("7"));
    let response = client()
        .get(format!(
            "{}?$select=isEnabledForGroup",
            limited_mode_url(&graph)
        ))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    // No query adjustments in this table.
    assert_eq!(header(&response, "x-ms-resource-unit"), Some("7"));
    assert!(CostTable::from_yaml("default: {read: -1, write: 1, writes: 1}").is_err());
}

#[cfg(unix)]
#[tokio::test]
async fn the_binary_takes_a_throttling_flag() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let output = Command::new(env!("CARGO_BIN_EXE_graph-emulator"))
        .args(["--throttling", "huge"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid throttling"));

    let mut child = Command::new(env!("CARGO_BIN_EXE_graph-emulator"))
        .args(["--port", "0", "--throttling", "small:10"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let base_url = line
        .trim()
        .strip_prefix("graph-emulator listening on ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_owned();
    let response = client()
        .get(format!("{base_url}/{LIMITED_MODE_PATH}"))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-ms-resource-unit"), Some("1"));
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
}

#[tokio::test]
async fn concurrent_writes_never_overrun_the_quota() {
    // 100 writes a PATCH: the quota of 3,000 takes exactly 30 of 64 sent at once.
    let graph = start(
        Throttling::entra(TenantSize::Small)
            .time_scale(FROZEN / 1000.0)
            .costs(costs(&[&format!(
                "{{method: PATCH, path: {LIMITED_MODE_PATH}, cost: 1, writes: 100}}"
            )])),
    )
    .await;
    let http = client();
    let url = limited_mode_url(&graph);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let (http, url) = (http.clone(), url.clone());
        tasks.spawn(async move {
            http.patch(url)
                .bearer_auth("t")
                .json(&json!({"isEnabledForGroup": true, "groupId": GROUP}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let mut statuses = tasks.join_all().await;
    statuses.sort_unstable();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 30);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 34);
}
