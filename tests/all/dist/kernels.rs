//! Slice kernels against the element-wise distributions, for every
//! combination of broadcast/vector and parameter/data arguments.

use num_dual::Dual64;
use rand::RngExt;
use vippl::dist::bernoulli_logit::{BernoulliLogit, bernoulli_logit_lpmf_sum};
use vippl::dist::normal::{Normal, normal_lpdf_sum};
use vippl::dist::poisson_log::{PoissonLog, poisson_log_lpmf_sum};
use vippl::dist::{Arg, Univariate};
use vippl::random::stream;
use vippl::scalar::Scalar;

const N: usize = 7;

#[derive(Clone, Copy, Debug)]
enum Kind {
    Scalar,
    Slice,
    Const,
    ConstSlice,
}

const KINDS: [Kind; 4] = [Kind::Scalar, Kind::Slice, Kind::Const, Kind::ConstSlice];

/// Values of one argument (element 0 is the broadcast value).
struct Input<T> {
    kind: Kind,
    t: Vec<T>,
    f: Vec<f64>,
}

impl<T: Scalar> Input<T> {
    fn new(kind: Kind, values: &[f64], lift: impl Fn(usize, f64) -> T) -> Self {
        let t = values
            .iter()
            .enumerate()
            .map(|(i, &v)| lift(i, v))
            .collect();
        Input {
            kind,
            t,
            f: values.to_vec(),
        }
    }
    fn arg(&self) -> Arg<'_, T> {
        match self.kind {
            Kind::Scalar => Arg::Scalar(self.t[0]),
            Kind::Slice => Arg::Slice(&self.t),
            Kind::Const => Arg::Const(self.f[0]),
            Kind::ConstSlice => Arg::ConstSlice(&self.f),
        }
    }
    fn at(&self, i: usize) -> T {
        match self.kind {
            Kind::Scalar => self.t[0],
            Kind::Slice => self.t[i],
            Kind::Const => T::from(self.f[0]),
            Kind::ConstSlice => T::from(self.f[i]),
        }
    }
    fn has_partials(&self) -> bool {
        matches!(self.kind, Kind::Scalar | Kind::Slice)
    }
    fn buffer(&self) -> Vec<T> {
        vec![
            T::zero();
            if matches!(self.kind, Kind::Scalar) {
                1
            } else {
                N
            }
        ]
    }
    /// Expected partials: per element, or summed when broadcast.
    fn expect(&self, per_element: &[T]) -> Vec<T> {
        if matches!(self.kind, Kind::Scalar) {
            vec![per_element.iter().fold(T::zero(), |s, &v| s + v)]
        } else {
            per_element.to_vec()
        }
    }
}

fn close<T: Scalar>(a: T, b: T) -> bool {
    let (a, b) = (a.re(), b.re());
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

/// Parameters are Dual64 with a different derivative direction per
/// element, so the derivative parts check how partials combine (the real
/// parts are the f64 computation).
fn lift_d(i: usize, v: f64) -> Dual64 {
    Dual64::new(v, 0.1 + 0.3 * i as f64)
}

fn eps(d: Dual64) -> f64 {
    d.eps
}

#[test]
fn normal_kernel_matches_elementwise() {
    let mut rng = stream(9, &[]);
    let y: Vec<f64> = (0..N).map(|_| rng.random_range(-3.0..3.0)).collect();
    let mu: Vec<f64> = (0..N).map(|_| rng.random_range(-1.0..1.0)).collect();
    let s: Vec<f64> = (0..N).map(|_| rng.random_range(0.3..2.0)).collect();
    {
        for ky in KINDS {
            for km in KINDS {
                for ks in KINDS {
                    let (iy, im, is) = (
                        Input::new(ky, &y, lift_d),
                        Input::new(km, &mu, lift_d),
                        Input::new(ks, &s, lift_d),
                    );
                    let (mut dy, mut dm, mut ds) = (iy.buffer(), im.buffer(), is.buffer());
                    let all_broadcast = [ky, km, ks]
                        .iter()
                        .all(|k| matches!(k, Kind::Scalar | Kind::Const));
                    let n = if all_broadcast { 1 } else { N };
                    let (mut ey, mut em, mut es) = (vec![], vec![], vec![]);
                    let mut want = Dual64::from(0.0);
                    for i in 0..n {
                        let mut d = [Dual64::from(0.0); 3];
                        want += Normal::lpdf_partials(&[iy.at(i), im.at(i), is.at(i)], &mut d);
                        ey.push(d[0]);
                        em.push(d[1]);
                        es.push(d[2]);
                    }
                    if all_broadcast {
                        dy.truncate(1);
                        dm.truncate(1);
                        ds.truncate(1);
                    }
                    let got = normal_lpdf_sum(
                        iy.arg(),
                        im.arg(),
                        is.arg(),
                        iy.has_partials().then_some(&mut dy[..]),
                        im.has_partials().then_some(&mut dm[..]),
                        is.has_partials().then_some(&mut ds[..]),
                    );
                    let what = format!("{ky:?} {km:?} {ks:?}");
                    assert!(
                        close(got, want)
                            && (eps(got) - eps(want)).abs() <= 1e-12 * eps(want).abs().max(1.0),
                        "{what}: {got} vs {want}"
                    );
                    for (inp, got, per) in [(&iy, &dy, &ey), (&im, &dm, &em), (&is, &ds, &es)] {
                        if inp.has_partials() {
                            let exp = inp.expect(per);
                            for (g, e) in got.iter().zip(&exp) {
                                assert!(
                                    close(*g, *e)
                                        && (eps(*g) - eps(*e)).abs()
                                            <= 1e-12 * eps(*e).abs().max(1.0),
                                    "{what}: partial {g} vs {e}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Shared check for two-argument kernels (data outcome, parameter).
fn check_pair<D: Univariate>(
    y: &[f64],
    a: &[f64],
    kernel: impl Fn(Arg<'_, Dual64>, Arg<'_, Dual64>, Option<&mut [Dual64]>) -> Dual64,
) {
    {
        for ky in [Kind::Const, Kind::ConstSlice] {
            for ka in KINDS {
                let (iy, ia) = (Input::new(ky, y, lift_d), Input::new(ka, a, lift_d));
                let n = if matches!(ky, Kind::Const) && matches!(ka, Kind::Scalar | Kind::Const) {
                    1
                } else {
                    N
                };
                let mut da = ia.buffer();
                da.truncate(if n == 1 { 1 } else { da.len() });
                let mut want = Dual64::from(0.0);
                let mut per = vec![];
                for i in 0..n {
                    let mut d = [Dual64::from(0.0); 2];
                    want += D::lpdf_partials(&[iy.at(i), ia.at(i)], &mut d);
                    per.push(d[1]);
                }
                let got = kernel(iy.arg(), ia.arg(), ia.has_partials().then_some(&mut da[..]));
                let what = format!("{} {ky:?} {ka:?}", D::SPEC.name);
                assert!(
                    close(got, want)
                        && (eps(got) - eps(want)).abs() <= 1e-12 * eps(want).abs().max(1.0),
                    "{what}: {got} vs {want}"
                );
                if ia.has_partials() {
                    for (g, e) in da.iter().zip(&ia.expect(&per)) {
                        assert!(
                            close(*g, *e)
                                && (eps(*g) - eps(*e)).abs() <= 1e-12 * eps(*e).abs().max(1.0),
                            "{what}: {g} vs {e}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn bernoulli_logit_and_poisson_log_kernels_match_elementwise() {
    let y = [1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0];
    let a = [0.3, -2.0, 45.0, -45.0, 3.1, 0.0, 800.0];
    check_pair::<BernoulliLogit>(&y, &a, bernoulli_logit_lpmf_sum);
    let counts = [0.0, 3.0, 1.0, 12.0, 0.0, 5.0, 2.0];
    let la = [0.3, 1.0, -2.0, 2.4, -30.0, 1.7, 0.5];
    check_pair::<PoissonLog>(&counts, &la, poisson_log_lpmf_sum);
}

/// The bernoulli_logit kernel sums its log1p terms as logarithms of block
/// products: over many rows (block boundaries and a remainder) and logits
/// from 1e-3 to 700 in size, its value and derivative match the sum of the
/// element-wise log masses, in f64 and in dual numbers.
#[test]
fn bernoulli_logit_kernel_matches_elementwise_over_many_rows() {
    let mut rng = stream(17, &[]);
    let n = 1001;
    let mut y = Vec::with_capacity(n);
    let mut a = Vec::with_capacity(n);
    for i in 0..n {
        y.push(if rng.random::<f64>() < 0.5 { 1.0 } else { 0.0 });
        let size = [1e-3, 0.5, 2.0, 8.0, 40.0, 700.0][i % 6];
        a.push(size * (2.0 * rng.random::<f64>() - 1.0));
    }
    let dual: Vec<Dual64> = a.iter().enumerate().map(|(i, &v)| lift_d(i, v)).collect();
    let mut want = Dual64::from(0.0);
    let mut per = Vec::with_capacity(n);
    for i in 0..n {
        let mut d = [Dual64::from(0.0); 2];
        want += BernoulliLogit::lpdf_partials(&[Dual64::from(y[i]), dual[i]], &mut d);
        per.push(d[1]);
    }
    let mut got_d = vec![Dual64::from(0.0); n];
    let got =
        bernoulli_logit_lpmf_sum(Arg::ConstSlice(&y), Arg::Slice(&dual), Some(&mut got_d[..]));
    let tol = |w: f64| 1e-12 * w.abs().max(1.0);
    assert!((got.re - want.re).abs() <= tol(want.re), "{got} vs {want}");
    assert!(
        (got.eps - want.eps).abs() <= tol(want.eps),
        "{got} vs {want}"
    );
    for (g, e) in got_d.iter().zip(&per) {
        assert!((g.re - e.re).abs() <= tol(e.re), "{g} vs {e}");
    }
    let plain = bernoulli_logit_lpmf_sum::<f64>(Arg::ConstSlice(&y), Arg::ConstSlice(&a), None);
    assert!((plain - want.re).abs() <= tol(want.re), "{plain} vs {want}");
}
