//! [`Account`]: who signed in, as the cache records it, and how that is read from a token
//! response (Entra's `client_info` and the `id_token`'s claims).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::file::Entry;

/// A signed-in account kept in a [`PersistentTokenCache`](super::PersistentTokenCache): one
/// person, one app (client id), one authority. It holds no secret (the refresh token stays in the
/// file).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Account {
    /// `{object id}.{tenant id}`: Entra's home account id (from `client_info`), stable across
    /// sign-ins.
    pub home_account_id: String,
    /// The sign-in name (`preferred_username` of the id token), when Entra gave one.
    pub username: Option<String>,
    /// The account's home tenant id.
    pub tenant_id: String,
    /// The app that signed in.
    pub client_id: String,
    /// Where it signed in (`https://login.microsoftonline.com`).
    pub authority_host: String,
    /// The scopes granted at the last sign-in or renewal.
    pub scopes: Vec<String>,
}

impl Account {
    pub(super) fn from_entry(entry: &Entry) -> Self {
        Self {
            home_account_id: entry.home_account_id.clone(),
            username: entry.username.clone(),
            tenant_id: entry.tenant_id.clone(),
            client_id: entry.client_id.clone(),
            authority_host: entry.authority_host.clone(),
            scopes: entry.scopes.clone(),
        }
    }

    /// Whether `entry` is this account's record.
    pub(super) fn is(&self, entry: &Entry) -> bool {
        entry.home_account_id == self.home_account_id
            && entry.client_id.eq_ignore_ascii_case(&self.client_id)
            && entry
                .authority_host
                .eq_ignore_ascii_case(&self.authority_host)
    }
}

/// Who a token response is for: the home account id and tenant (from `client_info`, else the id
/// token's `oid`/`tid`) and the sign-in name (the id token's `preferred_username`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Identity {
    pub(crate) home_account_id: Option<String>,
    pub(crate) tenant_id: Option<String>,
    pub(crate) username: Option<String>,
}

/// The JSON inside base64url text (`client_info`, or a JWT's middle part); `None` when it is not.
fn decode_json(text: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn text(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl Identity {
    /// Reads `client_info` and the id token's claims (not its signature: the token came straight
    /// from the token endpoint over the connection the credential trusts, as OpenID Connect
    /// allows for the code and device flows). Anything unreadable is left out.
    pub(crate) fn from_response(client_info: Option<&str>, id_token: Option<&str>) -> Self {
        let info = client_info.and_then(decode_json);
        let claims = id_token
            .and_then(|jwt| jwt.split('.').nth(1))
            .and_then(decode_json);
        let from_info = info.as_ref().and_then(|info| {
            let uid = text(info, "uid")?;
            let utid = text(info, "utid")?;
            Some((format!("{uid}.{utid}"), utid))
        });
        let from_claims = claims.as_ref().and_then(|claims| {
            let oid = text(claims, "oid")?;
            let tid = text(claims, "tid")?;
            Some((format!("{oid}.{tid}"), tid))
        });
        let (home_account_id, tenant_id) = from_info.or(from_claims).unzip();
        Self {
            home_account_id,
            tenant_id,
            username: claims
                .as_ref()
                .and_then(|c| text(c, "preferred_username").or_else(|| text(c, "upn"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    #[test]
    fn identity_comes_from_client_info_then_the_id_token() {
        let info = b64(&serde_json::json!({"uid": "oid-1", "utid": "tid-1"}));
        let jwt = format!(
            "e30.{}.sig",
            b64(
                &serde_json::json!({"oid": "oid-2", "tid": "tid-2", "preferred_username": "ada@contoso.com"})
            )
        );
        let both = Identity::from_response(Some(&info), Some(&jwt));
        assert_eq!(both.home_account_id.as_deref(), Some("oid-1.tid-1"));
        assert_eq!(both.tenant_id.as_deref(), Some("tid-1"));
        assert_eq!(both.username.as_deref(), Some("ada@contoso.com"));
        let token_only = Identity::from_response(None, Some(&jwt));
        assert_eq!(token_only.home_account_id.as_deref(), Some("oid-2.tid-2"));
        // Garbage is left out, never a panic.
        for junk in ["", ".", "a.b.c", "%%%", "e30", "..."] {
            assert_eq!(
                Identity::from_response(Some(junk), Some(junk)),
                Identity::default()
            );
        }
    }
}
