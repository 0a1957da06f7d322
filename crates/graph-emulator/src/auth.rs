//! Authentication and authorization: `Authorization: Bearer <token>`, unsigned JWTs and the
//! operation's `x-graph-rs-permissions`.
//!
//! The emulator never verifies signatures. It reads a JWT's payload to learn who is calling:
//! `scp` (space-separated delegated scopes) makes a delegated call, `roles` (application
//! permissions) without `scp` an app-only call. Each is checked against the operation's permission
//! lists from the spec; an empty list means "not supported". A token whose `tid` is the Microsoft
//! account tenant (`9188040d-6c67-4c5b-b112-36a304b66dad`) is a personal-account caller, checked
//! against `delegatedPersonal`. An `exp` in the past is refused, and so is a token for another
//! resource: an `aud` that is neither Graph (`https://graph.microsoft.com`, or its application
//! id `00000003-0000-0000-c000-000000000000`) nor the emulator's own origin is a 401
//! `InvalidAuthenticationToken` "Access token validation failure. Invalid audience.", as Graph
//! answers. A JWT without `aud` (a hand-made test token) is read as Graph's.
//!
//! In [`AuthMode::Lenient`] (the default) a token that is not a JWT (any opaque string) is accepted
//! as all-powerful, so that a quickstart works with `StaticToken::new("t")`. [`AuthMode::StrictJwt`]
//! refuses such tokens as Graph does.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use graph_spec::extensions::Permissions;

/// The tenant id of personal Microsoft accounts.
pub const PERSONAL_ACCOUNT_TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// The tenant id the token helpers put in their tokens.
pub const EMULATOR_TENANT: &str = "00000000-0000-0000-0000-0000000000e1";

/// How strictly bearer tokens are checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthMode {
    /// JWTs are checked for permissions; any other (opaque) bearer token is all-powerful.
    #[default]
    Lenient,
    /// Every bearer token must be a JWT (unsigned is fine) with matching permissions.
    StrictJwt,
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Caller {
    /// An opaque token in lenient mode.
    AllPowerful,
    Delegated {
        scopes: Vec<String>,
        personal: bool,
    },
    Application {
        roles: Vec<String>,
    },
    /// A JWT with neither `scp` nor `roles`.
    NoPermissions,
}

/// A 401's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unauthenticated(pub(crate) &'static str);

/// The audiences of Microsoft Graph (its resource URI and application id).
const GRAPH_AUDIENCES: &[&str] = &[
    "https://graph.microsoft.com",
    "00000003-0000-0000-c000-000000000000",
];

/// Whether a token's `aud` (a string or an array of strings) names Graph or the emulator
/// itself (`origin`, `http(s)://127.0.0.1:PORT`).
fn for_graph(aud: &Value, origin: &str) -> bool {
    let fits = |aud: &str| {
        let aud = aud.trim_end_matches('/');
        GRAPH_AUDIENCES.iter().any(|g| g.eq_ignore_ascii_case(aud))
            || aud.eq_ignore_ascii_case(origin)
            || aud.eq_ignore_ascii_case(&origin.replacen("https://", "http://", 1))
    };
    match aud {
        Value::String(aud) => fits(aud),
        Value::Array(items) => items.iter().filter_map(Value::as_str).any(fits),
        _ => false,
    }
}

/// Who the `Authorization` header says is calling, on an emulator serving at `origin`.
pub(crate) fn authenticate(
    header: Option<&str>,
    mode: AuthMode,
    origin: &str,
) -> Result<Caller, Unauthenticated> {
    let empty = Unauthenticated("Access token is empty.");
    let header = header.ok_or(empty.clone())?.trim();
    let (scheme, token) = header.split_once(' ').ok_or(empty.clone())?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer")
        || token.is_empty()
        || token.contains(char::is_whitespace)
    {
        return Err(empty);
    }
    let Some(claims) = decode_jwt(token) else {
        return match mode {
            AuthMode::Lenient => Ok(Caller::AllPowerful),
            AuthMode::StrictJwt => Err(Unauthenticated(
                "CompactToken parsing failed with error code: 80049217",
            )),
        };
    };
    if let Some(exp) = claims.get("exp").and_then(Value::as_f64) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        if exp < now {
            return Err(Unauthenticated(
                "Lifetime validation failed, the token is expired.",
            ));
        }
    }
    if claims.get("aud").is_some_and(|aud| !for_graph(aud, origin)) {
        return Err(Unauthenticated(
            "Access token validation failure. Invalid audience.",
        ));
    }
    if let Some(scp) = claims.get("scp").and_then(Value::as_str) {
        let personal = claims.get("tid").and_then(Value::as_str) == Some(PERSONAL_ACCOUNT_TENANT);
        return Ok(Caller::Delegated {
            scopes: scp.split_whitespace().map(str::to_owned).collect(),
            personal,
        });
    }
    let roles: Vec<String> = match claims.get("roles") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        _ => return Ok(Caller::NoPermissions),
    };
    Ok(Caller::Application { roles })
}

/// Whom the throttling model charges for a request with this `Authorization` header: the
/// token's application (`appid`, else `azp`, else `default_app`) and tenant (`tid`, else
/// [`EMULATOR_TENANT`]).
pub(crate) fn app_and_tenant(header: Option<&str>, default_app: &str) -> (String, String) {
    let claims = header
        .and_then(|h| h.trim().split_once(' '))
        .and_then(|(_, token)| decode_jwt(token.trim()));
    let claim = |name: &str| {
        claims
            .as_ref()
            .and_then(|c| c.get(name))
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    (
        claim("appid")
            .or_else(|| claim("azp"))
            .unwrap_or_else(|| default_app.to_owned()),
        claim("tid").unwrap_or_else(|| EMULATOR_TENANT.to_owned()),
    )
}

/// Whether the caller holds one of the permissions the operation accepts. An operation without
/// `x-graph-rs-permissions` accepts every authenticated caller.
pub(crate) fn authorized(caller: &Caller, permissions: Option<&Permissions>) -> bool {
    let Some(permissions) = permissions else {
        return true;
    };
    let any_of = |held: &[String], accepted: &[String]| {
        held.iter()
            .any(|h| accepted.iter().any(|a| a.eq_ignore_ascii_case(h)))
    };
    match caller {
        Caller::AllPowerful => true,
        Caller::Delegated {
            scopes,
            personal: false,
        } => any_of(scopes, &permissions.delegated_work_or_school),
        Caller::Delegated {
            scopes,
            personal: true,
        } => any_of(scopes, &permissions.delegated_personal),
        Caller::Application { roles } => any_of(roles, &permissions.application),
        Caller::NoPermissions => false,
    }
}

/// The claims of a `header.payload.signature` token whose header and payload are base64url JSON
/// objects; `None` for anything else.
pub(crate) fn decode_jwt(token: &str) -> Option<serde_json::Map<String, Value>> {
    let mut parts = token.split('.');
    let (header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let decode = |part: &str| -> Option<serde_json::Map<String, Value>> {
        let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
        match serde_json::from_slice(&bytes).ok()? {
            Value::Object(map) => Some(map),
            _ => None,
        }
    };
    decode(header)?;
    decode(payload)
}

/// Makes unsigned JWTs (`alg: none`) for tests; the emulator reads their claims.
pub mod token {
    use super::{EMULATOR_TENANT, PERSONAL_ACCOUNT_TENANT, URL_SAFE_NO_PAD};
    use base64::Engine as _;
    use serde_json::{Value, json};

    /// An unsigned JWT carrying exactly `claims` (an object) as its payload.
    pub fn unsigned_jwt(claims: &Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("{header}.{payload}.")
    }

    /// A delegated (work or school account) token with these scopes in `scp`.
    pub fn delegated(scopes: &[&str]) -> String {
        unsigned_jwt(&json!({
            "aud": "https://graph.microsoft.com",
            "tid": EMULATOR_TENANT,
            "scp": scopes.join(" "),
        }))
    }

    /// A delegated token of a personal Microsoft account with these scopes.
    pub fn delegated_personal(scopes: &[&str]) -> String {
        unsigned_jwt(&json!({
            "aud": "https://graph.microsoft.com",
            "tid": PERSONAL_ACCOUNT_TENANT,
            "scp": scopes.join(" "),
        }))
    }

    /// An app-only token with these application permissions in `roles` (and no `scp`).
    pub fn application(roles: &[&str]) -> String {
        unsigned_jwt(&json!({
            "aud": "https://graph.microsoft.com",
            "tid": EMULATOR_TENANT,
            "roles": roles,
        }))
    }

    /// A delegated token whose `exp` lies in the past.
    pub fn expired(scopes: &[&str]) -> String {
        unsigned_jwt(&json!({
            "aud": "https://graph.microsoft.com",
            "tid": EMULATOR_TENANT,
            "scp": scopes.join(" "),
            "exp": 1_000_000_000,
        }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const ORIGIN: &str = "https://127.0.0.1:8443";

    fn perms() -> Permissions {
        Permissions {
            delegated_work_or_school: vec!["A.ReadWrite.All".into()],
            delegated_personal: vec![],
            application: vec!["A.ReadWrite.All".into(), "A.CreateAsManager".into()],
            notes: None,
        }
    }

    #[test]
    fn parses_headers_and_tokens() {
        assert_eq!(
            authenticate(None, AuthMode::Lenient, ORIGIN),
            Err(Unauthenticated("Access token is empty."))
        );
        assert!(authenticate(Some("Basic abc"), AuthMode::Lenient, ORIGIN).is_err());
        assert!(authenticate(Some("Bearer"), AuthMode::Lenient, ORIGIN).is_err());
        assert!(authenticate(Some("Bearer "), AuthMode::Lenient, ORIGIN).is_err());
        assert_eq!(
            authenticate(Some("Bearer t"), AuthMode::Lenient, ORIGIN),
            Ok(Caller::AllPowerful)
        );
        assert_eq!(
            authenticate(Some("bearer t"), AuthMode::Lenient, ORIGIN),
            Ok(Caller::AllPowerful)
        );
        assert!(authenticate(Some("Bearer t"), AuthMode::StrictJwt, ORIGIN).is_err());
        let t = token::delegated(&["A.ReadWrite.All", "User.Read"]);
        let caller =
            authenticate(Some(&format!("Bearer {t}")), AuthMode::StrictJwt, ORIGIN).unwrap();
        assert!(authorized(&caller, Some(&perms())));
        let t = token::application(&["A.CreateAsManager"]);
        let caller = authenticate(Some(&format!("Bearer {t}")), AuthMode::Lenient, ORIGIN).unwrap();
        assert!(authorized(&caller, Some(&perms())));
        let t = token::delegated_personal(&["A.ReadWrite.All"]);
        let caller = authenticate(Some(&format!("Bearer {t}")), AuthMode::Lenient, ORIGIN).unwrap();
        assert!(!authorized(&caller, Some(&perms())));
        let t = token::expired(&["A.ReadWrite.All"]);
        assert!(authenticate(Some(&format!("Bearer {t}")), AuthMode::Lenient, ORIGIN).is_err());
        let t = token::unsigned_jwt(&serde_json::json!({"sub": "x"}));
        let caller = authenticate(Some(&format!("Bearer {t}")), AuthMode::Lenient, ORIGIN).unwrap();
        assert_eq!(caller, Caller::NoPermissions);
        assert!(!authorized(&caller, Some(&perms())));
        assert!(authorized(&caller, None));
    }

    #[test]
    fn refuses_tokens_for_other_resources() {
        let with_aud = |aud: serde_json::Value| {
            let t =
                token::unsigned_jwt(&serde_json::json!({"aud": aud, "roles": ["A.ReadWrite.All"]}));
            authenticate(Some(&format!("Bearer {t}")), AuthMode::StrictJwt, ORIGIN)
        };
        for good in [
            serde_json::json!("https://graph.microsoft.com"),
            serde_json::json!("https://graph.microsoft.com/"),
            serde_json::json!("00000003-0000-0000-c000-000000000000"),
            serde_json::json!(ORIGIN),
            serde_json::json!("http://127.0.0.1:8443"),
            serde_json::json!([
                "https://management.azure.com",
                "https://graph.microsoft.com"
            ]),
        ] {
            assert!(with_aud(good.clone()).is_ok(), "{good}");
        }
        for bad in [
            serde_json::json!("https://management.azure.com"),
            serde_json::json!("https://graph.microsoft.com.evil"),
            serde_json::json!("https://127.0.0.1:9999"),
            serde_json::json!([]),
            serde_json::json!(7),
        ] {
            assert_eq!(
                with_aud(bad.clone()),
                Err(Unauthenticated(
                    "Access token validation failure. Invalid audience."
                )),
                "{bad}"
            );
        }
    }
}
