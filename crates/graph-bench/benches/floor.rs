//! Per-call cost of the SDK against the same requests written by hand on reqwest:
//! `cargo bench -p graph-bench --bench floor [-- OPTIONS]`.
//!
//! Both clients call a canned server (`graph_bench::canned`: hyper on 127.0.0.1, answering at
//! once with fixed bodies, on a thread and single-threaded runtime of its own); each client runs
//! on this thread's single-threaded runtime, so a call's cost is the client's own. For each of
//! the slice's five operations the hand-written variant ("raw") sends what the SDK sends — the
//! same method, URL, headers (`Accept`, `User-Agent`, `Content-Type`, a `client-request-id`
//! UUID, `Authorization`) and body bytes; the smoke run checks that — and parses the answer into
//! a plain serde struct.
//!
//! Per repetition, interleaved: raw, SDK, raw again (the two raw runs give the noise), each
//! sequentially (one call at a time) and at concurrency 64 (64 tasks on the one thread: CPU
//! bound). Printed per operation and mode: the median over repetitions of SDK/raw throughput
//! and latency (the median call's; for concurrency 64, per call of a task) beside raw/raw, the
//! client thread's CPU per call and its allocations per call.
//!
//! Options:
//! - `--calls N` per run (default 20000), `--reps N` (default 5);
//! - `--only WORD`: the operations whose name contains WORD; `--mode seq|c64`: one mode;
//! - `--variant sdk|raw|models`: that variant alone, no comparison (for a profiler or
//!   `scripts/instructions-per-call.sh`; `models` is the hand-written call decoding into the
//!   SDK's models);
//! - `--models`: the hand-written runs decode into the SDK's models ("raw+models"), so the
//!   ratio is the runtime's cost alone;
//! - `--governor`: the SDK with its throttle governor (on, the default) against the SDK without
//!   it (`ThrottleGovernor::off()`), interleaved off, on, off: "SDK/raw" then reads "on/off"
//!   and "raw/raw" "off/off" (nothing is throttled: the governor's idle cost); with `--swap` the
//!   other way round (on, off, on: "off/on" beside "on/on");
//! - `--poll-all`: the concurrent runs' earlier harness (one future polling all 64 on every
//!   wake-up), for comparison with figures taken with it.
//!
//! Under `cargo test` (no `--bench`) it runs a few calls of everything and checks the two
//! variants' requests are the same.

use std::hint::black_box;
use std::time::{Duration, Instant};

use graph_bench::canned::{CannedGraph, Seen};
use graph_bench::cpu::thread_cpu;
use graph_bench::{Allocated, CountingAllocator};
use graph_beta::prelude::*;
use graph_beta::runtime::reqwest;
use serde::{Deserialize, Serialize};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const TOKEN: &str =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.eyJzY3AiOiJBZ2VudElkZW50aXR5LlJlYWRXcml0ZS5BbGwifQ.";
const AGENT: &str = "8f4e7c2a-5d11-4c53-9a7e-0d3b6a1f2e90";
const OWNER: &str = "1511d5e7-c324-4362-ad4b-16c20076e5aa";
const GROUP: &str = "4c563cdf-0efa-44c5-a384-dbf57db277df";
const CONCURRENCY: usize = 64;

// ----------------------------------------------------------------------------------------
// The hand-written variant
// ----------------------------------------------------------------------------------------

#[derive(Serialize)]
struct RawReference {
    #[serde(rename = "@odata.id")]
    odata_id: String,
}

/// The model's declared members, as a hand-written struct would have them (unknown members and
/// annotations ignored).
#[derive(Serialize, Deserialize)]
struct RawLimitedMode {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(rename = "@odata.type", skip_serializing_if = "Option::is_none")]
    odata_type: Option<String>,
    #[serde(rename = "groupId", skip_serializing_if = "Option::is_none")]
    group_id: Option<String>,
    #[serde(rename = "isEnabledForGroup", skip_serializing_if = "Option::is_none")]
    is_enabled_for_group: Option<bool>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct RawOwner {
    #[serde(rename = "@odata.type")]
    odata_type: Option<String>,
    id: Option<String>,
    #[serde(rename = "displayName")]
    display_name: Option<String>,
    #[serde(rename = "userPrincipalName")]
    user_principal_name: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct RawPage {
    value: Vec<RawOwner>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

/// Hand-written reqwest calls with the SDK's wire. With `models`, the answers are decoded into
/// the SDK's own models (typed owners, unknown members kept) instead of the plain structs: the
/// difference to the SDK is then the runtime's alone.
struct Raw {
    http: reqwest::Client,
    base: String,
    owners: String,
    limited_mode: String,
    models: bool,
}

/// A page of the SDK's typed owners, for `Raw` with `models`.
#[derive(Deserialize)]
#[allow(dead_code)]
struct ModelPage {
    value: Vec<AnyDirectoryObject>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

impl Raw {
    fn new(base: &str, models: bool) -> Self {
        graph_beta::runtime::ensure_crypto_provider().expect("crypto provider");
        // Configured as the SDK configures its own client.
        let http = reqwest::Client::builder()
            .connect_timeout(graph_beta::runtime::DEFAULT_CONNECT_TIMEOUT)
            .timeout(graph_beta::runtime::DEFAULT_TIMEOUT)
            .build()
            .expect("reqwest client");
        Self {
            http,
            base: base.to_owned(),
            owners: format!(
                "{base}/servicePrincipals/{AGENT}/microsoft.graph.agentIdentity/owners"
            ),
            limited_mode: format!("{base}/copilot/admin/settings/limitedMode"),
            models,
        }
    }

    fn request(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> reqwest::RequestBuilder {
        let mut builder = self
            .http
            .request(method, url)
            .header("accept", "application/json")
            .header("user-agent", graph_beta::runtime::USER_AGENT);
        if body.is_some() {
            builder = builder.header("content-type", "application/json");
        }
        builder = builder
            .header("client-request-id", uuid::Uuid::new_v4().to_string())
            .header("authorization", format!("Bearer {TOKEN}"));
        match body {
            Some(body) => builder.body(body),
            None => builder,
        }
    }

    fn decode_limited_mode(&self, body: &[u8]) {
        if self.models {
            black_box(serde_json::from_slice::<CopilotAdminLimitedMode>(body).expect("decode"));
        } else {
            black_box(serde_json::from_slice::<RawLimitedMode>(body).expect("decode"));
        }
    }

    async fn call(&self, op: Op) {
        match op {
            Op::AddOwner => {
                let reference = RawReference {
                    odata_id: format!("{}/directoryObjects/{OWNER}", self.base),
                };
                let body = serde_json::to_vec(&reference).expect("serialize");
                let response = self
                    .request(
                        reqwest::Method::POST,
                        &format!("{}/$ref", self.owners),
                        Some(body),
                    )
                    .send()
                    .await
                    .expect("send");
                assert_eq!(response.status(), 204);
                black_box(response.bytes().await.expect("body"));
            }
            Op::RemoveOwner => {
                let url = format!("{}/{OWNER}/$ref", self.owners);
                let response = self
                    .request(reqwest::Method::DELETE, &url, None)
                    .send()
                    .await
                    .expect("send");
                assert_eq!(response.status(), 204);
                black_box(response.bytes().await.expect("body"));
            }
            Op::ListOwners => {
                let response = self
                    .request(reqwest::Method::GET, &self.owners, None)
                    .send()
                    .await
                    .expect("send");
                assert!(response.status().is_success());
                let body = response.bytes().await.expect("body");
                if self.models {
                    let page: ModelPage = serde_json::from_slice(&body).expect("decode");
                    assert_eq!(page.value.len(), 3);
                    black_box(page);
                } else {
                    let page: RawPage = serde_json::from_slice(&body).expect("decode");
                    assert_eq!(page.value.len(), 3);
                    black_box(page);
                }
            }
            Op::GetLimitedMode => {
                let response = self
                    .request(reqwest::Method::GET, &self.limited_mode, None)
                    .send()
                    .await
                    .expect("send");
                assert!(response.status().is_success());
                self.decode_limited_mode(&response.bytes().await.expect("body"));
            }
            Op::PatchLimitedMode => {
                let body = serde_json::to_vec(&RawLimitedMode {
                    id: None,
                    odata_type: None,
                    group_id: Some(GROUP.to_owned()),
                    is_enabled_for_group: Some(true),
                })
                .expect("serialize");
                let response = self
                    .request(reqwest::Method::PATCH, &self.limited_mode, Some(body))
                    .send()
                    .await
                    .expect("send");
                assert!(response.status().is_success());
                self.decode_limited_mode(&response.bytes().await.expect("body"));
            }
        }
    }
}

// ----------------------------------------------------------------------------------------
// The SDK variant
// ----------------------------------------------------------------------------------------

struct Sdk {
    client: Client,
}

impl Sdk {
    async fn call(&self, op: Op) {
        let owners = self
            .client
            .service_principals()
            .by_service_principal_id(AGENT)
            .agent_identity()
            .owners();
        let limited_mode = self.client.copilot().admin().settings().limited_mode();
        match op {
            Op::AddOwner => {
                let reference =
                    ReferenceCreate::directory_object(&self.client, OWNER).expect("reference");
                owners.ref_().post(&reference).await.expect("add owner");
            }
            Op::RemoveOwner => owners
                .by_directory_object_id(OWNER)
                .ref_()
                .delete()
                .await
                .expect("remove owner"),
            Op::ListOwners => {
                let page = owners.get().await.expect("list owners");
                assert_eq!(page.items.len(), 3);
                black_box(page);
            }
            Op::GetLimitedMode => {
                black_box(limited_mode.get().await.expect("get limited mode"));
            }
            Op::PatchLimitedMode => {
                let body = CopilotAdminLimitedMode {
                    is_enabled_for_group: true.into(),
                    group_id: GROUP.into(),
                    ..Default::default()
                };
                black_box(limited_mode.patch(&body).await.expect("patch limited mode"));
            }
        }
    }
}

// ----------------------------------------------------------------------------------------
// Measuring
// ----------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    AddOwner,
    RemoveOwner,
    ListOwners,
    GetLimitedMode,
    PatchLimitedMode,
}

const OPS: [Op; 5] = [
    Op::AddOwner,
    Op::RemoveOwner,
    Op::ListOwners,
    Op::GetLimitedMode,
    Op::PatchLimitedMode,
];

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::AddOwner => "add-owner",
            Op::RemoveOwner => "remove-owner",
            Op::ListOwners => "list-owners",
            Op::GetLimitedMode => "get-limited-mode",
            Op::PatchLimitedMode => "patch-limited-mode",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Sequential,
    Concurrent,
}

#[derive(Clone, Copy)]
enum Variant<'a> {
    Raw(&'a Raw),
    Sdk(&'a Sdk),
}

impl Variant<'_> {
    async fn call(self, op: Op) {
        match self {
            Variant::Raw(raw) => raw.call(op).await,
            Variant::Sdk(sdk) => sdk.call(op).await,
        }
    }
}

/// One run's figures.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// Calls per second.
    throughput: f64,
    /// The median call's latency.
    latency: Duration,
    /// Client-thread CPU per call.
    cpu: Option<Duration>,
    allocations: f64,
    bytes: f64,
}

fn run(
    rt: &tokio::runtime::Runtime,
    variant: Variant<'static>,
    op: Op,
    mode: Mode,
    calls: usize,
    poll_all: bool,
) -> Run {
    // Warm up: connections open, caches filled.
    rt.block_on(async {
        for _ in 0..(calls / 20).clamp(1, 200) {
            variant.call(op).await;
        }
    });
    let cpu_before = thread_cpu();
    let allocated_before = Allocated::now();
    let start = Instant::now();
    let mut latencies = rt.block_on(async {
        match mode {
            Mode::Sequential => {
                let mut latencies = Vec::with_capacity(calls);
                for _ in 0..calls {
                    let t = Instant::now();
                    variant.call(op).await;
                    latencies.push(t.elapsed());
                }
                latencies
            }
            Mode::Concurrent => {
                // 64 tasks on this one thread (spawned on its runtime), sharing the calls; each
                // call's latency is what its task waited. With `--poll-all`, the 64 futures are
                // instead polled by one future that polls every one of them on every wake-up
                // (this benchmark's harness until 2026-12-02: it multiplies the cost of polling
                // a pending call by up to 64, which no tokio program pays).
                let per_task = calls.div_ceil(CONCURRENCY);
                let task = move || async move {
                    let mut latencies = Vec::with_capacity(per_task);
                    for _ in 0..per_task {
                        let t = Instant::now();
                        variant.call(op).await;
                        latencies.push(t.elapsed());
                    }
                    latencies
                };
                if poll_all {
                    futures_join_all((0..CONCURRENCY).map(|_| task()))
                        .await
                        .into_iter()
                        .flatten()
                        .collect()
                } else {
                    let mut set = tokio::task::JoinSet::new();
                    for _ in 0..CONCURRENCY {
                        set.spawn(task());
                    }
                    let mut all = Vec::with_capacity(calls);
                    while let Some(done) = set.join_next().await {
                        all.extend(done.expect("task"));
                    }
                    all
                }
            }
        }
    });
    let elapsed = start.elapsed();
    let allocated = Allocated::now().since(allocated_before);
    let cpu = match (cpu_before, thread_cpu()) {
        (Some(before), Some(after)) => Some((after - before) / latencies.len().max(1) as u32),
        _ => None,
    };
    latencies.sort_unstable();
    let n = latencies.len().max(1) as f64;
    Run {
        throughput: n / elapsed.as_secs_f64(),
        latency: latencies[latencies.len() / 2],
        cpu,
        allocations: allocated.allocations as f64 / n,
        bytes: allocated.bytes as f64 / n,
    }
}

/// Polls every future on this task until all are done (no spawning: everything stays on the
/// calling thread, and the futures may borrow).
async fn futures_join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut pending: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (i, future) in pending.iter_mut().enumerate() {
            if done[i].is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(out) => done[i] = Some(out),
                    std::task::Poll::Pending => all = false,
                }
            }
        }
        if all {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    done.into_iter().flatten().collect()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn spread(values: &[f64]) -> String {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{min:.2}–{max:.2}")
}

/// The two requests must be the same but for the `client-request-id` value (a fresh UUID each).
fn assert_same_wire(op: Op, sdk: &Seen, raw: &Seen) {
    let strip = |seen: &Seen| {
        let mut headers: Vec<(String, String)> = seen
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.clone(),
                    if n == "client-request-id" {
                        "<uuid>".to_owned()
                    } else {
                        v.clone()
                    },
                )
            })
            .collect();
        headers.sort();
        (
            seen.method.clone(),
            seen.path.clone(),
            seen.query.clone(),
            headers,
            seen.body.clone(),
        )
    };
    for seen in [sdk, raw] {
        let id = seen.header("client-request-id").expect("client-request-id");
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    }
    assert_eq!(
        strip(sdk),
        strip(raw),
        "{}: the SDK and the hand-written request differ",
        op.name()
    );
}

struct Options {
    benching: bool,
    calls: usize,
    reps: usize,
    only: Option<String>,
    /// `seq` or `c64`: one mode only.
    mode: Option<String>,
    /// `sdk`, `raw` or `models`: run only that variant, with no comparison (for a profiler).
    variant: Option<String>,
    /// Concurrent runs poll every future on every wake-up instead of spawning tasks.
    poll_all: bool,
    /// The hand-written runs decode into the SDK's models (raw+models), not plain structs.
    models_baseline: bool,
    /// Compare the SDK with its governor against the SDK without it.
    governor: bool,
    /// With `governor`: the other way round (on, off, on), to check the order does not matter.
    swap: bool,
}

fn options() -> Option<Options> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        if !args.iter().any(|a| a == "--ignored") {
            println!("smoke: test");
        }
        return None;
    }
    let benching = args.iter().any(|a| a == "--bench");
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let number = |flag: &str, default: usize| {
        value(flag).map_or(default, |v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{flag} takes a number"))
        })
    };
    Some(Options {
        benching,
        calls: if benching {
            number("--calls", 20_000)
        } else {
            64
        },
        reps: if benching {
            number("--reps", 5).max(1)
        } else {
            1
        },
        only: if benching { value("--only") } else { None },
        mode: if benching { value("--mode") } else { None },
        variant: if benching { value("--variant") } else { None },
        poll_all: args.iter().any(|a| a == "--poll-all"),
        models_baseline: args.iter().any(|a| a == "--models"),
        governor: args.iter().any(|a| a == "--governor"),
        swap: args.iter().any(|a| a == "--swap"),
    })
}

fn main() {
    let Some(options) = options() else { return };
    let server = CannedGraph::start();
    let pinned = graph_bench::cpu::pin_to_cpu(0);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let base = server.base_url();
    // Leaked: the concurrent runs' tasks are spawned, so they hold `'static` references.
    let raw: &'static Raw = Box::leak(Box::new(Raw::new(&base, false)));
    let raw_models: &'static Raw = Box::leak(Box::new(Raw::new(&base, true)));
    let sdk: &'static Sdk = Box::leak(Box::new(Sdk {
        client: Client::builder(StaticToken::new(TOKEN))
            .service_root(&base)
            .build()
            .expect("client"),
    }));

    // The same client without its throttle governor, for `--governor`.
    let sdk_off: &'static Sdk = Box::leak(Box::new(Sdk {
        client: Client::builder(StaticToken::new(TOKEN))
            .service_root(&base)
            .throttle_governor(graph_beta::ThrottleGovernor::off())
            .build()
            .expect("client"),
    }));

    let ops: Vec<Op> = OPS
        .into_iter()
        .filter(|op| {
            options
                .only
                .as_deref()
                .is_none_or(|w| op.name().contains(w))
        })
        .collect();
    assert!(
        !ops.is_empty(),
        "--only matches no operation; operations: {:?}",
        OPS.map(Op::name)
    );

    // The same request on the wire, both ways.
    for &op in &ops {
        server.clear();
        rt.block_on(sdk.call(op));
        let sdk_seen = server.first_requests();
        server.clear();
        rt.block_on(raw.call(op));
        let raw_seen = server.first_requests();
        assert_same_wire(op, &sdk_seen[op.name()], &raw_seen[op.name()]);
    }
    if !options.benching {
        // Every variant, mode and concurrency harness, so none of them can rot.
        for &op in &ops {
            for (mode, poll_all) in [
                (Mode::Sequential, false),
                (Mode::Concurrent, false),
                (Mode::Concurrent, true),
            ] {
                for variant in [
                    Variant::Raw(raw),
                    Variant::Raw(raw_models),
                    Variant::Sdk(sdk),
                    Variant::Sdk(sdk_off),
                ] {
                    run(&rt, variant, op, mode, options.calls, poll_all);
                }
            }
        }
        println!(
            "floor: smoke run passed (the SDK's and the hand-written requests are the same on the wire)"
        );
        return;
    }

    if options.governor {
        println!(
            "throttle governor's idle cost: SDK with the governor (on) vs without (off), interleaved off, on, off; columns SDK/raw read on/off and raw/raw off/off"
        );
    }
    println!(
        "graph-beta per-call cost vs hand-written reqwest{}: {} calls per run, {} repetitions (raw, SDK, raw), canned server on its own thread{}",
        if options.models_baseline {
            " decoding into the SDK's models (raw+models)"
        } else {
            ""
        },
        options.calls,
        options.reps,
        if pinned {
            "; client pinned to CPU 0, server to the last CPU"
        } else {
            ""
        }
    );
    println!(
        "{:<19} {:<6} {:>14} {:>11} {:>14} {:>11} {:>16} {:>16} {:>18}",
        "operation",
        "mode",
        "SDK/raw thrpt",
        "raw/raw",
        "SDK/raw lat",
        "raw/raw",
        "CPU/call SDK|raw",
        "allocs SDK|raw",
        "bytes SDK|raw"
    );
    let modes: Vec<Mode> = [Mode::Sequential, Mode::Concurrent]
        .into_iter()
        .filter(|m| {
            options
                .mode
                .as_deref()
                .is_none_or(|w| w == if *m == Mode::Sequential { "seq" } else { "c64" })
        })
        .collect();
    if let Some(variant) = options.variant.as_deref() {
        for &op in &ops {
            for &mode in &modes {
                let chosen = match variant {
                    "sdk" => Variant::Sdk(sdk),
                    "raw" => Variant::Raw(raw),
                    "models" => Variant::Raw(raw_models),
                    other => panic!("--variant takes sdk, raw or models, not {other:?}"),
                };
                let one = run(
                    &rt,
                    chosen,
                    op,
                    mode,
                    options.calls * options.reps,
                    options.poll_all,
                );
                println!(
                    "{} {variant} {mode:?}: {:.0} calls/s, {:.1} allocs/call",
                    op.name(),
                    one.throughput,
                    one.allocations
                );
            }
        }
        return;
    }
    for &op in &ops {
        for &mode in &modes {
            let baseline = if options.models_baseline {
                raw_models
            } else {
                raw
            };
            let (baseline, tested) = if options.governor && options.swap {
                (Variant::Sdk(sdk), Variant::Sdk(sdk_off))
            } else if options.governor {
                (Variant::Sdk(sdk_off), Variant::Sdk(sdk))
            } else {
                (Variant::Raw(baseline), Variant::Sdk(sdk))
            };
            let mut runs: Vec<(Run, Run, Run)> = Vec::new();
            for _ in 0..options.reps {
                let once = |variant| run(&rt, variant, op, mode, options.calls, options.poll_all);
                let a = once(baseline);
                let s = once(tested);
                let b = once(baseline);
                runs.push((a, s, b));
            }
            // SDK against the mean of the raw runs around it; raw against raw for the noise.
            let thrpt: Vec<f64> = runs
                .iter()
                .map(|(a, s, b)| s.throughput / ((a.throughput + b.throughput) / 2.0))
                .collect();
            let thrpt_noise: Vec<f64> = runs
                .iter()
                .map(|(a, _, b)| b.throughput / a.throughput)
                .collect();
            let lat: Vec<f64> = runs
                .iter()
                .map(|(a, s, b)| {
                    s.latency.as_secs_f64()
                        / ((a.latency.as_secs_f64() + b.latency.as_secs_f64()) / 2.0)
                })
                .collect();
            let lat_noise: Vec<f64> = runs
                .iter()
                .map(|(a, _, b)| b.latency.as_secs_f64() / a.latency.as_secs_f64())
                .collect();
            let cpu = |pick: fn(&(Run, Run, Run)) -> Option<Duration>| {
                let values: Vec<f64> = runs
                    .iter()
                    .filter_map(|r| pick(r).map(|d| d.as_secs_f64() * 1e6))
                    .collect();
                if values.is_empty() {
                    "n/a".to_owned()
                } else {
                    format!("{:.1}", median(values))
                }
            };
            let (_, last_sdk, last_raw) = runs[runs.len() - 1];
            println!(
                "{:<19} {:<6} {:>14} {:>11} {:>14} {:>11} {:>16} {:>16} {:>18}",
                op.name(),
                if mode == Mode::Sequential {
                    "seq"
                } else {
                    "c64"
                },
                format!("{:.3} ({})", median(thrpt.clone()), spread(&thrpt)),
                spread(&thrpt_noise),
                format!("{:.3} ({})", median(lat.clone()), spread(&lat)),
                spread(&lat_noise),
                format!("{} | {} µs", cpu(|r| r.1.cpu), cpu(|r| r.0.cpu)),
                format!("{:.0} | {:.0}", last_sdk.allocations, last_raw.allocations),
                format!("{:.0} | {:.0}", last_sdk.bytes, last_raw.bytes),
            );
        }
    }
}
