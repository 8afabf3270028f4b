//! Distributions: one file per distribution, each owning its arity,
//! argument constraints, support, log density (generic over [`Scalar`], all
//! normalizing constants kept), sampler and documentation.
//!
//! Univariate distributions ([`Univariate`]) are written for one element;
//! the density engine vectorizes them over every argument (scalars
//! broadcast) and takes their partial derivatives from dual numbers, or
//! from a hand-fused `lpdf_partials` that tests compare with the dual ones.
//! Multivariate distributions ([`Multivariate`]) see whole vectors and
//! matrices.
//!
//! The likelihoods that dominate real models also have slice kernels that
//! sum over a whole vectorized statement in one call, without allocating:
//! [`normal::normal_lpdf_sum`], [`bernoulli_logit::bernoulli_logit_lpmf_sum`]
//! and [`poisson_log::poisson_log_lpmf_sum`]; see [`Arg`] for the calling
//! convention.

use crate::random::VRng;
use crate::scalar::Scalar;

pub mod bernoulli;
pub mod bernoulli_logit;
pub mod beta;
pub mod binomial;
pub mod binomial_logit;
pub mod categorical;
pub mod categorical_logit;
pub mod cauchy;
pub mod chi_square;
pub mod dirichlet;
pub mod double_exponential;
pub mod exponential;
pub mod gamma;
pub mod inv_gamma;
pub mod lkj_corr_cholesky;
pub mod logistic;
pub mod lognormal;
pub mod multi_normal;
pub mod multi_normal_cholesky;
pub mod neg_binomial_2;
pub mod neg_binomial_2_log;
pub mod normal;
pub mod poisson;
pub mod poisson_log;
pub mod std_normal;
pub mod student_t;
pub mod uniform;
pub mod weibull;

/// The set of values an argument (or the variate) may take.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Domain {
    /// Any finite real.
    Real,
    /// > 0
    Positive,
    /// >= 0
    NonNegative,
    /// In (0, 1).
    Unit,
    /// In [0, 1].
    Probability,
    /// Any integer.
    Int,
    /// Integer >= 0.
    NonNegInt,
    /// 0 or 1.
    Binary,
    /// Integer >= 1 (categories are 1-based).
    PositiveInt,
    /// Non-negative entries summing to 1.
    Simplex,
    /// Symmetric positive-definite matrix.
    Covariance,
    /// Lower-triangular with positive diagonal.
    CholeskyFactor,
    /// Cholesky factor of a correlation matrix (unit-length rows).
    CorrCholesky,
    /// No constraint beyond the shape (vectors of any reals).
    Any,
}

impl Domain {
    /// Whether a single element value lies in the domain (element-wise
    /// domains only; structured domains are checked by the distribution).
    pub fn contains(self, x: f64) -> bool {
        match self {
            Domain::Real => x.is_finite(),
            Domain::Positive => x > 0.0 && x.is_finite(),
            Domain::NonNegative => x >= 0.0 && x.is_finite(),
            Domain::Unit => x > 0.0 && x < 1.0,
            Domain::Probability => (0.0..=1.0).contains(&x),
            Domain::Int => x.fract() == 0.0 && x.is_finite(),
            Domain::NonNegInt => x.fract() == 0.0 && x >= 0.0 && x.is_finite(),
            Domain::Binary => x == 0.0 || x == 1.0,
            Domain::PositiveInt => x.fract() == 0.0 && x >= 1.0 && x.is_finite(),
            Domain::Simplex
            | Domain::Covariance
            | Domain::CholeskyFactor
            | Domain::CorrCholesky
            | Domain::Any => !x.is_nan(),
        }
    }

    /// How the domain reads in a message: "must be positive".
    pub fn describe(self) -> &'static str {
        match self {
            Domain::Real => "finite",
            Domain::Positive => "positive",
            Domain::NonNegative => "non-negative",
            Domain::Unit => "in (0, 1)",
            Domain::Probability => "in [0, 1]",
            Domain::Int => "an integer",
            Domain::NonNegInt => "a non-negative integer",
            Domain::Binary => "0 or 1",
            Domain::PositiveInt => "a positive integer",
            Domain::Simplex => "a simplex (non-negative, summing to 1)",
            Domain::Covariance => "symmetric positive-definite",
            Domain::CholeskyFactor => "a lower-triangular Cholesky factor",
            Domain::CorrCholesky => "the Cholesky factor of a correlation matrix",
            Domain::Any => "any value",
        }
    }

    pub fn is_integer(self) -> bool {
        matches!(
            self,
            Domain::Int | Domain::NonNegInt | Domain::Binary | Domain::PositiveInt
        )
    }
}

/// The shape an argument may have.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ArgShape {
    /// A scalar or a vector (int array for integer arguments); vectors
    /// must all have the same length and scalars broadcast.
    Elem,
    /// A scalar only.
    Scalar,
    /// A vector (for integer variates of `categorical`, an int or int array).
    Vector,
    /// A matrix.
    Matrix,
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub struct ArgSpec {
    pub name: &'static str,
    pub shape: ArgShape,
    pub domain: Domain,
}

impl ArgSpec {
    pub const fn new(name: &'static str, shape: ArgShape, domain: Domain) -> ArgSpec {
        ArgSpec {
            name,
            shape,
            domain,
        }
    }
}

/// Everything the checker, the documentation and the engine need to know
/// about a distribution besides its numerics.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct DistSpec {
    pub name: &'static str,
    /// The variate (`y` in `y ~ d(...)`), with its support as domain.
    pub variate: ArgSpec,
    pub args: &'static [ArgSpec],
    /// Density and parameterization, for `:help` and the docs.
    pub doc: &'static str,
}

impl DistSpec {
    /// `lpmf` for integer variates, `lpdf` otherwise.
    pub fn is_discrete(&self) -> bool {
        self.variate.domain.is_integer()
    }
    pub fn suffix(&self) -> &'static str {
        if self.is_discrete() { "_lpmf" } else { "_lpdf" }
    }
}

/// A distribution of one scalar variate with scalar arguments.
///
/// `x` holds the variate followed by the arguments, in [`DistSpec`] order;
/// integer values arrive as exact reals. Callers check the domains of the
/// variate and the arguments (see [`Domain::contains`]) before calling, so
/// `lpdf` may assume them.
pub trait Univariate {
    const SPEC: DistSpec;
    /// Number of entries of `x` (variate plus arguments).
    const ARITY: usize;

    /// Log density (or mass) with all normalizing constants.
    fn lpdf<T: Scalar>(x: &[T]) -> T;

    /// Log density and its partial derivatives with respect to every entry
    /// of `x` (written to `d`, same length). The default takes them from
    /// dual numbers; distributions may override it with a hand-fused
    /// kernel, which the tests compare against the default.
    ///
    /// Entries with an integer domain (the variate of a discrete
    /// distribution, binomial's `N`) are always data, never parameters:
    /// their partials are unspecified (fused kernels write zero).
    fn lpdf_partials<T: Scalar>(x: &[T], d: &mut [T]) -> T {
        crate::scalar::partials(x, d, Self::lpdf)
    }

    /// Conditions that tie several entries together and that the
    /// element-wise domains cannot express: binomial's `y <= N`, uniform's
    /// `alpha < beta`. `x` is laid out as for [`Univariate::lpdf`]; the
    /// message says what is wrong with which values. Callers run it after
    /// the domain checks (data once at bind time, parameters per
    /// evaluation); values that fail have log density −∞.
    fn check_args(_x: &[f64]) -> Result<(), String> {
        Ok(())
    }

    /// Whether [`Univariate::check_args`] checks anything (callers skip
    /// the per-element call otherwise).
    const CHECKS_ARGS: bool = false;

    /// The log density summed over `n` elements of broadcast arguments
    /// (variate first), writing the partials of each argument that carries
    /// derivatives into `d[j]` as the slice kernels do (overwritten; one
    /// entry holding the sum for a broadcast argument, one per element
    /// otherwise). The default loops over [`Univariate::lpdf_partials`];
    /// distributions with a slice kernel override it.
    fn lpdf_sum<T: Scalar>(args: &[Arg<'_, T>], n: usize, d: &mut [Option<&mut [T]>]) -> T {
        let k = args.len();
        let want = d.iter().any(Option::is_some);
        for dj in d.iter_mut().flatten() {
            dj.iter_mut().for_each(|x| *x = T::zero());
        }
        let mut x = [T::zero(); crate::scalar::MAX_ARITY];
        let mut g = [T::zero(); crate::scalar::MAX_ARITY];
        let mut lp = T::zero();
        for i in 0..n {
            for j in 0..k {
                x[j] = args[j].get(i);
            }
            if !want {
                lp += Self::lpdf(&x[..k]);
                continue;
            }
            lp += Self::lpdf_partials(&x[..k], &mut g[..k]);
            for j in 0..k {
                if let Some(dj) = &mut d[j] {
                    if args[j].is_broadcast() {
                        dj[0] += g[j];
                    } else {
                        dj[i] = g[j];
                    }
                }
            }
        }
        lp
    }

    /// One draw given argument values (`args` excludes the variate).
    fn rng(args: &[f64], rng: &mut VRng) -> f64;
}

/// One argument of a vectorized (slice) kernel such as
/// [`normal::normal_lpdf_sum`]: a value broadcast over every element or
/// one value per element, either carrying derivatives (`T`) or plain data
/// (`f64`, never lifted to duals). Borrowing keeps kernel calls free of
/// allocation.
///
/// Kernels take, beside each argument that carries derivatives, an
/// `Option<&mut [T]>` that receives its partial derivatives (overwritten,
/// not added): one per element for [`Arg::Slice`], and for a broadcast
/// [`Arg::Scalar`] a single entry holding the sum over all elements. Data
/// arguments have no partials (pass `None`). All slices must have the same
/// length (the shape checks of the caller guarantee it); the kernel
/// returns the summed log density.
#[derive(Clone, Copy, Debug)]
pub enum Arg<'a, T> {
    /// A parameter-dependent scalar, broadcast.
    Scalar(T),
    /// A parameter-dependent vector.
    Slice(&'a [T]),
    /// A data scalar, broadcast.
    Const(f64),
    /// A data vector.
    ConstSlice(&'a [f64]),
}

impl<'a, T: Scalar> Arg<'a, T> {
    /// Number of elements, or `None` when broadcast.
    pub fn vector_len(&self) -> Option<usize> {
        match self {
            Arg::Slice(s) => Some(s.len()),
            Arg::ConstSlice(s) => Some(s.len()),
            Arg::Scalar(_) | Arg::Const(_) => None,
        }
    }

    pub fn is_broadcast(&self) -> bool {
        self.vector_len().is_none()
    }

    /// Element `i` (the broadcast value for scalars).
    #[inline(always)]
    pub fn get(&self, i: usize) -> T {
        match *self {
            Arg::Scalar(x) => x,
            Arg::Slice(s) => s[i],
            Arg::Const(x) => T::from(x),
            Arg::ConstSlice(s) => T::from(s[i]),
        }
    }
}

/// Static readers for the hot loops of slice kernels: [`with_reader!`]
/// turns an [`Arg`] into one of these so that each combination of
/// argument kinds gets its own branch-free, bounds-check-free loop.
pub(crate) trait Reader<T>: Copy {
    fn at(&self, i: usize) -> T;
}

#[derive(Clone, Copy)]
pub(crate) struct Broadcast<T>(pub T);
#[derive(Clone, Copy)]
pub(crate) struct Elements<'a, T>(pub &'a [T]);
#[derive(Clone, Copy)]
pub(crate) struct DataBroadcast(pub f64);
#[derive(Clone, Copy)]
pub(crate) struct DataElements<'a>(pub &'a [f64]);

impl<T: Scalar> Reader<T> for Broadcast<T> {
    #[inline(always)]
    fn at(&self, _: usize) -> T {
        self.0
    }
}
impl<T: Scalar> Reader<T> for Elements<'_, T> {
    #[inline(always)]
    fn at(&self, i: usize) -> T {
        self.0[i]
    }
}
impl<T: Scalar> Reader<T> for DataBroadcast {
    #[inline(always)]
    fn at(&self, _: usize) -> T {
        T::from(self.0)
    }
}
impl<T: Scalar> Reader<T> for DataElements<'_> {
    #[inline(always)]
    fn at(&self, i: usize) -> T {
        T::from(self.0[i])
    }
}

/// `with_reader!(arg, n, |r| body)`: runs `body` with `r` bound to the
/// static reader of `arg` (slices cut to length `n`).
macro_rules! with_reader {
    ($arg:expr, $n:expr, |$r:ident| $body:expr) => {
        match $arg {
            $crate::dist::Arg::Scalar(x) => {
                let $r = $crate::dist::Broadcast(x);
                $body
            }
            $crate::dist::Arg::Slice(s) => {
                let $r = $crate::dist::Elements(&s[..$n]);
                $body
            }
            $crate::dist::Arg::Const(x) => {
                let $r = $crate::dist::DataBroadcast(x);
                $body
            }
            $crate::dist::Arg::ConstSlice(s) => {
                let $r = $crate::dist::DataElements(&s[..$n]);
                $body
            }
        }
    };
}
pub(crate) use with_reader;

/// Where a slice kernel writes the partials of one argument: per element,
/// or summed into one entry for a broadcast argument.
pub(crate) struct Sink<'a, T> {
    out: Option<&'a mut [T]>,
    per_element: bool,
    acc: T,
}

impl<'a, T: Scalar> Sink<'a, T> {
    pub(crate) fn new(out: Option<&'a mut [T]>, arg: &Arg<'_, T>, n: usize) -> Sink<'a, T> {
        let per_element = !arg.is_broadcast();
        if let Some(o) = &out {
            assert_eq!(
                o.len(),
                if per_element { n } else { 1 },
                "partials buffer has the wrong length"
            );
        }
        Sink {
            out,
            per_element,
            acc: T::zero(),
        }
    }

    #[inline(always)]
    pub(crate) fn put(&mut self, i: usize, v: T) {
        if let Some(o) = self.out.as_deref_mut() {
            if self.per_element {
                o[i] = v;
            } else {
                self.acc += v;
            }
        }
    }

    /// Writes the sum for a broadcast argument.
    pub(crate) fn finish(self) {
        if let Some(o) = self.out {
            if !self.per_element {
                o[0] = self.acc;
            }
        }
    }
}

/// Draws from a `rand_distr` distribution, NaN when its parameters are
/// rejected (callers check domains first, so this marks a bug, not a panic).
pub(crate) fn draw<D, E>(d: Result<D, E>, rng: &mut VRng) -> f64
where
    D: rand_distr::Distribution<f64>,
{
    match d {
        Ok(d) => d.sample(rng),
        Err(_) => f64::NAN,
    }
}

/// A uniform draw in the open interval (0, 1).
pub(crate) fn open01(rng: &mut VRng) -> f64 {
    rand_distr::Distribution::sample(&rand_distr::Open01, rng)
}

/// log(y!) for a non-negative integer y given as a real: integer entries
/// are data, so no derivative is carried.
pub(crate) fn lfactorial(y: f64) -> f64 {
    crate::scalar::special::lgamma(y + 1.0)
}

/// The common length of the arguments of a slice kernel (1 when all are
/// broadcast).
///
/// # Panics
/// When two vector arguments differ in length: callers check shapes first.
pub fn broadcast_len<T: Scalar>(args: &[&Arg<'_, T>]) -> usize {
    let mut n = None;
    for a in args {
        if let Some(l) = a.vector_len() {
            match n {
                None => n = Some(l),
                Some(m) => assert_eq!(m, l, "vectorized arguments differ in length"),
            }
        }
    }
    n.unwrap_or(1)
}

/// A view of a vector (cols = 1) or row-major matrix argument.
#[derive(Clone, Copy, Debug)]
pub struct View<'a, T> {
    pub data: &'a [T],
    pub rows: usize,
    pub cols: usize,
}

impl<'a, T: Copy> View<'a, T> {
    pub fn vector(data: &'a [T]) -> View<'a, T> {
        View {
            data,
            rows: data.len(),
            cols: 1,
        }
    }
    pub fn matrix(data: &'a [T], rows: usize, cols: usize) -> View<'a, T> {
        debug_assert_eq!(data.len(), rows * cols);
        View { data, rows, cols }
    }
    pub fn at(&self, i: usize, j: usize) -> T {
        self.data[i * self.cols + j]
    }
    pub fn len(&self) -> usize {
        self.data.len()
    }
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// A distribution whose variate or arguments are whole vectors/matrices.
///
/// `args[0]` is the variate. For `multi_normal*` the variate may be a
/// matrix whose rows are independent observations (and `mu` a vector or a
/// matrix of per-row means); `categorical*` takes an int or int array.
pub trait Multivariate {
    const SPEC: DistSpec;

    /// Summed log density with all normalizing constants, or an error
    /// message when the values are outside the domain (not symmetric, not
    /// positive-definite, sizes disagree, ...); the engine treats an error as
    /// a log density of −∞ and reports the message when asked why.
    fn lpdf<T: Scalar>(args: &[View<'_, T>]) -> Result<T, String>;

    /// One draw (a vector, or a row-major matrix) given the arguments
    /// (`args` excludes the variate); the size is implied by the arguments.
    fn rng(args: &[View<'_, f64>], rng: &mut VRng, out: &mut Vec<f64>) -> Result<(), String>;
}

/// Monomorphizes a computation for one univariate distribution.
pub trait UnivariateVisitor {
    type Output;
    fn visit<D: Univariate>(self) -> Self::Output;
}

/// Monomorphizes a computation for one multivariate distribution.
pub trait MultivariateVisitor {
    type Output;
    fn visit<D: Multivariate>(self) -> Self::Output;
}

macro_rules! registry {
    (
        univariate { $($u:ident => $umod:ident :: $uty:ident,)* }
        multivariate { $($m:ident => $mmod:ident :: $mty:ident,)* }
    ) => {
        /// A built-in distribution.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
        pub enum DistId { $($u,)* $($m,)* }

        impl DistId {
            pub const ALL: &'static [DistId] = &[$(DistId::$u,)* $(DistId::$m,)*];

            pub fn spec(self) -> &'static DistSpec {
                match self {
                    $(DistId::$u => &<$umod::$uty as Univariate>::SPEC,)*
                    $(DistId::$m => &<$mmod::$mty as Multivariate>::SPEC,)*
                }
            }

            pub fn is_univariate(self) -> bool {
                match self {
                    $(DistId::$u => true,)*
                    $(DistId::$m => false,)*
                }
            }

            /// Runs `v` with the distribution's type, if univariate.
            pub fn visit_univariate<V: UnivariateVisitor>(self, v: V) -> Option<V::Output> {
                match self {
                    $(DistId::$u => Some(v.visit::<$umod::$uty>()),)*
                    _ => None,
                }
            }

            /// Runs `v` with the distribution's type, if multivariate.
            pub fn visit_multivariate<V: MultivariateVisitor>(self, v: V) -> Option<V::Output> {
                match self {
                    $(DistId::$m => Some(v.visit::<$mmod::$mty>()),)*
                    _ => None,
                }
            }
        }
    };
}

registry! {
    univariate {
        Normal => normal::Normal,
        StdNormal => std_normal::StdNormal,
        StudentT => student_t::StudentT,
        Cauchy => cauchy::Cauchy,
        DoubleExponential => double_exponential::DoubleExponential,
        Logistic => logistic::Logistic,
        Lognormal => lognormal::Lognormal,
        Exponential => exponential::Exponential,
        Gamma => gamma::Gamma,
        InvGamma => inv_gamma::InvGamma,
        Weibull => weibull::Weibull,
        Beta => beta::Beta,
        Uniform => uniform::Uniform,
        ChiSquare => chi_square::ChiSquare,
        Bernoulli => bernoulli::Bernoulli,
        BernoulliLogit => bernoulli_logit::BernoulliLogit,
        Binomial => binomial::Binomial,
        BinomialLogit => binomial_logit::BinomialLogit,
        Poisson => poisson::Poisson,
        PoissonLog => poisson_log::PoissonLog,
        NegBinomial2 => neg_binomial_2::NegBinomial2,
        NegBinomial2Log => neg_binomial_2_log::NegBinomial2Log,
    }
    multivariate {
        MultiNormal => multi_normal::MultiNormal,
        MultiNormalCholesky => multi_normal_cholesky::MultiNormalCholesky,
        Dirichlet => dirichlet::Dirichlet,
        LkjCorrCholesky => lkj_corr_cholesky::LkjCorrCholesky,
        Categorical => categorical::Categorical,
        CategoricalLogit => categorical_logit::CategoricalLogit,
    }
}

impl DistId {
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn lookup(name: &str) -> Option<DistId> {
        DistId::ALL.iter().copied().find(|d| d.name() == name)
    }
}
