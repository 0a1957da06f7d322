//! What a delegated sign-in tells the client about its user: the OpenID Connect `id_token` and
//! Entra's `client_info`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::{EMULATOR_TENANT, EMULATOR_TENANT_DOMAIN};

/// The user a token is for, as the directory knows them.
pub(super) struct Person {
    /// Object id (`oid`).
    pub(super) id: String,
    /// `displayName`, if the user has one.
    pub(super) name: Option<String>,
    /// `userPrincipalName`; without one, `{id}@` the tenant's domain.
    pub(super) username: String,
}

impl Person {
    /// A person from a stored user object (`None` values when it lacks them).
    pub(super) fn from_user(id: &str, user: Option<&Value>) -> Self {
        let text = |key: &str| {
            user.and_then(|u| u.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        Self {
            id: id.to_owned(),
            name: text("displayName"),
            username: text("userPrincipalName")
                .unwrap_or_else(|| format!("{id}@{EMULATOR_TENANT_DOMAIN}")),
        }
    }
}

/// Entra's pairwise subject: stable for one user and one app, different across apps.
fn pairwise_subject(client_id: &str, oid: &str) -> String {
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        format!("{}:{oid}", client_id.to_ascii_lowercase()).as_bytes(),
    );
    URL_SAFE_NO_PAD.encode(digest)
}

/// The claims of a v2.0 `id_token` for `person`, issued to `client_id` by `issuer` at `now`
/// (seconds since the epoch), valid for `lifetime` seconds.
pub(super) fn claims(
    person: &Person,
    client_id: &str,
    issuer: &str,
    nonce: Option<&str>,
    now: u64,
    lifetime: u64,
) -> Value {
    let mut claims = json!({
        "aud": client_id,
        "iss": issuer,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "oid": person.id,
        "preferred_username": person.username,
        "sub": pairwise_subject(client_id, &person.id),
        "tid": EMULATOR_TENANT,
        "uti": uuid::Uuid::new_v4().simple().to_string(),
        "ver": "2.0",
    });
    if let Some(name) = &person.name {
        claims["name"] = json!(name);
    }
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    claims
}

/// Entra's `client_info`: base64url of `{"uid": oid, "utid": tid}`, from which MSAL builds its
/// account's home id.
pub(super) fn client_info(oid: &str) -> String {
    URL_SAFE_NO_PAD.encode(json!({"uid": oid, "utid": EMULATOR_TENANT}).to_string())
}
