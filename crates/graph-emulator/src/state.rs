//! The emulated tenant: users, service principals (some of them agent identities) and their
//! owners, groups, and the Copilot limited-mode setting.
//!
//! [`State`] is what the emulator serves and mutates; [`Emulator::state`](crate::Emulator::state)
//! hands tests a snapshot of it. [`Seed`] is how a tenant is described up front, from code or from
//! a JSON file (see the crate docs for the format).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Error;

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

/// The whole emulated tenant. Maps are keyed by object id.
///
/// Object ids are compared case-insensitively by the emulator (Graph's ids are GUIDs), but stored
/// as given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct State {
    /// Users, by id.
    pub users: BTreeMap<String, User>,
    /// Service principals, agent identities included, by id.
    pub service_principals: BTreeMap<String, ServicePrincipal>,
    /// Groups, by id.
    pub groups: BTreeMap<String, Group>,
    /// The tenant's Copilot limited-mode setting (a singleton).
    pub limited_mode: LimitedMode,
}

/// A user (a directory object of type `#microsoft.graph.user`).
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
}

/// The Copilot limited-mode setting (`copilotAdminLimitedMode`).
///
/// `None` stands for JSON `null`. Properties that the spec declares but the emulator has no field
/// for (for example one added to the slice later) are kept in `additional` and echoed back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitedMode {
    /// The Entra group the setting applies to; Graph's default is `null`.
    #[serde(default)]
    pub group_id: Option<String>,
    /// Whether the group's members are in limited mode; Graph's default is `false`.
    #[serde(default)]
    pub is_enabled_for_group: Option<bool>,
    /// Other properties the spec allows, as last written.
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
    /// The resource as Graph returns it (without `@odata.context`).
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

impl State {
    /// Finds a directory object (user, service principal or group) by id, case-insensitively.
    /// Users win over service principals, which win over groups, should ids collide.
    pub fn directory_object(&self, id: &str) -> Option<DirectoryObject> {
        let found = |key: &String, ty: &str| DirectoryObject {
            id: key.clone(),
            odata_type: ty.to_owned(),
        };
        if let Some((key, _)) = find(&self.users, id) {
            return Some(found(key, USER_TYPE));
        }
        if let Some((key, sp)) = find(&self.service_principals, id) {
            return Some(found(key, sp.odata_type()));
        }
        find(&self.groups, id).map(|(key, _)| found(key, GROUP_TYPE))
    }

    /// Every directory object, users first, then service principals, then groups.
    pub fn directory_objects(&self) -> Vec<DirectoryObject> {
        let users = self.users.keys().map(|id| (id, USER_TYPE));
        let sps = self
            .service_principals
            .values()
            .map(|sp| (&sp.id, sp.odata_type()));
        let groups = self.groups.keys().map(|id| (id, GROUP_TYPE));
        users
            .chain(sps)
            .chain(groups)
            .map(|(id, ty)| DirectoryObject {
                id: id.clone(),
                odata_type: ty.to_owned(),
            })
            .collect()
    }

    /// The service principal with this id (case-insensitive), agent identity or not.
    pub fn service_principal(&self, id: &str) -> Option<&ServicePrincipal> {
        find(&self.service_principals, id).map(|(_, sp)| sp)
    }

    /// The agent identity with this id (case-insensitive); `None` for a plain service principal.
    pub fn agent_identity(&self, id: &str) -> Option<&ServicePrincipal> {
        self.service_principal(id).filter(|sp| sp.is_agent_identity)
    }

    /// The owner ids of a service principal (empty when unknown).
    pub fn owners_of(&self, id: &str) -> Vec<String> {
        self.service_principal(id)
            .map(|sp| sp.owners.clone())
            .unwrap_or_default()
    }

    /// The group with this id (case-insensitive).
    pub fn group(&self, id: &str) -> Option<&Group> {
        find(&self.groups, id).map(|(_, g)| g)
    }

    /// Adds (or replaces, by id) everything a seed describes.
    pub fn apply(&mut self, seed: Seed) {
        for user in seed.users {
            self.users.insert(user.id.clone(), user);
        }
        for sp in seed.service_principals {
            self.service_principals.insert(sp.id.clone(), sp);
        }
        for mut agent in seed.agent_identities {
            agent.is_agent_identity = true;
            self.service_principals.insert(agent.id.clone(), agent);
        }
        for group in seed.groups {
            self.groups.insert(group.id.clone(), group);
        }
        if let Some(limited_mode) = seed.limited_mode {
            self.limited_mode = limited_mode;
        }
    }

    pub(crate) fn service_principal_mut(&mut self, id: &str) -> Option<&mut ServicePrincipal> {
        let key = find(&self.service_principals, id).map(|(k, _)| k.clone())?;
        self.service_principals.get_mut(&key)
    }
}

fn find<'a, T>(map: &'a BTreeMap<String, T>, id: &str) -> Option<(&'a String, &'a T)> {
    map.get_key_value(id)
        .or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(id)))
}

/// A description of a tenant to load, from code or from JSON.
///
/// Everything is optional; entries with an id already present replace the old entry.
///
/// ```
/// use graph_emulator::{Seed, ServicePrincipal};
///
/// let seed = Seed::new()
///     .user("u1", "Adele Vance")
///     .group("g1", "Copilot pilot")
///     .agent_identity("a1", "Expense agent")
///     .service_principal(ServicePrincipal::new("sp1").owner("u1"));
/// let from_json = Seed::from_json(r#"{
///     "users": [{"id": "u1", "displayName": "Adele Vance"}],
///     "groups": [{"id": "g1", "displayName": "Copilot pilot"}],
///     "agentIdentities": [{"id": "a1", "displayName": "Expense agent"}],
///     "servicePrincipals": [{"id": "sp1", "owners": ["u1"]}]
/// }"#).unwrap();
/// assert_eq!(seed, from_json);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    /// Users.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<User>,
    /// Service principals; set `isAgentIdentity` to make one an agent identity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_principals: Vec<ServicePrincipal>,
    /// Agent identities (service principals whose `isAgentIdentity` is forced to true).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agent_identities: Vec<ServicePrincipal>,
    /// Groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Group>,
    /// The limited-mode setting; left as it is when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limited_mode: Option<LimitedMode>,
}

impl Seed {
    /// An empty seed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the JSON seed format (see the crate docs).
    pub fn from_json(json: &str) -> Result<Self, Error> {
        serde_json::from_str(json).map_err(|e| Error::Seed(e.to_string()))
    }

    /// Reads and parses a JSON seed file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Seed(format!("cannot read {}: {e}", path.display())))?;
        Self::from_json(&text).map_err(|e| match e {
            Error::Seed(m) => Error::Seed(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    /// Adds a user with a display name.
    #[must_use]
    pub fn user(mut self, id: impl Into<String>, display_name: impl Into<String>) -> Self {
        self.users.push(User::new(id).display_name(display_name));
        self
    }

    /// Adds a group with a display name.
    #[must_use]
    pub fn group(mut self, id: impl Into<String>, display_name: impl Into<String>) -> Self {
        self.groups.push(Group::new(id).display_name(display_name));
        self
    }

    /// Adds an agent identity with a display name and no owners.
    #[must_use]
    pub fn agent_identity(
        mut self,
        id: impl Into<String>,
        display_name: impl Into<String>,
    ) -> Self {
        self.agent_identities
            .push(ServicePrincipal::new(id).display_name(display_name));
        self
    }

    /// Adds a service principal as given (set `is_agent_identity` for an agent identity).
    #[must_use]
    pub fn service_principal(mut self, sp: ServicePrincipal) -> Self {
        self.service_principals.push(sp);
        self
    }

    /// Sets the limited-mode setting.
    #[must_use]
    pub fn limited_mode(mut self, limited_mode: LimitedMode) -> Self {
        self.limited_mode = Some(limited_mode);
        self
    }
}
