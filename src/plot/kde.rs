//! Gaussian kernel density estimates for drawing marginal and pair plots.

use crate::output::stats;

/// Silverman's rule of thumb, h = 0.9 · min(sd, IQR/1.34) · n^(−1/5), with
/// `n` the effective sample size under importance weights. Robust to heavy
/// tails through the IQR; falls back to the sd when the IQR is 0 and to a
/// small positive width for constant data, so a degenerate column still
/// draws as a spike rather than failing.
pub fn silverman_bandwidth(x: &[f64], weights: Option<&[f64]>) -> Result<f64, String> {
    let finite: Vec<usize> = (0..x.len()).filter(|&i| x[i].is_finite()).collect();
    if finite.len() < 2 {
        return Err("a density estimate needs at least two finite values".into());
    }
    let xs: Vec<f64> = finite.iter().map(|&i| x[i]).collect();
    let (sd, q, n) = match weights {
        None => (
            stats::sd(&xs),
            stats::quantiles(&xs, &[0.25, 0.75]),
            xs.len() as f64,
        ),
        Some(w) => {
            stats::check_weights(x.len(), w)?;
            let ws: Vec<f64> = finite.iter().map(|&i| w[i]).collect();
            let mcse = stats::mean_mcse(&xs, Some(&ws))?;
            (
                stats::weighted_sd(&xs, &ws)?,
                stats::weighted_quantiles(&xs, &ws, &[0.25, 0.75])?,
                mcse.ess,
            )
        }
    };
    let iqr = q[1] - q[0];
    let mut spread = if iqr > 0.0 { sd.min(iqr / 1.34) } else { sd };
    if !(spread > 0.0 && spread.is_finite()) {
        let scale = xs.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1.0);
        spread = 1e-3 * scale;
    }
    Ok(0.9 * spread * n.max(1.0).powf(-0.2))
}

/// A density estimate on an evenly spaced grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Kde1 {
    pub x: Vec<f64>,
    pub density: Vec<f64>,
    pub bandwidth: f64,
}

const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// Gaussian KDE of the finite values of `x` (optionally weighted), on
/// `points` grid points spanning `range` (default: the 0.1 %–99.9 %
/// quantiles widened by three bandwidths, so a few extreme draws do not
/// squash the plot). Integrates to 1 over the real line.
pub fn kde_1d(
    x: &[f64],
    weights: Option<&[f64]>,
    range: Option<(f64, f64)>,
    points: usize,
) -> Result<Kde1, String> {
    let h = silverman_bandwidth(x, weights)?;
    let pairs: Vec<(f64, f64)> = x
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .map(|(i, v)| (*v, weights.map_or(1.0, |w| w[i])))
        .filter(|(_, w)| *w > 0.0)
        .collect();
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    let (lo, hi) = match range {
        Some((a, b)) if a < b && a.is_finite() && b.is_finite() => (a, b),
        Some((a, b)) => return Err(format!("density range {a}..{b} is empty or not finite")),
        None => {
            let xs: Vec<f64> = pairs.iter().map(|p| p.0).collect();
            let q = stats::quantiles(&xs, &[0.001, 0.999]);
            (q[0] - 3.0 * h, q[1] + 3.0 * h)
        }
    };
    let points = points.max(2);
    let step = (hi - lo) / (points - 1) as f64;
    let grid: Vec<f64> = (0..points).map(|i| lo + step * i as f64).collect();
    let norm = INV_SQRT_2PI / (h * total);
    let density = grid
        .iter()
        .map(|&g| {
            pairs
                .iter()
                .map(|&(v, w)| {
                    let z = (g - v) / h;
                    // Beyond 8 bandwidths a kernel adds nothing representable.
                    if z.abs() < 8.0 {
                        w * (-0.5 * z * z).exp()
                    } else {
                        0.0
                    }
                })
                .sum::<f64>()
                * norm
        })
        .collect();
    Ok(Kde1 {
        x: grid,
        density,
        bandwidth: h,
    })
}

/// Product-Gaussian KDE of paired draws on an `nx × ny` grid over the box
/// `(x_range, y_range)`; values are row-major in y (`v[j * nx + i]` at
/// (xᵢ, yⱼ)), as [`Grid`](super::Grid) lays them out. Bandwidths per axis
/// are the robust spread times Scott's factor n^(−1/6) for two dimensions.
/// Separable kernels make the cost n·(nx + ny) exponentials.
pub fn kde_2d(
    x: &[f64],
    y: &[f64],
    (x_range, y_range): ((f64, f64), (f64, f64)),
    (nx, ny): (usize, usize),
) -> Result<Vec<f64>, String> {
    if x.len() != y.len() {
        return Err(format!("{} x values but {} y values", x.len(), y.len()));
    }
    let keep: Vec<usize> = (0..x.len())
        .filter(|&i| x[i].is_finite() && y[i].is_finite())
        .collect();
    if keep.len() < 2 {
        return Err("a density estimate needs at least two finite pairs".into());
    }
    let xs: Vec<f64> = keep.iter().map(|&i| x[i]).collect();
    let ys: Vec<f64> = keep.iter().map(|&i| y[i]).collect();
    let n = xs.len() as f64;
    // Silverman's 1-D width is 0.9 · spread · n^(−1/5); keep the spread.
    let adjust = n.powf(0.2 - 1.0 / 6.0) / 0.9;
    let hx = silverman_bandwidth(&xs, None)? * adjust;
    let hy = silverman_bandwidth(&ys, None)? * adjust;
    let axis = |(lo, hi): (f64, f64), k: usize| -> Vec<f64> {
        let step = (hi - lo) / (k.max(2) - 1) as f64;
        (0..k).map(|i| lo + step * i as f64).collect()
    };
    let gx = axis(x_range, nx);
    let gy = axis(y_range, ny);
    let mut out = vec![0.0; nx * ny];
    let mut kx = vec![0.0; nx];
    let mut ky = vec![0.0; ny];
    let kern = |d: f64, h: f64| {
        let z = d / h;
        if z.abs() < 8.0 {
            (-0.5 * z * z).exp()
        } else {
            0.0
        }
    };
    for (&a, &b) in xs.iter().zip(&ys) {
        for (k, g) in kx.iter_mut().zip(&gx) {
            *k = kern(g - a, hx);
        }
        for (k, g) in ky.iter_mut().zip(&gy) {
            *k = kern(g - b, hy);
        }
        for (j, &wy) in ky.iter().enumerate() {
            if wy == 0.0 {
                continue;
            }
            let row = &mut out[j * nx..(j + 1) * nx];
            for (o, &wx) in row.iter_mut().zip(&kx) {
                *o += wx * wy;
            }
        }
    }
    let norm = INV_SQRT_2PI * INV_SQRT_2PI / (hx * hy * n);
    for v in &mut out {
        *v *= norm;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    fn normals(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = crate::random::VRng::seed_from_u64(seed);
        (0..n).map(|_| StandardNormal.sample(&mut rng)).collect()
    }

    #[test]
    fn bandwidth_follows_silverman() {
        // Known values: sd = 1.2909944, IQR (type 7) = 1.5 → 1.5/1.34 = 1.1194
        // h = 0.9 * 1.1194 * 4^(-1/5) = 0.77144
        let h = silverman_bandwidth(&[1.0, 2.0, 3.0, 4.0], None).unwrap();
        assert!((h - 0.9 * (1.5 / 1.34) * 4f64.powf(-0.2)).abs() < 1e-12);
        assert!(silverman_bandwidth(&[1.0], None).is_err());
        assert!(silverman_bandwidth(&[2.0, 2.0, 2.0], None).unwrap() > 0.0);
    }

    #[test]
    fn kde_integrates_to_one_and_matches_the_normal_density() {
        let x = normals(4000, 1);
        let k = kde_1d(&x, None, Some((-6.0, 6.0)), 601).unwrap();
        let dx = k.x[1] - k.x[0];
        let mass: f64 = k.density.iter().sum::<f64>() * dx;
        assert!((mass - 1.0).abs() < 1e-3, "{mass}");
        // At 0 the estimate of φ(0) = 0.3989 is smoothed by h (~0.2): expected
        // value φ_{√(1+h²)}(0); its sd for n = 4000 is about 0.006, so 0.03
        // is a 5-sigma band.
        let at0 = k.density[300];
        let smoothed = INV_SQRT_2PI / (1.0 + k.bandwidth * k.bandwidth).sqrt();
        assert!((at0 - smoothed).abs() < 0.03, "{at0} vs {smoothed}");
    }

    #[test]
    fn weighted_kde_follows_the_weights() {
        let x = [0.0, 0.0, 10.0, 10.0];
        let k = kde_1d(&x, Some(&[1.0, 1.0, 0.0, 0.0]), Some((-5.0, 15.0)), 201).unwrap();
        let near10 = k.density[150];
        assert_eq!(near10, 0.0);
        assert!(k.density[50] > 0.1);
    }

    #[test]
    fn kde_2d_integrates_to_one() {
        let x = normals(2000, 2);
        let y = normals(2000, 3);
        let (nx, ny) = (121, 101);
        let d = kde_2d(&x, &y, ((-6.0, 6.0), (-6.0, 6.0)), (nx, ny)).unwrap();
        let cell = (12.0 / 120.0) * (12.0 / 100.0);
        let mass: f64 = d.iter().sum::<f64>() * cell;
        assert!((mass - 1.0).abs() < 1e-2, "{mass}");
        assert!(kde_2d(&x, &y[..5], ((-1.0, 1.0), (-1.0, 1.0)), (5, 5)).is_err());
    }
}
