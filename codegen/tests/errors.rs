//! Broken or unsupported specs give an error naming the JSON pointer of
//! the offending node, never a panic.

mod common;

use common::*;

#[test]
fn dangling_schema_ref_names_the_property() {
    let e = lower_err(&spec(
        "",
        "m:\n  type: object\n  properties:\n    x:\n      $ref: '#/components/schemas/nope'\n",
    ));
    assert_eq!(e.pointer, "/components/schemas/m/properties/x");
    assert!(e.message.contains("unresolved $ref"), "{e}");
}

#[test]
fn foreign_refs_are_refused() {
    let e = lower_err(&spec(
        "",
        "m:\n  type: object\n  properties:\n    x:\n      $ref: 'other.yaml#/thing'\n",
    ));
    assert_eq!(e.pointer, "/components/schemas/m/properties/x");
}

#[test]
fn inheritance_cycles_are_errors() {
    let e = lower_err(&spec(
        "",
        "a:\n  allOf:\n    - $ref: '#/components/schemas/b'\nb:\n  allOf:\n    - $ref: '#/components/schemas/a'\n",
    ));
    assert!(e.message.contains("cycle"), "{e}");
}

#[test]
fn all_of_with_a_non_object_member_is_an_error() {
    let e = lower_err(&spec(
        "",
        "a:\n  allOf:\n    - type: string\n    - type: object\n      properties:\n        x: {type: string}\n",
    ));
    assert_eq!(e.pointer, "/components/schemas/a/allOf/0");
}

#[test]
fn reference_loops_are_errors() {
    let e = lower_err(&spec(
        "",
        "a:\n  $ref: '#/components/schemas/b'\nb:\n  $ref: '#/components/schemas/a'\n",
    ));
    assert_eq!(e.pointer, "/components/schemas/a");
    assert!(e.message.contains("loop"), "{e}");
}

#[test]
fn unknown_types_are_errors() {
    let e = lower_err(&spec(
        "",
        "a:\n  type: object\n  properties:\n    x:\n      type: quaternion\n",
    ));
    assert_eq!(e.pointer, "/components/schemas/a/properties/x");
}

#[test]
fn malformed_vendor_extensions_skip_the_operation_with_a_pointer() {
    let text = spec(
        r#"
'/a':
  get:
    operationId: a.Get
    responses: {'204': {description: ok}}
    x-graph-rs-national-clouds: [mars]
'/b':
  get:
    operationId: b.Get
    responses: {'204': {description: ok}}
    x-graph-rs-permissions:
      application: Thing.Read
"#,
        "",
    );
    let api = lower(&text);
    assert!(api.operations.is_empty());
    let pointers: Vec<&str> = api.diagnostics.iter().map(|d| d.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/paths/~1a/get/x-graph-rs-national-clouds/0",
            "/paths/~1b/get/x-graph-rs-permissions/application",
        ]
    );
    let strict = codegen::generate(&text, "x", codegen::Strictness::Strict).unwrap_err();
    assert_eq!(
        strict.pointer,
        "/paths/~1a/get/x-graph-rs-national-clouds/0"
    );
}

#[test]
fn undeclared_path_parameters_are_reported() {
    let text = spec(
        r#"
'/a/{id}':
  get:
    operationId: a.Get
    responses: {'204': {description: ok}}
"/apps(appId='{appId}')":
  get:
    operationId: apps.GetByAppId
    responses: {'204': {description: ok}}
'/b':
  get:
    operationId: b.Get
    parameters:
      - {name: extra, in: path, required: true, schema: {type: string}}
    responses: {'204': {description: ok}}
'/c':
  get:
    operationId: c.Get
    responses:
      '200':
        description: text that is not a scalar
        content:
          text/plain:
            schema: {type: object, properties: {a: {type: string}}}
"#,
        "",
    );
    let api = lower(&text);
    assert!(
        api.operations.is_empty(),
        "{:?}",
        api.operations.iter().map(|o| &o.id).collect::<Vec<_>>()
    );
    let messages: Vec<String> = api
        .diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.pointer, d.message))
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("/paths/~1a~1{id}/get")
                && m.contains("no path parameter declared")),
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| m.starts_with("/paths/~1apps(appId='{appId}')/get") && m.contains("`{appId}`")), "{messages:?}");
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("/paths/~1b/get") && m.contains("does not appear in the path")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(
            |m| m.starts_with("/paths/~1c/get/responses/200/content/text~1plain")
                && m.contains("text/plain")
        ),
        "{messages:?}"
    );
}

#[test]
fn garbage_never_panics() {
    let inputs = [
        "",
        "{",
        "openapi: 3.0.1",
        "openapi: 3.0.1\ninfo: {title: t, version: v}\npaths: []",
        "openapi: 3.0.1\ninfo: {title: t, version: v}\npaths:\n  /a:\n    get: 7",
        "openapi: 3.0.1\ninfo: {title: t, version: v}\npaths: {}\ncomponents:\n  schemas:\n    a: 12",
        "openapi: 3.0.1\ninfo: {title: t, version: v}\npaths:\n  a:\n    get:\n      responses: {'204': {description: ok}}",
        "openapi: 3.0.1\ninfo: {title: t, version: v}\npaths:\n  /a:\n    get:\n      responses: {}",
        "openapi: 3.0.1\ninfo: {title: t, version: v}\npaths:\n  /a:\n    get:\n      responses: {'200': {$ref: '#/components/responses/missing'}}",
        "openapi: 3.0.1\ninfo: {title: t, version: v}\npaths:\n  /a:\n    post:\n      requestBody: {$ref: '#/components/requestBodies/missing'}\n      responses: {'204': {description: ok}}",
        "openapi: 3.0.1\ninfo: {title: t, version: v}\npaths:\n  /a:\n    get:\n      parameters: [{$ref: '#/components/parameters/missing'}]\n      responses: {'204': {description: ok}}",
        "openapi: 3.0.1\ninfo: {title: t, version: v}\npaths: {}\ncomponents:\n  schemas:\n    a: {$ref: '#/components/schemas/a'}",
    ];
    for input in inputs {
        // Either an error or a (lenient) result with diagnostics; never a panic.
        match codegen::generate(input, "x", codegen::Strictness::Lenient) {
            Ok(out) => {
                let strict = codegen::generate(input, "x", codegen::Strictness::Strict);
                assert_eq!(strict.is_ok(), out.diagnostics.is_empty(), "{input}");
            }
            Err(e) => assert!(!e.message.is_empty(), "{input}"),
        }
    }
}
