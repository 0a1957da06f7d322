//! `$ref`: the references of a navigation property. Adding one resolves the URL to an entity
//! (see [`reference_path`] and [`Call::resolve_reference`]), checks that it may be referenced
//! and is not there already; removing one (by `…/{id}/$ref` or by `…/$ref?$id={url}`) checks
//! it is there. A single-valued navigation's reference (`…/manager/$ref`) is read, set with
//! `PUT` and cleared with `DELETE`.

use axum::http::StatusCode;
use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use super::{Call, Owner, Place};
use crate::odata::context::{self, set_of_type};
use crate::odata::rules::{is_of_type, type_fit};
use crate::odata::{RouteMatch, shapes::Bound};
use crate::response::{bad_request, empty, json_response, not_found};
use crate::store::Store;

/// The roots of Microsoft Graph's clouds: a reference URL on one of them (or on the emulator's
/// own origin) names an entity of this service.
const GRAPH_HOSTS: &[&str] = &[
    "graph.microsoft.com",
    "graph.microsoft.us",
    "dod-graph.microsoft.us",
    "microsoftgraph.chinacloudapi.cn",
];

/// The API versions a reference URL may name.
const VERSIONS: &[&str] = &["v1.0", "beta"];

/// The percent-decoded path segments after the version that a reference URL names:
///
/// * absolute, `http(s)://{host}/{version}/{path}`, where the host is one of Graph's cloud
///   roots or the emulator's own origin (`origin`, `http://127.0.0.1:PORT`) and the version is
///   `v1.0` or `beta`;
/// * root-relative, `/{version}/{path}`;
/// * relative to the service root, `{path}` with at least two segments (`users/{id}`: a bare
///   id is not a URL, as Graph says).
///
/// `None` for anything else: another host or scheme, a query or fragment, an empty segment.
pub(crate) fn reference_path(url: &str, origin: &str) -> Option<Vec<String>> {
    if url.contains(['?', '#']) {
        return None;
    }
    let lower = url.to_ascii_lowercase();
    let after_scheme = ["https://", "http://"]
        .iter()
        .find_map(|scheme| lower.starts_with(scheme).then(|| &url[scheme.len()..]));
    let versioned = match after_scheme {
        Some(rest) => {
            let (host, path) = rest.split_once('/')?;
            let own = origin
                .split_once("://")
                .is_some_and(|(_, own)| own.eq_ignore_ascii_case(host));
            if !own && !GRAPH_HOSTS.iter().any(|h| h.eq_ignore_ascii_case(host)) {
                return None;
            }
            Some(path)
        }
        None => url.strip_prefix('/'),
    };
    let path = match versioned {
        Some(path) => {
            let (version, rest) = path.split_once('/')?;
            if !VERSIONS.iter().any(|v| v.eq_ignore_ascii_case(version)) {
                return None;
            }
            rest
        }
        None => url,
    };
    let segments: Vec<String> = path
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    (segments.len() >= 2 && segments.iter().all(|s| !s.is_empty())).then_some(segments)
}

impl Call<'_> {
    /// The `(set, id)` of the entity a reference URL names, for a navigation of `type_name`:
    ///
    /// 1. `{set of the navigation's type}/{id}` (`directoryObjects/{id}` for owners and
    ///    members): any stored entity with that id;
    /// 2. any path the spec routes to one entity (`users/{id}`, `groups/{id}`, a contained
    ///    `onPremisesPublishingProfiles/{id}/connectorGroups/{id}`), resolved like a request;
    /// 3. `{entity set}/{id}` of a set the store holds.
    ///
    /// A URL of the wrong shape is a 400 "Invalid URL format specified in payload."; one that
    /// names nothing is a 404.
    pub(super) fn resolve_reference(
        &self,
        store: &Store,
        url: &str,
        type_name: Option<&str>,
    ) -> Result<(String, String), Response> {
        let invalid = || bad_request("Invalid URL format specified in payload.", self.ctx);
        let segments = reference_path(url, self.ctx.origin()).ok_or_else(invalid)?;
        if let [collection, id] = segments.as_slice() {
            let own_set = type_name.map(set_of_type);
            let names_base = collection.eq_ignore_ascii_case("directoryObjects")
                || own_set.is_some_and(|s| s.eq_ignore_ascii_case(collection));
            if names_base {
                return store
                    .find(id)
                    .map(|(set, e)| (set.to_owned(), super::entity_id(e, id)))
                    .ok_or_else(|| not_found(id, self.ctx));
            }
        }
        if let RouteMatch::Found(route, op, params) = self.model.route("GET", &segments) {
            let params: Bound = params;
            let target = Call {
                route,
                op,
                params: &params,
                ..*self
            };
            return match target.resolve(store)? {
                Place::Entity { set, id, .. } | Place::Linked { set, id, .. } => Ok((set, id)),
                _ => Err(invalid()),
            };
        }
        if let [collection, id] = segments.as_slice() {
            if let Some(set) = store
                .set_names()
                .find(|s| s.eq_ignore_ascii_case(collection))
            {
                return store
                    .entity(set, id)
                    .map(|e| (set.to_owned(), super::entity_id(e, id)))
                    .ok_or_else(|| not_found(id, self.ctx));
            }
        }
        Err(invalid())
    }

    /// The entity a reference body's `@odata.id` names, checked against the navigation's type
    /// and the operation's `refTargets` rule.
    fn referenced(
        &self,
        store: &Store,
        property: &str,
        type_name: Option<&str>,
    ) -> Result<String, Response> {
        let url = self
            .body
            .and_then(|b| b.get("@odata.id"))
            .and_then(Value::as_str)
            .ok_or_else(|| bad_request("Invalid URL format specified in payload.", self.ctx))?;
        let (set, id) = self.resolve_reference(store, url, type_name)?;
        let Some(target) = store.entity(&set, &id) else {
            return Err(not_found(&id, self.ctx));
        };
        let hierarchy = &self.model.hierarchy;
        if type_name.is_some_and(|t| type_fit(hierarchy, target, t) == Some(false)) {
            return Err(not_found(&id, self.ctx));
        }
        let targets = &self.op.rules.ref_targets;
        if !targets.is_empty() && !targets.iter().any(|t| is_of_type(hierarchy, target, t)) {
            let message = self.op.rules.ref_target_message.clone().unwrap_or_else(|| {
                format!(
                    "Unsupported referenced-object resource identifier for link property '{property}'."
                )
            });
            return Err(bad_request(message, self.ctx));
        }
        Ok(id)
    }
}

pub(super) fn add(
    call: &Call<'_>,
    store: &mut Store,
    owner: &Owner,
    property: &str,
    type_name: Option<&str>,
) -> Response {
    let stored_id = match call.referenced(store, property, type_name) {
        Ok(id) => id,
        Err(response) => return response,
    };
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

/// `DELETE …/{navigation}/$ref?$id={url}`: the same as `DELETE …/{navigation}/{id}/$ref`.
pub(super) fn remove_by_url(
    call: &Call<'_>,
    store: &mut Store,
    owner: &Owner,
    property: &str,
    type_name: Option<&str>,
) -> Response {
    let Some(url) = call.query.id.as_deref() else {
        return bad_request(
            "The query option '$id' is required to remove a reference from a collection: DELETE …/$ref?$id={url of the entity}.",
            call.ctx,
        );
    };
    let target = match call.resolve_reference(store, url, type_name) {
        Ok((_, id)) => id,
        // A URL that names no stored entity names no member either.
        Err(response) if response.status() == StatusCode::NOT_FOUND => return response,
        Err(_) => {
            return bad_request(
                format!("Invalid URL format specified in the query option '$id': '{url}'."),
                call.ctx,
            );
        }
    };
    remove(call, store, owner, property, &target)
}

/// The entity a single-valued reference navigation points at.
fn single_target<'s>(
    store: &'s Store,
    owner: &Owner,
    property: &str,
) -> Option<(&'s str, &'s Value)> {
    let id = store
        .links(&owner.set, &owner.id, property)
        .into_iter()
        .next()?;
    store.find(id)
}

/// `GET …/manager`: the entity, or 404 when the navigation is unset.
pub(super) fn get_single_target(
    call: &Call<'_>,
    store: &Store,
    owner: &Owner,
    property: &str,
    type_name: Option<&str>,
) -> Response {
    let Some((set, entity)) = single_target(store, owner, property) else {
        return not_found(property, call.ctx);
    };
    let name = type_name.map_or_else(|| set.to_owned(), set_of_type);
    let select = call.query.select.as_deref();
    json_response(
        StatusCode::OK,
        super::with_context(
            super::project(entity.clone(), select),
            context::entity(&call.ctx.base_url, &name, select),
        ),
        call.ctx,
    )
}

/// `GET …/manager/$ref`: `{"@odata.id": url}`, or 404 when unset.
pub(super) fn get_single_ref(
    call: &Call<'_>,
    store: &Store,
    owner: &Owner,
    property: &str,
    type_name: Option<&str>,
) -> Response {
    let Some((set, entity)) = single_target(store, owner, property) else {
        return not_found(property, call.ctx);
    };
    let base = &call.ctx.base_url;
    let set = type_name.map_or_else(|| set.to_owned(), set_of_type);
    let id = super::entity_id(entity, "");
    json_response(
        StatusCode::OK,
        json!({
            "@odata.context": format!("{base}/$metadata#$ref"),
            "@odata.id": format!("{base}/{set}/{}", context::key_segment(&id)),
        }),
        call.ctx,
    )
}

/// `PUT …/manager/$ref` with `{"@odata.id": url}`: points the navigation at that entity,
/// replacing what it pointed at.
pub(super) fn set_single(
    call: &Call<'_>,
    store: &mut Store,
    owner: &Owner,
    property: &str,
    type_name: Option<&str>,
) -> Response {
    let id = match call.referenced(store, property, type_name) {
        Ok(id) => id,
        Err(response) => return response,
    };
    let current: Vec<String> = store
        .links(&owner.set, &owner.id, property)
        .into_iter()
        .map(str::to_owned)
        .collect();
    for old in current {
        store.unlink(&owner.set, &owner.id, property, &old);
    }
    store.link(&owner.set, &owner.id, property, &id);
    empty(call.status(StatusCode::NO_CONTENT), call.ctx)
}

/// `DELETE …/manager/$ref`: clears the navigation; 404 when it was unset.
pub(super) fn clear_single(
    call: &Call<'_>,
    store: &mut Store,
    owner: &Owner,
    property: &str,
) -> Response {
    let current: Vec<String> = store
        .links(&owner.set, &owner.id, property)
        .into_iter()
        .map(str::to_owned)
        .collect();
    if current.is_empty() {
        return not_found(property, call.ctx);
    }
    for old in current {
        store.unlink(&owner.set, &owner.id, property, &old);
    }
    empty(call.status(StatusCode::NO_CONTENT), call.ctx)
}

#[cfg(test)]
mod tests {
    use super::reference_path;

    #[test]
    fn reference_urls() {
        let origin = "http://127.0.0.1:9";
        let ok =
            |url: &str| reference_path(url, origin).unwrap_or_else(|| panic!("{url} rejected"));
        assert_eq!(
            ok("https://graph.microsoft.com/v1.0/directoryObjects/abc"),
            ["directoryObjects", "abc"]
        );
        assert_eq!(
            ok("HTTP://127.0.0.1:9/beta/DirectoryObjects/a%20b")[1],
            "a b"
        );
        assert_eq!(ok("https://graph.microsoft.com/beta/users/abc")[0], "users");
        assert_eq!(ok("/beta/groups/abc"), ["groups", "abc"]);
        assert_eq!(ok("servicePrincipals/abc"), ["servicePrincipals", "abc"]);
        assert_eq!(
            ok(
                "https://graph.microsoft.com/beta/onPremisesPublishingProfiles/applicationProxy/connectorGroups/g"
            ),
            [
                "onPremisesPublishingProfiles",
                "applicationProxy",
                "connectorGroups",
                "g"
            ]
        );
        for bad in [
            "abc",
            "/v1.0/abc",
            "/v2/directoryObjects/abc",
            "ftp://graph.microsoft.com/v1.0/directoryObjects/abc",
            "https:///v1.0/directoryObjects/abc",
            "https://example.com/v1.0/directoryObjects/abc",
            "http://127.0.0.1:10/beta/directoryObjects/abc",
            "https://graph.microsoft.com/directoryObjects/abc",
            "https://graph.microsoft.com/v1.0/directoryObjects/",
            "https://graph.microsoft.com/v1.0/directoryObjects/abc?x=1",
            "https://graph.microsoft.com//v1.0/directoryObjects/abc",
            "users//abc",
        ] {
            assert_eq!(reference_path(bad, origin), None, "{bad} accepted");
        }
    }
}
