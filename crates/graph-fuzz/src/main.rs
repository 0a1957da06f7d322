//! `graph-fuzz [--seconds N] [--executions N] [--seed N] [--list] [TARGET ...]`: fuzzes every
//! target (or the ones named) for N seconds each (default 10), prints executions, corpus size and
//! outcomes per target, writes each finding's input to `target/fuzz-findings/`, and exits 1 when
//! there was any.

use std::process::ExitCode;
use std::time::Duration;

use graph_fuzz::engine::{Budget, fuzz};
use graph_fuzz::targets;

const USAGE: &str =
    "usage: graph-fuzz [--seconds N] [--executions N] [--seed N] [--list] [TARGET ...]";

fn main() -> ExitCode {
    let mut seconds = 10_u64;
    let mut executions = u64::MAX;
    let mut seed = 1_u64;
    let mut names = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |flag: &str| -> Option<u64> {
            let value = args.next().and_then(|v| v.parse().ok());
            if value.is_none() {
                eprintln!("{flag} needs a number\n{USAGE}");
            }
            value
        };
        match arg.as_str() {
            "--seconds" => match number("--seconds") {
                Some(v) => seconds = v,
                None => return ExitCode::from(2),
            },
            "--executions" => match number("--executions") {
                Some(v) => executions = v,
                None => return ExitCode::from(2),
            },
            "--seed" => match number("--seed") {
                Some(v) => seed = v,
                None => return ExitCode::from(2),
            },
            "--list" => {
                for t in targets::all() {
                    println!("{:<14} {}", t.name, t.about);
                }
                return ExitCode::SUCCESS;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            name => names.push(name.to_owned()),
        }
    }
    let all = targets::all();
    if let Some(unknown) = names
        .iter()
        .find(|n| !all.iter().any(|t| t.name == n.as_str()))
    {
        eprintln!("no target {unknown:?}; --list shows them");
        return ExitCode::from(2);
    }
    let budget = Budget {
        executions,
        time: Duration::from_secs(seconds),
    };
    println!(
        "{:<14} {:>12} {:>8} {:>9} {:>8} {:>9}",
        "target", "executions", "corpus", "outcomes", "seconds", "findings"
    );
    let mut found = 0;
    for target in all
        .iter()
        .filter(|t| names.is_empty() || names.iter().any(|n| n == t.name))
    {
        let report = fuzz(target, budget, seed);
        println!(
            "{:<14} {:>12} {:>8} {:>9} {:>8.1} {:>9}",
            report.target,
            report.executions,
            report.corpus,
            report.outcomes,
            report.elapsed.as_secs_f64(),
            report.findings.len()
        );
        for (i, finding) in report.findings.iter().enumerate() {
            found += 1;
            let dir = std::path::Path::new("target/fuzz-findings");
            let path = dir.join(format!("{}-{i}", report.target));
            let saved =
                std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, &finding.input));
            let whereabouts = match saved {
                Ok(()) => format!("input in {}", path.display()),
                Err(e) => format!(
                    "could not save the input to {} ({e}); it is {:?}",
                    path.display(),
                    String::from_utf8_lossy(&finding.input)
                ),
            };
            println!("  {}: {} ({whereabouts})", report.target, finding.message);
        }
    }
    if found == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
