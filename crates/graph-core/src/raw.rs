//! Raw calls: any Graph URL under the client's service root, through the same pipeline as a
//! generated operation (credential, headers, retry decision, errors, tracing, paging).
//!
//! A raw call is named by its path template, a string literal such as `/users/{}` or
//! `/servicePrincipals/{id}/owners/$ref`. Each `{}` (or `{name}`) placeholder takes the next
//! value of `params`, in order:
//! - a placeholder that is a whole segment is one percent-encoded path segment, exactly like a
//!   generated builder's path parameter (empty, `.` and `..` are refused);
//! - a placeholder inside a segment (an alternate key `applications(appId='{}')`, a function
//!   argument) is written as an OData string literal: quotes doubled, then percent-encoded.
//!
//! The template is code, not data: it must start with `/`, must not be an absolute URL, and
//! its literal text is limited to the characters of a URL path (letters, digits and
//! `-._~!$&'()*+,;=:@`), so a request can only go to the client's own service root, in its
//! cloud. Query options go through [`Request::query`] and [`Request::query_list`]. Problems are
//! returned by `send` as [`Error::InvalidInput`](crate::Error::InvalidInput) before anything is
//! sent.

/// The bound on what a raw call decodes into, re-exported for the generated client's forwarding
/// methods.
pub use serde::de::DeserializeOwned;

use crate::client::CoreClient;
use crate::decode::{self, DecodeError};
use crate::operation::{HttpMethod, OperationKind, OperationMeta};
use crate::paging::PagedRequest;
use crate::path::RequestPath;
use crate::request::Request;

impl CoreClient {
    /// A call to any path under the service root, for what the generated builders do not cover
    /// (see the [module docs](crate::raw)). The response body is decoded as JSON into `T`: any
    /// `DeserializeOwned` type, `serde_json::Value`, or `()` to ignore the body (a 204, say).
    ///
    /// ```no_run
    /// use graph_core::{CoreClient, HttpMethod, StaticToken};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct User {
    ///     id: String,
    /// }
    ///
    /// # async fn run() -> Result<(), graph_core::Error> {
    /// let client = CoreClient::new(StaticToken::new("eyJ..."));
    /// let user: User = client
    ///     .raw(HttpMethod::Get, "/users/{}", ["adele@contoso.com"])
    ///     .query_list("$select", ["id"])
    ///     .await?;
    /// client
    ///     .raw::<()>(HttpMethod::Post, "/groups/{}/owners/$ref", ["group-id"])
    ///     .json_body(&serde_json::json!({
    ///         "@odata.id": client.entity_url("directoryObjects", &user.id)?,
    ///     }))
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// The retry decision sees a raw `POST …/$ref` and `DELETE …/$ref` as adding and removing a
    /// reference, as it does for generated operations.
    pub fn raw<T>(
        &self,
        method: HttpMethod,
        template: &'static str,
        params: impl IntoIterator<Item = impl Into<String>>,
    ) -> Request<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let params = params.into_iter().map(Into::into).collect();
        raw_request(self, method, template, params, any_json::<T>)
    }

    /// A raw `GET` of a collection, paged like a generated pageable operation: awaiting it gives
    /// the first [`Page`](crate::Page), and [`PagedRequest::items`] / [`PagedRequest::pages`] follow
    /// `@odata.nextLink` (same origin only). The template follows the rules of [`CoreClient::raw`].
    pub fn raw_paged<T>(
        &self,
        template: &'static str,
        params: impl IntoIterator<Item = impl Into<String>>,
    ) -> PagedRequest<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let params = params.into_iter().map(Into::into).collect();
        PagedRequest::from_first(raw_request(
            self,
            HttpMethod::Get,
            template,
            params,
            decode::page::<T>,
        ))
    }
}

fn raw_request<T>(
    client: &CoreClient,
    method: HttpMethod,
    template: &'static str,
    params: Vec<String>,
    decoder: decode::Decoder<T>,
) -> Request<T> {
    let (path, problem) = match parse(template, params) {
        Ok(path) => (path, None),
        Err(problem) => (RequestPath::new(), Some(problem)),
    };
    let mut request = client
        .request(meta(method, template), path, decoder)
        .raw(template);
    if let Some(problem) = problem {
        request.fail(format!("raw call `{template}`: {problem}"));
    }
    request
}

/// JSON into `T`; for `T = ()`, any body (or none) is ignored, as for generated operations
/// without a response schema.
fn any_json<T: DeserializeOwned + 'static>(body: &[u8]) -> Result<T, DecodeError> {
    if std::any::TypeId::of::<T>() == std::any::TypeId::of::<()>() {
        return T::deserialize(serde_json::Value::Null).map_err(DecodeError::from);
    }
    decode::json(body)
}

/// Names of unnamed placeholders by position, for error messages.
const POSITIONS: [&str; 8] = ["{0}", "{1}", "{2}", "{3}", "{4}", "{5}", "{6}", "{7}"];

/// Characters a literal part of a template may hold: RFC 3986 `pchar` without `%`.
fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@".contains(c)
}

/// The template as a [`RequestPath`] with `params` in its placeholders.
fn parse(template: &'static str, params: Vec<String>) -> Result<RequestPath, String> {
    let Some(rest) = template.strip_prefix('/') else {
        return Err("the template must start with `/` (a path under the service root)".into());
    };
    let mut params = params.into_iter();
    let mut used = 0usize;
    let mut path = RequestPath::new();
    for segment in rest.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(format!("empty, `.` or `..` segment {segment:?}"));
        }
        let placeholders = placeholders(segment)?;
        if placeholders.is_empty() {
            path = path.literal(segment);
            continue;
        }
        let mut values = Vec::with_capacity(placeholders.len());
        for name in &placeholders {
            let Some(value) = params.next() else {
                return Err(format!("no value for placeholder {}", used + 1));
            };
            used += 1;
            values.push((*name, value));
        }
        let whole = placeholders.len() == 1 && segment.starts_with('{') && segment.ends_with('}');
        path = match (whole, values.pop()) {
            (true, Some((name, value))) => {
                let name = if name.is_empty() {
                    POSITIONS.get(used - 1).copied().unwrap_or("{}")
                } else {
                    name
                };
                path.param(name, value)
            }
            (_, last) => {
                values.extend(last);
                path.template(segment, values)
            }
        };
    }
    let extra = params.count();
    if extra > 0 {
        return Err(format!(
            "{} value(s) given for {used} placeholder(s)",
            used + extra
        ));
    }
    Ok(path)
}

/// The names of the placeholders of one segment (`""` for `{}`), checking its literal text.
fn placeholders(segment: &'static str) -> Result<Vec<&'static str>, String> {
    let mut names = Vec::new();
    let mut rest = segment;
    loop {
        let (literal, after) = match rest.find('{') {
            Some(open) => (&rest[..open], Some(&rest[open + 1..])),
            None => (rest, None),
        };
        if let Some(bad) = literal.chars().find(|c| !is_path_char(*c)) {
            return Err(format!(
                "{bad:?} in segment {segment:?} is not a URL path character; pass values as parameters"
            ));
        }
        let Some(after) = after else {
            return Ok(names);
        };
        let Some(close) = after.find('}') else {
            return Err(format!("unclosed `{{` in segment {segment:?}"));
        };
        let name = &after[..close];
        if name.contains('{') {
            return Err(format!("nested `{{` in segment {segment:?}"));
        }
        names.push(name);
        rest = &after[close + 1..];
    }
}

/// The static description of raw calls by method and retry kind.
fn meta(method: HttpMethod, template: &str) -> &'static OperationMeta {
    const fn raw(method: HttpMethod, kind: OperationKind) -> OperationMeta {
        OperationMeta {
            operation_id: "raw",
            method,
            path_template: "{raw}",
            permissions: None,
            national_clouds: None,
            docs_url: None,
            kind,
        }
    }
    static GET: OperationMeta = raw(HttpMethod::Get, OperationKind::Other);
    static POST: OperationMeta = raw(HttpMethod::Post, OperationKind::Other);
    static ADD_REFERENCE: OperationMeta = raw(HttpMethod::Post, OperationKind::AddReference);
    static PUT: OperationMeta = raw(HttpMethod::Put, OperationKind::Other);
    static PATCH: OperationMeta = raw(HttpMethod::Patch, OperationKind::Other);
    static DELETE: OperationMeta = raw(HttpMethod::Delete, OperationKind::Other);
    static REMOVE_REFERENCE: OperationMeta =
        raw(HttpMethod::Delete, OperationKind::RemoveReference);
    let reference = template.trim_end_matches('/').ends_with("/$ref");
    match (method, reference) {
        (HttpMethod::Get, _) => &GET,
        (HttpMethod::Post, true) => &ADD_REFERENCE,
        (HttpMethod::Post, false) => &POST,
        (HttpMethod::Put, _) => &PUT,
        (HttpMethod::Patch, _) => &PATCH,
        (HttpMethod::Delete, true) => &REMOVE_REFERENCE,
        (HttpMethod::Delete, false) => &DELETE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &'static str, params: &[&str]) -> Result<String, String> {
        let path = parse(template, params.iter().map(|p| (*p).to_owned()).collect())?;
        path.render().map_err(|e| e.to_string())
    }

    #[test]
    fn placeholders_take_values_in_order_and_are_encoded_like_generated_parameters() {
        assert_eq!(
            render("/users/{}", &["adele@contoso.com"]).unwrap(),
            "/users/adele%40contoso.com"
        );
        assert_eq!(
            render("/groups/{id}/members/{}/$ref", &["g/1", "u 2"]).unwrap(),
            "/groups/g%2F1/members/u%202/$ref"
        );
        assert_eq!(
            render("/applications(appId='{}')", &["it's"]).unwrap(),
            "/applications(appId='it%27%27s')"
        );
        assert_eq!(
            render("/a(x='{}',y='{}')/b", &["1", "2"]).unwrap(),
            "/a(x='1',y='2')/b"
        );
        assert_eq!(render("/me", &[]).unwrap(), "/me");
    }

    #[test]
    fn bad_templates_and_values_are_refused() {
        for (template, params, needle) in [
            ("users/{}", &["x"][..], "must start with `/`"),
            ("https://evil.example/users", &[][..], "must start with `/`"),
            ("//evil.example/users", &[][..], "empty"),
            ("/users/../me", &[][..], "`..`"),
            ("/users?$top=1", &[][..], "not a URL path character"),
            ("/users#x", &[][..], "not a URL path character"),
            ("/users/{}", &[][..], "no value for placeholder 1"),
            ("/users/{}", &["a", "b"][..], "2 value(s) given for 1"),
            ("/users/{", &["a"][..], "unclosed"),
            ("/us ers", &[][..], "not a URL path character"),
            ("/users/%2e%2e", &[][..], "not a URL path character"),
            ("/users/{}", &[""][..], "must not be empty"),
            ("/users/{}", &[".."][..], "must not be `.` or `..`"),
            ("/a(x='{}')", &[""][..], "must not be empty"),
        ] {
            let e = render(template, params).unwrap_err();
            assert!(e.contains(needle), "{template}: {e}");
        }
    }

    #[test]
    fn references_get_the_reference_shapes() {
        assert_eq!(
            meta(HttpMethod::Post, "/groups/{}/owners/$ref").kind,
            OperationKind::AddReference
        );
        assert_eq!(
            meta(HttpMethod::Delete, "/groups/{}/owners/{}/$ref").kind,
            OperationKind::RemoveReference
        );
        assert_eq!(meta(HttpMethod::Post, "/groups").kind, OperationKind::Other);
        assert_eq!(
            meta(HttpMethod::Get, "/groups/{}/owners/$ref").kind,
            OperationKind::Other
        );
    }

    #[test]
    fn unit_ignores_any_body_and_other_types_decode_json() {
        assert!(any_json::<()>(b"").is_ok());
        assert!(any_json::<()>(br#"{"id":"1"}"#).is_ok());
        assert_eq!(
            any_json::<serde_json::Value>(br#"{"id":"1"}"#).unwrap()["id"],
            "1"
        );
        assert!(any_json::<serde_json::Value>(b"").is_err());
    }
}
