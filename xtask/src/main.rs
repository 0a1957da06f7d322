//! Maintainer tasks. Run from anywhere in the workspace:
//!
//! * `cargo xtask codegen` — regenerate `crates/graph-models/src`,
//!   `crates/graph-requests/src` and `specs/graph-beta.lock.json` from
//!   `specs/graph-beta.yaml`.
//! * `cargo xtask codegen --check` — exit 1 and name every stale file when
//!   the committed output is not what the spec generates.

use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!("usage: cargo xtask codegen [--check]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["codegen"] => codegen(false),
        ["codegen", "--check"] => codegen(true),
        _ => usage(),
    }
}

fn codegen(check: bool) -> ExitCode {
    let root = codegen::workspace::root();
    let result = if check {
        codegen::workspace::check(&root)
    } else {
        codegen::workspace::write(&root)
    };
    match result {
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
        Ok(drift) if check && !drift.is_empty() => {
            eprintln!("generated code is stale; run `cargo xtask codegen`:");
            for d in &drift {
                eprintln!("  {d}");
            }
            ExitCode::FAILURE
        }
        Ok(drift) => {
            if check {
                println!("generated code is up to date with {}", codegen::workspace::SPEC);
            } else if drift.is_empty() {
                println!("nothing to do: generated code is up to date");
            } else {
                for d in &drift {
                    println!("  {d}");
                }
                println!("updated {} file(s)", drift.len());
            }
            ExitCode::SUCCESS
        }
    }
}
