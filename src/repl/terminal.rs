//! The thin layer between a [`Session`] and the user: line editing,
//! history, completion and hints on a terminal (rustyline); plain lines
//! from a pipe or a file otherwise.

use super::complete::{self, Names};
use super::input;
use super::session::{Outcome, Session};
use crate::shell::progress::{INTERRUPTED, install_interrupt_handler};
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::{Hint, Hinter};
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{CompletionType, Config, Context, Editor, Helper};
use std::borrow::Cow;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

const PROMPT: &str = "vippl> ";
const CONTINUE: &str = "  ...> ";

/// Where history is kept between sessions: `$VIPPL_HISTORY` (empty: none),
/// else `$XDG_STATE_HOME/vippl/history`, else `~/.local/state/vippl/history`.
pub fn history_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("VIPPL_HISTORY") {
        return (!p.is_empty()).then(|| PathBuf::from(p));
    }
    let state = match std::env::var_os("XDG_STATE_HOME") {
        Some(s) if !s.is_empty() => PathBuf::from(s),
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".local/state"),
    };
    Some(state.join("vippl").join("history"))
}

/// Completion, hints and multi-line input for rustyline.
struct ReplHelper {
    names: Names,
    color: bool,
}

struct ReplHint {
    display: String,
    completion: Option<String>,
}

impl Hint for ReplHint {
    fn display(&self) -> &str {
        &self.display
    }
    fn completion(&self) -> Option<&str> {
        self.completion.as_deref()
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, cands) = complete::complete(line, pos, &self.names);
        Ok((
            start,
            cands
                .into_iter()
                .map(|c| Pair {
                    display: c.clone(),
                    replacement: c,
                })
                .collect(),
        ))
    }
}

impl Hinter for ReplHelper {
    type Hint = ReplHint;
    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<ReplHint> {
        complete::hint(line, pos).map(|(display, completion)| ReplHint {
            display,
            completion,
        })
    }
}

impl Highlighter for ReplHelper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(if input::needs_more(ctx.input()) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

impl Helper for ReplHelper {}

/// Reads commands from a terminal until `:quit` or Ctrl-D.
pub fn interactive(session: &mut Session, color: bool) {
    let config = Config::builder()
        .auto_add_history(false)
        .history_ignore_space(true)
        .completion_type(CompletionType::List)
        .max_history_size(1000)
        .map(|b| b.build());
    let editor = config.and_then(Editor::<ReplHelper, DefaultHistory>::with_config);
    let mut ed = match editor {
        Ok(e) => e,
        Err(e) => {
            eprintln!("note: no line editing ({e}); reading plain lines");
            return script(session, false);
        }
    };
    ed.set_helper(Some(ReplHelper {
        names: session.names(),
        color,
    }));
    let history = history_path();
    if let Some(p) = &history {
        let _ = ed.load_history(p);
    }
    eprintln!(
        "vippl {} — `:help` lists the commands; Ctrl-C stops a fit, Ctrl-D leaves",
        env!("CARGO_PKG_VERSION")
    );
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    loop {
        let prompt = if session.is_pending() {
            CONTINUE
        } else {
            PROMPT
        };
        match ed.readline(prompt) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = ed.add_history_entry(line.as_str());
                    save_history(&mut ed, history.as_ref());
                }
                let outcome = session.handle(&line, &mut out, &mut err);
                INTERRUPTED.store(false, Ordering::SeqCst);
                if outcome == Outcome::Quit {
                    break;
                }
                if let Some(h) = ed.helper_mut() {
                    h.names = session.names();
                }
            }
            // Ctrl-C at the prompt clears the line (and an unfinished input).
            Err(ReadlineError::Interrupted) => session.clear_pending(),
            Err(ReadlineError::Eof) => {
                session.finish(&mut out, &mut err);
                break;
            }
            Err(e) => {
                eprintln!("error: cannot read the terminal: {e}");
                break;
            }
        }
    }
    save_history(&mut ed, history.as_ref());
}

/// Saving history is a convenience: a failure is never an error.
fn save_history(ed: &mut Editor<ReplHelper, DefaultHistory>, path: Option<&PathBuf>) {
    if let Some(p) = path {
        if let Some(dir) = p.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = ed.save_history(p);
    }
}

/// Reads commands line by line from standard input (a pipe or a file):
/// no prompt, errors on stderr, and the script goes on after them. With
/// `echo`, each line is printed after its prompt first, as a transcript.
pub fn script(session: &mut Session, echo: bool) {
    let stdin = std::io::stdin();
    let mut reader = stdin.lock();
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                let _ = writeln!(err, "error: cannot read standard input: {e}");
                break;
            }
        }
        let line = String::from_utf8_lossy(&buf);
        let line = line.trim_end_matches(['\n', '\r']);
        if echo {
            let prompt = if session.is_pending() {
                CONTINUE
            } else {
                PROMPT
            };
            let _ = writeln!(out, "{prompt}{line}");
        }
        let outcome = session.handle(line, &mut out, &mut err);
        INTERRUPTED.store(false, Ordering::SeqCst);
        if outcome == Outcome::Quit {
            return;
        }
    }
    session.finish(&mut out, &mut err);
}

/// Installs the Ctrl-C handler: a running fit stops and keeps its result;
/// a second Ctrl-C before it has stopped ends the program.
pub fn prepare_signals() {
    install_interrupt_handler();
}
