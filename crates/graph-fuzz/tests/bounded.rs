//! Every fuzz target for a few seconds (`GRAPH_FUZZ_SECONDS`, default 2) under `cargo test`:
//! zero panics and zero broken properties, or the test fails with the inputs.

use std::time::Duration;

use graph_fuzz::engine::{Budget, fuzz};

#[test]
fn every_target_runs_clean() {
    let seconds: u64 = std::env::var("GRAPH_FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let budget = Budget {
        executions: u64::MAX,
        time: Duration::from_secs(seconds),
    };
    let mut failures = Vec::new();
    for target in graph_fuzz::targets::all() {
        let report = fuzz(&target, budget, 7);
        eprintln!(
            "fuzz {:<14} {:>8} executions, corpus {:>5}, {:>5} outcomes, {} findings",
            report.target,
            report.executions,
            report.corpus,
            report.outcomes,
            report.findings.len()
        );
        assert!(
            report.executions > (target.seeds)().len() as u64,
            "{} ran no mutated input",
            report.target
        );
        for f in report.findings {
            failures.push(format!(
                "{}: {} on input {:?}",
                report.target,
                f.message,
                String::from_utf8_lossy(&f.input)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
