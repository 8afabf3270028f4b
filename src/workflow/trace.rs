//! What a trace file records of the family's parameters each iteration:
//! by default the mean and the log of the marginal standard deviations
//! (2·d numbers per Gaussian), or with `--trace-full` every parameter (a
//! full-rank family's whole d × d scale matrix).

use crate::density::CompiledModel;
use crate::infer::{FamilyKind, FitConfig, Target};
use crate::output;

/// Which of the family's parameters a trace records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TraceLayout {
    /// Mixture weights, then per component the mean and the log of each
    /// coordinate's standard deviation under q.
    #[default]
    Compact,
    /// Every parameter of the family, as the engine holds them.
    Full,
}

/// The family's shape, to read its flat parameters.
#[derive(Clone, Copy, Debug)]
pub(super) struct TraceShape {
    layout: TraceLayout,
    /// Mixture weights before the components.
    weights: usize,
    components: usize,
    d: usize,
    /// Whether each component's scale is a diagonal (sds) or a d × d matrix.
    diagonal: bool,
    /// The rank R of a low-rank scale, stored as D (d) then W (d × R).
    rank: Option<usize>,
}

impl TraceShape {
    pub(super) fn new(cm: &CompiledModel, c: &FitConfig, layout: TraceLayout) -> TraceShape {
        let kind = c.resolved_family_in(cm.dim());
        let (weights, components) = match kind {
            FamilyKind::Mixture(k) => (k, k),
            _ => (0, 1),
        };
        TraceShape {
            layout,
            weights,
            components,
            d: cm.dim(),
            diagonal: kind == FamilyKind::MeanField,
            rank: match kind {
                FamilyKind::LowRank(r) => Some(r),
                _ => None,
            },
        }
    }

    /// The column names (CmdStan's spelling, as the draws: `mu.1`,
    /// `log_sd.1`, `c2.mu.1`; with the full layout `S.2.1`).
    pub(super) fn names(&self, cm: &CompiledModel, c: &FitConfig) -> Vec<String> {
        let full = c.resolved_family_in(cm.dim()).parameter_names(cm.dim());
        if self.layout == TraceLayout::Full {
            return full.iter().map(|n| output::cmdstan_name(n)).collect();
        }
        let mut names: Vec<String> = full[..self.weights]
            .iter()
            .map(|n| output::cmdstan_name(n))
            .collect();
        for k in 0..self.components {
            let prefix = if self.weights > 0 {
                format!("c{}.", k + 1)
            } else {
                String::new()
            };
            names.extend((1..=self.d).map(|i| format!("{prefix}mu.{i}")));
            names.extend((1..=self.d).map(|i| format!("{prefix}log_sd.{i}")));
        }
        names
    }

    /// The recorded values of one iteration's flat parameters, written
    /// into `out` (reused from row to row).
    pub(super) fn project<'a>(&self, flat: &'a [f64], out: &'a mut Vec<f64>) -> &'a [f64] {
        if self.layout == TraceLayout::Full {
            return flat;
        }
        let d = self.d;
        let scale_len = match self.rank {
            _ if self.diagonal => d,
            Some(r) => d + d * r,
            None => d * d,
        };
        out.clear();
        out.extend_from_slice(&flat[..self.weights]);
        for k in 0..self.components {
            let start = self.weights + k * (d + scale_len);
            let (mean, scale) = flat[start..start + d + scale_len].split_at(d);
            out.extend_from_slice(mean);
            if self.diagonal {
                out.extend(scale.iter().map(|s| s.abs().ln()));
            } else if let Some(r) = self.rank {
                // Var xᵢ = Dᵢ² + ‖wᵢ‖².
                let (diag, factor) = scale.split_at(d);
                out.extend(
                    diag.iter()
                        .zip(factor.chunks_exact(r))
                        .map(|(s, w)| 0.5 * (s * s + w.iter().map(|v| v * v).sum::<f64>()).ln()),
                );
            } else {
                // x = μ + S z: the variance of coordinate i is the squared
                // norm of row i of S.
                out.extend(
                    scale
                        .chunks_exact(d)
                        .map(|row| 0.5 * row.iter().map(|v| v * v).sum::<f64>().ln()),
                );
            }
        }
        out
    }
}
