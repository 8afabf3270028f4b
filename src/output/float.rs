//! Exact, total encoding of f64 in JSON files that must round-trip.
//!
//! JSON has no NaN or infinity, yet a diverged fit legitimately holds them.
//! Files that vippl reads back (fit files) therefore write a finite number as
//! a JSON number in its shortest round-trip form (parsed back bit-exactly),
//! and a non-finite one as one of the strings `"NaN"`, `"Infinity"`,
//! `"-Infinity"` (the spellings of JavaScript and Python's `json`). Reports
//! meant for other programs (the `--format json` summary) use `null` instead.
//!
//! Use as `#[serde(with = "vippl::output::float")]` on an `f64` field, or
//! the submodules `float::vec` / `float::option` for `Vec<f64>` and
//! `Option<f64>`; [`to_json`] and [`from_json`] do the same for values built
//! by hand (e.g. an approximation's parameters).

use serde::de::{self, Deserializer, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The JSON value that stands for `x` in a round-trip file.
pub fn to_json(x: f64) -> serde_json::Value {
    if x.is_finite() {
        serde_json::Value::from(x)
    } else {
        serde_json::Value::String(nonfinite_name(x).to_string())
    }
}

/// The JSON value that stands for `x` in a report: `null` if not finite.
pub fn to_json_lossy(x: f64) -> serde_json::Value {
    if x.is_finite() {
        serde_json::Value::from(x)
    } else {
        serde_json::Value::Null
    }
}

/// Reads a value written by [`to_json`].
pub fn from_json(v: &serde_json::Value) -> Result<f64, String> {
    match v {
        serde_json::Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| format!("number {n} does not fit a 64-bit float")),
        serde_json::Value::String(s) => {
            parse_nonfinite(s).ok_or_else(|| format!("expected a number, found the string {s:?}"))
        }
        other => Err(format!("expected a number, found {other}")),
    }
}

/// [`to_json`] for a slice.
pub fn vec_to_json(x: &[f64]) -> serde_json::Value {
    serde_json::Value::Array(x.iter().map(|&v| to_json(v)).collect())
}

/// [`from_json`] for an array.
pub fn vec_from_json(v: &serde_json::Value) -> Result<Vec<f64>, String> {
    match v {
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, x)| from_json(x).map_err(|e| format!("element {}: {e}", i + 1)))
            .collect(),
        other => Err(format!("expected an array of numbers, found {other}")),
    }
}

fn nonfinite_name(x: f64) -> &'static str {
    if x.is_nan() {
        "NaN"
    } else if x > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

fn parse_nonfinite(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// Serde `serialize_with` for an `f64` field.
pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.is_finite() {
        s.serialize_f64(*x)
    } else {
        s.serialize_str(nonfinite_name(*x))
    }
}

/// Serde `deserialize_with` for an `f64` field.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    d.deserialize_any(FloatVisitor)
}

struct FloatVisitor;

impl Visitor<'_> for FloatVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or one of \"NaN\", \"Infinity\", \"-Infinity\"")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        parse_nonfinite(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

/// A newtype so sequences and options can reuse the field encoding.
#[derive(Clone, Copy)]
struct F(f64);

impl Serialize for F {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for F {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<F, D::Error> {
        deserialize(d).map(F)
    }
}

/// The encoding for `Vec<f64>` fields.
pub mod vec {
    use super::*;

    pub fn serialize<S: Serializer>(x: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(x.len()))?;
        for &v in x {
            seq.serialize_element(&F(v))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        let v: Vec<F> = Vec::deserialize(d)?;
        Ok(v.into_iter().map(|f| f.0).collect())
    }
}

/// The encoding for `Option<f64>` fields (`null` is `None`).
pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match x {
            Some(v) => s.serialize_some(&F(*v)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        let v: Option<F> = Option::deserialize(d)?;
        Ok(v.map(|f| f.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, Debug)]
    struct T {
        #[serde(with = "super")]
        a: f64,
        #[serde(with = "super::vec")]
        b: Vec<f64>,
        #[serde(with = "super::option")]
        c: Option<f64>,
    }

    #[test]
    fn nonfinite_values_survive() {
        let t = T {
            a: f64::NAN,
            b: vec![f64::INFINITY, -0.0, 0.1, f64::NEG_INFINITY, 5e-324],
            c: Some(f64::NEG_INFINITY),
        };
        let s = serde_json::to_string(&t).unwrap();
        assert!(s.contains("\"NaN\"") && s.contains("\"Infinity\""), "{s}");
        let back: T = serde_json::from_str(&s).unwrap();
        assert!(back.a.is_nan());
        for (x, y) in t.b.iter().zip(&back.b) {
            assert_eq!(x.to_bits(), y.to_bits());
        }
        assert_eq!(back.c, Some(f64::NEG_INFINITY));
        let none: T = serde_json::from_str(r#"{"a": 1, "b": [], "c": null}"#).unwrap();
        assert_eq!(none.c, None);
        assert!(serde_json::from_str::<T>(r#"{"a": "nan", "b": [], "c": null}"#).is_err());
    }

    #[test]
    fn value_helpers() {
        let v = vec_to_json(&[1.5, f64::NAN]);
        let back = vec_from_json(&v).unwrap();
        assert_eq!(back[0], 1.5);
        assert!(back[1].is_nan());
        assert!(vec_from_json(&serde_json::json!([1, true])).is_err());
        assert_eq!(to_json_lossy(f64::INFINITY), serde_json::Value::Null);
    }
}
