//! Splitting a batch into `POST /$batch` requests of at most [`MAX_ITEMS`] items.
//!
//! Graph requires every `dependsOn` id to name an item of the same request. Items linked by
//! `dependsOn` (directly or through others) form a group, and a group travels in one request
//! whenever it fits: groups are packed first-fit, in the order their first items were added.
//! A group of more than [`MAX_ITEMS`] items is cut in the order its items were added, which is
//! a dependency order (an item can only depend on items added before it): a later request
//! carries the rest, and an item whose dependency went in an earlier request is sent only after
//! that dependency succeeded (the run loop sees to it), without a `dependsOn` for it.

use std::collections::HashMap;

/// Graph's limit on the items of one `POST /$batch`.
pub const MAX_ITEMS: usize = 20;

/// The items of the next request: `ready` (item indices, ascending) are the items that may go
/// now; `deps(i)` are the items item `i` depends on. At most `limit` items, in ascending order.
pub(crate) fn next_chunk<'a>(
    ready: &[usize],
    deps: impl Fn(usize) -> &'a [usize],
    limit: usize,
) -> Vec<usize> {
    let limit = limit.max(1);
    // Union-find over positions in `ready`.
    let position: HashMap<usize, usize> = ready.iter().enumerate().map(|(p, &i)| (i, p)).collect();
    let mut parent: Vec<usize> = (0..ready.len()).collect();
    fn root(parent: &mut [usize], mut p: usize) -> usize {
        while parent[p] != p {
            parent[p] = parent[parent[p]];
            p = parent[p];
        }
        p
    }
    for (p, &item) in ready.iter().enumerate() {
        for dep in deps(item) {
            if let Some(&q) = position.get(dep) {
                let (a, b) = (root(&mut parent, p), root(&mut parent, q));
                // The smaller position is the root: a group is named by its first item.
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    // Groups in the order of their first items, members in ascending order.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of_root: HashMap<usize, usize> = HashMap::new();
    for (p, &item) in ready.iter().enumerate() {
        let r = root(&mut parent, p);
        let g = *group_of_root.entry(r).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(item);
    }
    let mut chunk = Vec::new();
    for group in groups {
        if chunk.len() + group.len() <= limit {
            chunk.extend(group);
        } else if chunk.is_empty() {
            chunk.extend(group.into_iter().take(limit));
            break;
        }
        if chunk.len() == limit {
            break;
        }
    }
    chunk.sort_unstable();
    chunk
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every chunk until none is left, as if each chunk's items all succeeded.
    fn chunks(count: usize, deps: &[Vec<usize>]) -> Vec<Vec<usize>> {
        let mut left: Vec<usize> = (0..count).collect();
        let mut out = Vec::new();
        while !left.is_empty() {
            let chunk = next_chunk(&left, |i| &deps[i], MAX_ITEMS);
            assert!(!chunk.is_empty() && chunk.len() <= MAX_ITEMS);
            left.retain(|i| !chunk.contains(i));
            out.push(chunk);
        }
        out
    }

    #[test]
    fn forty_five_independent_items_go_as_20_20_5_in_order() {
        let deps = vec![Vec::new(); 45];
        let c = chunks(45, &deps);
        assert_eq!(c.iter().map(Vec::len).collect::<Vec<_>>(), [20, 20, 5]);
        assert_eq!(c.concat(), (0..45).collect::<Vec<_>>());
    }

    #[test]
    fn groups_stay_together_when_they_fit() {
        // 0..18 independent, then a chain 18 <- 19 <- 20 <- 21: it does not fit after the 18
        // others, so it goes whole in the next request.
        let mut deps = vec![Vec::new(); 22];
        deps[19] = vec![18];
        deps[20] = vec![19];
        deps[21] = vec![20, 3];
        let c = chunks(22, &deps);
        // 21 also depends on 3, so 3 joins the chain's group.
        for chunk in &c {
            let together = [3, 18, 19, 20, 21]
                .iter()
                .filter(|i| chunk.contains(i))
                .count();
            assert!(together == 0 || together == 5, "{c:?}");
        }
        assert_eq!(c.iter().map(Vec::len).sum::<usize>(), 22);
        // A small group after a big one fills the gap (first fit).
        let mut deps = vec![Vec::new(); 25];
        for (i, d) in deps.iter_mut().enumerate().take(19).skip(1) {
            *d = vec![i - 1];
        }
        deps[24] = vec![23];
        let first = next_chunk(&(0..25).collect::<Vec<_>>(), |i| &deps[i], MAX_ITEMS);
        assert_eq!(first.len(), 20, "{first:?}");
        assert!(first.contains(&0) && first.contains(&18) && first.contains(&19));
        assert!(!first.contains(&23) && !first.contains(&24));
    }

    #[test]
    fn a_group_larger_than_the_limit_is_cut_in_dependency_order() {
        let deps: Vec<Vec<usize>> = (0..25)
            .map(|i| if i == 0 { vec![] } else { vec![i - 1] })
            .collect();
        let c = chunks(25, &deps);
        assert_eq!(c, vec![(0..20).collect::<Vec<_>>(), (20..25).collect()]);
    }
}
