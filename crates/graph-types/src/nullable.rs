//! The tri-state for nullable properties.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A property that can be absent, explicitly `null`, or hold a value.
///
/// Graph distinguishes "leave this property alone" (the member is absent from
/// a PATCH body) from "clear this property" (the member is `null`). Generated
/// models use `Nullable<T>` for every property the spec marks `nullable`, with
/// `#[serde(default, skip_serializing_if = "Nullable::is_absent")]`, so:
///
/// * [`Nullable::Absent`] is never serialized (the default),
/// * [`Nullable::Null`] serializes as `null`,
/// * [`Nullable::Value`] serializes as the value.
///
/// ```
/// use graph_types::Nullable;
/// let on: Nullable<bool> = true.into();
/// assert_eq!(on, Nullable::Value(true));
/// assert!(Nullable::<bool>::default().is_absent());
/// assert_eq!(Nullable::<bool>::Null.as_option(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Nullable<T> {
    /// The member is not present: nothing is sent, nothing was received.
    #[default]
    Absent,
    /// The member is present with the JSON value `null`.
    Null,
    /// The member is present with a value.
    Value(T),
}

impl<T> Nullable<T> {
    /// `true` when the member is absent (used by `skip_serializing_if`).
    pub fn is_absent(&self) -> bool {
        matches!(self, Nullable::Absent)
    }

    /// `true` when the member is an explicit `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Nullable::Null)
    }

    /// `true` when the member holds a value.
    pub fn is_value(&self) -> bool {
        matches!(self, Nullable::Value(_))
    }

    /// The value, if any; absent and `null` both give `None`.
    pub fn as_option(&self) -> Option<&T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The value through `Deref`, if any: `Nullable<String>` gives `Option<&str>`.
    pub fn as_deref(&self) -> Option<&T::Target>
    where
        T: std::ops::Deref,
    {
        self.as_option().map(|v| &**v)
    }

    /// Consumes `self` and returns the value, if any.
    pub fn into_option(self) -> Option<T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }

    /// A reference to the value inside.
    pub fn as_ref(&self) -> Nullable<&T> {
        match self {
            Nullable::Absent => Nullable::Absent,
            Nullable::Null => Nullable::Null,
            Nullable::Value(v) => Nullable::Value(v),
        }
    }

    /// Maps the value, keeping absent and `null` as they are.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Nullable<U> {
        match self {
            Nullable::Absent => Nullable::Absent,
            Nullable::Null => Nullable::Null,
            Nullable::Value(v) => Nullable::Value(f(v)),
        }
    }
}

impl<T> From<T> for Nullable<T> {
    fn from(value: T) -> Self {
        Nullable::Value(value)
    }
}

impl From<&str> for Nullable<String> {
    /// So a string property can be set from a literal: `group_id: "…".into()`.
    fn from(value: &str) -> Self {
        Nullable::Value(value.to_owned())
    }
}

impl<T> From<Option<T>> for Nullable<T> {
    /// `Some(v)` becomes a value and `None` an explicit `null`.
    fn from(value: Option<T>) -> Self {
        match value {
            Some(v) => Nullable::Value(v),
            None => Nullable::Null,
        }
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            // Only reached when a model forgot `skip_serializing_if`; `null`
            // is the least surprising rendering of "nothing" then.
            Nullable::Absent | Nullable::Null => serializer.serialize_none(),
            Nullable::Value(v) => serializer.serialize_some(v),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A present member is either `null` or a value; absence is handled by
        // `#[serde(default)]` on the field.
        Ok(Option::<T>::deserialize(deserializer)?.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    struct Probe {
        #[serde(default, skip_serializing_if = "Nullable::is_absent")]
        v: Nullable<String>,
    }

    #[test]
    fn three_states_serialize_distinctly() {
        let absent = Probe::default();
        let null = Probe { v: Nullable::Null };
        let value = Probe {
            v: "x".to_owned().into(),
        };
        assert_eq!(serde_json::to_string(&absent).unwrap(), "{}");
        assert_eq!(serde_json::to_string(&null).unwrap(), r#"{"v":null}"#);
        assert_eq!(serde_json::to_string(&value).unwrap(), r#"{"v":"x"}"#);
    }

    #[test]
    fn three_states_deserialize_distinctly() {
        let absent: Probe = serde_json::from_str("{}").unwrap();
        let null: Probe = serde_json::from_str(r#"{"v":null}"#).unwrap();
        let value: Probe = serde_json::from_str(r#"{"v":"x"}"#).unwrap();
        assert_eq!(absent.v, Nullable::Absent);
        assert_eq!(null.v, Nullable::Null);
        assert_eq!(value.v, Nullable::Value("x".to_owned()));
    }

    #[test]
    fn option_conversion_maps_none_to_null() {
        let none: Nullable<u8> = None.into();
        let some: Nullable<u8> = Some(1).into();
        assert_eq!(none, Nullable::Null);
        assert_eq!(some, Nullable::Value(1));
        assert_eq!(Nullable::Value(2u8).map(|v| v + 1).into_option(), Some(3));
    }

    #[test]
    fn a_string_property_takes_a_str_literal() {
        let v: Nullable<String> = "group-1".into();
        assert_eq!(v, Nullable::Value("group-1".to_owned()));
        let probe = Probe { v: "x".into() };
        assert_eq!(serde_json::to_string(&probe).unwrap(), r#"{"v":"x"}"#);
    }
}
