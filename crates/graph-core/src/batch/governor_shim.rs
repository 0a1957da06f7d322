//! A stand-in for the client-wide throttle governor (`crate::throttle`), with the interface the
//! issue-16 contract gives it: `admit` waits until a class of requests may be sent, `observe`
//! learns from an answer's status and headers. This one admits at once and learns nothing.
//!
//! Delete this file at merge: import `ThrottleClass` from `crate::throttle` and replace
//! [`throttle_of`] with `&client.inner.throttle`.

use reqwest::header::HeaderMap;

use crate::client::CoreClient;
use crate::operation::HttpMethod;

/// Which limit a request counts against: reads, or writes (POST, PATCH, PUT, DELETE).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ThrottleClass {
    /// GET.
    Read,
    /// POST, PATCH, PUT, DELETE.
    Write,
}

impl ThrottleClass {
    /// The class of a request sent with `method`.
    pub(crate) fn of(method: HttpMethod) -> Self {
        match method {
            HttpMethod::Get => ThrottleClass::Read,
            HttpMethod::Post | HttpMethod::Put | HttpMethod::Patch | HttpMethod::Delete => {
                ThrottleClass::Write
            }
        }
    }
}

/// The stand-in governor.
pub(crate) struct Governor;

impl Governor {
    /// Waits until `class` may send (the stand-in: at once).
    #[allow(clippy::unused_async, reason = "the real governor waits")]
    pub(crate) async fn admit(&self, _class: ThrottleClass) {}

    /// Learns from an answer (the stand-in: nothing).
    pub(crate) fn observe(&self, _class: ThrottleClass, _status: u16, _headers: &HeaderMap) {}
}

/// The client's governor.
pub(crate) fn throttle_of(_client: &CoreClient) -> &'static Governor {
    static GOVERNOR: Governor = Governor;
    &GOVERNOR
}
