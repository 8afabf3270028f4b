//! The one-dimensional three-mode target of Yi & Liu (§6.4): mixtures with
//! K = 1…4 components under four divergences; densities and divergences.
//!
//!     cargo run --release --example gmm1d [-- --out DIR --seed N]

#[path = "paper_common/mod.rs"]
mod paper_common;

use paper_common::banana::DIVERGENCES;
use paper_common::gmm1d::{Settings, run};
use paper_common::{Args, main_with, print_report};

const USAGE: &str = "usage: cargo run --release --example gmm1d -- [options]

Fits K = 1, 2, 3, 4 component Gaussian mixtures to the three-mode target
under KL(q‖p), KL(p‖q), χ² and Hellinger (Adam 0.01, 2001 iterations, 10
samples per component) and writes gmm1d.png and gmm1d.md.

options:
  --out DIR    output directory (default: examples/paper/figures)
  --seed N     random seed (default: 101)";

fn main() {
    main_with(|| {
        let args = Args::parse(USAGE, &[], &[])?;
        let mut s = Settings::default();
        if let Some(seed) = args.seed {
            s.seed = seed;
        }
        let report = run(&s, &DIVERGENCES, &args.out)?;
        print_report(&report.table, &report.figure);
        Ok(())
    });
}
