//! Authorization codes: issued by the authorization endpoint, redeemed once at the token
//! endpoint (`grant_type=authorization_code`), with PKCE (RFC 7636, `S256` or `plain`).
//!
//! A code is bound to its client, redirect URI, PKCE challenge, scopes, nonce and user, lives
//! [`Settings::auth_code_lifetime`](super::Settings) (ten minutes, as Entra's), and is used up by
//! the first redemption its client attempts, even one that fails (a wrong verifier, say). The
//! refusals are Entra's `invalid_grant` codes: an unknown code (AADSTS70000), one already
//! redeemed (AADSTS54005), an expired one (AADSTS70008), a redirect URI other than the one the
//! code was issued for (AADSTS500112), and a verifier that does not fit the challenge
//! (AADSTS501481).

use std::time::Instant;

use base64::Engine as _;
use serde_json::Value;

use super::errors::Refusal;
use super::grants::{Delegation, Form, bad_request, random_token, tenant_name, wants_client_info};
use super::{Identity, IdentityRequest, OpenId};
use crate::sync::lock;

/// How the client derived its PKCE challenge from the verifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ChallengeMethod {
    /// `BASE64URL(SHA256(verifier))`.
    S256,
    /// The verifier itself.
    Plain,
}

impl ChallengeMethod {
    /// The method a `code_challenge_method` names (RFC 7636: `plain` when absent).
    pub(super) fn parse(name: Option<&str>) -> Option<Self> {
        match name {
            Some("S256") => Some(Self::S256),
            Some("plain") | None => Some(Self::Plain),
            Some(_) => None,
        }
    }
}

/// A PKCE challenge sent to the authorization endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Challenge {
    pub(super) method: ChallengeMethod,
    pub(super) value: String,
}

/// Whether `text` is a well-formed PKCE verifier or challenge: 43 to 128 of RFC 3986's
/// unreserved characters.
pub(super) fn well_formed(text: &str) -> bool {
    (43..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

impl Challenge {
    /// Whether `verifier` is the one this challenge was made from.
    fn fits(&self, verifier: &str) -> bool {
        if !well_formed(verifier) {
            return false;
        }
        match self.method {
            ChallengeMethod::Plain => verifier == self.value,
            ChallengeMethod::S256 => {
                let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
                    == self.value
            }
        }
    }
}

/// What a signed-in user granted, waiting for the client to redeem it.
#[derive(Debug, Clone)]
pub(super) struct AuthCode {
    pub(super) client_id: String,
    pub(super) redirect_uri: String,
    pub(super) challenge: Option<Challenge>,
    /// Granted delegated scopes (short names).
    pub(super) scopes: Vec<String>,
    pub(super) resource: String,
    pub(super) offline: bool,
    /// `Some` when `openid` was asked for (the `id_token` carries this nonce).
    pub(super) openid: Option<OpenId>,
    /// The signed-in user's object id.
    pub(super) user: String,
    pub(super) expires_at: Instant,
    pub(super) redeemed: bool,
}

impl Identity {
    /// Stores a new code and returns it.
    pub(super) fn issue_code(&self, mut code: AuthCode) -> String {
        code.expires_at = Instant::now() + self.settings.auth_code_lifetime;
        let value = random_token();
        let mut state = lock(&self.state);
        let now = Instant::now();
        // Codes are short-lived: forget the ones no client can redeem any more.
        state
            .auth_codes
            .retain(|_, c| !c.redeemed && c.expires_at > now);
        state.auth_codes.insert(value.clone(), code);
        value
    }

    /// Lets every authorization code not yet redeemed expire now: redeeming one gets
    /// `invalid_grant` (AADSTS70008).
    pub fn expire_authorization_codes(&self) {
        let now = Instant::now();
        for code in lock(&self.state).auth_codes.values_mut() {
            code.expires_at = now;
        }
    }

    /// `grant_type=authorization_code`: `code`, `redirect_uri`, `client_id`, `code_verifier`
    /// (and the client's secret or assertion when it is not a public client).
    pub(super) fn redeem_code(
        &self,
        form: &Form,
        request: &IdentityRequest<'_>,
    ) -> Result<Value, Refusal> {
        let missing = |name: &str| {
            bad_request(
                "invalid_request",
                900_144,
                format!("The request body must contain the following parameter: '{name}'."),
            )
        };
        let client_id = form
            .get("client_id")
            .or_else(|| form.get("client_assertion").map(|_| ""))
            .unwrap_or_default();
        let mut app = None;
        if !client_id.is_empty() {
            let found = self.app(client_id, tenant_name(request))?;
            if found.public_client {
                app = Some(found);
            }
        }
        // A confidential client authenticates as it does for client credentials.
        let app = match app {
            Some(app) => app,
            None => self.authenticate_client(
                form,
                request.headers,
                tenant_name(request),
                request.origin,
            )?,
        };
        let value = form.get("code").ok_or_else(|| missing("code"))?;
        let redirect_uri = form
            .get("redirect_uri")
            .ok_or_else(|| missing("redirect_uri"))?;
        let mut state = lock(&self.state);
        let Some(code) = state
            .auth_codes
            .get_mut(value)
            .filter(|c| c.client_id.eq_ignore_ascii_case(&app.client_id))
        else {
            return Err(bad_request(
                "invalid_grant",
                70_000,
                "The provided value for the 'code' parameter is not valid. The code was not issued to this client, or is malformed.",
            ));
        };
        if std::mem::replace(&mut code.redeemed, true) {
            return Err(bad_request(
                "invalid_grant",
                54_005,
                "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
            ));
        }
        if Instant::now() >= code.expires_at {
            return Err(bad_request(
                "invalid_grant",
                70_008,
                "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
            ));
        }
        if code.redirect_uri != redirect_uri {
            return Err(bad_request(
                "invalid_grant",
                500_112,
                format!(
                    "The reply address '{redirect_uri}' does not match the reply address '{}' provided when requesting Authorization code.",
                    code.redirect_uri
                ),
            ));
        }
        if let Some(challenge) = &code.challenge {
            let fits = form.get("code_verifier").is_some_and(|v| challenge.fits(v));
            if !fits {
                return Err(bad_request(
                    "invalid_grant",
                    501_481,
                    "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                ));
            }
        }
        let code = code.clone();
        drop(state);
        self.issue(
            &app,
            &code.resource,
            Some(&Delegation {
                user: &code.user,
                scopes: &code.scopes,
                offline: code.offline,
                openid: code.openid.as_ref(),
                client_info: wants_client_info(form),
                origin: request.origin,
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    #[test]
    fn s256_and_plain_challenges() {
        // RFC 7636, appendix B.
        let s256 = Challenge {
            method: ChallengeMethod::S256,
            value: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
        };
        assert!(s256.fits(VERIFIER));
        assert!(!s256.fits(&VERIFIER.replace('d', "e")));
        assert!(!s256.fits("short"));
        let plain = Challenge {
            method: ChallengeMethod::Plain,
            value: VERIFIER.into(),
        };
        assert!(plain.fits(VERIFIER));
        assert!(!plain.fits("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    }

    #[test]
    fn methods_and_shapes() {
        assert_eq!(ChallengeMethod::parse(None), Some(ChallengeMethod::Plain));
        assert_eq!(
            ChallengeMethod::parse(Some("S256")),
            Some(ChallengeMethod::S256)
        );
        assert_eq!(ChallengeMethod::parse(Some("s256")), None);
        assert!(well_formed(VERIFIER));
        assert!(!well_formed(&"a".repeat(42)));
        assert!(well_formed(&"a".repeat(128)));
        assert!(!well_formed(&"a".repeat(129)));
        assert!(!well_formed(&format!("{}+", "a".repeat(43))));
    }
}
