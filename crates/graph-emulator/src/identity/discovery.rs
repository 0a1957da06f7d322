//! What a client reads before it asks for a token: the OpenID Provider configuration, the JSON
//! Web Key Set, and Entra's instance discovery, each pointing at the emulator's own origin.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::errors::{Refusal, refusal};
use super::{EMULATOR_TENANT, Identity, IdentityRequest, Tenant};

/// The tenant placeholder Entra puts in the issuer of the multi-tenant authorities.
const TENANT_PLACEHOLDER: &str = "{tenantid}";

/// `host:port` of an origin (`https://127.0.0.1:8443` → `127.0.0.1:8443`).
pub(super) fn netloc(origin: &str) -> &str {
    origin.split_once("://").map_or(origin, |(_, rest)| rest)
}

/// The hosts that name this emulator: its own netloc first, then the same port on the other
/// loopback name (the test certificate covers `127.0.0.1` and `localhost`), then both names
/// without the port (MSAL names an instance by its host name alone).
fn aliases(origin: &str) -> Vec<String> {
    let own = netloc(origin);
    let mut names = vec![own.to_owned()];
    if let Some((host, port)) = own.rsplit_once(':') {
        for other in ["127.0.0.1", "localhost"] {
            if other != host {
                names.push(format!("{other}:{port}"));
            }
        }
        names.push(host.to_owned());
        for other in ["127.0.0.1", "localhost"] {
            if other != host {
                names.push(other.to_owned());
            }
        }
    }
    names
}

/// The v2.0 OpenID Provider configuration of a tenant, shaped like Entra's: endpoints name the
/// tenant's id (or `common`/`organizations` as asked), and the issuer of a multi-tenant
/// authority holds Entra's `{tenantid}` placeholder.
pub(super) fn openid_configuration(tenant: Tenant, origin: &str) -> Value {
    let path_tenant = tenant.path_segment();
    let issuer_tenant = match tenant {
        Tenant::Emulated => EMULATOR_TENANT,
        Tenant::Common | Tenant::Organizations => TENANT_PLACEHOLDER,
    };
    let base = format!("{origin}/{path_tenant}");
    let host = netloc(origin);
    json!({
        "token_endpoint": format!("{base}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{origin}/{issuer_tenant}/v2.0"),
        "request_uri_parameter_supported": false,
        "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/oauth2/v2.0/logout"),
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "nbf", "nonce", "preferred_username", "name",
            "oid", "tid", "ver", "uti",
        ],
        "tenant_region_scope": match tenant {
            Tenant::Emulated => Value::from("NA"),
            Tenant::Common | Tenant::Organizations => Value::Null,
        },
        "cloud_instance_name": host,
        "cloud_graph_host_name": host,
        "msgraph_host": host,
    })
}

/// Entra's instance discovery (`GET /common/discovery/instance?api-version=1.1&
/// authorization_endpoint=…`): where the tenant's configuration is, and which hosts are one
/// cloud. An authorization endpoint on another host is Entra's `invalid_instance`.
pub(super) fn instance(request: &IdentityRequest<'_>) -> Result<Value, Refusal> {
    let pairs = crate::odata::query::pairs(request.query.unwrap_or_default());
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let Some(endpoint) = param("authorization_endpoint") else {
        return Err(refusal(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90_014,
            "The required field 'authorization_endpoint' is missing from the request.",
        ));
    };
    let names = aliases(request.origin);
    let rest = endpoint
        .strip_prefix("https://")
        .or_else(|| endpoint.strip_prefix("http://"));
    let (host, path) = rest
        .map(|r| r.split_once('/').unwrap_or((r, "")))
        .unwrap_or_default();
    if !names.iter().any(|n| n.eq_ignore_ascii_case(host)) {
        return Err(refusal(
            StatusCode::BAD_REQUEST,
            "invalid_instance",
            50_049,
            "Unknown or invalid instance.",
        ));
    }
    let tenant = path
        .split('/')
        .next()
        .filter(|t| !t.is_empty())
        .unwrap_or("common");
    let tenant = Tenant::parse(tenant).ok_or_else(|| Tenant::unknown(tenant))?;
    Ok(json!({
        "tenant_discovery_endpoint": format!(
            "{}/{}/v2.0/.well-known/openid-configuration",
            request.origin,
            tenant.path_segment()
        ),
        "api-version": param("api-version").unwrap_or("1.1"),
        "metadata": [{
            "preferred_network": names[0],
            "preferred_cache": names[0],
            "aliases": names,
        }],
    }))
}

impl Identity {
    /// The JSON Web Key Set of the token-signing key.
    pub(super) fn jwks(&self) -> Value {
        self.key.jwks()
    }
}
