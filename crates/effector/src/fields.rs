//! The model-specific fields of a spec's sections: an ordered map from field name to value
//! ([`SpecMap`]), numbers for skeletons and muscles ([`Params`]), numbers, lists and tables for
//! geometries ([`SpecValue`], read and written with [`FieldValue`]).
//!
//! Which names a section may hold depends on its `type`, and is declared by the registered
//! model ([`AnySkeleton::MODELS`](crate::AnySkeleton::MODELS),
//! [`AnyMuscle::MODELS`](motornet_muscle::AnyMuscle::MODELS),
//! [`AnyGeometry::MODELS`](crate::AnyGeometry::MODELS)): spec parsing and
//! [`EffectorSpec::build`](crate::EffectorSpec::build) reject a name the model does not
//! declare, naming the field and the model.

use crate::error::EffectorError;
use serde::de::{Error as _, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

/// Fields by name, in the order they were written (spec files keep the order they are written
/// in, and specs written from a registry's declarations list them in declaration order). Names
/// are unique. Two maps are equal if they hold the same names with equal values, in any order
/// (TOML readers, for one, do not keep the order).
#[derive(Debug, Clone)]
pub struct SpecMap<V> {
    entries: Vec<(String, V)>,
}

impl<V: PartialEq> PartialEq for SpecMap<V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

/// Numeric model parameters (skeleton, muscle model, per muscle), by name.
pub type Params = SpecMap<f64>;

impl<V> Default for SpecMap<V> {
    fn default() -> Self {
        Self { entries: vec![] }
    }
}

impl<V> SpecMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&V> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The value of `name`, to change it.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut V> {
        self.entries
            .iter_mut()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// Set `name` to `value` (in place if present, else at the end); returns the old value.
    pub fn insert(&mut self, name: impl Into<String>, value: V) -> Option<V> {
        let name = name.into();
        match self.get_mut(&name) {
            Some(slot) => Some(std::mem::replace(slot, value)),
            None => {
                self.entries.push((name, value));
                None
            }
        }
    }

    /// Remove `name`; returns its value.
    pub fn remove(&mut self, name: &str) -> Option<V> {
        let i = self.entries.iter().position(|(n, _)| n == name)?;
        Some(self.entries.remove(i).1)
    }

    /// (name, value) pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// The names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<V, K: Into<String>> FromIterator<(K, V)> for SpecMap<V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut m = Self::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

impl<V: Serialize> Serialize for SpecMap<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for SpecMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = SpecMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of named values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = SpecMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    // the key in the message: inside a flattened section the error's path
                    // stops at the section
                    let value = map
                        .next_value::<V>()
                        .map_err(|e| A::Error::custom(format!("field `{key}`: {e}")))?;
                    if out.get(&key).is_some() {
                        return Err(A::Error::custom(format!("duplicate field `{key}`")));
                    }
                    out.entries.push((key, value));
                }
                Ok(out)
            }
        }
        d.deserialize_map(MapVisitor(PhantomData))
    }
}

/// A value of a geometry field: a number, a list, or a table of named values (JSON's numbers,
/// arrays and objects; TOML's numbers, arrays and tables). Numbers are `f64`, however written.
#[derive(Debug, Clone, PartialEq)]
pub enum SpecValue {
    /// A number.
    Number(f64),
    /// A list.
    List(Vec<SpecValue>),
    /// A table.
    Table(SpecMap<SpecValue>),
}

impl SpecValue {
    /// What the value is, for error messages.
    fn describe(&self) -> &'static str {
        match self {
            SpecValue::Number(_) => "a number",
            SpecValue::List(_) => "a list",
            SpecValue::Table(_) => "a table",
        }
    }
}

impl Serialize for SpecValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            SpecValue::Number(x) => s.serialize_f64(*x),
            SpecValue::List(v) => {
                let mut seq = s.serialize_seq(Some(v.len()))?;
                for x in v {
                    seq.serialize_element(x)?;
                }
                seq.end()
            }
            SpecValue::Table(m) => m.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for SpecValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = SpecValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, a list or a table")
            }
            fn visit_f64<E>(self, v: f64) -> Result<SpecValue, E> {
                Ok(SpecValue::Number(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<SpecValue, E> {
                Ok(SpecValue::Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<SpecValue, E> {
                Ok(SpecValue::Number(v as f64))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SpecValue, A::Error> {
                let mut v = vec![];
                while let Some(x) = seq.next_element()? {
                    v.push(x);
                }
                Ok(SpecValue::List(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<SpecValue, A::Error> {
                let m = SpecMap::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(SpecValue::Table(m))
            }
        }
        d.deserialize_any(ValueVisitor)
    }
}

/// A Rust type a geometry field is read as and written from. The error of
/// [`FieldValue::from_value`] says what was expected and where (a path inside the value, such
/// as `biceps.coordinates[1]`, when it is nested).
pub trait FieldValue: Sized {
    /// Read a value.
    fn from_value(v: &SpecValue) -> Result<Self, String>;
    /// Write a value.
    fn to_value(&self) -> SpecValue;
}

impl FieldValue for f64 {
    fn from_value(v: &SpecValue) -> Result<Self, String> {
        match v {
            SpecValue::Number(x) => Ok(*x),
            other => Err(format!("expected a number, got {}", other.describe())),
        }
    }
    fn to_value(&self) -> SpecValue {
        SpecValue::Number(*self)
    }
}

impl<T: FieldValue> FieldValue for Vec<T> {
    fn from_value(v: &SpecValue) -> Result<Self, String> {
        match v {
            SpecValue::List(items) => items
                .iter()
                .enumerate()
                .map(|(i, x)| T::from_value(x).map_err(|e| nest(&format!("[{i}]"), e)))
                .collect(),
            other => Err(format!("expected a list, got {}", other.describe())),
        }
    }
    fn to_value(&self) -> SpecValue {
        SpecValue::List(self.iter().map(T::to_value).collect())
    }
}

impl<T: FieldValue> FieldValue for BTreeMap<String, T> {
    fn from_value(v: &SpecValue) -> Result<Self, String> {
        match v {
            SpecValue::Table(m) => m
                .iter()
                .map(|(k, x)| {
                    T::from_value(x)
                        .map(|t| (k.to_string(), t))
                        .map_err(|e| nest(&format!(".{k}"), e))
                })
                .collect(),
            other => Err(format!("expected a table, got {}", other.describe())),
        }
    }
    fn to_value(&self) -> SpecValue {
        SpecValue::Table(
            self.iter()
                .map(|(k, t)| (k.clone(), t.to_value()))
                .collect(),
        )
    }
}

/// `inner` (an error inside a value) with `step` prepended to its path: errors read
/// `at .biceps.coordinates[1]: expected a number, got a list`.
fn nest(step: &str, inner: String) -> String {
    match inner.strip_prefix("at ") {
        Some(rest) => format!("at {step}{rest}"),
        None => format!("at {step}: {inner}"),
    }
}

/// Field `name` of a table value, for [`FieldValue`] impls of records.
pub(crate) fn table_field<T: FieldValue>(
    table: &SpecMap<SpecValue>,
    name: &str,
) -> Result<T, String> {
    let v = table
        .get(name)
        .ok_or_else(|| format!("missing field `{name}`"))?;
    T::from_value(v).map_err(|e| nest(&format!(".{name}"), e))
}

/// Reject table keys outside `known`.
pub(crate) fn only_fields(table: &SpecMap<SpecValue>, known: &[&str]) -> Result<(), String> {
    match table.names().find(|n| !known.contains(n)) {
        Some(n) => Err(format!(
            "unknown field `{n}`, expected one of {}",
            known.join(", ")
        )),
        None => Ok(()),
    }
}

/// A geometry field read as `T`; errors name the field as spec files spell it
/// (`geometry.NAME`).
pub(crate) fn read_field<T: FieldValue>(
    fields: &SpecMap<SpecValue>,
    name: &str,
    geometry: &str,
) -> Result<T, EffectorError> {
    let field = format!("geometry.{name}");
    let v = fields.get(name).ok_or_else(|| {
        EffectorError::invalid(
            &field,
            &format!("is required for geometry type '{geometry}'"),
        )
    })?;
    T::from_value(v).map_err(|e| EffectorError::invalid(&field, &e))
}
