//! The illustrative example of Yi & Liu (§6.1): BBVI-rep, BBVI-path (the
//! forward Euler scheme of the Bures–Wasserstein flow), the covariance ODE
//! and Langevin particles on a Gaussian target; trajectories and W₂ curves.
//!
//!     cargo run --release --example illustrative [-- --out DIR --seed N --quick]

#[path = "paper_common/mod.rs"]
mod paper_common;

use paper_common::illustrative::{Settings, run};
use paper_common::{Args, main_with, print_report};

const USAGE: &str = "usage: cargo run --release --example illustrative -- [options]

Runs the illustrative example (Gaussian target, step 0.01, 1001 iterations,
5 and 100 Monte Carlo samples per step) and writes illustrative.png and
illustrative.md.

options:
  --out DIR    output directory (default: examples/paper/figures)
  --seed N     random seed (default: 123)
  --quick      101 iterations, for a fast look";

fn main() {
    main_with(|| {
        let args = Args::parse(USAGE, &["--quick"], &[])?;
        let mut s = Settings::default();
        if let Some(seed) = args.seed {
            s.seed = seed;
        }
        if args.has("--quick") {
            s.iters = 101;
        }
        let report = run(&s, &args.out)?;
        print_report(&report.table, &report.figure);
        Ok(())
    });
}
