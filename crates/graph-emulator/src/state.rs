//! [`State`]: a snapshot of the emulated tenant, for tests to assert on.
//!
//! It is the generic [`Store`] (entity sets, links, singletons) with typed views for the
//! objects the slice's operations touch — users, service principals and their owners, groups,
//! and the limited-mode setting — read from it.

use serde_json::Value;

use crate::store::Store;
use crate::tenant::{
    DirectoryObject, GROUPS, Group, LIMITED_MODE_PATH, LimitedMode, OWNERS, SERVICE_PRINCIPALS,
    ServicePrincipal, USERS, User,
};

/// A snapshot (a copy) of the tenant. Object ids are matched case-insensitively.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    store: Store,
    /// The tenant's Copilot limited-mode setting (its defaults before the first write).
    pub limited_mode: LimitedMode,
}

impl State {
    pub(crate) fn of(store: &Store) -> Self {
        Self {
            limited_mode: store
                .singleton(LIMITED_MODE_PATH)
                .map(LimitedMode::from_json)
                .unwrap_or_default(),
            store: store.clone(),
        }
    }

    /// The generic store: every entity set, link and singleton.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The entity of `set` with this id.
    pub fn entity(&self, set: &str, id: &str) -> Option<&Value> {
        self.store.entity(set, id)
    }

    /// The ids an entity's navigation property points at, in the order added.
    pub fn links(&self, set: &str, id: &str, property: &str) -> Vec<String> {
        self.store
            .links(set, id, property)
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// The singleton at `path`, if it was ever written or read.
    pub fn singleton(&self, path: &str) -> Option<&Value> {
        self.store.singleton(path.trim_matches('/'))
    }

    /// The owner ids of a service principal (empty when unknown).
    pub fn owners_of(&self, id: &str) -> Vec<String> {
        self.links(SERVICE_PRINCIPALS, id, OWNERS)
    }

    /// The user with this id.
    pub fn user(&self, id: &str) -> Option<User> {
        self.store.entity(USERS, id).map(User::from_json)
    }

    /// Every user, in the order added.
    pub fn users(&self) -> Vec<User> {
        self.store.entities(USERS).map(User::from_json).collect()
    }

    /// The service principal with this id, agent identity or not, with its owners.
    pub fn service_principal(&self, id: &str) -> Option<ServicePrincipal> {
        self.store
            .entity(SERVICE_PRINCIPALS, id)
            .map(|e| ServicePrincipal::from_json(e, self.owners_of(id)))
    }

    /// The agent identity with this id; `None` for a plain service principal.
    pub fn agent_identity(&self, id: &str) -> Option<ServicePrincipal> {
        self.service_principal(id).filter(|sp| sp.is_agent_identity)
    }

    /// The group with this id.
    pub fn group(&self, id: &str) -> Option<Group> {
        self.store.entity(GROUPS, id).map(Group::from_json)
    }

    /// The directory object (user, service principal or group) with this id. Users win over
    /// service principals, which win over groups, should ids collide.
    pub fn directory_object(&self, id: &str) -> Option<DirectoryObject> {
        [USERS, SERVICE_PRINCIPALS, GROUPS]
            .into_iter()
            .find_map(|set| {
                let entity = self.store.entity(set, id)?;
                Some(DirectoryObject {
                    id: entity.get("id")?.as_str()?.to_owned(),
                    odata_type: entity.get("@odata.type")?.as_str()?.to_owned(),
                })
            })
    }

    /// Every directory object: users, then service principals, then groups.
    pub fn directory_objects(&self) -> Vec<DirectoryObject> {
        [USERS, SERVICE_PRINCIPALS, GROUPS]
            .into_iter()
            .flat_map(|set| self.store.entities(set))
            .filter_map(|e| {
                Some(DirectoryObject {
                    id: e.get("id")?.as_str()?.to_owned(),
                    odata_type: e.get("@odata.type")?.as_str()?.to_owned(),
                })
            })
            .collect()
    }
}
