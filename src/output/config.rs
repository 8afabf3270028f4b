//! The run configuration as an ordered tree, recorded in every output.
//!
//! One value serves the CSV comment header (CmdStan's indented
//! `# key = value` style), the `"config"` object of the JSON summary and the
//! fit file, so the three never disagree. Order is the caller's: a JSON
//! object map would sort keys, which reads badly in a CSV header.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A configuration entry: a scalar (string, number, bool, null) or a named
/// group of entries.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    Value(serde_json::Value),
    Section(Config),
}

/// Ordered `key → value` entries.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    pub entries: Vec<(String, ConfigValue)>,
}

impl Config {
    pub fn new() -> Config {
        Config::default()
    }

    /// Appends `key = value`; anything convertible to a JSON scalar works
    /// (`&str`, `String`, numbers, `bool`).
    pub fn set(mut self, key: &str, value: impl Into<serde_json::Value>) -> Config {
        self.push(key, value);
        self
    }

    /// Appends a group, built by `build` from an empty one.
    pub fn section(mut self, key: &str, build: impl FnOnce(Config) -> Config) -> Config {
        self.entries
            .push((key.to_string(), ConfigValue::Section(build(Config::new()))));
        self
    }

    /// In-place [`Config::set`] for code that fills a config in a loop.
    pub fn push(&mut self, key: &str, value: impl Into<serde_json::Value>) {
        self.entries
            .push((key.to_string(), ConfigValue::Value(value.into())));
    }

    /// The scalar at a dotted path (`"variational.algorithm"`).
    pub fn get(&self, path: &str) -> Option<&serde_json::Value> {
        let (head, rest) = match path.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (path, None),
        };
        let (_, v) = self.entries.iter().find(|(k, _)| k == head)?;
        match (v, rest) {
            (ConfigValue::Value(x), None) => Some(x),
            (ConfigValue::Section(c), Some(r)) => c.get(r),
            _ => None,
        }
    }

    /// CmdStan-style comment lines (`# key = value`, two spaces of indent
    /// per level, a section name alone on its line), newline-terminated.
    /// Strings are written bare; newlines inside values are escaped so one
    /// entry stays one line.
    pub fn comment_lines(&self) -> String {
        let mut out = String::new();
        self.write_lines(&mut out, 0);
        out
    }

    fn write_lines(&self, out: &mut String, depth: usize) {
        let indent = "  ".repeat(depth);
        for (k, v) in &self.entries {
            match v {
                ConfigValue::Value(x) => {
                    out.push_str(&format!("# {indent}{} = {}\n", one_line(k), scalar_text(x)));
                }
                ConfigValue::Section(c) => {
                    out.push_str(&format!("# {indent}{}\n", one_line(k)));
                    c.write_lines(out, depth + 1);
                }
            }
        }
    }
}

fn one_line(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

/// How a scalar appears in a comment line.
fn scalar_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => one_line(s),
        other => one_line(&other.to_string()),
    }
}

impl Serialize for Config {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            match v {
                ConfigValue::Value(x) => map.serialize_entry(k, x)?,
                ConfigValue::Section(c) => map.serialize_entry(k, c)?,
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ConfigValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ConfigValue, D::Error> {
        // Objects become sections (order kept by Config's own visitor).
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ConfigValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a configuration value or section")
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<ConfigValue, A::Error> {
                ConfigVisitor.visit_map(m).map(ConfigValue::Section)
            }
            fn visit_bool<E>(self, v: bool) -> Result<ConfigValue, E> {
                Ok(ConfigValue::Value(v.into()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<ConfigValue, E> {
                Ok(ConfigValue::Value(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<ConfigValue, E> {
                Ok(ConfigValue::Value(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<ConfigValue, E> {
                Ok(ConfigValue::Value(v.into()))
            }
            fn visit_str<E>(self, v: &str) -> Result<ConfigValue, E> {
                Ok(ConfigValue::Value(v.into()))
            }
            fn visit_unit<E>(self) -> Result<ConfigValue, E> {
                Ok(ConfigValue::Value(serde_json::Value::Null))
            }
            fn visit_none<E>(self) -> Result<ConfigValue, E> {
                Ok(ConfigValue::Value(serde_json::Value::Null))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ConfigValue, A::Error> {
                let mut items = Vec::new();
                while let Some(x) = seq.next_element::<serde_json::Value>()? {
                    items.push(x);
                }
                Ok(ConfigValue::Value(serde_json::Value::Array(items)))
            }
        }
        d.deserialize_any(V)
    }
}

struct ConfigVisitor;

impl<'de> Visitor<'de> for ConfigVisitor {
    type Value = Config;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a configuration object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Config, A::Error> {
        let mut c = Config::new();
        while let Some((k, v)) = m.next_entry::<String, ConfigValue>()? {
            c.entries.push((k, v));
        }
        Ok(c)
    }
}

impl<'de> Deserialize<'de> for Config {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Config, D::Error> {
        d.deserialize_map(ConfigVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Config {
        Config::new()
            .set("model", "eight_schools")
            .set("method", "variational")
            .section("variational", |s| {
                s.set("algorithm", "bw").set("iter", 10000).set("tol", 0.01)
            })
            .section("random", |s| s.set("seed", 7))
    }

    #[test]
    fn comment_lines_are_cmdstan_style() {
        let text = sample().comment_lines();
        assert_eq!(
            text,
            "# model = eight_schools\n# method = variational\n# variational\n\
             #   algorithm = bw\n#   iter = 10000\n#   tol = 0.01\n# random\n#   seed = 7\n"
        );
    }

    #[test]
    fn json_keeps_order_and_round_trips() {
        let c = sample();
        let s = serde_json::to_string(&c).unwrap();
        assert!(
            s.starts_with(
                r#"{"model":"eight_schools","method":"variational","variational":{"algorithm""#
            ),
            "{s}"
        );
        let back: Config = serde_json::from_str(&s).unwrap();
        assert_eq!(back, c);
        assert_eq!(
            back.get("variational.iter"),
            Some(&serde_json::json!(10000))
        );
        assert_eq!(back.get("random"), None);
    }

    #[test]
    fn multiline_values_stay_on_one_line() {
        let c = Config::new().set("note", "a\nb");
        assert_eq!(c.comment_lines(), "# note = a\\nb\n");
    }
}
