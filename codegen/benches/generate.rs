//! Generator timings: `cargo bench -p codegen --bench generate`.
//!
//! For the committed slice and for Microsoft's whole Applications module
//! (`../shared/upstream/msgraph-sdk-powershell.openApiDocs.beta.Applications.yml`,
//! skipped with a note when absent), it times each phase — YAML parse into
//! `openapiv3`, lowering to the IR, emitting + formatting Rust — over
//! several runs and prints min and median, plus the size of the output.
//! A plain bench binary (no criterion) keeps the dev-dependency tree small.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut samples = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let out = black_box(f());
        samples.push(start.elapsed());
        last = Some(out);
    }
    samples.sort();
    let Some(last) = last else {
        panic!("runs must be at least 1");
    };
    (samples[0], samples[samples.len() / 2], last)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn bench(name: &str, path: &Path, runs: usize) {
    let Ok(text) = std::fs::read_to_string(path) else {
        println!("{name}: {} not found, skipped", path.display());
        return;
    };
    let (parse_min, parse_med, doc) = time(runs, || codegen::load::parse(&text).expect("parse"));
    let (lower_min, lower_med, api) = time(runs, || codegen::lower::lower(&doc).expect("lower"));
    let layout = codegen::Layout::default();
    let (emit_min, emit_med, out) = time(runs, || {
        codegen::generate_from_ir(&api, "bench", &layout).expect("emit")
    });
    let (total_min, total_med, _) = time(runs, || {
        codegen::generate(&text, "bench", codegen::Strictness::Lenient).expect("generate")
    });
    let lines: usize = out.files.iter().map(|f| f.contents.lines().count()).sum();
    let bytes: usize = out.files.iter().map(|f| f.contents.len()).sum();
    println!("{name} ({} KiB spec, {runs} runs)", text.len() / 1024);
    println!(
        "  parse  min {:>9}  median {:>9}",
        ms(parse_min),
        ms(parse_med)
    );
    println!(
        "  lower  min {:>9}  median {:>9}",
        ms(lower_min),
        ms(lower_med)
    );
    println!(
        "  emit   min {:>9}  median {:>9}",
        ms(emit_min),
        ms(emit_med)
    );
    println!(
        "  total  min {:>9}  median {:>9}",
        ms(total_min),
        ms(total_med)
    );
    println!(
        "  output: {} operations, {} models, {} files, {} lines, {} KiB; {} diagnostics",
        out.operations,
        out.models,
        out.files.len(),
        lines,
        bytes / 1024,
        out.diagnostics.len()
    );
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument is a filter word.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cases = [
        ("slice", root.join("specs/graph-beta.yaml"), 50),
        (
            "kitchen-sink",
            root.join("codegen/tests/fixtures/kitchen-sink.yaml"),
            50,
        ),
        (
            "applications",
            root.join(
                "../shared/upstream/msgraph-sdk-powershell.openApiDocs.beta.Applications.yml",
            ),
            5,
        ),
    ];
    for (name, path, runs) in cases {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        bench(name, &path, runs);
    }
}
