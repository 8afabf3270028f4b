//! The illustrative example (§6.1): a correlated Gaussian target, full-rank
//! Gaussian q started far away at N((4, 2), 0.64 I), plain forward-Euler
//! steps of 0.01. Four ways to move q towards the target:
//!
//! - BBVI-rep: `vippl` with `--estimator rep` (reparameterization gradient
//!   with the closed-form entropy gradient);
//! - BBVI-path: `vippl`'s default path-derivative estimator — the forward
//!   Euler scheme of the Bures–Wasserstein gradient flow;
//! - the covariance ODE of Lambert et al. integrated by forward Euler on
//!   (μ, Σ), with the same Monte Carlo expectations (written here, not in
//!   the library: it is the reference the flow is compared with);
//! - Langevin particles (an Ornstein–Uhlenbeck process for this target),
//!   whose law follows the Wasserstein gradient flow of KL exactly.
//!
//! The W₂ distance to the target is computed in closed form every iteration.

use super::{Recorder, compile_model, markdown_table, write_text};
use rand::RngExt;
use rand_distr::StandardNormal;
use std::path::{Path, PathBuf};
use vippl::density::CompiledModel;
use vippl::infer::{
    Algorithm, Approximation, Divergence, Estimator, FamilyKind, FitConfig, Optimizer,
    Precondition, Step, Target, fit_from,
};
use vippl::plot::{Corner, Line, LineColor, Panel, PanelOptions, line_panels};
use vippl::random::stream;

pub const MODEL: &str = include_str!("../paper/gaussian.vi");

/// The target's covariance Σ_p (row-major); its mean is 0.
pub const TARGET_COV: [f64; 4] = [0.8, 0.64, 0.64, 0.8];

#[derive(Clone, Debug)]
pub struct Settings {
    /// Recorded states per run: the start and `iters − 1` steps.
    pub iters: usize,
    pub step: f64,
    /// Monte Carlo samples per step; one run (one figure row) per entry.
    pub samples: Vec<usize>,
    /// Langevin particles.
    pub particles: usize,
    pub seed: u64,
}

impl Default for Settings {
    /// The paper's settings: 1001 iterations, step 0.01, 5 and 100 samples,
    /// 300 particles.
    fn default() -> Settings {
        Settings {
            iters: 1001,
            step: 0.01,
            samples: vec![5, 100],
            particles: 300,
            seed: 123,
        }
    }
}

/// A 2-D Gaussian: mean and row-major covariance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gauss2 {
    pub mean: [f64; 2],
    pub cov: [f64; 4],
}

pub fn target() -> Gauss2 {
    Gauss2 {
        mean: [0.0, 0.0],
        cov: TARGET_COV,
    }
}

/// The paper's starting q: N((4, 2), 0.8² I), full scale matrix 0.8 I.
pub fn start() -> Approximation {
    Approximation::FullRank {
        mean: vec![4.0, 2.0],
        scale: vec![0.8, 0.0, 0.0, 0.8],
    }
}

/// W₂ between two 2-D Gaussians in closed form: for 2 × 2 SPD M,
/// tr √M = √(tr M + 2 √det M), applied to M = Σ₁^{½} Σ₂ Σ₁^{½} (whose trace
/// is tr Σ₁Σ₂ and determinant det Σ₁ det Σ₂).
pub fn w2(a: &Gauss2, b: &Gauss2) -> f64 {
    let dm = (a.mean[0] - b.mean[0]).powi(2) + (a.mean[1] - b.mean[1]).powi(2);
    let (s, t) = (a.cov, b.cov);
    let tr_st = s[0] * t[0] + s[1] * t[2] + s[2] * t[1] + s[3] * t[3];
    let det = |m: [f64; 4]| m[0] * m[3] - m[1] * m[2];
    let cross = (tr_st + 2.0 * (det(s) * det(t)).max(0.0).sqrt())
        .max(0.0)
        .sqrt();
    (dm + s[0] + s[3] + t[0] + t[3] - 2.0 * cross)
        .max(0.0)
        .sqrt()
}

/// One method's path: the Gaussian after each step.
#[derive(Clone, Debug)]
pub struct Trajectory {
    pub method: &'static str,
    pub path: Vec<Gauss2>,
}

impl Trajectory {
    pub fn w2(&self) -> Vec<f64> {
        let p = target();
        self.path.iter().map(|g| w2(g, &p)).collect()
    }
}

pub fn compile() -> Result<CompiledModel, String> {
    compile_model("gaussian.vi", MODEL, Vec::new())
}

/// BBVI with plain SGD through the library, recording q every iteration.
pub fn bbvi(
    model: &CompiledModel,
    estimator: Estimator,
    samples: usize,
    s: &Settings,
) -> Result<Trajectory, String> {
    let config = FitConfig {
        algorithm: Algorithm::Bw,
        family: Some(FamilyKind::FullRank),
        divergence: Divergence::Kl,
        estimator,
        optimizer: Optimizer::Euler,
        step: Step::Fixed(s.step),
        samples: Some(samples),
        iters: s.iters,
        // Never stop early: the whole trajectory is the result.
        tol: 0.0,
        seed: s.seed,
        draws: 100,
        // Plain SGD: no step rejection or halving.
        step_control: false,
        // The plain flow of the paper: its own coordinates, and a fixed
        // number of iterations.
        precondition: Some(Precondition::None),
        grad_tol: None,
        ..FitConfig::default()
    };
    let mut rec = Recorder::default();
    fit_from(model, &config, &start(), &mut rec).map_err(|e| e.to_string())?;
    let path = rec
        .parameters
        .iter()
        .map(|p| {
            // [μ (2), S (2 × 2 row-major)], Σ = S Sᵀ
            let sm = &p[2..6];
            Gauss2 {
                mean: [p[0], p[1]],
                cov: [
                    sm[0] * sm[0] + sm[1] * sm[1],
                    sm[0] * sm[2] + sm[1] * sm[3],
                    sm[0] * sm[2] + sm[1] * sm[3],
                    sm[2] * sm[2] + sm[3] * sm[3],
                ],
            }
        })
        .collect();
    Ok(Trajectory {
        method: match estimator {
            Estimator::Rep => "BBVI-rep",
            Estimator::Path => "BBVI-path",
        },
        path,
    })
}

/// Lower Cholesky factor of a 2 × 2 SPD matrix; `None` if not SPD.
fn chol2(c: [f64; 4]) -> Option<[f64; 3]> {
    // Written so that NaN is rejected too.
    if c[0].is_nan() || c[0] <= 0.0 {
        return None;
    }
    let l00 = c[0].sqrt();
    let l10 = c[2] / l00;
    let r = c[3] - l10 * l10;
    if r.is_nan() || r <= 0.0 {
        return None;
    }
    Some([l00, l10, r.sqrt()])
}

fn grad(
    model: &CompiledModel,
    ws: &mut <CompiledModel as Target>::Workspace,
    x: [f64; 2],
) -> [f64; 2] {
    let mut g = [0.0; 2];
    model.log_density_and_gradient(ws, &x, &mut g);
    g
}

/// Forward Euler on the covariance ODE dμ/dt = E[g], dΣ/dt = E[g (x − μ)ᵀ +
/// (x − μ) gᵀ] with g = ∇log p − ∇log q and x ~ N(μ, Σ) (`samples` draws
/// per step). Unlike the reference notebook, x − μ uses the current μ, not
/// the updated one (a proper forward Euler step).
pub fn ode(model: &CompiledModel, samples: usize, s: &Settings) -> Result<Trajectory, String> {
    let mut ws = model.workspace();
    let mut q = Gauss2 {
        mean: [4.0, 2.0],
        cov: [0.64, 0.0, 0.0, 0.64],
    };
    let mut path = vec![q];
    for t in 1..s.iters {
        let l = chol2(q.cov)
            .ok_or_else(|| format!("ODE scheme: Σ left the positive-definite cone at step {t}"))?;
        let det = q.cov[0] * q.cov[3] - q.cov[1] * q.cov[2];
        let prec = [
            q.cov[3] / det,
            -q.cov[1] / det,
            -q.cov[2] / det,
            q.cov[0] / det,
        ];
        let mut rng = stream(s.seed, &[0x0DE, samples as u64, t as u64]);
        let (mut gm, mut gs) = ([0.0; 2], [0.0; 4]);
        for _ in 0..samples {
            let e: [f64; 2] = [rng.sample(StandardNormal), rng.sample(StandardNormal)];
            let dx = [l[0] * e[0], l[1] * e[0] + l[2] * e[1]];
            let x = [q.mean[0] + dx[0], q.mean[1] + dx[1]];
            let gp = grad(model, &mut ws, x);
            // ∇log q(x) = −Σ⁻¹(x − μ)
            let g = [
                gp[0] + prec[0] * dx[0] + prec[1] * dx[1],
                gp[1] + prec[2] * dx[0] + prec[3] * dx[1],
            ];
            for i in 0..2 {
                gm[i] += g[i] / samples as f64;
                for j in 0..2 {
                    gs[2 * i + j] += (g[i] * dx[j] + dx[i] * g[j]) / samples as f64;
                }
            }
        }
        for (m, g) in q.mean.iter_mut().zip(gm) {
            *m += s.step * g;
        }
        for (c, g) in q.cov.iter_mut().zip(gs) {
            *c += s.step * g;
        }
        path.push(q);
    }
    Ok(Trajectory {
        method: "Σ-ODE (Euler)",
        path,
    })
}

/// Unadjusted Langevin particles x ← x + h ∇log p(x) + √(2h) ξ from q₀;
/// the Gaussian of their mean and covariance.
pub fn langevin(model: &CompiledModel, s: &Settings) -> Trajectory {
    let mut ws = model.workspace();
    let mut rng = stream(s.seed, &[0x1A6, 0]);
    let mut xs: Vec<[f64; 2]> = (0..s.particles)
        .map(|_| {
            let a: f64 = rng.sample(StandardNormal);
            let b: f64 = rng.sample(StandardNormal);
            [4.0 + 0.8 * a, 2.0 + 0.8 * b]
        })
        .collect();
    let moments = |xs: &[[f64; 2]]| {
        let n = xs.len() as f64;
        let m = [
            xs.iter().map(|x| x[0]).sum::<f64>() / n,
            xs.iter().map(|x| x[1]).sum::<f64>() / n,
        ];
        let mut c = [0.0; 4];
        for x in xs {
            let d = [x[0] - m[0], x[1] - m[1]];
            c[0] += d[0] * d[0] / (n - 1.0);
            c[1] += d[0] * d[1] / (n - 1.0);
            c[3] += d[1] * d[1] / (n - 1.0);
        }
        c[2] = c[1];
        Gauss2 { mean: m, cov: c }
    };
    let mut path = vec![moments(&xs)];
    let noise = (2.0 * s.step).sqrt();
    for _ in 1..s.iters {
        for x in xs.iter_mut() {
            let g = grad(model, &mut ws, *x);
            for i in 0..2 {
                let z: f64 = rng.sample(StandardNormal);
                x[i] += s.step * g[i] + noise * z;
            }
        }
        path.push(moments(&xs));
    }
    Trajectory {
        method: "Langevin particles",
        path,
    }
}

/// All four methods with `samples` Monte Carlo samples per step.
pub fn run_one(
    model: &CompiledModel,
    samples: usize,
    s: &Settings,
) -> Result<Vec<Trajectory>, String> {
    Ok(vec![
        bbvi(model, Estimator::Rep, samples, s)?,
        bbvi(model, Estimator::Path, samples, s)?,
        ode(model, samples, s)?,
        langevin(model, s),
    ])
}

/// Points of the 2-sd ellipse of a Gaussian.
pub fn ellipse(g: &Gauss2) -> Vec<(f64, f64)> {
    let Some(l) = chol2(g.cov) else {
        return Vec::new();
    };
    (0..=96)
        .map(|k| {
            let t = k as f64 / 96.0 * std::f64::consts::TAU;
            let (c, s) = (2.0 * t.cos(), 2.0 * t.sin());
            (g.mean[0] + l[0] * c, g.mean[1] + l[1] * c + l[2] * s)
        })
        .collect()
}

/// The line style of method `i` (the order of [`run_one`]): BBVI-path wide
/// underneath, the ODE dashed on top of it, since the two coincide.
fn method_line(i: usize, method: &str, points: Vec<(f64, f64)>) -> Line {
    let mut line = Line::new(method, points, LineColor::Palette(i));
    match i {
        1 => line.width = 5,
        2 => {
            line.dashed = true;
            line.color = LineColor::Black;
        }
        _ => {}
    }
    line
}

/// What [`run`] produced.
pub struct Report {
    pub runs: Vec<(usize, Vec<Trajectory>)>,
    pub figure: PathBuf,
    pub table: PathBuf,
}

/// Iteration whose ellipse is drawn mid-way (the paper's).
const MID: usize = 30;

/// Runs every sample size, draws `illustrative.png` and writes
/// `illustrative.md` into `out`.
pub fn run(s: &Settings, out: &Path) -> Result<Report, String> {
    let model = compile()?;
    let mut runs = Vec::new();
    for &n in &s.samples {
        runs.push((n, run_one(&model, n, s)?));
    }
    let nan = (f64::NAN, f64::NAN);
    let mut panels = Vec::new();
    for (n, trajs) in &runs {
        let last = trajs[0].path.len() - 1;
        let mid = MID.min(last);
        // The target as a wide grey band underneath: the final ellipses
        // should land on it.
        let mut target_line = Line::new("target (2 sd)", ellipse(&target()), LineColor::Gray);
        target_line.width = 9;
        let mut q0 = Line::new("q₀", ellipse(&trajs[0].path[0]), LineColor::Gray);
        q0.dashed = true;
        let mut lines = vec![target_line, q0];
        for (i, t) in trajs.iter().enumerate() {
            let mut pts: Vec<(f64, f64)> = t.path.iter().map(|g| (g.mean[0], g.mean[1])).collect();
            for k in [mid, last] {
                pts.push(nan);
                pts.extend(ellipse(&t.path[k]));
            }
            lines.push(method_line(i, t.method, pts));
        }
        panels.push(Panel {
            title: format!(
                "{n} samples per step: means and 2-sd ellipses (iterations {mid}, {last})"
            ),
            x_label: "x₁".into(),
            y_label: "x₂".into(),
            lines,
            x_range: Some((-2.6, 6.0)),
            y_range: Some((-2.6, 4.0)),
            log_y: false,
            legend: true,
            legend_at: Corner::UpperLeft,
        });
        let w_lines = trajs
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let pts = t
                    .w2()
                    .into_iter()
                    .enumerate()
                    .map(|(k, w)| (k as f64, w))
                    .collect();
                method_line(i, t.method, pts)
            })
            .collect();
        panels.push(Panel {
            title: format!("{n} samples per step: W₂(q_t, p)"),
            x_label: "iteration".into(),
            y_label: "W₂ distance to the target".into(),
            lines: w_lines,
            x_range: None,
            y_range: None,
            log_y: true,
            legend: true,
            legend_at: Corner::LowerLeft,
        });
    }
    let figure = out.join("illustrative.png");
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    line_panels(
        &figure,
        &panels,
        &PanelOptions {
            title: Some(format!(
                "Gaussian target, forward Euler with step {} from N((4, 2), 0.64 I)",
                s.step
            )),
            columns: 2,
            panel_size: (640, 500),
        },
    )?;
    super::compact_png(&figure)?;
    let mut rows = Vec::new();
    for (n, trajs) in &runs {
        for t in trajs {
            let w = t.w2();
            let last = w.len() - 1;
            let tail = &w[w.len().saturating_sub(100)..];
            rows.push(vec![
                n.to_string(),
                t.method.to_string(),
                format!("{:.3}", w[0]),
                format!("{:.3}", w[MID.min(last)]),
                format!("{:.2e}", w[last]),
                format!("{:.2e}", tail.iter().sum::<f64>() / tail.len() as f64),
            ]);
        }
    }
    let last = runs.first().map_or(0, |r| r.1[0].path.len() - 1);
    let text = format!(
        "# Illustrative example: W₂ distance to the target\n\n\
         Forward Euler with step {}, {} iterations, seed {}; W₂ in closed form.\n\n{}",
        s.step,
        s.iters,
        s.seed,
        markdown_table(
            &[
                "samples",
                "method",
                "W₂ at 0",
                &format!("W₂ at {}", MID.min(last)),
                &format!("W₂ at {last}"),
                "mean W₂, last 100",
            ],
            &rows
        )
    );
    let table = write_text(out, "illustrative.md", &text)?;
    Ok(Report {
        runs,
        figure,
        table,
    })
}
