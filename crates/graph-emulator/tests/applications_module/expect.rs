//! The committed expectation: one line per driven collection or reference navigation with how
//! far it gets today.
//!
//! ```text
//! <template> TAB <result> TAB <alternate keys> [TAB <reason, for people>]
//! ```
//!
//! `<result>` is `pass` or `fail <step> <status>`; `<alternate keys>` is `-` (none), `untried` (the
//! drive stopped before), `pass` or `fail <status>`. Only these three columns are compared: a
//! path that passed must keep passing, and one recorded as failing must fail at the same step
//! with the same status (so a fix shows up as a mismatch, and the file is brought up to date
//! with `UPDATE_EXPECT=1`).

use std::collections::BTreeMap;

use crate::collections::Outcome;
use crate::driver::Failure;
use crate::references::RefOutcome;
use crate::singles::{Kind, SingleOutcome};

/// One line.
#[derive(Debug, Clone)]
pub struct Row {
    pub template: String,
    /// The compared columns.
    pub columns: (String, String),
    pub reason: String,
}

fn failed(step: &str, f: &Failure) -> (String, String) {
    (
        format!("fail {step} {}", f.status),
        format!("{step}: {}", f.reason),
    )
}

/// The row of a collection's drive.
pub fn collection_row(template: &str, outcome: &Outcome) -> Row {
    let (result, mut reason) = match &outcome.failed {
        None => (
            "pass".to_owned(),
            outcome.note.unwrap_or_default().to_owned(),
        ),
        Some((step, f)) => failed(step.name(), f),
    };
    let alternate = match &outcome.alternate_key {
        None if outcome.has_alternate_keys => "untried".to_owned(),
        None => "-".to_owned(),
        Some(Ok(())) => "pass".to_owned(),
        Some(Err(f)) => {
            if !reason.is_empty() {
                reason.push_str("; ");
            }
            reason.push_str(&format!("alternate key: {}", f.reason));
            format!("fail {}", f.status)
        }
    };
    Row {
        template: template.to_owned(),
        columns: (result, alternate),
        reason: reason.replace(['\t', '\n'], " "),
    }
}

/// The row of a reference navigation's drive (keyed by its `$ref` template).
pub fn reference_row(template: &str, outcome: &RefOutcome) -> Row {
    let (result, reason) = match outcome {
        None => ("pass".to_owned(), String::new()),
        Some((step, f)) => failed(step.name(), f),
    };
    Row {
        template: format!("{template}/$ref"),
        columns: (result, "-".to_owned()),
        reason: reason.replace(['\t', '\n'], " "),
    }
}

/// The row of a single-valued navigation's drive (a reference one keyed by its `$ref`
/// template).
pub fn single_row(template: &str, kind: Kind, outcome: &SingleOutcome) -> Row {
    let (result, reason) = match outcome {
        None => ("pass".to_owned(), String::new()),
        Some((step, f)) => failed(step.name(), f),
    };
    Row {
        template: match kind {
            Kind::Reference => format!("{template}/$ref"),
            Kind::Contained { .. } => template.to_owned(),
        },
        columns: (result, "-".to_owned()),
        reason: reason.replace(['\t', '\n'], " "),
    }
}

/// Parses the file: template → compared columns.
pub fn parse(text: &str) -> BTreeMap<String, (String, String)> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut fields = l.split('\t');
            let template = fields.next()?.to_owned();
            let result = fields.next()?.to_owned();
            let alternate = fields.next()?.to_owned();
            Some((template, (result, alternate)))
        })
        .collect()
}

const HEADER: &str = "\
# The Applications module drive (tests/applications_module): how far each collection with a
# create, each navigation whose references can be added and each writable single-valued
# navigation gets on the emulator today.
# Compared: the first three columns. Regenerate with
#   UPDATE_EXPECT=1 cargo test -p graph-emulator --test applications_module
# template\tresult (pass | fail <step> <status>)\talternate keys (- | untried | pass | fail <status>)\treason
";

/// The file's text for these rows.
pub fn render(rows: &[Row]) -> String {
    let mut out = HEADER.to_owned();
    for row in rows {
        let (result, alternate) = &row.columns;
        out.push_str(&format!("{}\t{result}\t{alternate}", row.template));
        if !row.reason.is_empty() {
            out.push('\t');
            out.push_str(&row.reason);
        }
        out.push('\n');
    }
    out
}

/// Every difference between the expectation and today, as readable lines.
pub fn differences(expected: &BTreeMap<String, (String, String)>, rows: &[Row]) -> Vec<String> {
    let mut out = Vec::new();
    for row in rows {
        let actual = &row.columns;
        match expected.get(&row.template) {
            None => out.push(format!(
                "{}: not in the expectation; today {actual:?} {}",
                row.template, row.reason
            )),
            Some(wanted) if wanted != actual => {
                let regression = wanted.0 == "pass" && actual.0 != "pass"
                    || wanted.1 == "pass" && actual.1 != "pass";
                out.push(format!(
                    "{}: expected {wanted:?}, today {actual:?}{} {}",
                    row.template,
                    if regression { " (REGRESSION)" } else { "" },
                    row.reason
                ));
            }
            Some(_) => {}
        }
    }
    for template in expected.keys() {
        if !rows.iter().any(|r| &r.template == template) {
            out.push(format!("{template}: expected but no longer driven"));
        }
    }
    out
}
