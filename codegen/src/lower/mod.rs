//! OpenAPI → IR. One pass names every component schema, then schemas and
//! operations are lowered; a last pass boxes fields that close cycles.

mod cycles;
mod operations;
mod polymorphic;
mod schemas;
mod tree;

use std::collections::BTreeMap;

use openapiv3::OpenAPI;

use crate::error::SpecError;
use crate::ir::{Api, Diagnostic, Model};
use crate::naming::{self, Scope};

/// Lowers a parsed document. Problems confined to one operation are
/// recorded in [`Api::diagnostics`] and that operation is skipped; problems
/// in shared schemas are errors.
pub fn lower(doc: &OpenAPI) -> Result<Api, SpecError> {
    let mut lowerer = Lowerer::new(doc);
    lowerer.lower_components()?;
    let mut operations = lowerer.lower_operations()?;
    lowerer.lower_polymorphic();
    let mut models = std::mem::take(&mut lowerer.models);
    cycles::box_cycles(&mut models);
    let tree = tree::lower_tree(&mut operations);
    let mut diagnostics = lowerer.diagnostics;
    diagnostics.sort();
    Ok(Api {
        title: doc.info.title.clone(),
        models,
        operations,
        tree,
        diagnostics,
    })
}

/// State shared by the lowering passes.
pub(crate) struct Lowerer<'a> {
    pub(crate) doc: &'a OpenAPI,
    /// Component schema key → Rust type name.
    pub(crate) schema_names: BTreeMap<String, String>,
    /// Models by Rust name.
    pub(crate) models: BTreeMap<String, Model>,
    pub(crate) type_scope: Scope,
    pub(crate) module_scope: Scope,
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// Inline models already made, by the JSON pointer of their schema, so
    /// a base's inline types are shared by every derived type.
    pub(crate) inline_cache: BTreeMap<String, crate::ir::TypeRef>,
    /// The component schemas' type hierarchy (bases, derived types, `@odata.type`s).
    pub(crate) hierarchy: graph_spec::hierarchy::Hierarchy,
    /// Polymorphic bases referenced so far: schema name → the enum's Rust name.
    pub(crate) polymorphic: BTreeMap<String, String>,
}

impl<'a> Lowerer<'a> {
    fn new(doc: &'a OpenAPI) -> Self {
        let mut type_scope = Scope::new();
        let mut module_scope = Scope::new();
        // Modules the generated crate root declares itself.
        module_scope.reserve("lib");
        module_scope.reserve("all_models");
        module_scope.reserve("prelude");
        let keys: Vec<&String> = doc
            .components
            .as_ref()
            .map(|c| c.schemas.keys().collect())
            .unwrap_or_default();
        let schema_names = assign_schema_names(&keys, &mut type_scope);
        Self {
            doc,
            schema_names,
            models: BTreeMap::new(),
            type_scope,
            module_scope,
            diagnostics: Vec::new(),
            inline_cache: BTreeMap::new(),
            hierarchy: graph_spec::hierarchy::Hierarchy::new(doc),
            polymorphic: BTreeMap::new(),
        }
    }

    pub(crate) fn diagnostic(&mut self, pointer: &str, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            pointer: pointer.to_owned(),
            message: message.into(),
        });
    }

    /// A fresh module name for a model.
    pub(crate) fn module_for(&mut self, rust_name: &str) -> String {
        self.module_scope.unique_snake(naming::snake(rust_name))
    }
}

/// Short names where unique (`MainError`), namespace-qualified names where
/// short names collide (`SecurityAlert` next to `Alert`), numbered last.
/// Keys are visited sorted, so the result depends only on the set of keys.
fn assign_schema_names(keys: &[&String], scope: &mut Scope) -> BTreeMap<String, String> {
    let mut sorted: Vec<&String> = keys.to_vec();
    sorted.sort();
    let mut by_short: BTreeMap<String, usize> = BTreeMap::new();
    for key in &sorted {
        *by_short
            .entry(naming::pascal(naming::schema_short_name(key)))
            .or_default() += 1;
    }
    let mut names = BTreeMap::new();
    // Unambiguous short names first, so a qualified name never steals one.
    for key in &sorted {
        let short = naming::pascal(naming::schema_short_name(key));
        if by_short[&short] == 1 {
            names.insert((*key).clone(), scope.unique_type(short));
        }
    }
    for key in &sorted {
        if !names.contains_key(*key) {
            let qualified = naming::schema_qualified_name(key);
            names.insert((*key).clone(), scope.unique_type(qualified));
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colliding_short_names_are_qualified() {
        let keys = [
            "microsoft.graph.alert".to_owned(),
            "microsoft.graph.security.alert".to_owned(),
            "microsoft.graph.entity".to_owned(),
        ];
        let refs: Vec<&String> = keys.iter().collect();
        let names = assign_schema_names(&refs, &mut Scope::new());
        assert_eq!(names["microsoft.graph.alert"], "Alert");
        assert_eq!(names["microsoft.graph.security.alert"], "SecurityAlert");
        assert_eq!(names["microsoft.graph.entity"], "Entity");
    }
}
