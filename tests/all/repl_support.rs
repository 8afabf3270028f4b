//! Helpers shared by the REPL tests: a driver that feeds lines to a
//! [`Session`] and keeps a transcript, scratch directories, and the
//! redaction of wall times before snapshots.

use std::path::{Path, PathBuf};
use vippl::repl::{Outcome, Session, SessionOptions};

/// The eight schools model and data, relative to the package root (the
/// working directory of the tests), so transcripts hold no machine paths.
pub const MODEL: &str = "examples/eight_schools.vi";
pub const DATA: &str = "examples/eight_schools.json";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh directory, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("vippl-repl-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }

    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Feeds lines to a session as a script would, keeping a transcript:
/// each input after `vippl> `, its standard output as is, its standard
/// error with `! ` before every line.
pub struct Driver {
    pub session: Session,
    pub transcript: String,
}

impl Default for Driver {
    fn default() -> Driver {
        Driver::new()
    }
}

impl Driver {
    pub fn new() -> Driver {
        Driver {
            session: Session::new(SessionOptions::default()),
            transcript: String::new(),
        }
    }

    /// A session with the eight schools model and data loaded.
    pub fn eight_schools() -> Driver {
        let mut d = Driver::new();
        assert_eq!(d.line(&format!(":data {DATA}")), Outcome::Done);
        assert_eq!(d.line(&format!(":load {MODEL}")), Outcome::Done);
        d
    }

    /// One line: its outcome, standard output and standard error.
    pub fn run(&mut self, line: &str) -> (Outcome, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let o = self.session.handle(line, &mut out, &mut err);
        let out = String::from_utf8(out).unwrap();
        let err = String::from_utf8(err).unwrap();
        self.transcript.push_str(&format!("vippl> {line}\n{out}"));
        for l in err.lines() {
            self.transcript.push_str(&format!("! {l}\n"));
        }
        (o, out, err)
    }

    pub fn line(&mut self, line: &str) -> Outcome {
        self.run(line).0
    }

    /// Runs lines that must all succeed.
    pub fn ok(&mut self, lines: &[&str]) {
        for l in lines {
            let (o, _, err) = self.run(l);
            assert!(
                matches!(o, Outcome::Done | Outcome::Incomplete),
                "`{l}` failed: {err}"
            );
        }
    }

    /// Runs a line that must fail; returns its standard error.
    pub fn fails(&mut self, line: &str) -> String {
        let (o, _, err) = self.run(line);
        assert_eq!(o, Outcome::Failed, "`{line}` should fail; stderr: {err}");
        assert!(!err.is_empty(), "`{line}` failed silently");
        err
    }

    /// Runs a line that must succeed; returns its standard output.
    pub fn out(&mut self, line: &str) -> String {
        let (o, out, err) = self.run(line);
        assert_eq!(o, Outcome::Done, "`{line}` failed: {err}");
        out
    }
}

/// Replaces what changes from run to run: wall times (`0.0138 s`) and the
/// scratch directory.
pub fn redact(text: &str, scratch: Option<&Path>) -> String {
    let mut text = text.to_string();
    if let Some(p) = scratch {
        text = text.replace(&p.to_string_lossy().into_owned(), "<tmp>");
    }
    let mut out = String::new();
    for line in text.lines() {
        out.push_str(&redact_seconds(line));
        out.push('\n');
    }
    out
}

/// `… 0.0138 s` at the end of a line (a wall time) becomes `… <time>`.
fn redact_seconds(line: &str) -> String {
    let Some(body) = line.strip_suffix(" s") else {
        return line.to_string();
    };
    let start = body.rfind(|c: char| c.is_whitespace()).map_or(0, |i| i + 1);
    let number = &body[start..];
    if !number.is_empty() && number.parse::<f64>().is_ok() {
        format!("{}<time>", &body[..start])
    } else {
        line.to_string()
    }
}

pub fn snapshot(name: &str, text: &str) {
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn redaction_replaces_only_times() {
    let t = "wall time          0.0138 s\n1 *  m  bw  -32 ± 0.1  2.02 s\nmean  s\n";
    assert_eq!(
        redact(t, None),
        "wall time          <time>\n1 *  m  bw  -32 ± 0.1  <time>\nmean  s\n"
    );
}
