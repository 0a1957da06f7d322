//! [`PersistentTokenCache`]: sign-ins that last across runs (refresh tokens and accounts in a
//! private file per OS user).

// With no interactive credential (`device-code`, `browser`) built in, the silent sign-in hook and what it
// reads from token responses have no caller yet: the cache is then only listed and cleared.
#[cfg_attr(
    not(any(feature = "device-code", feature = "browser")),
    allow(dead_code)
)]
mod account;
mod error;
mod file;
#[cfg_attr(
    not(any(feature = "device-code", feature = "browser")),
    allow(dead_code)
)]
mod silent;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use account::Account;
pub use error::{PersistentCacheError, PersistentCacheErrorKind};
#[cfg(any(feature = "device-code", feature = "browser"))]
pub(crate) use silent::{Issued, SILENT_SCOPES, SilentSignIn, is_dead_grant};

use file::CacheFile;

/// The directory name under the user's cache directory.
const APP_DIR: &str = "graph-beta-rs";
/// The file name of the default cache.
const FILE_NAME: &str = "token-cache.json";

/// Sign-ins that last across runs. Refresh tokens and the accounts
/// they belong to are kept in a file per OS user, so the next run of a tool signs in silently
/// instead of prompting again.
///
/// * Where: [`PersistentTokenCache::open`] uses `$XDG_CACHE_HOME/graph-beta-rs/token-cache.json`,
///   else `$HOME/.cache/graph-beta-rs/token-cache.json` (`%LOCALAPPDATA%\graph-beta-rs\…` on
///   Windows); [`PersistentTokenCache::at`] takes any path.
/// * Private: the directory is created 0700 and the file 0600 from its creation (on Unix).
/// * Atomic and safe under several processes: every change is a read-modify-write under an
///   exclusive lock on `<file>.lock` (std's `File::lock`), written to a temporary file in the same
///   directory, flushed, and renamed over the cache; readers never see half a file.
/// * A damaged file ([`PersistentCacheErrorKind::Corrupt`]) or another program's
///   ([`PersistentCacheErrorKind::Foreign`]) is a typed error from this type's methods; a
///   credential that meets one logs a `tracing` warning and signs in interactively (it never
///   overwrites a foreign file; [`clear`](PersistentTokenCache::clear) replaces a corrupt one).
///   Error messages name the file, never its contents.
/// * What is kept per account ([`Account`]): the home account id (`{oid}.{tid}` from Entra's
///   `client_info`), the username, the tenant, the client id, the authority host, the granted
///   scopes, and the refresh token. Access tokens are not written (they live an hour; the
///   in-memory [`TokenCache`](crate::TokenCache) keeps them).
///
/// Credentials take it in their builders (`DeviceCodeCredentialBuilder::persistent_cache` with
/// the `device-code` feature, `BrowserCredentialBuilder::persistent_cache` with `browser`): they
/// try the cached refresh token first, prompt only when there is none or Entra refuses it as
/// expired or revoked (that token is then forgotten), and write every new refresh token back.
/// Credentials of the same app at the same authority share the account, whichever flow signed
/// it in.
///
/// Signing out ([`sign_out`](Self::sign_out), [`clear`](Self::clear), the credentials'
/// `sign_out()`, or deleting the file) reaches credentials running in other processes at their
/// next renewal: they prompt instead of writing the account back (the access token they hold in
/// memory lasts until it expires).
///
/// Needs Rust 1.89 (std's file locks).
///
/// ```no_run
/// use graph_core::PersistentTokenCache;
///
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let cache = PersistentTokenCache::open()?;
/// for account in cache.accounts()? {
///     println!("signed in: {:?}", account.username);
/// }
/// # #[cfg(feature = "device-code")]
/// let credential = graph_core::DeviceCodeCredential::builder("contoso.onmicrosoft.com", "11111111-2222-3333-4444-555555555555")
///     .persistent_cache(cache)
///     .build()?;
/// # Ok(())
/// # }
/// ```
///
/// Clones share the file. Its methods do blocking file I/O (a few milliseconds; a writer may
/// wait up to 10 s for another process's lock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersistentTokenCache {
    file: Arc<CacheFile>,
}

impl PersistentTokenCache {
    /// The cache at the default place for this OS user ([`default_path`](Self::default_path)).
    /// Nothing is created until a sign-in is written.
    ///
    /// # Errors
    ///
    /// [`PersistentCacheErrorKind::NoCacheDirectory`] when there is no cache directory.
    pub fn open() -> Result<Self, PersistentCacheError> {
        Ok(Self::at(Self::default_path()?))
    }

    /// The cache in the file at `path` (created, with its directory, when a sign-in is written).
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self {
            file: Arc::new(CacheFile::new(path.into())),
        }
    }

    /// `$XDG_CACHE_HOME/graph-beta-rs/token-cache.json`, else
    /// `$HOME/.cache/graph-beta-rs/token-cache.json` (`%LOCALAPPDATA%\graph-beta-rs\token-cache.json`
    /// on Windows). Relative values of those variables are ignored, as the XDG rules say.
    ///
    /// # Errors
    ///
    /// [`PersistentCacheErrorKind::NoCacheDirectory`] when none of them is set to an absolute
    /// path.
    pub fn default_path() -> Result<PathBuf, PersistentCacheError> {
        default_path_from(|name| std::env::var_os(name))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// The accounts signed in, most recently used first.
    ///
    /// # Errors
    ///
    /// The file could not be read, or is damaged or another program's.
    pub fn accounts(&self) -> Result<Vec<Account>, PersistentCacheError> {
        // Writers keep the file in that order.
        let entries = self.file.read()?;
        Ok(entries.iter().map(Account::from_entry).collect())
    }

    /// Signs `account` out: forgets its refresh token, so the next sign-in for it prompts.
    /// Returns whether it was there.
    ///
    /// # Errors
    ///
    /// The file could not be read or written, or is damaged or another program's.
    pub fn sign_out(&self, account: &Account) -> Result<bool, PersistentCacheError> {
        self.file.update(false, |entries| {
            let before = entries.len();
            entries.retain(|e| !account.is(e));
            entries.len() != before
        })
    }

    /// Signs every account out. A damaged file is replaced by an empty cache.
    ///
    /// # Errors
    ///
    /// The file could not be written, or is another program's (left alone).
    pub fn clear(&self) -> Result<(), PersistentCacheError> {
        self.file.update(true, Vec::clear)
    }

    #[cfg_attr(
        not(any(feature = "device-code", feature = "browser")),
        allow(dead_code)
    )]
    fn file(&self) -> &CacheFile {
        &self.file
    }
}

/// The default path, from the environment variables `var` reads.
fn default_path_from(
    var: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Result<PathBuf, PersistentCacheError> {
    let absolute = |name: &str| var(name).map(PathBuf::from).filter(|p| p.is_absolute());
    let base = if cfg!(windows) {
        absolute("LOCALAPPDATA")
    } else {
        absolute("XDG_CACHE_HOME").or_else(|| absolute("HOME").map(|home| home.join(".cache")))
    };
    base.map(|base| base.join(APP_DIR).join(FILE_NAME))
        .ok_or_else(|| {
            PersistentCacheError::new(
                PersistentCacheErrorKind::NoCacheDirectory,
                None,
                if cfg!(windows) {
                    "LOCALAPPDATA is not set to an absolute path: give the cache a path (PersistentTokenCache::at)"
                } else {
                    "neither XDG_CACHE_HOME nor HOME is set to an absolute path: give the cache a path (PersistentTokenCache::at)"
                },
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_sign_out_and_clear() {
        let dir = std::env::temp_dir().join(format!(
            "graph-core-persistent-{}-{:x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let cache = PersistentTokenCache::at(dir.join("cache.json"));
        assert!(cache.accounts().unwrap().is_empty());
        cache.clear().unwrap();
        let (first, second) = (file::tests_support::entry(1), file::tests_support::entry(2));
        cache
            .file()
            .update(false, |e| e.extend([second, first]))
            .unwrap();
        let accounts = cache.accounts().unwrap();
        assert_eq!(
            accounts
                .iter()
                .map(|a| a.username.as_deref().unwrap())
                .collect::<Vec<_>>(),
            ["user2@contoso.com", "user1@contoso.com"]
        );
        assert!(!format!("{accounts:?}").contains("rt-secret"));
        assert!(!format!("{cache:?}").contains("rt-secret"));
        assert!(cache.sign_out(&accounts[0]).unwrap());
        assert!(!cache.sign_out(&accounts[0]).unwrap());
        assert_eq!(cache.accounts().unwrap(), vec![accounts[1].clone()]);
        cache.clear().unwrap();
        assert!(cache.accounts().unwrap().is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn the_default_path_follows_xdg_then_home() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| std::ffi::OsString::from(v))
            }
        };
        let path = |vars| default_path_from(env(vars));
        assert_eq!(
            path(&[("XDG_CACHE_HOME", "/x/cache"), ("HOME", "/home/ada")]).unwrap(),
            Path::new("/x/cache/graph-beta-rs/token-cache.json")
        );
        assert_eq!(
            path(&[("XDG_CACHE_HOME", "relative"), ("HOME", "/home/ada")]).unwrap(),
            Path::new("/home/ada/.cache/graph-beta-rs/token-cache.json")
        );
        let e = path(&[("HOME", "")]).unwrap_err();
        assert_eq!(e.kind(), PersistentCacheErrorKind::NoCacheDirectory);
    }
}
