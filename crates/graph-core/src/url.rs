//! The URL of a request: the client's service root, the rendered path (parameters validated
//! and encoded, see [`crate::path`]) and the query (names and values encoded when added); or a
//! next link, checked to point at the service root.

use crate::error::Error;
use crate::path::RequestPath;

/// `{service_root}{path}?{name}={value}&…`, parsed once.
pub(crate) fn request_url(
    service_root: &str,
    path: &RequestPath,
    query: &[(String, String)],
    operation_id: &str,
) -> Result<reqwest::Url, Error> {
    let query_len: usize = query.iter().map(|(n, v)| n.len() + v.len() + 2).sum();
    let mut url = String::with_capacity(service_root.len() + 128 + query_len);
    url.push_str(service_root);
    path.render_into(&mut url)?;
    for (i, (name, value)) in query.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(name);
        url.push('=');
        url.push_str(value);
    }
    reqwest::Url::parse(&url).map_err(|e| Error::InvalidInput {
        message: format!("could not build the request URL for {operation_id}: {e}"),
    })
}

/// Parses a next link and checks it points at the client's service root.
pub(crate) fn check_next_link(
    service_root: &str,
    operation_id: &'static str,
    link: &str,
) -> Result<reqwest::Url, Error> {
    let refuse = |reason: String| Error::InvalidNextLink {
        operation_id,
        reason,
    };
    let url = reqwest::Url::parse(link)
        .map_err(|e| refuse(format!("it is not an absolute URL ({e})")))?;
    let root = reqwest::Url::parse(service_root)
        .map_err(|e| refuse(format!("the client's service root is not a URL ({e})")))?;
    let origin = |u: &reqwest::Url| {
        format!(
            "{}://{}:{}",
            u.scheme(),
            u.host_str().unwrap_or(""),
            u.port_or_known_default()
                .map_or_else(String::new, |p| p.to_string())
        )
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("it carries credentials".to_owned()));
    }
    if origin(&url) != origin(&root) || url.host_str().is_none() {
        return Err(refuse(format!(
            "it points at {}, not at the service root's {}",
            origin(&url),
            origin(&root)
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_path_and_query() {
        let path = RequestPath::new()
            .literal("servicePrincipals")
            .param("id", "a b")
            .literal("owners");
        let query = [
            ("$top".to_owned(), "5".to_owned()),
            ("$select".to_owned(), "id%2CdisplayName".to_owned()),
        ];
        let url = request_url("https://graph.microsoft.com/beta", &path, &query, "op").unwrap();
        assert_eq!(
            url.as_str(),
            "https://graph.microsoft.com/beta/servicePrincipals/a%20b/owners?$top=5&$select=id%2CdisplayName"
        );
        let bad = RequestPath::new().param("id", "..");
        assert!(matches!(
            request_url("https://x/beta", &bad, &[], "op"),
            Err(Error::InvalidInput { .. })
        ));
    }
}
