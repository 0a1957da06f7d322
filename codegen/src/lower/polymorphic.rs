//! Polymorphic bases: a reference to a schema that has derived types in the slice lowers to an
//! enum of those types (`AnyDirectoryObject`), decoded by `@odata.type`, with the base as the
//! fallback for a missing or unknown type. `allOf` inheritance is not a reference and keeps the
//! plain base.

use graph_spec::refs::schema_name;

use super::Lowerer;
use crate::ir::{Model, ModelKind, PolyVariant, PolymorphicModel, TypeRef};
use crate::naming;

impl Lowerer<'_> {
    /// The derived schemas of `base` that the slice lowers to structs with an `@odata.type`.
    fn derived_structs(&self, base: &str) -> Vec<(String, String)> {
        self.hierarchy
            .derived(base)
            .into_iter()
            .filter_map(|d| {
                let odata_type = self.hierarchy.odata_type(d)?.to_owned();
                let rust = self.schema_names.get(d)?.clone();
                Some((rust, odata_type))
            })
            .collect()
    }

    /// `named` (the plain type of `reference`), or the polymorphic enum of its schema when that
    /// schema has derived types in the slice. The enum's model is filled in by
    /// [`Lowerer::lower_polymorphic`] once every struct exists.
    pub(crate) fn polymorphic_or(&mut self, reference: &str, named: TypeRef) -> TypeRef {
        let Some(base) = schema_name(reference) else {
            return named;
        };
        if let Some(existing) = self.polymorphic.get(base) {
            return TypeRef::Named(existing.clone());
        }
        if self.derived_structs(base).is_empty() {
            return named;
        }
        let TypeRef::Named(base_rust) = &named else {
            return named;
        };
        let rust_name = self
            .type_scope
            .unique_type(naming::polymorphic_type(base_rust));
        self.polymorphic.insert(base.to_owned(), rust_name.clone());
        TypeRef::Named(rust_name)
    }

    /// Builds the model of every polymorphic enum referenced.
    pub(crate) fn lower_polymorphic(&mut self) {
        let requested: Vec<(String, String)> = self
            .polymorphic
            .iter()
            .map(|(b, r)| (b.clone(), r.clone()))
            .collect();
        for (base, rust_name) in requested {
            let Some(base_rust) = self.schema_names.get(&base).cloned() else {
                continue;
            };
            let mut scope = naming::Scope::new();
            let mut variants: Vec<PolyVariant> = self
                .derived_structs(&base)
                .into_iter()
                .filter_map(|(model, odata_type)| {
                    let ModelKind::Struct(s) = &self.models.get(&model)?.kind else {
                        return None;
                    };
                    let odata_type_field = s
                        .fields
                        .iter()
                        .find(|f| f.json_name == "@odata.type")
                        .map(|f| f.rust_name.clone());
                    Some(PolyVariant {
                        rust_name: String::new(),
                        model,
                        odata_type,
                        odata_type_field,
                    })
                })
                .collect();
            variants.sort_by(|a, b| a.model.cmp(&b.model));
            for v in &mut variants {
                v.rust_name = scope.unique_type(v.model.clone());
            }
            let fallback = scope.unique_type("Other".to_owned());
            let module = self.module_for(&rust_name);
            let pointer = graph_spec::Pointer::schema(&base).as_str().to_owned();
            let docs = Some(format!(
                "Any object whose declared type is `{base}`: the derived type its `@odata.type` names, or the base itself."
            ));
            self.models.insert(
                rust_name.clone(),
                Model {
                    rust_name: rust_name.clone(),
                    module,
                    schema_name: format!("{base} (polymorphic)"),
                    pointer,
                    docs,
                    kind: ModelKind::Polymorphic(PolymorphicModel {
                        base: base_rust,
                        fallback,
                        variants,
                    }),
                },
            );
        }
    }
}
