//! Maintainer tasks. Run from anywhere in the workspace:
//!
//! * `cargo xtask codegen` — regenerate `crates/graph-models/src`,
//!   `crates/graph-requests/src` and `specs/graph-beta.lock.json` from
//!   `specs/graph-beta.yaml`.
//! * `cargo xtask codegen --check` — exit 1 and name every stale file when
//!   the committed output is not what the spec generates, when the spec was
//!   edited without regenerating, or when the spec is not what
//!   `specs/slice.yaml` cuts.
//! * `cargo xtask slice` — re-cut `specs/graph-beta.yaml` as
//!   `specs/slice.yaml` says; `--check` only compares.
//! * `cargo xtask slice --from <openapi file> --keep "<METHOD> <path>"|<operationId>
//!   [--keep …] [--overlay <file>]… [--out <file>]` — cut any upstream file
//!   (to stdout without `--out`).
//! * `cargo xtask spec-diff <old.yaml> <new.yaml> [--json] [--fail-on-breaking]`
//!   — what changes for Rust users between two specs.

mod scale_proof;

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage:
  cargo xtask codegen [--check]
  cargo xtask slice [--check]
  cargo xtask slice --from <openapi file> --keep \"<METHOD> <path>\"|<operationId> [--keep …] [--overlay <file>]… [--out <file>]
  cargo xtask spec-diff <old.yaml> <new.yaml> [--json] [--fail-on-breaking]";

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["codegen"] => codegen(false),
        ["codegen", "--check"] => codegen(true),
        ["slice"] => slice_config(false),
        ["slice", "--check"] => slice_config(true),
        ["slice", rest @ ..] => slice_cli(rest),
        ["spec-diff", rest @ ..] => spec_diff(rest),
        ["scale-proof", rest @ ..] => scale_proof::run(rest),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
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
        Ok(drift) if check => {
            let mut failed = false;
            if let Some(note) = codegen::lock::mismatch(&root, codegen::workspace::SPEC) {
                eprintln!("{note}");
                failed = true;
            }
            if !drift.is_empty() {
                eprintln!("generated code is stale; run `cargo xtask codegen`:");
                for d in &drift {
                    eprintln!("  {d}");
                }
                failed = true;
            }
            match slice_drift(&root) {
                Ok(None) => {}
                Ok(Some(note)) => {
                    eprintln!("{note}");
                    failed = true;
                }
                Err(e) => {
                    eprintln!("error: cannot re-cut the slice: {e}");
                    failed = true;
                }
            }
            if failed {
                return ExitCode::FAILURE;
            }
            println!(
                "generated code is up to date with {}",
                codegen::workspace::SPEC
            );
            ExitCode::SUCCESS
        }
        Ok(drift) => {
            if drift.is_empty() {
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

/// When `specs/slice.yaml` exists and re-cutting gives other bytes than the
/// committed output.
fn slice_drift(root: &Path) -> Result<Option<String>, codegen::SpecError> {
    if !root.join(graph_slice::CONFIG).exists() {
        return Ok(None);
    }
    for outcome in graph_slice::run_excerpts(root)? {
        if let graph_slice::ExcerptOutcome::Cut { out, text, .. } = outcome {
            if std::fs::read(root.join(&out)).unwrap_or_default() != text.as_bytes() {
                return Ok(Some(format!(
                    "{out} is not what {} cuts from its source; run `cargo xtask slice` then `cargo xtask codegen`",
                    graph_slice::CONFIG
                )));
            }
        }
    }
    let out = graph_slice::run_config(root)?;
    let committed = std::fs::read(root.join(&out.out)).unwrap_or_default();
    Ok((committed != out.text.as_bytes()).then(|| {
        format!(
            "{} is not what {} cuts from its inputs (edited by hand, or inputs changed); \
             run `cargo xtask slice` then `cargo xtask codegen`",
            out.out,
            graph_slice::CONFIG
        )
    }))
}

/// Cuts (or, with `check`, compares) the committed excerpts whose source is present.
fn excerpts(root: &Path, check: bool) -> Result<bool, String> {
    let mut fresh = true;
    for outcome in graph_slice::run_excerpts(root).map_err(|e| e.to_string())? {
        match outcome {
            graph_slice::ExcerptOutcome::SourceAbsent { out, from } => {
                eprintln!(
                    "{out}: its source {from} is not here; the committed excerpt is used as it is"
                );
            }
            graph_slice::ExcerptOutcome::Cut { out, text, summary } => {
                eprintln!("{out}:\n{summary}");
                let target = root.join(&out);
                if std::fs::read(&target).unwrap_or_default() == text.as_bytes() {
                    println!("{out} is up to date with its source");
                } else if check {
                    eprintln!(
                        "{out} differs from what {} cuts from its source",
                        graph_slice::CONFIG
                    );
                    fresh = false;
                } else {
                    std::fs::write(&target, &text)
                        .map_err(|e| format!("cannot write {out}: {e}"))?;
                    println!("wrote {out}");
                }
            }
        }
    }
    Ok(fresh)
}

fn slice_config(check: bool) -> ExitCode {
    let root = codegen::workspace::root();
    let started = Instant::now();
    match excerpts(&root, check) {
        Ok(true) => {}
        Ok(false) => return ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    let out = match graph_slice::run_config(&root) {
        Ok(out) => out,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("{}", out.summary);
    eprintln!(
        "time: {:.3}s (read+parse {:.3}s, slice+render {:.3}s)",
        started.elapsed().as_secs_f64(),
        out.parse_seconds,
        out.slice_seconds
    );
    let target = root.join(&out.out);
    let committed = std::fs::read(&target).unwrap_or_default();
    if committed == out.text.as_bytes() {
        println!("{} is up to date with {}", out.out, graph_slice::CONFIG);
        return ExitCode::SUCCESS;
    }
    if check {
        eprintln!(
            "{} differs from what {} cuts; run `cargo xtask slice` then `cargo xtask codegen`",
            out.out,
            graph_slice::CONFIG
        );
        return ExitCode::FAILURE;
    }
    if let Err(e) = std::fs::write(&target, &out.text) {
        eprintln!("error: cannot write {}: {e}", out.out);
        return ExitCode::FAILURE;
    }
    println!("wrote {}; now run `cargo xtask codegen`", out.out);
    ExitCode::SUCCESS
}

fn slice_cli(args: &[&str]) -> ExitCode {
    let mut from = None;
    let mut out = None;
    let mut keep = Vec::new();
    let mut overlays = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let slot = match *arg {
            "--from" => &mut from,
            "--out" => &mut out,
            "--keep" | "--overlay" => {
                let Some(value) = it.next() else {
                    eprintln!("error: {arg} needs a value");
                    return usage();
                };
                if *arg == "--keep" {
                    &mut keep
                } else {
                    &mut overlays
                }
                .push((*value).to_owned());
                continue;
            }
            other => {
                eprintln!("error: unexpected argument `{other}`");
                return usage();
            }
        };
        let Some(value) = it.next() else {
            eprintln!("error: {arg} needs a value");
            return usage();
        };
        *slot = Some((*value).to_owned());
    }
    let Some(from) = from else {
        eprintln!(
            "error: --from is required (or run `cargo xtask slice` alone to use {})",
            graph_slice::CONFIG
        );
        return usage();
    };
    if keep.is_empty() {
        eprintln!("error: give at least one --keep selector");
        return usage();
    }
    match run_cli(&from, keep, &overlays, out.as_deref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_cli(
    from: &str,
    keep: Vec<String>,
    overlays: &[String],
    out: Option<&str>,
) -> Result<(), String> {
    let started = Instant::now();
    let text = std::fs::read_to_string(from).map_err(|e| format!("cannot read {from}: {e}"))?;
    let read = started.elapsed();
    let input = graph_slice::parse_yaml(&text, from).map_err(|e| e.to_string())?;
    let parsed = started.elapsed();
    let mut request = graph_slice::Request {
        keep,
        ..Default::default()
    };
    for path in overlays {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        let doc = graph_slice::parse_yaml(&text, path).map_err(|e| e.to_string())?;
        request.overlays.push(graph_slice::Overlay {
            name: path.clone(),
            doc,
        });
    }
    let sliced = graph_slice::slice(&input, &request).map_err(|e| e.to_string())?;
    let cut = started.elapsed();
    let header = format!("# @generated by `cargo xtask slice --from {from}`\n");
    let yaml = graph_slice::render(&sliced.doc, &header).map_err(|e| e.to_string())?;
    match out {
        Some(path) => {
            std::fs::write(path, &yaml).map_err(|e| format!("cannot write {path}: {e}"))?
        }
        None => print!("{yaml}"),
    }
    let total = started.elapsed();
    eprintln!("{}", sliced.summary);
    eprintln!(
        "time: {:.3}s for {} bytes (read {:.3}s, parse {:.3}s, slice {:.3}s, render+write {:.3}s)",
        total.as_secs_f64(),
        text.len(),
        read.as_secs_f64(),
        (parsed - read).as_secs_f64(),
        (cut - parsed).as_secs_f64(),
        (total - cut).as_secs_f64()
    );
    if let Some(path) = out {
        eprintln!("wrote {path} ({} bytes)", yaml.len());
    }
    Ok(())
}

fn spec_diff(args: &[&str]) -> ExitCode {
    let mut json = false;
    let mut fail_on_breaking = false;
    let mut files = Vec::new();
    for arg in args {
        match *arg {
            "--json" => json = true,
            "--fail-on-breaking" => fail_on_breaking = true,
            flag if flag.starts_with("--") => {
                eprintln!("error: unknown flag `{flag}`");
                return usage();
            }
            file => files.push(file),
        }
    }
    let [old, new] = files.as_slice() else {
        eprintln!("error: spec-diff takes exactly two files");
        return usage();
    };
    let read = |p: &str| std::fs::read_to_string(p).map_err(|e| format!("cannot read {p}: {e}"));
    let (old_text, new_text) = match (read(old), read(new)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let report = match codegen::spec_diff::diff_texts(&old_text, &new_text) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if json {
        println!("{}", report.to_json_string());
    } else {
        let text = report.render(old, new);
        print!("{text}");
        if !text.ends_with('\n') {
            println!();
        }
    }
    if fail_on_breaking && report.has_breaking() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
