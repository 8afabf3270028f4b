//! Reading a model and its data, and checking and compiling them: the first
//! steps of every command, with errors as values for the shells to show.

use crate::check;
use crate::data::{DataInput, DataSpec, RawValue};
use crate::density::{self, CompiledModel};
use crate::diagnostics::Diagnostic;
use crate::ir;
use crate::output;
use crate::source::SourceMap;
use serde_json::Value;
use std::io::Read;
use std::path::Path;

/// The model text and data a fit is made from, as needed to rebuild it.
#[derive(Clone, Debug)]
pub struct ModelSource {
    /// The model's name (file stem), recorded in outputs.
    pub name: String,
    /// The file the text was read from, as diagnostics name it.
    pub file: String,
    pub text: String,
    pub data: DataInput,
}

/// A compiled model and the warnings and notes its checking and binding
/// gave.
pub struct Compiled {
    pub model: CompiledModel,
    pub warnings: Vec<Diagnostic>,
}

/// A model that does not check or does not compile with its data: every
/// diagnostic, with the sources they point into.
pub struct Rejected {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

impl ModelSource {
    /// Parses, checks and compiles; diagnostics come with their sources.
    pub fn compile(&self) -> Result<Compiled, Rejected> {
        compile_text(&self.file, &self.text, &self.data)
    }

    /// The bound data as Stan JSON (keys the model declares, by name).
    pub fn data_json(&self, cm: &CompiledModel) -> Value {
        let mut entries: Vec<_> = self
            .data
            .entries
            .iter()
            .filter(|e| cm.model().data_by_name(&e.name).is_some())
            .collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        let map = entries
            .into_iter()
            .map(|e| (e.name.clone(), raw_to_json(&e.value)))
            .collect();
        Value::Object(map)
    }
}

/// Parses, checks and compiles a model text (`file` names it in
/// diagnostics) with data.
pub fn compile_text(file: &str, text: &str, data: &DataInput) -> Result<Compiled, Rejected> {
    let mut sources = SourceMap::new();
    match check::load_model(&mut sources, file, text) {
        Ok((model, mut warnings)) => {
            let mut compiled = compile_checked(model, sources, data)?;
            warnings.append(&mut compiled.warnings);
            compiled.warnings = warnings;
            Ok(compiled)
        }
        Err(diagnostics) => Err(Rejected {
            sources,
            diagnostics,
        }),
    }
}

/// Compiles a checked model with data; the warnings are the notes of
/// binding the data.
pub fn compile_checked(
    model: ir::Model,
    sources: SourceMap,
    data: &DataInput,
) -> Result<Compiled, Rejected> {
    // Sizes the machine cannot hold are refused before anything is allocated.
    let mut too_large = super::limits::check_int_data(&model, data);
    if too_large.is_empty() {
        too_large = super::limits::check_sizes(&model, data);
    }
    if !too_large.is_empty() {
        return Err(Rejected {
            sources,
            diagnostics: too_large,
        });
    }
    match density::compile(model, sources.clone(), data) {
        Ok((model, warnings)) => Ok(Compiled { model, warnings }),
        Err(diagnostics) => Err(Rejected {
            sources,
            diagnostics,
        }),
    }
}

/// Reads a model file, or standard input for `-`; returns the name
/// diagnostics give it and its text.
pub fn read_model_text(path: impl AsRef<Path>) -> Result<(String, String), String> {
    let path = path.as_ref();
    if path.as_os_str() == "-" {
        let mut text = String::new();
        return match std::io::stdin().read_to_string(&mut text) {
            Ok(_) => Ok(("<stdin>".to_string(), text)),
            Err(e) => Err(format!("cannot read the model from standard input: {e}")),
        };
    }
    read_model_file(path).map(|text| (path.display().to_string(), text))
}

/// Reads a model file (never standard input).
pub fn read_model_file(path: &Path) -> Result<String, String> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|e| {
            format!(
                "cannot read model file `{}`: it is not UTF-8 text (invalid byte at offset {})",
                path.display(),
                e.utf8_error().valid_up_to()
            )
        }),
        Err(e) => Err(format!("cannot read model file `{}`: {e}", path.display())),
    }
}

/// Reads the file of one data source and adds its entries to `input`.
pub fn read_data_file(input: &mut DataInput, spec: &DataSpec) -> Result<(), String> {
    let text = std::fs::read_to_string(spec.path())
        .map_err(|e| format!("cannot read data file `{}`: {e}", spec.path()))?;
    input.add(spec, &text)
}

/// The model's name: the file stem.
pub fn model_name(path: &str) -> String {
    Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string())
}

fn raw_to_json(v: &RawValue) -> Value {
    fn nest(values: &[f64], dims: &[usize]) -> Value {
        match dims {
            [] => output::float::to_json(values.first().copied().unwrap_or(f64::NAN)),
            [_] => Value::Array(values.iter().map(|&x| output::float::to_json(x)).collect()),
            [n, rest @ ..] => {
                let stride: usize = rest.iter().product();
                Value::Array(
                    (0..*n)
                        .map(|i| nest(&values[i * stride..(i + 1) * stride], rest))
                        .collect(),
                )
            }
        }
    }
    nest(&v.values, &v.dims)
}
