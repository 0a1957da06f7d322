//! [`ErrorBodies`]: the last error body a credential's HTTP exchange received, so Entra's
//! diagnostics (codes, trace and correlation ids) reach the error even when a library in between
//! (`oauth2`, `azure_identity`) drops them.

use std::sync::{Arc, Mutex, PoisonError};

use super::EntraError;

/// The last error body an HTTP exchange received, for Entra's diagnostics.
#[derive(Debug, Clone, Default)]
pub(crate) struct ErrorBodies(Arc<Mutex<Option<Vec<u8>>>>);

impl ErrorBodies {
    pub(crate) fn record(&self, body: &[u8]) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(body.to_vec());
    }

    pub(crate) fn clear(&self) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Entra's error from the last error body, if it was one.
    pub(crate) fn entra(&self) -> Option<EntraError> {
        let body = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()?;
        EntraError::parse(&body)
    }
}
