//! The banana target of Yi & Liu (§6.2): five-component Gaussian mixtures
//! fitted under KL, forward KL, χ² and Hellinger; contours and divergences.
//!
//!     cargo run --release --example banana [-- --out DIR --seed N --defaults]

#[path = "paper_common/mod.rs"]
mod paper_common;

use paper_common::banana::{DIVERGENCES, Settings, run};
use paper_common::{Args, main_with, print_report};

const USAGE: &str = "usage: cargo run --release --example banana -- [options]

Fits a 5-component Gaussian mixture to the banana target under KL(q‖p),
KL(p‖q), χ² and Hellinger, and writes banana.png and banana.md.

options:
  --out DIR       output directory (default: examples/paper/figures)
  --seed N        random seed (default: 2)
  --defaults      vippl's default optimizer settings instead of the paper's
                  (Adam 0.01, 3001 iterations, 30 samples per component)
  --iters N       iterations (paper settings only)";

fn main() {
    main_with(|| {
        let args = Args::parse(USAGE, &["--defaults"], &["--iters"])?;
        let mut s = Settings::default();
        if let Some(seed) = args.seed {
            s.seed = seed;
        }
        s.defaults = args.has("--defaults");
        if let Some(v) = args.value("--iters") {
            s.iters = v
                .parse()
                .map_err(|_| format!("--iters: `{v}` is not a whole number"))?;
        }
        let report = run(&s, &DIVERGENCES, &args.out)?;
        print_report(&report.table, &report.figure);
        Ok(())
    });
}
