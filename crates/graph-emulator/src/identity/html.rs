//! The identity provider's HTML pages: escaping, the page frame, and the response headers a
//! page is served with.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

/// `text` with `&`, `<`, `>`, `"` and `'` escaped, for HTML text and attribute values.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole HTML page.
pub(super) fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} - graph-emulator</title></head><body><h1>{}</h1>{body}<p><small>graph-emulator: a local test identity provider.</small></p></body></html>\n",
        escape(title),
        escape(title)
    )
}

/// A page whose forms post only to this origin.
pub(super) fn html(status: StatusCode, page: &str) -> Response {
    html_with_policy(status, page, "default-src 'none'; form-action 'self'")
}

/// A page with this `Content-Security-Policy` (a sign-in page whose form ends in a redirect to
/// the app must name the app's origin in `form-action`, or browsers stop the redirect).
pub(super) fn html_with_policy(status: StatusCode, page: &str, policy: &str) -> Response {
    let mut response = Response::new(Body::from(page.to_owned()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let policy = HeaderValue::from_str(policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'; form-action 'self'"));
    headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<b a="x" b='y'>&</b>"#),
            "&lt;b a=&quot;x&quot; b=&#39;y&#39;&gt;&amp;&lt;/b&gt;"
        );
    }
}
