//! Where an Entra ID credential signs in ([`Authority`]: host and tenant, checked) and how its
//! scopes are written.

use super::{CredentialError, CredentialErrorKind};
use crate::cloud::Cloud;

/// An Entra ID authority: `{host}/{tenant}`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Authority {
    /// `https://login.microsoftonline.com` (no trailing slash).
    pub(crate) host: String,
    pub(crate) tenant: String,
}

/// Hosts a credential may reach over plain HTTP: this machine's loopback (a local identity
/// provider such as the emulator's). Anything else must be HTTPS, so secrets never cross a
/// network in the clear.
fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Authority {
    /// The authority for `tenant` at `host` (`None`: the sign-in host of `cloud`).
    pub(crate) fn new(
        host: Option<&str>,
        cloud: &Cloud,
        tenant: &str,
    ) -> Result<Self, CredentialError> {
        let misconfigured =
            |message: String| CredentialError::of_kind(CredentialErrorKind::Other, message);
        let host = match host.or(cloud.authority_host()) {
            Some(host) => host.trim_end_matches('/').to_owned(),
            None => {
                return Err(misconfigured(
                    "a custom cloud has no known sign-in host: set the authority host (e.g. https://login.microsoftonline.com)"
                        .to_owned(),
                ));
            }
        };
        let url = reqwest::Url::parse(&host)
            .map_err(|e| misconfigured(format!("the authority host {host:?} is not a URL: {e}")))?;
        if url.scheme() != "https" && !(url.scheme() == "http" && is_loopback(&url)) {
            return Err(misconfigured(format!(
                "the authority host {host:?} must use https (plain http is allowed only for this machine's loopback)"
            )));
        }
        if url.query().is_some()
            || !url.path().trim_matches('/').is_empty()
            || !url.username().is_empty()
        {
            return Err(misconfigured(format!(
                "the authority host {host:?} must be scheme, host and port only"
            )));
        }
        if tenant.is_empty()
            || !tenant
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        {
            return Err(misconfigured(format!(
                "{tenant:?} is not a tenant id or domain"
            )));
        }
        Ok(Self {
            host,
            tenant: tenant.to_owned(),
        })
    }

    /// `{host}/{tenant}/oauth2/v2.0/{endpoint}`.
    pub(crate) fn endpoint(&self, endpoint: &str) -> String {
        format!("{}/{}/oauth2/v2.0/{endpoint}", self.host, self.tenant)
    }
}

#[cfg(any(feature = "device-code", feature = "browser"))]
/// The resource of a `.default` scope: `https://graph.microsoft.com/.default` →
/// `https://graph.microsoft.com`.
pub(crate) fn resource_of(scopes: &[String]) -> Option<&str> {
    scopes.iter().find_map(|s| s.strip_suffix("/.default"))
}

#[cfg(any(feature = "device-code", feature = "browser"))]
/// Qualifies bare permission names with the resource the client asks for
/// (`CopilotSettings-LimitedMode.ReadWrite` → `https://graph.microsoft.com/CopilotSettings-LimitedMode.ReadWrite`);
/// OpenID scopes, `.default` and full URIs stay as written.
pub(crate) fn qualify(scope: &str, resource: Option<&str>) -> String {
    const OPENID: &[&str] = &["offline_access", "openid", "profile", "email"];
    match resource {
        Some(resource) if !scope.contains("://") && !OPENID.contains(&scope) => {
            format!("{resource}/{scope}")
        }
        _ => scope.to_owned(),
    }
}
