//! A driver that feeds lines to a [`Session`] as a script would and keeps a
//! transcript.

use super::transcript::{DATA, MODEL};
use crate::repl::session::{Outcome, Session, SessionOptions};

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
