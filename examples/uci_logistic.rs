//! Bayesian logistic regression on four UCI data sets (Yi & Liu §6.3):
//! data preparation, five methods, test accuracy per posterior draw.
//!
//!     cargo run --release --example uci_logistic [-- --long --seeds 3]
//!
//! The reference rows come from `examples/paper/uci_reference_results.json`,
//! written by `python3 examples/paper/uci_reference.py`.

#[path = "paper_common/mod.rs"]
mod paper_common;

use paper_common::uci::{Columns, Settings, run, spec};
use paper_common::{Args, main_with, print_report, repo_path};

const USAGE: &str = "usage: cargo run --release --example uci_logistic -- [options]

Prepares heart, ionosphere, pima and wine (the paper's split, min-max
scaling, every column), writes their Stan JSON files, fits rep-KL,
path-KL, path-FKL, path-χ² and path-Hellinger (mean-field with softplus
sds, Adam 0.01, 32 samples) with a flat and a normal(0, 1) prior, and
writes the figure uci_logistic.png and Markdown tables of test accuracy
and log-likelihood against the reference (uci_reference.py's results).

options:
  --out DIR         figure directory (default: examples/paper/figures)
  --table FILE      the table (default: examples/paper/uci_results.md)
  --data-out DIR    the Stan JSON files (default: target/paper/uci_data)
  --long            20001 iterations (the published command) instead of 2001
  --iters N         any other number of iterations
  --seeds N         training seeds 1..N (default 5)
  --data NAME       one data set only (heart, ionosphere, pima or wine)
  --flat-only       the flat prior only
  --raw-scale       move the sds themselves instead of softplus⁻¹ of them
  --proper-columns  drop the columns that make the flat-prior posterior
                    improper (as the shipped JSON files; no reference rows)
  --reference FILE  the reference results (default:
                    examples/paper/uci_reference_results.json)";

fn main() {
    main_with(|| {
        let args = Args::parse(
            USAGE,
            &["--long", "--flat-only", "--proper-columns", "--raw-scale"],
            &[
                "--iters",
                "--seeds",
                "--data",
                "--table",
                "--data-out",
                "--reference",
            ],
        )?;
        let mut s = Settings {
            table: Some(
                args.value("--table")
                    .map_or_else(|| repo_path("examples/paper/uci_results.md"), Into::into),
            ),
            data_dir: Some(
                args.value("--data-out")
                    .map_or_else(|| repo_path("target/paper/uci_data"), Into::into),
            ),
            ..Settings::default()
        };
        if let Some(v) = args.value("--reference") {
            s.reference = Some(v.into());
        }
        if args.has("--flat-only") {
            s.priors = vec![0.0];
        }
        if args.has("--raw-scale") {
            s.softplus_scale = false;
        }
        if args.has("--proper-columns") {
            s.columns = Columns::Proper;
        }
        if args.has("--long") {
            s.iters = 20001;
        }
        if let Some(v) = args.value("--iters") {
            s.iters = v
                .parse()
                .map_err(|_| format!("--iters: `{v}` is not a whole number"))?;
        }
        if let Some(v) = args.value("--seeds") {
            let n: u64 = v
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("--seeds: `{v}` is not a positive whole number"))?;
            s.seeds = (1..=n).collect();
        }
        if let Some(seed) = args.seed {
            s.seeds = vec![seed];
        }
        if let Some(name) = args.value("--data") {
            s.datasets = vec![spec(name)?];
        }
        let report = run(&s, &args.out, &mut |line| eprintln!("{line}"))?;
        print_report(&report.table, &report.figure);
        Ok(())
    });
}
