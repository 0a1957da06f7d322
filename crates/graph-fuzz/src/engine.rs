//! The fuzzing loop: seeded mutations of a growing corpus, each input run under
//! `catch_unwind`, a panic recorded with its input.
//!
//! With no coverage instrumentation on the stable toolchain, the corpus grows on *outcomes*:
//! each target sums up what an input did in a short signature (which decoders accepted it,
//! which error kind, digits stripped), and an input with a signature not seen before is kept
//! for further mutation.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// One thing to fuzz.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    /// Its name on the command line.
    pub name: &'static str,
    /// What it exercises.
    pub about: &'static str,
    /// Starting inputs.
    pub seeds: fn() -> Vec<Vec<u8>>,
    /// Byte strings the mutator likes to insert.
    pub dictionary: &'static [&'static str],
    /// Runs one input and sums up what happened. A panic is a finding; so is an `Err`, for a
    /// property the target checks (the message says which).
    pub run: fn(&[u8]) -> Result<String, String>,
}

/// When to stop.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// At most this many executions.
    pub executions: u64,
    /// At most this long.
    pub time: Duration,
}

/// A panic or a broken property, with the input that caused it.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The input.
    pub input: Vec<u8>,
    /// The panic message, or the property's.
    pub message: String,
}

/// What one target's run came to.
#[derive(Debug, Clone)]
pub struct Report {
    /// The target.
    pub target: &'static str,
    /// Inputs run.
    pub executions: u64,
    /// Inputs kept (seeds and those with a new outcome).
    pub corpus: usize,
    /// Distinct outcomes seen.
    pub outcomes: usize,
    /// How long it ran.
    pub elapsed: Duration,
    /// Panics and broken properties (at most one per distinct message).
    pub findings: Vec<Finding>,
}

const MAX_INPUT: usize = 256 * 1024;
const MAX_CORPUS: usize = 4_096;
const INTERESTING: &[u8] = b"\0\xff\"{}[],:\\0-e.#/%@ \n";

/// Runs of ASCII digits collapsed to `#`, so that "column 17" and "column 18" are one outcome.
pub fn normalize(summary: &str) -> String {
    let mut out = String::with_capacity(summary.len().min(120));
    let mut last_digit = false;
    for c in summary.chars().take(160) {
        if c.is_ascii_digit() {
            if !last_digit {
                out.push('#');
            }
            last_digit = true;
        } else {
            out.push(c);
            last_digit = false;
        }
    }
    out
}

fn mutate(rng: &mut fastrand::Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>], dictionary: &[&str]) {
    for _ in 0..rng.usize(1..=4) {
        let len = input.len();
        match rng.u8(0..9) {
            0 if len > 0 => {
                let i = rng.usize(..len);
                input[i] ^= 1 << rng.u8(0..8);
            }
            1 if len > 0 => {
                let i = rng.usize(..len);
                input[i] = INTERESTING[rng.usize(..INTERESTING.len())];
            }
            2 => {
                let at = rng.usize(..=len);
                let n = rng.usize(1..=8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.u8(..)).collect();
                input.splice(at..at, bytes);
            }
            3 if len > 0 => {
                let start = rng.usize(..len);
                let end = (start + rng.usize(1..=64)).min(len);
                input.drain(start..end);
            }
            4 if len > 0 => {
                let start = rng.usize(..len);
                let end = (start + rng.usize(1..=64)).min(len);
                let copy = input[start..end].to_vec();
                let at = rng.usize(..=input.len());
                input.splice(at..at, copy);
            }
            5 | 6 if !dictionary.is_empty() => {
                let word = dictionary[rng.usize(..dictionary.len())].as_bytes();
                let at = rng.usize(..=len);
                input.splice(at..at, word.iter().copied());
            }
            7 if !corpus.is_empty() => {
                let other = &corpus[rng.usize(..corpus.len())];
                if !other.is_empty() {
                    let start = rng.usize(..other.len());
                    let end = (start + rng.usize(1..=256)).min(other.len());
                    let at = rng.usize(..=len);
                    input.splice(at..at, other[start..end].iter().copied());
                }
            }
            8 if len > 0 => input.truncate(rng.usize(..len)),
            _ => input.push(rng.u8(..)),
        }
    }
    input.truncate(MAX_INPUT);
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-text payload".to_owned()
    }
}

/// Fuzzes `target` within `budget`, from `seed` (the same seed and budget in executions gives
/// the same run).
pub fn fuzz(target: &Target, budget: Budget, seed: u64) -> Report {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut corpus = (target.seeds)();
    if corpus.is_empty() {
        corpus.push(Vec::new());
    }
    let mut outcomes: HashSet<String> = HashSet::new();
    let mut findings: Vec<Finding> = Vec::new();
    let mut messages: HashSet<String> = HashSet::new();
    let started = Instant::now();
    let mut executions = 0_u64;

    quiet_panics_while_fuzzing();
    let mut run_one = |input: &[u8], outcomes: &mut HashSet<String>| -> bool {
        FUZZING.set(true);
        let outcome = catch_unwind(AssertUnwindSafe(|| (target.run)(input)));
        FUZZING.set(false);
        let (new, finding) = match outcome {
            Ok(Ok(summary)) => (outcomes.insert(normalize(&summary)), None),
            Ok(Err(property)) => (false, Some(format!("property: {property}"))),
            Err(payload) => (
                false,
                Some(format!("panic: {}", panic_message(payload.as_ref()))),
            ),
        };
        if let Some(message) = finding {
            if messages.insert(normalize(&message)) {
                findings.push(Finding {
                    input: input.to_vec(),
                    message,
                });
            }
        }
        new
    };
    let seeds = corpus.clone();
    for s in &seeds {
        run_one(s, &mut outcomes);
        executions += 1;
    }
    while executions < budget.executions && started.elapsed() < budget.time {
        let mut input = corpus[rng.usize(..corpus.len())].clone();
        mutate(&mut rng, &mut input, &corpus, target.dictionary);
        let new = run_one(&input, &mut outcomes);
        executions += 1;
        if new && corpus.len() < MAX_CORPUS {
            corpus.push(input);
        }
    }
    Report {
        target: target.name,
        executions,
        corpus: corpus.len(),
        outcomes: outcomes.len(),
        elapsed: started.elapsed(),
        findings,
    }
}

thread_local! {
    /// Whether this thread is running a fuzz input (its panics are findings, not noise).
    static FUZZING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Installs, once per process, a panic hook that stays quiet for panics of fuzz inputs (they are
/// findings, reported with their inputs) and hands every other panic to the hook it replaced,
/// so other threads' panics are still printed.
fn quiet_panics_while_fuzzing() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !FUZZING.get() {
                previous(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panics_on_bang(input: &[u8]) -> Result<String, String> {
        assert!(!input.contains(&b'!'), "found a bang");
        Ok(["short", "medium", "long"][input.len().min(8) / 3].to_owned())
    }

    #[test]
    fn finds_a_planted_panic_and_grows_the_corpus() {
        let target = Target {
            name: "planted",
            about: "panics on '!'",
            seeds: || vec![b"abc".to_vec()],
            dictionary: &["!"],
            run: panics_on_bang,
        };
        let report = fuzz(
            &target,
            Budget {
                executions: 2_000,
                time: Duration::from_secs(10),
            },
            1,
        );
        assert_eq!(report.executions, 2_000);
        assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
        assert!(report.findings[0].message.contains("found a bang"));
        assert!(report.findings[0].input.contains(&b'!'));
        assert!(report.corpus > 1 && report.outcomes == 3);
        assert_eq!(normalize("line 12 column 7"), "line # column #");
    }
}
