//! The generator on Microsoft's real Applications module (PowerShell
//! flavour, 320 paths, 475 operations, 1,124 schemas): everything is
//! generated, nothing is special-cased, and the only diagnostics are the
//! two duplicate operationIds upstream ships. Compiling the output is
//! `cargo xtask scale-proof` (see README), too slow for every test run.

use std::path::Path;

const APPLICATIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/upstream/msgraph-sdk-powershell.openApiDocs.beta.Applications.yml"
);

#[test]
fn the_whole_applications_module_generates() {
    if !Path::new(APPLICATIONS).exists() {
        eprintln!("note: {APPLICATIONS} not found; skipped");
        return;
    }
    let text = std::fs::read_to_string(APPLICATIONS).expect("read");
    let out = codegen::generate(&text, "Applications.yml", codegen::Strictness::Lenient)
        .expect("generate");
    assert_eq!(out.operations, 475, "every operation is generated");
    assert!(
        out.models >= 1124,
        "every schema is a model ({} models)",
        out.models
    );
    let diagnostics: Vec<String> = out
        .diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.pointer, d.message))
        .collect();
    assert_eq!(diagnostics.len(), 2, "{diagnostics:#?}");
    assert!(
        diagnostics
            .iter()
            .all(|d| d.contains("duplicate operationId")),
        "{diagnostics:#?}"
    );
    // No per-operation copies of shared logic: an operation is one call into the runtime.
    let requests: String = out
        .files
        .iter()
        .filter(|f| {
            f.path.starts_with("crates/graph-requests/") && !f.path.ends_with("operations.rs")
        })
        .map(|f| f.contents.as_str())
        .collect();
    assert_eq!(
        requests.matches("&crate::operations::").count(),
        475,
        "one runtime call per operation"
    );
    assert!(
        !requests.contains("reqwest"),
        "generated code never talks HTTP itself"
    );
}
