//! National clouds and service roots.

use std::fmt;

/// One of the national (sovereign) clouds in which Microsoft Graph is deployed.
///
/// Graph's documentation lists, per operation, which of these clouds offer it; see
/// [`OperationMeta::national_clouds`](crate::OperationMeta::national_clouds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NationalCloud {
    /// The global service (`https://graph.microsoft.com`).
    Global,
    /// US Government L4 (`https://graph.microsoft.us`).
    UsGovL4,
    /// US Government L5, DOD (`https://dod-graph.microsoft.us`).
    UsGovL5Dod,
    /// China, operated by 21Vianet (`https://microsoftgraph.chinacloudapi.cn`).
    China,
}

impl NationalCloud {
    /// Every national cloud, in documentation order.
    pub const ALL: &'static [NationalCloud] = &[
        NationalCloud::Global,
        NationalCloud::UsGovL4,
        NationalCloud::UsGovL5Dod,
        NationalCloud::China,
    ];

    /// The Graph root of this cloud, without a version segment and without a trailing slash.
    pub const fn root(self) -> &'static str {
        match self {
            NationalCloud::Global => "https://graph.microsoft.com",
            NationalCloud::UsGovL4 => "https://graph.microsoft.us",
            NationalCloud::UsGovL5Dod => "https://dod-graph.microsoft.us",
            NationalCloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }

    /// The Microsoft Entra ID sign-in host of this cloud (its token endpoint is
    /// `{host}/{tenant}/oauth2/v2.0/token`).
    pub const fn authority_host(self) -> &'static str {
        match self {
            NationalCloud::Global => "https://login.microsoftonline.com",
            NationalCloud::UsGovL4 | NationalCloud::UsGovL5Dod => {
                "https://login.microsoftonline.us"
            }
            NationalCloud::China => "https://login.chinacloudapi.cn",
        }
    }

    /// The human-readable name used in Graph's documentation (also the `Display` output).
    pub const fn name(self) -> &'static str {
        match self {
            NationalCloud::Global => "global",
            NationalCloud::UsGovL4 => "US Government L4",
            NationalCloud::UsGovL5Dod => "US Government L5 (DOD)",
            NationalCloud::China => "China operated by 21Vianet",
        }
    }
}

impl fmt::Display for NationalCloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a [`CoreClient`](crate::CoreClient) sends its requests.
///
/// The national variants use Graph's documented roots with the `beta` version segment.
/// [`Cloud::Custom`] points at any other service root (a proxy, an emulator, a test server);
/// it performs no national-cloud availability check.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Cloud {
    /// The global service: `https://graph.microsoft.com/beta`.
    #[default]
    Global,
    /// US Government L4: `https://graph.microsoft.us/beta`.
    UsGovL4,
    /// US Government L5 (DOD): `https://dod-graph.microsoft.us/beta`.
    UsGovL5Dod,
    /// China operated by 21Vianet: `https://microsoftgraph.chinacloudapi.cn/beta`.
    China,
    /// Any other service root.
    Custom {
        /// The full service root including the version segment, e.g.
        /// `http://127.0.0.1:8080/beta`. Trailing slashes are ignored. Must be an absolute
        /// `http` or `https` URL without query or fragment; this is checked by
        /// [`ClientBuilder::build`](crate::ClientBuilder::build).
        service_root: String,
    },
}

/// The API version segment appended to national roots.
pub(crate) const API_VERSION: &str = "beta";

impl Cloud {
    /// The national cloud this is, or `None` for [`Cloud::Custom`].
    pub fn national(&self) -> Option<NationalCloud> {
        match self {
            Cloud::Global => Some(NationalCloud::Global),
            Cloud::UsGovL4 => Some(NationalCloud::UsGovL4),
            Cloud::UsGovL5Dod => Some(NationalCloud::UsGovL5Dod),
            Cloud::China => Some(NationalCloud::China),
            Cloud::Custom { .. } => None,
        }
    }

    /// The service root (root plus version), without a trailing slash, e.g.
    /// `https://graph.microsoft.com/beta`.
    pub fn service_root(&self) -> String {
        match self {
            Cloud::Custom { service_root } => service_root.trim_end_matches('/').to_owned(),
            national => {
                // `national()` is always `Some` for the non-custom variants.
                let root = national.national().map_or("", NationalCloud::root);
                format!("{root}/{API_VERSION}")
            }
        }
    }

    /// The OAuth scope for app-only tokens: `{root}/.default`.
    ///
    /// For [`Cloud::Custom`] the root is the scheme, host and port of the service root. If the
    /// custom root cannot be parsed, the trimmed root itself is used (building a client with
    /// such a root fails anyway).
    pub fn token_scope(&self) -> String {
        match self {
            Cloud::Custom { service_root } => match reqwest::Url::parse(service_root) {
                Ok(url) => format!("{}/.default", url.origin().ascii_serialization()),
                Err(_) => format!("{}/.default", service_root.trim_end_matches('/')),
            },
            national => {
                let root = national.national().map_or("", NationalCloud::root);
                format!("{root}/.default")
            }
        }
    }

    /// The Entra ID sign-in host of a national cloud; `None` for [`Cloud::Custom`], whose
    /// credentials say their own authority.
    pub fn authority_host(&self) -> Option<&'static str> {
        self.national().map(NationalCloud::authority_host)
    }

    /// Checks a custom service root; national clouds are always valid. The error is the
    /// message of the [`Error::InvalidInput`](crate::Error::InvalidInput) the client builder
    /// returns.
    pub(crate) fn validate(&self) -> Result<(), String> {
        let Cloud::Custom { service_root } = self else {
            return Ok(());
        };
        let invalid = |why: &str| format!("invalid custom service root {service_root:?}: {why}");
        let trimmed = service_root.trim_end_matches('/');
        if trimmed.is_empty() {
            return Err(invalid("it is empty"));
        }
        if trimmed.contains(['?', '#']) {
            return Err(invalid("it must not have a query or fragment"));
        }
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid(
                "it must not contain whitespace or control characters",
            ));
        }
        let url = reqwest::Url::parse(trimmed).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("it has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("it must not contain credentials"));
        }
        Ok(())
    }
}

impl From<NationalCloud> for Cloud {
    fn from(cloud: NationalCloud) -> Self {
        match cloud {
            NationalCloud::Global => Cloud::Global,
            NationalCloud::UsGovL4 => Cloud::UsGovL4,
            NationalCloud::UsGovL5Dod => Cloud::UsGovL5Dod,
            NationalCloud::China => Cloud::China,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_roots_and_scopes() {
        assert_eq!(
            Cloud::Global.service_root(),
            "https://graph.microsoft.com/beta"
        );
        assert_eq!(
            Cloud::UsGovL4.service_root(),
            "https://graph.microsoft.us/beta"
        );
        assert_eq!(
            Cloud::UsGovL5Dod.service_root(),
            "https://dod-graph.microsoft.us/beta"
        );
        assert_eq!(
            Cloud::China.service_root(),
            "https://microsoftgraph.chinacloudapi.cn/beta"
        );
        assert_eq!(
            Cloud::Global.token_scope(),
            "https://graph.microsoft.com/.default"
        );
        assert_eq!(Cloud::UsGovL4.national(), Some(NationalCloud::UsGovL4));
        assert_eq!(
            Cloud::Global.authority_host(),
            Some("https://login.microsoftonline.com")
        );
        assert_eq!(
            Cloud::UsGovL5Dod.authority_host(),
            Some("https://login.microsoftonline.us")
        );
        assert_eq!(
            Cloud::China.authority_host(),
            Some("https://login.chinacloudapi.cn")
        );
        assert_eq!(NationalCloud::UsGovL4.to_string(), "US Government L4");
        for n in NationalCloud::ALL {
            assert_eq!(Cloud::from(*n).national(), Some(*n));
        }
    }

    #[test]
    fn custom_roots() {
        let c = Cloud::Custom {
            service_root: "http://127.0.0.1:8080/beta//".into(),
        };
        assert_eq!(c.national(), None);
        assert_eq!(c.service_root(), "http://127.0.0.1:8080/beta");
        assert_eq!(c.token_scope(), "http://127.0.0.1:8080/.default");
        assert!(c.validate().is_ok());
        for bad in [
            "",
            "/",
            "not a url",
            "ftp://example.com/beta",
            "https://example.com/beta?x=1",
            "https://example.com/beta#frag",
            "https://user:pw@example.com/beta",
        ] {
            let c = Cloud::Custom {
                service_root: bad.into(),
            };
            assert!(
                c.validate()
                    .is_err_and(|m| m.contains("invalid custom service root")),
                "{bad:?} should be rejected"
            );
        }
    }
}
