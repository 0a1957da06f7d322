//! The cache file on disk: its JSON shape, reading it, and changing it under an exclusive lock
//! with an atomic replace.
//!
//! * Readers take no lock: a writer never changes the file in place, it writes a temporary file
//!   in the same directory (created with mode 0600), flushes it to disk, and renames it over the
//!   cache file, so a reader sees the old contents or the new, never half of either.
//! * Writers (read, change, write) hold an exclusive lock on a sibling `<file>.lock` (std's
//!   `File::lock`: `flock` on Unix, `LockFileEx` on Windows) for the whole round, so two
//!   processes (or two handles in one) never lose each other's changes. The lock file is kept:
//!   removing it would let a third process lock a file the first no longer sees.
//! * The directory is created with mode 0700, the file is 0600 from its creation; a file that
//!   others can read is reported (`tracing` warning) and made 0600 by the next write.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::{PersistentCacheError, PersistentCacheErrorKind};

/// What the file says it is (`format`): anything else is another program's file.
pub(super) const FORMAT: &str = "graph-beta-rs token cache";
/// The newest layout this version reads and writes.
pub(super) const VERSION: u64 = 1;
/// How long a writer waits for another's lock before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// One signed-in account of one app at one authority, with its refresh token.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(super) struct Entry {
    /// `{oid}.{tid}` (Entra's `client_info` `uid.utid`).
    pub(super) home_account_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) username: Option<String>,
    /// The account's home tenant id (`utid`/`tid`).
    pub(super) tenant_id: String,
    /// The tenant the credential signed in at, as configured (an id, a domain, `organizations`).
    pub(super) realm: String,
    pub(super) client_id: String,
    /// `https://login.microsoftonline.com` (scheme, host and port).
    pub(super) authority_host: String,
    #[serde(default)]
    pub(super) scopes: Vec<String>,
    pub(super) refresh_token: String,
    /// Seconds since the Unix epoch of the last sign-in or renewal.
    #[serde(default)]
    pub(super) last_used: u64,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("home_account_id", &self.home_account_id)
            .field("username", &self.username)
            .field("client_id", &self.client_id)
            .field("authority_host", &self.authority_host)
            .finish_non_exhaustive()
    }
}

/// The whole file.
#[derive(Debug, Serialize, Deserialize)]
struct Contents {
    format: String,
    version: u64,
    #[serde(default)]
    accounts: Vec<Entry>,
}

/// The cache file at one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CacheFile {
    path: PathBuf,
}

fn corrupt(path: &Path, what: impl Into<String>) -> PersistentCacheError {
    PersistentCacheError::new(PersistentCacheErrorKind::Corrupt, Some(path), what)
}

/// Where serde_json stopped, without its message (which can quote the file's values: a refresh
/// token in the wrong place would end up in the error).
fn where_json_failed(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Io => "could not be read",
        serde_json::error::Category::Syntax => "is not valid JSON",
        serde_json::error::Category::Data => "does not have the expected fields",
        serde_json::error::Category::Eof => "ends too early (truncated)",
    };
    if e.line() == 0 {
        what.to_owned()
    } else {
        format!("{what} (line {}, column {})", e.line(), e.column())
    }
}

impl CacheFile {
    pub(super) fn new(path: PathBuf) -> Self {
        Self { path }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    fn lock_path(&self) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        self.path.with_file_name(name)
    }

    fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        }
    }

    /// The accounts in the file (none when it does not exist or is empty).
    pub(super) fn read(&self) -> Result<Vec<Entry>, PersistentCacheError> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(PersistentCacheError::io(&self.path, "could not open", e)),
        };
        warn_if_others_can_read(&self.path, &file);
        let mut text = Vec::new();
        file.read_to_end(&mut text)
            .map_err(|e| PersistentCacheError::io(&self.path, "could not read", e))?;
        self.parse(&text)
    }

    fn parse(&self, text: &[u8]) -> Result<Vec<Entry>, PersistentCacheError> {
        if text.iter().all(u8::is_ascii_whitespace) {
            return Ok(Vec::new());
        }
        let value: serde_json::Value = serde_json::from_slice(text)
            .map_err(|e| corrupt(&self.path, format!("the file {}", where_json_failed(&e))))?;
        let format = value.get("format").and_then(serde_json::Value::as_str);
        if format != Some(FORMAT) {
            return Err(PersistentCacheError::new(
                PersistentCacheErrorKind::Foreign,
                Some(&self.path),
                format!(
                    "the file is JSON but not a {FORMAT} (no \"format\": \"{FORMAT}\"); it is left alone"
                ),
            ));
        }
        let version = value.get("version").and_then(serde_json::Value::as_u64);
        match version {
            Some(v) if v > VERSION => {
                return Err(PersistentCacheError::new(
                    PersistentCacheErrorKind::Foreign,
                    Some(&self.path),
                    format!(
                        "the file has layout version {v}, written by a newer version of this SDK (this one reads version {VERSION}); it is left alone"
                    ),
                ));
            }
            Some(_) => {}
            None => return Err(corrupt(&self.path, "the file has no layout version")),
        }
        let contents: Contents = serde_json::from_value(value)
            .map_err(|e| corrupt(&self.path, format!("the file {}", where_json_failed(&e))))?;
        Ok(contents.accounts)
    }

    /// Reads the accounts, lets `change` edit them, and writes them back atomically, all under
    /// the exclusive lock. A corrupt file is replaced only when `replace_corrupt` (clearing);
    /// otherwise its error is returned and the file is left as it is. Returns what `change`
    /// returned.
    pub(super) fn update<T>(
        &self,
        replace_corrupt: bool,
        change: impl FnOnce(&mut Vec<Entry>) -> T,
    ) -> Result<T, PersistentCacheError> {
        create_private_dir(self.dir())?;
        let lock = self.lock()?;
        let mut accounts = match self.read() {
            Ok(accounts) => accounts,
            Err(e) if replace_corrupt && e.kind() == PersistentCacheErrorKind::Corrupt => {
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        let out = change(&mut accounts);
        self.replace(&Contents {
            format: FORMAT.to_owned(),
            version: VERSION,
            accounts,
        })?;
        drop(lock);
        Ok(out)
    }

    /// Takes the exclusive lock (released when the returned file is dropped), waiting up to
    /// [`LOCK_WAIT`] for another holder.
    fn lock(&self) -> Result<File, PersistentCacheError> {
        let path = self.lock_path();
        let file = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| PersistentCacheError::io(&path, "could not open the lock file", e))?;
        let mut waited = Duration::ZERO;
        let mut pause = Duration::from_millis(2);
        loop {
            // std's file locks are stable since Rust 1.89; the `persistent-cache` feature says so.
            #[allow(clippy::incompatible_msrv)]
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(fs::TryLockError::WouldBlock) if waited < LOCK_WAIT => {
                    std::thread::sleep(pause);
                    waited += pause;
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(PersistentCacheError::new(
                        PersistentCacheErrorKind::Locked,
                        Some(&path),
                        format!(
                            "another process held the lock for more than {} s",
                            LOCK_WAIT.as_secs()
                        ),
                    ));
                }
                Err(fs::TryLockError::Error(e)) => {
                    return Err(PersistentCacheError::io(&path, "could not lock", e));
                }
            }
        }
    }

    /// Writes `contents` to a new private file beside the cache, flushes it, and renames it over
    /// the cache file (then flushes the directory, on Unix).
    fn replace(&self, contents: &Contents) -> Result<(), PersistentCacheError> {
        let text = serde_json::to_vec_pretty(contents).map_err(|e| {
            PersistentCacheError::new(
                PersistentCacheErrorKind::Io,
                Some(&self.path),
                format!("could not serialize: {}", where_json_failed(&e)),
            )
        })?;
        let name = self.path.file_name().unwrap_or_default().to_string_lossy();
        let temp = self.dir().join(format!(
            ".{name}.{}.{:016x}.tmp",
            std::process::id(),
            fastrand::u64(..)
        ));
        let written = (|| {
            let mut file = private_options().write(true).create_new(true).open(&temp)?;
            file.write_all(&text)?;
            file.sync_all()?;
            drop(file);
            fs::rename(&temp, &self.path)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(PersistentCacheError::io(&self.path, "could not write", e));
        }
        sync_dir(self.dir());
        Ok(())
    }
}

/// Options that create a file readable and writable by its owner only (on Unix).
fn private_options() -> OpenOptions {
    #[allow(unused_mut)]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
}

/// Creates `dir` (and its parents) if missing; the last level with mode 0700 on Unix.
fn create_private_dir(dir: &Path) -> Result<(), PersistentCacheError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| PersistentCacheError::io(dir, "could not create the directory", e))
}

/// Flushes a rename to disk (Unix; elsewhere the rename is as durable as the system makes it).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

fn warn_if_others_can_read(path: &Path, file: &File) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = file.metadata().ok().map(|m| m.permissions().mode() & 0o777);
        if let Some(mode) = mode.filter(|mode| mode & 0o077 != 0) {
            tracing::warn!(
                path = %path.display(),
                mode = format_args!("{mode:o}"),
                "the token cache file can be read by other users; the next write makes it 0600"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = (path, file);
}

/// Entries for tests.
#[cfg(test)]
pub(super) mod tests_support {
    use super::Entry;

    /// Account `n`, with the refresh token `rt-secret-{n}`.
    pub(crate) fn entry(n: usize) -> Entry {
        Entry {
            home_account_id: format!("oid-{n}.tid"),
            username: Some(format!("user{n}@contoso.com")),
            tenant_id: "tid".to_owned(),
            realm: "contoso.com".to_owned(),
            client_id: "client".to_owned(),
            authority_host: "https://login.microsoftonline.com".to_owned(),
            scopes: vec!["User.Read".to_owned()],
            refresh_token: format!("rt-secret-{n}"),
            last_used: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::entry;
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "graph-core-cache-{name}-{}-{:x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn round_trips_and_is_private() {
        let dir = temp_dir("round");
        let file = CacheFile::new(dir.join("sub").join("cache.json"));
        assert!(file.read().unwrap().is_empty());
        file.update(false, |a| a.push(entry(1))).unwrap();
        assert_eq!(file.read().unwrap(), vec![entry(1)]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(file.path()), 0o600);
            assert_eq!(mode(&file.lock_path()), 0o600);
            assert_eq!(mode(&dir.join("sub")), 0o700);
        }
        // No temporary file is left behind.
        let names: Vec<String> = fs::read_dir(dir.join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_world_readable_file_becomes_private_on_the_next_write() {
        let dir = temp_dir("mode");
        let file = CacheFile::new(dir.join("cache.json"));
        file.update(false, |a| a.push(entry(1))).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            fs::set_permissions(file.path(), fs::Permissions::from_mode(0o644)).unwrap();
            assert_eq!(file.read().unwrap().len(), 1);
            file.update(false, |a| a.push(entry(2))).unwrap();
            let mode = fs::metadata(file.path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn corrupt_and_foreign_files_are_typed_errors_without_their_contents() {
        let dir = temp_dir("bad");
        let file = CacheFile::new(dir.join("cache.json"));
        let secret = "rt-secret-in-a-broken-file";
        let cases: [(&str, PersistentCacheErrorKind); 6] = [
            ("{\"format\": \"", PersistentCacheErrorKind::Corrupt),
            (
                "not json rt-secret-in-a-broken-file",
                PersistentCacheErrorKind::Corrupt,
            ),
            (
                r#"{"format":"graph-beta-rs token cache","version":1,"accounts":[{"refresh_token":7,"home_account_id":"rt-secret-in-a-broken-file"}]}"#,
                PersistentCacheErrorKind::Corrupt,
            ),
            (
                r#"{"format":"graph-beta-rs token cache","version":1,"accounts":"rt-secret-in-a-broken-file"}"#,
                PersistentCacheErrorKind::Corrupt,
            ),
            (
                r#"{"AccessToken":{"x":{"secret":"rt-secret-in-a-broken-file"}}}"#,
                PersistentCacheErrorKind::Foreign,
            ),
            (
                r#"{"format":"graph-beta-rs token cache","version":99,"accounts":[]}"#,
                PersistentCacheErrorKind::Foreign,
            ),
        ];
        for (text, kind) in cases {
            fs::write(file.path(), text).unwrap();
            let e = file.read().unwrap_err();
            assert_eq!(e.kind(), kind, "{text}: {e}");
            assert!(!e.to_string().contains(secret), "{e}");
            assert!(!format!("{e:?}").contains(secret), "{e:?}");
            // A writer leaves it alone…
            let e = file.update(false, |a| a.push(entry(1))).unwrap_err();
            assert_eq!(e.kind(), kind);
            assert_eq!(fs::read_to_string(file.path()).unwrap(), text);
        }
        // …except clearing, which replaces a corrupt file (never a foreign one).
        fs::write(file.path(), "{ truncated").unwrap();
        file.update(true, Vec::clear).unwrap();
        assert!(file.read().unwrap().is_empty());
        fs::write(file.path(), r#"{"other": "program"}"#).unwrap();
        assert_eq!(
            file.update(true, Vec::clear).unwrap_err().kind(),
            PersistentCacheErrorKind::Foreign
        );
        // An empty file is an empty cache.
        fs::write(file.path(), "").unwrap();
        assert!(file.read().unwrap().is_empty());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn concurrent_writers_through_separate_handles_lose_nothing() {
        // Each thread opens its own lock file handle, as another process would: `flock` locks
        // on separate open files exclude each other even within one process.
        let dir = temp_dir("concurrent");
        let path = dir.join("cache.json");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let file = CacheFile::new(path.clone());
                std::thread::spawn(move || {
                    for i in 0..25 {
                        file.update(false, |a| a.push(entry(t * 100 + i))).unwrap();
                        // Readers never see a half-written file.
                        file.read().unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let accounts = CacheFile::new(path).read().unwrap();
        assert_eq!(accounts.len(), 8 * 25);
        fs::remove_dir_all(dir).unwrap();
    }
}
