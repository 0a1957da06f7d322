//! Runtime benchmarks: `cargo bench -p graph-bench --bench requests [-- FILTER]`.
//!
//! Every case reports time per call (median and 99th percentile, or the mean of a batch for
//! the sub-microsecond ones) and what the calling thread allocated per call (count and bytes).
//! The round trips go through reqwest to the local Graph emulator on 127.0.0.1; the emulator
//! serves from its own runtime thread, so the allocation figures are the client's alone.
//!
//! - `serialize` / `deserialize`: the limited-mode model to and from JSON.
//! - `patch/sdk`: op 2 through the generated builder (token, headers, path, retry loop, span,
//!   decode), one request at a time.
//! - `patch/reqwest`: the same request written by hand on a bare reqwest client, decoding into
//!   the same model. The difference to `patch/sdk` is what the SDK costs.
//! - `post-ref/error`: op 1 refused with a 400 (the owner already exists): the error path,
//!   parsing Graph's error body into a typed `Error`.
//! - `patch/sdk x32`: 32 requests in flight on one client; time is per request.
//!
//! Under `cargo test` or `cargo nextest run` (no `--bench` argument) every case runs a few
//! times as a smoke test, listed as the one test `smoke`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use graph_bench::{Allocated, CountingAllocator};
use graph_beta::prelude::*;
use graph_beta::runtime::reqwest;
use graph_emulator::{Emulator, Seed};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const TOKEN: &str = "bench-token";
const AGENT: &str = "8f4e7c2a-5d11-4c53-9a7e-0d3b6a1f2e90";
const OWNER: &str = "1511d5e7-c324-4362-ad4b-16c20076e5aa";
const GROUP: &str = "4c563cdf-0efa-44c5-a384-dbf57db277df";
const RESPONSE: &str = r##"{"@odata.context":"https://graph.microsoft.com/beta/$metadata#copilot/admin/settings/limitedMode/$entity","@odata.type":"#microsoft.graph.copilotAdminLimitedMode","id":"limitedMode","groupId":"4c563cdf-0efa-44c5-a384-dbf57db277df","isEnabledForGroup":true}"##;

/// How much each case runs.
#[derive(Debug, Clone, Copy)]
struct Plan {
    warmup: usize,
    round_trips: usize,
    batch: usize,
}

const FULL: Plan = Plan {
    warmup: 200,
    round_trips: 3_000,
    batch: 200_000,
};
/// The name under which a test runner sees the smoke run.
const SMOKE_TEST: &str = "smoke";
const SMOKE: Plan = Plan {
    warmup: 1,
    round_trips: 3,
    batch: 3,
};

fn body() -> CopilotAdminLimitedMode {
    CopilotAdminLimitedMode {
        is_enabled_for_group: true.into(),
        group_id: GROUP.into(),
        ..Default::default()
    }
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn report_allocated(total: Allocated, calls: usize) -> String {
    let calls = calls.max(1) as f64;
    format!(
        "{:.1} allocs / {:.0} B per call",
        total.allocations as f64 / calls,
        total.bytes as f64 / calls
    )
}

/// Runs `f` `batch` times back to back; reports the mean time and allocations per call.
fn batch<T>(name: &str, plan: Plan, mut f: impl FnMut() -> T) {
    for _ in 0..plan.warmup {
        black_box(f());
    }
    let before = Allocated::now();
    let start = Instant::now();
    for _ in 0..plan.batch {
        black_box(f());
    }
    let elapsed = start.elapsed();
    let allocated = Allocated::now().since(before);
    let mean = elapsed.as_secs_f64() / plan.batch.max(1) as f64;
    println!(
        "{name:<20} mean {:>9}                        {}",
        format!("{:.0} ns", mean * 1e9),
        report_allocated(allocated, plan.batch)
    );
}

/// Runs the async `f` one call at a time; reports median and p99 latency and allocations.
fn round_trips<F, Fut>(
    name: &str,
    plan: Plan,
    rt: &tokio::runtime::Runtime,
    graph: &Emulator,
    mut f: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    rt.block_on(async {
        for _ in 0..plan.warmup {
            f().await;
        }
    });
    graph.clear_requests();
    let mut samples = Vec::with_capacity(plan.round_trips);
    let mut allocated = Allocated::default();
    rt.block_on(async {
        for i in 0..plan.round_trips {
            let before = Allocated::now();
            let start = Instant::now();
            f().await;
            samples.push(start.elapsed());
            let during = Allocated::now().since(before);
            allocated.allocations += during.allocations;
            allocated.bytes += during.bytes;
            if i % 500 == 499 {
                // Keep the emulator's request log small (outside the timed part).
                graph.clear_requests();
            }
        }
    });
    samples.sort();
    let median = samples[samples.len() / 2];
    let p99 = samples[(samples.len() * 99 / 100).min(samples.len() - 1)];
    println!(
        "{name:<20} median {:>9}  p99 {:>9}    {}",
        micros(median),
        micros(p99),
        report_allocated(allocated, plan.round_trips)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        // Test runners (cargo-nextest) list tests first: the smoke run is one test.
        if !args.iter().any(|a| a == "--ignored") {
            println!("{SMOKE_TEST}: test");
        }
        return;
    }
    let benching = args.iter().any(|a| a == "--bench");
    let plan = if benching { FULL } else { SMOKE };
    // `cargo bench -- WORD` runs the cases whose name contains WORD. A smoke run ignores its
    // arguments (a test runner's flags and their values are no case names) and runs them all.
    let filter = args
        .iter()
        .find(|a| benching && !a.starts_with("--"))
        .cloned();
    let ran = std::cell::Cell::new(0_usize);
    let wanted = |name: &str| {
        let yes = filter.as_deref().is_none_or(|f| name.contains(f));
        ran.set(ran.get() + usize::from(yes));
        yes
    };

    // The emulator on a runtime of its own (one worker thread); the client on this thread.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("server runtime");
    let graph = server_rt
        .block_on(
            Emulator::builder()
                .seed(
                    Seed::new()
                        .user(OWNER, "Adele Vance")
                        .group(GROUP, "Copilot pilot")
                        .agent_identity(AGENT, "Expense agent"),
                )
                .start(),
        )
        .expect("emulator");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let client = graph_beta::Client::builder(StaticToken::new(TOKEN))
        .service_root(graph.base_url())
        .build()
        .expect("client");

    println!(
        "graph-beta runtime ({} round trips per case after {} warm-up; serde cases: batches of {})",
        plan.round_trips, plan.warmup, plan.batch
    );

    let model = body();
    if wanted("serialize") {
        batch("serialize", plan, || {
            serde_json::to_vec(&model).expect("serialize")
        });
    }
    if wanted("deserialize") {
        batch("deserialize", plan, || {
            serde_json::from_str::<CopilotAdminLimitedMode>(RESPONSE).expect("deserialize")
        });
    }

    if wanted("patch/sdk") {
        let limited_mode = client.copilot().admin().settings().limited_mode();
        round_trips("patch/sdk", plan, &rt, &graph, || async {
            let updated = limited_mode.patch(&model).await.expect("patch");
            black_box(updated);
        });
    }

    if wanted("patch/reqwest") {
        graph_beta::runtime::ensure_crypto_provider().expect("crypto provider");
        let http = reqwest::Client::new();
        let url = format!("{}/copilot/admin/settings/limitedMode", graph.base_url());
        round_trips("patch/reqwest", plan, &rt, &graph, || async {
            let response = http
                .patch(&url)
                .bearer_auth(TOKEN)
                .json(&model)
                .send()
                .await
                .expect("send");
            assert!(response.status().is_success());
            let bytes = response.bytes().await.expect("body");
            let updated: CopilotAdminLimitedMode = serde_json::from_slice(&bytes).expect("decode");
            black_box(updated);
        });
    }

    if wanted("post-ref/error") {
        let owners = client
            .service_principals()
            .by_service_principal_id(AGENT)
            .agent_identity()
            .owners();
        let reference = ReferenceCreate::directory_object(&client, OWNER).expect("reference");
        // The first add succeeds; every later one is Graph's 400 "already exist".
        rt.block_on(owners.ref_().post(&reference).into_future())
            .expect("first add");
        round_trips("post-ref/error", plan, &rt, &graph, || async {
            let err = owners.ref_().post(&reference).await.expect_err("duplicate");
            assert_eq!(err.status(), Some(400), "{err}");
            black_box(err);
        });
    }

    if wanted("patch/sdk x32") {
        const IN_FLIGHT: usize = 32;
        let limited_mode = client.copilot().admin().settings().limited_mode();
        let rounds = plan.round_trips.div_ceil(IN_FLIGHT).max(1);
        let run = || async {
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..IN_FLIGHT {
                let request = limited_mode.patch(&model);
                set.spawn(request.into_future());
            }
            while let Some(done) = set.join_next().await {
                black_box(done.expect("task").expect("patch"));
            }
        };
        rt.block_on(run());
        graph.clear_requests();
        let before = Allocated::now();
        let start = Instant::now();
        for _ in 0..rounds {
            rt.block_on(run());
            graph.clear_requests();
        }
        let per_request = start.elapsed() / (rounds * IN_FLIGHT) as u32;
        let allocated = Allocated::now().since(before);
        println!(
            "{:<20} mean {:>9} per request ({:.0} requests/s)  {}",
            "patch/sdk x32",
            micros(per_request),
            1.0 / per_request.as_secs_f64().max(1e-12),
            report_allocated(allocated, rounds * IN_FLIGHT)
        );
    }

    drop(graph);
    drop(server_rt);
    if ran.get() == 0 {
        eprintln!(
            "no case matches {:?}; cases: serialize, deserialize, patch/sdk, patch/reqwest, \
             post-ref/error, patch/sdk x32",
            filter.unwrap_or_default()
        );
        std::process::exit(2);
    }
}
