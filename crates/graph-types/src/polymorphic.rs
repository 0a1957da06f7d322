//! Decoding values of a polymorphic base by `@odata.type`.
//!
//! Generated enums such as `AnyDirectoryObject` buffer one JSON object, read its `@odata.type`
//! and decode it into the variant that type names; a missing or unknown type decodes into the
//! base, so it never fails a decode.

use serde::Deserializer;
use serde::de::{Deserialize, Error as _};
use serde_json::Value;

/// The form `@odata.type` values are matched in: without `#`, lower-cased, with Graph's
/// `graph.` alias spelled out (`#graph.user` → `microsoft.graph.user`).
pub fn odata_type_key(odata_type: &str) -> String {
    let bare = odata_type.trim_start_matches('#').to_ascii_lowercase();
    match bare.strip_prefix("graph.") {
        Some(rest) => format!("microsoft.graph.{rest}"),
        None => bare,
    }
}

/// Reads one JSON value from `deserializer` and lets `pick` decode it, given the match key of
/// its `@odata.type` (see [`odata_type_key`]; `None` when absent or not a string).
pub fn decode<'de, D, T>(
    deserializer: D,
    pick: impl FnOnce(Option<&str>, Value) -> Result<T, serde_json::Error>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Value::deserialize(deserializer)?;
    let key = value.get("@odata.type").and_then(Value::as_str).map(odata_type_key);
    pick(key.as_deref(), value).map_err(D::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(odata_type_key("#microsoft.graph.User"), "microsoft.graph.user");
        assert_eq!(odata_type_key("#graph.agentIdentity"), "microsoft.graph.agentidentity");
        assert_eq!(odata_type_key("microsoft.graph.group"), "microsoft.graph.group");
    }
}
