//! `@odata.context` from the path, as Graph writes it: `{root}/$metadata#{what}`; and the key
//! segment of an entity's URL (`@odata.id`).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What a key segment escapes: everything but letters, digits and the unreserved `-`, `_`,
/// `~` (RFC 3986 § 2.3: a producer does not escape those, so a GUID stays as Graph writes it).
/// `.` stays escaped so that an id `.` or `..` is never a dot segment.
const KEY_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'~');

/// An entity id as a URL path segment.
pub(crate) fn key_segment(id: &str) -> String {
    utf8_percent_encode(id, KEY_SEGMENT).to_string()
}

/// `…/$metadata#users` for a collection, with `(a,b)` after it under `$select`.
pub(crate) fn collection(base_url: &str, name: &str, select: Option<&[String]>) -> String {
    format!("{base_url}/$metadata#{name}{}", selected(select))
}

/// `…/$metadata#users/$entity` for one entity of a set, or a singleton's path.
pub(crate) fn entity(base_url: &str, name: &str, select: Option<&[String]>) -> String {
    format!("{base_url}/$metadata#{name}{}/$entity", selected(select))
}

/// `…/$metadata#Collection($ref)` for the references of a navigation property.
pub(crate) fn references(base_url: &str) -> String {
    format!("{base_url}/$metadata#Collection($ref)")
}

fn selected(select: Option<&[String]>) -> String {
    match select {
        Some(props) if !props.is_empty() => format!("({})", props.join(",")),
        _ => String::new(),
    }
}

/// The entity set Graph names the members of a type after: `microsoft.graph.directoryObject`
/// → `directoryObjects` (its naming rule: the camel-case type name, plural).
pub(crate) fn set_of_type(type_name: &str) -> String {
    let short = type_name.rsplit('.').next().unwrap_or(type_name);
    if short.ends_with('s') {
        short.to_owned()
    } else if let Some(stem) = short
        .strip_suffix('y')
        .filter(|s| !s.ends_with(['a', 'e', 'o', 'u']))
    {
        format!("{stem}ies")
    } else {
        format!("{short}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts() {
        assert_eq!(
            collection("http://h/beta", "users", None),
            "http://h/beta/$metadata#users"
        );
        assert_eq!(
            entity(
                "http://h/beta",
                "users",
                Some(&["id".into(), "displayName".into()])
            ),
            "http://h/beta/$metadata#users(id,displayName)/$entity"
        );
        assert_eq!(
            set_of_type("microsoft.graph.directoryObject"),
            "directoryObjects"
        );
        assert_eq!(set_of_type("microsoft.graph.policy"), "policies");
        assert_eq!(set_of_type("microsoft.graph.survey"), "surveys");
    }

    #[test]
    fn key_segments_keep_unreserved_characters() {
        assert_eq!(
            key_segment("1511d5e7-c324-4362-ad4b-16c20076e5aa"),
            "1511d5e7-c324-4362-ad4b-16c20076e5aa"
        );
        assert_eq!(key_segment("a_b~c"), "a_b~c");
        assert_eq!(key_segment("a b/c"), "a%20b%2Fc");
        assert_eq!(key_segment(".."), "%2E%2E");
    }
}
