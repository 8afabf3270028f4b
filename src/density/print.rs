//! Where the lines of the model's `print` statements go, and how many.
//!
//! A model is evaluated thousands of times during a fit, on several
//! threads, so `print` is rate-limited: the first [`FREE_LINES`] lines of
//! a process are all written, after that at most [`LINES_PER_SECOND`] per
//! second, and when lines were left out the next line written says how
//! many. Lines go to standard error (the model's own output, like Stan's
//! `print`), one whole line per write so that threads do not interleave.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Lines written before the rate limit applies.
pub const FREE_LINES: u64 = 100;
/// Lines per second written after the first [`FREE_LINES`].
pub const LINES_PER_SECOND: u32 = 5;

/// Whether a line may be written now.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Admission {
    /// Write it; `left_out` lines were dropped since the last one written.
    Write {
        left_out: u64,
    },
    Drop,
}

/// The rate limit's state: lines written, the current one-second window.
#[derive(Debug)]
pub struct Limiter {
    written: u64,
    window: Option<Instant>,
    in_window: u32,
    left_out: u64,
}

impl Limiter {
    pub const fn new() -> Limiter {
        Limiter {
            written: 0,
            window: None,
            in_window: 0,
            left_out: 0,
        }
    }

    /// Decides about one line at time `now`.
    pub fn admit(&mut self, now: Instant) -> Admission {
        if self.written >= FREE_LINES {
            let fresh = self
                .window
                .is_none_or(|start| now.duration_since(start) >= Duration::from_secs(1));
            if fresh {
                self.window = Some(now);
                self.in_window = 0;
            }
            if self.in_window >= LINES_PER_SECOND {
                self.left_out += 1;
                return Admission::Drop;
            }
            self.in_window += 1;
        }
        self.written += 1;
        let left_out = std::mem::take(&mut self.left_out);
        Admission::Write { left_out }
    }
}

impl Default for Limiter {
    fn default() -> Limiter {
        Limiter::new()
    }
}

static LIMITER: Mutex<Limiter> = Mutex::new(Limiter::new());

/// Whether the process-wide limit lets one more line through now.
pub fn admit() -> Admission {
    let mut limiter = LIMITER.lock().unwrap_or_else(|p| p.into_inner());
    limiter.admit(Instant::now())
}

/// Writes one admitted line to standard error (errors, such as a closed
/// stream, are ignored: printing never stops an evaluation).
pub fn write_line(line: &str, left_out: u64) {
    let mut text = String::with_capacity(line.len() + 48);
    if left_out > 0 {
        text.push_str(&format!("({left_out} lines of `print` left out)\n"));
    }
    text.push_str(line);
    text.push('\n');
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_the_free_lines_at_most_a_few_per_second_get_through() {
        let mut limiter = Limiter::new();
        let t0 = Instant::now();
        for _ in 0..FREE_LINES {
            assert_eq!(limiter.admit(t0), Admission::Write { left_out: 0 });
        }
        // Within one second: LINES_PER_SECOND more, then nothing.
        let mut written = 0;
        for k in 0..100 {
            let at = t0 + Duration::from_millis(k * 5);
            if limiter.admit(at) != Admission::Drop {
                written += 1;
            }
        }
        assert_eq!(written, LINES_PER_SECOND);
        // The next second: the first line says how many were dropped.
        let later = t0 + Duration::from_millis(1600);
        assert_eq!(
            limiter.admit(later),
            Admission::Write {
                left_out: 100 - u64::from(LINES_PER_SECOND)
            }
        );
        assert_eq!(limiter.admit(later), Admission::Write { left_out: 0 });
    }
}
