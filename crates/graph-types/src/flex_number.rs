//! Graph's "number or special string" doubles.

use serde::{Deserialize, Serialize};

/// A floating-point value that Graph may send as a JSON number or, for
/// values JSON cannot hold, as a string (`"NaN"`, `"INF"`, `"-INF"`).
///
/// Generated for the upstream shape `oneOf: [number, string, ReferenceNumeric]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FlexNumber {
    /// A plain JSON number.
    Number(f64),
    /// A string form such as `"NaN"`, `"INF"` or `"-INF"`.
    Text(String),
}

impl FlexNumber {
    /// The value as `f64`, reading the special strings Graph uses.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            FlexNumber::Number(n) => Some(*n),
            FlexNumber::Text(t) => match t.as_str() {
                "NaN" => Some(f64::NAN),
                "INF" | "Infinity" => Some(f64::INFINITY),
                "-INF" | "-Infinity" => Some(f64::NEG_INFINITY),
                other => other.parse().ok(),
            },
        }
    }
}

impl From<f64> for FlexNumber {
    fn from(value: f64) -> Self {
        FlexNumber::Number(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_and_special_strings() {
        let n: FlexNumber = serde_json::from_str("1.5").unwrap();
        let inf: FlexNumber = serde_json::from_str(r#""INF""#).unwrap();
        assert_eq!(n.as_f64(), Some(1.5));
        assert_eq!(inf.as_f64(), Some(f64::INFINITY));
        assert_eq!(serde_json::to_string(&n).unwrap(), "1.5");
    }
}
