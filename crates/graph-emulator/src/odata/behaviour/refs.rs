//! `$ref`: the references of a collection navigation. Adding one checks the URL's shape, that
//! the target exists and may be referenced, and that it is not there already; removing one
//! checks it is there.

use axum::http::StatusCode;
use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use super::{Call, Owner};
use crate::odata::context::{self, set_of_type};
use crate::odata::rules::{is_of_type, type_fit};
use crate::response::{bad_request, empty, json_response, not_found};
use crate::store::Store;

/// `(collection, id)` of `http(s)://host[/prefix]/{version}/{collection}/{id}`; `None` for
/// anything else (a bare id, a relative URL, a query or fragment, extra segments).
pub(crate) fn parse_reference(url: &str) -> Option<(String, String)> {
    let lower = url
        .get(..8)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let rest = if lower.starts_with("https://") {
        url.get(8..)?
    } else if lower.starts_with("http://") {
        url.get(7..)?
    } else {
        return None;
    };
    let (host, path) = rest.split_once('/')?;
    if host.is_empty() || path.contains(['?', '#']) {
        return None;
    }
    let segments: Vec<&str> = path.split('/').collect();
    match segments.as_slice() {
        [prefix @ .., version, collection, id]
            if prefix.iter().all(|s| !s.is_empty())
                && !version.is_empty()
                && !collection.is_empty()
                && !id.is_empty() =>
        {
            Some((
                (*collection).to_owned(),
                percent_decode_str(id).decode_utf8_lossy().into_owned(),
            ))
        }
        _ => None,
    }
}

pub(super) fn add(
    call: &Call<'_>,
    store: &mut Store,
    owner: &Owner,
    property: &str,
    type_name: Option<&str>,
) -> Response {
    let invalid = || bad_request("Invalid URL format specified in payload.", call.ctx);
    let Some((collection, id)) = call
        .body
        .and_then(|b| b.get("@odata.id"))
        .and_then(Value::as_str)
        .and_then(parse_reference)
    else {
        return invalid();
    };
    // The URL names the entity set of the navigation's type (`directoryObjects` for owners).
    if let Some(t) = type_name {
        if !collection.eq_ignore_ascii_case(&set_of_type(t)) {
            return invalid();
        }
    }
    let Some((_, target)) = store.find(&id) else {
        return not_found(&id, call.ctx);
    };
    let hierarchy = &call.model.hierarchy;
    if type_name.is_some_and(|t| type_fit(hierarchy, target, t) == Some(false)) {
        return not_found(&id, call.ctx);
    }
    let targets = &call.op.rules.ref_targets;
    if !targets.is_empty() && !targets.iter().any(|t| is_of_type(hierarchy, target, t)) {
        let message = call.op.rules.ref_target_message.clone().unwrap_or_else(|| {
            format!(
                "Unsupported referenced-object resource identifier for link property '{property}'."
            )
        });
        return bad_request(message, call.ctx);
    }
    let stored_id = target
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or(&id)
        .to_owned();
    if !store.link(&owner.set, &owner.id, property, &stored_id) {
        return bad_request(
            format!(
                "One or more added object references already exist for the following modified properties: '{property}'."
            ),
            call.ctx,
        );
    }
    empty(call.status(StatusCode::NO_CONTENT), call.ctx)
}

pub(super) fn list(
    call: &Call<'_>,
    store: &Store,
    owner: &Owner,
    property: &str,
    type_name: Option<&str>,
) -> Response {
    let base = &call.ctx.base_url;
    let value: Vec<Value> = store
        .links(&owner.set, &owner.id, property)
        .into_iter()
        .map(|id| {
            let set = type_name.map_or_else(
                || {
                    store
                        .find(id)
                        .map_or_else(|| property.to_owned(), |(s, _)| s.to_owned())
                },
                set_of_type,
            );
            json!({"@odata.id": format!("{base}/{set}/{}", context::key_segment(id))})
        })
        .collect();
    json_response(
        StatusCode::OK,
        json!({"@odata.context": context::references(base), "value": value}),
        call.ctx,
    )
}

pub(super) fn remove(
    call: &Call<'_>,
    store: &mut Store,
    owner: &Owner,
    property: &str,
    target: &str,
) -> Response {
    if !store.unlink(&owner.set, &owner.id, property, target) {
        return not_found(target, call.ctx);
    }
    empty(call.status(StatusCode::NO_CONTENT), call.ctx)
}

#[cfg(test)]
mod tests {
    use super::parse_reference;

    #[test]
    fn reference_urls() {
        let ok = |url: &str| parse_reference(url).unwrap_or_else(|| panic!("{url} rejected"));
        assert_eq!(
            ok("https://graph.microsoft.com/v1.0/directoryObjects/abc"),
            ("directoryObjects".into(), "abc".into())
        );
        assert_eq!(
            ok("HTTP://127.0.0.1:9/beta/DirectoryObjects/a%20b").1,
            "a b"
        );
        assert_eq!(ok("https://graph.microsoft.com/v1.0/users/abc").0, "users");
        for bad in [
            "abc",
            "directoryObjects/abc",
            "/v1.0/directoryObjects/abc",
            "ftp://graph.microsoft.com/v1.0/directoryObjects/abc",
            "https:///v1.0/directoryObjects/abc",
            "https://graph.microsoft.com/directoryObjects/abc",
            "https://graph.microsoft.com/v1.0/directoryObjects/",
            "https://graph.microsoft.com/v1.0/directoryObjects/abc?x=1",
            "https://graph.microsoft.com//v1.0/directoryObjects/abc",
        ] {
            assert_eq!(parse_reference(bad), None, "{bad} accepted");
        }
    }
}
