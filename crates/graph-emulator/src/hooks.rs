//! Hooks: behaviour for an operation that no generic rule covers (an action, a function), keyed
//! by operation id and registered with [`EmulatorBuilder::hook`](crate::EmulatorBuilder::hook).
//!
//! A hook runs after routing, faults, authentication, authorization and body validation, with
//! the store locked; it answers instead of the generic behaviour. The slice's own operations
//! need none.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::store::Store;

/// What a hook sees of a request.
#[derive(Debug)]
#[non_exhaustive]
pub struct HookRequest<'a> {
    /// The operation id.
    pub operation_id: &'a str,
    /// The upper-case method.
    pub method: &'a str,
    /// Path parameters by name, percent-decoded.
    pub path_params: &'a BTreeMap<String, String>,
    /// Query options, decoded, in order.
    pub query: &'a [(String, String)],
    /// The validated JSON body, if any.
    pub body: Option<&'a Value>,
}

/// A hook's answer.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum HookResponse {
    /// A JSON body with this status.
    Json(u16, Value),
    /// A status without a body (`204`).
    Empty(u16),
    /// A Graph-shaped error.
    Error {
        /// HTTP status.
        status: u16,
        /// `error.code`.
        code: String,
        /// `error.message`.
        message: String,
    },
}

/// A hook function.
pub type HookFn = dyn Fn(&HookRequest<'_>, &mut Store) -> HookResponse + Send + Sync;

/// The registered hooks, by operation id.
#[derive(Clone, Default)]
pub(crate) struct Hooks(BTreeMap<String, Arc<HookFn>>);

impl Hooks {
    pub(crate) fn insert(&mut self, operation_id: String, hook: Arc<HookFn>) {
        self.0.insert(operation_id, hook);
    }

    pub(crate) fn get(&self, operation_id: Option<&str>) -> Option<&Arc<HookFn>> {
        self.0.get(operation_id?)
    }

    pub(crate) fn ids(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}
