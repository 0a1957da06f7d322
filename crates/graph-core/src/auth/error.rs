//! [`CredentialError`]: why no token came, with Entra ID's own diagnostics when it answered.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

/// What kind of failure a [`CredentialError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialErrorKind {
    /// Entra ID refused (wrong secret, unknown client, invalid scope, …); see
    /// [`CredentialError::entra`].
    Entra,
    /// The person asked to sign in declined (`authorization_declined`, `access_denied`).
    SignInDeclined,
    /// The sign-in was not completed in time (`expired_token`, or no answer reached a browser
    /// sign-in's loopback redirect before its timeout).
    SignInExpired,
    /// A browser sign-in's answer carried another `state` than the one sent: it does not belong
    /// to this sign-in (a forged or stale redirect), so its code was not used.
    StateMismatch,
    /// The `id_token` of a browser sign-in did not carry the `nonce` sent (or was missing, or
    /// was issued to another client): the tokens were not used.
    NonceMismatch,
    /// The resource asked for claims (a continuous-access-evaluation challenge) that this
    /// credential cannot obtain; retrying would loop.
    ClaimsChallengeUnsupported,
    /// The token endpoint could not be reached, or answered something that is not a token.
    Transport,
    /// A client certificate or its key could not be read or used (not PEM or PKCS#12, a wrong
    /// password, a key that is not RSA or does not belong to the certificate).
    Certificate,
    /// Anything else (a misconfigured credential, an implementation's own failure).
    Other,
}

/// What Entra ID said when it refused: the fields of its error body.
///
/// ```json
/// {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided. … Trace ID: … Correlation ID: … Timestamp: …",
///  "error_codes": [7000215], "timestamp": "…", "trace_id": "…", "correlation_id": "…", "error_uri": "…"}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntraError {
    /// The OAuth error code (`invalid_client`, `invalid_scope`, `authorization_pending`, …).
    pub error: String,
    /// The first sentence(s) of `error_description`, without the trace, correlation and
    /// timestamp lines Entra appends (those are the fields below).
    pub description: Option<String>,
    /// `error_codes`: the AADSTS numbers (`7000215`).
    pub codes: Vec<u32>,
    /// `trace_id`.
    pub trace_id: Option<String>,
    /// `correlation_id`.
    pub correlation_id: Option<String>,
    /// `timestamp`.
    pub timestamp: Option<String>,
    /// `error_uri`.
    pub error_uri: Option<String>,
}

impl EntraError {
    /// Reads an Entra error body; `None` when the body is not one (no `error` member).
    pub fn parse(body: &[u8]) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let text = |key: &str| {
            value
                .get(key)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        let error = text("error")?;
        let description = text("error_description").map(|d| {
            // Entra appends "\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: …" (or the same
            // after a space): keep what a person needs, the fields keep the rest.
            let cut = ["Trace ID:", "Correlation ID:", "Timestamp:"]
                .iter()
                .filter_map(|marker| d.find(marker))
                .min()
                .unwrap_or(d.len());
            d[..cut].trim().to_owned()
        });
        let codes = value
            .get("error_codes")
            .and_then(serde_json::Value::as_array)
            .map(|codes| {
                codes
                    .iter()
                    .filter_map(|c| c.as_u64().and_then(|c| u32::try_from(c).ok()))
                    .collect()
            })
            .unwrap_or_default();
        Some(Self {
            error,
            description,
            codes,
            trace_id: text("trace_id"),
            correlation_id: text("correlation_id"),
            timestamp: text("timestamp"),
            error_uri: text("error_uri"),
        })
    }

    /// `AADSTS7000215, AADSTS…` (empty when Entra gave no code).
    pub fn aadsts(&self) -> String {
        self.codes
            .iter()
            .map(|c| format!("AADSTS{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for EntraError {
    /// `invalid_client (AADSTS7000215): Invalid client secret provided. … (trace ID …,
    /// correlation ID …)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.error)?;
        let codes = self.aadsts();
        let description = self.description.as_deref().unwrap_or("");
        // The description usually starts with the code; don't say it twice.
        if !codes.is_empty() && !description.starts_with("AADSTS") {
            write!(f, " ({codes})")?;
        }
        if !description.is_empty() {
            write!(f, ": {description}")?;
        }
        let ids: Vec<String> = [
            ("trace ID", &self.trace_id),
            ("correlation ID", &self.correlation_id),
        ]
        .into_iter()
        .filter_map(|(label, id)| id.as_ref().map(|id| format!("{label} {id}")))
        .collect();
        if !ids.is_empty() {
            write!(f, " ({})", ids.join(", "))?;
        }
        Ok(())
    }
}

/// A failure to obtain a token. Implementations must not put tokens or other secrets in the
/// message; the SDK's credentials never do (secrets, assertions, refresh tokens, device codes
/// and access tokens are kept out of every message, `Debug` included).
#[derive(Clone)]
pub struct CredentialError {
    kind: CredentialErrorKind,
    message: String,
    entra: Option<Box<EntraError>>,
    source: Option<Arc<dyn StdError + Send + Sync + 'static>>,
}

impl CredentialError {
    /// A failure described by `message` ([`CredentialErrorKind::Other`]).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            kind: CredentialErrorKind::Other,
            message: message.into(),
            entra: None,
            source: None,
        }
    }

    /// A failure described by `message`, caused by `source`.
    pub fn with_source(
        message: impl Into<String>,
        source: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        Self {
            source: Some(Arc::from(source.into())),
            ..Self::new(message)
        }
    }

    /// A failure of this kind.
    pub fn of_kind(kind: CredentialErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            ..Self::new(message)
        }
    }

    /// Entra ID's refusal: `message` says what was being done, `entra` what Entra said. The kind
    /// follows Entra's code (`authorization_declined` is [`CredentialErrorKind::SignInDeclined`],
    /// `expired_token` [`CredentialErrorKind::SignInExpired`], anything else `Entra`).
    pub fn entra(message: impl Into<String>, entra: EntraError) -> Self {
        let kind = match entra.error.as_str() {
            "authorization_declined" | "access_denied" => CredentialErrorKind::SignInDeclined,
            "expired_token" => CredentialErrorKind::SignInExpired,
            _ => CredentialErrorKind::Entra,
        };
        Self {
            kind,
            message: message.into(),
            entra: Some(Box::new(entra)),
            source: None,
        }
    }

    /// Adds the error that caused this one.
    #[must_use]
    pub fn caused_by(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> CredentialErrorKind {
        self.kind
    }

    /// The message (without Entra's diagnostics; `Display` adds them).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What Entra ID said, when it answered with an error.
    pub fn entra_error(&self) -> Option<&EntraError> {
        self.entra.as_deref()
    }
}

impl fmt::Debug for CredentialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("entra", &self.entra)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for CredentialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(entra) = &self.entra {
            write!(f, ": {entra}")?;
        }
        Ok(())
    }
}

impl StdError for CredentialError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entra_bodies_parse_and_display() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.\r\nTrace ID: t-1\r\nCorrelation ID: c-1\r\nTimestamp: 2026-12-01 10:00:00Z","error_codes":[7000215],"timestamp":"2026-12-01 10:00:00Z","trace_id":"t-1","correlation_id":"c-1","error_uri":"https://login.microsoftonline.com/error?code=7000215"}"#;
        let entra = EntraError::parse(body).unwrap();
        assert_eq!(entra.codes, [7_000_215]);
        assert_eq!(entra.aadsts(), "AADSTS7000215");
        assert!(
            entra
                .description
                .as_deref()
                .unwrap()
                .ends_with("client secret value.")
        );
        let e = CredentialError::entra("signing in as client c", entra);
        assert_eq!(e.kind(), CredentialErrorKind::Entra);
        assert_eq!(
            e.to_string(),
            "signing in as client c: invalid_client: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value. (trace ID t-1, correlation ID c-1)"
        );
        assert!(EntraError::parse(b"<html>").is_none());
        assert!(EntraError::parse(br#"{"value": 1}"#).is_none());
        let declined = EntraError::parse(br#"{"error":"authorization_declined"}"#).unwrap();
        assert_eq!(
            CredentialError::entra("x", declined).kind(),
            CredentialErrorKind::SignInDeclined
        );
    }

    #[test]
    fn chains_and_clones() {
        let e = CredentialError::with_source("no token", std::io::Error::other("io"));
        assert_eq!(e.to_string(), "no token");
        assert!(StdError::source(&e).is_some());
        assert!(StdError::source(&e.clone()).is_some());
        assert!(StdError::source(&CredentialError::new("x")).is_none());
    }
}
