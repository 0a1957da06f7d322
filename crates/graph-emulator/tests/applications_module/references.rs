//! The drive of one navigation's references (`…/owners/$ref`): add a reference to a member of
//! the navigation's type → it is listed by `GET $ref` and by the navigation itself → remove it
//! with `DELETE …/{id}/$ref` → it is gone → add it again and remove it with
//! `DELETE …/$ref?$id=<url>` → gone again.

use graph_emulator::Seed;
use reqwest::Method;
use serde_json::{Value, json};

use crate::driver::{Driver, Failure, fail, unexpected};
use crate::spec::{Seg, Shape, Spec, segments, shape};

/// A navigation whose references can be added.
#[derive(Debug, Clone)]
pub struct RefTarget {
    /// The navigation (`/applications/{application-id}/owners`).
    pub navigation: String,
    pub shape: Shape,
    /// The element type (`directoryObject`), from the member key's `x-ms-docs-key-type`.
    pub element_type: Option<String>,
    /// `…/owners/{directoryObject-id}/$ref`, when the spec has that `DELETE`.
    pub member_ref: Option<String>,
    /// Whether `GET` on the navigation itself is in the spec.
    pub listable: bool,
    /// Whether `DELETE …/$ref` (with `$id`) is in the spec.
    pub delete_by_id: bool,
}

/// The steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RefStep {
    Parent,
    Add,
    ListRefs,
    List,
    Remove,
    Removed,
    RemoveById,
}

impl RefStep {
    pub const ALL: [RefStep; 7] = [
        RefStep::Parent,
        RefStep::Add,
        RefStep::ListRefs,
        RefStep::List,
        RefStep::Remove,
        RefStep::Removed,
        RefStep::RemoveById,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RefStep::Parent => "parent",
            RefStep::Add => "add",
            RefStep::ListRefs => "list-refs",
            RefStep::List => "list",
            RefStep::Remove => "remove",
            RefStep::Removed => "removed",
            RefStep::RemoveById => "remove-by-$id",
        }
    }
}

/// The first failing step, if any.
pub type RefOutcome = Option<(RefStep, Failure)>;

/// Every `…/$ref` with a `POST`, in document order.
pub fn targets(spec: &Spec) -> Vec<RefTarget> {
    let Some(paths) = spec.doc["paths"].as_object() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (template, item) in paths {
        let Some(navigation) = template.strip_suffix("/$ref") else {
            continue;
        };
        if item.get("post").is_none() {
            continue;
        }
        let member_ref = paths
            .iter()
            .find(|(t, item)| {
                item.get("delete").is_some()
                    && t.strip_prefix(navigation)
                        .and_then(|rest| rest.strip_suffix("/$ref"))
                        .and_then(|rest| rest.strip_prefix('/'))
                        .is_some_and(|rest| matches!(segments(rest).as_slice(), [Seg::Key(_)]))
            })
            .map(|(t, _)| t.clone());
        let element_type = member_ref.as_deref().and_then(|t| {
            let segs = segments(t);
            match segs.get(segs.len().checked_sub(2)?) {
                Some(Seg::Key(param)) => spec.key_type(param),
                _ => None,
            }
        });
        out.push(RefTarget {
            navigation: navigation.to_owned(),
            shape: shape(&segments(navigation)),
            element_type,
            member_ref,
            listable: paths
                .get(navigation)
                .is_some_and(|i| i.get("get").is_some()),
            delete_by_id: item.get("delete").is_some(),
        });
    }
    out
}

/// The entity-set name of a type, as the engine's `@odata.id` URLs use it
/// (`directoryObject` → `directoryObjects`, `appManagementPolicy` → `appManagementPolicies`).
pub fn plural(type_name: &str) -> String {
    if type_name.ends_with('s') {
        type_name.to_owned()
    } else if let Some(stem) = type_name
        .strip_suffix('y')
        .filter(|s| !s.ends_with(['a', 'e', 'o', 'u']))
    {
        format!("{stem}ies")
    } else {
        format!("{type_name}s")
    }
}

fn listed_ids(body: &Value) -> Vec<String> {
    body["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| {
            item["id"].as_str().map(str::to_owned).or_else(|| {
                item["@odata.id"]
                    .as_str()
                    .and_then(|url| url.rsplit('/').next())
                    .map(str::to_owned)
            })
        })
        .collect()
}

/// Drives one navigation's references.
pub async fn drive(driver: &mut Driver<'_>, target: &RefTarget) -> RefOutcome {
    steps(driver, target).await.err()
}

async fn steps(driver: &mut Driver<'_>, target: &RefTarget) -> Result<(), (RefStep, Failure)> {
    driver.ensure_parents(&target.navigation).await;
    let navigation = driver
        .fill(&target.navigation, None)
        .map_err(|(status, why)| (RefStep::Parent, fail(status, why)))?;
    let refs = format!("{navigation}/$ref");

    // The member to reference: an entity of the navigation's type.
    let Some(element_type) = &target.element_type else {
        return Err((RefStep::Add, fail(0, "the spec gives no element type")));
    };
    let Some(seeder) = driver.seeder() else {
        return Err((
            RefStep::Add,
            fail(0, "cannot seed an emulator in another process"),
        ));
    };
    let set = plural(element_type);
    let id = uuid::Uuid::new_v4().to_string();
    seeder
        .seed(Seed::new().entity(
            &set,
            json!({"id": id, "@odata.type": format!("#microsoft.graph.{element_type}")}),
        ))
        .map_err(|e| (RefStep::Add, fail(0, format!("seeding failed: {e}"))))?;
    let reference = json!({"@odata.id": format!("{}/{set}/{id}", driver.base_url())});

    let (status, answer) = driver.send(Method::POST, &refs, Some(&reference)).await;
    if status != 204 {
        return Err((RefStep::Add, unexpected(status, &answer, "204")));
    }
    let (status, answer) = driver.send(Method::GET, &refs, None).await;
    if status != 200 {
        return Err((RefStep::ListRefs, unexpected(status, &answer, "200")));
    }
    if !listed_ids(&answer).contains(&id) {
        return Err((
            RefStep::ListRefs,
            fail(status, format!("not listed: {answer}")),
        ));
    }
    if target.listable {
        let (status, answer) = driver.send(Method::GET, &navigation, None).await;
        if status != 200 {
            return Err((RefStep::List, unexpected(status, &answer, "200")));
        }
        if !listed_ids(&answer).contains(&id) {
            return Err((RefStep::List, fail(status, format!("not listed: {answer}"))));
        }
    }
    let Some(member_ref) = &target.member_ref else {
        return Err((
            RefStep::Remove,
            fail(0, "the spec has no DELETE …/{id}/$ref"),
        ));
    };
    let member_ref = driver
        .fill(member_ref, Some(&id))
        .map_err(|(status, why)| (RefStep::Remove, fail(status, why)))?;
    let (status, answer) = driver.send(Method::DELETE, &member_ref, None).await;
    if status != 204 {
        return Err((RefStep::Remove, unexpected(status, &answer, "204")));
    }
    let (status, answer) = driver.send(Method::GET, &refs, None).await;
    if status != 200 || listed_ids(&answer).contains(&id) {
        return Err((
            RefStep::Removed,
            fail(status, format!("still listed: {answer}")),
        ));
    }
    if target.delete_by_id {
        let (status, answer) = driver.send(Method::POST, &refs, Some(&reference)).await;
        if status != 204 {
            return Err((
                RefStep::RemoveById,
                unexpected(status, &answer, "204 on adding again"),
            ));
        }
        let by_id = format!(
            "{refs}?$id={}",
            percent_encode(reference["@odata.id"].as_str().unwrap_or_default())
        );
        let (status, answer) = driver.send(Method::DELETE, &by_id, None).await;
        if status != 204 {
            return Err((RefStep::RemoveById, unexpected(status, &answer, "204")));
        }
        let (status, answer) = driver.send(Method::GET, &refs, None).await;
        if status != 200 || listed_ids(&answer).contains(&id) {
            return Err((
                RefStep::RemoveById,
                fail(status, format!("still listed: {answer}")),
            ));
        }
    }
    Ok(())
}

/// Percent-encodes a URL for a query value.
fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
