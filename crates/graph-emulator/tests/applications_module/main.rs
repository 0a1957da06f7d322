//! Microsoft's whole Applications module (PowerShell flavour, 320 paths, 475 operations) served
//! by the emulator, and driven from the spec itself:
//!
//! * every collection with a create (`POST` to an entity set or a collection navigation) is
//!   walked through create (two members) → read by key → alternate keys → `PATCH` → read →
//!   `$top=1` paging with `@odata.nextLink` until the member shows → `DELETE` → 404, its
//!   parents created first ([`collections`]);
//! * every navigation whose references can be added (`POST …/$ref`) is walked through add →
//!   `GET $ref` → `GET` → `DELETE …/{id}/$ref` → gone → `DELETE …/$ref?$id=` ([`references`]);
//! * every single-valued navigation that can be written (`PATCH`/`PUT`, or `PUT …/$ref`) is
//!   written → read → deleted → 404 ([`singles`]).
//!
//! The outcome per path is compared with `expected.tsv` beside this file (see [`expect`]);
//! `UPDATE_EXPECT=1` rewrites it. Per-shape tables are printed (`--nocapture`).
//!
//! The module lives outside the repository, at `../shared/upstream/` from the workspace root.
//! Without it the test passes with a note, except under CI (`CI` set), where it fails.
//!
//! `APPS_DRIVE_URL=http://127.0.0.1:PORT/beta` drives an emulator in another process instead
//! (the collections only, `APPS_DRIVE_ROUNDS` times, nothing compared): how the memory figures
//! of `docs/scale.md` were taken.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bodies;
mod collections;
mod driver;
mod expect;
mod references;
mod singles;
mod spec;

use std::path::PathBuf;

use graph_emulator::{Emulator, token};
use serde_json::Value;

use collections::{Outcome, Step};
use driver::Driver;
use references::{RefOutcome, RefStep, RefTarget};
use singles::{SingleOutcome, SingleStep, SingleTarget};
use spec::{Shape, Spec, Target};

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

/// One path in a table: its shape, whether it passed each step, and its alternate keys
/// (`None`: it has none; `Some(passed)`).
type TableRow = (Shape, Vec<bool>, Option<bool>);

/// A per-shape table: how many paths pass each step.
fn table(steps: &[&str], rows: &[TableRow], alternate_keys: bool) -> String {
    let mut out = String::from("| shape | paths |");
    for step in steps {
        out.push_str(&format!(" {step} |"));
    }
    if alternate_keys {
        out.push_str(" alternate key |");
    }
    out.push_str("\n| --- | ---: |");
    for _ in 0..steps.len() + usize::from(alternate_keys) {
        out.push_str(" ---: |");
    }
    out.push('\n');
    let mut groups: Vec<(&str, Vec<&TableRow>)> = Shape::ALL
        .iter()
        .map(|shape| {
            let members = rows.iter().filter(|(s, _, _)| s == shape).collect();
            (shape.label(), members)
        })
        .collect();
    groups.push(("all", rows.iter().collect()));
    // Shapes this kind of path never takes are left out.
    groups.retain(|(_, members)| !members.is_empty());
    for (label, members) in groups {
        out.push_str(&format!("| {label} | {} |", members.len()));
        for i in 0..steps.len() {
            let n = members.iter().filter(|(_, passed, _)| passed[i]).count();
            out.push_str(&format!(" {n} |"));
        }
        if alternate_keys {
            let with = members.iter().filter(|(_, _, a)| a.is_some()).count();
            let passing = members.iter().filter(|(_, _, a)| *a == Some(true)).count();
            out.push_str(&format!(" {passing} of {with} |"));
        }
        out.push('\n');
    }
    out
}

fn collection_table(targets: &[Target], outcomes: &[Outcome]) -> String {
    let steps: Vec<&str> = Step::ALL.iter().map(|s| s.name()).collect();
    let rows: Vec<TableRow> = targets
        .iter()
        .zip(outcomes)
        .map(|(t, o)| {
            let passed = Step::ALL.iter().map(|s| o.passed(*s)).collect();
            let alternate = o
                .has_alternate_keys
                .then_some(matches!(o.alternate_key, Some(Ok(()))));
            (t.shape, passed, alternate)
        })
        .collect();
    table(&steps, &rows, true)
}

fn reference_table(targets: &[RefTarget], outcomes: &[RefOutcome]) -> String {
    let steps: Vec<&str> = RefStep::ALL.iter().map(|s| s.name()).collect();
    let rows: Vec<TableRow> = targets
        .iter()
        .zip(outcomes)
        .map(|(t, o)| {
            let passed = RefStep::ALL
                .iter()
                .map(|s| o.as_ref().is_none_or(|(failed, _)| s < failed))
                .collect();
            (t.shape, passed, None)
        })
        .collect();
    table(&steps, &rows, false)
}

fn single_table(targets: &[SingleTarget], outcomes: &[SingleOutcome]) -> String {
    let steps: Vec<&str> = SingleStep::ALL.iter().map(|s| s.name()).collect();
    let rows: Vec<TableRow> = targets
        .iter()
        .zip(outcomes)
        .map(|(t, o)| {
            let passed = SingleStep::ALL
                .iter()
                .map(|s| o.as_ref().is_none_or(|(failed, _)| s < failed))
                .collect();
            (t.shape, passed, None)
        })
        .collect();
    table(&steps, &rows, false)
}

/// Real authentication in strict mode: no token, an opaque token and an expired JWT are
/// refused; the drive then uses a delegated JWT. (The upstream module carries no permissions,
/// so any valid JWT is authorized: the emulator checks scopes only where
/// `x-graph-rs-permissions` says which.)
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

fn drive_token() -> String {
    token::delegated(&["Application.ReadWrite.All", "Directory.ReadWrite.All"])
}

/// Drives an emulator in another process, `APPS_DRIVE_ROUNDS` times.
async fn drive_elsewhere(spec: &Spec, targets: &[Target], base_url: String) {
    let rounds: usize = std::env::var("APPS_DRIVE_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    let mut outcomes = Vec::new();
    let mut sent = 0;
    for _ in 0..rounds {
        let mut driver = Driver::new(
            spec,
            base_url.clone(),
            None,
            client(),
            drive_token(),
            targets,
        );
        outcomes.clear();
        for target in targets {
            outcomes.push(collections::drive(&mut driver, target).await);
        }
        sent += driver.sent();
    }
    println!("{base_url}, {rounds} rounds, {sent} requests; the last round:");
    println!("{}", collection_table(targets, &outcomes));
}

#[tokio::test]
async fn the_whole_applications_module_is_served_path_by_path() {
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
    let ref_targets = references::targets(&spec);
    let single_targets = singles::targets(&spec);
    assert!(
        targets.len() >= 30 && ref_targets.len() >= 10,
        "only {} collections with a create and {} reference navigations found; the discovery broke",
        targets.len(),
        ref_targets.len()
    );
    if let Ok(base_url) = std::env::var("APPS_DRIVE_URL") {
        drive_elsewhere(&spec, &targets, base_url).await;
        return;
    }

    let graph = Emulator::builder()
        .spec_yaml(yaml)
        .strict_auth()
        .start()
        .await
        .expect("the emulator serves the whole module");
    check_authentication(&graph).await;

    let mut driver = Driver::new(
        &spec,
        graph.base_url().to_owned(),
        Some(&graph),
        client(),
        drive_token(),
        &targets,
    );
    let mut outcomes = Vec::new();
    for target in &targets {
        outcomes.push(collections::drive(&mut driver, target).await);
    }
    let mut ref_outcomes = Vec::new();
    for target in &ref_targets {
        ref_outcomes.push(references::drive(&mut driver, target).await);
    }
    let mut single_outcomes = Vec::new();
    for target in &single_targets {
        single_outcomes.push(singles::drive(&mut driver, target).await);
    }
    let sent = driver.sent();
    drop(driver);
    graph.shutdown().await;

    println!("{sent} requests");
    println!(
        "Collections with a create:\n{}",
        collection_table(&targets, &outcomes)
    );
    println!(
        "References:\n{}",
        reference_table(&ref_targets, &ref_outcomes)
    );
    println!(
        "Single-valued navigations:\n{}",
        single_table(&single_targets, &single_outcomes)
    );
    let rows: Vec<expect::Row> = targets
        .iter()
        .zip(&outcomes)
        .map(|(t, o)| expect::collection_row(&t.template, o))
        .chain(
            ref_targets
                .iter()
                .zip(&ref_outcomes)
                .map(|(t, o)| expect::reference_row(&t.navigation, o)),
        )
        .chain(
            single_targets
                .iter()
                .zip(&single_outcomes)
                .map(|(t, o)| expect::single_row(&t.template, t.kind, o)),
        )
        .collect();
    for row in &rows {
        println!("{}\t{:?}\t{}", row.template, row.columns, row.reason);
    }

    let rendered = expect::render(&rows);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(expected_path(), rendered).unwrap();
        println!("wrote {}", expected_path().display());
        return;
    }
    let expected = std::fs::read_to_string(expected_path()).unwrap_or_default();
    let differences = expect::differences(&expect::parse(&expected), &rows);
    assert!(
        differences.is_empty(),
        "the drive differs from {} (run with UPDATE_EXPECT=1 to accept an improvement):\n{}",
        expected_path().display(),
        differences.join("\n")
    );
}
