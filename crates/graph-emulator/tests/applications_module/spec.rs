//! What to drive, read from the OpenAPI document itself: every collection (entity set or
//! collection-valued navigation) that has a create (`POST`), its item template, its alternate
//! keys, its parents and its shape.
//!
//! The document is read as plain JSON here, independently of the engine's classifier, so that
//! the test does not inherit the engine's mistakes.

use serde_json::Value;

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A literal segment (`applications`, `synchronization`, `microsoft.graph.user`).
    Lit(String),
    /// A key parameter (`{application-id}`), by name.
    Key(String),
    /// Anything else with a parameter (`applications(appId='{appId}')`, a function call).
    Other(String),
}

/// Splits a template into segments.
pub fn segments(template: &str) -> Vec<Seg> {
    template
        .trim_start_matches('/')
        .split('/')
        .map(|s| {
            if s.starts_with('{') && s.ends_with('}') && s.matches('{').count() == 1 {
                Seg::Key(s[1..s.len() - 1].to_owned())
            } else if s.contains('{') || s.contains('(') {
                Seg::Other(s.to_owned())
            } else {
                Seg::Lit(s.to_owned())
            }
        })
        .collect()
}

/// Where a collection sits, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shape {
    /// `/applications`.
    EntitySet,
    /// `/applications/{id}/extensionProperties`.
    NavUnderKey,
    /// `/servicePrincipals/{id}/microsoft.graph.x/owners`.
    NavUnderCast,
    /// `/applications/{id}/synchronization/jobs`: a collection inside a single-valued
    /// (containment) navigation.
    NavUnderSingle,
    /// Two keys or more before the collection:
    /// `/onPremisesPublishingProfiles/{id}/agentGroups/{id}/agents`.
    Nested,
}

impl Shape {
    /// All shapes, in table order.
    pub const ALL: [Shape; 5] = [
        Shape::EntitySet,
        Shape::NavUnderKey,
        Shape::NavUnderCast,
        Shape::NavUnderSingle,
        Shape::Nested,
    ];

    /// The table's label.
    pub fn label(self) -> &'static str {
        match self {
            Shape::EntitySet => "entity set",
            Shape::NavUnderKey => "navigation under a key",
            Shape::NavUnderCast => "navigation under a cast",
            Shape::NavUnderSingle => "under a single-valued navigation",
            Shape::Nested => "nested: two keys or more deep",
        }
    }
}

/// A collection with a create operation.
#[derive(Debug, Clone)]
pub struct Target {
    /// The collection's template (`/applications/{application-id}/extensionProperties`).
    pub template: String,
    pub shape: Shape,
    /// The component schema the `POST` takes (`microsoft.graph.extensionProperty`).
    pub schema: Option<String>,
    /// The template of one member (`…/extensionProperties/{extensionProperty-id}`), if the spec
    /// has one with a `GET`.
    pub item: Option<String>,
    /// Alternate-key templates of the members with a `GET`, and their parameter names
    /// (`…/federatedIdentityCredentials(name='{name}')`, `["name"]`).
    pub alternate_keys: Vec<(String, Vec<String>)>,
    /// The template of one member's reference (`…/agentGroups/{onPremisesAgentGroup-id1}/$ref`),
    /// if the spec has a `DELETE` on it: how a member of a collection with no `GET` on a member
    /// leaves it.
    pub member_ref: Option<String>,
}

/// The document, as JSON.
pub struct Spec {
    pub doc: Value,
}

fn is_cast(literal: &str) -> bool {
    literal.starts_with("microsoft.graph.") || literal.starts_with("graph.")
}

impl Spec {
    pub fn new(doc: Value) -> Self {
        Self { doc }
    }

    fn paths(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.doc["paths"].as_object().into_iter().flatten()
    }

    /// The collections to drive, in document order.
    pub fn targets(&self) -> Vec<Target> {
        let mut out = Vec::new();
        for (template, item) in self.paths() {
            let Some(post) = item.get("post") else {
                continue;
            };
            let kind = post["x-ms-docs-operation-type"].as_str().unwrap_or("");
            if kind == "action" || kind == "function" {
                continue;
            }
            let segs = segments(template);
            let Some(Seg::Lit(last)) = segs.last() else {
                continue;
            };
            if last.starts_with('$') || is_cast(last) {
                continue;
            }
            out.push(Target {
                template: template.clone(),
                shape: shape(&segs),
                schema: body_schema(post),
                item: self.item_template(template),
                alternate_keys: self.alternate_keys(template),
                member_ref: self.member_ref_template(template),
            });
        }
        out
    }

    /// The member template: this template plus one key segment, with a `GET`.
    fn item_template(&self, collection: &str) -> Option<String> {
        self.member_template(collection, "get", None)
    }

    /// The template `collection/{key}/$ref`, with a `DELETE`.
    fn member_ref_template(&self, collection: &str) -> Option<String> {
        self.member_template(collection, "delete", Some("$ref"))
    }

    /// `collection/{key}` (then `/{tail}`, if given) with `method`.
    fn member_template(
        &self,
        collection: &str,
        method: &str,
        tail: Option<&str>,
    ) -> Option<String> {
        self.paths()
            .find(|(t, item)| {
                item.get(method).is_some()
                    && t.strip_prefix(collection)
                        .and_then(|rest| rest.strip_prefix('/'))
                        .is_some_and(|rest| match (segments(rest).as_slice(), tail) {
                            ([Seg::Key(_)], None) => true,
                            ([Seg::Key(_), Seg::Lit(lit)], Some(tail)) => lit == tail,
                            _ => false,
                        })
            })
            .map(|(t, _)| t.clone())
    }

    /// `collection(name='{name}')` templates with a `GET`.
    fn alternate_keys(&self, collection: &str) -> Vec<(String, Vec<String>)> {
        self.paths()
            .filter(|(_, item)| item.get("get").is_some())
            .filter_map(|(t, _)| {
                let rest = t.strip_prefix(collection)?;
                let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
                if inner.contains('/') {
                    return None;
                }
                let params = inner
                    .split(',')
                    .map(|pair| {
                        let (_, value) = pair.split_once('=')?;
                        let name = value.trim_matches('\'');
                        name.strip_prefix('{')?.strip_suffix('}').map(str::to_owned)
                    })
                    .collect::<Option<Vec<_>>>()?;
                Some((t.clone(), params))
            })
            .collect()
    }

    /// The element type a key parameter names (`x-ms-docs-key-type`), wherever it is declared.
    pub fn key_type(&self, param: &str) -> Option<String> {
        for (_, item) in self.paths() {
            for method in ["get", "post", "patch", "put", "delete"] {
                let Some(params) = item
                    .get(method)
                    .and_then(|op| op.get("parameters"))
                    .and_then(Value::as_array)
                else {
                    continue;
                };
                for p in params {
                    if p["name"] == param {
                        if let Some(t) = p["x-ms-docs-key-type"].as_str() {
                            return Some(t.to_owned());
                        }
                    }
                }
            }
        }
        None
    }
}

/// The shape of a collection's template.
pub fn shape(segs: &[Seg]) -> Shape {
    let before = &segs[..segs.len() - 1];
    if before.is_empty() {
        return Shape::EntitySet;
    }
    let keys = before.iter().filter(|s| matches!(s, Seg::Key(_))).count();
    if keys >= 2 {
        return Shape::Nested;
    }
    if before
        .iter()
        .any(|s| matches!(s, Seg::Lit(l) if is_cast(l)))
    {
        return Shape::NavUnderCast;
    }
    // A literal right after a key, followed by more: a single-valued navigation on the way.
    let through_single = before
        .windows(2)
        .any(|w| matches!(w, [Seg::Lit(_), Seg::Lit(_)]));
    if through_single || matches!(before.last(), Some(Seg::Lit(_))) && before.len() > 1 {
        return Shape::NavUnderSingle;
    }
    Shape::NavUnderKey
}

/// The component schema name of an operation's JSON request body.
pub fn body_schema(op: &Value) -> Option<String> {
    let content = op["requestBody"]["content"].as_object()?;
    let (_, media) = content
        .iter()
        .find(|(name, _)| name.starts_with("application/json"))?;
    media["schema"]["$ref"]
        .as_str()?
        .strip_prefix("#/components/schemas/")
        .map(str::to_owned)
}
