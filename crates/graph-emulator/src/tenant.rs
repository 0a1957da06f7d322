//! Typed sugar for the Entra objects the slice's operations touch: users, service principals
//! (agent identities among them), groups and the Copilot limited-mode setting.
//!
//! Nothing here is behaviour: each type converts to and from the generic JSON the
//! [`Store`](crate::Store) holds, in the entity set Graph keeps it in (`users`,
//! `servicePrincipals`, `groups`; owners as links of `servicePrincipals`' `owners`; limited
//! mode as the singleton `copilot/admin/settings/limitedMode`). The engine serves them like
//! any other JSON object.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The `@odata.type` of a user.
pub const USER_TYPE: &str = "#microsoft.graph.user";
/// The `@odata.type` of a service principal that is not an agent identity.
pub const SERVICE_PRINCIPAL_TYPE: &str = "#microsoft.graph.servicePrincipal";
/// The `@odata.type` of an agent identity (a derived type of service principal).
pub const AGENT_IDENTITY_TYPE: &str = "#microsoft.graph.agentIdentity";
/// The `@odata.type` of a group.
pub const GROUP_TYPE: &str = "#microsoft.graph.group";
/// The `@odata.type` of the Copilot limited-mode setting.
pub const LIMITED_MODE_TYPE: &str = "#microsoft.graph.copilotAdminLimitedMode";

/// The entity set of users.
pub const USERS: &str = "users";
/// The entity set of service principals (agent identities included).
pub const SERVICE_PRINCIPALS: &str = "servicePrincipals";
/// The entity set of groups.
pub const GROUPS: &str = "groups";
/// The navigation property holding a service principal's owners.
pub const OWNERS: &str = "owners";
/// The path of the limited-mode singleton.
pub const LIMITED_MODE_PATH: &str = "copilot/admin/settings/limitedMode";

fn put(map: &mut Map<String, Value>, key: &str, value: Option<&String>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), Value::String(v.clone()));
    }
}

fn text(entity: &Value, key: &str) -> Option<String> {
    entity.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// A user (`#microsoft.graph.user`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct User {
    /// Object id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// User principal name, e.g. `adele@contoso.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
}

impl User {
    /// A user with only an id.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            ..Self::default()
        }
    }

    /// Sets the display name.
    #[must_use]
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Sets the user principal name (`adele@contoso.com`).
    #[must_use]
    pub fn user_principal_name(mut self, upn: impl Into<String>) -> Self {
        self.user_principal_name = Some(upn.into());
        self
    }

    /// The stored JSON.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("id".into(), Value::String(self.id.clone()));
        map.insert("@odata.type".into(), Value::String(USER_TYPE.into()));
        put(&mut map, "displayName", self.display_name.as_ref());
        put(
            &mut map,
            "userPrincipalName",
            self.user_principal_name.as_ref(),
        );
        Value::Object(map)
    }

    /// The user a stored JSON object describes.
    pub fn from_json(entity: &Value) -> Self {
        Self {
            id: text(entity, "id").unwrap_or_default(),
            display_name: text(entity, "displayName"),
            user_principal_name: text(entity, "userPrincipalName"),
        }
    }
}

/// A service principal; with `is_agent_identity` set it is an agent identity, the only kind the
/// `microsoft.graph.agentIdentity` cast segment finds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServicePrincipal {
    /// Object id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The application (client) id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Whether this service principal is an agent identity (`#microsoft.graph.agentIdentity`).
    #[serde(default)]
    pub is_agent_identity: bool,
    /// Ids of the directory objects (users, service principals) that own it, in the order added.
    #[serde(default)]
    pub owners: Vec<String>,
}

impl ServicePrincipal {
    /// A plain service principal (not an agent identity) with only an id.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            ..Self::default()
        }
    }

    /// An agent identity with only an id.
    pub fn agent_identity(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            is_agent_identity: true,
            ..Self::default()
        }
    }

    /// Sets the display name.
    #[must_use]
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Adds an owner id.
    #[must_use]
    pub fn owner(mut self, owner_id: impl Into<String>) -> Self {
        self.owners.push(owner_id.into());
        self
    }

    /// The `@odata.type` this service principal has.
    pub fn odata_type(&self) -> &'static str {
        if self.is_agent_identity {
            AGENT_IDENTITY_TYPE
        } else {
            SERVICE_PRINCIPAL_TYPE
        }
    }

    /// The stored JSON (owners are links, not members).
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("id".into(), Value::String(self.id.clone()));
        map.insert(
            "@odata.type".into(),
            Value::String(self.odata_type().into()),
        );
        put(&mut map, "displayName", self.display_name.as_ref());
        put(&mut map, "appId", self.app_id.as_ref());
        Value::Object(map)
    }

    /// The service principal a stored JSON object and its owner links describe.
    pub fn from_json(entity: &Value, owners: Vec<String>) -> Self {
        let odata_type = text(entity, "@odata.type").unwrap_or_default();
        Self {
            id: text(entity, "id").unwrap_or_default(),
            display_name: text(entity, "displayName"),
            app_id: text(entity, "appId"),
            is_agent_identity: graph_spec::hierarchy::same_odata_type(
                &odata_type,
                AGENT_IDENTITY_TYPE,
            ),
            owners,
        }
    }
}

/// A Microsoft Entra group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Group {
    /// Object id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

impl Group {
    /// A group with only an id.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            display_name: None,
        }
    }

    /// Sets the display name.
    #[must_use]
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// The stored JSON.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("id".into(), Value::String(self.id.clone()));
        map.insert("@odata.type".into(), Value::String(GROUP_TYPE.into()));
        put(&mut map, "displayName", self.display_name.as_ref());
        Value::Object(map)
    }

    /// The group a stored JSON object describes.
    pub fn from_json(entity: &Value) -> Self {
        Self {
            id: text(entity, "id").unwrap_or_default(),
            display_name: text(entity, "displayName"),
        }
    }
}

/// The Copilot limited-mode setting (`copilotAdminLimitedMode`).
///
/// `None` stands for JSON `null`. Properties the spec declares beyond these two (one added to
/// the slice later, say) are kept in `additional`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitedMode {
    /// The Entra group the setting applies to; Graph's default is `null`.
    #[serde(default)]
    pub group_id: Option<String>,
    /// Whether the group's members are in limited mode; Graph's default is `false`.
    #[serde(default)]
    pub is_enabled_for_group: Option<bool>,
    /// Other properties, as last written.
    #[serde(flatten)]
    pub additional: Map<String, Value>,
}

impl Default for LimitedMode {
    fn default() -> Self {
        Self {
            group_id: None,
            is_enabled_for_group: Some(false),
            additional: Map::new(),
        }
    }
}

impl LimitedMode {
    /// The resource as stored and served (without `@odata.context`).
    pub fn to_json(&self) -> Value {
        let mut map = self.additional.clone();
        map.insert(
            "@odata.type".into(),
            Value::String(LIMITED_MODE_TYPE.into()),
        );
        map.insert(
            "groupId".into(),
            self.group_id.clone().map_or(Value::Null, Value::String),
        );
        map.insert(
            "isEnabledForGroup".into(),
            self.is_enabled_for_group.map_or(Value::Null, Value::Bool),
        );
        Value::Object(map)
    }

    /// The setting a stored JSON object describes.
    pub fn from_json(value: &Value) -> Self {
        let mut additional = value.as_object().cloned().unwrap_or_default();
        additional.remove("@odata.type");
        let group_id = additional
            .remove("groupId")
            .and_then(|v| v.as_str().map(str::to_owned));
        let is_enabled_for_group = additional
            .remove("isEnabledForGroup")
            .and_then(|v| v.as_bool());
        Self {
            group_id,
            is_enabled_for_group,
            additional,
        }
    }
}

/// Any directory object the tenant holds, as a reference sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryObject {
    /// Object id, as stored.
    pub id: String,
    /// `#microsoft.graph.user`, `#microsoft.graph.servicePrincipal`,
    /// `#microsoft.graph.agentIdentity` or `#microsoft.graph.group`.
    #[serde(rename = "@odata.type")]
    pub odata_type: String,
}
