//! Client assertions (`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`,
//! RFC 7523) as Entra ID checks them: a JWT signed with the key of a certificate registered for
//! the app, or, for an app that accepts them, an unsigned federated assertion.
//!
//! A *certificate* assertion names its certificate in the JWT header by thumbprint (`x5t#S256`,
//! the SHA-256 of the certificate's DER, or `x5t`, its SHA-1; base64url) and is verified in full:
//!
//! | check | refusal (401 `invalid_client`) |
//! | --- | --- |
//! | three base64url parts, header and claims JSON objects, a `jti` | AADSTS50027 (malformed) |
//! | `alg` `RS256` or `PS256`, a thumbprint naming a registered certificate | AADSTS700027 (key not found) |
//! | the signature verifies with that certificate's public key | AADSTS700027 (invalid signature) |
//! | `iss` = `sub` = the client id | AADSTS700021 |
//! | `aud` = the token endpoint the request was sent to (one value) | AADSTS50012 (AADSTS5002741 for several) |
//! | `exp` in the future and `nbf` (when present) not, with a clock skew (5 minutes, as Entra) | AADSTS700024 |
//!
//! An app with certificates that does not accept unsigned assertions takes only verified ones;
//! an app without certificates takes unsigned ones (`iss` = `sub` = client id, `exp` in the
//! future) when [`App::accepts_assertions`] is set, as before.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::{Map, Value};

use super::errors::{Refusal, refusal};
use super::{App, EMULATOR_TENANT, EMULATOR_TENANT_DOMAIN, Tenant};

/// Reads a registered certificate: a PEM `CERTIFICATE` block, or the base64 of its DER.
///
/// # Errors
///
/// Why the text is not a usable X.509 certificate.
pub(crate) fn parse_certificate(text: &str) -> Result<CertificateDer<'static>, String> {
    let der = if text.contains("-----BEGIN") {
        CertificateDer::from_pem_slice(text.as_bytes())
            .map_err(|e| format!("no PEM CERTIFICATE block could be read ({e})"))?
    } else {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        CertificateDer::from(
            STANDARD
                .decode(compact)
                .map_err(|e| format!("neither PEM nor base64 DER ({e})"))?,
        )
    };
    webpki::EndEntityCert::try_from(&der)
        .map_err(|e| format!("not an X.509 certificate webpki can read ({e})"))?;
    Ok(der)
}

/// Seconds since the Unix epoch.
fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn unauthorized(code: u32, text: impl Into<String>) -> Refusal {
    refusal(StatusCode::UNAUTHORIZED, "invalid_client", code, text)
}

fn malformed(why: &str) -> Refusal {
    unauthorized(50_027, format!("JWT token is invalid or malformed: {why}."))
}

/// What a client sent to authenticate with an assertion, and where.
pub(crate) struct Presented<'a> {
    /// `client_id` of the request.
    pub(crate) client_id: &'a str,
    /// `client_assertion`.
    pub(crate) assertion: &'a str,
    /// Whether `client_assertion_type` is jwt-bearer.
    pub(crate) jwt_bearer: bool,
    /// The token endpoints the request reached, as an `aud` may name them.
    pub(crate) audiences: Vec<String>,
    /// The clock skew allowed on `exp` and `nbf`, in seconds.
    pub(crate) clock_skew_secs: u64,
}

/// The URLs of the token endpoint a request was sent to, as an assertion's `aud` may write it:
/// the tenant by the name the client used, or (for the emulated tenant) by id or domain, and the
/// origin with either loopback name.
pub(crate) fn token_endpoints(origin: &str, tenant_segment: &str) -> Vec<String> {
    let tenants: Vec<&str> = match Tenant::parse(tenant_segment) {
        Some(Tenant::Emulated) => vec![tenant_segment, EMULATOR_TENANT, EMULATOR_TENANT_DOMAIN],
        _ => vec![tenant_segment],
    };
    let mut origins = vec![origin.to_owned()];
    if origin.contains("://127.0.0.1:") {
        origins.push(origin.replacen("://127.0.0.1:", "://localhost:", 1));
    }
    origins
        .iter()
        .flat_map(|o| {
            tenants
                .iter()
                .map(move |t| format!("{o}/{t}/oauth2/v2.0/token"))
        })
        .collect()
}

/// Authenticates `app` by the assertion presented.
///
/// # Errors
///
/// Entra's refusal (see the [module docs](self)).
pub(crate) fn authenticate(app: &App, presented: &Presented<'_>) -> Result<(), Refusal> {
    let parts = Jwt::parse(presented.assertion);
    let names_certificate = parts.as_ref().is_ok_and(|jwt| jwt.thumbprint().is_some());
    if !app.certificates.is_empty() && (names_certificate || !app.accepts_assertions) {
        if !presented.jwt_bearer {
            return Err(unsupported_type());
        }
        return verify(app, presented, &parts?, now_secs());
    }
    unsigned(app, presented, parts.ok().as_ref())
}

fn unsupported_type() -> Refusal {
    unauthorized(
        700_027,
        "Client assertion failed signature validation: client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
    )
}

/// The check of an unsigned (federated) assertion, unchanged from before certificates.
fn unsigned(app: &App, presented: &Presented<'_>, jwt: Option<&Jwt>) -> Result<(), Refusal> {
    let fits = jwt.is_some_and(|jwt| {
        let alive = jwt
            .claims
            .get("exp")
            .and_then(Value::as_u64)
            .is_some_and(|exp| exp > now_secs());
        jwt.text("iss") == Some(presented.client_id)
            && jwt.text("sub") == Some(presented.client_id)
            && alive
    });
    if presented.jwt_bearer && fits && app.accepts_assertions {
        return Ok(());
    }
    Err(unauthorized(
        700_027,
        "Client assertion failed signature validation, or its iss, sub or exp claims do not fit the client.",
    ))
}

/// A compact JWS, decoded.
struct Jwt<'a> {
    header: Map<String, Value>,
    claims: Map<String, Value>,
    /// `header.payload`, the signed bytes.
    signing_input: &'a str,
    signature: Vec<u8>,
}

/// A thumbprint from a JWT header: which hash, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Thumbprint {
    Sha256(Vec<u8>),
    Sha1(Vec<u8>),
}

impl Thumbprint {
    fn bytes(&self) -> &[u8] {
        match self {
            Self::Sha256(b) | Self::Sha1(b) => b,
        }
    }

    /// Whether it is the thumbprint of this certificate.
    fn names(&self, der: &[u8]) -> bool {
        let algorithm = match self {
            Self::Sha256(_) => &ring::digest::SHA256,
            Self::Sha1(_) => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        };
        ring::digest::digest(algorithm, der).as_ref() == self.bytes()
    }

    /// Upper-case hex, as Entra prints the thumbprint it was given.
    fn hex(&self) -> String {
        self.bytes().iter().map(|b| format!("{b:02X}")).collect()
    }
}

/// base64url (Entra also takes plain base64 here), padding or not.
fn decode_b64(text: &str) -> Option<Vec<u8>> {
    let bare = text.trim_end_matches('=');
    URL_SAFE_NO_PAD.decode(bare).ok().or_else(|| {
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(bare)
            .ok()
    })
}

impl<'a> Jwt<'a> {
    fn parse(token: &'a str) -> Result<Self, Refusal> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed(
                "the assertion is not a compact JWS of three parts",
            ));
        };
        let object = |part: &str, what: &str| -> Result<Map<String, Value>, Refusal> {
            let bytes = URL_SAFE_NO_PAD
                .decode(part.trim_end_matches('='))
                .map_err(|_| malformed(&format!("the {what} is not base64url")))?;
            match serde_json::from_slice(&bytes) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err(malformed(&format!("the {what} is not a JSON object"))),
            }
        };
        Ok(Self {
            header: object(header, "header")?,
            claims: object(payload, "payload")?,
            signing_input: &token[..header.len() + 1 + payload.len()],
            signature: URL_SAFE_NO_PAD
                .decode(signature.trim_end_matches('='))
                .map_err(|_| malformed("the signature is not base64url"))?,
        })
    }

    fn text(&self, claim: &str) -> Option<&str> {
        self.claims.get(claim).and_then(Value::as_str)
    }

    /// The certificate the header names: `x5t#S256` first, else `x5t`.
    fn thumbprint(&self) -> Option<Thumbprint> {
        let member = |name: &str| {
            self.header
                .get(name)
                .and_then(Value::as_str)
                .and_then(decode_b64)
        };
        member("x5t#S256")
            .map(Thumbprint::Sha256)
            .or_else(|| member("x5t").map(Thumbprint::Sha1))
    }
}

/// The full check of a certificate assertion, at `now` (seconds since the epoch).
fn verify(app: &App, presented: &Presented<'_>, jwt: &Jwt<'_>, now: u64) -> Result<(), Refusal> {
    let client_id = presented.client_id;
    let algorithm = match jwt.header.get("alg").and_then(Value::as_str) {
        Some("RS256") => webpki::ring::RSA_PKCS1_2048_8192_SHA256,
        Some("PS256") => webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        other => {
            return Err(unauthorized(
                700_027,
                format!(
                    "Client assertion failed signature validation. [Reason - The signing algorithm {} is not supported: use RS256 or PS256.]",
                    other.map_or_else(|| "(none)".to_owned(), |a| format!("'{a}'"))
                ),
            ));
        }
    };
    let Some(thumbprint) = jwt.thumbprint() else {
        return Err(unauthorized(
            700_027,
            format!(
                "Client assertion failed signature validation. [Reason - The assertion names no key: its header has neither x5t#S256 nor x5t. App Id '{client_id}'.]"
            ),
        ));
    };
    let certificate = app
        .certificates
        .iter()
        .filter_map(|c| parse_certificate(c).ok())
        .find(|der| thumbprint.names(der))
        .ok_or_else(|| {
            unauthorized(
                700_027,
                format!(
                    "Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '{}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{client_id}'.]",
                    thumbprint.hex()
                ),
            )
        })?;
    let verified = webpki::EndEntityCert::try_from(&certificate).and_then(|cert| {
        cert.verify_signature(algorithm, jwt.signing_input.as_bytes(), &jwt.signature)
    });
    if verified.is_err() {
        return Err(unauthorized(
            700_027,
            format!(
                "Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '{}'.]",
                thumbprint.hex()
            ),
        ));
    }
    let same_client = |claim: &str| {
        jwt.text(claim)
            .is_some_and(|v| v.eq_ignore_ascii_case(client_id))
    };
    if !same_client("iss") || !same_client("sub") {
        return Err(unauthorized(
            700_021,
            format!(
                "Client assertion application identifier doesn't match 'client_id' parameter: iss and sub must both be '{client_id}'."
            ),
        ));
    }
    check_audience(jwt, &presented.audiences)?;
    check_lifetime(jwt, now, presented.clock_skew_secs)?;
    if jwt.text("jti").is_none_or(str::is_empty) {
        return Err(malformed("the assertion has no 'jti' claim"));
    }
    Ok(())
}

fn check_audience(jwt: &Jwt<'_>, audiences: &[String]) -> Result<(), Refusal> {
    let named: Vec<&str> = match jwt.claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(values)) => values.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if named.len() > 1 {
        return Err(unauthorized(
            5_002_741,
            format!(
                "Number of audience values in the provided client credential exceed maximum allowed. {} audience values provided, maximum allowed is 1.",
                named.len()
            ),
        ));
    }
    let fits = named.first().is_some_and(|aud| {
        let aud = aud.trim_end_matches('/');
        audiences.iter().any(|a| a.eq_ignore_ascii_case(aud))
    });
    if fits {
        return Ok(());
    }
    Err(unauthorized(
        50_012,
        format!(
            "Client assertion audience claim does not match Realm issuer. The audience in the assertion was '{}' and the expected audience is '{}'.",
            named.first().copied().unwrap_or_default(),
            audiences.first().map_or("", String::as_str)
        ),
    ))
}

fn check_lifetime(jwt: &Jwt<'_>, now: u64, skew: u64) -> Result<(), Refusal> {
    // A NumericDate may have a fraction (RFC 7519 §2; msal sends `time.time()`'s).
    let seconds = |claim: &str| {
        jwt.claims
            .get(claim)
            .and_then(Value::as_f64)
            .filter(|s| s.is_finite() && *s >= 0.0)
            // Whole seconds: the fraction cannot change a comparison with skew.
            .map(|s| s.floor() as u64)
    };
    let Some(exp) = seconds("exp") else {
        return Err(malformed("the assertion has no numeric 'exp' claim"));
    };
    let nbf = seconds("nbf");
    let expired = exp.saturating_add(skew) <= now;
    let early = nbf.is_some_and(|nbf| nbf > now.saturating_add(skew));
    if !expired && !early {
        return Ok(());
    }
    let time = |secs: u64| crate::response::iso8601(secs);
    Err(unauthorized(
        700_024,
        format!(
            "Client assertion is not within its valid time range. Current time: {}, assertion valid from {}, expiry time of assertion {}.",
            time(now),
            nbf.map_or_else(|| "(no nbf)".to_owned(), time),
            time(exp)
        ),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn thumbprints_name_their_certificate_only() {
        let der = parse_certificate(crate::tls::APP_CERT_TEST_PEM).unwrap();
        let other = parse_certificate(crate::tls::OTHER_CERT_TEST_PEM).unwrap();
        let sha256 = ring::digest::digest(&ring::digest::SHA256, &der);
        let print = Thumbprint::Sha256(sha256.as_ref().to_vec());
        assert!(print.names(&der));
        assert!(!print.names(&other));
        let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &der);
        assert!(Thumbprint::Sha1(sha1.as_ref().to_vec()).names(&der));
        assert_eq!(print.hex().len(), 64);
    }

    #[test]
    fn certificates_read_as_pem_or_base64_der_and_nothing_else() {
        let der = parse_certificate(crate::tls::APP_CERT_TEST_PEM).unwrap();
        let b64 = STANDARD.encode(&der);
        assert_eq!(parse_certificate(&b64).unwrap(), der);
        assert!(parse_certificate("not a certificate").is_err());
        assert!(parse_certificate(&STANDARD.encode(b"junk")).is_err());
        assert!(parse_certificate(crate::tls::APP_CERT_TEST_KEY_PEM).is_err());
    }

    #[test]
    fn audiences_cover_the_tenant_names_and_loopback_names() {
        let all = token_endpoints("http://127.0.0.1:9", EMULATOR_TENANT_DOMAIN);
        assert!(all.contains(&format!(
            "http://127.0.0.1:9/{EMULATOR_TENANT}/oauth2/v2.0/token"
        )));
        assert!(all.contains(&format!(
            "http://localhost:9/{EMULATOR_TENANT_DOMAIN}/oauth2/v2.0/token"
        )));
        assert_eq!(
            token_endpoints("https://127.0.0.1:9", "common"),
            [
                "https://127.0.0.1:9/common/oauth2/v2.0/token",
                "https://localhost:9/common/oauth2/v2.0/token"
            ]
        );
    }

    #[test]
    fn malformed_assertions_are_refused_without_panicking() {
        for token in [
            "",
            ".",
            "..",
            "a.b.c",
            "e30.e30",
            "e30.e30.e30.e30",
            "W10.e30.",
            "e30.W10.",
        ] {
            assert_eq!(
                Jwt::parse(token).err().map(|r| r.code),
                Some(50_027),
                "{token}"
            );
        }
        assert!(Jwt::parse("e30.e30.").is_ok());
    }
}
