//! One small fixture per construct the generator supports, checked at the
//! IR (what it means) and, where the shape matters, in the emitted Rust.

mod common;

use codegen::ir::{IntKind, ModelKind, ParamLocation, Segment, Success, TypeRef};
use common::*;

#[test]
fn schema_refs_resolve_to_named_types() {
    let api = lower(&spec(
        "",
        "a:\n  type: object\n  properties:\n    b:\n      $ref: '#/components/schemas/b'\nb:\n  type: object\n  properties:\n    x:\n      type: string",
    ));
    assert_eq!(field(strukt(&api, "A"), "b").ty, TypeRef::Named("B".into()));
}

#[test]
fn all_of_inheritance_is_flattened_base_first() {
    let api = lower(&spec(
        "",
        r#"
base:
  type: object
  properties:
    id:
      type: string
    '@odata.type':
      type: string
mid:
  allOf:
    - $ref: '#/components/schemas/base'
    - type: object
      properties:
        name:
          type: string
leaf:
  allOf:
    - $ref: '#/components/schemas/mid'
    - type: object
      properties:
        extra:
          type: boolean
        '@odata.type':
          type: string
          description: redeclared
  x-ms-discriminator-value: '#leaf'
"#,
    ));
    let leaf = strukt(&api, "Leaf");
    let names: Vec<&str> = leaf.fields.iter().map(|f| f.json_name.as_str()).collect();
    assert_eq!(names, ["id", "@odata.type", "name", "extra"]);
    assert_eq!(
        field(leaf, "@odata.type").docs.as_deref(),
        Some("redeclared")
    );
    assert_eq!(leaf.bases, ["base", "mid"]);
    assert_eq!(leaf.odata_type.as_deref(), Some("#leaf"));
}

#[test]
fn nullable_properties_are_tri_state_and_others_optional() {
    let api = lower(&spec(
        "",
        "m:\n  type: object\n  properties:\n    a:\n      type: string\n      nullable: true\n    b:\n      type: boolean\n",
    ));
    let m = strukt(&api, "M");
    assert!(field(m, "a").nullable);
    assert!(!field(m, "b").nullable);
    let text = generated_text(&spec(
        "",
        "m:\n  type: object\n  properties:\n    a:\n      type: string\n      nullable: true\n    b:\n      type: boolean\n",
    ));
    assert!(text.contains("pub a: Nullable<String>"), "{text}");
    assert!(text.contains("pub b: Option<bool>"), "{text}");
    assert!(text.contains("skip_serializing_if = \"Nullable::is_absent\""));
}

#[test]
fn the_three_nullable_reference_shapes_and_the_plain_ref() {
    let api = lower(&spec(
        "",
        r#"
p:
  type: object
  properties:
    n:
      type: string
m:
  type: object
  properties:
    one:
      anyOf:
        - $ref: '#/components/schemas/p'
        - type: object
          nullable: true
    two:
      type: object
      anyOf:
        - $ref: '#/components/schemas/p'
      nullable: true
    three:
      anyOf:
        - $ref: '#/components/schemas/p'
        - enum: [null]
    plain:
      $ref: '#/components/schemas/p'
"#,
    ));
    let m = strukt(&api, "M");
    for name in ["one", "two", "three"] {
        let f = field(m, name);
        assert_eq!(f.ty, TypeRef::Named("P".into()), "{name}");
        assert!(f.nullable, "{name} should be nullable");
    }
    assert!(!field(m, "plain").nullable);
    assert!(api.diagnostics.is_empty(), "{:?}", api.diagnostics);
}

#[test]
fn string_enums_get_a_catch_all_variant() {
    let text = spec(
        "",
        "color:\n  type: string\n  enum: [red, dark-blue, 3d, other, unknownFutureValue]\n",
    );
    let api = lower(&text);
    let ModelKind::Enum(e) = &model(&api, "Color").kind else {
        panic!("not an enum")
    };
    let names: Vec<&str> = e.variants.iter().map(|v| v.rust_name.as_str()).collect();
    assert_eq!(
        names,
        ["Red", "DarkBlue", "N3d", "Other", "UnknownFutureValue"]
    );
    // `Other` is a member here, so the catch-all takes the next free name.
    assert_eq!(e.catch_all, "Other2");
    let out = generated_text(&text);
    assert!(out.contains("Other2(String)"), "{out}");
    assert!(out.contains("\"dark-blue\" => Self::DarkBlue"));
}

#[test]
fn inline_enums_and_objects_become_named_models() {
    let api = lower(&spec(
        "",
        r#"
w:
  type: object
  properties:
    shade:
      type: string
      enum: [light, dark, null]
    size:
      type: object
      properties:
        width:
          type: number
"#,
    ));
    let w = strukt(&api, "W");
    assert_eq!(field(w, "shade").ty, TypeRef::Named("WShade".into()));
    assert!(
        field(w, "shade").nullable,
        "a null member makes the enum nullable"
    );
    assert_eq!(field(w, "size").ty, TypeRef::Named("WSize".into()));
    assert!(matches!(model(&api, "WShade").kind, ModelKind::Enum(_)));
}

#[test]
fn arrays_and_maps() {
    let api = lower(&spec(
        "",
        r#"
m:
  type: object
  properties:
    tags:
      type: array
      items:
        type: string
        nullable: true
    ints:
      type: array
      items:
        type: integer
        format: int32
    labels:
      type: object
      additionalProperties:
        type: string
    open:
      type: object
      additionalProperties:
        type: object
"#,
    ));
    let m = strukt(&api, "M");
    assert_eq!(
        field(m, "tags").ty,
        TypeRef::Array(Box::new(TypeRef::String), true)
    );
    assert_eq!(
        field(m, "ints").ty,
        TypeRef::Array(Box::new(TypeRef::Int(IntKind::I32)), false)
    );
    assert_eq!(
        field(m, "labels").ty,
        TypeRef::Map(Box::new(TypeRef::String))
    );
    assert_eq!(field(m, "open").ty, TypeRef::Json);
}

#[test]
fn formats_map_to_rust_types() {
    let api = lower(&spec(
        "",
        r#"
m:
  type: object
  properties:
    uid: {type: string, format: uuid}
    when: {type: string, format: date-time}
    i32: {type: integer, format: int32}
    i64: {type: integer, format: int64}
    i8: {type: integer, format: int8}
    u8: {type: integer, format: uint8}
    i16: {type: integer, format: int16}
    plain: {type: integer}
    count: {type: integer, minimum: 0}
    size: {type: integer, format: int32, minimum: 1}
    offset: {type: integer, format: int32, minimum: -5}
    d: {type: number, format: double}
    f: {type: number, format: float}
    dec: {type: number, format: decimal}
    b: {type: boolean}
    new: {type: string, format: brand-new-format}
    num:
      oneOf:
        - {type: number, format: double}
        - {type: string}
        - $ref: '#/components/schemas/ReferenceNumeric'
ReferenceNumeric:
  type: string
  enum: ['-INF', INF, NaN]
"#,
    ));
    let m = strukt(&api, "M");
    let ty = |n: &str| field(m, n).ty.clone();
    assert_eq!(ty("uid"), TypeRef::String);
    assert_eq!(field(m, "uid").format.as_deref(), Some("uuid"));
    assert_eq!(ty("when"), TypeRef::String);
    assert_eq!(field(m, "when").format.as_deref(), Some("date-time"));
    assert_eq!(ty("i32"), TypeRef::Int(IntKind::I32));
    assert_eq!(ty("i64"), TypeRef::Int(IntKind::I64));
    assert_eq!(ty("i8"), TypeRef::Int(IntKind::I8));
    assert_eq!(ty("u8"), TypeRef::Int(IntKind::U8));
    assert_eq!(ty("i16"), TypeRef::Int(IntKind::I16));
    assert_eq!(ty("plain"), TypeRef::Int(IntKind::I64));
    // `minimum: 0` or more makes the integer unsigned, of the same width.
    assert_eq!(ty("count"), TypeRef::Int(IntKind::U64));
    assert_eq!(ty("size"), TypeRef::Int(IntKind::U32));
    assert_eq!(ty("offset"), TypeRef::Int(IntKind::I32));
    assert_eq!(ty("d"), TypeRef::F64);
    assert_eq!(ty("f"), TypeRef::F32);
    assert_eq!(ty("dec"), TypeRef::F64);
    assert_eq!(ty("b"), TypeRef::Bool);
    assert_eq!(ty("new"), TypeRef::String);
    assert_eq!(ty("num"), TypeRef::FlexNumber);
}

#[test]
fn non_identifier_names_and_keywords_are_escaped_without_collisions() {
    let api = lower(&spec(
        "",
        r#"
m:
  type: object
  properties:
    '@odata.id': {type: string}
    '@odata.type': {type: string}
    odataType: {type: string}
    request-id: {type: string}
    type: {type: string}
    self: {type: string}
    2fa: {type: string}
    additionalProperties: {type: string}
"#,
    ));
    let m = strukt(&api, "M");
    let rust = |n: &str| field(m, n).rust_name.clone();
    assert_eq!(rust("@odata.id"), "odata_id");
    assert_eq!(rust("@odata.type"), "odata_type");
    assert_eq!(rust("odataType"), "odata_type_2");
    assert_eq!(rust("request-id"), "request_id");
    assert_eq!(rust("type"), "type_");
    assert_eq!(rust("self"), "self_");
    assert_eq!(rust("2fa"), "n_2fa");
    assert_eq!(rust("additionalProperties"), "additional_properties");
    assert_eq!(m.extra_field, "additional_properties_2");
}

#[test]
fn schema_names_collide_deterministically() {
    let text = spec(
        "",
        "microsoft.graph.alert:\n  type: object\n  properties:\n    a: {type: string}\nmicrosoft.graph.security.alert:\n  type: object\n  properties:\n    b: {type: string}\nResult:\n  type: object\n  properties:\n    c: {type: string}\n",
    );
    let api = lower(&text);
    assert!(api.models.contains_key("Alert"));
    assert!(api.models.contains_key("SecurityAlert"));
    assert!(
        api.models.contains_key("ResultModel"),
        "reserved names get a suffix"
    );
    let again = lower(&text);
    assert_eq!(
        api.models.keys().collect::<Vec<_>>(),
        again.models.keys().collect::<Vec<_>>()
    );
}

#[test]
fn recursive_structs_are_boxed_only_on_the_cycle() {
    let api = lower(&spec(
        "",
        r#"
person:
  type: object
  properties:
    manager: {$ref: '#/components/schemas/person'}
    friend: {$ref: '#/components/schemas/pal'}
    reports:
      type: array
      items: {$ref: '#/components/schemas/person'}
    home: {$ref: '#/components/schemas/place'}
pal:
  type: object
  properties:
    buddy: {$ref: '#/components/schemas/person'}
place:
  type: object
  properties:
    name: {type: string}
"#,
    ));
    let p = strukt(&api, "Person");
    assert!(field(p, "manager").boxed);
    assert!(field(p, "friend").boxed);
    assert!(!field(p, "reports").boxed, "Vec already breaks the cycle");
    assert!(!field(p, "home").boxed);
    assert!(field(strukt(&api, "Pal"), "buddy").boxed);
}

const OPS: &str = r#"
'/things/{thing-id}/microsoft.graph.special/owners/$ref':
  parameters:
    - name: thing-id
      in: path
      required: true
      schema: {type: string}
  post:
    operationId: things.special.CreateRefOwners
    requestBody:
      $ref: '#/components/requestBodies/refPostBody'
    responses:
      '204': {description: Success}
      4XX: {$ref: '#/components/responses/error'}
      5XX: {$ref: '#/components/responses/error'}
    x-graph-rs-permissions:
      delegatedWorkOrSchool: [Thing.ReadWrite.All]
      delegatedPersonal: []
      application: [Thing.ReadWrite.All, Thing.Manage]
    x-graph-rs-national-clouds: [global]
    x-graph-rs-local-extension:
      derivedFrom: POST /things/{thing-id}/owners/$ref
'/things/$count':
  get:
    operationId: things.GetCount
    parameters:
      - $ref: '#/components/parameters/search'
      - name: ConsistencyLevel
        in: header
        required: true
        schema: {type: string}
    responses:
      2XX:
        description: count
        content:
          application/json:
            schema: {type: integer, format: int32}
      default: {$ref: '#/components/responses/error'}
'/things/{thing-id}':
  get:
    operationId: things.GetThing
    parameters:
      - name: thing-id
        in: path
        required: true
        schema: {type: string}
      - name: $select
        in: query
        schema:
          type: array
          items: {type: string}
    responses:
      default:
        description: the only response is the success
        content:
          application/json:
            schema: {$ref: '#/components/schemas/thing'}
  patch:
    operationId: things.UpdateThing
    parameters:
      - name: thing-id
        in: path
        required: true
        schema: {type: string}
    requestBody:
      content:
        application/json:
          schema: {$ref: '#/components/schemas/thing'}
    responses:
      2XX:
        description: ok
        content:
          application/json:
            schema: {$ref: '#/components/schemas/thing'}
      4XX: {$ref: '#/components/responses/error'}
"#;

fn ops_spec() -> String {
    let mut text = spec(
        OPS,
        "thing:\n  type: object\n  properties:\n    name: {type: string}\nReferenceCreate:\n  type: object\n  properties:\n    '@odata.id': {type: string}\n  additionalProperties: {type: object}\nerr:\n  type: object\n  properties:\n    error: {type: object}\n",
    );
    text.push_str(
        r#"  parameters:
    search:
      name: $search
      in: query
      schema: {type: string}
  responses:
    error:
      description: error
      content:
        application/json:
          schema: {$ref: '#/components/schemas/err'}
  requestBodies:
    refPostBody:
      required: true
      content:
        application/json:
          schema: {$ref: '#/components/schemas/ReferenceCreate'}
"#,
    );
    text
}

#[test]
fn paths_keep_ref_count_and_cast_segments_and_path_level_params() {
    let api = lower(&ops_spec());
    let o = op(&api, "things.special.CreateRefOwners");
    assert_eq!(
        o.segments,
        [
            Segment::Literal("things".into()),
            Segment::Param("thing-id".into()),
            Segment::Literal("microsoft.graph.special".into()),
            Segment::Literal("owners".into()),
            Segment::Literal("$ref".into()),
        ]
    );
    assert_eq!(o.path_params.len(), 1);
    let text = generated_text(&ops_spec());
    assert!(
        text.contains("pub fn special(&self)"),
        "cast segment accessor"
    );
    assert!(text.contains(".literal(\"microsoft.graph.special\")"));
    assert!(text.contains("pub fn ref_(&self)"));
    assert!(text.contains(".literal(\"$ref\")"));
    assert!(text.contains("pub fn count(&self)"));
    assert!(text.contains("pub fn by_thing_id("));
}

#[test]
fn request_bodies_and_parameters_by_ref_and_location() {
    let api = lower(&ops_spec());
    let create = op(&api, "things.special.CreateRefOwners");
    let body = create.body.as_ref().expect("body");
    assert_eq!(body.ty, TypeRef::Named("ReferenceCreate".into()));
    assert!(body.required);
    let count = op(&api, "things.GetCount");
    let search = count
        .params
        .iter()
        .find(|p| p.name == "$search")
        .expect("$search");
    assert_eq!(search.location, ParamLocation::Query);
    assert!(!search.required);
    let cl = count
        .params
        .iter()
        .find(|p| p.name == "ConsistencyLevel")
        .expect("header");
    assert_eq!(cl.location, ParamLocation::Header);
    assert!(cl.required);
    let text = generated_text(&ops_spec());
    // Required header: a method argument; optional query: a typed setter on a wrapper.
    assert!(
        text.contains("consistency_level: impl Into<String>"),
        "{text}"
    );
    assert!(text.contains(".header(\"ConsistencyLevel\""));
    assert!(text.contains("pub fn search(self, search: impl Into<String>) -> Self"));
    assert!(text.contains(".query_list(\"$select\""));
}

#[test]
fn success_and_error_responses_by_code_range_and_default() {
    let api = lower(&ops_spec());
    let create = op(&api, "things.special.CreateRefOwners");
    assert_eq!(create.success, Success::Empty);
    assert_eq!(create.error_codes, ["4XX", "5XX"]);
    let count = op(&api, "things.GetCount");
    assert_eq!(
        count.success,
        Success::Json {
            ty: TypeRef::Int(IntKind::I32),
            unwrap_value: false
        }
    );
    assert_eq!(
        count.error_codes,
        ["default"],
        "default is an error when a 2xx exists"
    );
    let get = op(&api, "things.GetThing");
    assert_eq!(
        get.success,
        Success::Json {
            ty: TypeRef::Named("Thing".into()),
            unwrap_value: true
        },
        "default is the success when no 2xx exists"
    );
}

#[test]
fn vendor_extensions_reach_the_ir_and_the_metadata() {
    let api = lower(&ops_spec());
    let o = op(&api, "things.special.CreateRefOwners");
    let p = o.permissions.as_ref().expect("permissions");
    assert_eq!(p.application, ["Thing.ReadWrite.All", "Thing.Manage"]);
    assert!(p.delegated_personal.is_empty());
    assert_eq!(
        o.national_clouds.as_deref(),
        Some(&[codegen::ir::NationalCloud::Global][..])
    );
    assert!(o.local_extension.is_some());
    let text = generated_text(&ops_spec());
    assert!(
        text.contains("national_clouds: Some(&[graph_core::NationalCloud::Global])"),
        "{text}"
    );
    assert!(text.contains("application: &[\"Thing.ReadWrite.All\", \"Thing.Manage\"]"));
    assert!(text.contains("carried as a local extension"));
}

#[test]
fn duplicate_operation_ids_are_renamed_and_reported() {
    let text = spec(
        r#"
'/a':
  get:
    operationId: same
    responses: {'204': {description: ok}}
'/b':
  get:
    operationId: same
    responses: {'204': {description: ok}}
"#,
        "",
    );
    let api = lower(&text);
    let ids: Vec<&str> = api.operations.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["same", "same_2"]);
    assert_eq!(api.diagnostics.len(), 1);
    // Strict generation refuses what lenient generation reports.
    let err = codegen::generate(&text, "x", codegen::Strictness::Strict).unwrap_err();
    assert!(err.pointer.starts_with("/paths/~1b/get"), "{err}");
}

#[test]
fn wrapped_value_unwrapping_only_for_types_without_a_value_member() {
    let text = spec(
        r#"
'/holder':
  get:
    operationId: holder.Get
    responses:
      '200':
        description: ok
        content:
          application/json:
            schema: {$ref: '#/components/schemas/holder'}
"#,
        "holder:\n  type: object\n  properties:\n    value: {type: string}\n",
    );
    let api = lower(&text);
    assert_eq!(
        op(&api, "holder.Get").success,
        Success::Json {
            ty: TypeRef::Named("Holder".into()),
            unwrap_value: false
        }
    );
}

#[test]
fn output_is_deterministic() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/kitchen-sink.yaml"
    ))
    .expect("fixture");
    let a = generated_text(&text);
    let b = generated_text(&text);
    assert_eq!(a, b);
}

const POLY_SCHEMAS: &str = "microsoft.graph.entity:\n  type: object\n  properties:\n    id: {type: string}\n    '@odata.type': {type: string}\n  discriminator:\n    propertyName: '@odata.type'\n    mapping:\n      '#microsoft.graph.user': '#/components/schemas/microsoft.graph.user'\nmicrosoft.graph.directoryObject:\n  allOf:\n    - $ref: '#/components/schemas/microsoft.graph.entity'\n    - type: object\n      properties:\n        deletedDateTime: {type: string, nullable: true}\nmicrosoft.graph.user:\n  allOf:\n    - $ref: '#/components/schemas/microsoft.graph.directoryObject'\n    - type: object\n      properties:\n        displayName: {type: string}\nmicrosoft.graph.servicePrincipal:\n  allOf:\n    - $ref: '#/components/schemas/microsoft.graph.directoryObject'\n    - type: object\n      properties:\n        appId: {type: string}\n  x-ms-discriminator-value: '#microsoft.graph.servicePrincipal'\nmicrosoft.graph.directoryObjectCollectionResponse:\n  type: object\n  properties:\n    value:\n      type: array\n      items: {$ref: '#/components/schemas/microsoft.graph.directoryObject'}\n    '@odata.nextLink': {type: string, nullable: true}\n";

fn poly_spec(pageable: &str) -> String {
    spec(
        &format!(
            "/owners:\n  get:\n    operationId: owners.List\n    responses:\n      2XX:\n        description: ok\n        content:\n          application/json:\n            schema: {{$ref: '#/components/schemas/microsoft.graph.directoryObjectCollectionResponse'}}\n{pageable}"
        ),
        POLY_SCHEMAS,
    )
}

#[test]
fn references_to_a_base_with_derived_types_are_polymorphic() {
    let api = lower(&poly_spec(""));
    let Some(codegen::ir::ModelKind::Polymorphic(p)) =
        api.models.get("AnyDirectoryObject").map(|m| &m.kind)
    else {
        panic!(
            "no polymorphic model: {:?}",
            api.models.keys().collect::<Vec<_>>()
        )
    };
    assert_eq!(p.base, "DirectoryObject");
    assert_eq!(p.fallback, "Other");
    let variants: Vec<(&str, &str)> = p
        .variants
        .iter()
        .map(|v| (v.rust_name.as_str(), v.odata_type.as_str()))
        .collect();
    // The mapping names user; the discriminator value names servicePrincipal.
    assert_eq!(
        variants,
        [
            ("ServicePrincipal", "#microsoft.graph.servicePrincipal"),
            ("User", "#microsoft.graph.user")
        ]
    );
    let items = &field(strukt(&api, "DirectoryObjectCollectionResponse"), "value").ty;
    assert_eq!(items.rust_name(), "Vec<AnyDirectoryObject>");
    // allOf inheritance keeps the plain base.
    assert_eq!(
        strukt(&api, "User").bases,
        ["microsoft.graph.entity", "microsoft.graph.directoryObject"]
    );
    assert_eq!(
        strukt(&api, "User").odata_type.as_deref(),
        Some("#microsoft.graph.user")
    );
    // Nothing references entity itself: no AnyEntity.
    assert!(!api.models.contains_key("AnyEntity"));
    let text = generated_text(&poly_spec(""));
    assert!(text.contains("pub enum AnyDirectoryObject"), "{text}");
    assert!(
        text.contains("is_type(t, \"microsoft.graph.user\")")
            && text.contains("Self::User(read_boxed(map)?)"),
        "{text}"
    );
    assert!(
        text.contains("User(Box<crate::User>)"),
        "variants are boxed: {text}"
    );
}

#[test]
fn pageable_operations_page_their_collection_items() {
    let api = lower(&poly_spec(
        "    x-ms-pageable:\n      nextLinkName: '@odata.nextLink'\n      operationName: listMore\n",
    ));
    let list = op(&api, "owners.List");
    let codegen::ir::Success::Page { item, next_link } = &list.success else {
        panic!("{:?}", list.success)
    };
    assert_eq!(item.rust_name(), "AnyDirectoryObject");
    assert_eq!(next_link, "@odata.nextLink");
    assert_eq!(
        list.wrapper.as_deref(),
        Some("OwnersGetRequest"),
        "pageable operations get a wrapper for their streams"
    );
    let text = generated_text(&poly_spec(
        "    x-ms-pageable:\n      nextLinkName: '@odata.nextLink'\n",
    ));
    assert!(
        text.contains(".paged(")
            && text.contains("graph_core::decode::page::<graph_models::AnyDirectoryObject>"),
        "{text}"
    );
    assert!(
        text.contains("pub fn items(self) -> graph_core::Items<graph_models::AnyDirectoryObject>"),
        "{text}"
    );
    // Without a collection envelope the operation is not paged, and says why.
    let not_a_collection = spec(
        "/thing:\n  get:\n    operationId: thing.Get\n    responses:\n      2XX:\n        description: ok\n        content:\n          application/json:\n            schema: {type: string}\n    x-ms-pageable: {nextLinkName: '@odata.nextLink'}\n",
        "",
    );
    let api = codegen::lower_spec(&not_a_collection).expect("lowers");
    assert!(
        api.diagnostics
            .iter()
            .any(|d| d.message.contains("not paged")),
        "{:?}",
        api.diagnostics
    );
}

#[test]
fn the_url_tree_is_named_in_the_ir() {
    let api = lower(&ops_spec());
    let names: Vec<&str> = api
        .tree
        .descendants()
        .iter()
        .map(|n| n.builder.as_str())
        .collect();
    assert!(names.contains(&"ThingsItemRequestBuilder"), "{names:?}");
    let things = &api.tree.children[0];
    let top = things.top.as_ref().expect("top-level node");
    assert_eq!(
        (top.module.as_str(), top.area.as_str()),
        ("things", "things")
    );
    let item = things
        .children
        .iter()
        .find(|c| matches!(c.segments.last(), Some(codegen::ir::Segment::Param(_))))
        .expect("key node");
    assert_eq!(
        item.accessor.as_ref().map(|a| a.method.as_str()),
        Some("by_thing_id")
    );
    assert!(api.operations.iter().all(|o| o.area == "things"));
}
