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
    fn lpdf_partials<T: Scalar>(x: &[T], d: &mut [T]) -> T {
        crate::scalar::partials(x, d, Self::lpdf)
    }

    /// One draw given argument values (`args` excludes the variate).
    fn rng(args: &[f64], rng: &mut VRng) -> f64;
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
