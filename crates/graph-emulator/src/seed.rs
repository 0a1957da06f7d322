//! Seeds: a tenant described up front, from code or from a JSON file.
//!
//! A seed is generic — entities per entity set, links per (entity, navigation property),
//! singletons per path — with typed sugar for the objects the slice's operations touch
//! ([`Seed::user`], [`Seed::agent_identity`], [`Seed::group`], [`Seed::limited_mode`], …).
//!
//! # JSON
//!
//! ```json
//! {
//!   "entities": {
//!     "users": [{"id": "u1", "@odata.type": "#microsoft.graph.user", "displayName": "Adele Vance"}],
//!     "widgets": [{"id": "w1", "@odata.type": "#microsoft.graph.widget", "size": 3}]
//!   },
//!   "links": [{"set": "servicePrincipals", "id": "a1", "property": "owners", "targets": ["u1"]}],
//!   "singletons": {"copilot/admin/settings/limitedMode": {"isEnabledForGroup": false, "groupId": null}},
//!
//!   "users": [{"id": "u2", "displayName": "Alex Wilber", "userPrincipalName": "alex@contoso.com"}],
//!   "agentIdentities": [{"id": "a1", "displayName": "Expense agent", "owners": ["u1"]}],
//!   "servicePrincipals": [{"id": "sp1", "displayName": "Payroll", "appId": "…", "isAgentIdentity": false, "owners": []}],
//!   "groups": [{"id": "g1", "displayName": "Copilot pilot"}],
//!   "limitedMode": {"isEnabledForGroup": false, "groupId": null},
//!
//!   "apps": [{"clientId": "…", "secrets": ["…"], "appRoles": ["AgentIdentity.ReadWrite.All"]},
//!            {"clientId": "…", "certificates": ["MIIDRzCCAi+gAwIBAgIU…"], "appRoles": ["…"]},
//!            {"clientId": "…", "publicClient": true, "delegatedScopes": ["CopilotSettings-LimitedMode.ReadWrite"]}]
//! }
//! ```
//!
//! Every key is optional; `users` to `limitedMode` are the typed sugar, and `apps` registers
//! [`App`]s with the emulator's identity provider (not the Graph store). Unknown keys are refused, so a typo
//! fails loudly. Entities need a string `id`; an entity whose id is already stored replaces it.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Error;
use crate::identity::App;
use crate::store::Store;
use crate::tenant::{
    GROUPS, Group, LIMITED_MODE_PATH, LimitedMode, SERVICE_PRINCIPALS, ServicePrincipal, USERS,
    User,
};

/// One seeded link: `set`/`id`'s navigation property `property` points at `targets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedLink {
    /// The entity set of the owning entity.
    pub set: String,
    /// The owning entity's id.
    pub id: String,
    /// The navigation property.
    pub property: String,
    /// The ids it points at, in order.
    pub targets: Vec<String>,
}

/// A description of a tenant to load; see the [module docs](self).
///
/// ```
/// use graph_emulator::{Seed, ServicePrincipal};
/// use serde_json::json;
///
/// let seed = Seed::new()
///     .entity("widgets", json!({"id": "w1", "size": 3}))
///     .user("u1", "Adele Vance")
///     .agent_identity("a1", "Expense agent")
///     .service_principal(ServicePrincipal::new("sp1").owner("u1"));
/// let from_json = Seed::from_json(r#"{
///     "users": [{"id": "u1", "displayName": "Adele Vance"}],
///     "agentIdentities": [{"id": "a1", "displayName": "Expense agent"}],
///     "servicePrincipals": [{"id": "sp1", "owners": ["u1"]}],
///     "entities": {"widgets": [{"id": "w1", "size": 3}]}
/// }"#).unwrap();
/// assert_eq!(seed, from_json);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct Seed {
    entities: Vec<(String, Value)>,
    links: Vec<SeedLink>,
    singletons: Vec<(String, Value)>,
    apps: Vec<App>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedFile {
    #[serde(default)]
    entities: Map<String, Value>,
    #[serde(default)]
    links: Vec<SeedLink>,
    #[serde(default)]
    singletons: Map<String, Value>,
    #[serde(default)]
    users: Vec<User>,
    #[serde(default)]
    agent_identities: Vec<ServicePrincipal>,
    #[serde(default)]
    service_principals: Vec<ServicePrincipal>,
    #[serde(default)]
    groups: Vec<Group>,
    #[serde(default)]
    limited_mode: Option<LimitedMode>,
    #[serde(default)]
    apps: Vec<App>,
}

impl Seed {
    /// An empty seed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the JSON seed format (see the [module docs](self)).
    ///
    /// # Errors
    ///
    /// [`Error::Seed`] naming what is wrong.
    pub fn from_json(json: &str) -> Result<Self, Error> {
        let file: SeedFile = serde_json::from_str(json).map_err(|e| Error::Seed(e.to_string()))?;
        let mut seed = Seed::new();
        for (set, list) in file.entities {
            let Value::Array(list) = list else {
                return Err(Error::Seed(format!(
                    "`entities.{set}` must be a list of objects"
                )));
            };
            for entity in list {
                if entity
                    .get("id")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
                {
                    return Err(Error::Seed(format!(
                        "an entity of `{set}` has no string `id`: {entity}"
                    )));
                }
                seed = seed.entity(&set, entity);
            }
        }
        seed.links.extend(file.links);
        for (path, value) in file.singletons {
            seed = seed.singleton(&path, value);
        }
        for user in file.users {
            seed = seed.add_user(user);
        }
        for mut agent in file.agent_identities {
            agent.is_agent_identity = true;
            seed = seed.service_principal(agent);
        }
        for sp in file.service_principals {
            seed = seed.service_principal(sp);
        }
        for group in file.groups {
            seed = seed.add_group(group);
        }
        if let Some(limited_mode) = file.limited_mode {
            seed = seed.limited_mode(limited_mode);
        }
        seed.apps.extend(file.apps);
        Ok(seed)
    }

    /// Reads and parses a JSON seed file.
    ///
    /// # Errors
    ///
    /// [`Error::Seed`] naming the file and what is wrong.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Seed(format!("cannot read {}: {e}", path.display())))?;
        Self::from_json(&text).map_err(|e| match e {
            Error::Seed(m) => Error::Seed(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    /// The seed in the JSON format (generic keys and `apps`; app secrets included).
    pub fn to_json(&self) -> Value {
        let mut entities = Map::new();
        for (set, entity) in &self.entities {
            if let Value::Array(list) = entities
                .entry(set.clone())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                list.push(entity.clone());
            }
        }
        serde_json::json!({
            "entities": entities,
            "links": self.links,
            "singletons": self.singletons.iter().cloned().collect::<Map<_, _>>(),
            "apps": self.apps,
        })
    }

    /// Adds an entity (a JSON object with a string `id`) to an entity set.
    pub fn entity(mut self, set: &str, entity: Value) -> Self {
        self.entities.push((set.to_owned(), entity));
        self
    }

    /// Points an entity's navigation property at `target` as well.
    pub fn link(mut self, set: &str, id: &str, property: &str, target: &str) -> Self {
        self.links.push(SeedLink {
            set: set.to_owned(),
            id: id.to_owned(),
            property: property.to_owned(),
            targets: vec![target.to_owned()],
        });
        self
    }

    /// Sets the singleton at `path` (no leading `/`).
    pub fn singleton(mut self, path: &str, value: Value) -> Self {
        self.singletons
            .push((path.trim_matches('/').to_owned(), value));
        self
    }

    /// Adds a user with a display name.
    pub fn user(self, id: impl Into<String>, display_name: impl Into<String>) -> Self {
        self.add_user(User::new(id).display_name(display_name))
    }

    /// Adds a user as given.
    pub fn add_user(self, user: User) -> Self {
        self.entity(USERS, user.to_json())
    }

    /// Adds a group with a display name.
    pub fn group(self, id: impl Into<String>, display_name: impl Into<String>) -> Self {
        self.add_group(Group::new(id).display_name(display_name))
    }

    /// Adds a group as given.
    pub fn add_group(self, group: Group) -> Self {
        self.entity(GROUPS, group.to_json())
    }

    /// Adds an agent identity with a display name and no owners.
    pub fn agent_identity(self, id: impl Into<String>, display_name: impl Into<String>) -> Self {
        self.service_principal(ServicePrincipal::agent_identity(id).display_name(display_name))
    }

    /// Adds a service principal as given (set `is_agent_identity` for an agent identity), with
    /// its owners as links.
    pub fn service_principal(mut self, sp: ServicePrincipal) -> Self {
        for owner in &sp.owners {
            self = self.link(SERVICE_PRINCIPALS, &sp.id, crate::tenant::OWNERS, owner);
        }
        self.entity(SERVICE_PRINCIPALS, sp.to_json())
    }

    /// Sets the limited-mode setting.
    pub fn limited_mode(self, limited_mode: LimitedMode) -> Self {
        self.singleton(LIMITED_MODE_PATH, limited_mode.to_json())
    }

    /// Registers an app with the identity provider (for signing in; see [`App`]).
    pub fn app(mut self, app: App) -> Self {
        self.apps.push(app);
        self
    }

    /// The app registrations, in order.
    pub(crate) fn apps(&self) -> &[App] {
        &self.apps
    }

    /// Adds everything `more` holds after what this seed holds.
    pub fn merge(mut self, more: Seed) -> Self {
        self.apps.extend(more.apps);
        self.entities.extend(more.entities);
        self.links.extend(more.links);
        self.singletons.extend(more.singletons);
        self
    }

    /// Writes the seed into a store: entities (an id already stored is replaced), then links,
    /// then singletons.
    ///
    /// # Errors
    ///
    /// [`Error::Seed`] for an entity that is not an object with a string `id`.
    pub fn apply(&self, store: &mut Store) -> Result<(), Error> {
        for (set, entity) in &self.entities {
            store
                .insert(set, entity.clone())
                .map_err(|e| Error::Seed(e.to_string()))?;
        }
        for link in &self.links {
            for target in &link.targets {
                store.link(&link.set, &link.id, &link.property, target);
            }
        }
        for (path, value) in &self.singletons {
            store.set_singleton(path, value.clone());
        }
        Ok(())
    }
}
