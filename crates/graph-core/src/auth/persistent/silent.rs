//! [`SilentSignIn`]: what an interactive credential (device code, browser) does with a
//! [`PersistentTokenCache`]: find a refresh token for its app and authority before prompting,
//! forget one Entra refused, and write back what every sign-in and renewal returns.
//!
//! Credentials call it; it never fails them: a cache that cannot be read or written is a
//! `tracing` warning, and the credential goes on (prompting, or with its token unsaved).

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use super::account::{Account, Identity};
use super::file::Entry;
use super::{PersistentCacheError, PersistentTokenCache};

/// The scopes a credential adds when it keeps a persistent cache, as MSAL does: `openid` and
/// `profile` bring the id token and `client_info` that say who signed in, `offline_access` the
/// refresh token.
pub(crate) const SILENT_SCOPES: [&str; 3] = ["openid", "profile", "offline_access"];

/// Entra's codes for a refresh token that will never work again: expired for inactivity
/// (AADSTS700082, AADSTS70008), revoked (AADSTS50173), expired by a sign-in frequency policy
/// (AADSTS70043) or a single-page app's lifetime (AADSTS700084), malformed (AADSTS9002313).
const DEAD_GRANT: [u32; 6] = [700_082, 70_008, 50_173, 70_043, 700_084, 9_002_313];

/// Whether an `invalid_grant` with these AADSTS codes means the refresh token is dead (forget
/// it), rather than that this request needs more (consent for a new scope, MFA, a claims
/// challenge: the token stays for the requests it still serves).
pub(crate) fn is_dead_grant(codes: &[u32]) -> bool {
    codes.iter().any(|c| DEAD_GRANT.contains(c))
}

/// A refresh token found in the cache, and whose it is.
pub(crate) struct Cached {
    pub(crate) home_account_id: String,
    pub(crate) refresh_token: String,
}

impl fmt::Debug for Cached {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cached")
            .field("home_account_id", &self.home_account_id)
            .finish_non_exhaustive()
    }
}

/// What a token response brought, for the cache.
pub(crate) struct Issued<'a> {
    pub(crate) refresh_token: &'a str,
    pub(crate) client_info: Option<&'a str>,
    pub(crate) id_token: Option<&'a str>,
    /// The granted scopes (the response's `scope`, else what was asked).
    pub(crate) scopes: Vec<String>,
}

/// One credential's view of a [`PersistentTokenCache`]: its app, authority and tenant, and the
/// account it is signed in as.
pub(crate) struct SilentSignIn {
    cache: PersistentTokenCache,
    authority_host: String,
    realm: String,
    client_id: String,
    /// A username or home account id to prefer among several accounts.
    hint: Option<String>,
    /// Which account this credential is.
    current: Mutex<Current>,
}

/// Which account a credential is, as far as the cache goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Current {
    /// Not known yet: the first silent sign-in picks one.
    Unknown,
    /// Signed in (or silently renewed) as this home account id.
    Account(String),
    /// Signed out: no silent sign-in from the cache until the person signs in again.
    SignedOut,
}

impl Current {
    fn account(&self) -> Option<&str> {
        match self {
            Self::Account(id) => Some(id),
            Self::Unknown | Self::SignedOut => None,
        }
    }
}

impl fmt::Debug for SilentSignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SilentSignIn")
            .field("path", &self.cache.path())
            .field("account_hint", &self.hint)
            .field("current", &*self.lock_current())
            .finish_non_exhaustive()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn warn(doing: &str, e: &PersistentCacheError) {
    tracing::warn!(error = %e, "{doing}");
}

impl SilentSignIn {
    /// `client_id` signing in at `authority_host` for `realm` (the tenant as configured: an
    /// id, a domain, `organizations` or `common`), preferring the account `hint` names.
    pub(crate) fn new(
        cache: PersistentTokenCache,
        authority_host: &str,
        realm: &str,
        client_id: &str,
        hint: Option<String>,
    ) -> Self {
        Self {
            cache,
            authority_host: authority_host.to_owned(),
            realm: realm.to_owned(),
            client_id: client_id.to_owned(),
            hint,
            current: Mutex::new(Current::Unknown),
        }
    }

    fn lock_current(&self) -> std::sync::MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `entry` was written by this app at this authority for this tenant.
    fn mine(&self, entry: &Entry) -> bool {
        let any_tenant = ["common", "organizations"]
            .iter()
            .any(|t| self.realm.eq_ignore_ascii_case(t));
        entry.client_id.eq_ignore_ascii_case(&self.client_id)
            && entry
                .authority_host
                .eq_ignore_ascii_case(&self.authority_host)
            && (any_tenant
                || entry.realm.eq_ignore_ascii_case(&self.realm)
                || entry.tenant_id.eq_ignore_ascii_case(&self.realm))
    }

    /// Whether the credential may renew with the refresh token it holds in memory: not once it
    /// signed out, nor when its account has been signed out elsewhere (another process, or a
    /// [`PersistentTokenCache`] handle, removed it from a file that is still readable; deleting
    /// the file signs every account out). An unreadable file changes nothing.
    pub(crate) fn may_renew(&self) -> bool {
        let current = self.lock_current().clone();
        let account = match current {
            Current::SignedOut => return false,
            Current::Unknown => return true,
            Current::Account(account) => account,
        };
        let Ok(entries) = self.cache.file().read() else {
            return true;
        };
        if entries
            .iter()
            .any(|e| self.mine(e) && e.home_account_id == account)
        {
            return true;
        }
        tracing::info!(
            account = %account,
            "the account was signed out of the persistent token cache elsewhere; signing in again"
        );
        *self.lock_current() = Current::SignedOut;
        false
    }

    /// The refresh token to try before prompting: the account this credential is signed in as,
    /// else the one the hint names, else the most recently used of this app's accounts.
    pub(crate) fn refresh_token(&self) -> Option<Cached> {
        let entries = match self.cache.file().read() {
            Ok(entries) => entries,
            Err(e) => {
                warn(
                    "the persistent token cache could not be read; signing in interactively",
                    &e,
                );
                return None;
            }
        };
        let current = self.lock_current().clone();
        if current == Current::SignedOut {
            return None;
        }
        let wanted = current.account().or(self.hint.as_deref());
        // The file keeps the most recently used first.
        let chosen = entries.iter().find(|e| {
            self.mine(e)
                && wanted.is_none_or(|w| {
                    e.home_account_id == w
                        || e.username
                            .as_deref()
                            .is_some_and(|u| u.eq_ignore_ascii_case(w))
                })
        })?;
        *self.lock_current() = Current::Account(chosen.home_account_id.clone());
        tracing::debug!(
            account = %chosen.home_account_id,
            "signing in silently with a refresh token from the persistent cache"
        );
        Some(Cached {
            home_account_id: chosen.home_account_id.clone(),
            refresh_token: chosen.refresh_token.clone(),
        })
    }

    /// Entra refused the cached refresh token of `home_account_id` as dead
    /// ([`is_dead_grant`]: expired, revoked): forget it, so the next run prompts instead of trying
    /// it again.
    pub(crate) fn refused(&self, home_account_id: &str) {
        let forgotten = self.cache.file().update(false, |entries| {
            entries.retain(|e| !(self.mine(e) && e.home_account_id == home_account_id));
        });
        if let Err(e) = forgotten {
            warn(
                "a refused refresh token could not be removed from the persistent token cache",
                &e,
            );
        }
    }

    /// Writes what a sign-in or renewal returned: its refresh token under the account it is
    /// for (from `client_info` or the id token, else the account signed in as).
    pub(crate) fn save(&self, issued: &Issued<'_>) {
        let who = Identity::from_response(issued.client_info, issued.id_token);
        let Some(home_account_id) = who
            .home_account_id
            .clone()
            .or_else(|| self.lock_current().account().map(str::to_owned))
        else {
            tracing::warn!(
                "the token response says nothing of who signed in (no client_info or id_token): not kept in the persistent token cache"
            );
            return;
        };
        let saved = self.cache.file().update(false, |entries| {
            let now = now();
            // The account moves to the front: the file lists the most recently used first.
            let found = entries
                .iter()
                .position(|e| self.mine(e) && e.home_account_id == home_account_id)
                .map(|at| entries.remove(at));
            let entry = match found {
                Some(mut entry) => {
                    entry.refresh_token = issued.refresh_token.to_owned();
                    entry.scopes.clone_from(&issued.scopes);
                    entry.last_used = now;
                    entry.realm.clone_from(&self.realm);
                    if who.username.is_some() {
                        entry.username.clone_from(&who.username);
                    }
                    entry
                }
                None => Entry {
                    tenant_id: who.tenant_id.clone().unwrap_or_else(|| {
                        home_account_id
                            .split_once('.')
                            .map(|(_, tid)| tid.to_owned())
                            .unwrap_or_default()
                    }),
                    home_account_id: home_account_id.clone(),
                    username: who.username.clone(),
                    realm: self.realm.clone(),
                    client_id: self.client_id.clone(),
                    authority_host: self.authority_host.clone(),
                    scopes: issued.scopes.clone(),
                    refresh_token: issued.refresh_token.to_owned(),
                    last_used: now,
                },
            };
            entries.insert(0, entry);
        });
        match saved {
            Ok(()) => *self.lock_current() = Current::Account(home_account_id),
            Err(e) => warn(
                "the new refresh token could not be written to the persistent token cache",
                &e,
            ),
        }
    }

    /// The account this credential is signed in as, from the cache.
    pub(crate) fn account(&self) -> Option<Account> {
        let current = self.lock_current().account()?.to_owned();
        let entries = self.cache.file().read().ok()?;
        entries
            .iter()
            .find(|e| self.mine(e) && e.home_account_id == current)
            .map(Account::from_entry)
    }

    /// Signs the current account out of the cache (its refresh token is forgotten); until the
    /// person signs in again, this credential signs in from the cache no more (not even as
    /// another cached account). Returns whether the cache held the account.
    pub(crate) fn sign_out(&self) -> Result<bool, PersistentCacheError> {
        let current = std::mem::replace(&mut *self.lock_current(), Current::SignedOut);
        let Current::Account(current) = current else {
            return Ok(false);
        };
        self.cache.file().update(false, |entries| {
            let before = entries.len();
            entries.retain(|e| !(self.mine(e) && e.home_account_id == current));
            entries.len() != before
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const HOST: &str = "https://login.microsoftonline.com";

    fn client_info(oid: &str, tid: &str) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::json!({"uid": oid, "utid": tid}).to_string())
    }

    fn id_token(username: &str) -> String {
        let claims = URL_SAFE_NO_PAD.encode(
            serde_json::json!({"oid": "ignored", "tid": "ignored", "preferred_username": username})
                .to_string(),
        );
        format!("e30.{claims}.sig")
    }

    fn temp_cache() -> (PersistentTokenCache, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "graph-core-silent-{}-{:x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        (PersistentTokenCache::at(dir.join("cache.json")), dir)
    }

    fn save(silent: &SilentSignIn, oid: &str, tid: &str, refresh: &str) {
        let info = client_info(oid, tid);
        let token = id_token(&format!("{oid}@contoso.com"));
        silent.save(&Issued {
            refresh_token: refresh,
            client_info: Some(&info),
            id_token: Some(&token),
            scopes: vec!["User.Read".to_owned()],
        });
    }

    #[test]
    fn accounts_are_matched_by_app_authority_and_tenant() {
        let (cache, dir) = temp_cache();
        let at = |realm: &str, client: &str, host: &str| {
            SilentSignIn::new(cache.clone(), host, realm, client, None)
        };
        save(&at("contoso.com", "app", HOST), "ada", "tid-1", "rt-ada");
        let account = cache.accounts().unwrap().remove(0);
        assert_eq!(account.home_account_id, "ada.tid-1");
        assert_eq!(account.username.as_deref(), Some("ada@contoso.com"));
        assert_eq!(account.tenant_id, "tid-1");
        let found = |s: SilentSignIn| s.refresh_token().map(|c| c.refresh_token);
        // The same realm, the tenant id, or any tenant (`organizations`, `common`).
        for realm in [
            "contoso.com",
            "CONTOSO.COM",
            "tid-1",
            "organizations",
            "common",
        ] {
            assert_eq!(
                found(at(realm, "app", HOST)).as_deref(),
                Some("rt-ada"),
                "{realm}"
            );
        }
        // Another tenant, app or authority: nothing.
        assert!(found(at("fabrikam.com", "app", HOST)).is_none());
        assert!(found(at("contoso.com", "other-app", HOST)).is_none());
        assert!(found(at("contoso.com", "app", "https://login.microsoftonline.us")).is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn renewals_update_the_account_and_unknown_sign_ins_are_not_kept() {
        let (cache, dir) = temp_cache();
        let silent = SilentSignIn::new(cache.clone(), HOST, "organizations", "app", None);
        // Nothing says who signed in, and the credential does not know yet: not written.
        silent.save(&Issued {
            refresh_token: "rt-nobody",
            client_info: None,
            id_token: None,
            scopes: Vec::new(),
        });
        assert!(!cache.path().exists());
        save(&silent, "ada", "tid-1", "rt-1");
        // A renewal without client_info or id_token belongs to the account signed in as.
        silent.save(&Issued {
            refresh_token: "rt-2",
            client_info: None,
            id_token: None,
            scopes: vec!["Mail.Read".to_owned()],
        });
        let accounts = cache.accounts().unwrap();
        assert_eq!(accounts.len(), 1);
        assert_eq!(accounts[0].username.as_deref(), Some("ada@contoso.com"));
        assert_eq!(accounts[0].scopes, ["Mail.Read"]);
        assert_eq!(
            silent.refresh_token().map(|c| c.refresh_token).as_deref(),
            Some("rt-2")
        );
        assert!(!format!("{silent:?}").contains("rt-2"));
        // Forgetting a dead token, then signing out: nothing silent any more.
        silent.refused("ada.tid-1");
        assert!(cache.accounts().unwrap().is_empty());
        save(&silent, "ada", "tid-1", "rt-3");
        assert!(silent.sign_out().unwrap());
        assert!(silent.refresh_token().is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn only_a_dead_grant_is_forgotten() {
        assert!(is_dead_grant(&[700_082]));
        assert!(is_dead_grant(&[50_173, 1]));
        // Consent for a new scope, MFA, conditional access: the token is not dead.
        for alive in [&[65_001][..], &[50_076], &[53_003], &[]] {
            assert!(!is_dead_grant(alive), "{alive:?}");
        }
    }
}
