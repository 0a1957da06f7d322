//! OData system query options: `$top`, `$skip`, `$skiptoken`, `$select`, `$filter`, `$count`,
//! `$orderby`, `$search`, `$expand`.
//!
//! Values are decoded as a form would encode them (`+` is a space, `%XX` a byte), so a
//! `$skiptoken` sent back exactly as the `@odata.nextLink` gave it decodes to the token, and one
//! that was decoded or re-encoded on the way does not.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use super::filter::Filter;

/// The largest `$top` accepted.
pub(crate) const MAX_TOP: usize = 999;
/// The page size without `$top` (Graph's directory collections page by 100).
pub(crate) const DEFAULT_PAGE_SIZE: usize = 100;

/// What may stay unencoded in a query value of a next link.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'$')
    .remove(b'\'')
    .remove(b',')
    .remove(b'(')
    .remove(b')');

/// The first bytes of every skip token (they base64-encode to `+/+/`, so a token that loses
/// its percent-encoding on the way back is noticed).
const TOKEN_MAGIC: [u8; 3] = [0xfb, 0xff, 0xbf];

/// A query option the request got wrong, as Graph words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryError {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

fn bad(message: impl Into<String>) -> QueryError {
    QueryError {
        code: "BadRequest",
        message: message.into(),
    }
}

/// `$orderby` clauses: property and descending.
pub(crate) type OrderBy = Vec<(String, bool)>;

/// The parsed options of one request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    pub(crate) top: Option<usize>,
    pub(crate) skip: usize,
    /// The offset a `$skiptoken` stands for.
    pub(crate) skiptoken: Option<usize>,
    pub(crate) select: Option<Vec<String>>,
    pub(crate) filter: Option<Filter>,
    pub(crate) count: bool,
    pub(crate) orderby: OrderBy,
    pub(crate) search: Option<String>,
    pub(crate) expand: Option<String>,
    /// `$id` (or its older spelling `@id`, which Microsoft's spec declares): the entity a
    /// `DELETE …/{navigation}/$ref?$id={url}` removes from the navigation.
    pub(crate) id: Option<String>,
    /// Every option as received (decoded), in order: for next links.
    pub(crate) raw: Vec<(String, String)>,
}

/// Decodes a raw query string into name/value pairs.
pub(crate) fn pairs(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

fn decode(text: &str) -> String {
    percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Encodes a value for a next link.
pub(crate) fn encode(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// The opaque `$skiptoken` for the page that starts at `offset`.
pub(crate) fn skiptoken(offset: usize) -> String {
    let mut bytes = TOKEN_MAGIC.to_vec();
    bytes.extend_from_slice(&(offset as u64).to_be_bytes());
    STANDARD.encode(bytes)
}

fn parse_skiptoken(token: &str) -> Option<usize> {
    let bytes = STANDARD.decode(token).ok()?;
    let (magic, offset) = bytes.split_at_checked(TOKEN_MAGIC.len())?;
    if magic != TOKEN_MAGIC {
        return None;
    }
    usize::try_from(u64::from_be_bytes(offset.try_into().ok()?)).ok()
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

impl Query {
    /// Parses the options of a request. `declared` lists the query parameters the operation's
    /// spec declares; other system options (`$…`) are refused, except `$skiptoken` (which only
    /// next links carry).
    pub(crate) fn parse(raw: Option<&str>, declared: &[String]) -> Result<Self, QueryError> {
        let mut query = Query::default();
        let Some(raw) = raw else {
            return Ok(query);
        };
        query.raw = pairs(raw);
        for (name, value) in query.raw.clone() {
            let lower = name.to_ascii_lowercase();
            if lower == "@id" {
                query.id = Some(value);
                continue;
            }
            let lower = if lower.starts_with('$') {
                lower
            } else {
                continue;
            };
            // `$id` is OData 4.01's name for what Microsoft's spec declares as `@id`.
            let is_declared = |n: &str| declared.iter().any(|d| d.eq_ignore_ascii_case(n));
            let known = is_declared(&lower) || (lower == "$id" && is_declared("@id"));
            if lower != "$skiptoken" && !known {
                return Err(bad(format!(
                    "Query option '{name}' is not allowed. The allowed query options are: {}.",
                    if declared.is_empty() {
                        "(none)".to_owned()
                    } else {
                        declared.join(", ")
                    }
                )));
            }
            match lower.as_str() {
                "$top" => {
                    let top: usize = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=MAX_TOP).contains(n))
                        .ok_or_else(|| bad(format!("Invalid page size specified: '{value}'. Must be between 1 and {MAX_TOP} inclusive.")))?;
                    query.top = Some(top);
                }
                "$skip" => {
                    query.skip = value.parse().map_err(|_| {
                        bad(format!("Invalid value '{value}' for query option '$skip'."))
                    })?;
                }
                "$skiptoken" => {
                    query.skiptoken =
                        Some(parse_skiptoken(&value).ok_or_else(|| {
                            QueryError {
                                code: "Request_BadRequest",
                                message:
                                    "The specified page token value has expired or is not valid."
                                        .to_owned(),
                            }
                        })?);
                }
                "$select" => query.select = Some(list(&value)),
                "$filter" => {
                    query.filter = Some(
                        Filter::parse(&value)
                            .map_err(|e| bad(format!("Invalid filter clause: {e}")))?,
                    )
                }
                "$count" => {
                    query.count = match value.to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(bad(format!(
                                "Invalid value '{value}' for query option '$count'."
                            )));
                        }
                    }
                }
                "$orderby" => {
                    for clause in list(&value) {
                        let mut words = clause.split_whitespace();
                        let property = words.next().unwrap_or_default().to_owned();
                        let descending = match words.next().map(str::to_ascii_lowercase).as_deref()
                        {
                            None | Some("asc") => false,
                            Some("desc") => true,
                            Some(other) => {
                                return Err(bad(format!(
                                    "Invalid sort direction '{other}' in '$orderby'."
                                )));
                            }
                        };
                        query.orderby.push((property, descending));
                    }
                }
                "$search" => query.search = Some(value.trim().trim_matches('"').to_owned()),
                "$expand" => query.expand = Some(value),
                "$id" => query.id = Some(value),
                _ => {}
            }
        }
        Ok(query)
    }

    /// The options to repeat in a next link: all but `$skiptoken` and `$skip` (the token
    /// carries the position).
    pub(crate) fn carried(&self) -> impl Iterator<Item = &(String, String)> {
        self.raw.iter().filter(|(n, _)| {
            !n.eq_ignore_ascii_case("$skiptoken") && !n.eq_ignore_ascii_case("$skip")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared() -> Vec<String> {
        ["$top", "$select", "$filter", "$count", "$orderby", "$skip"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn options_parse_and_undeclared_ones_are_refused() {
        let q = Query::parse(
            Some("$top=2&$select=id,displayName&$count=true&$orderby=displayName%20desc"),
            &declared(),
        )
        .unwrap();
        assert_eq!(q.top, Some(2));
        assert_eq!(
            q.select.as_deref(),
            Some(&["id".to_owned(), "displayName".to_owned()][..])
        );
        assert!(q.count);
        assert_eq!(q.orderby, [("displayName".to_owned(), true)]);
        assert!(Query::parse(Some("$top=0"), &declared()).is_err());
        assert!(Query::parse(Some("$top=1000"), &declared()).is_err());
        assert!(Query::parse(Some("$expand=owners"), &declared()).is_err());
        assert!(Query::parse(Some("custom=1"), &declared()).is_ok());
    }

    #[test]
    fn skip_tokens_round_trip_only_verbatim() {
        let token = skiptoken(200);
        assert!(token.contains('+') || token.contains('/'), "{token}");
        let sent = format!("$skiptoken={}", encode(&token));
        assert_eq!(Query::parse(Some(&sent), &[]).unwrap().skiptoken, Some(200));
        // Decoded on the way (a `+` becomes a space) or encoded twice: refused.
        assert!(Query::parse(Some(&format!("$skiptoken={token}")), &[]).is_err());
        assert!(
            Query::parse(
                Some(&format!("$skiptoken={}", encode(&encode(&token)))),
                &[]
            )
            .is_err()
        );
        assert!(Query::parse(Some("$skiptoken=abc"), &[]).is_err());
    }
}
