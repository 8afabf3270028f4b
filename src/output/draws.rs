//! Draws from a fitted approximation, as plain data the output layer can
//! summarise, write and plot without knowing the model or the engine.

use serde::{Deserialize, Serialize};

use super::float;
use super::stats;

/// Draws of every scalar output quantity, one row per draw.
///
/// `names` are Stan-style (`mu`, `theta[3]`, `Sigma[2,1]`) in output order —
/// the order of the summary table and of the CSV columns; for matrices the
/// caller lists elements column-major, as CmdStan does. `values` is row-major
/// (`n_draws × names.len()`): a draw is contiguous because the engine
/// produces draws one at a time. `log_p` and `log_g` are the model's and the
/// approximation's log densities of each draw on the unconstrained scale
/// (Jacobian included); their difference gives the importance weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Draws {
    pub names: Vec<String>,
    pub n_draws: usize,
    pub values: Vec<f64>,
    pub log_p: Vec<f64>,
    pub log_g: Vec<f64>,
}

/// The five numbers the summary table shows for one quantity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSummary {
    pub name: String,
    #[serde(with = "float")]
    pub mean: f64,
    #[serde(with = "float")]
    pub sd: f64,
    #[serde(with = "float")]
    pub q5: f64,
    #[serde(with = "float")]
    pub q50: f64,
    #[serde(with = "float")]
    pub q95: f64,
}

/// The probabilities of the summary's quantile columns.
pub const SUMMARY_PROBS: [f64; 3] = [0.05, 0.5, 0.95];

impl Draws {
    /// Checks that the shapes agree, so later code can index freely.
    pub fn new(
        names: Vec<String>,
        n_draws: usize,
        values: Vec<f64>,
        log_p: Vec<f64>,
        log_g: Vec<f64>,
    ) -> Result<Draws, String> {
        let d = Draws {
            names,
            n_draws,
            values,
            log_p,
            log_g,
        };
        d.validate()?;
        Ok(d)
    }

    /// The invariants every consumer relies on (public fields can be set by
    /// hand, so writers call this before trusting them).
    pub fn validate(&self) -> Result<(), String> {
        let want = self.n_draws.checked_mul(self.names.len());
        if want != Some(self.values.len()) {
            return Err(format!(
                "draws: {} values for {} draws of {} quantities",
                self.values.len(),
                self.n_draws,
                self.names.len()
            ));
        }
        if self.log_p.len() != self.n_draws || self.log_g.len() != self.n_draws {
            return Err(format!(
                "draws: {} log_p and {} log_g values for {} draws",
                self.log_p.len(),
                self.log_g.len(),
                self.n_draws
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for n in &self.names {
            if !seen.insert(n.as_str()) {
                return Err(format!("draws: quantity `{n}` appears twice"));
            }
        }
        Ok(())
    }

    /// Number of scalar quantities (columns).
    pub fn n_columns(&self) -> usize {
        self.names.len()
    }

    /// One draw (row).
    pub fn row(&self, i: usize) -> &[f64] {
        let k = self.names.len();
        &self.values[i * k..(i + 1) * k]
    }

    /// Column index of a quantity, by its Stan-style or CmdStan-style name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        let wanted = super::names::stan_name(name);
        self.names.iter().position(|n| n == name || *n == wanted)
    }

    /// All draws of column `j` (copied out, as the layout is row-major).
    pub fn column(&self, j: usize) -> Vec<f64> {
        let k = self.names.len();
        (0..self.n_draws).map(|i| self.values[i * k + j]).collect()
    }

    /// All draws of a named quantity; the error lists what exists.
    pub fn column_by_name(&self, name: &str) -> Result<Vec<f64>, String> {
        match self.index_of(name) {
            Some(j) => Ok(self.column(j)),
            None => Err(unknown_name(name, &self.names)),
        }
    }

    /// log p − log g per draw: raw log importance weights (to be smoothed
    /// by PSIS before use as weights).
    pub fn log_ratios(&self) -> Vec<f64> {
        self.log_p
            .iter()
            .zip(&self.log_g)
            .map(|(p, g)| p - g)
            .collect()
    }

    /// Mean, sd and 5/50/95 % quantiles of every column, in output order.
    pub fn summarize(&self) -> Vec<ColumnSummary> {
        (0..self.names.len())
            .map(|j| {
                let x = self.column(j);
                let q = stats::quantiles(&x, &SUMMARY_PROBS);
                ColumnSummary {
                    name: self.names[j].clone(),
                    mean: stats::mean(&x),
                    sd: stats::sd(&x),
                    q5: q[0],
                    q50: q[1],
                    q95: q[2],
                }
            })
            .collect()
    }

    /// Importance-weighted summary (e.g. with PSIS-smoothed weights), which
    /// corrects the approximation towards the posterior when k̂ allows it.
    pub fn summarize_weighted(&self, weights: &[f64]) -> Result<Vec<ColumnSummary>, String> {
        stats::check_weights(self.n_draws, weights)?;
        (0..self.names.len())
            .map(|j| {
                let x = self.column(j);
                let q = stats::weighted_quantiles(&x, weights, &SUMMARY_PROBS)?;
                Ok(ColumnSummary {
                    name: self.names[j].clone(),
                    mean: stats::weighted_mean(&x, weights)?,
                    sd: stats::weighted_sd(&x, weights)?,
                    q5: q[0],
                    q50: q[1],
                    q95: q[2],
                })
            })
            .collect()
    }
}

/// "unknown quantity" with the available names, shortened when many.
pub fn unknown_name(name: &str, names: &[String]) -> String {
    const SHOWN: usize = 12;
    let mut list = names
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        list.push_str(&format!(", … ({} in all)", names.len()));
    }
    format!("no quantity named `{name}`; available: {list}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Draws {
        Draws::new(
            vec!["a".into(), "b[1]".into()],
            3,
            vec![1.0, 10.0, 2.0, 20.0, 3.0, 30.0],
            vec![0.0; 3],
            vec![0.0; 3],
        )
        .unwrap()
    }

    #[test]
    fn columns_and_names() {
        let d = small();
        assert_eq!(d.column(1), vec![10.0, 20.0, 30.0]);
        assert_eq!(d.row(2), &[3.0, 30.0]);
        assert_eq!(d.index_of("b[1]"), Some(1));
        assert_eq!(d.index_of("b.1"), Some(1));
        let e = d.column_by_name("c").unwrap_err();
        assert!(e.contains("`c`") && e.contains("b[1]"), "{e}");
        let s = d.summarize();
        assert_eq!(s[0].mean, 2.0);
        assert_eq!(s[1].q50, 20.0);
        assert_eq!(s[0].sd, 1.0);
    }

    #[test]
    fn shape_errors() {
        assert!(Draws::new(vec!["a".into()], 2, vec![1.0], vec![0.0; 2], vec![0.0; 2]).is_err());
        assert!(Draws::new(vec!["a".into()], 1, vec![1.0], vec![], vec![0.0]).is_err());
        let dup = Draws::new(vec!["a".into(), "a".into()], 0, vec![], vec![], vec![]);
        assert!(dup.unwrap_err().contains("twice"));
    }

    #[test]
    fn weighted_summary_moves_towards_heavy_draws() {
        let d = small();
        let s = d.summarize_weighted(&[0.0, 0.0, 1.0]).unwrap();
        assert_eq!(s[0].mean, 3.0);
        assert_eq!(s[1].q5, 30.0);
        assert!(d.summarize_weighted(&[1.0]).is_err());
    }
}
