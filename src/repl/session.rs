//! The REPL's state and its reading of one input at a time: a function from
//! lines to output, written to the writers it is given, so that it runs the
//! same under a terminal, from a script, and in tests.

use super::complete::Names;
use super::fits::{CompareRow, Fit};
use super::help;
use super::input::{self, Input};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use vippl::check;
use vippl::data::DataInput;
use vippl::density::CompiledModel;
use vippl::diagnostics::{self, Diagnostic, RenderOptions};
use vippl::ir;
use vippl::source::{FileId, SourceMap, Span};
use vippl::workflow::{ModelSource, compile_text};

/// How a session presents itself.
#[derive(Clone, Copy, Debug)]
pub struct SessionOptions {
    /// ANSI colours in tables and diagnostics.
    pub color: bool,
    /// A progress display during fits (on stderr: a bar on a terminal,
    /// periodic lines otherwise).
    pub progress: bool,
    /// Line width for diagnostics.
    pub width: usize,
}

impl Default for SessionOptions {
    /// Plain text, no progress: what scripts and tests want.
    fn default() -> SessionOptions {
        SessionOptions {
            color: false,
            progress: false,
            width: 100,
        }
    }
}

/// What became of one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done; the next line is a new input.
    Done,
    /// It failed; the error was written and the session is unchanged.
    Failed,
    /// The input is unfinished (open bracket, trailing operator): the next
    /// line continues it.
    Incomplete,
    /// `:quit`.
    Quit,
}

/// A failure: a message to print as `error: ...`, or text already rendered
/// (diagnostics).
#[derive(Debug)]
pub(crate) enum Fail {
    Msg(String),
    Shown(String),
}

impl From<String> for Fail {
    fn from(m: String) -> Fail {
        Fail::Msg(m)
    }
}

impl From<&str> for Fail {
    fn from(m: &str) -> Fail {
        Fail::Msg(m.to_string())
    }
}

pub(crate) type Res = Result<(), Fail>;

/// The two output streams of a command.
pub(crate) struct Io<'a> {
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
}

impl Io<'_> {
    /// Results (stdout).
    pub fn out(&mut self, s: &str) {
        // A closed pipe must not stop the session.
        let _ = self.out.write_all(s.as_bytes());
        let _ = self.out.flush();
    }

    /// Notes, warnings and errors (stderr).
    pub fn err(&mut self, s: &str) {
        let _ = self.err.write_all(s.as_bytes());
        let _ = self.err.flush();
    }

    pub fn note(&mut self, s: &str) {
        self.err(&format!("note: {s}\n"));
    }
}

/// The model being worked on: a file's text plus statements typed at the
/// prompt.
#[derive(Clone, Debug, Default)]
pub(crate) struct ModelState {
    /// The model's name in fit records (the file stem).
    pub name: String,
    /// The file it was read from or written to.
    pub path: Option<String>,
    pub text: String,
    /// Statements typed since the file was read or written.
    pub typed: usize,
}

impl ModelState {
    /// The name diagnostics give the text.
    pub fn source_name(&self) -> String {
        self.path.clone().unwrap_or_else(|| "<repl>".to_string())
    }

    /// The text, ending with a newline (so more can be appended).
    pub fn text_nl(&self) -> String {
        let mut t = self.text.clone();
        if !t.is_empty() && !t.ends_with('\n') {
            t.push('\n');
        }
        t
    }
}

/// An interactive session.
pub struct Session {
    pub(crate) opts: SessionOptions,
    pub(crate) model: ModelState,
    pub(crate) data: DataInput,
    pub(crate) data_files: Vec<String>,
    /// Bumped whenever the model text or the data changes.
    pub(crate) revision: u64,
    compiled: Option<(u64, CompiledModel)>,
    checked: Option<(u64, Option<ir::Model>)>,
    pub(crate) fit: Option<Fit>,
    pub(crate) fits: Vec<CompareRow>,
    /// `:set` options: long name and value (`None` for a flag that is on).
    pub(crate) settings: Vec<(String, Option<String>)>,
    pending: String,
    pub(crate) interrupt: Arc<AtomicBool>,
}

impl Session {
    pub fn new(opts: SessionOptions) -> Session {
        Session {
            opts,
            model: ModelState {
                name: "model".into(),
                ..ModelState::default()
            },
            data: DataInput::default(),
            data_files: Vec::new(),
            revision: 0,
            compiled: None,
            checked: None,
            fit: None,
            fits: Vec::new(),
            settings: Vec::new(),
            pending: String::new(),
            interrupt: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Reads one line. Output goes to `out`, notes and errors to `err`.
    pub fn handle(&mut self, line: &str, out: &mut dyn Write, err: &mut dyn Write) -> Outcome {
        let mut io = Io { out, err };
        // A command cannot continue an unfinished input: the unfinished
        // part is read as it is (and reported), then the command runs.
        if !self.pending.is_empty() && starts_command(line) {
            let text = std::mem::take(&mut self.pending);
            self.run(&text, &mut io);
        }
        self.pending.push_str(line);
        self.pending.push('\n');
        if input::needs_more(&self.pending) {
            return Outcome::Incomplete;
        }
        let text = std::mem::take(&mut self.pending);
        self.run(&text, &mut io)
    }

    /// End of input: reads what is left of an unfinished input.
    pub fn finish(&mut self, out: &mut dyn Write, err: &mut dyn Write) -> Outcome {
        if self.pending.is_empty() {
            return Outcome::Done;
        }
        let text = std::mem::take(&mut self.pending);
        let mut io = Io { out, err };
        self.run(&text, &mut io)
    }

    /// Whether an unfinished input waits for more lines.
    pub fn is_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Forgets an unfinished input (Ctrl-C at the prompt).
    pub fn clear_pending(&mut self) {
        self.pending.clear();
    }

    /// Setting this flag stops a running fit, as Ctrl-C does.
    #[cfg(test)]
    pub fn interrupt_handle(&self) -> Arc<AtomicBool> {
        self.interrupt.clone()
    }

    /// The model's current text (file plus typed statements).
    #[cfg(test)]
    pub fn model_text(&self) -> &str {
        &self.model.text
    }

    /// Number of fits made or opened so far.
    #[cfg(test)]
    pub fn fit_count(&self) -> usize {
        self.fits.len()
    }

    /// The names tab completion offers now.
    pub fn names(&mut self) -> Names {
        let mut n = Names::default();
        if let Some(m) = self.checked_model() {
            n.params = m.params.iter().map(|p| p.name.clone()).collect();
            n.data = m.data.iter().map(|d| d.name.clone()).collect();
            n.others = m
                .locals
                .iter()
                .filter(|l| l.top_level && l.function.is_none())
                .map(|l| l.name.clone())
                .chain(m.gens.iter().map(|g| g.name.clone()))
                .chain(m.functions.iter().map(|f| f.name.clone()))
                .collect();
        }
        for e in &self.data.entries {
            if !n.data.contains(&e.name) {
                n.data.push(e.name.clone());
            }
        }
        if let Some(f) = &self.fit {
            n.quantities = super::fits::base_names(&f.output.draws.names);
            n.quantities.extend(f.output.draws.names.iter().cloned());
        }
        n.fit_options = super::fits::fit_option_names();
        n
    }

    /// Loads a model file, as `:load` does.
    pub fn load_file(&mut self, path: &str, out: &mut dyn Write, err: &mut dyn Write) -> Outcome {
        let mut io = Io { out, err };
        let r = self.cmd_load(path, &mut io);
        self.finish_command(r.map(|_| false), &mut io)
    }

    /// Loads a data file, as `:data` does.
    pub fn load_data(&mut self, spec: &str, out: &mut dyn Write, err: &mut dyn Write) -> Outcome {
        let mut io = Io { out, err };
        let r = self.cmd_data_file(spec, &mut io);
        self.finish_command(r.map(|_| false), &mut io)
    }

    fn run(&mut self, text: &str, io: &mut Io<'_>) -> Outcome {
        let r = match input::classify(text) {
            Input::Empty => Ok(false),
            Input::Command { name, args } => self.command(name, args, io),
            Input::Statement(s) => self.statement(s).map(|_| false),
            Input::Expression(e) => self.cmd_expression(e, io).map(|_| false),
        };
        self.finish_command(r, io)
    }

    fn finish_command(&mut self, r: Result<bool, Fail>, io: &mut Io<'_>) -> Outcome {
        match r {
            Ok(true) => Outcome::Quit,
            Ok(false) => Outcome::Done,
            Err(Fail::Msg(m)) => {
                io.err(&format!("error: {m}\n"));
                Outcome::Failed
            }
            Err(Fail::Shown(s)) => {
                io.err(&s);
                Outcome::Failed
            }
        }
    }

    /// Runs `:name args`; `Ok(true)` means quit.
    fn command(&mut self, name: &str, args: &str, io: &mut Io<'_>) -> Result<bool, Fail> {
        let Some(doc) = help::find(name) else {
            let hint = match help::suggest(name) {
                Some(s) => format!(" (did you mean `:{s}`?)"),
                None => String::new(),
            };
            return Err(
                format!("unknown command `:{name}`{hint}; `:help` lists the commands").into(),
            );
        };
        let no_args = |args: &str| -> Res {
            if args.is_empty() {
                Ok(())
            } else {
                Err(format!("`:{}` takes no arguments", doc.name).into())
            }
        };
        match doc.name {
            "quit" => {
                no_args(args)?;
                return Ok(true);
            }
            "help" => {
                if args.is_empty() {
                    io.out(&help::overview());
                } else {
                    match help::command_help(args) {
                        Some(h) => io.out(&h),
                        None => {
                            return Err(format!("no command `{args}`; `:help` lists them").into());
                        }
                    }
                    if help::find(args.trim_start_matches(':')).is_some_and(|c| c.name == "fit") {
                        io.out(&super::fits::fit_options_help());
                    }
                }
            }
            "load" => self.cmd_load(&one_arg(args, "load", "MODEL.vi")?, io)?,
            "reload" => {
                no_args(args)?;
                self.cmd_reload(io)?
            }
            "data" => self.cmd_data(args, io)?,
            "model" => self.cmd_model(args, io)?,
            "write" => self.cmd_write(&one_arg(args, "write", "FILE.vi")?, io)?,
            "fit" => self.cmd_fit(args, io)?,
            "set" => self.cmd_set(args, io)?,
            "summary" => self.cmd_summary(args, io)?,
            "diag" => {
                no_args(args)?;
                self.cmd_diag(io)?
            }
            "compare" => {
                no_args(args)?;
                self.cmd_compare(io)?
            }
            "save" => self.cmd_save(&one_arg(args, "save", "FIT.json")?, io)?,
            "open" => self.cmd_open(&one_arg(args, "open", "FIT.json")?, io)?,
            "logp" => self.cmd_logp(args, false, io)?,
            "grad" => self.cmd_logp(args, true, io)?,
            "draws" => self.cmd_draws(args, io)?,
            "hist" => self.cmd_hist(args, io)?,
            "plot" => self.cmd_plot(args, io)?,
            "prob" => self.cmd_prob(args, io)?,
            other => return Err(format!("`:{other}` is not available").into()),
        }
        Ok(false)
    }

    // ---- model text, checking and compiling --------------------------------

    /// Marks the model or data as changed.
    pub(crate) fn changed(&mut self) {
        self.revision += 1;
        self.compiled = None;
        self.checked = None;
    }

    pub(crate) fn render(&self, diags: &[Diagnostic], sources: &SourceMap) -> String {
        diagnostics::render(
            diags,
            sources,
            RenderOptions {
                color: self.opts.color,
                width: self.opts.width,
            },
        )
    }

    /// The current model and data as a [`ModelSource`].
    pub(crate) fn model_source(&self) -> ModelSource {
        ModelSource {
            name: self.model.name.clone(),
            file: self.model.source_name(),
            text: self.model.text.clone(),
            data: self.data.clone(),
        }
    }

    /// Parses and checks the current text (cached per revision); `None`
    /// when it has errors.
    pub(crate) fn checked_model(&mut self) -> Option<&ir::Model> {
        if self
            .checked
            .as_ref()
            .is_none_or(|(r, _)| *r != self.revision)
        {
            let mut sources = SourceMap::new();
            let m = check::load_model(&mut sources, &self.model.source_name(), &self.model.text)
                .ok()
                .map(|(m, _)| m);
            self.checked = Some((self.revision, m));
        }
        self.checked.as_ref().and_then(|(_, m)| m.as_ref())
    }

    /// The current model compiled with the current data (cached per revision).
    pub(crate) fn compiled(&mut self) -> Result<&CompiledModel, Fail> {
        self.compile_current()?;
        self.current_compiled()
            .ok_or_else(|| Fail::Msg("the model could not be compiled".into()))
    }

    /// Compiles the current model with the current data unless cached.
    pub(crate) fn compile_current(&mut self) -> Res {
        if self
            .compiled
            .as_ref()
            .is_none_or(|(r, _)| *r != self.revision)
        {
            let text = self.model.text.clone();
            let compiled = compile_text(&self.model.source_name(), &text, &self.data)
                .map_err(|r| Fail::Shown(self.render(&r.diagnostics, &r.sources)))?;
            self.compiled = Some((self.revision, compiled.model));
        }
        Ok(())
    }

    /// The compiled current model, if [`Session::compile_current`] made it.
    pub(crate) fn current_compiled(&self) -> Option<&CompiledModel> {
        match &self.compiled {
            Some((r, cm)) if *r == self.revision => Some(cm),
            _ => None,
        }
    }

    /// Appends a statement to the model if the result checks.
    fn statement(&mut self, stmt: &str) -> Res {
        let base = self.model.text_nl();
        let text = format!("{base}{stmt}\n");
        let mut sources = SourceMap::new();
        let name = self.model.source_name();
        if let Err(diags) = check::load_model(&mut sources, &name, &text) {
            let region = base.len()..base.len() + stmt.len();
            let (sm, d) = relocate(&sources, &diags, region, stmt);
            let mut shown = self.render(&d, &sm);
            shown.push_str("the statement was not added to the model\n");
            return Err(Fail::Shown(shown));
        }
        self.model.text = text;
        self.model.typed += 1;
        self.changed();
        Ok(())
    }
}

/// Diagnostics about text appended to a model, moved to a source of their
/// own called `<input>`: spans inside `region` of the model file (the last
/// file of `sources`) point into `input` instead, so the user sees the line
/// they typed rather than an unfamiliar end of the model.
pub(crate) fn relocate(
    sources: &SourceMap,
    diags: &[Diagnostic],
    region: std::ops::Range<usize>,
    input: &str,
) -> (SourceMap, Vec<Diagnostic>) {
    let mut sm = SourceMap::new();
    let mut last = None;
    for (id, f) in sources.files() {
        sm.add(f.name.clone(), f.text.clone());
        last = Some(id);
    }
    let input_id = sm.add("<input>", input.to_string());
    let model_id: Option<FileId> = last;
    let moved: Vec<Diagnostic> = diags
        .iter()
        .map(|d| {
            let mut d = d.clone();
            for l in &mut d.labels {
                let s = l.span;
                if Some(s.file) == model_id && (s.end as usize) > region.start {
                    let a = (s.start as usize).clamp(region.start, region.end) - region.start;
                    let b = (s.end as usize).clamp(region.start, region.end) - region.start;
                    l.span = Span::new(input_id, a, b.max(a));
                }
            }
            d
        })
        .collect();
    (sm, moved)
}

fn starts_command(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with(':') && t[1..].starts_with(|c: char| c.is_ascii_alphabetic())
}

/// The single argument of a command.
pub(crate) fn one_arg(args: &str, cmd: &str, what: &str) -> Result<String, Fail> {
    let mut v = input::split_args(args)?;
    match v.len() {
        1 => Ok(v.remove(0)),
        0 => Err(format!("`:{cmd}` needs {what}").into()),
        _ => Err(format!("`:{cmd}` takes one argument, {what} (quote a name with spaces)").into()),
    }
}
