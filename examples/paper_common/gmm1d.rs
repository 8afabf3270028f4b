//! The one-dimensional three-mode target (§6.4): Gaussian mixtures with
//! K = 1…4 components under four divergences. Paper settings: Adam with
//! learning rate 0.01, 2001 iterations, 10 samples per component, means
//! from N(0, 1), unit scales (vippl's `--init zero`; the weights start
//! equal instead of from random logits).

use super::banana::{DIVERGENCES, label};
use super::{Density, compile_model, kl_pair, markdown_table, write_text};
use std::path::{Path, PathBuf};
use vippl::density::CompiledModel;
use vippl::infer::{
    Approximation, Divergence, FamilyKind, FitConfig, Init, Optimizer, Precondition, Silent, Step,
    fit,
};
use vippl::plot::{Line, LineColor, Panel, PanelOptions, line_panels};

pub const MODEL: &str = include_str!("../paper/gmm1d.vi");

/// The target's components: (weight, mean, sd).
pub const TARGET: [(f64, f64, f64); 3] = [(0.4, -1.0, 0.5), (0.3, 0.8, 0.5), (0.3, 3.0, 0.8)];

/// Mean and sd of the target (the moment-matched Gaussian).
pub fn target_moments() -> (f64, f64) {
    let m: f64 = TARGET.iter().map(|(w, mu, _)| w * mu).sum();
    let v: f64 = TARGET
        .iter()
        .map(|(w, mu, s)| w * (s * s + (mu - m).powi(2)))
        .sum();
    (m, v.sqrt())
}

pub fn log_p(x: f64) -> f64 {
    let terms = TARGET.map(|(w, mu, s)| {
        let z = (x - mu) / s;
        w.ln() - s.ln() - 0.5 * z * z - 0.918_938_533_204_672_8
    });
    let mx = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    mx + terms.iter().map(|t| (t - mx).exp()).sum::<f64>().ln()
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub components: Vec<usize>,
    pub iters: usize,
    pub samples: usize,
    pub step: f64,
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            components: vec![1, 2, 3, 4],
            iters: 2001,
            samples: 10,
            step: 0.01,
            seed: 101,
        }
    }
}

impl Settings {
    pub fn config(&self, k: usize, divergence: Divergence) -> FitConfig {
        FitConfig {
            family: Some(if k == 1 {
                FamilyKind::FullRank
            } else {
                FamilyKind::Mixture(k)
            }),
            divergence,
            optimizer: Optimizer::Adam,
            step: Step::Fixed(self.step),
            samples: Some(self.samples),
            iters: self.iters,
            tol: 0.0,
            step_control: false,
            // The plain flow of the paper: its own coordinates, and a fixed
            // number of iterations.
            precondition: Some(Precondition::None),
            grad_tol: None,
            init: Some(Init::Zero),
            seed: self.seed,
            draws: 1000,
            ..FitConfig::default()
        }
    }
}

pub fn compile() -> Result<CompiledModel, String> {
    compile_model("gmm1d.vi", MODEL, Vec::new())
}

/// Quadrature nodes: the midpoint rule on [−12, 16] with 28 001 points.
fn nodes() -> impl Iterator<Item = (f64, f64)> {
    let n = 28_001;
    let h = 28.0 / n as f64;
    (0..n).map(move |i| (-12.0 + (i as f64 + 0.5) * h, h))
}

/// KL(q‖p) and KL(p‖q) by quadrature.
pub fn divergences(q: &Approximation) -> Result<(f64, f64), String> {
    let dens = Density::new(q)?;
    let pts: Vec<(f64, f64, f64)> = nodes()
        .map(|(x, h)| (h, dens.log(&[x]), log_p(x)))
        .collect();
    Ok(kl_pair(&pts))
}

/// Components sorted by mean: (weight, mean, sd).
pub fn components(q: &Approximation) -> Vec<(f64, f64, f64)> {
    let mut c: Vec<(f64, f64, f64)> = match q {
        Approximation::Mixture {
            weights,
            components,
        } => weights
            .iter()
            .zip(components)
            .map(|(w, c)| (*w, c.mean[0], c.scale[0].abs()))
            .collect(),
        Approximation::FullRank { mean, scale } => vec![(1.0, mean[0], scale[0].abs())],
        Approximation::MeanField { mean, sd } => vec![(1.0, mean[0], sd[0])],
        Approximation::LowRank { mean, .. } => vec![(1.0, mean[0], q.sd()[0])],
    };
    c.sort_by(|a, b| a.1.total_cmp(&b.1));
    c
}

pub struct FitRow {
    pub divergence: Divergence,
    pub k: usize,
    pub approximation: Approximation,
    pub kl_qp: f64,
    pub kl_pq: f64,
}

pub fn fit_one(
    model: &CompiledModel,
    k: usize,
    div: Divergence,
    s: &Settings,
) -> Result<FitRow, String> {
    let res =
        fit(model, &s.config(k, div), &mut Silent).map_err(|e| format!("{div} K={k}: {e}"))?;
    let (kl_qp, kl_pq) = divergences(&res.approximation)?;
    Ok(FitRow {
        divergence: div,
        k,
        approximation: res.approximation,
        kl_qp,
        kl_pq,
    })
}

pub struct Report {
    pub rows: Vec<FitRow>,
    pub figure: PathBuf,
    pub table: PathBuf,
}

/// Fits every (divergence, K), draws `gmm1d.png` (rows: divergences,
/// columns: K) and writes `gmm1d.md` into `out`.
pub fn run(s: &Settings, divs: &[Divergence], out: &Path) -> Result<Report, String> {
    let model = compile()?;
    let mut rows = Vec::new();
    for &div in divs {
        for &k in &s.components {
            rows.push(fit_one(&model, k, div, s)?);
        }
    }
    let xs: Vec<f64> = (0..=500).map(|i| -5.0 + 12.0 * i as f64 / 500.0).collect();
    let target: Vec<(f64, f64)> = xs.iter().map(|&x| (x, log_p(x).exp())).collect();
    let mut panels = Vec::new();
    for r in &rows {
        let dens = Density::new(&r.approximation)?;
        let col = DIVERGENCES
            .iter()
            .position(|d| *d == r.divergence)
            .unwrap_or(0);
        let mut f = Line::new(
            &format!("q, K = {}", r.k),
            xs.iter().map(|&x| (x, dens.log(&[x]).exp())).collect(),
            LineColor::Palette(col),
        );
        f.width = 3;
        f.fill = true;
        // The target on top, dashed, so that it shows where q covers it.
        let mut t = Line::new("target", target.clone(), LineColor::Black);
        t.dashed = true;
        panels.push(Panel {
            title: format!(
                "{}, K = {}: KL(q‖p) {}, KL(p‖q) {}",
                label(r.divergence),
                r.k,
                super::fixed3(r.kl_qp),
                super::fixed3(r.kl_pq)
            ),
            x_label: "x".into(),
            y_label: "density".into(),
            lines: vec![f, t],
            x_range: Some((-5.0, 7.0)),
            y_range: Some((0.0, 0.6)),
            log_y: false,
            legend: r.k == 1,
            legend_at: Default::default(),
        });
    }
    let figure = out.join("gmm1d.png");
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    line_panels(
        &figure,
        &panels,
        &PanelOptions {
            title: Some(
                "Three-mode target (dashed) and K-component mixture fits: rows divergences, columns K"
                    .into(),
            ),
            columns: s.components.len(),
            panel_size: (440, 300),
        },
    )?;
    super::compact_png(&figure)?;
    let fmt = |v: Vec<f64>, digits: usize| {
        v.iter()
            .map(|x| format!("{x:.digits$}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let table_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let c = components(&r.approximation);
            vec![
                r.divergence.to_string(),
                r.k.to_string(),
                fmt(c.iter().map(|c| c.0).collect(), 3),
                fmt(c.iter().map(|c| c.1).collect(), 2),
                fmt(c.iter().map(|c| c.2).collect(), 2),
                super::fixed3(r.kl_qp),
                super::fixed3(r.kl_pq),
            ]
        })
        .collect();
    let text = format!(
        "# One-dimensional three-mode target\n\nAdam {}, {} iterations, {} samples per \
         component, `--init zero`, seed {}. Components sorted by mean; divergences by the \
         midpoint rule on [−12, 16] (28 001 points).\n\n{}",
        s.step,
        s.iters,
        s.samples,
        s.seed,
        markdown_table(
            &[
                "divergence",
                "K",
                "weights",
                "means",
                "sds",
                "KL(q‖p)",
                "KL(p‖q)"
            ],
            &table_rows
        )
    );
    let table = write_text(out, "gmm1d.md", &text)?;
    Ok(Report {
        rows,
        figure,
        table,
    })
}
