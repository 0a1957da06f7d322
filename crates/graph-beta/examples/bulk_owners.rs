//! A bulk job at Entra's documented limits: add an owner to 3,500 agent identities, 64 at a
//! time, through one client whose throttle governor (on by default) keeps the job inside the
//! write quota instead of letting every task meet its own 429s.
//!
//! ```text
//! cargo run -p graph-beta --example bulk_owners
//! ```
//!
//! It runs against the embedded emulator throttling like a small Entra tenant (3,000 writes per
//! 150 s per app and tenant), with the clock sped up 50 times so the 500 writes past the quota
//! take about half a second instead of 25 s. Against Graph itself the job is the same; only the
//! client's credential and service root change.

use std::process::ExitCode;
use std::time::Instant;

use futures_util::{StreamExt, stream};
use graph_beta::prelude::*;
use graph_emulator::{Emulator, Seed, TenantSize, Throttling};

const AGENTS: usize = 3_500;
const OWNER: &str = "1511d5e7-c324-4362-ad4b-16c20076e5aa";

fn agent_id(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let seed = (0..AGENTS).fold(Seed::new().user(OWNER, "Adele Vance"), |seed, i| {
        seed.agent_identity(agent_id(i), format!("agent {i}"))
    });
    let graph = Emulator::builder()
        .seed(seed)
        .throttling(Throttling::entra(TenantSize::Small).time_scale(50.0))
        .start()
        .await?;
    let client = Client::builder(StaticToken::new("local-emulator"))
        .service_root(graph.base_url())
        .build()?;
    let owner = ReferenceCreate::directory_object(&client, OWNER)?;

    let started = Instant::now();
    // The job: one owner add per agent identity, 64 in flight. The governor is shared by every
    // clone of the client and every task; nothing else is needed to stay inside the quota.
    let failures: Vec<(String, Error)> = stream::iter((0..AGENTS).map(agent_id))
        .map(|agent| {
            let (client, owner) = (&client, &owner);
            async move {
                let added = client
                    .service_principals()
                    .by_service_principal_id(&agent)
                    .agent_identity()
                    .owners()
                    .ref_()
                    .post(owner)
                    .await;
                added.err().map(|e| (agent, e))
            }
        })
        .buffer_unordered(64)
        .filter_map(|failed| async move { failed })
        .collect()
        .await;

    let throttled = graph
        .requests()
        .iter()
        .filter(|r| r.status == Some(429))
        .count();
    println!(
        "{} owners added in {:.2} s (quota-bound minimum 0.50 s); {} failed; {throttled} of \
         {} requests answered 429 (retried after the governor held the writes)",
        AGENTS - failures.len(),
        started.elapsed().as_secs_f64(),
        failures.len(),
        graph.requests().len(),
    );
    for (agent, e) in &failures {
        eprintln!("{agent}: {e}");
    }
    graph.shutdown().await;
    if failures.is_empty() {
        Ok(())
    } else {
        Err("some adds failed".into())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
