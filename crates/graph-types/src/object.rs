//! Decoding generated models in one pass, with no buffering.
//!
//! A generated model implements [`Object`]: it reads the members it declares into its fields
//! ([`Object::read_member`]) and leaves the rest to [`read_map`], which keeps them in its
//! [`AdditionalProperties`]. This is what `#[derive(Deserialize)]` with `#[serde(flatten)]` would
//! do, without serde's flatten machinery, which first buffers every member of the object into an
//! intermediate tree and then deserializes each field out of it.
//!
//! ```
//! use graph_types::AdditionalProperties;
//! use graph_types::object::{self, Object};
//! use serde::de::MapAccess;
//!
//! #[derive(Debug, Default)]
//! struct Group {
//!     display_name: Option<String>,
//!     additional_properties: AdditionalProperties,
//! }
//!
//! impl Object for Group {
//!     fn read_member<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
//!         match key {
//!             "displayName" => self.display_name = map.next_value()?,
//!             _ => return Ok(false),
//!         }
//!         Ok(true)
//!     }
//!
//!     fn additional_properties_mut(&mut self) -> &mut AdditionalProperties {
//!         &mut self.additional_properties
//!     }
//! }
//!
//! impl<'de> serde::Deserialize<'de> for Group {
//!     fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
//!         object::deserialize(deserializer)
//!     }
//! }
//!
//! let group: Group = serde_json::from_str(r#"{"@odata.context":"x","displayName":"Pilot","visibility":"Private"}"#).unwrap();
//! assert_eq!(group.display_name.as_deref(), Some("Pilot"));
//! assert_eq!(group.additional_properties.get("visibility").unwrap(), "Private");
//! assert_eq!(group.additional_properties.annotation("@odata.context").unwrap(), "x");
//! ```

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::AdditionalProperties;

/// A JSON object type with declared members and a bag for the others.
pub trait Object: Default {
    /// Reads the value of member `key` from `map` into its field and returns `true`; returns
    /// `false`, reading nothing, for a member the type does not declare.
    ///
    /// # Errors
    ///
    /// The value's decoding error.
    fn read_member<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error>;

    /// Where undeclared members go.
    fn additional_properties_mut(&mut self) -> &mut AdditionalProperties;
}

/// A member name, borrowed from the input when it has no escapes.
pub(crate) enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }

    pub(crate) fn into_string(self) -> String {
        match self {
            Key::Borrowed(s) => s.to_owned(),
            Key::Owned(s) => s,
        }
    }
}

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Fills `out` from the members left in `map`: declared ones into their fields, the others into
/// the bag (server annotations apart). A member repeated in the input: the last one wins.
///
/// # Errors
///
/// A member's decoding error.
pub fn fill<'de, T: Object, A: MapAccess<'de>>(out: &mut T, mut map: A) -> Result<(), A::Error> {
    while let Some(key) = map.next_key::<Key<'de>>()? {
        if !out.read_member(key.as_str(), &mut map)? {
            let value: Value = map.next_value()?;
            out.additional_properties_mut()
                .receive(key.into_string(), value);
        }
    }
    Ok(())
}

/// Reads a whole object from `map`; see [`fill`].
///
/// # Errors
///
/// A member's decoding error.
pub fn read_map<'de, T: Object, A: MapAccess<'de>>(map: A) -> Result<T, A::Error> {
    let mut out = T::default();
    fill(&mut out, map)?;
    Ok(out)
}

/// Like [`read_map`], but builds the value on the heap (for the large variants of a
/// polymorphic enum).
///
/// # Errors
///
/// A member's decoding error.
pub fn read_boxed<'de, T: Object, A: MapAccess<'de>>(map: A) -> Result<Box<T>, A::Error> {
    let mut out = Box::<T>::default();
    fill(&mut *out, map)?;
    Ok(out)
}

/// `Deserialize::deserialize` of an [`Object`]: a JSON object, read in one pass.
///
/// # Errors
///
/// Anything but an object, or a member's decoding error.
pub fn deserialize<'de, T: Object, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    struct ObjectVisitor<T>(PhantomData<T>);
    impl<'de, T: Object> Visitor<'de> for ObjectVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            read_map(map)
        }
    }
    deserializer.deserialize_map(ObjectVisitor(PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Nullable;

    #[derive(Debug, Default, PartialEq)]
    struct Probe {
        name: Option<String>,
        group: Nullable<String>,
        nested: Option<Box<Probe>>,
        extra: AdditionalProperties,
    }

    impl Object for Probe {
        fn read_member<'de, A: MapAccess<'de>>(
            &mut self,
            key: &str,
            map: &mut A,
        ) -> Result<bool, A::Error> {
            match key {
                "name" => self.name = map.next_value()?,
                "group" => self.group = map.next_value()?,
                "nested" => self.nested = map.next_value()?,
                _ => return Ok(false),
            }
            Ok(true)
        }
        fn additional_properties_mut(&mut self) -> &mut AdditionalProperties {
            &mut self.extra
        }
    }

    impl<'de> de::Deserialize<'de> for Probe {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserialize(deserializer)
        }
    }

    #[test]
    fn declared_unknown_annotations_and_tri_states() {
        let p: Probe = serde_json::from_str(
            r#"{"na\u006de":"x","group":null,"@odata.etag":"W/1","color":"blue","nested":{"group":"g"}}"#,
        )
        .unwrap();
        assert_eq!(
            p.name.as_deref(),
            Some("x"),
            "escaped member names are matched too"
        );
        assert_eq!(p.group, Nullable::Null);
        assert_eq!(p.extra.get("color").unwrap(), "blue");
        assert_eq!(p.extra.annotation("@odata.etag").unwrap(), "W/1");
        assert_eq!(p.extra.properties().count(), 1);
        assert_eq!(p.nested.unwrap().group, Nullable::Value("g".to_owned()));
        let absent: Probe = serde_json::from_str("{}").unwrap();
        assert_eq!(absent, Probe::default());
    }

    #[test]
    fn same_answers_from_a_value_and_errors_for_non_objects() {
        let text = r#"{"name":"x","k":[1,2]}"#;
        let from_text: Probe = serde_json::from_str(text).unwrap();
        let from_value: Probe =
            serde_json::from_value(serde_json::from_str(text).unwrap()).unwrap();
        assert_eq!(from_text, from_value);
        for bad in [
            "null",
            "[]",
            "\"s\"",
            "3",
            r#"{"name":3}"#,
            r#"{"name":"x""#,
        ] {
            assert!(serde_json::from_str::<Probe>(bad).is_err(), "{bad}");
        }
    }
}
