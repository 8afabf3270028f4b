//! `vippl repl` as a program reading a script on standard input: no prompt,
//! no colour, errors on stderr, the script goes on, exit code 0.

use crate::repl_support::{DATA, MODEL, redact, root, snapshot};
use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `vippl ARGS` with `input` on standard input, from the package root.
fn run(args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vippl"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("VIPPL_HISTORY", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The program may exit before reading everything (a usage error).
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_script_runs_past_its_errors_and_stops_at_quit() {
    let script = std::fs::read_to_string(root().join("tests/fixtures/repl/script.txt")).unwrap();
    let (code, out, err) = run(&["repl", MODEL, "--data", DATA], &script);
    assert_eq!(code, 0, "{err}");
    // No prompt and no colour.
    assert!(!out.contains("vippl>") && !err.contains("vippl>"));
    assert!(!out.contains('\x1b') && !err.contains('\x1b'));
    // Errors went to stderr and the script went on after them.
    assert!(err.contains("unknown command `:nosuch`"), "{err}");
    assert!(err.contains("unknown family `banana`"), "{err}");
    assert!(out.contains("P(theta[1] > theta[3]) = 0."), "{out}");
    assert!(out.contains("tau + mu"), "{out}");
    // Nothing after `:quit` ran.
    assert_eq!(out.matches("model eight_schools").count(), 1, "{out}");
    snapshot("repl_cli_stdout", &redact(&out, None));
    let err: String = err
        .lines()
        .filter(|l| !l.starts_with("iteration "))
        .map(|l| format!("{l}\n"))
        .collect();
    snapshot("repl_cli_stderr", &err);
}

#[test]
fn end_of_input_ends_the_session_with_success() {
    let (code, out, err) = run(&["repl"], "1 + 2\nfor i in 1:3 {\n");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "3\n");
    assert!(err.contains("unclosed `{`"), "{err}");
}

#[test]
fn the_model_cannot_come_from_standard_input() {
    let (code, _, err) = run(&["repl", "-"], ":quit\n");
    assert_eq!(code, 2);
    assert!(err.contains("give the model as a file"), "{err}");
}

#[test]
fn a_broken_start_still_gives_a_session() {
    let (code, out, err) = run(
        &["repl", "tests/fixtures/repl/broken.vi"],
        "mean([1, 2])\n:quit\n",
    );
    assert_eq!(code, 0);
    assert_eq!(out, "1.5\n");
    assert!(err.contains("the model was not loaded"), "{err}");
}

#[test]
fn echo_turns_a_script_into_a_transcript() {
    let (code, out, err) = run(
        &["repl", "--echo"],
        "x = 1\n:nosuch\n[1,\n 2] * 2\n:quit\n1 + 1\n",
    );
    assert_eq!(code, 0, "{err}");
    // Each input after its prompt (continuation lines after `...>`), the
    // output after its input, nothing after `:quit`; errors stay on stderr.
    assert_eq!(
        out,
        "vippl> x = 1\nvippl> :nosuch\nvippl> [1,\n  ...>  2] * 2\n[2, 4]\nvippl> :quit\n"
    );
    assert!(err.contains("unknown command `:nosuch`"), "{err}");
}

/// `docs/repl.md` shows a transcript of a session: running its commands
/// again (same seed) must print every line it shows, in order (`...` marks
/// elided lines; wall times are redacted on both sides).
#[test]
fn the_transcript_in_the_docs_is_real() {
    let doc = std::fs::read_to_string(root().join("docs/repl.md")).unwrap();
    let block = docs_transcript(&doc);
    let script: String = block
        .lines()
        .filter_map(|l| l.strip_prefix("vippl> "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        script.contains(":prob ") && script.contains(":save "),
        "{script}"
    );
    // The session saves a file: run it in a scratch directory holding the
    // example under the same relative paths.
    let scratch = crate::repl_support::Scratch::new("docs");
    std::fs::create_dir_all(scratch.0.join("examples")).unwrap();
    for f in [MODEL, DATA] {
        std::fs::copy(root().join(f), scratch.0.join(f)).unwrap();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_vippl"))
        .args(["repl", "--echo", MODEL, "--data", DATA])
        .current_dir(&scratch.0)
        .env("NO_COLOR", "1")
        .env("VIPPL_HISTORY", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = redact(&String::from_utf8(out.stdout).unwrap(), None);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("error"), "{stderr}");
    assert!(scratch.0.join("eight_schools_fit.json").is_file());
    // Notes go to stderr, the rest to stdout; each shown line must come
    // after the previous one in its stream.
    let mut pos = [0usize, 0usize];
    for shown in redact(block, None).lines().filter(|l| *l != "...") {
        let (k, text) = if stdout[pos[0]..].contains(shown) {
            (0, &stdout)
        } else {
            (1, &stderr)
        };
        match text[pos[k]..].find(shown) {
            Some(i) => pos[k] += i + shown.len(),
            None => panic!(
                "docs/repl.md shows `{shown}`, which the session did not print in order:\n{stdout}\n{stderr}"
            ),
        }
    }
}

/// README.md's REPL block shows lines of the session in `docs/repl.md`:
/// each must be a line of that transcript, in order (`docs/blocks.py`
/// regenerates both).
#[test]
fn the_readme_session_is_an_excerpt_of_the_docs_session() {
    let doc = std::fs::read_to_string(root().join("docs/repl.md")).unwrap();
    let transcript = docs_transcript(&doc);
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let block = readme
        .split("```\n$ vippl repl ")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("README.md has a `$ vippl repl` block");
    let lines: Vec<&str> = transcript.lines().collect();
    let mut at = 0;
    for shown in block.lines().skip(1).filter(|l| *l != "...") {
        match lines[at..].iter().position(|l| *l == shown) {
            Some(i) => at += i + 1,
            None => panic!("README.md shows `{shown}`, not in docs/repl.md's session in order"),
        }
    }
}

/// The session transcript of `docs/repl.md`: its ```text block.
fn docs_transcript(doc: &str) -> &str {
    doc.split("```text\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("docs/repl.md has a ```text block")
}
