//! The banana target with a five-component Gaussian mixture under four
//! divergences (§6.2). Paper settings: Adam with learning rate 0.01, 3001
//! iterations, 30 samples per component, component means from N(0, I) and
//! identity scales (vippl's `--init zero` for mixtures: zero plus a standard
//! normal draw per component; the weights start equal instead of from
//! random logits). `--defaults` fits with vippl's defaults instead (forward
//! Euler with the automatic step, mode-centred start, stopping rule).

use super::{Density, compile_model, kl_pair, markdown_table, write_text};
use std::path::{Path, PathBuf};
use vippl::density::CompiledModel;
use vippl::infer::{
    Approximation, Divergence, FamilyKind, FitConfig, Init, Optimizer, Precondition, Silent, Step,
    fit,
};
use vippl::plot::{ContourOptions, ContourPanel, Grid, Levels, PanelOptions, contour_panels};

pub const MODEL: &str = include_str!("../paper/banana.vi");

pub const DIVERGENCES: [Divergence; 4] = [
    Divergence::Kl,
    Divergence::Fkl,
    Divergence::Chi2,
    Divergence::Hellinger,
];

#[derive(Clone, Debug)]
pub struct Settings {
    pub components: usize,
    pub iters: usize,
    pub samples: usize,
    pub step: f64,
    pub seed: u64,
    /// vippl's defaults instead of the paper's optimizer settings.
    pub defaults: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            components: 5,
            iters: 3001,
            samples: 30,
            step: 0.01,
            seed: 2,
            defaults: false,
        }
    }
}

impl Settings {
    pub fn config(&self, divergence: Divergence) -> FitConfig {
        if self.defaults {
            return FitConfig {
                family: Some(FamilyKind::Mixture(self.components)),
                divergence,
                seed: self.seed,
                ..FitConfig::default()
            };
        }
        FitConfig {
            family: Some(FamilyKind::Mixture(self.components)),
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
    compile_model("banana.vi", MODEL, Vec::new())
}

/// log p of the normalized banana (Z = π).
pub fn log_p(x: f64, y: f64) -> f64 {
    -(x - 1.0).powi(2) - (y - x * x).powi(2) - std::f64::consts::PI.ln()
}

/// KL(q‖p) and KL(p‖q) by the midpoint rule on x₁ ∈ [−4, 6], x₂ ∈ [−6, 30]
/// (401 × 1201 points, as in the reference numbers), and the mass of q
/// inside that box.
pub fn divergences(q: &Approximation) -> Result<(f64, f64, f64), String> {
    let dens = Density::new(q)?;
    let (n1, n2) = (401, 1201);
    let (h1, h2) = (10.0 / n1 as f64, 36.0 / n2 as f64);
    let mut pts = Vec::with_capacity(n1 * n2);
    let mut mass = 0.0;
    for i in 0..n1 {
        let x = -4.0 + (i as f64 + 0.5) * h1;
        for j in 0..n2 {
            let y = -6.0 + (j as f64 + 0.5) * h2;
            let lq = dens.log(&[x, y]);
            mass += lq.exp() * h1 * h2;
            pts.push((h1 * h2, lq, log_p(x, y)));
        }
    }
    let (a, b) = kl_pair(&pts);
    Ok((a, b, mass))
}

/// One divergence's fit and its numbers.
pub struct FitRow {
    pub divergence: Divergence,
    pub approximation: Approximation,
    pub kl_qp: f64,
    pub kl_pq: f64,
    pub mass_in_box: f64,
    pub iterations: usize,
}

pub fn fit_one(model: &CompiledModel, div: Divergence, s: &Settings) -> Result<FitRow, String> {
    let res = fit(model, &s.config(div), &mut Silent).map_err(|e| format!("{div}: {e}"))?;
    let (kl_qp, kl_pq, mass_in_box) = divergences(&res.approximation)?;
    Ok(FitRow {
        divergence: div,
        approximation: res.approximation,
        kl_qp,
        kl_pq,
        mass_in_box,
        iterations: res.iterations,
    })
}

pub fn label(div: Divergence) -> &'static str {
    match div {
        Divergence::Kl => "reverse KL",
        Divergence::Fkl => "forward KL",
        Divergence::Chi2 => "χ²",
        Divergence::Hellinger => "Hellinger",
        Divergence::Alpha(_) => "α",
    }
}

pub struct Report {
    pub rows: Vec<FitRow>,
    pub figure: PathBuf,
    pub table: PathBuf,
}

/// Fits `divergences`, draws `banana.png` and writes `banana.md` into `out`.
pub fn run(s: &Settings, divergences_: &[Divergence], out: &Path) -> Result<Report, String> {
    let model = compile()?;
    let mut rows = Vec::new();
    for &div in divergences_ {
        rows.push(fit_one(&model, div, s)?);
    }
    // The paper's view of the banana (x₁ ∈ [−1, 2.7], x₂ ∈ [−2.8, 8]),
    // widened so that the arms' 95 % tips are inside.
    let grid = Grid::new((-1.6, 3.3), (-2.8, 10.5), 197, 267)?;
    let target = grid.evaluate(|x, y| log_p(x, y).exp());
    let mut panels = vec![ContourPanel {
        title: "target: log p = −(x₁ − 1)² − (x₂ − x₁²)² − log π".into(),
        fields: vec![(String::new(), target.clone())],
        shade: true,
    }];
    for r in &rows {
        let dens = Density::new(&r.approximation)?;
        let field = grid.evaluate(|x, y| dens.log(&[x, y]).exp());
        panels.push(ContourPanel {
            title: format!(
                "{}: KL(q‖p) {:.3}, KL(p‖q) {:.3}",
                label(r.divergence),
                r.kl_qp,
                r.kl_pq
            ),
            fields: vec![(String::new(), target.clone()), (String::new(), field)],
            shade: false,
        });
    }
    let figure = out.join("banana.png");
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    contour_panels(
        &figure,
        &grid,
        &panels,
        &ContourOptions {
            x_label: "x₁".into(),
            y_label: "x₂".into(),
            levels: Levels::Mass(vec![0.5, 0.8, 0.95]),
            ..ContourOptions::default()
        },
        &PanelOptions {
            title: Some(format!(
                "Banana target (blue) and {}-component mixture fits (orange): 50/80/95 % regions",
                s.components
            )),
            columns: panels.len().min(3),
            panel_size: (460, 520),
        },
    )?;
    super::compact_png(&figure)?;
    let table_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut w = match &r.approximation {
                Approximation::Mixture { weights, .. } => weights.clone(),
                _ => vec![1.0],
            };
            w.sort_by(|a, b| b.total_cmp(a));
            vec![
                r.divergence.to_string(),
                w.iter()
                    .map(|v| format!("{v:.3}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                format!("{:.3}", r.kl_qp),
                format!("{:.3}", r.kl_pq),
                format!("{:.4}", r.mass_in_box),
                r.iterations.to_string(),
            ]
        })
        .collect();
    let how = if s.defaults {
        "vippl's defaults (forward Euler, automatic step, mode-centred start, stopping rule)"
            .to_string()
    } else {
        format!(
            "Adam {}, {} iterations, {} samples per component, `--init zero`",
            s.step, s.iters, s.samples
        )
    };
    let text = format!(
        "# Banana target, {}-component mixture\n\n{how}; seed {}. Divergences of the fitted q \
         by the midpoint rule on x₁ ∈ [−4, 6], x₂ ∈ [−6, 30] (401 × 1201 points, Z = π).\n\n{}",
        s.components,
        s.seed,
        markdown_table(
            &[
                "divergence",
                "sorted weights",
                "KL(q‖p)",
                "KL(p‖q)",
                "q mass in box",
                "iterations",
            ],
            &table_rows
        )
    );
    let table = write_text(out, "banana.md", &text)?;
    Ok(Report {
        rows,
        figure,
        table,
    })
}
