//! The spec as OData: every path classified once ([`shapes`]), matched against requests
//! ([`Model::route`]), and the generic behaviours by shape and method ([`behaviour`]), with the
//! query options ([`query`], [`filter`]), `@odata.context` ([`context`]), the overlay rules the
//! spec cannot say ([`rules`]) and body validation ([`validate`]).
//!
//! Nothing here knows an operation id: the same code serves any entity set, navigation,
//! reference or singleton a slice describes, including Microsoft's whole upstream modules
//! (alternate keys on sets and navigations, single-valued `$ref` navigations, creation through
//! navigations, references by any entity-set URL; see [`shapes`], [`behaviour`] and
//! [`validate`] for the rules).

pub(crate) mod behaviour;
pub(crate) mod context;
pub(crate) mod filter;
pub(crate) mod query;
pub(crate) mod rules;
pub(crate) mod shapes;
pub(crate) mod validate;

use std::collections::BTreeMap;

use graph_spec::extensions::{self, OperationRules, Permissions, SchemaRules};
use graph_spec::hierarchy::Hierarchy;
use graph_spec::openapiv3::{OpenAPI, Operation, ReferenceOr, Schema, StatusCode};
use graph_spec::template::Segment;
use graph_spec::{Pointer, SpecError, refs};

use shapes::{Step, Templates, named_type, success_schema};

/// The loaded spec, ready to serve.
#[derive(Debug)]
pub(crate) struct Model {
    pub(crate) doc: OpenAPI,
    pub(crate) hierarchy: Hierarchy,
    pub(crate) routes: Vec<Route>,
    /// `x-graph-rs-rules` of component schemas, by schema name.
    pub(crate) schema_rules: BTreeMap<String, SchemaRules>,
}

/// One path template with its classification and operations.
#[derive(Debug)]
pub(crate) struct Route {
    pub(crate) template: String,
    pub(crate) segments: Vec<Segment>,
    pub(crate) steps: Vec<Step>,
    pub(crate) operations: Vec<RouteOperation>,
    /// The schema of the one object the path addresses (a singleton, an entity), from its
    /// operations' bodies and responses.
    pub(crate) resource_type: Option<String>,
}

/// One operation of a route.
#[derive(Debug)]
pub(crate) struct RouteOperation {
    /// Upper-case method.
    pub(crate) method: &'static str,
    pub(crate) operation_id: Option<String>,
    pub(crate) template: String,
    pub(crate) permissions: Option<Permissions>,
    pub(crate) body: Option<BodySpec>,
    /// The first explicit 2xx status the spec gives (`204`), if any.
    pub(crate) success_status: Option<u16>,
    /// Whether a success response declares content.
    pub(crate) success_has_content: bool,
    pub(crate) rules: OperationRules,
    /// Declared query parameter names (`$select`, `$top`, …).
    pub(crate) query_options: Vec<String>,
}

/// The JSON request body an operation declares.
#[derive(Debug)]
pub(crate) struct BodySpec {
    pub(crate) required: bool,
    pub(crate) schema: Option<ReferenceOr<Schema>>,
}

impl RouteOperation {
    /// Whether `key` names this operation: its operation id, its path template (with or without
    /// the leading `/`), or `*`.
    pub(crate) fn is_named(&self, key: &str) -> bool {
        key == "*"
            || self.operation_id.as_deref() == Some(key)
            || self.template == key
            || self.template.strip_prefix('/') == Some(key)
    }
}

/// The outcome of matching a request path.
#[derive(Debug)]
pub(crate) enum RouteMatch<'a> {
    /// Method and path match; the path parameters are percent-decoded, by name.
    Found(&'a Route, &'a RouteOperation, shapes::Bound),
    /// The path matches a template, but not with this method.
    MethodNotAllowed(Vec<&'static str>),
    /// No template matches; the segment is the first one no template could take.
    NotFound(String),
}

const METHODS: [&str; 5] = ["GET", "PUT", "POST", "PATCH", "DELETE"];

fn operation_of<'a>(
    item: &'a graph_spec::openapiv3::PathItem,
    method: &str,
) -> Option<&'a Operation> {
    match method {
        "GET" => item.get.as_ref(),
        "PUT" => item.put.as_ref(),
        "POST" => item.post.as_ref(),
        "PATCH" => item.patch.as_ref(),
        "DELETE" => item.delete.as_ref(),
        _ => None,
    }
}

impl Model {
    /// Reads and classifies an OpenAPI 3.0 document.
    pub(crate) fn load(text: &str) -> Result<Self, SpecError> {
        let doc = graph_spec::load::parse(text)?;
        let hierarchy = Hierarchy::new(&doc);
        let mut schema_rules = BTreeMap::new();
        if let Some(components) = &doc.components {
            for (name, schema) in &components.schemas {
                if let ReferenceOr::Item(s) = schema {
                    if let Some(rules) =
                        extensions::schema_rules(&s.schema_data.extensions, &Pointer::schema(name))?
                    {
                        schema_rules.insert(name.clone(), rules);
                    }
                }
            }
        }
        let templates = Templates::new(&doc)?;
        let mut routes = Vec::new();
        for (template, segments, item) in templates.iter() {
            let steps = templates.classify(segments);
            let mut operations = Vec::new();
            let mut resource_type = None;
            for method in METHODS {
                let Some(op) = operation_of(item, method) else {
                    continue;
                };
                let at = Pointer::operation(template, &method.to_ascii_lowercase());
                let lowered = lower_operation(&doc, template, item, method, op, &at)?;
                if resource_type.is_none() && matches!(method, "PATCH" | "PUT" | "GET") {
                    let from_body = (method != "GET")
                        .then(|| {
                            lowered
                                .body
                                .as_ref()
                                .and_then(|b| b.schema.as_ref())
                                .and_then(named_type)
                        })
                        .flatten();
                    resource_type =
                        from_body.or_else(|| success_schema(&doc, op).and_then(named_type));
                }
                operations.push(lowered);
            }
            routes.push(Route {
                template: template.clone(),
                segments: segments.clone(),
                steps,
                operations,
                resource_type,
            });
        }
        Ok(Self {
            doc,
            hierarchy,
            routes,
            schema_rules,
        })
    }

    /// Every operation, in document order.
    pub(crate) fn operations(&self) -> impl Iterator<Item = &RouteOperation> {
        self.routes.iter().flat_map(|r| r.operations.iter())
    }

    /// Matches a request (method and the percent-decoded path segments after the version).
    /// Of several matching templates, the one with the most literal segments wins, so a cast
    /// or `$ref` is never taken for a key.
    pub(crate) fn route(&self, method: &str, segments: &[String]) -> RouteMatch<'_> {
        let mut best: Option<(usize, &Route, shapes::Bound)> = None;
        let mut best_prefix = 0;
        for route in &self.routes {
            match match_segments(&route.segments, segments) {
                Ok(params) => {
                    let literals = route
                        .segments
                        .iter()
                        .filter(|s| matches!(s, Segment::Literal(_)))
                        .count();
                    if best.as_ref().is_none_or(|(n, _, _)| literals > *n) {
                        best = Some((literals, route, params));
                    }
                }
                Err(prefix) => best_prefix = best_prefix.max(prefix),
            }
        }
        if let Some((_, route, params)) = best {
            return match route
                .operations
                .iter()
                .find(|op| op.method.eq_ignore_ascii_case(method))
            {
                Some(op) => RouteMatch::Found(route, op, params),
                None => RouteMatch::MethodNotAllowed(
                    route.operations.iter().map(|op| op.method).collect(),
                ),
            };
        }
        let segment = segments
            .get(best_prefix)
            .or_else(|| segments.last())
            .cloned()
            .unwrap_or_default();
        RouteMatch::NotFound(segment)
    }
}

/// `Ok(params)` on a match, else `Err(number of leading segments that matched)`.
fn match_segments(template: &[Segment], segments: &[String]) -> Result<shapes::Bound, usize> {
    let mut params = shapes::Bound::new();
    for (i, t) in template.iter().enumerate() {
        let Some(actual) = segments.get(i) else {
            return Err(i);
        };
        let bound = t.matches(actual).ok_or(i)?;
        params.extend(bound);
    }
    if segments.len() == template.len() {
        Ok(params)
    } else {
        Err(template.len())
    }
}

fn lower_operation(
    doc: &OpenAPI,
    template: &str,
    item: &graph_spec::openapiv3::PathItem,
    method: &'static str,
    op: &Operation,
    at: &Pointer,
) -> Result<RouteOperation, SpecError> {
    let body = match &op.request_body {
        None => None,
        Some(b) => {
            let (body, _) = refs::request_body(doc, b, &at.push("requestBody"))?;
            let schema = body
                .content
                .iter()
                .find(|(media, _)| media.starts_with("application/json"))
                .and_then(|(_, m)| m.schema.clone());
            Some(BodySpec {
                required: body.required,
                schema,
            })
        }
    };
    let mut success_status = None;
    let mut success_has_content = false;
    for (code, r) in &op.responses.responses {
        let is_success = match code {
            StatusCode::Code(c) => (200..300).contains(c),
            StatusCode::Range(r) => *r == 2,
        };
        if !is_success {
            continue;
        }
        if let StatusCode::Code(c) = code {
            success_status.get_or_insert(*c);
        }
        let (response, _) = refs::response(doc, r, &at.push("responses"))?;
        success_has_content |= !response.content.is_empty();
    }
    let mut query_options = Vec::new();
    for (i, p) in item.parameters.iter().chain(&op.parameters).enumerate() {
        let p = refs::parameter(doc, p, &at.push("parameters").push(&i.to_string()))?;
        if let graph_spec::openapiv3::Parameter::Query { parameter_data, .. } = p {
            query_options.push(parameter_data.name.clone());
        }
    }
    Ok(RouteOperation {
        method,
        operation_id: op.operation_id.clone(),
        template: template.to_owned(),
        permissions: extensions::permissions(&op.extensions, at)?,
        body,
        success_status,
        success_has_content,
        rules: extensions::operation_rules(&op.extensions, at)?.unwrap_or_default(),
        query_options,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(path: &str) -> Vec<String> {
        path.split('/').map(str::to_owned).collect()
    }

    #[test]
    fn classifies_the_slice() {
        let model = Model::load(crate::DEFAULT_SPEC).unwrap();
        let add = model
            .routes
            .iter()
            .find(|r| r.template.ends_with("/owners/$ref"))
            .unwrap();
        assert_eq!(
            add.steps,
            [
                Step::EntitySet {
                    name: "servicePrincipals".into(),
                    type_name: Some("microsoft.graph.servicePrincipal".into())
                },
                Step::Key {
                    param: "servicePrincipal-id".into()
                },
                Step::Cast {
                    type_name: "microsoft.graph.agentIdentity".into()
                },
                Step::Nav {
                    property: "owners".into(),
                    collection: true,
                    type_name: Some("microsoft.graph.directoryObject".into()),
                    linked: false,
                },
                Step::Ref,
            ]
        );
        let limited = model
            .routes
            .iter()
            .find(|r| r.template == "/copilot/admin/settings/limitedMode")
            .unwrap();
        assert_eq!(
            limited.steps[0],
            Step::Singleton {
                name: "copilot".into()
            }
        );
        assert!(
            matches!(&limited.steps[3], Step::Nav { property, collection: false, .. } if property == "limitedMode")
        );
        assert_eq!(
            limited.resource_type.as_deref(),
            Some("microsoft.graph.copilotAdminLimitedMode")
        );
    }

    fn steps_of<'m>(model: &'m Model, template: &str) -> &'m [Step] {
        &model
            .routes
            .iter()
            .find(|r| r.template == template)
            .unwrap_or_else(|| panic!("no {template}"))
            .steps
    }

    #[test]
    fn classifies_each_segment_from_all_templates() {
        let directory = Model::load(include_str!(
            "../../tests/fixtures/directory-odata-kinds.yaml"
        ))
        .unwrap();
        // An alternate key under the singleton names its own collection, not `/directory`.
        assert_eq!(
            steps_of(
                &directory,
                "/directory/subscriptions(commerceSubscriptionId='{commerceSubscriptionId}')"
            ),
            [
                Step::Singleton {
                    name: "directory".into()
                },
                Step::Nav {
                    property: "subscriptions".into(),
                    collection: true,
                    type_name: Some("microsoft.graph.companySubscription".into()),
                    linked: false,
                },
                Step::AlternateKey {
                    params: vec!["commerceSubscriptionId".into()]
                },
            ]
        );
        // Upstream's second alternate key on the same collection classifies the same way.
        assert!(matches!(
            steps_of(
                &directory,
                "/directory/subscriptions(ocpSubscriptionId='{ocpSubscriptionId}')"
            ),
            [
                Step::Singleton { .. },
                Step::Nav { collection: true, .. },
                Step::AlternateKey { params },
            ] if params == &["ocpSubscriptionId"]
        ));
        assert!(matches!(
            steps_of(&directory, "/directory/deletedItems/$count"),
            [
                Step::Singleton { .. },
                Step::Nav {
                    collection: true,
                    ..
                },
                Step::Count
            ]
        ));
        let applications = Model::load(include_str!(
            "../../tests/fixtures/applications-odata-kinds.yaml"
        ))
        .unwrap();
        // A single-valued navigation with a `$ref` is a linked single, not a collection.
        assert!(matches!(
            steps_of(&applications, "/applications/{application-id}/connectorGroup/$ref"),
            [
                Step::EntitySet { .. },
                Step::Key { .. },
                Step::Nav { collection: false, linked: true, type_name: Some(t), .. },
                Step::Ref,
            ] if t == "microsoft.graph.connectorGroup"
        ));
        // An alternate key on a navigation is a key, not an action.
        assert!(matches!(
            steps_of(
                &applications,
                "/applications/{application-id}/federatedIdentityCredentials(name='{name}')"
            ),
            [
                Step::EntitySet { .. },
                Step::Key { .. },
                Step::Nav { collection: true, .. },
                Step::AlternateKey { params },
            ] if params == &["name"]
        ));
    }

    #[test]
    fn routes_casts_and_aliases() {
        let model = Model::load(crate::DEFAULT_SPEC).unwrap();
        for path in [
            "servicePrincipals/abc/microsoft.graph.agentIdentity/owners/$ref",
            "servicePrincipals/abc/graph.agentIdentity/owners/$ref",
            "ServicePrincipals/abc/Microsoft.Graph.AgentIdentity/owners/$ref",
        ] {
            match model.route("POST", &segments(path)) {
                RouteMatch::Found(_, op, params) => {
                    assert_eq!(op.method, "POST");
                    assert_eq!(
                        params.get("servicePrincipal-id").map(String::as_str),
                        Some("abc")
                    );
                }
                other => panic!("{path}: {other:?}"),
            }
        }
        assert!(matches!(
            model.route("POST", &segments("servicePrincipals/abc/graph.user/owners/$ref")),
            RouteMatch::NotFound(s) if s == "graph.user"
        ));
        assert!(matches!(
            model.route("POST", &segments("servicePrincipals//microsoft.graph.agentIdentity/owners/$ref")),
            RouteMatch::NotFound(s) if s.is_empty()
        ));
        assert!(matches!(
            model.route("DELETE", &segments("copilot/admin/settings/limitedMode")),
            RouteMatch::MethodNotAllowed(_)
        ));
    }
}
