//! The scalar meaning of the language's element-wise built-ins: each
//! [`Builtin`] mapped to a function of [`crate::scalar`], on any [`Scalar`].

use crate::builtins::Builtin;
use crate::scalar::{
    Phi, Phi_approx, Scalar, atan2, binary_log_loss, digamma, erf, fmax, fmin, inv_Phi, inv_logit,
    lbeta, lchoose, lgamma, log_inv_logit, log_sum_exp, log1m, log1m_inv_logit, log1p_exp, logit,
    pow, trigamma,
};

/// Evaluates an element-wise one-argument built-in
/// ([`Builtin::is_elementwise_unary`]) on any scalar, so the evaluator gets
/// its derivatives by evaluating on `Dual<T>`.
///
/// # Panics
/// If `f` is not element-wise unary: the checker never produces that call.
pub fn eval_unary<T: Scalar>(f: Builtin, x: T) -> T {
    match f {
        Builtin::Exp => x.exp(),
        Builtin::Log => x.ln(),
        Builtin::Log2 => x.log2(),
        Builtin::Log10 => x.log10(),
        Builtin::Log1p => x.ln_1p(),
        Builtin::Expm1 => x.exp_m1(),
        Builtin::Log1m => log1m(x),
        Builtin::Sqrt => x.sqrt(),
        Builtin::Square => x * x,
        Builtin::Abs | Builtin::Fabs => {
            if x.re() < 0.0 {
                -x
            } else {
                x
            }
        }
        Builtin::Floor => T::from(x.re().floor()),
        Builtin::Ceil => T::from(x.re().ceil()),
        Builtin::Round => T::from(x.re().round()),
        Builtin::Inv => x.recip(),
        Builtin::Logit => logit(x),
        Builtin::InvLogit => inv_logit(x),
        Builtin::LogInvLogit => log_inv_logit(x),
        Builtin::Log1mInvLogit => log1m_inv_logit(x),
        Builtin::Log1pExp => log1p_exp(x),
        Builtin::Lgamma => lgamma(x),
        Builtin::Digamma => digamma(x),
        Builtin::Erf => erf(x),
        Builtin::Phi => Phi(x),
        Builtin::Sin => x.sin(),
        Builtin::Cos => x.cos(),
        Builtin::Tanh => x.tanh(),
        Builtin::Tan => x.tan(),
        Builtin::Asin => x.asin(),
        Builtin::Acos => x.acos(),
        Builtin::Atan => x.atan(),
        Builtin::Sinh => x.sinh(),
        Builtin::Cosh => x.cosh(),
        Builtin::Asinh => x.asinh(),
        Builtin::Acosh => x.acosh(),
        Builtin::Atanh => x.atanh(),
        Builtin::Cbrt => x.cbrt(),
        Builtin::InvSqrt => x.sqrt().recip(),
        Builtin::InvSquare => (x * x).recip(),
        Builtin::InvPhi => inv_Phi(x),
        Builtin::PhiApprox => Phi_approx(x),
        Builtin::Trigamma => trigamma(x),
        other => panic!(
            "{} is not an element-wise function of one argument",
            other.name()
        ),
    }
}

/// log Γ_k(x) = k(k − 1)/4 · log π + Σ_{j=1}^{k} log Γ(x + (1 − j)/2), for
/// an int dimension `k` (no derivative in it).
fn lmgamma<T: Scalar>(k: f64, x: T) -> T {
    let k = k.round().max(0.0) as usize;
    let mut total = T::from((k * k.saturating_sub(1)) as f64 / 4.0 * std::f64::consts::PI.ln());
    for j in 1..=k {
        total += lgamma(x + (1.0 - j as f64) / 2.0);
    }
    total
}

/// Evaluates an element-wise two-argument built-in on reals: `Pow`, `Fmin`,
/// `Fmax`, `Lbeta`, `LogSumExp2`, `Min2`, `Max2`, `Atan2`, `Lchoose`,
/// `BinaryLogLoss` (whose first argument is data: no derivative).
///
/// # Panics
/// For any other built-in: the checker never produces that call.
pub fn eval_binary<T: Scalar>(f: Builtin, x: T, y: T) -> T {
    match f {
        Builtin::Pow => pow(x, y),
        Builtin::Fmin => fmin(x, y),
        Builtin::Fmax => fmax(x, y),
        Builtin::Min2 => {
            if y.re() < x.re() || y.re().is_nan() {
                y
            } else {
                x
            }
        }
        Builtin::Max2 => {
            if y.re() > x.re() || y.re().is_nan() {
                y
            } else {
                x
            }
        }
        Builtin::Lbeta => lbeta(x, y),
        Builtin::LogSumExp2 => log_sum_exp(x, y),
        Builtin::Atan2 => atan2(x, y),
        Builtin::Lchoose => lchoose(x, y),
        Builtin::BinaryLogLoss => binary_log_loss(x.re(), y),
        Builtin::Lmgamma => lmgamma(x.re(), y),
        other => panic!(
            "{} is not an element-wise function of two reals",
            other.name()
        ),
    }
}
