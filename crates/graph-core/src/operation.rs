//! Static descriptions of Graph operations.

use std::fmt;

use crate::cloud::NationalCloud;

/// The HTTP methods Graph operations use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl HttpMethod {
    /// The method name in upper case, e.g. `"PATCH"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }

    pub(crate) fn to_reqwest(self) -> reqwest::Method {
        match self {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
            HttpMethod::Patch => reqwest::Method::PATCH,
            HttpMethod::Delete => reqwest::Method::DELETE,
        }
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The documented permissions of an operation, least privileged first. An empty slice means
/// the permission type is not supported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Permissions {
    /// Delegated permissions for work or school accounts.
    pub delegated_work_or_school: &'static [&'static str],
    /// Delegated permissions for personal Microsoft accounts.
    pub delegated_personal: &'static [&'static str],
    /// Application (app-only) permissions.
    pub application: &'static [&'static str],
}

impl fmt::Display for Permissions {
    /// `delegated (work or school): A; delegated (personal account): not supported; application: B, C`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: [(&str, &[&str]); 3] = [
            ("delegated (work or school)", self.delegated_work_or_school),
            ("delegated (personal account)", self.delegated_personal),
            ("application", self.application),
        ];
        for (i, (label, perms)) in parts.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{label}: ")?;
            if perms.is_empty() {
                f.write_str("not supported")?;
            } else {
                f.write_str(&perms.join(", "))?;
            }
        }
        Ok(())
    }
}

/// Everything the runtime needs to know about one operation. Generated code declares one
/// `static` per operation.
///
/// ```
/// use graph_core::{HttpMethod, NationalCloud, OperationMeta, OperationKind, Permissions};
///
/// static UPDATE_LIMITED_MODE: OperationMeta = OperationMeta {
///     operation_id: "copilot.admin.settings.UpdateLimitedMode",
///     method: HttpMethod::Patch,
///     path_template: "/copilot/admin/settings/limitedMode",
///     permissions: Some(Permissions {
///         delegated_work_or_school: &["CopilotSettings-LimitedMode.ReadWrite"],
///         delegated_personal: &[],
///         application: &[],
///     }),
///     national_clouds: Some(&[NationalCloud::Global]),
///     docs_url: None,
///     kind: OperationKind::Other,
/// };
/// assert!(UPDATE_LIMITED_MODE.is_available_in(NationalCloud::Global));
/// assert!(!UPDATE_LIMITED_MODE.is_available_in(NationalCloud::China));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OperationMeta {
    /// The OpenAPI operationId, e.g. `servicePrincipals.CreateRefOwners`.
    pub operation_id: &'static str,
    /// The HTTP method.
    pub method: HttpMethod,
    /// The path template relative to the service root, e.g.
    /// `/servicePrincipals/{servicePrincipal-id}/owners/$ref`. Used for tracing and messages
    /// only; the concrete path comes from [`RequestPath`](crate::RequestPath).
    pub path_template: &'static str,
    /// The documented permissions, or `None` when not documented.
    pub permissions: Option<Permissions>,
    /// The clouds the operation is documented to be available in, or `None` when no
    /// restriction is documented.
    pub national_clouds: Option<&'static [NationalCloud]>,
    /// A link to the operation's documentation.
    pub docs_url: Option<&'static str>,
    /// What kind of change the operation makes, for the retry decision.
    pub kind: OperationKind,
}

/// An operation's kind, as far as retrying it is concerned (see
/// [`retry::decide`](crate::retry::decide)). The generator derives it from the path and method.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OperationKind {
    /// `POST …/$ref`: adds a reference. Graph answers a duplicate with 400 "One or more added
    /// object references already exist"; after a retried 504 that means the earlier attempt
    /// added it.
    AddReference,
    /// `DELETE …/$ref`: removes a reference. After a retried 504, a 404 means the earlier
    /// attempt removed it.
    RemoveReference,
    /// Anything else.
    #[default]
    Other,
}

impl OperationMeta {
    /// Whether the operation is documented to be available in `cloud` (true when there is no
    /// documented restriction).
    pub fn is_available_in(&self, cloud: NationalCloud) -> bool {
        self.national_clouds
            .is_none_or(|clouds| clouds.contains(&cloud))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_display() {
        let p = Permissions {
            delegated_work_or_school: &["AgentIdentity.ReadWrite.All"],
            delegated_personal: &[],
            application: &[
                "AgentIdentity.ReadWrite.All",
                "AgentIdentity.CreateAsManager",
            ],
        };
        assert_eq!(
            p.to_string(),
            "delegated (work or school): AgentIdentity.ReadWrite.All; \
             delegated (personal account): not supported; \
             application: AgentIdentity.ReadWrite.All, AgentIdentity.CreateAsManager"
        );
        assert_eq!(
            Permissions::default().to_string(),
            "delegated (work or school): not supported; delegated (personal account): not \
             supported; application: not supported"
        );
    }

    #[test]
    fn methods() {
        assert_eq!(HttpMethod::Patch.as_str(), "PATCH");
        assert_eq!(HttpMethod::Delete.to_string(), "DELETE");
        assert_eq!(HttpMethod::Get.to_reqwest(), reqwest::Method::GET);
    }
}
