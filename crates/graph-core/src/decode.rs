//! Response decoders.
//!
//! A decoder turns the body of a successful (2xx) response into the operation's result type.
//! Generated code picks one per operation and passes it as a plain function pointer
//! ([`Decoder`]).

use std::fmt;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::page::Page;

/// A function that decodes a successful response body.
pub type Decoder<T> = fn(&[u8]) -> Result<T, DecodeError>;

/// Why a response body could not be decoded. [`Error::Decode`](crate::Error::Decode) adds
/// the HTTP status and an excerpt of the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    message: String,
}

impl DecodeError {
    /// A decode failure described by `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}

impl From<serde_json::Error> for DecodeError {
    fn from(e: serde_json::Error) -> Self {
        Self::new(format!("invalid JSON response: {e}"))
    }
}

/// For operations without a response schema (`204 No Content`, or a 2xx whose body is not
/// described): ignores any body.
pub fn empty(_body: &[u8]) -> Result<(), DecodeError> {
    Ok(())
}

fn require_body(body: &[u8]) -> Result<(), DecodeError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Err(DecodeError::new(
            "expected a JSON body but the response body was empty",
        ))
    } else {
        Ok(())
    }
}

/// Decodes a JSON body into `T`. An empty body is an error.
pub fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    require_body(body)?;
    Ok(serde_json::from_slice(body)?)
}

/// Like [`json`], but also accepts the object wrapped as `{"value": {...}}`.
///
/// Some Graph endpoints (and documentation examples) wrap a single entity in a `value`
/// member. When the body is an object whose only members are `value` (itself an object) and
/// annotations (keys containing `@`, such as `@odata.context`), the inner object is decoded.
/// Otherwise the whole body is decoded. The generator uses this only for models that have no
/// `value` property of their own. An empty body is an error, never an empty object.
pub fn json_unwrap_value<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    require_body(body)?;
    // No member can be named `value` unless the text has those five letters, or an escape that
    // spells them (`\u0076alue`): then decode in one pass, without a tree in between.
    if !may_name_value(body) {
        return Ok(serde_json::from_slice(body)?);
    }
    let mut value: Value = serde_json::from_slice(body)?;
    if let Value::Object(map) = &mut value {
        let only_value =
            map.contains_key("value") && map.keys().all(|k| k == "value" || k.contains('@'));
        if only_value {
            return match map.remove("value") {
                Some(inner @ Value::Object(_)) => Ok(serde_json::from_value(inner)?),
                // `{"value": null}`, `{"value": []}`, `{"value": "x"}`: decoding the
                // envelope would give an object with every field absent.
                _ => Err(DecodeError::new(
                    "expected an object (or one wrapped as {\"value\": {...}}) but `value` is not an object",
                )),
            };
        }
    }
    Ok(serde_json::from_value(value)?)
}

/// Whether `body` holds `value` or a `\u` escape: one pass over its `v` and backslash bytes
/// (no searcher is built per call).
fn may_name_value(body: &[u8]) -> bool {
    memchr::memchr2_iter(b'v', b'\\', body).any(|at| {
        let rest = &body[at..];
        rest.starts_with(b"value") || rest.starts_with(b"\\u")
    })
}

#[derive(Deserialize)]
struct Envelope<T> {
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
    #[serde(rename = "@odata.count", default)]
    count: Option<i64>,
    #[serde(rename = "@odata.deltaLink", default)]
    delta_link: Option<String>,
}

/// Decodes one page of a pageable operation: `{"value": [items], "@odata.nextLink"?, "@odata.count"?,
/// "@odata.deltaLink"?}`; other members (`@odata.context`, `@microsoft.graph.tips`) are
/// ignored. An empty body, or one without a `value` array, is an error.
pub fn page<T: DeserializeOwned>(body: &[u8]) -> Result<Page<T>, DecodeError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(DecodeError::new(
            "expected a page of a collection but the response body was empty",
        ));
    }
    let envelope: Envelope<T> = serde_json::from_slice(body)?;
    Ok(Page {
        items: envelope.value,
        next_link: envelope.next_link,
        count: envelope.count,
        delta_link: envelope.delta_link,
    })
}

/// Decodes a `text/plain` body (such as `$count`) by parsing its trimmed text.
pub fn text<T>(body: &[u8]) -> Result<T, DecodeError>
where
    T: std::str::FromStr,
    T::Err: fmt::Display,
{
    let text = std::str::from_utf8(body)
        .map_err(|e| DecodeError::new(format!("response body is not UTF-8 text: {e}")))?;
    text.trim()
        .parse()
        .map_err(|e| DecodeError::new(format!("could not parse the text response: {e}")))
}

/// Returns a binary body (such as a `$value` media stream) as bytes.
pub fn bytes(body: &[u8]) -> Result<Vec<u8>, DecodeError> {
    Ok(body.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn the_value_precheck_sees_the_word_and_every_escape() {
        for body in [
            &br#"{"value":{}}"#[..],
            br#"{"a":1,"value":2}"#,
            br#"{"\u0076alue":{}}"#,
            br#"{"name":"x\u0041"}"#,
            b"value",
        ] {
            assert!(may_name_value(body), "{}", String::from_utf8_lossy(body));
        }
        for body in [
            &br#"{"groupId":"4c563cdf","isEnabledForGroup":true}"#[..],
            br#"{"val":"ue","v":"alue"}"#,
            br#"{"path":"a\\b","quote":"\""}"#,
            b"valu",
            b"\\",
            b"",
        ] {
            assert!(!may_name_value(body), "{}", String::from_utf8_lossy(body));
        }
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct M {
        id: Option<String>,
        #[serde(rename = "isEnabledForGroup")]
        enabled: Option<bool>,
    }

    #[test]
    fn wrapped_non_objects_are_errors_not_empty_models() {
        for body in [
            &br#"{"value":null}"#[..],
            br#"{"value":[]}"#,
            br#"{"@odata.context":"x","value":"s"}"#,
        ] {
            assert!(
                json_unwrap_value::<M>(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn text_and_bytes() {
        assert_eq!(text::<i32>(b" 42\n").unwrap(), 42);
        assert!(text::<i32>(b"forty").is_err());
        assert!(text::<i32>(&[0xff]).is_err());
        assert_eq!(bytes(b"\x89PNG").unwrap(), b"\x89PNG".to_vec());
    }

    #[test]
    fn unwraps_value() {
        let plain: M = json_unwrap_value(br#"{"id":"1","isEnabledForGroup":true}"#).unwrap();
        let wrapped: M = json_unwrap_value(
            br#"{"@odata.context":"x","value":{"id":"1","isEnabledForGroup":true}}"#,
        )
        .unwrap();
        assert_eq!(plain, wrapped);
        assert_eq!(wrapped.enabled, Some(true));
        // `value` next to a real property is not a wrapper.
        let not_wrapped: M = json_unwrap_value(br#"{"id":"2","value":{"id":"1"}}"#).unwrap();
        assert_eq!(not_wrapped.id.as_deref(), Some("2"));
    }

    #[test]
    fn escaped_wrappers_are_unwrapped_too() {
        let escaped: M = json_unwrap_value(br#"{"\u0076alue":{"id":"1"}}"#).unwrap();
        assert_eq!(escaped.id.as_deref(), Some("1"));
        // A `value` inside a string is no wrapper.
        let text: M = json_unwrap_value(br#"{"id":"value"}"#).unwrap();
        assert_eq!(text.id.as_deref(), Some("value"));
    }

    #[test]
    fn empty_bodies() {
        assert!(empty(b"").is_ok());
        assert!(empty(b"{\"id\":1}").is_ok());
        assert!(json::<M>(b"").is_err());
        assert!(json_unwrap_value::<M>(b"  \n").is_err());
        assert!(
            json::<M>(b"<html>")
                .unwrap_err()
                .message()
                .contains("invalid JSON")
        );
    }
}
