//! The fit file (`--fit FILE`): everything needed to rebuild a fit's
//! summary, draws and plots without re-running it.
//!
//! JSON, with `"format": "vippl-fit"` and a `format_version` so a reader can
//! tell a fit from any other JSON and refuse one from a newer vippl. Floats
//! round-trip bit-exactly; NaN and infinities are the strings `"NaN"`,
//! `"Infinity"`, `"-Infinity"` (see [`float`](super::float)). Objects are
//! indented one key per line while arrays stay on one line, so the file is
//! readable without being tens of thousands of lines long.

use serde::de::Deserializer;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::io::{self, Write};
use std::path::Path;

use super::atomic::write_atomic;
use super::config::Config;
use super::draws::ColumnSummary;
use super::float;
use super::summary::FitSummary;

/// The value of the `"format"` key that marks a vippl fit file.
pub const FIT_FORMAT: &str = "vippl-fit";
/// The layout version this build writes and the newest it reads.
pub const FIT_FORMAT_VERSION: u32 = 1;

/// One iteration of the optimisation, as kept in the fit file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceRow {
    pub iteration: u64,
    /// ELBO estimate at this iteration (noisy: a few Monte Carlo samples).
    pub elbo: f64,
    /// Step size used.
    pub step: f64,
}

/// A saved fit. `approximation` is the family and its fitted parameters in
/// unconstrained space, written and read by the engine (use
/// [`float::vec_to_json`] for its arrays so non-finite values survive);
/// `data` is the bound data as Stan JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitFile {
    pub format_version: u32,
    pub vippl_version: String,
    pub model_name: String,
    pub model_source: String,
    pub data: serde_json::Value,
    pub config: Config,
    pub seed: u64,
    pub approximation: serde_json::Value,
    /// Stored column-wise (`{"iteration": [..], "elbo": [..], "step": [..]}`).
    #[serde(with = "trace_columns")]
    pub trace: Vec<TraceRow>,
    pub diagnostics: FitSummary,
    pub summary: Vec<ColumnSummary>,
}

impl Default for FitSummary {
    /// A fit that has not run: NaN estimates, nothing converged.
    fn default() -> FitSummary {
        FitSummary {
            elbo: f64::NAN,
            elbo_se: f64::NAN,
            khat: None,
            khat_label: None,
            iterations: 0,
            converged: false,
            reason: String::new(),
            seconds: 0.0,
            grad_evals: 0,
            extra: Vec::new(),
            values: Default::default(),
            warnings: Vec::new(),
            caveat: None,
        }
    }
}

/// Serializes with the format marker first.
struct Marked<'a>(&'a FitFile);

impl Serialize for Marked<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        let mut m = s.serialize_map(Some(12))?;
        m.serialize_entry("format", FIT_FORMAT)?;
        m.serialize_entry("format_version", &f.format_version)?;
        m.serialize_entry("vippl_version", &f.vippl_version)?;
        m.serialize_entry("model_name", &f.model_name)?;
        m.serialize_entry("model_source", &f.model_source)?;
        m.serialize_entry("seed", &f.seed)?;
        m.serialize_entry("config", &f.config)?;
        m.serialize_entry("data", &f.data)?;
        m.serialize_entry("approximation", &f.approximation)?;
        m.serialize_entry("diagnostics", &f.diagnostics)?;
        m.serialize_entry("summary", &f.summary)?;
        m.serialize_entry("trace", &TraceCols(&f.trace))?;
        m.end()
    }
}

/// Just enough of a file to decide whether to read the rest.
#[derive(Deserialize)]
struct Probe {
    format: Option<serde_json::Value>,
    format_version: Option<serde_json::Value>,
    vippl_version: Option<serde_json::Value>,
}

impl FitFile {
    /// A fit file of the current format for this build of vippl, with
    /// everything else empty, to be filled field by field.
    pub fn new(model_name: &str, model_source: &str, seed: u64) -> FitFile {
        FitFile {
            format_version: FIT_FORMAT_VERSION,
            vippl_version: env!("CARGO_PKG_VERSION").to_string(),
            model_name: model_name.to_string(),
            model_source: model_source.to_string(),
            data: serde_json::Value::Null,
            config: Config::new(),
            seed,
            approximation: serde_json::Value::Null,
            trace: Vec::new(),
            diagnostics: FitSummary::default(),
            summary: Vec::new(),
        }
    }

    /// The file's text (newline-terminated).
    pub fn to_json_string(&self) -> String {
        let mut buf = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, ObjectsIndented::default());
        // Only JSON values, strings and numbers: serialization cannot fail.
        if Marked(self).serialize(&mut ser).is_err() {
            return String::new();
        }
        buf.push(b'\n');
        String::from_utf8(buf).unwrap_or_default()
    }

    /// Writes the file atomically.
    pub fn save(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let text = self.to_json_string();
        write_atomic(path, |w: &mut dyn Write| w.write_all(text.as_bytes()))
    }

    /// Reads a fit file; `origin` names it in messages.
    pub fn from_json_str(text: &str, origin: &str) -> Result<FitFile, String> {
        let not_fit = |why: String| {
            format!(
                "{origin} is not a vippl fit file ({why}); fit files are written by \
                 `vippl infer MODEL.vi --fit FILE`"
            )
        };
        let probe: Probe =
            serde_json::from_str(text).map_err(|e| not_fit(format!("not a JSON object: {e}")))?;
        match &probe.format {
            Some(serde_json::Value::String(s)) if s == FIT_FORMAT => {}
            Some(other) => return Err(not_fit(format!("its \"format\" is {other}"))),
            None => return Err(not_fit("no \"format\": \"vippl-fit\" key".into())),
        }
        let version = probe
            .format_version
            .as_ref()
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| format!("{origin}: the fit file has no valid \"format_version\""))?;
        if version > u64::from(FIT_FORMAT_VERSION) {
            let writer = probe
                .vippl_version
                .as_ref()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| "a newer vippl".into());
            return Err(format!(
                "{origin} was written by vippl {writer} in fit format version {version}; \
                 this vippl ({}) reads versions up to {FIT_FORMAT_VERSION}: upgrade vippl",
                env!("CARGO_PKG_VERSION")
            ));
        }
        serde_json::from_str(text).map_err(|e| format!("{origin}: damaged vippl fit file: {e}"))
    }

    /// Reads a fit file from disk.
    pub fn load(path: impl AsRef<Path>) -> Result<FitFile, String> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        FitFile::from_json_str(&text, &path.display().to_string())
    }
}

/// Trace rows as three columns.
struct TraceCols<'a>(&'a [TraceRow]);

impl Serialize for TraceCols<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        trace_columns::serialize(self.0, s)
    }
}

mod trace_columns {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct Cols {
        iteration: Vec<u64>,
        #[serde(with = "float::vec")]
        elbo: Vec<f64>,
        #[serde(with = "float::vec")]
        step: Vec<f64>,
    }

    pub fn serialize<S: Serializer>(rows: &[TraceRow], s: S) -> Result<S::Ok, S::Error> {
        Cols {
            iteration: rows.iter().map(|r| r.iteration).collect(),
            elbo: rows.iter().map(|r| r.elbo).collect(),
            step: rows.iter().map(|r| r.step).collect(),
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<TraceRow>, D::Error> {
        let c = Cols::deserialize(d)?;
        if c.elbo.len() != c.iteration.len() || c.step.len() != c.iteration.len() {
            return Err(serde::de::Error::custom(
                "trace columns iteration, elbo and step differ in length",
            ));
        }
        Ok((0..c.iteration.len())
            .map(|i| TraceRow {
                iteration: c.iteration[i],
                elbo: c.elbo[i],
                step: c.step[i],
            })
            .collect())
    }
}

/// JSON layout: objects one key per line, arrays (and anything inside
/// them) on one line.
#[derive(Default)]
struct ObjectsIndented {
    depth: usize,
    in_array: usize,
    /// Whether the innermost open object has an entry (`{}` stays on a line).
    has_value: bool,
}

impl ObjectsIndented {
    fn newline<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..self.depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for ObjectsIndented {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.in_array += 1;
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.in_array -= 1;
        w.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.in_array == 0 {
            self.depth += 1;
        }
        self.has_value = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.in_array == 0 {
            self.depth -= 1;
            if self.has_value {
                self.newline(w)?;
            }
        }
        self.has_value = true;
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        if self.in_array == 0 {
            self.newline(w)
        } else if first {
            Ok(())
        } else {
            w.write_all(b" ")
        }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}
