//! `vippl repl` on a pseudo-terminal, as a person uses it: line editing,
//! a long fit stopped with Ctrl-C that keeps its partial result, Ctrl-C at
//! the prompt clearing the line, Ctrl-D leaving, and history saved.

#![cfg(unix)]

use crate::repl_support::{DATA, MODEL, Scratch, root};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The program on the slave side of a pseudo-terminal, the test on the master.
struct Pty {
    master: File,
    child: Child,
    output: Arc<Mutex<Vec<u8>>>,
    /// Output before this offset has been matched already.
    seen: usize,
}

impl Pty {
    fn spawn(args: &[&str], history: &str) -> Pty {
        let (mut master, mut slave) = (0, 0);
        let size = libc::winsize {
            ws_row: 40,
            ws_col: 120,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty writes two new descriptors into the integers given.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just opened and are owned here only.
        let (master, slave) = unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vippl"));
        cmd.args(args)
            .current_dir(root())
            .env("TERM", "xterm")
            .env("VIPPL_HISTORY", history)
            .env_remove("NO_COLOR")
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        // SAFETY: only async-signal-safe calls between fork and exec: the
        // child gets a session of its own with the terminal as its
        // controlling terminal, so Ctrl-C reaches it as SIGINT.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap();
        drop(cmd); // close this side's copies of the slave
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().unwrap();
        let mut answer = master.try_clone().unwrap();
        let sink = output.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = reader.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                let got = &chunk[..n];
                // The line editor asks where the cursor is: answer "column 1".
                if got.windows(4).any(|w| w == b"\x1b[6n") {
                    let _ = answer.write_all(b"\x1b[1;1R");
                }
                sink.lock().unwrap().extend_from_slice(got);
            }
        });
        Pty {
            master,
            child,
            output,
            seen: 0,
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    /// Waits until `needle` appears in new output; later waits look after it.
    fn expect(&mut self, needle: &str, within: Duration) {
        let start = Instant::now();
        loop {
            let text = self.output.lock().unwrap().clone();
            let hay = String::from_utf8_lossy(&text[self.seen.min(text.len())..]).into_owned();
            if let Some(i) = hay.find(needle) {
                self.seen += hay[..i + needle.len()].len();
                return;
            }
            if start.elapsed() > within {
                let _ = self.child.kill();
                panic!(
                    "`{needle}` did not appear within {within:?}; output:\n{}",
                    self.text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn send(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).unwrap();
        self.master.flush().unwrap();
    }

    fn wait_exit(&mut self, within: Duration) -> i32 {
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.code().unwrap_or(-1);
            }
            if start.elapsed() > within {
                let _ = self.child.kill();
                panic!("the REPL did not exit; output:\n{}", self.text());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

const PROMPT: &str = "vippl> ";
const SHORT: Duration = Duration::from_secs(20);

#[test]
fn ctrl_c_stops_a_long_fit_and_the_session_goes_on() {
    let s = Scratch::new("pty");
    let history = s.path("history");
    let mut t = Pty::spawn(&["repl", MODEL, "--data", DATA], &history);
    t.expect("dimension 10", SHORT);
    t.expect(PROMPT, SHORT);
    // Far more iterations than can run: only Ctrl-C ends this fit.
    t.send(":fit --iters 100000000 --tol 1e-12\r");
    // The progress display reports the ELBO once iterations run.
    t.expect("ELBO -", SHORT);
    t.send("\x03");
    t.expect("interrupted after", SHORT);
    t.expect("interrupted by the user", SHORT);
    t.expect(PROMPT, SHORT);
    t.send(":compare\r");
    t.expect("interrupted", SHORT);
    t.expect(PROMPT, SHORT);
    t.send(":prob theta[1] > theta[3]\r");
    t.expect("P(theta[1] > theta[3]) = 0.", SHORT);
    t.expect(PROMPT, SHORT);
    // Ctrl-C at the prompt clears what was typed.
    t.send("tau +");
    t.expect("tau +", SHORT);
    t.send("\x03");
    t.expect(PROMPT, SHORT);
    t.send("1 + 1\r");
    t.expect("\n2\r\n", SHORT);
    t.expect(PROMPT, SHORT);
    // An unfinished line continues.
    t.send("sum(y) / (\r");
    // The editor takes the line as unfinished and redraws it with a new
    // line below, waiting for the rest.
    t.expect("> sum(y) / (\r\n", SHORT);
    t.send("J)\r");
    t.expect("8.75", SHORT);
    t.expect(PROMPT, SHORT);
    t.send(":quit\r");
    assert_eq!(t.wait_exit(SHORT), 0);
    let saved = std::fs::read_to_string(&history).unwrap();
    assert!(
        saved.contains(":fit --iters 100000000 --tol 1e-12"),
        "{saved}"
    );
    assert!(saved.contains(":compare"), "{saved}");
}

#[test]
fn ctrl_d_leaves_and_unwritable_history_is_no_error() {
    // A history path under a regular file cannot be created.
    let s = Scratch::new("pty-nohist");
    std::fs::write(s.0.join("file"), "").unwrap();
    let history = s.path("file/history");
    let mut t = Pty::spawn(&["repl"], &history);
    t.expect(PROMPT, SHORT);
    t.send("2 * 21\r");
    t.expect("42", SHORT);
    t.expect(PROMPT, SHORT);
    // Tab completes a command.
    t.send(":hel\t");
    t.expect("p", SHORT);
    t.send("\r");
    t.expect("Commands:", SHORT);
    t.expect(PROMPT, SHORT);
    t.send("\x04");
    assert_eq!(t.wait_exit(SHORT), 0);
    assert!(!t.text().contains("error:"), "{}", t.text());
}
