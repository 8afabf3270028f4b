//! The mean-field path holds nothing of size d × d: a fit of 100 000
//! independent normals, where one d × d matrix would be 80 GB (more than
//! the machines it runs on hold) and a dense Hessian 100 000
//! Hessian–vector products (counted here), from the start to the returned q.

use crate::infer_targets::IidNormal;
use std::sync::atomic::{AtomicUsize, Ordering};
use vippl::infer::{Approximation, FamilyKind, FitConfig, Init, Silent, Target, fit};

/// [`IidNormal`] counting its Hessian–vector products and refusing a
/// dense Hessian.
struct Counted {
    inner: IidNormal,
    products: AtomicUsize,
}

impl Target for Counted {
    type Workspace = ();
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn workspace(&self) {}
    fn log_density(&self, ws: &mut (), x: &[f64]) -> f64 {
        self.inner.log_density(ws, x)
    }
    fn log_density_and_gradient(&self, ws: &mut (), x: &[f64], g: &mut [f64]) -> f64 {
        self.inner.log_density_and_gradient(ws, x, g)
    }
    fn hessian_vector(&self, ws: &mut (), x: &[f64], v: &[f64], out: &mut [f64]) -> f64 {
        self.products.fetch_add(1, Ordering::Relaxed);
        self.inner.hessian_vector(ws, x, v, out)
    }
    fn hessian(&self, _: &mut (), _: &[f64], _: &mut [f64]) -> f64 {
        panic!("a dense Hessian on the mean-field path")
    }
}

#[test]
fn a_mean_field_fit_of_100_000_coordinates_needs_no_dense_matrix() {
    let d = 100_000;
    let target = Counted {
        inner: IidNormal(d),
        products: AtomicUsize::new(0),
    };
    let config = FitConfig {
        family: Some(FamilyKind::MeanField),
        init: Some(Init::Map),
        iters: 8,
        elbo_samples: 10,
        draws: 0,
        seed: 3,
        ..FitConfig::default()
    };
    let result = fit(&target, &config, &mut Silent).expect("a fit");
    // The start's diagonal curvature and the step's power iteration take a
    // few dozen products; a dense Hessian would take d.
    let products = target.products.load(Ordering::Relaxed);
    assert!(products < 1000, "{products} Hessian–vector products");
    let Approximation::MeanField { mean, sd } = &result.approximation else {
        panic!("not a mean-field approximation")
    };
    assert_eq!((mean.len(), sd.len()), (d, d));
    // The start is the exact optimum (the target's Hessian is diagonal, so
    // its estimated diagonal is exact); the flow's Euler steps then jitter
    // around it. With step h ≤ ½ and n = 16 draws the whitened mean has a
    // stationary sd of at most √(h/(n(2 − h))) ≤ 0.15, the sd a relative one
    // of the same order, so the average over d coordinates of the absolute
    // errors (≈ 0.8 of that sd) is below 0.12; 0.2 leaves room for the
    // window average's own fluctuation, which only shrinks it.
    let mean_error = (0..d)
        .map(|i| ((mean[i] - IidNormal::mean(i)) / IidNormal::sd(i)).abs())
        .sum::<f64>()
        / d as f64;
    let sd_error = (0..d)
        .map(|i| (sd[i] / IidNormal::sd(i) - 1.0).abs())
        .sum::<f64>()
        / d as f64;
    assert!(mean_error < 0.2, "mean error {mean_error} sd");
    assert!(sd_error < 0.2, "relative sd error {sd_error}");
}
