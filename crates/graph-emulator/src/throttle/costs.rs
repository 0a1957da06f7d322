//! What a request costs: resource units (RU) and write-quota units, from a table that is data
//! (`costs.yaml`, embedded; replace it with [`Throttling::costs`](crate::Throttling::costs)).

use serde::Deserialize;

/// The embedded cost table, Microsoft's documented costs for identity and access requests.
pub(crate) const DEFAULT_COSTS: &str = include_str!("costs.yaml");

/// A table of request costs for the throttling model, read from YAML (or JSON) in the format of
/// the embedded default (`src/throttle/costs.yaml`):
///
/// ```yaml
/// default: { read: 1, write: 1, writes: 1 }   # GET; POST/PATCH/PUT/DELETE: RU and writes
/// minimum: 1                                   # no request costs fewer RU
/// query: { select: -1, expand: 1, topBelow: 20, top: -1 }
/// aliases: [ { from: me, to: "users/{id}" } ]  # rewrite the first segments before matching
/// paths:                                       # exceptions; `{…}` is any one segment
///   - { method: GET, path: users, cost: 2 }
///   - { method: POST, path: directoryObjects/getByIds, cost: 3, writes: 0 }
/// ```
///
/// [`CostTable::default`] is the embedded table.
#[derive(Debug, Clone, PartialEq)]
pub struct CostTable {
    default: Defaults,
    minimum: f64,
    query: QueryAdjustments,
    aliases: Vec<Alias>,
    paths: Vec<PathCost>,
}

/// A cost table that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("graph-emulator: invalid throttling cost table: {0}")]
pub struct CostTableError(String);

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Defaults {
    read: f64,
    write: f64,
    writes: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct QueryAdjustments {
    #[serde(default)]
    select: f64,
    #[serde(default)]
    expand: f64,
    #[serde(default)]
    top_below: Option<u64>,
    #[serde(default)]
    top: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Alias {
    from: String,
    to: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct PathCost {
    method: String,
    path: String,
    cost: f64,
    #[serde(default)]
    writes: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    default: Defaults,
    #[serde(default = "one")]
    minimum: f64,
    query: Option<QueryAdjustments>,
    #[serde(default)]
    aliases: Vec<Alias>,
    #[serde(default)]
    paths: Vec<PathCost>,
}

fn one() -> f64 {
    1.0
}

/// What one request costs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Cost {
    /// Resource units, at least the table's minimum.
    pub(crate) ru: f64,
    /// Write-quota units (0 for a read).
    pub(crate) writes: f64,
}

impl Default for CostTable {
    fn default() -> Self {
        #[allow(clippy::expect_used)]
        Self::from_yaml(DEFAULT_COSTS).expect("the embedded cost table is valid")
    }
}

impl CostTable {
    /// Reads a cost table (YAML or JSON).
    ///
    /// # Errors
    ///
    /// [`CostTableError`] saying what is wrong: not YAML, an unknown or missing field, a
    /// negative or non-finite cost, an empty path.
    pub fn from_yaml(text: &str) -> Result<Self, CostTableError> {
        let file: File =
            serde_yaml_ng::from_str(text).map_err(|e| CostTableError(e.to_string()))?;
        let table = Self {
            default: file.default,
            minimum: file.minimum,
            query: file.query.unwrap_or(QueryAdjustments {
                select: 0.0,
                expand: 0.0,
                top_below: None,
                top: 0.0,
            }),
            aliases: file.aliases,
            paths: file.paths,
        };
        let bad_number = |n: f64| !n.is_finite() || n < 0.0;
        if [
            table.default.read,
            table.default.write,
            table.default.writes,
            table.minimum,
        ]
        .into_iter()
        .any(bad_number)
        {
            return Err(CostTableError(
                "default costs and minimum must be finite and not negative".into(),
            ));
        }
        for entry in &table.paths {
            if bad_number(entry.cost) || entry.writes.is_some_and(bad_number) {
                return Err(CostTableError(format!(
                    "the cost of {} {} must be finite and not negative",
                    entry.method, entry.path
                )));
            }
            if segments(&entry.path).next().is_none() {
                return Err(CostTableError(format!(
                    "an entry for {} has an empty path",
                    entry.method
                )));
            }
        }
        if [table.query.select, table.query.expand, table.query.top]
            .into_iter()
            .any(|n| !n.is_finite())
        {
            return Err(CostTableError(
                "query adjustments must be finite numbers".into(),
            ));
        }
        Ok(table)
    }

    /// The cost of `method` on `path` (segments after the version, decoded) with these query
    /// options (decoded name/value pairs).
    pub(crate) fn cost(&self, method: &str, path: &[String], query: &[(String, String)]) -> Cost {
        let is_read = method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD");
        let path = self.unalias(path);
        let entry = self
            .paths
            .iter()
            .find(|entry| entry.method.eq_ignore_ascii_case(method) && matches(&entry.path, &path));
        let (mut ru, writes) = match (entry, is_read) {
            (Some(entry), true) => (entry.cost, entry.writes.unwrap_or(0.0)),
            (Some(entry), false) => (entry.cost, entry.writes.unwrap_or(self.default.writes)),
            (None, true) => (self.default.read, 0.0),
            (None, false) => (self.default.write, self.default.writes),
        };
        let option = |name: &str| {
            query
                .iter()
                .find(|(n, _)| n.trim_start_matches('$').eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        if option("select").is_some() {
            ru += self.query.select;
        }
        if option("expand").is_some() {
            ru += self.query.expand;
        }
        let top = option("top").and_then(|v| v.trim().parse::<u64>().ok());
        if matches!((self.query.top_below, top), (Some(below), Some(top)) if top < below) {
            ru += self.query.top;
        }
        Cost {
            ru: ru.max(self.minimum),
            writes,
        }
    }

    /// `path` with the first alias whose `from` segments start it rewritten.
    fn unalias(&self, path: &[String]) -> Vec<String> {
        for alias in &self.aliases {
            let from: Vec<&str> = segments(&alias.from).collect();
            if path.len() >= from.len() && from.iter().zip(path).all(|(f, p)| segment_matches(f, p))
            {
                return segments(&alias.to)
                    .map(str::to_owned)
                    .chain(path[from.len()..].iter().cloned())
                    .collect();
            }
        }
        path.to_vec()
    }
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

fn segment_matches(pattern: &str, segment: &str) -> bool {
    (pattern.starts_with('{') && pattern.ends_with('}')) || pattern.eq_ignore_ascii_case(segment)
}

/// Whether `path` is exactly `pattern`, segment by segment.
fn matches(pattern: &str, path: &[String]) -> bool {
    let pattern: Vec<&str> = segments(pattern).collect();
    pattern.len() == path.len() && pattern.iter().zip(path).all(|(p, s)| segment_matches(p, s))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn path(p: &str) -> Vec<String> {
        segments(p).map(str::to_owned).collect()
    }

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn documented_costs() {
        let table = CostTable::default();
        let ru = |method: &str, p: &str, query: &[(&str, &str)]| {
            table.cost(method, &path(p), &q(query)).ru
        };
        assert_eq!(ru("GET", "servicePrincipals/x", &[]), 1.0);
        assert_eq!(ru("GET", "users", &[]), 2.0);
        assert_eq!(ru("GET", "Users", &[]), 2.0);
        assert_eq!(ru("GET", "users/u1", &[]), 1.0);
        assert_eq!(ru("GET", "applications", &[]), 2.0);
        assert_eq!(ru("GET", "groups/g1/members", &[]), 3.0);
        assert_eq!(ru("GET", "groups/g1/transitiveMembers", &[]), 5.0);
        assert_eq!(ru("POST", "directoryObjects/getByIds", &[]), 3.0);
        assert_eq!(
            table
                .cost("POST", &path("directoryObjects/getByIds"), &[])
                .writes,
            0.0
        );
        let write = table.cost("POST", &path("servicePrincipals/x/owners/$ref"), &[]);
        assert_eq!((write.ru, write.writes), (1.0, 1.0));
        assert_eq!(table.cost("GET", &path("users"), &[]).writes, 0.0);
        // Query options: $select −1, $expand +1, $top under 20 −1, never below 1.
        assert_eq!(ru("GET", "users", &[("$select", "id")]), 1.0);
        assert_eq!(ru("GET", "users", &[("$select", "id"), ("$top", "5")]), 1.0);
        assert_eq!(ru("GET", "groups/g/members", &[("$top", "5")]), 2.0);
        assert_eq!(ru("GET", "groups/g/members", &[("$top", "20")]), 3.0);
        assert_eq!(ru("GET", "groups/g/members", &[("$expand", "owners")]), 4.0);
        assert_eq!(ru("GET", "users/u1", &[("$select", "id")]), 1.0);
        // `me/` costs as `users/{id}/`.
        assert_eq!(ru("GET", "me/transitiveMembers", &[]), 1.0);
    }

    #[test]
    fn aliases_apply_before_matching() {
        let table = CostTable::from_yaml(
            "default: {read: 1, write: 1, writes: 1}\naliases: [{from: me, to: 'users/{id}'}]\npaths: [{method: GET, path: 'users/{id}/memberOf', cost: 4}]\n",
        )
        .unwrap();
        assert_eq!(table.cost("GET", &path("me/memberOf"), &[]).ru, 4.0);
        assert_eq!(table.cost("GET", &path("users/u/memberOf"), &[]).ru, 4.0);
        assert_eq!(table.cost("GET", &path("me"), &[]).ru, 1.0);
    }

    #[test]
    fn refuses_bad_tables() {
        for bad in [
            "",
            "default: {read: 1}",
            "default: {read: 1, write: 1, writes: 1}\nextra: 1",
            "default: {read: -1, write: 1, writes: 1}",
            "default: {read: 1, write: 1, writes: 1}\npaths: [{method: GET, path: '', cost: 1}]",
            "default: {read: 1, write: 1, writes: 1}\npaths: [{method: GET, path: x, cost: -2}]",
            "[1, 2]",
        ] {
            assert!(CostTable::from_yaml(bad).is_err(), "{bad:?}");
        }
        let json = r#"{"default": {"read": 2, "write": 3, "writes": 2}, "minimum": 0}"#;
        let table = CostTable::from_yaml(json).unwrap();
        let cost = table.cost("PATCH", &path("a/b"), &[]);
        assert_eq!((cost.ru, cost.writes), (3.0, 2.0));
    }
}
