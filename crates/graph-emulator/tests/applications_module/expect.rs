//! The committed expectation: one line per driven collection with how far it gets today.
//!
//! ```text
//! <template> TAB <result> TAB <alternate keys> [TAB <reason, for people>]
//! ```
//!
//! `<result>` is `pass` or `fail <step> <status>`; `<alternate keys>` is `-` (none), `untried` (the
//! drive stopped before), `pass` or `fail <status>`. Only these three columns are compared: a collection that passed must keep
//! passing, and one recorded as failing must fail at the same step with the same status (so a
//! fix shows up as a mismatch and the file is brought up to date with `UPDATE_EXPECT=1`).

use std::collections::BTreeMap;

use crate::drive::Outcome;

/// The compared columns of one line.
pub type Line = (String, String);

/// The compared columns and the reason for an outcome.
pub fn columns(outcome: &Outcome) -> (Line, String) {
    let (result, mut reason) = match &outcome.failed {
        None => ("pass".to_owned(), String::new()),
        Some((step, f)) => (
            format!("fail {} {}", step.name(), f.status),
            format!("{}: {}", step.name(), f.reason),
        ),
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
    ((result, alternate), reason.replace(['\t', '\n'], " "))
}

/// Parses the file: template → compared columns.
pub fn parse(text: &str) -> BTreeMap<String, Line> {
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
# create gets on the emulator today. Compared: the first three columns. Regenerate with
#   UPDATE_EXPECT=1 cargo test -p graph-emulator --test applications_module
# template\tresult (pass | fail <step> <status>)\talternate keys (- | untried | pass | fail <status>)\treason
";

/// The file's text for these outcomes, in drive order.
pub fn render(outcomes: &[(String, Outcome)]) -> String {
    let mut out = HEADER.to_owned();
    for (template, outcome) in outcomes {
        let ((result, alternate), reason) = columns(outcome);
        out.push_str(&format!("{template}\t{result}\t{alternate}"));
        if !reason.is_empty() {
            out.push('\t');
            out.push_str(&reason);
        }
        out.push('\n');
    }
    out
}

/// Every difference between the expectation and today, as readable lines.
pub fn differences(
    expected: &BTreeMap<String, Line>,
    outcomes: &[(String, Outcome)],
) -> Vec<String> {
    let mut out = Vec::new();
    for (template, outcome) in outcomes {
        let (actual, reason) = columns(outcome);
        match expected.get(template) {
            None => out.push(format!(
                "{template}: not in the expectation; today {actual:?} {reason}"
            )),
            Some(wanted) if *wanted != actual => {
                let regression = wanted.0 == "pass" && actual.0 != "pass"
                    || wanted.1 == "pass" && actual.1 != "pass";
                out.push(format!(
                    "{template}: expected {wanted:?}, today {actual:?}{} {reason}",
                    if regression { " (REGRESSION)" } else { "" }
                ));
            }
            Some(_) => {}
        }
    }
    for template in expected.keys() {
        if !outcomes.iter().any(|(t, _)| t == template) {
            out.push(format!("{template}: expected but no longer driven"));
        }
    }
    out
}
