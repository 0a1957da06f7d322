//! Microsoft's whole Applications module (PowerShell flavour, 320 paths, 475 operations) served
//! by the emulator, and driven from the spec itself: every collection with a create is walked
//! through create → read → `PATCH` → read → paging → delete → 404, its parents created first.
//!
//! The outcome per collection is compared with `expected.tsv` beside this file (see
//! [`expect`]); `UPDATE_EXPECT=1` rewrites it. A per-shape table is printed (`--nocapture`).
//!
//! The module lives outside the repository, at `../shared/upstream/` from the workspace root.
//! Without it the test passes with a note, except under CI (`CI` set), where it fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bodies;
mod drive;
mod expect;
mod spec;

use std::path::PathBuf;

use graph_emulator::{Emulator, token};
use serde_json::Value;

use drive::{Driver, Outcome, Step};
use spec::{Shape, Spec};

const MODULE: &str = "msgraph-sdk-powershell.openApiDocs.beta.Applications.yml";

fn module_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/upstream")
        .join(MODULE)
}

fn expected_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/applications_module/expected.tsv")
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// The per-shape table: how many collections pass each step.
fn table(targets: &[spec::Target], outcomes: &[(String, Outcome)]) -> String {
    let mut out = String::from("| shape | collections |");
    for step in Step::ALL {
        out.push_str(&format!(" {} |", step.name()));
    }
    out.push_str(" alternate key |\n| --- | --- |");
    for _ in Step::ALL {
        out.push_str(" --- |");
    }
    out.push_str(" --- |\n");
    let mut rows: Vec<(String, Vec<&Outcome>)> = Shape::ALL
        .iter()
        .map(|shape| {
            let members = targets
                .iter()
                .zip(outcomes)
                .filter(|(t, _)| t.shape == *shape)
                .map(|(_, (_, o))| o)
                .collect();
            (shape.label().to_owned(), members)
        })
        .collect();
    rows.push(("all".to_owned(), outcomes.iter().map(|(_, o)| o).collect()));
    for (label, members) in rows {
        out.push_str(&format!("| {label} | {} |", members.len()));
        for step in Step::ALL {
            let n = members.iter().filter(|o| o.passed(step)).count();
            out.push_str(&format!(" {n} |"));
        }
        let with = members.iter().filter(|o| o.has_alternate_keys).count();
        let passing = members
            .iter()
            .filter(|o| matches!(o.alternate_key, Some(Ok(()))))
            .count();
        out.push_str(&format!(" {passing} of {with} |\n"));
    }
    out
}

/// Real authentication in strict mode: no token and an opaque token are refused; the drive
/// then uses a delegated JWT. (The upstream module carries no permissions, so any JWT is
/// authorized: the emulator checks scopes only where `x-graph-rs-permissions` says which.)
async fn check_authentication(graph: &Emulator) {
    let http = client();
    let url = format!("{}/applications", graph.base_url());
    let none = http.get(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);
    let opaque = http.get(&url).bearer_auth("t").send().await.unwrap();
    assert_eq!(opaque.status(), 401);
    let expired = http
        .get(&url)
        .bearer_auth(token::expired(&["Application.ReadWrite.All"]))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 401);
}

#[tokio::test]
async fn the_whole_applications_module_is_served_collection_by_collection() {
    let path = module_path();
    let Ok(yaml) = std::fs::read_to_string(&path) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI: the upstream Applications module is missing at {}",
            path.display()
        );
        println!(
            "note: {} is missing; the Applications module drive did not run",
            path.display()
        );
        return;
    };
    let doc: Value = graph_spec::load::parse_value(&yaml).expect("the module parses");
    let spec = Spec::new(doc);
    let targets = spec.targets();
    assert!(
        targets.len() >= 30,
        "only {} collections with a create found; the discovery broke",
        targets.len()
    );

    let graph = Emulator::builder()
        .spec_yaml(yaml)
        .strict_auth()
        .start()
        .await
        .expect("the emulator serves the whole module");
    check_authentication(&graph).await;

    let token = token::delegated(&["Application.ReadWrite.All", "Directory.ReadWrite.All"]);
    let mut driver = Driver::new(&spec, &graph, client(), token, &targets);
    let mut outcomes = Vec::new();
    for target in &targets {
        let outcome = driver.drive(target).await;
        outcomes.push((target.template.clone(), outcome));
    }
    graph.shutdown().await;

    println!("{}", table(&targets, &outcomes));
    for (template, outcome) in &outcomes {
        let ((result, alternate), reason) = expect::columns(outcome);
        println!("{template}\t{result}\t{alternate}\t{reason}");
    }

    let rendered = expect::render(&outcomes);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(expected_path(), rendered).unwrap();
        println!("wrote {}", expected_path().display());
        return;
    }
    let expected = std::fs::read_to_string(expected_path()).unwrap_or_default();
    let differences = expect::differences(&expect::parse(&expected), &outcomes);
    assert!(
        differences.is_empty(),
        "the drive differs from {} (run with UPDATE_EXPECT=1 to accept an improvement):\n{}",
        expected_path().display(),
        differences.join("\n")
    );
}
