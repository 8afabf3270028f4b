//! Helpers shared by the REPL tests (the program's, here, and the session's
//! own unit tests in `src/repl/tests`, which include this file): the
//! example's paths, scratch directories, and the redaction of wall times
//! before snapshots.

use std::path::{Path, PathBuf};

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
