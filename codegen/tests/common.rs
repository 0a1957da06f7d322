//! Helpers shared by the generator's tests (included with `mod common;`).

#![allow(dead_code)]

use codegen::ir::{Api, Field, Model, ModelKind, Operation, StructModel};

/// Wraps schema and path YAML into a minimal OpenAPI 3.0 document.
pub fn spec(paths: &str, schemas: &str) -> String {
    let indent = |text: &str, n: usize| {
        text.lines()
            .map(|l| format!("{}{l}\n", " ".repeat(n)))
            .collect::<String>()
    };
    let paths = if paths.trim().is_empty() {
        "paths: {}\n".to_owned()
    } else {
        format!("paths:\n{}", indent(paths, 2))
    };
    let schemas = if schemas.trim().is_empty() {
        "  schemas: {}\n".to_owned()
    } else {
        format!("  schemas:\n{}", indent(schemas, 4))
    };
    format!("openapi: 3.0.1\ninfo:\n  title: Fixture\n  version: v1\n{paths}components:\n{schemas}")
}

pub fn lower(text: &str) -> Api {
    codegen::lower_spec(text).unwrap_or_else(|e| panic!("lowering failed: {e}\n{text}"))
}

pub fn lower_err(text: &str) -> codegen::SpecError {
    match codegen::lower_spec(text) {
        Ok(_) => panic!("expected an error for\n{text}"),
        Err(e) => e,
    }
}

pub fn model<'a>(api: &'a Api, name: &str) -> &'a Model {
    api.models.get(name).unwrap_or_else(|| {
        panic!(
            "no model {name}; have {:?}",
            api.models.keys().collect::<Vec<_>>()
        )
    })
}

pub fn strukt<'a>(api: &'a Api, name: &str) -> &'a StructModel {
    match &model(api, name).kind {
        ModelKind::Struct(s) => s,
        other => panic!("{name} is not a struct: {other:?}"),
    }
}

pub fn field<'a>(s: &'a StructModel, json: &str) -> &'a Field {
    s.fields
        .iter()
        .find(|f| f.json_name == json)
        .unwrap_or_else(|| panic!("no field {json}"))
}

pub fn op<'a>(api: &'a Api, id: &str) -> &'a Operation {
    api.operations
        .iter()
        .find(|o| o.id == id)
        .unwrap_or_else(|| panic!("no operation {id}"))
}

/// All generated text for a spec, lenient.
pub fn generated_text(text: &str) -> String {
    let out = codegen::generate(text, "fixture.yaml", codegen::Strictness::Lenient)
        .unwrap_or_else(|e| panic!("generation failed: {e}"));
    out.files
        .iter()
        .map(|f| format!("=== {}\n{}", f.path, f.contents))
        .collect()
}
