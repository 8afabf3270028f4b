//! Data files: Stan JSON (as CmdStan and posteriordb write it), CSV with a
//! header (columns bind by name), and headerless `NAME=file.csv` for one
//! matrix or vector. This module parses text into named arrays; binding
//! them to declarations (shapes, types, bounds, inferred sizes) happens when
//! the model is compiled.

mod csv_input;
mod json;

pub use csv_input::{parse_csv_columns, parse_csv_matrix};
pub use json::parse_json;

/// The non-finite values as Stan JSON spells them, the same in every data
/// format: `NaN`, `Inf`, `-Inf` (also `+Inf`, `Infinity`, `+Infinity`,
/// `-Infinity`).
pub fn non_finite(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "Inf" | "+Inf" | "Infinity" | "+Infinity" => Some(f64::INFINITY),
        "-Inf" | "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// A parsed array of numbers with its shape (`[]` scalar, `[n]`, `[r, c]`, ...).
#[derive(Clone, Debug, PartialEq)]
pub struct RawValue {
    pub dims: Vec<usize>,
    /// Row-major.
    pub values: Vec<f64>,
}

impl RawValue {
    pub fn scalar(x: f64) -> RawValue {
        RawValue {
            dims: vec![],
            values: vec![x],
        }
    }

    pub fn describe_shape(&self) -> String {
        match self.dims.as_slice() {
            [] => "a scalar".to_string(),
            [n] => format!("an array of length {n}"),
            [r, c] => format!("a {r}×{c} array (list of {r} rows of length {c})"),
            d => format!(
                "an array of shape [{}]",
                d.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// One named value and the file it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct DataEntry {
    pub name: String,
    pub value: RawValue,
    pub origin: String,
    /// From a headerless `NAME=file.csv` table: a single row or column may
    /// bind to a vector.
    pub table: bool,
}

impl DataEntry {
    /// A value built in memory (by a program embedding vippl rather than
    /// read from a file): `dims` empty for a scalar, values row-major.
    pub fn in_memory(name: &str, dims: Vec<usize>, values: Vec<f64>) -> DataEntry {
        DataEntry {
            name: name.into(),
            value: RawValue { dims, values },
            origin: "memory".into(),
            table: false,
        }
    }
}

/// How a `--data` argument is to be read.
#[derive(Clone, Debug, PartialEq)]
pub enum DataSpec {
    Json(String),
    Csv(String),
    /// `NAME=file.csv`
    Named(String, String),
}

impl DataSpec {
    /// Interprets a `--data` argument: the kind is decided by a `NAME=`
    /// prefix and the file extension.
    pub fn parse(arg: &str) -> Result<DataSpec, String> {
        if let Some((name, path)) = arg.split_once('=') {
            let ident = !name.is_empty()
                && name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if ident {
                if path.is_empty() {
                    return Err(format!("`--data {arg}`: a file name must follow `{name}=`"));
                }
                return Ok(DataSpec::Named(name.to_string(), path.to_string()));
            }
        }
        let lower = arg.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Ok(DataSpec::Json(arg.to_string()))
        } else if lower.ends_with(".csv") {
            Ok(DataSpec::Csv(arg.to_string()))
        } else {
            Err(format!(
                "`--data {arg}`: cannot tell the format; use a `.json` (Stan JSON) or `.csv` file, or `NAME=file.csv` for one matrix"
            ))
        }
    }

    pub fn path(&self) -> &str {
        match self {
            DataSpec::Json(p) | DataSpec::Csv(p) | DataSpec::Named(_, p) => p,
        }
    }
}

/// All data given to a model.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DataInput {
    pub entries: Vec<DataEntry>,
}

impl DataInput {
    /// Parses the text of one `--data` source and adds its entries; a name
    /// bound by two sources is an error.
    pub fn add(&mut self, spec: &DataSpec, text: &str) -> Result<(), String> {
        let origin = spec.path().to_string();
        let entries = match spec {
            DataSpec::Json(_) => parse_json(text, &origin)?,
            DataSpec::Csv(_) => parse_csv_columns(text, &origin)?,
            DataSpec::Named(name, _) => vec![(name.clone(), parse_csv_matrix(text, &origin)?)],
        };
        for (name, value) in entries {
            if let Some(prev) = self.get(&name) {
                return Err(format!(
                    "data `{name}` is given twice: in {} and in {origin}",
                    prev.origin
                ));
            }
            self.entries.push(DataEntry {
                name,
                value,
                origin: origin.clone(),
                table: matches!(spec, DataSpec::Named(..)),
            });
        }
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&DataEntry> {
        self.entries.iter().find(|e| e.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_kinds() {
        assert_eq!(
            DataSpec::parse("a.json"),
            Ok(DataSpec::Json("a.json".into()))
        );
        assert_eq!(
            DataSpec::parse("d/a.CSV"),
            Ok(DataSpec::Csv("d/a.CSV".into()))
        );
        assert_eq!(
            DataSpec::parse("X=x.csv"),
            Ok(DataSpec::Named("X".into(), "x.csv".into()))
        );
        assert!(DataSpec::parse("data.txt").is_err());
        assert!(DataSpec::parse("X=").is_err());
    }

    #[test]
    fn duplicate_names_are_rejected() {
        let mut d = DataInput::default();
        d.add(&DataSpec::Json("a.json".into()), r#"{"N": 3}"#)
            .unwrap();
        let e = d
            .add(&DataSpec::Json("b.json".into()), r#"{"N": 4}"#)
            .unwrap_err();
        assert!(
            e.contains("given twice") && e.contains("a.json") && e.contains("b.json"),
            "{e}"
        );
    }
}
