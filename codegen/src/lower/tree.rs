//! The URL tree: one request builder per distinct path prefix, named once here from
//! `naming`'s segment rules, so emitters, areas and `spec-diff` read the same names.

use std::collections::BTreeMap;

use crate::ir::{Accessor, AccessorKind, Operation, Segment, TopLevel, UrlNode};
use crate::naming::{self, Scope};

#[derive(Default)]
struct Node {
    segments: Vec<Segment>,
    children: BTreeMap<Segment, Node>,
    operations: Vec<usize>,
    builder: String,
}

/// Type names the generated requests crate defines or imports at its root.
const RESERVED_TYPES: &[&str] = &[
    "GraphClient",
    "CoreClient",
    "ClientBuilder",
    "Credential",
    "Request",
    "RequestPath",
    "Error",
];
/// Methods of the root client that are not accessors.
const ROOT_METHODS: &[&str] = &[
    "new",
    "builder",
    "from_core",
    "core",
    "raw",
    "raw_paged",
    "batch",
];
/// Modules the requests crate declares itself.
const RESERVED_MODULES: &[&str] = &["lib", "operations", "client"];

/// Builds the tree, names builders, accessors, modules, areas and request wrappers, and records
/// each operation's wrapper and area.
pub(super) fn lower_tree(operations: &mut [Operation]) -> UrlNode {
    let mut root = Node::default();
    for (i, op) in operations.iter().enumerate() {
        let mut node = &mut root;
        for (depth, segment) in op.segments.iter().enumerate() {
            node = node
                .children
                .entry(segment.clone())
                .or_insert_with(|| Node {
                    segments: op.segments[..=depth].to_vec(),
                    ..Node::default()
                });
        }
        node.operations.push(i);
    }
    let mut types = Scope::new();
    for reserved in RESERVED_TYPES {
        types.reserve(reserved);
    }
    name_builders(&mut root, &mut types);
    root.builder = "GraphClient".to_owned();

    let mut modules = Scope::new();
    for reserved in RESERVED_MODULES {
        modules.reserve(reserved);
    }
    let mut tree = convert(&root, None, operations, &mut types);
    for child in &mut tree.children {
        let first = &child.segments[0];
        let top = TopLevel {
            module: modules.unique_snake(naming::segment_module(first)),
            area: naming::area_name(first),
        };
        for node in std::iter::once(&*child).chain(child.descendants()) {
            for &i in &node.operations {
                operations[i].area = top.area.clone();
            }
        }
        child.top = Some(top);
    }
    tree
}

fn name_builders(node: &mut Node, types: &mut Scope) {
    for child in node.children.values_mut() {
        child.builder = types.unique_type(naming::builder_type(&child.segments));
        name_builders(child, types);
    }
}

fn accessor(segment: &Segment, methods: &mut Scope) -> Accessor {
    let method = methods.unique_snake(naming::segment_method(segment));
    let kind = match segment {
        Segment::Literal(l) => AccessorKind::Literal(l.clone()),
        Segment::Param(p) => AccessorKind::Param {
            name: p.clone(),
            arg: naming::snake(p),
        },
        Segment::Template { template, params } => AccessorKind::Template {
            template: template.clone(),
            params: params
                .iter()
                .map(|p| (p.clone(), naming::snake(p)))
                .collect(),
        },
    };
    Accessor { method, kind }
}

fn convert(
    node: &Node,
    accessor_of: Option<Accessor>,
    operations: &mut [Operation],
    types: &mut Scope,
) -> UrlNode {
    let mut methods = Scope::new();
    if node.segments.is_empty() {
        for reserved in ROOT_METHODS {
            methods.reserve(reserved);
        }
    }
    for &i in &node.operations {
        let op = &mut operations[i];
        methods.reserve(op.method.lower());
        // Every operation returns a request type of its own (its typed setters, `send`,
        // `.await`), so all operations have one shape.
        op.wrapper = Some(types.unique_type(naming::wrapper_type(&node.builder, op.method)));
    }
    let children = node
        .children
        .iter()
        .map(|(segment, child)| {
            let acc = accessor(segment, &mut methods);
            (acc, child)
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|(acc, child)| convert(child, Some(acc), operations, types))
        .collect();
    UrlNode {
        segments: node.segments.clone(),
        builder: node.builder.clone(),
        accessor: accessor_of,
        top: None,
        operations: node.operations.clone(),
        children,
    }
}
