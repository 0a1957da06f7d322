//! [`PersistentCacheError`]: why the token cache file could not be read or written. Messages name
//! the file and what was wrong with it, never its contents (a refresh token is a secret).

use std::fmt;
use std::path::{Path, PathBuf};

/// What kind of failure a [`PersistentCacheError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PersistentCacheErrorKind {
    /// No place for the cache: neither `$XDG_CACHE_HOME` nor `$HOME` (`%LOCALAPPDATA%` on
    /// Windows) is set to an absolute path.
    NoCacheDirectory,
    /// Reading, writing, renaming or locking the file failed (permissions, a full disk, …).
    Io,
    /// Another process held the file's lock for too long.
    Locked,
    /// The file is not JSON, or not in the shape this SDK writes (it was damaged).
    Corrupt,
    /// The file is JSON but another program's, or written by a newer version of this SDK: it is
    /// left alone (never overwritten).
    Foreign,
}

/// A failure to read or write the persistent token cache.
#[derive(Debug)]
pub struct PersistentCacheError {
    kind: PersistentCacheErrorKind,
    path: Option<PathBuf>,
    message: String,
    source: Option<std::io::Error>,
}

impl PersistentCacheError {
    pub(super) fn new(
        kind: PersistentCacheErrorKind,
        path: Option<&Path>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            path: path.map(Path::to_path_buf),
            message: message.into(),
            source: None,
        }
    }

    pub(super) fn io(path: &Path, doing: &str, source: std::io::Error) -> Self {
        Self {
            kind: PersistentCacheErrorKind::Io,
            path: Some(path.to_path_buf()),
            message: format!("{doing}: {source}"),
            source: Some(source),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> PersistentCacheErrorKind {
        self.kind
    }

    /// The file (or directory) concerned, when there is one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

impl fmt::Display for PersistentCacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("token cache")?;
        if let Some(path) = &self.path {
            write!(f, " {}", path.display())?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for PersistentCacheError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
