//! A bulk job at Graph's documented limits: `cargo bench -p graph-bench --bench bulk [-- OPTIONS]`.
//!
//! N owner adds (`POST …/agentIdentity/owners/$ref`, one write each) at concurrency 64 against the
//! emulator's Entra throttling model (small tenant, clock sped up `--scale` times): 3,000 writes per
//! 150 s per app and tenant, so beyond the first 3,000 (the bucket's capacity) the service takes
//! one write every 50 ms of its clock. The quota-bound minimum time of the job is therefore
//! `(N − 3,000) × 0.05 s / scale`; nothing can finish faster without being refused.
//!
//! For each mode the run reports the time against that minimum, the requests answered 429, the
//! wasted requests (sent beyond the N that count) and the failures (errors returned to the job):
//!
//! - `governor`: every task sends its own adds through one client whose throttle governor (on by
//!   default) holds the writes after a 429 and paces them at the rate the answers allow;
//! - `no-governor`: the same with the governor off: every task retries on its own (the default
//!   retry policy: 3 retries honouring `Retry-After`), as the official SDKs do;
//! - `batch`: one `$batch` of every add (20 items per request, about `concurrency` items in
//!   flight), throttled items retried in later requests after their own `Retry-After`, each item
//!   admitted by the governor;
//! - `batch-no-governor`: the same with the governor off.
//!
//! Options: `--adds N` (default 10,000), `--scale S` (default 20), `--concurrency C` (64),
//! `--modes a,b` (all), `--reps R` (1; modes interleave per rep). Under `cargo test` it runs a
//! small smoke job (no figures kept).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use graph_beta::ThrottleGovernor;
use graph_beta::prelude::*;
use graph_emulator::{Emulator, Seed, TenantSize, Throttling};

/// Writes an app may make in one tenant before the quota's rate applies (the bucket's capacity).
const WRITE_CAPACITY: usize = 3_000;
/// The quota's rate: 3,000 writes per 150 s.
const WRITE_INTERVAL: Duration = Duration::from_millis(50);

#[derive(Debug, Clone)]
struct Options {
    adds: usize,
    scale: f64,
    concurrency: usize,
    modes: Vec<Mode>,
    reps: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Each task sends its own requests; the client's throttle governor (on by default) holds
    /// and paces them.
    Governor,
    /// Each task retries on its own, with the governor off: the official SDKs' behaviour.
    NoGovernor,
    /// One `$batch` of every add, with the governor.
    Batch,
    /// One `$batch` of every add, with the governor off.
    BatchNoGovernor,
}

impl Mode {
    const ALL: &[Mode] = &[
        Mode::Governor,
        Mode::NoGovernor,
        Mode::Batch,
        Mode::BatchNoGovernor,
    ];

    fn name(self) -> &'static str {
        match self {
            Mode::Governor => "governor",
            Mode::NoGovernor => "no-governor",
            Mode::Batch => "batch",
            Mode::BatchNoGovernor => "batch-no-governor",
        }
    }

    fn parse(text: &str) -> Option<Mode> {
        Mode::ALL.iter().copied().find(|m| m.name() == text)
    }

    fn batched(self) -> bool {
        matches!(self, Mode::Batch | Mode::BatchNoGovernor)
    }

    fn governor(self) -> ThrottleGovernor {
        match self {
            Mode::Governor | Mode::Batch => ThrottleGovernor::default(),
            Mode::NoGovernor | Mode::BatchNoGovernor => ThrottleGovernor::off(),
        }
    }
}

/// What one run came to.
#[derive(Debug)]
struct Outcome {
    elapsed: Duration,
    requests: usize,
    throttled: usize,
    failures: usize,
    state_ok: bool,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        adds: 10_000,
        scale: 20.0,
        concurrency: 64,
        modes: Mode::ALL.to_vec(),
        reps: 1,
    };
    let mut args = args.iter().filter(|a| *a != "--bench");
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--adds" => {
                options.adds = value("--adds")?
                    .parse()
                    .map_err(|e| format!("--adds: {e}"))?
            }
            "--scale" => {
                options.scale = value("--scale")?
                    .parse()
                    .map_err(|e| format!("--scale: {e}"))?
            }
            "--concurrency" => {
                options.concurrency = value("--concurrency")?
                    .parse()
                    .map_err(|e| format!("--concurrency: {e}"))?
            }
            "--reps" => {
                options.reps = value("--reps")?
                    .parse()
                    .map_err(|e| format!("--reps: {e}"))?
            }
            "--modes" => {
                options.modes = value("--modes")?
                    .split(',')
                    .map(|m| Mode::parse(m).ok_or_else(|| format!("unknown mode {m}")))
                    .collect::<Result<_, _>>()?
            }
            "--help" | "-h" => {
                return Err(format!(
                    "options: --adds N --scale S --concurrency C --reps R --modes {}",
                    Mode::ALL
                        .iter()
                        .map(|m| m.name())
                        .collect::<Vec<_>>()
                        .join(",")
                ));
            }
            other if other.starts_with('-') => return Err(format!("unknown option {other}")),
            _ => {} // a test-harness filter
        }
    }
    if options.adds == 0 || options.concurrency == 0 || options.scale <= 0.0 {
        return Err("--adds, --concurrency and --scale must be positive".into());
    }
    Ok(options)
}

/// `agents × owners` pairs, enough for `adds`.
fn tenant(adds: usize) -> (Seed, Vec<(String, String)>) {
    let users = 100.min(adds);
    let agents = adds.div_ceil(users);
    let mut seed = Seed::new();
    let user_id = |u: usize| format!("00000000-0000-4000-8000-{u:012}");
    let agent_id = |a: usize| format!("10000000-0000-4000-8000-{a:012}");
    for u in 0..users {
        seed = seed.user(user_id(u), format!("User {u}"));
    }
    for a in 0..agents {
        seed = seed.agent_identity(agent_id(a), format!("Agent {a}"));
    }
    let pairs = (0..adds)
        .map(|i| (agent_id(i / users), user_id(i % users)))
        .collect();
    (seed, pairs)
}

async fn run_once(mode: Mode, options: &Options) -> Result<Outcome, Box<dyn std::error::Error>> {
    let (seed, pairs) = tenant(options.adds);
    let graph = Emulator::builder()
        .seed(seed)
        .throttling(
            Throttling::entra(TenantSize::Small)
                .time_scale(options.scale)
                .seed(7),
        )
        .start()
        .await?;
    let client = Client::builder(StaticToken::new("bulk-job"))
        .service_root(graph.base_url())
        .throttle_governor(mode.governor())
        .build()?;
    let pairs = Arc::new(pairs);
    let next = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    if mode.batched() {
        failures.store(
            batch_add_owners(&client, &pairs, options.concurrency).await?,
            Ordering::Relaxed,
        );
    }
    let mut tasks = tokio::task::JoinSet::new();
    let workers = if mode.batched() {
        0
    } else {
        options.concurrency
    };
    for _ in 0..workers {
        let (client, pairs, next, failures) = (
            client.clone(),
            Arc::clone(&pairs),
            Arc::clone(&next),
            Arc::clone(&failures),
        );
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((agent, owner)) = pairs.get(i) else {
                    break;
                };
                let added = add_owner(&client, agent, owner).await;
                if added.is_err() {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined?;
    }
    let elapsed = started.elapsed();
    let log = graph.requests();
    // Owner adds, one per request or per batch item (the emulator logs each item on its own).
    let writes: Vec<_> = log
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/$ref"))
        .collect();
    let throttled = writes.iter().filter(|r| r.status == Some(429)).count();
    let state = graph.state();
    let added: usize = pairs
        .iter()
        .filter(|(agent, owner)| state.owners_of(agent).contains(owner))
        .count();
    let failures = failures.load(Ordering::Relaxed);
    graph.shutdown().await;
    Ok(Outcome {
        elapsed,
        requests: writes.len(),
        throttled,
        failures,
        state_ok: added + failures == options.adds,
    })
}

async fn add_owner(client: &Client, agent: &str, owner: &str) -> Result<(), Error> {
    client
        .service_principals()
        .by_service_principal_id(agent)
        .agent_identity()
        .owners()
        .ref_()
        .post(&ReferenceCreate::directory_object(client, owner)?)
        .await
}

/// Every add in one `$batch`; returns how many failed.
async fn batch_add_owners(
    client: &Client,
    pairs: &[(String, String)],
    concurrency: usize,
) -> Result<usize, Error> {
    let mut batch = client.batch().concurrency(concurrency.div_ceil(20));
    let mut items = Vec::with_capacity(pairs.len());
    for (agent, owner) in pairs {
        let add = client
            .service_principals()
            .by_service_principal_id(agent)
            .agent_identity()
            .owners()
            .ref_()
            .post(&ReferenceCreate::directory_object(client, owner)?);
        items.push(batch.add(add.into_request())?);
    }
    let results = batch.send().await?;
    Ok(items
        .iter()
        .filter(|item| results.get(item).is_err())
        .count())
}

fn minimum(options: &Options) -> Duration {
    let over = options.adds.saturating_sub(WRITE_CAPACITY) as u32;
    WRITE_INTERVAL
        .checked_mul(over)
        .unwrap_or(Duration::MAX)
        .div_f64(options.scale)
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bench = args.iter().any(|a| a == "--bench");
    let options = if bench {
        parse_options(&args)
    } else {
        // `cargo test`: a smoke run past the bucket's capacity, fast.
        Ok(Options {
            adds: WRITE_CAPACITY + 40,
            scale: 200.0,
            concurrency: 64,
            modes: Mode::ALL.to_vec(),
            reps: 1,
        })
    };
    let options = match options {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let min = minimum(&options);
    println!(
        "bulk: {} owner adds, concurrency {}, small tenant, clock x{}; quota-bound minimum {:.2} s",
        options.adds,
        options.concurrency,
        options.scale,
        min.as_secs_f64()
    );
    println!(
        "| mode | time (s) | time / minimum | requests | 429s | 429 share | wasted | failures |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut ok = true;
    for _ in 0..options.reps {
        for &mode in &options.modes {
            match runtime.block_on(run_once(mode, &options)) {
                Ok(o) => {
                    let wasted = o.requests.saturating_sub(options.adds - o.failures);
                    println!(
                        "| {} | {:.2} | {:.3} | {} | {} | {:.1} % | {} | {} |",
                        mode.name(),
                        o.elapsed.as_secs_f64(),
                        o.elapsed.as_secs_f64() / min.as_secs_f64().max(f64::MIN_POSITIVE),
                        o.requests,
                        o.throttled,
                        100.0 * o.throttled as f64 / o.requests.max(1) as f64,
                        wasted,
                        o.failures
                    );
                    if !o.state_ok {
                        eprintln!("{}: the state does not match the outcomes", mode.name());
                        ok = false;
                    }
                }
                Err(e) => {
                    eprintln!("{}: {e}", mode.name());
                    ok = false;
                }
            }
        }
    }
    if ok {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
