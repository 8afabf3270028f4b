//! `normal_id_glm`, `bernoulli_logit_glm`, `poisson_log_glm` — Stan's generalized linear models: the outcome y_i follows the link distribution with linear predictor eta_i = alpha_i + x_i · beta, for a matrix x whose rows are the observations
//!
//! Each is the univariate density of its link (`normal`, `bernoulli_logit`,
//! `poisson_log`) at eta = alpha + x · beta, summed over the rows of x;
//! alpha (and sigma) are a scalar or one entry per row. The gradient is
//! fused: one pass over the rows gives the predictor, the log density, the
//! partial r_i = ∂lp/∂eta_i, and from it ∂/∂alpha (r, or Σ r), ∂/∂beta =
//! xᵀ·r, ∂/∂x = r·betaᵀ and ∂/∂sigma, with no per-entry dual sweep. The
//! engine runs the same sum in row chunks without this trait when x is
//! data and beta a parameter (`density::eval::glm`).

use super::bernoulli_logit::BernoulliLogit;
use super::normal::Normal;
use super::poisson_log::PoissonLog;
use super::{ArgShape, ArgSpec, DistId, DistSpec, Domain, Multivariate, Univariate, View};
use crate::random::VRng;
use crate::scalar::Scalar;

pub struct NormalIdGlm;
pub struct BernoulliLogitGlm;
pub struct PoissonLogGlm;

const X: ArgSpec = ArgSpec::new("x", ArgShape::Matrix, Domain::Real);
const ALPHA: ArgSpec = ArgSpec::new("alpha", ArgShape::Elem, Domain::Real);
const BETA: ArgSpec = ArgSpec::new("beta", ArgShape::Vector, Domain::Real);

const NORMAL: DistSpec = DistSpec {
    name: "normal_id_glm",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Real),
    args: &[
        X,
        ALPHA,
        BETA,
        ArgSpec::new("sigma", ArgShape::Elem, Domain::Positive),
    ],
    doc: "normal_id_glm(x, alpha, beta, sigma): y_i ~ normal(alpha_i + x_i · beta, sigma_i) for the rows x_i of the N × K matrix x; alpha and sigma a scalar or N-vector, beta a K-vector",
};

const BERNOULLI: DistSpec = DistSpec {
    name: "bernoulli_logit_glm",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::Binary),
    args: &[X, ALPHA, BETA],
    doc: "bernoulli_logit_glm(x, alpha, beta): y_i ~ bernoulli_logit(alpha_i + x_i · beta) for the rows x_i of the N × K matrix x; alpha a scalar or N-vector, beta a K-vector",
};

const POISSON: DistSpec = DistSpec {
    name: "poisson_log_glm",
    variate: ArgSpec::new("y", ArgShape::Elem, Domain::NonNegInt),
    args: &[X, ALPHA, BETA],
    doc: "poisson_log_glm(x, alpha, beta): y_i ~ poisson_log(alpha_i + x_i · beta) for the rows x_i of the N × K matrix x; alpha a scalar or N-vector, beta a K-vector",
};

impl DistId {
    /// The univariate distribution a GLM applies to its linear predictor
    /// (the predictor is that distribution's argument 1).
    pub fn glm_link(self) -> Option<DistId> {
        match self {
            DistId::NormalIdGlm => Some(DistId::Normal),
            DistId::BernoulliLogitGlm => Some(DistId::BernoulliLogit),
            DistId::PoissonLogGlm => Some(DistId::PoissonLog),
            _ => None,
        }
    }
}

/// The number of rows N and columns K of x, after checking that y, alpha
/// and sigma have one entry or N and beta has K.
pub fn glm_sizes(spec: &DistSpec, lens: &[usize], n: usize, k: usize) -> Result<(), String> {
    if lens[3] != k {
        return Err(format!(
            "beta has {} elements but x has {k} columns",
            lens[3]
        ));
    }
    for j in [0, 2, 4] {
        if let Some(&len) = lens.get(j) {
            if len != 1 && len != n {
                let name = if j == 0 {
                    spec.variate.name
                } else {
                    spec.args[j - 1].name
                };
                return Err(format!(
                    "{name} has {len} elements but x has {n} rows (give one per row, or a scalar)"
                ));
            }
        }
    }
    Ok(())
}

/// [`glm_sizes`] of views: (N, K).
fn sizes_of<T: Copy>(spec: &DistSpec, args: &[View<'_, T>]) -> Result<(usize, usize), String> {
    let (n, k) = (args[1].rows, args[1].cols);
    glm_sizes(spec, &lens_of(args), n, k)?;
    Ok((n, k))
}

fn lens_of<T: Copy>(args: &[View<'_, T>]) -> [usize; 5] {
    std::array::from_fn(|j| args.get(j).map_or(1, View::len))
}

/// Entry `i` of a scalar-or-per-row argument.
fn row<T: Copy>(v: &View<'_, T>, i: usize) -> T {
    if v.len() == 1 { v.data[0] } else { v.data[i] }
}

/// The linear predictor of row `i`: alpha_i + x_i · beta.
fn predictor<T: Scalar>(args: &[View<'_, T>], i: usize, k: usize) -> T {
    let (x, beta) = (&args[1], &args[3]);
    let mut eta = row(&args[2], i);
    for (&xv, &b) in x.data[i * k..(i + 1) * k].iter().zip(beta.data) {
        eta += xv * b;
    }
    eta
}

/// The summed log density of the GLM whose link distribution is `U`.
fn glm_lpdf<U: Univariate, T: Scalar>(spec: &DistSpec, args: &[View<'_, T>]) -> Result<T, String> {
    let (n, k) = sizes_of(spec, args)?;
    let mut e = [T::zero(); 3];
    let mut lp = T::zero();
    for i in 0..n {
        link_args::<U, T>(args, i, k, &mut e);
        lp += U::lpdf(&e[..U::ARITY]);
    }
    Ok(lp)
}

/// The arguments of the link distribution `U` at row `i`: the variate, the
/// linear predictor and, for a three-argument `U`, the scale.
fn link_args<U: Univariate, T: Scalar>(args: &[View<'_, T>], i: usize, k: usize, e: &mut [T; 3]) {
    e[0] = row(&args[0], i);
    e[1] = predictor(args, i, k);
    if U::ARITY == 3 {
        e[2] = row(&args[4], i);
    }
}

/// Adds `g` to the partials of a scalar-or-per-row argument at row `i`.
fn add_row<T: Scalar>(grad: &mut Option<&mut [T]>, i: usize, g: T) {
    if let Some(d) = grad {
        if d.len() == 1 {
            d[0] += g;
        } else {
            d[i] = g;
        }
    }
}

/// The log density and its partials in one pass over the rows of x.
fn glm_gradient<U: Univariate, T: Scalar>(
    spec: &DistSpec,
    args: &[View<'_, T>],
    grads: &mut [Option<&mut [T]>],
) -> Result<T, String> {
    let (n, k) = sizes_of(spec, args)?;
    for d in grads.iter_mut().flatten() {
        d.iter_mut().for_each(|v| *v = T::zero());
    }
    let (x, beta) = (&args[1], &args[3]);
    let (mut e, mut d) = ([T::zero(); 3], [T::zero(); 3]);
    let mut lp = T::zero();
    for i in 0..n {
        link_args::<U, T>(args, i, k, &mut e);
        lp += U::lpdf_partials(&e[..U::ARITY], &mut d[..U::ARITY]);
        let r = d[1];
        add_row(&mut grads[0], i, d[0]);
        add_row(&mut grads[2], i, r);
        if let Some(g) = grads[3].as_deref_mut() {
            for (gj, &xv) in g.iter_mut().zip(&x.data[i * k..(i + 1) * k]) {
                *gj += r * xv;
            }
        }
        if let Some(g) = grads[1].as_deref_mut() {
            for (gj, &b) in g[i * k..(i + 1) * k].iter_mut().zip(beta.data) {
                *gj = r * b;
            }
        }
        if U::ARITY == 3 {
            add_row(&mut grads[4], i, d[2]);
        }
    }
    Ok(lp)
}

/// Draws y_i from the link distribution at each row's predictor.
fn glm_rng<U: Univariate>(
    spec: &DistSpec,
    args: &[View<'_, f64>],
    rng: &mut VRng,
    out: &mut Vec<f64>,
) -> Result<(), String> {
    // `args` excludes the variate: put a stand-in first.
    let y = [0.0];
    let mut all = [View::vector(&y); 5];
    all[1..=args.len()].copy_from_slice(args);
    let all = &all[..=args.len()];
    let (n, k) = sizes_of(spec, all)?;
    out.clear();
    for i in 0..n {
        let eta = predictor(all, i, k);
        let draw = if U::ARITY == 3 {
            U::rng(&[eta, row(&all[4], i)], rng)
        } else {
            U::rng(&[eta], rng)
        };
        out.push(draw);
    }
    Ok(())
}

macro_rules! glm {
    ($ty:ident, $spec:ident, $link:ident) => {
        impl Multivariate for $ty {
            const SPEC: DistSpec = $spec;
            const HAS_GRADIENT: bool = true;
            const DRAWS_ARRAY: bool = true;

            fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String> {
                glm_lpdf::<$link, T>(&$spec, args)
            }

            fn lpdf_gradient<T: Scalar>(
                args: &[View<'_, T>],
                grads: &mut [Option<&mut [T]>],
                _scratch: &mut Vec<T>,
            ) -> Result<T, String> {
                glm_gradient::<$link, T>(&$spec, args, grads)
            }

            fn rng(
                args: &[View<'_, f64>],
                rng: &mut VRng,
                out: &mut Vec<f64>,
            ) -> Result<(), String> {
                glm_rng::<$link>(&$spec, args, rng, out)
            }
        }
    };
}

glm!(NormalIdGlm, NORMAL, Normal);
glm!(BernoulliLogitGlm, BERNOULLI, BernoulliLogit);
glm!(PoissonLogGlm, POISSON, PoissonLog);
