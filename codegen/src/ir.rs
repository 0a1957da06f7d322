//! The generator's intermediate representation: what the spec means for
//! Rust, with every name already chosen. Lowering fills it; emitters read it.

use std::collections::BTreeMap;

/// Everything the emitters need.
#[derive(Debug, Clone, Default)]
pub struct Api {
    /// `info.title`.
    pub title: String,
    /// Models by Rust type name (sorted: output order is stable).
    pub models: BTreeMap<String, Model>,
    /// Operations, sorted by path then method.
    pub operations: Vec<Operation>,
    /// The URL tree of request builders; the root is the client itself.
    pub tree: UrlNode,
    /// What the generator skipped or approximated, with JSON pointers.
    pub diagnostics: Vec<Diagnostic>,
}

/// One node of the URL tree: a request builder type, reached from its parent by an accessor
/// method, holding the operations on exactly its path.
#[derive(Debug, Clone, Default)]
pub struct UrlNode {
    /// Segments from the root.
    pub segments: Vec<Segment>,
    /// The builder's Rust type name (`GraphClient` for the root).
    pub builder: String,
    /// How the parent reaches this node (`None` for the root).
    pub accessor: Option<Accessor>,
    /// For a top-level node: its module (file) and API area (Cargo feature).
    pub top: Option<TopLevel>,
    /// Operations on exactly this path, by index into `Api::operations`.
    pub operations: Vec<usize>,
    /// Child nodes, in segment order.
    pub children: Vec<UrlNode>,
}

/// A top-level node's module and feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopLevel {
    /// Module (file) name in the requests crate.
    pub module: String,
    /// The Cargo feature of its API area.
    pub area: String,
}

/// The method a parent builder offers to reach a child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accessor {
    /// Method name, unique among the parent's methods.
    pub method: String,
    /// What the method appends to the path.
    pub kind: AccessorKind,
}

/// What an accessor appends to the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessorKind {
    /// A literal segment, sent verbatim.
    Literal(String),
    /// A path parameter: its wire name and the method's argument name.
    Param {
        /// The template's parameter name (`servicePrincipal-id`).
        name: String,
        /// The Rust argument.
        arg: String,
    },
    /// A segment with parameters inside it: the template and `(wire name, argument)` pairs.
    Template {
        /// The segment as written.
        template: String,
        /// Parameters in order of appearance.
        params: Vec<(String, String)>,
    },
}

impl UrlNode {
    /// Every node below this one (depth first, in order), this one excluded.
    pub fn descendants(&self) -> Vec<&UrlNode> {
        let mut out = Vec::new();
        for child in &self.children {
            out.push(child);
            out.extend(child.descendants());
        }
        out
    }
}

/// A note about something the generator could not express exactly.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// JSON pointer of the node.
    pub pointer: String,
    /// What happened to it.
    pub message: String,
}

/// One generated type.
#[derive(Debug, Clone)]
pub struct Model {
    /// Rust type name, unique in the crate.
    pub rust_name: String,
    /// Snake-case module (file) name, unique in the crate.
    pub module: String,
    /// The schema's key in `components/schemas`, or a synthesized path for
    /// inline schemas (`Parent/property`).
    pub schema_name: String,
    /// JSON pointer of the schema.
    pub pointer: String,
    /// `description` (or `title`).
    pub docs: Option<String>,
    /// Shape.
    pub kind: ModelKind,
}

/// The shape of a model.
#[derive(Debug, Clone)]
pub enum ModelKind {
    /// An object with named properties.
    Struct(StructModel),
    /// A string enumeration with a catch-all for unknown members.
    Enum(EnumModel),
    /// Any of a polymorphic base's derived types, chosen by `@odata.type`.
    Polymorphic(PolymorphicModel),
    /// A schema that is a plain type (`type: integer`): a type alias.
    Alias(TypeRef),
}

/// An object schema, inheritance flattened.
#[derive(Debug, Clone, Default)]
pub struct StructModel {
    /// Inherited fields first (base before derived), then its own, each
    /// in spec order.
    pub fields: Vec<Field>,
    /// `x-ms-discriminator-value`, e.g. `#microsoft.graph.copilotAdminLimitedMode`.
    pub odata_type: Option<String>,
    /// Schema names of the `allOf` bases, nearest last.
    pub bases: Vec<String>,
    /// Identifier of the catch-all field for undeclared members.
    pub extra_field: String,
}

impl StructModel {
    /// `true` when a field serializes as the JSON member `value`.
    pub fn has_value_member(&self) -> bool {
        self.fields.iter().any(|f| f.json_name == "value")
    }
}

/// One property of a struct.
#[derive(Debug, Clone)]
pub struct Field {
    /// JSON member name.
    pub json_name: String,
    /// Rust field name, unique in the struct.
    pub rust_name: String,
    /// Value type.
    pub ty: TypeRef,
    /// `nullable: true` (or one of the nullable-reference shapes): tri-state.
    pub nullable: bool,
    /// Listed in `required` (documentation only: Graph returns partial objects).
    pub required: bool,
    /// `readOnly: true`.
    pub read_only: bool,
    /// Box the value: the field closes a cycle of directly nested structs.
    pub boxed: bool,
    /// `description`.
    pub docs: Option<String>,
    /// `format`, when it says more than the Rust type does.
    pub format: Option<String>,
}

/// A string enumeration.
#[derive(Debug, Clone)]
pub struct EnumModel {
    /// Known members in spec order.
    pub variants: Vec<Variant>,
    /// Name of the catch-all variant holding unknown members.
    pub catch_all: String,
}

/// A base type with derived types in the slice: values decode by `@odata.type` into the
/// derived type it names, or into the base (the fallback) for a missing or unknown type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolymorphicModel {
    /// The base struct's Rust name (the fallback variant holds it).
    pub base: String,
    /// Name of the fallback variant.
    pub fallback: String,
    /// The derived types, sorted by Rust name.
    pub variants: Vec<PolyVariant>,
}

/// One derived type of a polymorphic base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolyVariant {
    /// Variant name.
    pub rust_name: String,
    /// The struct it holds.
    pub model: String,
    /// Its `@odata.type` value (`#microsoft.graph.user`).
    pub odata_type: String,
    /// The Rust name of its `@odata.type` field, when it has one.
    pub odata_type_field: Option<String>,
}

/// One known enum member.
#[derive(Debug, Clone)]
pub struct Variant {
    /// Wire value.
    pub value: String,
    /// Rust variant name.
    pub rust_name: String,
}

/// A Rust type as used in a field, parameter or body.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum TypeRef {
    /// `String`.
    String,
    /// `bool`.
    Bool,
    /// Integers: `i8`, `u8`, `i16`, `i32`, `i64`, and `u32`/`u64` where the spec sets `minimum: 0`.
    Int(IntKind),
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `graph_types::FlexNumber`: number or special string.
    FlexNumber,
    /// `serde_json::Value`: anything.
    Json,
    /// A generated model, by Rust name.
    Named(String),
    /// `Vec<T>`; `true` when items may be `null` (`Vec<Option<T>>`).
    Array(Box<TypeRef>, bool),
    /// `BTreeMap<String, T>`.
    Map(Box<TypeRef>),
}

impl TypeRef {
    /// The Rust spelling of the type as users see it (`Vec<Option<String>>`,
    /// `i32`, `CopilotAdminLimitedMode`), for docs and reports.
    pub fn rust_name(&self) -> String {
        match self {
            TypeRef::String => "String".into(),
            TypeRef::Bool => "bool".into(),
            TypeRef::Int(k) => format!("{k:?}").to_ascii_lowercase(),
            TypeRef::F32 => "f32".into(),
            TypeRef::F64 => "f64".into(),
            TypeRef::FlexNumber => "FlexNumber".into(),
            TypeRef::Json => "serde_json::Value".into(),
            TypeRef::Named(n) => n.clone(),
            TypeRef::Array(inner, true) => format!("Vec<Option<{}>>", inner.rust_name()),
            TypeRef::Array(inner, false) => format!("Vec<{}>", inner.rust_name()),
            TypeRef::Map(inner) => format!("BTreeMap<String, {}>", inner.rust_name()),
        }
    }
}

/// Integer widths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum IntKind {
    /// `int8`.
    I8,
    /// `uint8`.
    U8,
    /// `int16`.
    I16,
    /// `int32`.
    I32,
    /// `int64` or unspecified.
    I64,
    /// `int32` with `minimum` 0 or more.
    U32,
    /// `int64` or unspecified, with `minimum` 0 or more.
    U64,
}

/// HTTP methods, in the order operations are emitted on a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HttpMethod {
    /// GET
    Get,
    /// PUT
    Put,
    /// POST
    Post,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl HttpMethod {
    /// Lowercase name, also the builder method's name.
    pub fn lower(self) -> &'static str {
        match self {
            HttpMethod::Get => "get",
            HttpMethod::Put => "put",
            HttpMethod::Post => "post",
            HttpMethod::Patch => "patch",
            HttpMethod::Delete => "delete",
        }
    }

    /// Uppercase HTTP token.
    pub fn upper(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Put => "PUT",
            HttpMethod::Post => "POST",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }

    /// The runtime's `HttpMethod` variant name.
    pub fn variant(self) -> &'static str {
        match self {
            HttpMethod::Get => "Get",
            HttpMethod::Put => "Put",
            HttpMethod::Post => "Post",
            HttpMethod::Patch => "Patch",
            HttpMethod::Delete => "Delete",
        }
    }
}

/// One path segment of a template (read by `graph-spec`).
pub use graph_spec::template::Segment;

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ParamLocation {
    /// A path segment.
    Path,
    /// A query option.
    Query,
    /// A request header.
    Header,
}

/// An operation parameter.
#[derive(Debug, Clone)]
pub struct Param {
    /// Wire name (`$select`, `If-Match`, `servicePrincipal-id`).
    pub name: String,
    /// Rust identifier.
    pub rust_name: String,
    /// Location.
    pub location: ParamLocation,
    /// `required: true`.
    pub required: bool,
    /// Value type (arrays are sent comma-joined).
    pub ty: TypeRef,
    /// `description`.
    pub docs: Option<String>,
}

/// A request body.
#[derive(Debug, Clone)]
pub struct Body {
    /// Type of the JSON body (`TypeRef::Json` placeholder for raw bodies).
    pub ty: TypeRef,
    /// `None` for JSON; the media type of a raw (bytes) body otherwise.
    pub raw_media: Option<String>,
    /// `required: true`.
    pub required: bool,
    /// `description`.
    pub docs: Option<String>,
}

/// What success returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Success {
    /// No content (204, or a 2XX without a schema): `()`; a body is ignored.
    Empty,
    /// A JSON body of this type; `unwrap_value` when `{"value": {...}}`
    /// wrapping is accepted (the type has no `value` member of its own).
    Json {
        /// The type.
        ty: TypeRef,
        /// Accept the wrapped shape too.
        unwrap_value: bool,
    },
    /// A `text/plain` body parsed into a scalar (`$count`).
    Text {
        /// A scalar type (or an alias of one).
        ty: TypeRef,
    },
    /// A binary body (`application/octet-stream`, images, …) as bytes.
    Bytes {
        /// The media type asked for in `Accept`.
        media: String,
    },
    /// One page of a collection (`x-ms-pageable`): `{"value": [items], "@odata.nextLink"}`.
    Page {
        /// The type of each item.
        item: TypeRef,
        /// The member holding the next page's URL.
        next_link: String,
    },
}

/// Permissions from `x-graph-rs-permissions` (read by `graph-spec`).
pub use graph_spec::extensions::Permissions;

/// A national cloud from `x-graph-rs-national-clouds` (read by `graph-spec`).
pub use graph_spec::extensions::NationalCloud;

/// An operation's kind, as far as retrying it is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    /// `POST …/$ref`: adds a reference; meeting "already exist" after a retried 504 means the
    /// earlier attempt added it.
    AddReference,
    /// `DELETE …/$ref`: removes a reference; a 404 after a retried 504 means the earlier
    /// attempt removed it.
    RemoveReference,
    /// Anything else.
    Other,
}

impl OperationKind {
    /// The kind of `method` on a path whose last segment is `last`.
    pub fn of(method: HttpMethod, last: Option<&Segment>) -> Self {
        let reference = matches!(last, Some(Segment::Literal(l)) if l == "$ref");
        match (method, reference) {
            (HttpMethod::Post, true) => Self::AddReference,
            (HttpMethod::Delete, true) => Self::RemoveReference,
            _ => Self::Other,
        }
    }

    /// The name of the matching `graph_core::OperationKind` variant.
    pub fn variant(self) -> &'static str {
        match self {
            Self::AddReference => "AddReference",
            Self::RemoveReference => "RemoveReference",
            Self::Other => "Other",
        }
    }
}

/// One operation.
#[derive(Debug, Clone)]
pub struct Operation {
    /// `operationId`, deduplicated.
    pub id: String,
    /// Name of its `static` metadata item.
    pub meta_ident: String,
    /// HTTP method.
    pub method: HttpMethod,
    /// The spec's path template, verbatim.
    pub path_template: String,
    /// Parsed path.
    pub segments: Vec<Segment>,
    /// Query and header parameters (path parameters live in `segments`).
    pub params: Vec<Param>,
    /// Path parameters in order, with docs.
    pub path_params: Vec<Param>,
    /// Request body.
    pub body: Option<Body>,
    /// Success result.
    pub success: Success,
    /// Response codes documented as errors (`4XX`, `404`, `default`, …).
    pub error_codes: Vec<String>,
    /// `summary`.
    pub summary: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `externalDocs.url`.
    pub docs_url: Option<String>,
    /// Documented permissions.
    pub permissions: Option<Permissions>,
    /// National clouds it is documented for (`global`, `usGovL4`, …).
    pub national_clouds: Option<Vec<NationalCloud>>,
    /// Carried as a local extension (`x-graph-rs-local-extension`).
    pub local_extension: Option<String>,
    /// The operation's request type (one per operation, named with the URL tree; `None` only
    /// before the tree is lowered).
    pub wrapper: Option<String>,
    /// The API area (Cargo feature) it belongs to.
    pub area: String,
    /// What kind of change it makes, for the retry decision.
    pub kind: OperationKind,
    /// Tags.
    pub tags: Vec<String>,
    /// JSON pointer of the operation.
    pub pointer: String,
}
