//! `cargo xtask scale-proof`: the generator on a real upstream file.
//!
//! Generates the file (default: Microsoft's whole Applications module from
//! `../shared/upstream/`) into a scratch two-crate workspace under
//! `target/scale-proof/`, prints what was generated and what was skipped
//! (with JSON pointers), then runs `cargo check` on it: once with every
//! area and once per `--area` given, timing each. The scratch workspace
//! shares this workspace's `Cargo.lock` and target directory, so only the
//! generated crates are checked from scratch.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

const DEFAULT_SPEC: &str =
    "../shared/upstream/msgraph-sdk-powershell.openApiDocs.beta.Applications.yml";

struct Args {
    spec: PathBuf,
    out: PathBuf,
    areas: Vec<String>,
    check: bool,
}

fn parse(root: &Path, args: &[&str]) -> Result<Args, String> {
    let mut parsed = Args {
        spec: root.join(DEFAULT_SPEC),
        out: root.join("target/scale-proof"),
        areas: Vec::new(),
        check: true,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .map(|v| v.to_string())
                .ok_or_else(|| format!("{arg} needs a value"))
        };
        match *arg {
            "--spec" => parsed.spec = PathBuf::from(value()?),
            "--out" => parsed.out = PathBuf::from(value()?),
            "--area" => parsed.areas.push(value()?),
            "--no-check" => parsed.check = false,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(parsed)
}

fn cargo_check(root: &Path, out: &Path, features: Option<&str>) -> Result<f64, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(out)
        .args([
            "check",
            "--offline",
            "--quiet",
            "-p",
            "scratch-models",
            "-p",
            "scratch-requests",
        ])
        .env("CARGO_TARGET_DIR", root.join("target"));
    if let Some(f) = features {
        cmd.args(["--no-default-features", "--features", f]);
    }
    // Touch the generated crates so each run really checks them.
    for lib in ["models/src/lib.rs", "requests/src/lib.rs"] {
        let path = out.join(lib);
        let text = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let start = Instant::now();
    let status = cmd.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo check failed in {}", out.display()));
    }
    Ok(start.elapsed().as_secs_f64())
}

/// Runs the subcommand.
pub fn run(args: &[&str]) -> ExitCode {
    let root = codegen::workspace::root();
    let args = match parse(&root, args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!(
                "error: {e}\nusage: cargo xtask scale-proof [--spec FILE] [--out DIR] [--area NAME]… [--no-check]"
            );
            return ExitCode::from(2);
        }
    };
    let start = Instant::now();
    let output = match codegen::scratch::generate_scratch(&root, &args.spec, &args.out) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let generate_secs = start.elapsed().as_secs_f64();
    let lines: usize = output
        .files
        .iter()
        .map(|f| f.contents.lines().count())
        .sum();
    let request_lines: usize = output
        .files
        .iter()
        .filter(|f| f.path.starts_with("requests/"))
        .map(|f| f.contents.lines().count())
        .sum();
    println!("spec:        {}", args.spec.display());
    println!("scratch:     {}", args.out.display());
    println!(
        "generated:   {} operations, {} models, {} files, {} lines ({} in request builders) in {:.2} s (read + generate + write)",
        output.operations,
        output.models,
        output.files.len(),
        lines,
        request_lines,
        generate_secs
    );
    println!("areas:       {}", output.areas.join(", "));
    println!("diagnostics: {}", output.diagnostics.len());
    for d in &output.diagnostics {
        println!("  {}: {}", d.pointer, d.message);
    }
    if !args.check {
        return ExitCode::SUCCESS;
    }
    let mut runs: Vec<(String, Option<String>)> = vec![("all areas".to_owned(), None)];
    for area in &args.areas {
        runs.push((format!("only `{area}`"), Some(area.clone())));
    }
    for (label, features) in runs {
        match cargo_check(&root, &args.out, features.as_deref()) {
            Ok(secs) => println!("cargo check ({label}): {secs:.1} s"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
