//! [`ResponseInfo`]: what a successful answer said besides its body, for
//! [`Request::send_with_response`](crate::Request::send_with_response).

use reqwest::header::HeaderMap;

use crate::throttle::THROTTLE_LIMIT_PERCENTAGE;

/// The header with the resource units an identity request cost.
pub const RESOURCE_UNIT: &str = "x-ms-resource-unit";
/// The header with the service's id of a request.
pub const REQUEST_ID: &str = "request-id";

/// The status and headers of a successful answer (the decoded body is returned beside it).
///
/// Only [`send_with_response`](crate::Request::send_with_response) keeps them; a plain `.await`
/// or `send` does not copy the headers.
#[derive(Clone, Debug)]
pub struct ResponseInfo {
    status: u16,
    headers: HeaderMap,
}

impl ResponseInfo {
    pub(crate) fn new(status: u16, headers: HeaderMap) -> Self {
        Self { status, headers }
    }

    /// The HTTP status (2xx; or, for a reference operation that met its own earlier effect after
    /// a gateway timeout, the 400 or 404 that said so).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Every response header.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// A header's value as text, if present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `x-ms-resource-unit`: the resource units the request cost against Entra's limits.
    pub fn resource_units(&self) -> Option<u32> {
        self.header(RESOURCE_UNIT)?.trim().parse().ok()
    }

    /// `x-ms-throttle-limit-percentage`: the fraction of a limit used (0.8 to 1.8), present only
    /// once the application has used over 80 % of one.
    pub fn throttle_limit_percentage(&self) -> Option<f64> {
        let value: f64 = self
            .header(THROTTLE_LIMIT_PERCENTAGE)?
            .trim()
            .parse()
            .ok()?;
        value.is_finite().then_some(value)
    }

    /// `request-id`: the service's id of the request, for support cases.
    pub fn request_id(&self) -> Option<&str> {
        self.header(REQUEST_ID)
    }

    /// `client-request-id` as the service echoed it (the id this client sent).
    pub fn client_request_id(&self) -> Option<&str> {
        self.header(crate::send::CLIENT_REQUEST_ID)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn accessors_read_graph_headers_and_tolerate_garbage() {
        let mut headers = HeaderMap::new();
        headers.insert(RESOURCE_UNIT, HeaderValue::from_static("3"));
        headers.insert(THROTTLE_LIMIT_PERCENTAGE, HeaderValue::from_static("0.93"));
        headers.insert(REQUEST_ID, HeaderValue::from_static("r-1"));
        headers.insert("client-request-id", HeaderValue::from_static("c-1"));
        let info = ResponseInfo::new(200, headers);
        assert_eq!(info.status(), 200);
        assert_eq!(info.resource_units(), Some(3));
        assert_eq!(info.throttle_limit_percentage(), Some(0.93));
        assert_eq!(info.request_id(), Some("r-1"));
        assert_eq!(info.client_request_id(), Some("c-1"));

        let mut garbage = HeaderMap::new();
        garbage.insert(RESOURCE_UNIT, HeaderValue::from_static("-1"));
        garbage.insert(THROTTLE_LIMIT_PERCENTAGE, HeaderValue::from_static("NaN"));
        garbage.insert(REQUEST_ID, HeaderValue::from_bytes(b"\xff").unwrap());
        let info = ResponseInfo::new(204, garbage);
        assert_eq!(info.resource_units(), None);
        assert_eq!(info.throttle_limit_percentage(), None);
        assert_eq!(info.request_id(), None);
        assert_eq!(info.client_request_id(), None);
    }
}
