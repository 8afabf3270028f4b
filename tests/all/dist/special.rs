//! Special functions: values against SciPy, derivatives of orders 1–3
//! through nested duals against SciPy's polygamma and finite differences,
//! and the built-in evaluators.

use super::{num, reference};
use num_dual::{Dual, Dual64, DualNum, DualSVec64};
use vippl::builtins::Builtin;
use vippl::density;
use vippl::scalar::{self, Phi, Scalar, TAYLOR_ORDER};

type D3 = Dual<Dual<Dual64>>;

// The engine needs third derivatives of every lifted function.
const _: () = assert!(TAYLOR_ORDER >= 3);

fn rows(name: &str) -> Vec<Vec<f64>> {
    reference()["special"][name]
        .as_array()
        .unwrap_or_else(|| panic!("no reference for {name}"))
        .iter()
        .map(|r| r.as_array().expect("row").iter().map(num).collect())
        .collect()
}

fn assert_close(what: &str, got: f64, want: f64, rtol: f64) {
    let ok = got == want || (got - want).abs() <= rtol * want.abs().max(1e-300);
    assert!(
        ok,
        "{what}: got {got:e}, want {want:e} (rel err {:e})",
        ((got - want) / want).abs()
    );
}

#[test]
fn values_match_scipy() {
    for r in rows("lgamma") {
        // Near the root of lgamma at 1 and 2 the relative error is judged
        // against the scale of the neighbouring values.
        let got = scalar::lgamma(r[0]);
        assert!(
            (got - r[1]).abs() <= 2e-15 * r[1].abs().max(1.0),
            "lgamma({}) = {got} vs {}",
            r[0],
            r[1]
        );
    }
    for r in rows("polygamma") {
        let (n, x) = (r[0] as usize, r[1]);
        let got = scalar::polygamma(n, x);
        // ψ has a root near 1.46; floor the scale at 1 for n = 0.
        let floor = if n == 0 { 1.0 } else { 1e-300 };
        let tol = if x < 0.0 { 1e-12 } else { 1e-13 };
        assert!(
            (got - r[2]).abs() <= tol * r[2].abs().max(floor),
            "polygamma({n}, {x}) = {got:e} vs {:e}",
            r[2]
        );
    }
    for r in rows("erf") {
        assert_close(&format!("erf({})", r[0]), scalar::erf(r[0]), r[1], 1e-15);
    }
    for r in rows("erfc") {
        assert_close(&format!("erfc({})", r[0]), scalar::erfc(r[0]), r[1], 1e-13);
    }
    for r in rows("Phi") {
        assert_close(&format!("Phi({})", r[0]), Phi(r[0]), r[1], 1e-13);
    }
    for r in rows("log1p_exp") {
        assert_close(
            &format!("log1p_exp({})", r[0]),
            scalar::log1p_exp(r[0]),
            r[1],
            1e-15,
        );
    }
    for r in rows("lbeta") {
        assert_close(
            &format!("lbeta({}, {})", r[0], r[1]),
            scalar::lbeta(r[0], r[1]),
            r[2],
            1e-13,
        );
    }
    for r in rows("logit") {
        assert_close(
            &format!("logit({})", r[0]),
            scalar::logit(r[0]),
            r[1],
            1e-14,
        );
    }
    for r in rows("inv_logit") {
        assert_close(
            &format!("inv_logit({})", r[0]),
            scalar::inv_logit(r[0]),
            r[1],
            1e-15,
        );
    }
    assert_eq!(scalar::digamma(1.0), scalar::polygamma(0, 1.0));
    assert_eq!(scalar::trigamma(2.5), scalar::polygamma(1, 2.5));
}

/// f, f′, f″, f‴ at x from one evaluation on Dual<Dual<Dual64>> with
/// x = a + ε₁ + ε₂ + ε₃.
fn derivatives(f: impl Fn(D3) -> D3, a: f64) -> [f64; 4] {
    let x = D3::new(
        Dual::new(Dual64::new(a, 1.0), Dual64::new(1.0, 0.0)),
        Dual::new(Dual64::new(1.0, 0.0), Dual64::from(0.0)),
    );
    let y = f(x);
    [y.re.re.re, y.re.re.eps, y.re.eps.eps, y.eps.eps.eps]
}

#[test]
fn third_order_derivatives_through_nested_duals() {
    assert_eq!(<D3 as DualNum>::NDERIV, 3);
    // lgamma and digamma: exact derivatives are polygammas from SciPy.
    let poly = rows("polygamma");
    let pg = |n: usize, x: f64| {
        poly.iter()
            .find(|r| r[0] as usize == n && r[1] == x)
            .map(|r| r[2])
    };
    for x in [0.1, 0.5, 1.5, 2.5, 7.25, 10.01, 30.0, 1e3, -0.5, -2.3] {
        let d = derivatives(scalar::lgamma, x);
        for k in 1..4 {
            let want = pg(k - 1, x).expect("reference point");
            assert_close(&format!("lgamma^({k})({x})"), d[k], want, 1e-12);
        }
        let d = derivatives(scalar::digamma, x);
        for k in 0..4 {
            let want = pg(k, x).expect("reference point");
            let floor = if k == 0 { 1.0 } else { want.abs() };
            assert!(
                (d[k] - want).abs() <= 1e-12 * floor,
                "digamma^({k})({x}) = {} vs {want}",
                d[k]
            );
        }
    }
}

/// Checks orders 1..3 of f by central differences of the order below
/// (computed on one nesting level less).
fn check_by_differences(name: &str, f: impl Fn(D3) -> D3, points: &[f64]) {
    for &a in points {
        let h = 1e-5 * a.abs().max(0.1);
        let (dp, dm, d0) = (
            derivatives(&f, a + h),
            derivatives(&f, a - h),
            derivatives(&f, a),
        );
        for k in 1..4 {
            let fd = (dp[k - 1] - dm[k - 1]) / (2.0 * h);
            // Truncation h² f^(k+2)/6 and rounding eps |f^(k-1)| / h.
            let tol = 1e-6 * d0[k].abs().max(d0[k - 1].abs()).max(1e-3);
            assert!(
                (fd - d0[k]).abs() <= tol,
                "{name}^({k})({a}) = {} but differences give {fd}",
                d0[k]
            );
        }
    }
}

#[test]
fn derivatives_match_finite_differences() {
    let pts = [-2.3, -0.7, 0.2, 1.3, 4.0];
    let pos = [0.3, 1.3, 4.0, 12.5, 40.0];
    check_by_differences("erf", scalar::erf, &pts);
    check_by_differences("erfc", scalar::erfc, &pts);
    check_by_differences("Phi", Phi, &pts);
    check_by_differences("log1p_exp", scalar::log1p_exp, &pts);
    check_by_differences("inv_logit", scalar::inv_logit, &pts);
    check_by_differences("log_inv_logit", scalar::log_inv_logit, &pts);
    check_by_differences("trigamma", scalar::trigamma, &pos);
    check_by_differences("lbeta(x, 2.5)", |x| scalar::lbeta(x, D3::from(2.5)), &pos);
    check_by_differences("lbeta(3, x)", |x| scalar::lbeta(D3::from(3.0), x), &pos);
    check_by_differences(
        "lbeta(x, 15 - x/2)",
        |x| scalar::lbeta(x, -x * 0.5 + 25.0),
        &pos,
    );
    check_by_differences(
        "lchoose(x + 3, 3)",
        |x| scalar::lchoose(x + 3.0, D3::from(3.0)),
        &pos,
    );
    check_by_differences(
        "log_sum_exp(x, 1 - x)",
        |x| scalar::log_sum_exp(x, -x + 1.0),
        &pts,
    );
    for &f in Builtin::ALL.iter().filter(|f| f.is_elementwise_unary()) {
        let points: &[f64] = match f {
            Builtin::Log | Builtin::Log2 | Builtin::Log10 | Builtin::Sqrt | Builtin::Inv => &pos,
            Builtin::Lgamma | Builtin::Digamma => &pos,
            Builtin::Log1p => &[0.3, 1.3, 4.0],
            Builtin::Log1m | Builtin::Logit => &[0.1, 0.4, 0.8],
            Builtin::Asin | Builtin::Acos | Builtin::Atanh | Builtin::InvPhi => &[0.1, 0.4, 0.8],
            Builtin::Acosh => &[1.3, 4.0, 12.5, 40.0],
            Builtin::InvSqrt | Builtin::Trigamma => &pos,
            // Piecewise constant or with a kink: derivatives checked below.
            Builtin::Floor | Builtin::Ceil | Builtin::Round | Builtin::Abs | Builtin::Fabs => {
                continue;
            }
            _ => &pts,
        };
        check_by_differences(f.name(), |x| density::eval_unary(f, x), points);
    }
    for f in [
        Builtin::Pow,
        Builtin::Lbeta,
        Builtin::LogSumExp2,
        Builtin::Atan2,
    ] {
        check_by_differences(
            f.name(),
            |x| density::eval_binary(f, x, -x * 0.3 + 2.0),
            &[0.4, 1.1, 2.7],
        );
        check_by_differences(
            f.name(),
            |x| density::eval_binary(f, D3::from(1.7), x),
            &[0.4, 1.1, 2.7],
        );
    }
}

#[test]
fn unary_builtins_evaluate_what_they_name() {
    let x = 0.37;
    let want = |f: Builtin| -> f64 {
        match f {
            Builtin::Exp => x.exp(),
            Builtin::Log => x.ln(),
            Builtin::Log2 => x.log2(),
            Builtin::Log10 => x.log10(),
            Builtin::Log1p => x.ln_1p(),
            Builtin::Expm1 => x.exp_m1(),
            Builtin::Log1m => (1.0 - x).ln(),
            Builtin::Sqrt => x.sqrt(),
            Builtin::Square => x * x,
            Builtin::Abs => x,
            Builtin::Floor => 0.0,
            Builtin::Ceil => 1.0,
            Builtin::Round => 0.0,
            Builtin::Inv => 1.0 / x,
            Builtin::Logit => (x / (1.0 - x)).ln(),
            Builtin::InvLogit => 1.0 / (1.0 + (-x).exp()),
            Builtin::LogInvLogit => (1.0 / (1.0 + (-x).exp())).ln(),
            Builtin::Log1mInvLogit => (1.0 - 1.0 / (1.0 + (-x).exp())).ln(),
            Builtin::Log1pExp => (1.0 + x.exp()).ln(),
            Builtin::Lgamma => 0.8769468194848791, // log Γ(0.37), SciPy
            Builtin::Digamma => -2.7953014108905636, // ψ(0.37), SciPy
            Builtin::Erf => 0.39920598404299923,   // SciPy
            Builtin::Phi => 0.6443087548005467,    // SciPy
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
            Builtin::Acosh => f64::NAN, // below 1
            Builtin::Atanh => x.atanh(),
            Builtin::Fabs => x,
            Builtin::Cbrt => x.cbrt(),
            Builtin::InvSqrt => 1.0 / x.sqrt(),
            Builtin::InvSquare => 1.0 / (x * x),
            Builtin::InvPhi => -0.331_853_346_436_816_6, // mpmath, 30 digits
            Builtin::PhiApprox => 1.0 / (1.0 + (-(0.07056 * x.powi(3) + 1.5976 * x)).exp()),
            Builtin::Trigamma => 8.360_473_827_799_098, // mpmath, 30 digits
            other => panic!("{other:?} not element-wise"),
        }
    };
    let mut n = 0;
    for &f in Builtin::ALL.iter().filter(|f| f.is_elementwise_unary()) {
        let got: f64 = density::eval_unary(f, x);
        assert!(
            (got - want(f)).abs() <= 1e-14 * want(f).abs().max(1.0)
                || got.is_nan() && want(f).is_nan(),
            "{}({x}) = {got} vs {}",
            f.name(),
            want(f)
        );
        n += 1;
    }
    assert_eq!(n, 42);
    // Kinks and steps: derivative of abs follows the sign; steps have none.
    let d = |f: Builtin, x: f64| density::eval_unary(f, Dual64::new(x, 1.0)).eps;
    assert_eq!((d(Builtin::Abs, -2.0), d(Builtin::Abs, 3.0)), (-1.0, 1.0));
    assert_eq!(
        (
            d(Builtin::Floor, 2.5),
            d(Builtin::Round, 2.5),
            density::eval_unary(Builtin::Round, -2.5)
        ),
        (0.0, 0.0, -3.0)
    );
}

#[test]
fn binary_builtins() {
    use Builtin::*;
    let e = |f, x: f64, y: f64| density::eval_binary(f, x, y);
    assert_eq!(e(Pow, -2.0, 3.0), -8.0);
    assert_eq!(e(Pow, 2.0, 10.0), 1024.0);
    assert_eq!(e(Pow, 0.0, 2.0), 0.0);
    assert_eq!(e(Pow, 0.0, 0.5), 0.0);
    assert!(e(Pow, -2.0, 0.5).is_nan());
    assert!((e(Pow, 2.0, 0.5) - 2f64.sqrt()).abs() < 1e-15);
    // d/dy x^y = x^y log x also at integer y.
    let g = density::eval_binary(Pow, Dual64::from(3.0), Dual64::new(2.0, 1.0));
    assert!((g.eps - 9.0 * 3f64.ln()).abs() < 1e-13);
    assert_eq!(
        (
            e(Fmin, 1.0, f64::NAN),
            e(Fmax, f64::NAN, 2.0),
            e(Min2, 1.0, -1.0),
            e(Max2, 1.0, -1.0)
        ),
        (1.0, 2.0, -1.0, 1.0)
    );
    assert!((e(LogSumExp2, 1000.0, 1000.0) - (1000.0 + 2f64.ln())).abs() < 1e-12);
    assert_eq!(e(LogSumExp2, f64::NEG_INFINITY, 3.0), 3.0);
    assert!((e(Lbeta, 2.0, 3.0) - (1.0f64 / 12.0).ln()).abs() < 1e-15);
}

#[test]
fn log_sum_exp_of_a_slice_is_stable() {
    let v = [1000.0, 1000.0, 999.0];
    let want = 1000.0 + (2.0 + (-1f64).exp()).ln();
    assert!((scalar::log_sum_exp_slice(&v) - want).abs() < 1e-12);
    assert_eq!(scalar::log_sum_exp_slice::<f64>(&[]), f64::NEG_INFINITY);
    assert_eq!(
        scalar::log_sum_exp_slice(&[f64::NEG_INFINITY, f64::NEG_INFINITY]),
        f64::NEG_INFINITY
    );
    // Gradient is the softmax.
    let d: Vec<Dual64> = (0..3)
        .map(|i| Dual64::new([0.5, -1.0, 2.0][i], if i == 2 { 1.0 } else { 0.0 }))
        .collect();
    let s = scalar::log_sum_exp_slice(&d);
    let want = 2f64.exp() / (0.5f64.exp() + (-1f64).exp() + 2f64.exp());
    assert!((s.eps - want).abs() < 1e-15);
}

/// The lift works on vector duals and on duals nested over them (the
/// engine's Hessian columns).
#[test]
fn lift_on_vector_duals() {
    fn f<T: Scalar>(x: T) -> T {
        scalar::lgamma(x) + scalar::erf(x)
    }
    let a = 1.7;
    let d1 = scalar::polygamma(0, a) + 2.0 / std::f64::consts::PI.sqrt() * (-a * a).exp();
    let d2 = scalar::polygamma(1, a) - 4.0 * a / std::f64::consts::PI.sqrt() * (-a * a).exp();
    let y = f(DualSVec64::<8>::from_re(a).derivative(3));
    let g = y.eps.0.expect("derivative");
    assert!((g[3] - d1).abs() < 1e-14 && g[0] == 0.0);
    let x = Dual::new(
        DualSVec64::<8>::from_re(a).derivative(5),
        DualSVec64::<8>::from_re(1.0),
    );
    let h = f(x).eps.eps.0.expect("second derivative");
    assert!((h[5] - d2).abs() < 1e-13, "{} vs {d2}", h[5]);
}

/// TAYLOR_ORDER is 4: the fourth derivative of lgamma (ψ‴) through four
/// nested duals.
#[test]
fn fourth_order_through_four_nested_duals() {
    type D4 = Dual<D3>;
    let one = |x: f64| D3::from(x);
    let seed = |a: f64| -> D3 {
        Dual::new(
            Dual::new(Dual64::new(a, 1.0), Dual64::new(1.0, 0.0)),
            Dual::new(Dual64::new(1.0, 0.0), Dual64::from(0.0)),
        )
    };
    let a = 2.5;
    let x = D4::new(seed(a), one(1.0));
    let y = scalar::lgamma(x);
    let d4 = y.eps.eps.eps.eps;
    let want = scalar::polygamma(3, a);
    assert!((d4 - want).abs() < 1e-12 * want.abs(), "{d4} vs {want}");
}
