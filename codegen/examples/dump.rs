//! Prints the generated files and diagnostics for a spec (lenient):
//! `cargo run -p codegen --example dump -- path/to/spec.yaml`.
fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "specs/graph-beta.yaml".into());
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(2);
        }
    };
    match codegen::generate(&text, &path, codegen::Strictness::Lenient) {
        Ok(out) => {
            for f in &out.files {
                println!("=== {}\n{}", f.path, f.contents);
            }
            for d in &out.diagnostics {
                eprintln!("diagnostic: {}: {}", d.pointer, d.message);
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
