//! The behaviour of each operation, as Graph documents it.

use axum::http::StatusCode;
use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde_json::Value;

use crate::server::{Ctx, Shared, graph_error, json_response, lock, no_content};
use crate::state::GROUP_TYPE;

/// `POST /servicePrincipals/{id}/microsoft.graph.agentIdentity/owners/$ref`.
pub(crate) const ADD_AGENT_IDENTITY_OWNER: &str = "servicePrincipals.agentIdentity.CreateRefOwners";
/// `PATCH /copilot/admin/settings/limitedMode`.
pub(crate) const UPDATE_LIMITED_MODE: &str = "copilot.admin.settings.UpdateLimitedMode";

fn not_found(id: &str, ctx: &Ctx) -> Response {
    graph_error(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        format!(
            "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
        ),
        None,
        ctx,
    )
}

fn bad_request(message: &str, ctx: &Ctx) -> Response {
    graph_error(
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        message,
        None,
        ctx,
    )
}

/// Adds an owner to an agent identity.
pub(crate) fn add_agent_identity_owner(
    shared: &Shared,
    params: &[(String, String)],
    body: Option<&Value>,
    ctx: &Ctx,
) -> Response {
    let id = params.first().map_or("", |(_, v)| v.as_str());
    let mut state = lock(&shared.state);
    // The cast segment only finds service principals that are agent identities.
    if state.agent_identity(id).is_none() {
        return not_found(id, ctx);
    }
    let Some(owner_id) = body
        .and_then(|b| b.get("@odata.id"))
        .and_then(Value::as_str)
        .and_then(directory_object_id)
    else {
        return bad_request("Invalid URL format specified in payload.", ctx);
    };
    let Some(owner) = state.directory_object(&owner_id) else {
        return not_found(&owner_id, ctx);
    };
    if owner.odata_type == GROUP_TYPE {
        return bad_request(
            "Unsupported referenced-object resource identifier for link property 'owners'.",
            ctx,
        );
    }
    let Some(agent) = state.service_principal_mut(id) else {
        return not_found(id, ctx);
    };
    if agent
        .owners
        .iter()
        .any(|o| o.eq_ignore_ascii_case(&owner.id))
    {
        return bad_request(
            "One or more added object references already exist for the following modified properties: 'owners'.",
            ctx,
        );
    }
    agent.owners.push(owner.id);
    no_content(ctx)
}

/// The object id in `http(s)://host[/prefix]/{version}/directoryObjects/{id}`; `None` for anything
/// else (a bare id, another collection, a query or fragment).
pub(crate) fn directory_object_id(url: &str) -> Option<String> {
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
                && collection.eq_ignore_ascii_case("directoryObjects")
                && !id.is_empty() =>
        {
            Some(percent_decode_str(id).decode_utf8_lossy().into_owned())
        }
        _ => None,
    }
}

/// Updates the Copilot limited-mode setting: absent properties stay, `null` clears.
pub(crate) fn update_limited_mode(shared: &Shared, body: Option<&Value>, ctx: &Ctx) -> Response {
    let mut state = lock(&shared.state);
    let mut updated = state.limited_mode.clone();
    if let Some(map) = body.and_then(Value::as_object) {
        for (key, value) in map {
            match key.as_str() {
                // Control information and the read-only key are not stored.
                "@odata.type" | "id" => {}
                "groupId" => updated.group_id = value.as_str().map(str::to_owned),
                "isEnabledForGroup" => updated.is_enabled_for_group = value.as_bool(),
                _ => {
                    updated.additional.insert(key.clone(), value.clone());
                }
            }
        }
    }
    if updated.is_enabled_for_group == Some(true) && updated.group_id.is_none() {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "groupId must be provided when isEnabledForGroup is true.",
            Some("groupId".into()),
            ctx,
        );
    }
    if let Some(group_id) = &updated.group_id {
        if state.group(group_id).is_none() {
            return not_found(group_id, ctx);
        }
    }
    state.limited_mode = updated;
    let mut body = state.limited_mode.to_json();
    if let Some(map) = body.as_object_mut() {
        map.insert(
            "@odata.context".into(),
            Value::String(format!(
                "{}/$metadata#copilot/admin/settings/limitedMode/$entity",
                ctx.base_url
            )),
        );
    }
    json_response(StatusCode::OK, body, ctx)
}

#[cfg(test)]
mod tests {
    use super::directory_object_id;

    #[test]
    fn directory_object_urls() {
        let ok = |url: &str| directory_object_id(url).unwrap_or_else(|| panic!("{url} rejected"));
        assert_eq!(
            ok("https://graph.microsoft.com/v1.0/directoryObjects/abc"),
            "abc"
        );
        assert_eq!(
            ok("https://graph.microsoft.com/beta/directoryObjects/abc"),
            "abc"
        );
        assert_eq!(ok("HTTP://127.0.0.1:9/beta/DirectoryObjects/a%20b"), "a b");
        assert_eq!(
            ok("https://microsoftgraph.chinacloudapi.cn/v1.0/directoryObjects/x"),
            "x"
        );
        for bad in [
            "abc",
            "directoryObjects/abc",
            "/v1.0/directoryObjects/abc",
            "ftp://graph.microsoft.com/v1.0/directoryObjects/abc",
            "https:///v1.0/directoryObjects/abc",
            "https://graph.microsoft.com/directoryObjects/abc",
            "https://graph.microsoft.com/v1.0/users/abc",
            "https://graph.microsoft.com/v1.0/directoryObjects/",
            "https://graph.microsoft.com/v1.0/directoryObjects/abc?x=1",
            "https://graph.microsoft.com/v1.0/directoryObjects/abc/extra",
            "https://graph.microsoft.com//v1.0/directoryObjects/abc",
        ] {
            assert_eq!(directory_object_id(bad), None, "{bad} accepted");
        }
    }
}
