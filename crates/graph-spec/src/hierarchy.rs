//! The type hierarchy of a document's component schemas.
//!
//! Graph writes inheritance as `allOf: [{$ref: base}, {…own properties}]`; the first `$ref`
//! member of `allOf` is the base. A type's `@odata.type` value is its
//! `x-ms-discriminator-value`, else the key of a discriminator `mapping` entry (on any schema)
//! that points at it, else — Graph's naming rule — `#` followed by its namespace-qualified
//! schema name when that name starts with `microsoft.graph.`.

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::{OpenAPI, ReferenceOr};

use crate::extensions::discriminator_value;
use crate::refs::schema_name;
use crate::schema::all_of;
use crate::template::{GRAPH_ALIAS, GRAPH_NAMESPACE};

/// What the hierarchy knows of one schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeInfo {
    /// The base schema's name.
    pub base: Option<String>,
    /// The `@odata.type` value, with its `#`.
    pub odata_type: Option<String>,
    /// Whether the document declares it (`x-ms-discriminator-value`, or a mapping entry), as
    /// opposed to Graph's naming rule.
    pub declared: bool,
}

/// Bases, derived types and `@odata.type` values of every component schema.
#[derive(Debug, Clone, Default)]
pub struct Hierarchy {
    types: BTreeMap<String, TypeInfo>,
    /// Lower-cased `@odata.type` without `#` → schema name.
    by_odata_type: BTreeMap<String, String>,
}

impl Hierarchy {
    /// Reads the hierarchy of `doc`'s component schemas. Bases that are missing, and chains
    /// that loop, are cut where they fail (the generator reports those as errors itself).
    pub fn new(doc: &OpenAPI) -> Self {
        let Some(components) = doc.components.as_ref() else {
            return Self::default();
        };
        let mut mapped: BTreeMap<String, String> = BTreeMap::new();
        for schema in components.schemas.values() {
            if let ReferenceOr::Item(s) = schema {
                if let Some(d) = &s.schema_data.discriminator {
                    for (value, target) in &d.mapping {
                        if let Some(name) = schema_name(target) {
                            mapped
                                .entry(name.to_owned())
                                .or_insert_with(|| value.clone());
                        }
                    }
                }
            }
        }
        let mut types = BTreeMap::new();
        for (name, schema) in &components.schemas {
            let ReferenceOr::Item(s) = schema else {
                continue;
            };
            let base = all_of(s).iter().find_map(|m| match m {
                ReferenceOr::Reference { reference } => schema_name(reference)
                    .filter(|b| components.schemas.contains_key(*b))
                    .map(str::to_owned),
                ReferenceOr::Item(_) => None,
            });
            let declared = discriminator_value(&s.schema_data.extensions)
                .map(str::to_owned)
                .or_else(|| mapped.get(name).cloned());
            let odata_type = declared.clone().or_else(|| {
                name.starts_with(GRAPH_NAMESPACE)
                    .then(|| format!("#{name}"))
            });
            types.insert(
                name.clone(),
                TypeInfo {
                    base,
                    odata_type,
                    declared: declared.is_some(),
                },
            );
        }
        let by_odata_type = types
            .iter()
            .filter_map(|(name, info)| {
                let t = info.odata_type.as_deref()?;
                Some((t.trim_start_matches('#').to_ascii_lowercase(), name.clone()))
            })
            .collect();
        Self {
            types,
            by_odata_type,
        }
    }

    /// What is known of schema `name`.
    pub fn get(&self, name: &str) -> Option<&TypeInfo> {
        self.types.get(name)
    }

    /// The `@odata.type` of schema `name` (`#microsoft.graph.user`).
    pub fn odata_type(&self, name: &str) -> Option<&str> {
        self.types.get(name)?.odata_type.as_deref()
    }

    /// The `@odata.type` the document declares for `name` (`x-ms-discriminator-value` or a
    /// discriminator mapping entry), not the one Graph's naming rule would give.
    pub fn declared_odata_type(&self, name: &str) -> Option<&str> {
        let info = self.types.get(name)?;
        info.declared
            .then_some(info.odata_type.as_deref())
            .flatten()
    }

    /// `name` and its bases, nearest first; a loop ends the chain.
    pub fn ancestors<'a>(&'a self, name: &'a str) -> Vec<&'a str> {
        let mut out = vec![name];
        let mut current = name;
        while let Some(base) = self.types.get(current).and_then(|t| t.base.as_deref()) {
            if out.contains(&base) {
                break;
            }
            out.push(base);
            current = base;
        }
        out
    }

    /// Whether an object of schema `name` is also a `to` (the same type, or derived from it).
    pub fn is_assignable(&self, name: &str, to: &str) -> bool {
        self.ancestors(name).contains(&to)
    }

    /// Every schema derived from `name`, directly or not, sorted; `name` itself excluded.
    pub fn derived(&self, name: &str) -> Vec<&str> {
        let mut out: BTreeSet<&str> = BTreeSet::new();
        for candidate in self.types.keys() {
            if candidate != name && self.ancestors(candidate).contains(&name) {
                out.insert(candidate);
            }
        }
        out.into_iter().collect()
    }

    /// The schema whose `@odata.type` is `value` (with or without `#`, case-insensitive; Graph's
    /// `#graph.x` alias accepted).
    pub fn schema_for_odata_type(&self, value: &str) -> Option<&str> {
        let bare = value.trim_start_matches('#');
        let lower = bare.to_ascii_lowercase();
        if let Some(name) = self.by_odata_type.get(&lower) {
            return Some(name);
        }
        let alias = lower.strip_prefix(GRAPH_ALIAS)?;
        self.by_odata_type
            .get(&format!("{GRAPH_NAMESPACE}{alias}"))
            .map(String::as_str)
    }
}

/// Whether two `@odata.type` values (or a value and a qualified type name) name the same type,
/// ignoring `#`, case and the `graph.` alias.
pub fn same_odata_type(a: &str, b: &str) -> bool {
    fn canonical(t: &str) -> String {
        let bare = t.trim_start_matches('#').to_ascii_lowercase();
        match bare.strip_prefix(GRAPH_ALIAS) {
            Some(rest) => format!("{GRAPH_NAMESPACE}{rest}"),
            None => bare,
        }
    }
    canonical(a) == canonical(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse;

    const DOC: &str = r##"
openapi: 3.0.4
info: {title: t, version: v}
paths: {}
components:
  schemas:
    microsoft.graph.entity:
      type: object
      properties: {id: {type: string}}
      discriminator:
        propertyName: '@odata.type'
        mapping:
          '#microsoft.graph.user': '#/components/schemas/microsoft.graph.user'
    microsoft.graph.directoryObject:
      allOf:
        - $ref: '#/components/schemas/microsoft.graph.entity'
        - type: object
    microsoft.graph.user:
      allOf:
        - $ref: '#/components/schemas/microsoft.graph.directoryObject'
        - type: object
    microsoft.graph.servicePrincipal:
      allOf:
        - $ref: '#/components/schemas/microsoft.graph.directoryObject'
        - type: object
      x-ms-discriminator-value: '#microsoft.graph.servicePrincipal'
    microsoft.graph.agentIdentity:
      allOf:
        - $ref: '#/components/schemas/microsoft.graph.servicePrincipal'
        - type: object
    plain: {type: object}
"##;

    #[test]
    fn bases_derived_types_and_odata_types() {
        let h = Hierarchy::new(&parse(DOC).unwrap());
        assert_eq!(
            h.ancestors("microsoft.graph.agentIdentity"),
            [
                "microsoft.graph.agentIdentity",
                "microsoft.graph.servicePrincipal",
                "microsoft.graph.directoryObject",
                "microsoft.graph.entity"
            ]
        );
        assert!(h.is_assignable("microsoft.graph.user", "microsoft.graph.directoryObject"));
        assert!(!h.is_assignable("microsoft.graph.directoryObject", "microsoft.graph.user"));
        assert_eq!(
            h.derived("microsoft.graph.directoryObject"),
            [
                "microsoft.graph.agentIdentity",
                "microsoft.graph.servicePrincipal",
                "microsoft.graph.user"
            ]
        );
        assert_eq!(
            h.odata_type("microsoft.graph.user"),
            Some("#microsoft.graph.user")
        );
        assert_eq!(
            h.odata_type("microsoft.graph.agentIdentity"),
            Some("#microsoft.graph.agentIdentity")
        );
        assert_eq!(h.odata_type("plain"), None);
        assert_eq!(
            h.schema_for_odata_type("#graph.user"),
            Some("microsoft.graph.user")
        );
        assert_eq!(
            h.schema_for_odata_type("Microsoft.Graph.ServicePrincipal"),
            Some("microsoft.graph.servicePrincipal")
        );
        assert!(same_odata_type(
            "#graph.agentIdentity",
            "microsoft.graph.AGENTIDENTITY"
        ));
    }
}
