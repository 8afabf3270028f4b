//! Progress of a fit on stderr: a bar on a terminal, plain periodic lines
//! otherwise, nothing with `--quiet`; Ctrl-C (or a caller's own flag)
//! stops the fit and keeps the partial result.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use vippl::density::CompiledModel;
use vippl::infer::{Control, IterationInfo, Observer, Phase};
use vippl::workflow::{self, FitFailure, FitPlan, FitRun};

/// Set by Ctrl-C; a running fit polls it every iteration.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether the first Ctrl-C says what happens next (not with `--quiet`).
static ANNOUNCE: AtomicBool = AtomicBool::new(true);

/// Installs the Ctrl-C handler once per process. Returns false when the
/// platform refused (then Ctrl-C ends the process as usual).
pub fn install_interrupt_handler() -> bool {
    static INSTALLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *INSTALLED.get_or_init(|| {
        ctrlc::set_handler(|| {
            if INTERRUPTED.swap(true, Ordering::SeqCst) {
                // A second Ctrl-C while the first is being handled: leave now.
                std::process::exit(130);
            }
            if ANNOUNCE.load(Ordering::SeqCst) {
                eprintln!(
                    "\ninterrupted: stopping the fit and summarising its partial result \
                     (Ctrl-C again quits at once)"
                );
            }
        })
        .is_ok()
    })
}

/// Reports progress and stops the fit on Ctrl-C.
pub struct Progress<'a> {
    quiet: bool,
    bar: Option<ProgressBar>,
    last_line: Instant,
    max_iters: usize,
    /// A further flag that stops the fit when set (the REPL's own).
    stop: Option<&'a AtomicBool>,
    started: Instant,
}

impl<'a> Progress<'a> {
    /// Clears an earlier Ctrl-C and installs the handler; `stop` is a
    /// further flag that stops the fit when set.
    pub fn new(quiet: bool, max_iters: usize, stop: Option<&'a AtomicBool>) -> Progress<'a> {
        INTERRUPTED.store(false, Ordering::SeqCst);
        ANNOUNCE.store(!quiet, Ordering::SeqCst);
        install_interrupt_handler();
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let b = ProgressBar::with_draw_target(
                Some(max_iters as u64),
                ProgressDrawTarget::stderr_with_hz(10),
            );
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} {prefix} [{bar:30}] {pos}/{len} {msg}  {per_sec}  eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b.set_prefix("mode");
            b
        });
        Progress {
            quiet,
            bar,
            last_line: Instant::now(),
            max_iters,
            stop,
            started: Instant::now(),
        }
    }

    /// Clears the bar.
    pub fn finish(self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }

    fn control(&self) -> Control {
        let stopped = self.stop.is_some_and(|f| f.load(Ordering::SeqCst));
        if stopped || INTERRUPTED.load(Ordering::SeqCst) {
            Control::Stop
        } else {
            Control::Continue
        }
    }

    fn line(&mut self, text: &str) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(b) => b.println(text),
            None => eprintln!("{text}"),
        }
    }
}

impl Observer for Progress<'_> {
    fn iteration(&mut self, info: &IterationInfo<'_>) -> Control {
        let phase = match info.phase {
            Phase::Adaptation => "adapt",
            Phase::Optimization => "fit",
            Phase::Averaging => "average",
        };
        if let Some(b) = &self.bar {
            b.set_prefix(phase);
            b.set_length(info.max_iterations as u64);
            b.set_position(info.iteration as u64);
            b.set_message(format!("ELBO {:.4}  step {:.3e}", info.elbo, info.step));
        } else if !self.quiet && self.last_line.elapsed() >= Duration::from_secs(1) {
            self.last_line = Instant::now();
            let msg = format!(
                "iteration {:>6}/{}  {phase:<7} ELBO {:>12.4}  step {:.3e}  {:.1} s",
                info.iteration,
                self.max_iters.max(info.max_iterations),
                info.elbo,
                info.step,
                self.started.elapsed().as_secs_f64()
            );
            eprintln!("{msg}");
        }
        self.control()
    }

    fn mode_search(&mut self, _restart: usize, iteration: usize, log_density: f64) -> Control {
        if let Some(b) = &self.bar {
            b.set_prefix("mode");
            b.set_message(format!(
                "L-BFGS iteration {iteration}, log density {log_density:.4}"
            ));
        }
        self.control()
    }

    // Warnings are reported with the summary, once, after the fit.

    fn wants_parameters(&self) -> bool {
        false
    }

    fn restart(&mut self, restart: usize, total: usize) {
        if total > 1 {
            self.line(&format!("restart {}/{}", restart + 1, total));
        }
    }
}

/// Runs a fit with the progress display (none when `quiet`); Ctrl-C, or
/// `stop` when set, ends it with its partial result.
pub fn fit_with_progress(
    model: &CompiledModel,
    plan: &FitPlan,
    quiet: bool,
    stop: Option<&AtomicBool>,
) -> Result<FitRun, FitFailure> {
    let mut progress = Progress::new(quiet, plan.config.iters, stop);
    let run = workflow::run(model, plan, &mut progress);
    progress.finish();
    run
}
