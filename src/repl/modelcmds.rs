//! Commands on the model and its data: `:load`, `:reload`, `:data`,
//! `:model`, `:write`.

use super::session::{Fail, Io, ModelState, Res, Session};
use vippl::check;
use vippl::check::Layout;
use vippl::data::{DataInput, DataSpec};
use vippl::density::CompiledModel;
use vippl::infer::Target;
use vippl::ir::{self, LocalKind};
use vippl::source::SourceMap;
use vippl::workflow::{self, model_name as stem};

fn read_model(path: &str) -> Result<String, Fail> {
    Ok(workflow::read_model_file(std::path::Path::new(path))?)
}

impl Session {
    pub(crate) fn cmd_load(&mut self, path: &str, io: &mut Io<'_>) -> Res {
        let text = read_model(path)?;
        let mut sources = SourceMap::new();
        match check::load_model(&mut sources, path, &text) {
            Ok((_, warnings)) => {
                if !warnings.is_empty() {
                    io.err(&self.render(&warnings, &sources));
                }
            }
            Err(diags) => {
                let mut shown = self.render(&diags, &sources);
                if self.model.text.trim().is_empty() {
                    // Nothing to lose: remember the file so `:reload` reads it once fixed.
                    self.model.path = Some(path.to_string());
                    self.model.name = stem(path);
                    shown.push_str("the model was not loaded; fix it and `:reload`\n");
                } else {
                    shown.push_str("the model was not loaded; the previous one is kept\n");
                }
                return Err(Fail::Shown(shown));
            }
        }
        let same_file = self.model.path.as_deref() == Some(path);
        self.model = ModelState {
            name: stem(path),
            path: Some(path.to_string()),
            text,
            typed: 0,
        };
        if !same_file {
            // Another model: the current fit no longer describes it (`:compare` keeps it).
            self.fit = None;
        }
        self.changed();
        let status = self.status_line();
        io.err(&format!("loaded {path}: {status}\n"));
        Ok(())
    }

    pub(crate) fn cmd_reload(&mut self, io: &mut Io<'_>) -> Res {
        let Some(path) = self.model.path.clone() else {
            return Err("the model was not read from a file; `:write FILE` saves it to one".into());
        };
        let text = read_model(&path)?;
        let mut sources = SourceMap::new();
        match check::load_model(&mut sources, &path, &text) {
            Ok((_, warnings)) => {
                if !warnings.is_empty() {
                    io.err(&self.render(&warnings, &sources));
                }
            }
            Err(diags) => {
                let mut shown = self.render(&diags, &sources);
                shown.push_str("the model was not reloaded; the previous one is kept\n");
                return Err(Fail::Shown(shown));
            }
        }
        if self.model.typed > 0 {
            io.note(&format!(
                "{} statement(s) typed since the file was read are dropped",
                self.model.typed
            ));
        }
        self.model.text = text;
        self.model.typed = 0;
        self.changed();
        let status = self.status_line();
        io.err(&format!("reloaded {path}: {status}\n"));
        Ok(())
    }

    /// One line on the model: its parameters and dimension, or what it lacks.
    fn status_line(&mut self) -> String {
        let names: Vec<String> = match self.checked_model() {
            Some(m) => m.params.iter().map(|p| p.name.clone()).collect(),
            None => return "the model has errors".into(),
        };
        let params = if names.is_empty() {
            "no parameters".to_string()
        } else {
            format!(
                "{} parameter{} ({})",
                names.len(),
                if names.len() == 1 { "" } else { "s" },
                names.join(", ")
            )
        };
        match self.compiled() {
            Ok(cm) => format!("{params}, dimension {}", cm.dim()),
            Err(_) => {
                let missing = self.missing_data();
                if missing.is_empty() {
                    format!("{params}; it does not compile with the data (see `:model`)")
                } else {
                    format!("{params}; data needed: {}", missing.join(", "))
                }
            }
        }
    }

    /// Declared data with no value and no default.
    pub(crate) fn missing_data(&mut self) -> Vec<String> {
        let declared: Vec<(String, bool)> = match self.checked_model() {
            Some(m) => m
                .data
                .iter()
                .map(|d| (d.name.clone(), d.default.is_some()))
                .collect(),
            None => return Vec::new(),
        };
        declared
            .into_iter()
            .filter(|(n, has_default)| !has_default && self.data.get(n).is_none())
            .map(|(n, _)| n)
            .collect()
    }

    pub(crate) fn cmd_data(&mut self, args: &str, io: &mut Io<'_>) -> Res {
        let specs = super::input::split_args(args)?;
        if specs.is_empty() {
            io.out(&self.data_listing());
            return Ok(());
        }
        for s in specs {
            self.cmd_data_file(&s, io)?;
        }
        Ok(())
    }

    pub(crate) fn cmd_data_file(&mut self, spec_text: &str, io: &mut Io<'_>) -> Res {
        let spec = DataSpec::parse(spec_text)?;
        let mut fresh = DataInput::default();
        workflow::read_data_file(&mut fresh, &spec)?;
        let mut replaced = Vec::new();
        for e in fresh.entries {
            if let Some(i) = self.data.entries.iter().position(|x| x.name == e.name) {
                replaced.push(format!(
                    "`{}` (from {})",
                    e.name, self.data.entries[i].origin
                ));
                self.data.entries.remove(i);
            }
            self.data.entries.push(e);
        }
        self.data_files.retain(|f| f != spec_text);
        self.data_files.push(spec_text.to_string());
        self.changed();
        if !replaced.is_empty() {
            io.note(&format!("replaced {}", replaced.join(", ")));
        }
        let names: Vec<String> = self
            .data
            .entries
            .iter()
            .filter(|e| e.origin == spec.path())
            .map(|e| e.name.clone())
            .collect();
        io.err(&format!(
            "data from {}: {}\n",
            spec.path(),
            names.join(", ")
        ));
        // Tell now, not at `:fit`, when the data does not suit the model.
        if !self.model.text.trim().is_empty() && self.checked_model().is_some() {
            let name = self.model.source_name();
            let text = self.model.text.clone();
            match workflow::compile_text(&name, &text, &self.data) {
                Ok(compiled) => {
                    let notes: Vec<_> = compiled
                        .warnings
                        .into_iter()
                        .filter(|d| d.severity == vippl::diagnostics::Severity::Note)
                        .collect();
                    if !notes.is_empty() {
                        io.err(&self.render(&notes, compiled.model.sources()));
                    }
                }
                Err(rejected) => {
                    let missing = self.missing_data();
                    if missing.is_empty() {
                        io.err(&self.render(&rejected.diagnostics, &rejected.sources));
                        io.note("the data is kept: fix the model or load other data");
                    } else {
                        io.note(&format!("data still needed: {}", missing.join(", ")));
                    }
                }
            }
        }
        Ok(())
    }

    fn data_listing(&self) -> String {
        if self.data.entries.is_empty() {
            return "no data loaded (`:data FILE`)\n".into();
        }
        let rows: Vec<[String; 3]> = self
            .data
            .entries
            .iter()
            .map(|e| {
                let shape = match e.value.dims.as_slice() {
                    [] => format!("= {}", super::eval::number_text(e.value.values[0])),
                    d => format!(
                        "[{}]",
                        d.iter()
                            .map(|x| x.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                [e.name.clone(), shape, e.origin.clone()]
            })
            .collect();
        table(&["name", "value or shape", "from"], &rows)
    }

    pub(crate) fn cmd_model(&mut self, args: &str, io: &mut Io<'_>) -> Res {
        match args {
            "" => {}
            "source" => {
                io.out(&self.source_listing());
                return Ok(());
            }
            other => {
                return Err(
                    format!("`:model` takes no argument or `source`, not `{other}`").into(),
                );
            }
        }
        let name = self.model.source_name();
        let mut sources = SourceMap::new();
        let (model, _) = check::load_model(&mut sources, &name, &self.model.text)
            .map_err(|d| Fail::Shown(self.render(&d, &sources)))?;
        let layout = Layout::of(&model, &sources);
        let mut out = self.model_heading();
        let compiled = self.compiled().ok().map(|cm| Sizes::of(cm, &model));
        out.push_str(&parameter_table(&layout, compiled.as_ref()));
        match &compiled {
            Some(sizes) => out.push_str(&format!("dimension: {}\n", sizes.dim)),
            None => out.push_str(&format!("dimension: {}\n", layout.total_text())),
        }
        if !model.data.is_empty() {
            out.push_str(&self.data_states(&model, compiled.as_ref()));
        }
        let mut quantities: Vec<String> = model
            .locals
            .iter()
            .filter(|l| l.top_level && l.function.is_none() && l.kind == LocalKind::Let)
            .map(|l| format!("{} (let)", l.name))
            .collect();
        quantities.extend(model.gens.iter().map(|g| format!("{} (gen)", g.name)));
        if !quantities.is_empty() {
            out.push_str(&format!("quantities: {}\n", quantities.join(", ")));
        }
        if compiled.is_none() {
            let missing = self.missing_data();
            if !missing.is_empty() {
                out.push_str(&format!("data needed: {}\n", missing.join(", ")));
            } else if let Err(Fail::Shown(s)) = self.compiled() {
                out.push_str("it does not compile with the data:\n");
                io.out(&out);
                io.err(&s);
                return Ok(());
            }
        }
        io.out(&out);
        Ok(())
    }

    /// `:model source`: the text with line numbers.
    fn source_listing(&self) -> String {
        if self.model.text.trim().is_empty() {
            return "(the model is empty)\n".into();
        }
        let w = self.model.text.lines().count().to_string().len();
        let mut s = String::new();
        for (i, l) in self.model.text.lines().enumerate() {
            s.push_str(&format!("{:>w$}  {l}\n", i + 1));
        }
        s
    }

    /// The first line of `:model`: where the model came from.
    fn model_heading(&self) -> String {
        match &self.model.path {
            Some(p) if self.model.typed > 0 => format!(
                "model {} ({p} + {} statement(s) typed here)\n",
                self.model.name, self.model.typed
            ),
            Some(p) => format!("model {} ({p})\n", self.model.name),
            None => "model typed at the prompt (`:write FILE` saves it)\n".to_string(),
        }
    }

    /// The `data:` line of `:model`: each declared data item's state.
    fn data_states(&self, model: &ir::Model, compiled: Option<&Sizes>) -> String {
        let items: Vec<String> = model
            .data
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let state = match (compiled, self.data.get(&d.name)) {
                    (Some(sizes), _) => {
                        sizes.constants[i].clone().unwrap_or_else(|| "bound".into())
                    }
                    (None, Some(_)) => "given".into(),
                    (None, None) if d.default.is_some() => "default".into(),
                    (None, None) => "missing".into(),
                };
                format!("{} {state}", d.name)
            })
            .collect();
        format!("data: {}\n", items.join(", "))
    }

    pub(crate) fn cmd_write(&mut self, path: &str, io: &mut Io<'_>) -> Res {
        let text = self.model.text_nl();
        vippl::output::write_atomic_bytes(path, text.as_bytes())
            .map_err(|e| Fail::Msg(format!("cannot write `{path}`: {e}")))?;
        self.model.path = Some(path.to_string());
        self.model.name = stem(path);
        self.model.typed = 0;
        self.model.text = text;
        io.err(&format!(
            "wrote {path} ({} lines)\n",
            self.model.text.lines().count()
        ));
        Ok(())
    }
}

/// What compiling with the data tells about a model's sizes.
struct Sizes {
    /// Each parameter's dimensions and unconstrained size.
    params: Vec<(Vec<usize>, usize)>,
    dim: usize,
    /// Each data item's value (a scalar) or shape, when it is a constant.
    constants: Vec<Option<String>>,
}

impl Sizes {
    fn of(cm: &CompiledModel, model: &ir::Model) -> Sizes {
        let params = cm
            .layout()
            .params
            .iter()
            .map(|p| (p.dims.clone(), p.free))
            .collect();
        let constants = model
            .data
            .iter()
            .map(|d| {
                cm.constant_value(&d.name)
                    .map(|(dims, v)| match dims.as_slice() {
                        [] => format!("= {}", super::eval::number_text(v[0])),
                        d => dims_text(d),
                    })
            })
            .collect();
        Sizes {
            params,
            dim: cm.dim(),
            constants,
        }
    }
}

/// The parameter table of `:model` (sizes as numbers once compiled).
fn parameter_table(layout: &Layout, compiled: Option<&Sizes>) -> String {
    let rows: Vec<[String; 4]> = layout
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (shape, free) = match compiled.map(|s| &s.params[i]) {
                Some((dims, free)) if dims.is_empty() => (p.shape.clone(), free.to_string()),
                Some((dims, free)) => (
                    format!("{} = {}", p.shape, dims_text(dims)),
                    free.to_string(),
                ),
                None => (p.shape.clone(), layout.free_text(i)),
            };
            [p.name.clone(), shape, p.constraint.clone(), free]
        })
        .collect();
    if rows.is_empty() {
        return "no parameters\n".to_string();
    }
    table(
        &["parameter", "shape", "constraint", "unconstrained"],
        &rows,
    )
}

fn dims_text(d: &[usize]) -> String {
    format!(
        "[{}]",
        d.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// A plain left-aligned table with a header.
pub(crate) fn table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut w: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(width(c));
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(w[i] - width(c) + 2));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

/// Terminal columns of a text: combining marks (the hat of k̂) take none.
pub(crate) fn width(s: &str) -> usize {
    s.chars()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .count()
}
