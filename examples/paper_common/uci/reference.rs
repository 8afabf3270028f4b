//! The reference: the results of the independent numpy implementation
//! `examples/paper/uci_reference.py`, read from the file it writes
//! (`examples/paper/uci_reference_results.json`), and the comparison of a
//! table cell with it.

use super::super::repo_path;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The default reference file.
pub fn default_reference_path() -> PathBuf {
    repo_path("examples/paper/uci_reference_results.json")
}

/// One seed's scores.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ReferenceRun {
    pub seed: u64,
    pub accuracy: f64,
    pub accuracy_sd: f64,
    pub test_loglik: f64,
}

/// A data set and method over the reference's seeds.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ReferenceCell {
    pub dataset: String,
    pub method: String,
    pub features: usize,
    pub runs: Vec<ReferenceRun>,
}

impl ReferenceCell {
    pub fn accuracies(&self) -> Vec<f64> {
        self.runs.iter().map(|r| r.accuracy).collect()
    }

    pub fn logliks(&self) -> Vec<f64> {
        self.runs.iter().map(|r| r.test_loglik).collect()
    }
}

/// The whole reference file.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Reference {
    pub iters: usize,
    pub samples: usize,
    pub draws: usize,
    pub seeds: Vec<u64>,
    /// `max` (the published max-shift) or `mean` (self-normalised).
    pub weights: String,
    /// `softplus` (the published) or `raw`.
    pub scale: String,
    pub cells: Vec<ReferenceCell>,
}

impl Reference {
    /// Reads and checks a reference file.
    pub fn read(path: &Path) -> Result<Reference, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "cannot read the reference {}: {e}; write it with `python3 \
                 examples/paper/uci_reference.py`",
                path.display()
            )
        })?;
        let r: Reference = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a reference results file: {e}", path.display()))?;
        for c in &r.cells {
            if c.runs.is_empty()
                || c.runs
                    .iter()
                    .any(|run| !(run.accuracy.is_finite() && run.test_loglik.is_finite()))
            {
                return Err(format!(
                    "{}: {} {} has no runs or a score that is not a number",
                    path.display(),
                    c.dataset,
                    c.method
                ));
            }
        }
        Ok(r)
    }

    pub fn cell(&self, dataset: &str, method: &str) -> Option<&ReferenceCell> {
        self.cells
            .iter()
            .find(|c| c.dataset == dataset && c.method == method)
    }
}

/// Mean and sample sd (NaN for one value).
pub fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = if values.len() > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        f64::NAN
    };
    (mean, sd)
}

/// (mean of `ours` − mean of `reference`) in units of the seed sd pooled
/// over both sides, √((s₁² + s₂²)/2); NaN when either side has one seed,
/// ±∞ for different means without any spread.
/// With n seeds on each side the standard error of the difference is
/// √(2/n) of this unit (0.63 for n = 5).
pub fn difference_in_seed_sds(ours: &[f64], reference: &[f64]) -> f64 {
    let (m1, s1) = mean_sd(ours);
    let (m2, s2) = mean_sd(reference);
    let pooled = ((s1 * s1 + s2 * s2) / 2.0).sqrt();
    if pooled > 0.0 {
        (m1 - m2) / pooled
    } else if m1 == m2 {
        0.0
    } else {
        (m1 - m2).signum() * f64::INFINITY
    }
}
