//! The JSON of `POST /$batch`, as Graph defines it: a request body
//! `{"requests":[{"id","method","url","headers"?,"body"?,"dependsOn"?}]}` and an answer
//! `{"responses":[{"id","status","headers"?,"body"?}]}`, responses in any order.

use std::collections::BTreeMap;

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::decode::DecodeError;

/// The body of one `POST /$batch`.
#[derive(Debug, Serialize)]
pub(crate) struct BatchBody<'a> {
    pub(crate) requests: Vec<WireRequest<'a>>,
}

/// One item of a batch request.
#[derive(Debug, Serialize)]
pub(crate) struct WireRequest<'a> {
    pub(crate) id: &'a str,
    pub(crate) method: &'static str,
    /// Relative to the service root, e.g. `/servicePrincipals/{id}/owners/$ref?$select=id`.
    pub(crate) url: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) headers: &'a BTreeMap<String, String>,
    /// A JSON body, as JSON (not a string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) body: Option<&'a Value>,
    #[serde(rename = "dependsOn", skip_serializing_if = "Vec::is_empty")]
    pub(crate) depends_on: Vec<&'a str>,
}

/// The answer to one `POST /$batch`.
#[derive(Debug, Deserialize)]
pub struct BatchAnswer {
    pub(crate) responses: Vec<WireResponse>,
    /// Set when the service answered only part of the batch (the rest is not followed).
    #[serde(rename = "@odata.nextLink", default)]
    pub(crate) next_link: Option<String>,
}

/// One item's answer.
#[derive(Debug, Deserialize)]
pub(crate) struct WireResponse {
    #[serde(deserialize_with = "id_text")]
    pub(crate) id: String,
    pub(crate) status: u16,
    #[serde(default)]
    pub(crate) headers: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    pub(crate) body: Option<Value>,
}

/// An id as text: Graph sends strings; a number is read as its digits.
fn id_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "a response id must be a string, not {other}"
        ))),
    }
}

/// The decoder of the outer answer (given to the send loop, which turns a failure into
/// [`Error::Decode`](crate::Error::Decode) with the status and an excerpt).
pub(crate) fn decode_answer(body: &[u8]) -> Result<BatchAnswer, DecodeError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(DecodeError::new(
            "expected a $batch answer ({\"responses\":[...]}) but the body was empty",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        DecodeError::new(format!(
            "not a $batch answer ({{\"responses\":[...]}}): {e}"
        ))
    })
}

impl WireResponse {
    /// The item's headers; names or values that are not valid HTTP are skipped, a non-string
    /// value is read as its JSON text.
    pub(crate) fn header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in self.headers.iter().flatten() {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&text),
            ) {
                map.append(name, value);
            }
        }
        map
    }

    /// The item's body as the bytes a single call would have received: a JSON body as its
    /// JSON text; a string body of a non-JSON answer (`text/plain`, say) as the string; no
    /// body (or `null`) as nothing.
    pub(crate) fn body_bytes(&self, headers: &HeaderMap) -> Bytes {
        let json = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| v.to_ascii_lowercase().contains("json"));
        match &self.body {
            None | Some(Value::Null) => Bytes::new(),
            Some(Value::String(text)) if !json => Bytes::from(text.clone().into_bytes()),
            Some(value) => Bytes::from(serde_json::to_vec(value).unwrap_or_default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_serialize_as_graph_defines_them() {
        let headers = BTreeMap::from([("Content-Type".to_owned(), "application/json".to_owned())]);
        let body = serde_json::json!({"@odata.id": "https://x/beta/directoryObjects/1"});
        let none = BTreeMap::new();
        let batch = BatchBody {
            requests: vec![
                WireRequest {
                    id: "1",
                    method: "POST",
                    url: "/groups/g/owners/$ref",
                    headers: &headers,
                    body: Some(&body),
                    depends_on: vec![],
                },
                WireRequest {
                    id: "2",
                    method: "GET",
                    url: "/groups/g/owners?$select=id",
                    headers: &none,
                    body: None,
                    depends_on: vec!["1"],
                },
            ],
        };
        assert_eq!(
            serde_json::to_value(&batch).unwrap(),
            serde_json::json!({"requests": [
                {"id": "1", "method": "POST", "url": "/groups/g/owners/$ref",
                 "headers": {"Content-Type": "application/json"},
                 "body": {"@odata.id": "https://x/beta/directoryObjects/1"}},
                {"id": "2", "method": "GET", "url": "/groups/g/owners?$select=id", "dependsOn": ["1"]},
            ]})
        );
    }

    #[test]
    fn answers_are_read_leniently_and_refused_clearly() {
        let answer = decode_answer(
            br#"{"responses":[{"id":"2","status":204},{"id":1,"status":200,"headers":{"Content-Type":"text/plain","x-n":3},"body":"42"}]}"#,
        )
        .unwrap();
        assert_eq!(answer.responses[1].id, "1");
        let headers = answer.responses[1].header_map();
        assert_eq!(headers.get("x-n").unwrap(), "3");
        assert_eq!(
            answer.responses[1].body_bytes(&headers),
            Bytes::from_static(b"42")
        );
        assert!(answer.responses[0].body_bytes(&HeaderMap::new()).is_empty());
        for bad in [
            &b""[..],
            b"[]",
            b"{\"responses\":{}}",
            b"{\"responses\":[{\"status\":200}]}",
            b"<html>",
        ] {
            assert!(
                decode_answer(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
