//! Reverse rules of the structured parameter transforms (`cov_matrix`,
//! `corr_matrix`, `cholesky_factor_cov` square and 2K × K,
//! `unit_vector`, `sum_to_zero_vector`): time per vector–Jacobian product
//! of the hand-written rule against one forward dual-number sweep per free
//! coordinate through `constrain` (the rule they replace), for K = 5, 10,
//! 20. Run with `cargo bench --bench transforms`.

use num_dual::Dual64;
use std::hint::black_box;
use std::time::Instant;
use vippl::transform::{Transform, constrain, constrain_vjp, free_dim};

/// The previous rule: one forward sweep per free coordinate, allocating
/// its dual copies on every call.
fn reverse_by_duals(t: Transform, u: &[f64], w: &[f64], c: f64, out: &mut [f64]) {
    let mut ud: Vec<Dual64> = u.iter().map(|&v| Dual64::from(v)).collect();
    let mut xd = vec![Dual64::from(0.0); w.len()];
    for j in 0..u.len() {
        ud[j].eps = 1.0;
        let lj = constrain(t, &ud, &[], &[], &mut xd);
        ud[j].eps = 0.0;
        out[j] += c * lj.eps + xd.iter().zip(w).map(|(x, a)| x.eps * a).sum::<f64>();
    }
}

/// Seconds per call of `f`, over enough calls to take about 0.2 s.
fn time_per_call(mut f: impl FnMut()) -> f64 {
    let mut calls = 1usize;
    loop {
        let start = Instant::now();
        for _ in 0..calls {
            f();
        }
        let elapsed = start.elapsed().as_secs_f64();
        if elapsed > 0.2 {
            return elapsed / calls as f64;
        }
        calls *= 4;
    }
}

fn main() {
    println!("transform            K   hand-written (µs)   dual sweeps (µs)   ratio");
    for kind in 0..6 {
        for k in [5usize, 10, 20] {
            let t = [
                Transform::CovMatrix,
                Transform::CorrMatrix,
                Transform::CholeskyCov,
                Transform::CholeskyCovTall { cols: k },
                Transform::UnitVector,
                Transform::SumToZero,
            ][kind];
            let n = match t {
                Transform::CovMatrix | Transform::CorrMatrix | Transform::CholeskyCov => k * k,
                Transform::CholeskyCovTall { .. } => 2 * k * k,
                _ => k,
            };
            let m = free_dim(t, n);
            let u: Vec<f64> = (0..m).map(|i| ((i * 7 % 11) as f64 - 5.0) / 7.0).collect();
            let w: Vec<f64> = (0..n).map(|i| ((i * 5 % 13) as f64 - 6.0) / 9.0).collect();
            let mut adj = vec![0.0; m];
            let mut scratch = Vec::new();
            let new = time_per_call(|| {
                constrain_vjp(
                    t,
                    black_box(&u),
                    &[],
                    &[],
                    black_box(&w),
                    0.5,
                    &mut adj,
                    &mut [],
                    &mut [],
                    &mut scratch,
                );
            });
            let old =
                time_per_call(|| reverse_by_duals(t, black_box(&u), black_box(&w), 0.5, &mut adj));
            black_box(&adj);
            println!(
                "{:<20} {k:>2} {:>18.3} {:>18.3} {:>7.1}",
                format!("{t:?}"),
                new * 1e6,
                old * 1e6,
                old / new
            );
        }
    }
}
