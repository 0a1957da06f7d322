//! The OpenID Connect `id_token` of a sign-in: the claims a client checks before it trusts the
//! tokens that came with it.
//!
//! The `id_token` comes straight from the token endpoint over the credential's own TLS
//! connection, so (as OpenID Connect Core §3.1.3.7 allows) its signature is not checked here;
//! its `nonce` and `aud` are, which is what ties it to this sign-in and this client.

use base64::Engine as _;
use serde_json::Value;

use super::{CredentialError, CredentialErrorKind};

/// The claims (the decoded payload) of a JWT, or `None` if it is not one.
pub(crate) fn claims(jwt: &str) -> Option<Value> {
    let mut parts = jwt.split('.');
    let (_header, payload) = (parts.next()?, parts.next()?);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value.is_object().then_some(value)
}

/// Checks that `id_token` carries `nonce` and is for `client_id` (its `aud`).
///
/// # Errors
///
/// [`CredentialErrorKind::NonceMismatch`] when the token is missing, unreadable, carries
/// another nonce (or none), or names another audience. The message never holds the token.
pub(crate) fn check(
    id_token: Option<&str>,
    nonce: &str,
    client_id: &str,
) -> Result<(), CredentialError> {
    let mismatch = |why: &str| {
        CredentialError::of_kind(
            CredentialErrorKind::NonceMismatch,
            format!("the browser sign-in's tokens were not used: {why}"),
        )
    };
    let id_token = id_token.ok_or_else(|| {
        mismatch("the token endpoint sent no id_token, so the nonce could not be checked")
    })?;
    let claims = claims(id_token).ok_or_else(|| mismatch("the id_token is not a JWT"))?;
    if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
        return Err(mismatch(
            "the id_token does not carry the nonce this sign-in sent",
        ));
    }
    let audience_fits = match claims.get("aud") {
        Some(Value::String(aud)) => aud.eq_ignore_ascii_case(client_id),
        Some(Value::Array(auds)) => auds.iter().any(|a| {
            a.as_str()
                .is_some_and(|a| a.eq_ignore_ascii_case(client_id))
        }),
        _ => false,
    };
    if !audience_fits {
        return Err(mismatch(&format!(
            "the id_token was issued to another client than {client_id}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &Value) -> String {
        let encode = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!(
            "{}.{}.sig",
            encode(br#"{"alg":"RS256"}"#),
            encode(claims.to_string().as_bytes())
        )
    }

    #[test]
    fn nonce_and_audience_are_checked() {
        let good = jwt(&serde_json::json!({"nonce": "n-1", "aud": "client"}));
        assert!(check(Some(&good), "n-1", "client").is_ok());
        assert!(check(Some(&good), "n-1", "CLIENT").is_ok());
        let listed = jwt(&serde_json::json!({"nonce": "n-1", "aud": ["x", "client"]}));
        assert!(check(Some(&listed), "n-1", "client").is_ok());
        for (token, nonce, client) in [
            (Some(good.as_str()), "n-2", "client"),
            (Some(good.as_str()), "n-1", "other"),
            (Some("not a jwt"), "n-1", "client"),
            (Some("a.%%%.c"), "n-1", "client"),
            (Some("a.bnVsbA.c"), "n-1", "client"),
            (None, "n-1", "client"),
        ] {
            let e = check(token, nonce, client).unwrap_err();
            assert_eq!(e.kind(), CredentialErrorKind::NonceMismatch, "{e}");
            assert!(!e.to_string().contains(&good), "{e}");
        }
        let no_nonce = jwt(&serde_json::json!({"aud": "client"}));
        assert!(check(Some(&no_nonce), "n-1", "client").is_err());
    }
}
