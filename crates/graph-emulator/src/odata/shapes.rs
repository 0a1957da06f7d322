//! Every path template of the spec, classified once at load time as a chain of OData steps.
//!
//! `/servicePrincipals/{servicePrincipal-id}/microsoft.graph.agentIdentity/owners/$ref` reads as
//! *entity set* `servicePrincipals` → *key* → *type cast* to `agentIdentity` → *collection
//! navigation* `owners` → *`$ref`*; `/copilot/admin/settings/limitedMode` as *singleton*
//! `copilot` → single-valued navigations `admin`, `settings`, `limitedMode`. The behaviours
//! then depend on the last steps and the method, never on the operation.
//!
//! The inputs are the segments of every template, `x-ms-docs-key-type` on key parameters (the
//! element type), `x-ms-docs-operation-type` (actions and functions), the component schemas
//! (a `microsoft.graph.X` segment naming a type is a cast) and the operations (a pageable GET,
//! or one answering `{"value": [...]}`, returns a collection). Each segment is decided from all
//! the templates that share its prefix, never from one (see `Templates::is_collection`): a
//! segment continued by a key or `$count`, posted to, or addressed by an alternate key is a
//! collection; an alternate-key segment `name(key='{key}')` is the collection `name` and a key
//! into it, wherever it stands (`/directory/subscriptions(commerceSubscriptionId='{id}')` leaves
//! `/directory` a singleton); a single-valued navigation that also has a `/$ref` template
//! refers to an entity that lives elsewhere (`linked`), one without is contained.

use std::collections::{BTreeMap, HashMap};

use graph_spec::openapiv3::{OpenAPI, Operation, PathItem, ReferenceOr, Schema};
use graph_spec::schema::{items, object_parts};
use graph_spec::template::{GRAPH_NAMESPACE, Segment, cast_type};
use graph_spec::{Pointer, SpecError, extensions, refs};

/// One step of a classified path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// A top-level collection (`/servicePrincipals`). `type_name` is the element type.
    EntitySet {
        name: String,
        type_name: Option<String>,
    },
    /// A key into the collection before (`{servicePrincipal-id}`).
    Key { param: String },
    /// An alternate key (`applications(appId='{appId}')`): each parameter names the property
    /// that must equal its value.
    AlternateKey { params: Vec<String> },
    /// A type cast (`microsoft.graph.agentIdentity`), as a namespace-qualified type name.
    Cast { type_name: String },
    /// A navigation property of the entity before; `collection` for many-valued ones.
    /// `linked` for a single-valued navigation that the spec also addresses with `/$ref` (a
    /// reference to an entity that lives elsewhere, not a contained object).
    Nav {
        property: String,
        collection: bool,
        type_name: Option<String>,
        linked: bool,
    },
    /// A top-level single object (`/copilot`).
    Singleton { name: String },
    /// `$ref`: the references of a navigation property, not the entities.
    Ref,
    /// `$count`.
    Count,
    /// `$value`: the media stream of the entity before.
    Value,
    /// An action or function (bound or not), by its segment.
    Operation { segment: String },
}

impl Step {
    /// Whether this step leaves a collection in front of the next one.
    pub(crate) fn is_collection(&self) -> bool {
        matches!(
            self,
            Step::EntitySet { .. }
                | Step::Nav {
                    collection: true,
                    ..
                }
        )
    }
}

/// What the classifier needs to know about every template.
pub(crate) struct Templates<'a> {
    doc: &'a OpenAPI,
    all: Vec<(String, Vec<Segment>, &'a PathItem)>,
    /// The path item of each template, by its segments.
    by_segments: HashMap<Vec<Segment>, &'a PathItem>,
}

fn methods(item: &PathItem) -> impl Iterator<Item = &Operation> {
    [&item.get, &item.put, &item.post, &item.patch, &item.delete]
        .into_iter()
        .filter_map(Option::as_ref)
}

impl<'a> Templates<'a> {
    pub(crate) fn new(doc: &'a OpenAPI) -> Result<Self, SpecError> {
        let mut all = Vec::new();
        for (path, item) in &doc.paths.paths {
            let ReferenceOr::Item(item) = item else {
                return Err(Pointer::root()
                    .push("paths")
                    .push(path)
                    .error("path item $ref is not supported"));
            };
            let at = Pointer::root().push("paths").push(path);
            let segments = graph_spec::template::parse_path(path, &at)?;
            all.push((path.clone(), segments, item));
        }
        let by_segments = all
            .iter()
            .map(|(_, segments, item)| (segments.clone(), *item))
            .collect();
        Ok(Self {
            doc,
            all,
            by_segments,
        })
    }

    /// `(template, segments, path item)` of every path, in document order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &(String, Vec<Segment>, &'a PathItem)> {
        self.all.iter()
    }

    /// The templates that start with `prefix` (segment-wise) and continue past it.
    fn continuations<'s>(
        &'s self,
        prefix: &'s [Segment],
    ) -> impl Iterator<Item = &'s Segment> + 's {
        self.all
            .iter()
            .filter(move |(_, segs, _)| {
                segs.len() > prefix.len() && segs[..prefix.len()] == *prefix
            })
            .map(move |(_, segs, _)| &segs[prefix.len()])
    }

    /// The path item whose template is exactly `prefix`.
    fn item_at(&self, prefix: &[Segment]) -> Option<&'a PathItem> {
        self.by_segments.get(prefix).copied()
    }

    /// `x-ms-docs-key-type` of a path parameter, wherever a template declares it.
    fn key_type(&self, param: &str) -> Option<String> {
        for (_, _, item) in &self.all {
            let operation_params = methods(item).flat_map(|op| op.parameters.iter());
            for p in item.parameters.iter().chain(operation_params) {
                let Ok(p) = refs::parameter(self.doc, p, &Pointer::root()) else {
                    continue;
                };
                let data = p.parameter_data_ref();
                if data.name == param {
                    if let Some(t) = extensions::key_type(&data.extensions) {
                        return Some(qualify(t));
                    }
                }
            }
        }
        None
    }

    /// Whether the templates show the segment at the end of `prefix` to be a collection. Every
    /// template is evidence, and one template never decides for another's segment:
    ///
    /// * a collection is continued by a key (`/{id}`), `$count`, or a `$ref` that can be
    ///   posted to; its GET is pageable or answers `{"value": [...]}`; it can be posted to; or
    ///   a sibling template addresses it by an alternate key (`name(key='{key}')`);
    /// * an alternate-key segment (`subscriptions(commerceSubscriptionId='{id}')`) says that
    ///   its *own* name is a collection, never the segment before it (so
    ///   `/directory/subscriptions(…)` leaves the `/directory` singleton a single object);
    /// * a `$ref` alone says only that the navigation is not contained: a single-valued
    ///   navigation's `$ref` is put and deleted, a collection's is posted to.
    fn is_collection(&self, prefix: &[Segment]) -> bool {
        let Some((Segment::Literal(last), parent)) = prefix.split_last() else {
            return false;
        };
        let continued = self.continuations(prefix).any(|next| match next {
            Segment::Param(_) => true,
            Segment::Template { template, .. } => template.starts_with('('),
            Segment::Literal(l) => l == "$count",
        });
        if continued {
            return true;
        }
        let addressed_by_alternate_key = self.continuations(parent).any(|next| {
            matches!(next, Segment::Template { template, .. }
                if alternate_key_head(template).is_some_and(|h| h.eq_ignore_ascii_case(last)))
        });
        if addressed_by_alternate_key {
            return true;
        }
        let mut reference = prefix.to_vec();
        reference.push(Segment::Literal("$ref".into()));
        if let Some(refs) = self.item_at(&reference) {
            if refs.post.is_some() {
                return true;
            }
            if refs.put.is_some() {
                return false;
            }
        }
        let Some(item) = self.item_at(prefix) else {
            return false;
        };
        if item
            .get
            .as_ref()
            .is_some_and(|op| self.returns_collection(op))
        {
            return true;
        }
        item.post.is_some() && item.patch.is_none() && item.put.is_none()
    }

    /// Whether the single-valued navigation at `prefix` is addressed with `/$ref` (it refers
    /// to an entity that lives elsewhere).
    fn is_linked(&self, prefix: &[Segment]) -> bool {
        let mut reference = prefix.to_vec();
        reference.push(Segment::Literal("$ref".into()));
        self.item_at(&reference).is_some()
    }

    /// The entity type a single-valued segment's GET answers with.
    fn single_type(&self, prefix: &[Segment]) -> Option<String> {
        let op = self.item_at(prefix)?.get.as_ref()?;
        let schema = self.success_schema(op)?;
        if collection_items(self.doc, schema).is_some() {
            return None;
        }
        named_type(schema)
    }

    fn returns_collection(&self, op: &Operation) -> bool {
        if matches!(
            extensions::pageable(&op.extensions, &Pointer::root()),
            Ok(Some(_))
        ) {
            return true;
        }
        self.success_schema(op)
            .is_some_and(|s| collection_items(self.doc, s).is_some())
    }

    /// The schema of an operation's first success response with JSON content.
    pub(crate) fn success_schema(&self, op: &'a Operation) -> Option<&'a ReferenceOr<Schema>> {
        success_schema(self.doc, op)
    }

    /// Whether an operation at exactly this template is an action or a function.
    fn is_operation_segment(&self, prefix: &[Segment], literal: &str) -> bool {
        if literal.contains('(') && alternate_key_head(literal).is_none() {
            return true;
        }
        if cast_type(literal).is_some()
            && refs::schema_by_name(self.doc, &qualify_cast(literal)).is_some()
        {
            return false;
        }
        self.item_at(prefix).is_some_and(|item| {
            methods(item).any(|op| {
                matches!(
                    extensions::operation_type(&op.extensions),
                    Some(extensions::OperationType::Action | extensions::OperationType::Function)
                )
            })
        })
    }

    /// The element type of the collection at `prefix`: the key type of the key that follows it
    /// in some template, else the item type of a collection its GET returns.
    fn element_type(&self, prefix: &[Segment]) -> Option<String> {
        for next in self.continuations(prefix) {
            if let Segment::Param(p) = next {
                if let Some(t) = self.key_type(p) {
                    return Some(t);
                }
            }
        }
        let op = self.item_at(prefix)?.get.as_ref()?;
        collection_items(self.doc, self.success_schema(op)?).flatten()
    }

    /// Classifies one template.
    pub(crate) fn classify(&self, segments: &[Segment]) -> Vec<Step> {
        let mut steps: Vec<Step> = Vec::new();
        for (i, segment) in segments.iter().enumerate() {
            let prefix = &segments[..=i];
            let after_collection = steps.last().is_some_and(Step::is_collection);
            let step = match segment {
                Segment::Param(p) => Step::Key { param: p.clone() },
                Segment::Template { template, params } => {
                    let head = alternate_key_head(template)
                        .filter(|_| !self.is_operation_segment(prefix, ""));
                    match head {
                        Some(head) if head.is_empty() && after_collection => Step::AlternateKey {
                            params: params.clone(),
                        },
                        Some(head) if !head.is_empty() => {
                            // `name(key='{key}')` is the collection `name` and a key into it.
                            let mut named = segments[..i].to_vec();
                            named.push(Segment::Literal(head.to_owned()));
                            let type_name = self
                                .element_type(&named)
                                .or_else(|| self.single_type(prefix));
                            steps.push(if steps.is_empty() {
                                Step::EntitySet {
                                    name: head.to_owned(),
                                    type_name,
                                }
                            } else {
                                Step::Nav {
                                    property: head.to_owned(),
                                    collection: true,
                                    type_name,
                                    linked: false,
                                }
                            });
                            Step::AlternateKey {
                                params: params.clone(),
                            }
                        }
                        _ => Step::Operation {
                            segment: template.clone(),
                        },
                    }
                }
                Segment::Literal(l) if l == "$ref" => Step::Ref,
                Segment::Literal(l) if l == "$count" => Step::Count,
                Segment::Literal(l) if l == "$value" => Step::Value,
                Segment::Literal(l) if self.is_operation_segment(prefix, l) => {
                    Step::Operation { segment: l.clone() }
                }
                Segment::Literal(l) if cast_type(l).is_some() => Step::Cast {
                    type_name: qualify_cast(l),
                },
                Segment::Literal(l) if steps.is_empty() => {
                    if self.is_collection(prefix) {
                        Step::EntitySet {
                            name: l.clone(),
                            type_name: self.element_type(prefix),
                        }
                    } else {
                        Step::Singleton { name: l.clone() }
                    }
                }
                Segment::Literal(l) => {
                    let collection = self.is_collection(prefix);
                    Step::Nav {
                        property: l.clone(),
                        collection,
                        type_name: if collection {
                            self.element_type(prefix)
                        } else {
                            self.single_type(prefix)
                        },
                        linked: !collection && self.is_linked(prefix),
                    }
                }
            };
            steps.push(step);
        }
        steps
    }
}

/// The name before the parentheses of an alternate-key segment (`subscriptions` of
/// `subscriptions(commerceSubscriptionId='{id}')`, empty for `(appId='{appId}')`), or `None`
/// when the segment is not one: a namespace-qualified name (`microsoft.graph.f(x={x})`) is a
/// function, and a key segment names its parameters (`name=`).
pub(crate) fn alternate_key_head(template: &str) -> Option<&str> {
    let (head, rest) = template.split_once('(')?;
    let plain = head.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (plain && rest.ends_with(')') && rest.contains('=')).then_some(head)
}

/// A key type or bare type name as a namespace-qualified type name.
fn qualify(name: &str) -> String {
    if name.contains('.') {
        name.to_owned()
    } else {
        format!("{GRAPH_NAMESPACE}{name}")
    }
}

/// A cast segment's type, qualified (`graph.user` → `microsoft.graph.user`).
fn qualify_cast(literal: &str) -> String {
    cast_type(literal).map_or_else(|| literal.to_owned(), qualify)
}

/// The schema of an operation's first success response with JSON content.
pub(crate) fn success_schema<'a>(
    doc: &'a OpenAPI,
    op: &'a Operation,
) -> Option<&'a ReferenceOr<Schema>> {
    let successes = op
        .responses
        .responses
        .iter()
        .filter(|(code, _)| match code {
            graph_spec::openapiv3::StatusCode::Code(c) => (200..300).contains(c),
            graph_spec::openapiv3::StatusCode::Range(r) => *r == 2,
        });
    let default = op.responses.default.iter().map(|r| (None, r));
    successes
        .map(|(c, r)| (Some(c), r))
        .chain(default)
        .find_map(|(_, r)| {
            let (response, _) = refs::response(doc, r, &Pointer::root()).ok()?;
            response
                .content
                .iter()
                .find(|(media, _)| media.contains("json"))
                .and_then(|(_, m)| m.schema.as_ref())
        })
}

/// When `schema` is a collection envelope (`{"value": [items]}`): `Some` of the items' schema
/// name (`None` for inline items).
pub(crate) fn collection_items(
    doc: &OpenAPI,
    schema: &ReferenceOr<Schema>,
) -> Option<Option<String>> {
    let resolved = match schema {
        ReferenceOr::Item(s) => s,
        ReferenceOr::Reference { reference } => refs::schema(doc, reference)?,
    };
    let mut candidates = vec![resolved];
    candidates.extend(
        graph_spec::schema::all_of(resolved)
            .iter()
            .filter_map(|m| match m {
                ReferenceOr::Item(s) => Some(s),
                ReferenceOr::Reference { reference } => refs::schema(doc, reference),
            }),
    );
    for candidate in candidates {
        let Some(parts) = object_parts(candidate) else {
            continue;
        };
        let Some((_, value)) = parts
            .properties
            .iter()
            .find(|(name, _)| name.as_str() == "value")
        else {
            continue;
        };
        let value = match value {
            ReferenceOr::Item(s) => s.as_ref(),
            ReferenceOr::Reference { reference } => refs::schema(doc, reference)?,
        };
        return Some(match items(value)? {
            ReferenceOr::Reference { reference } => refs::schema_name(reference).map(str::to_owned),
            ReferenceOr::Item(_) => None,
        });
    }
    None
}

/// The schema name a body or response schema refers to.
pub(crate) fn named_type(schema: &ReferenceOr<Schema>) -> Option<String> {
    match schema {
        ReferenceOr::Reference { reference } => refs::schema_name(reference).map(str::to_owned),
        ReferenceOr::Item(_) => None,
    }
}

/// The parameters that bind each step's key (for messages and lookups), by name.
pub(crate) type Bound = BTreeMap<String, String>;
