//! Boxes the fields that would make a struct contain itself.
//!
//! A struct holding `Option<Self>` (directly, through other structs or through a polymorphic
//! enum, which holds its variants inline) has
//! no finite size. Fields are boxed exactly where they point back into their
//! own strongly connected component of the "contains directly" graph;
//! `Vec` and map fields already live on the heap and never count.

use std::collections::BTreeMap;

use crate::ir::{Model, ModelKind, TypeRef};

/// Sets `boxed` on every field that closes a containment cycle.
pub fn box_cycles(models: &mut BTreeMap<String, Model>) {
    let names: Vec<String> = models.keys().cloned().collect();
    let index: BTreeMap<String, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), i))
        .collect();
    let edges: Vec<Vec<usize>> = names
        .iter()
        .map(|n| {
            direct_targets(&models[n], models)
                .filter_map(|t| index.get(&t).copied())
                .collect()
        })
        .collect();
    let component = strongly_connected(&edges);
    for (i, name) in names.iter().enumerate() {
        let Some(model) = models.get(name) else {
            continue;
        };
        let ModelKind::Struct(s) = &model.kind else {
            continue;
        };
        let boxed: Vec<bool> = s
            .fields
            .iter()
            .map(|f| match resolve_alias(&f.ty, models) {
                Some(target) => index
                    .get(&target)
                    .is_some_and(|&j| component[j] == component[i]),
                None => false,
            })
            .collect();
        if let Some(Model {
            kind: ModelKind::Struct(s),
            ..
        }) = models.get_mut(name)
        {
            for (field, b) in s.fields.iter_mut().zip(boxed) {
                field.boxed = b;
            }
        }
    }
}

/// The struct a field type holds inline, following aliases.
fn resolve_alias(ty: &TypeRef, models: &BTreeMap<String, Model>) -> Option<String> {
    let mut current = ty.clone();
    for _ in 0..64 {
        let TypeRef::Named(name) = &current else {
            return None;
        };
        match models.get(name).map(|m| &m.kind) {
            Some(ModelKind::Struct(_) | ModelKind::Polymorphic(_)) => return Some(name.clone()),
            Some(ModelKind::Alias(inner)) => current = inner.clone(),
            _ => return None,
        }
    }
    None
}

fn direct_targets<'m>(
    model: &'m Model,
    models: &'m BTreeMap<String, Model>,
) -> impl Iterator<Item = String> + 'm {
    let fields = match &model.kind {
        ModelKind::Struct(s) => s.fields.as_slice(),
        _ => &[],
    };
    // A polymorphic enum holds its base and every variant inline.
    let variants: Vec<String> = match &model.kind {
        ModelKind::Polymorphic(p) => std::iter::once(p.base.clone())
            .chain(p.variants.iter().map(|v| v.model.clone()))
            .collect(),
        _ => Vec::new(),
    };
    fields
        .iter()
        .filter_map(move |f| resolve_alias(&f.ty, models))
        .chain(variants)
}

/// Tarjan's algorithm, iterative; returns a component id per node.
fn strongly_connected(edges: &[Vec<usize>]) -> Vec<usize> {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut component = vec![UNSEEN; n];
    let mut next_index = 0;
    let mut next_component = 0;
    for start in 0..n {
        if index[start] != UNSEEN {
            continue;
        }
        // (node, next edge to look at)
        let mut work = vec![(start, 0usize)];
        while let Some(&mut (v, ref mut edge)) = work.last_mut() {
            if *edge == 0 && index[v] == UNSEEN {
                index[v] = next_index;
                low[v] = next_index;
                next_index += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = edges[v].get(*edge) {
                *edge += 1;
                if index[w] == UNSEEN {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component[w] = next_component;
                    if w == v {
                        break;
                    }
                }
                next_component += 1;
            }
        }
    }
    component
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cycles_and_self_loops() {
        // 0 -> 1 -> 0, 2 -> 2, 3 alone, 3 -> 0
        let edges = vec![vec![1], vec![0], vec![2], vec![0]];
        let c = strongly_connected(&edges);
        assert_eq!(c[0], c[1]);
        assert_ne!(c[0], c[2]);
        assert_ne!(c[3], c[0]);
    }
}
