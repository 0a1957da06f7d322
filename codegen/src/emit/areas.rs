//! API areas: one Cargo feature per top-level URL segment, so a user can
//! compile only the parts of the API they call.
//!
//! An operation belongs to the area of its first path segment
//! (`/servicePrincipals/…` → `service-principals`; an alternate key such as
//! `/applications(appId='{appId}')` → `applications`). A model is compiled
//! when any area whose operations reach it (through bodies, results,
//! parameters, fields, items, map values and aliases) is enabled. Models no
//! operation reaches are always compiled, and so is everything they reach,
//! so a disabled area can never leave a dangling type.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::{Api, ModelKind, Success, TypeRef};

/// The feature of the models no operation uses.
pub const UNUSED_MODELS: &str = "unused-models";

/// The areas of an API and what belongs to each.
#[derive(Debug, Clone, Default)]
pub struct Areas {
    /// Area feature of each operation, by index into `Api::operations`.
    pub of_operation: Vec<String>,
    /// Every area, sorted.
    pub names: BTreeSet<String>,
    /// For each model: the areas that need it (`None` would mean "always";
    /// the current rules never produce it).
    pub of_model: BTreeMap<String, Option<BTreeSet<String>>>,
}

fn named_in(ty: &TypeRef, out: &mut Vec<String>) {
    match ty {
        TypeRef::Named(n) => out.push(n.clone()),
        TypeRef::Array(inner, _) | TypeRef::Map(inner) => named_in(inner, out),
        _ => {}
    }
}

/// Models directly used by a model.
fn model_deps(api: &Api, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    match api.models.get(name).map(|m| &m.kind) {
        Some(ModelKind::Struct(s)) => s.fields.iter().for_each(|f| named_in(&f.ty, &mut out)),
        Some(ModelKind::Alias(t)) => named_in(t, &mut out),
        Some(ModelKind::Polymorphic(p)) => {
            out.push(p.base.clone());
            out.extend(p.variants.iter().map(|v| v.model.clone()));
        }
        _ => {}
    }
    out
}

fn closure(api: &Api, roots: Vec<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = roots;
    while let Some(n) = stack.pop() {
        if api.models.contains_key(&n) && seen.insert(n.clone()) {
            stack.extend(model_deps(api, &n));
        }
    }
    seen
}

/// Computes the areas of `api`.
pub fn compute(api: &Api) -> Areas {
    let mut of_operation = Vec::with_capacity(api.operations.len());
    let mut roots: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for op in &api.operations {
        let area = op.area.clone();
        let r = roots.entry(area.clone()).or_default();
        if let Some(b) = &op.body {
            named_in(&b.ty, r);
        }
        match &op.success {
            Success::Json { ty, .. } | Success::Text { ty } | Success::Page { item: ty, .. } => {
                named_in(ty, r)
            }
            Success::Empty | Success::Bytes { .. } => {}
        }
        for p in op.params.iter().chain(&op.path_params) {
            named_in(&p.ty, r);
        }
        of_operation.push(area);
    }
    let mut names: BTreeSet<String> = of_operation.iter().cloned().collect();
    let mut needed_by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (area, r) in roots {
        for model in closure(api, r) {
            needed_by.entry(model).or_default().insert(area.clone());
        }
    }
    let orphans: Vec<String> = api
        .models
        .keys()
        .filter(|m| !needed_by.contains_key(*m))
        .cloned()
        .collect();
    if !orphans.is_empty() {
        names.insert(UNUSED_MODELS.to_owned());
        for model in closure(api, orphans) {
            needed_by
                .entry(model)
                .or_default()
                .insert(UNUSED_MODELS.to_owned());
        }
    }
    let of_model = api
        .models
        .keys()
        .map(|m| (m.clone(), needed_by.get(m).cloned()))
        .collect();
    Areas {
        of_operation,
        names,
        of_model,
    }
}

/// `#[cfg(any(feature = "a", …))]`, or nothing for `None`.
pub fn cfg(areas: Option<&BTreeSet<String>>) -> TokenStream {
    match areas {
        None => TokenStream::new(),
        Some(set) if set.len() == 1 => {
            let only = set.iter();
            quote!(#[cfg(#(feature = #only)*)])
        }
        Some(set) => {
            let set = set.iter();
            quote!(#[cfg(any(#(feature = #set),*))])
        }
    }
}

/// `#[cfg(feature = "a")]`.
pub fn cfg_one(area: &str) -> TokenStream {
    quote!(#[cfg(feature = #area)])
}

/// The `[features]` lines one crate needs: each area enables `forward/area`
/// in the crate below (nothing for the models crate), and `all-areas`
/// enables them all.
pub fn manifest_lines(names: &BTreeSet<String>, forward: Option<&str>) -> String {
    let mut out = String::new();
    let all: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    out.push_str(&format!("all-areas = [{}]\n", all.join(", ")));
    for n in names {
        match forward {
            Some(dep) => out.push_str(&format!("{n} = [\"{dep}/{n}\"]\n")),
            None => out.push_str(&format!("{n} = []\n")),
        }
    }
    out
}
