//! Decoding values of a polymorphic base by `@odata.type`.
//!
//! Generated enums such as `AnyDirectoryObject` implement [`Polymorphic`]: given the object's
//! `@odata.type` they pick the variant and read the object into it. [`deserialize`] finds the
//! `@odata.type` member: Graph writes it first, and then nothing is buffered — the variant reads
//! the rest of the object straight from the input. Members before it (rare) are kept as JSON
//! values and replayed to the variant in order. A missing or unknown type decodes into the base,
//! so it never fails a decode.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserializer;
use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
use serde::de::{DeserializeSeed, Error as _, MapAccess, Visitor};
use serde_json::Value;

use crate::object::Key;

/// The member that names an object's type.
pub const ODATA_TYPE: &str = "@odata.type";

/// The form `@odata.type` values are matched in: without `#`, lower-cased, with Graph's
/// `graph.` alias spelled out (`#graph.user` → `microsoft.graph.user`).
pub fn odata_type_key(odata_type: &str) -> String {
    let bare = odata_type.trim_start_matches('#').to_ascii_lowercase();
    match bare.strip_prefix("graph.") {
        Some(rest) => format!("microsoft.graph.{rest}"),
        None => bare,
    }
}

/// Whether `odata_type` (as sent: `#microsoft.graph.user`, `#graph.user`, any case) names the
/// type whose match key (see [`odata_type_key`]) is `key`. Allocates nothing.
pub fn is_type(odata_type: &str, key: &str) -> bool {
    let bare = odata_type.trim_start_matches('#');
    if bare.eq_ignore_ascii_case(key) {
        return true;
    }
    // `graph.user` for `microsoft.graph.user`.
    match (bare.get(..6), key.strip_prefix("microsoft.")) {
        (Some(prefix), Some(rest)) if prefix.eq_ignore_ascii_case("graph.") => {
            bare.eq_ignore_ascii_case(rest)
        }
        _ => false,
    }
}

/// A polymorphic base: an enum of its derived types and the base itself.
pub trait Polymorphic: Sized {
    /// Reads the object in `map` (every member, `@odata.type` included) into the variant that
    /// `odata_type` names, or the base for `None` or an unknown type.
    ///
    /// # Errors
    ///
    /// A member's decoding error.
    fn read_variant<'de, A: MapAccess<'de>>(
        odata_type: Option<&str>,
        map: A,
    ) -> Result<Self, A::Error>;
}

/// `Deserialize::deserialize` of a [`Polymorphic`] enum.
///
/// # Errors
///
/// Anything but an object, an `@odata.type` that is not a string, or a member's decoding error.
pub fn deserialize<'de, T: Polymorphic, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    struct PolymorphicVisitor<T>(PhantomData<T>);
    impl<'de, T: Polymorphic> Visitor<'de> for PolymorphicVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
            let mut before: Vec<(String, Value)> = Vec::new();
            while let Some(key) = map.next_key::<Key<'de>>()? {
                if key.as_str() == ODATA_TYPE {
                    let odata_type: Option<String> = map.next_value()?;
                    let replay = Replay {
                        before: before.into_iter(),
                        odata_type: odata_type.clone().map(Pending::Key),
                        value: None,
                        rest: Some(map),
                    };
                    return T::read_variant(odata_type.as_deref(), replay);
                }
                let value: Value = map.next_value()?;
                before.push((key.into_string(), value));
            }
            let replay: Replay<A> = Replay {
                before: before.into_iter(),
                odata_type: None,
                value: None,
                rest: None,
            };
            T::read_variant(None, replay)
        }
    }
    deserializer.deserialize_map(PolymorphicVisitor(PhantomData))
}

enum Pending {
    /// `@odata.type` is the next key; its value follows.
    Key(String),
    Value(String),
}

/// The object again, for the variant: the members read before `@odata.type`, then
/// `@odata.type`, then whatever is left of the input.
struct Replay<A> {
    before: std::vec::IntoIter<(String, Value)>,
    odata_type: Option<Pending>,
    /// The value of the member just replayed from `before`.
    value: Option<Value>,
    rest: Option<A>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Replay<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        if let Some((key, value)) = self.before.next() {
            self.value = Some(value);
            return seed.deserialize(StringDeserializer::new(key)).map(Some);
        }
        if let Some(Pending::Key(odata_type)) = self.odata_type.take() {
            self.odata_type = Some(Pending::Value(odata_type));
            return seed
                .deserialize(BorrowedStrDeserializer::new(ODATA_TYPE))
                .map(Some);
        }
        match &mut self.rest {
            Some(rest) => rest.next_key_seed(seed),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        if let Some(value) = self.value.take() {
            return seed.deserialize(value).map_err(A::Error::custom);
        }
        if let Some(Pending::Value(odata_type)) = self.odata_type.take() {
            // As a JSON value, so that `Option<String>` fields take it too.
            return seed
                .deserialize(Value::String(odata_type))
                .map_err(A::Error::custom);
        }
        match &mut self.rest {
            Some(rest) => rest.next_value_seed(seed),
            None => Err(A::Error::custom(
                "a value was asked for with no member left",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AdditionalProperties;
    use crate::object::{Object, read_boxed};
    use serde::de;

    #[test]
    fn keys() {
        assert_eq!(
            odata_type_key("#microsoft.graph.User"),
            "microsoft.graph.user"
        );
        assert_eq!(
            odata_type_key("#graph.agentIdentity"),
            "microsoft.graph.agentidentity"
        );
        assert_eq!(
            odata_type_key("microsoft.graph.group"),
            "microsoft.graph.group"
        );
        for sent in [
            "#microsoft.graph.user",
            "#Microsoft.Graph.User",
            "microsoft.graph.user",
            "#graph.user",
            "graph.USER",
        ] {
            assert!(is_type(sent, "microsoft.graph.user"), "{sent}");
        }
        for sent in [
            "#microsoft.graph.users",
            "#graph.",
            "",
            "#microsoft.graph.userx",
            "#x.graph.user",
        ] {
            assert!(!is_type(sent, "microsoft.graph.user"), "{sent}");
        }
    }

    #[derive(Debug, Default, PartialEq)]
    struct Thing {
        odata_type: Option<String>,
        name: Option<String>,
        size: Option<i64>,
        extra: AdditionalProperties,
    }

    impl Object for Thing {
        fn read_member<'de, M: MapAccess<'de>>(
            &mut self,
            key: &str,
            map: &mut M,
        ) -> Result<bool, M::Error> {
            match key {
                "@odata.type" => self.odata_type = map.next_value()?,
                "name" => self.name = map.next_value()?,
                "size" => self.size = map.next_value()?,
                _ => return Ok(false),
            }
            Ok(true)
        }
        fn additional_properties_mut(&mut self) -> &mut AdditionalProperties {
            &mut self.extra
        }
    }

    #[derive(Debug, PartialEq)]
    enum AnyThing {
        Big(Box<Thing>),
        Other(Box<Thing>),
    }

    impl Polymorphic for AnyThing {
        fn read_variant<'de, M: MapAccess<'de>>(
            odata_type: Option<&str>,
            map: M,
        ) -> Result<Self, M::Error> {
            Ok(match odata_type {
                Some(t) if is_type(t, "microsoft.graph.big") => Self::Big(read_boxed(map)?),
                _ => Self::Other(read_boxed(map)?),
            })
        }
    }

    impl<'de> de::Deserialize<'de> for AnyThing {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserialize(deserializer)
        }
    }

    #[test]
    fn every_member_reaches_the_variant_wherever_odata_type_is() {
        let first: AnyThing =
            serde_json::from_str(r##"{"@odata.type":"#graph.big","name":"a","size":3,"c":1}"##)
                .unwrap();
        let middle: AnyThing =
            serde_json::from_str(r##"{"name":"a","@odata.type":"#graph.big","size":3,"c":1}"##)
                .unwrap();
        let last: AnyThing =
            serde_json::from_str(r##"{"name":"a","size":3,"c":1,"@odata.type":"#graph.big"}"##)
                .unwrap();
        let from_value: AnyThing = serde_json::from_value(
            serde_json::json!({"size": 3, "@odata.type": "#graph.big", "name": "a", "c": 1}),
        )
        .unwrap();
        let AnyThing::Big(thing) = &first else {
            panic!("{first:?}")
        };
        assert_eq!(thing.odata_type.as_deref(), Some("#graph.big"));
        assert_eq!((thing.name.as_deref(), thing.size), (Some("a"), Some(3)));
        assert_eq!(thing.extra.get("c").unwrap(), 1);
        assert_eq!(first, middle);
        assert_eq!(first, last);
        assert_eq!(first, from_value);
    }

    #[test]
    fn missing_null_and_unknown_types_are_the_base() {
        for text in [
            r#"{"name":"a"}"#,
            r#"{"@odata.type":null,"name":"a"}"#,
            r##"{"@odata.type":"#microsoft.graph.small","name":"a"}"##,
        ] {
            let thing: AnyThing = serde_json::from_str(text).unwrap();
            assert!(
                matches!(&thing, AnyThing::Other(t) if t.name.as_deref() == Some("a")),
                "{text}: {thing:?}"
            );
        }
        let empty: AnyThing = serde_json::from_str("{}").unwrap();
        assert!(matches!(empty, AnyThing::Other(_)));
        for bad in [
            r#"{"@odata.type":3}"#,
            "[]",
            "null",
            r#"{"name":1}"#,
            r#"{"name":"a","size":"x"}"#,
        ] {
            assert!(serde_json::from_str::<AnyThing>(bad).is_err(), "{bad}");
        }
    }
}
