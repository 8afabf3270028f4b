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
//!
//! Besides one file per distribution: `spec` (domains, argument shapes,
//! [`DistSpec`]), `family` (the [`Univariate`] and [`Multivariate`] traits,
//! [`View`], the visitors) and `kernel` (the argument views and shared
//! helpers of the slice kernels). This file holds the registry, [`DistId`].

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
pub mod multinomial;
pub mod neg_binomial_2;
pub mod neg_binomial_2_log;
pub mod normal;
pub mod ordered_logistic;
pub mod poisson;
pub mod poisson_log;
pub mod std_normal;
pub mod student_t;
pub mod uniform;
pub mod weibull;

pub mod beta_proportion;
pub mod frechet;
pub mod gumbel;
pub mod inv_chi_square;
pub mod pareto;
pub mod rayleigh;
pub mod scaled_inv_chi_square;
pub mod skew_normal;
pub mod von_mises;

pub mod beta_binomial;
pub mod ordered_probit;

pub mod dirichlet_multinomial;
pub mod lkj_corr;
pub mod multi_normal_prec;
pub mod multi_student_t;
pub mod wishart;

pub mod glm;

pub mod cumulative;
mod family;
mod kernel;
mod spec;

pub use cumulative::Cumulative;
pub use family::{
    Multivariate, MultivariateVisitor, Univariate, UnivariateVisitor, View, gradient_by_duals,
};
pub use kernel::{Arg, broadcast_len};
pub(crate) use kernel::{
    Broadcast, DataBroadcast, DataElements, Elements, Reader, Sink, draw, lfactorial, open01,
    with_reader,
};
pub use spec::{ArgShape, ArgSpec, DistSpec, Domain};

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
        Gumbel => gumbel::Gumbel,
        SkewNormal => skew_normal::SkewNormal,
        Frechet => frechet::Frechet,
        Pareto => pareto::Pareto,
        Rayleigh => rayleigh::Rayleigh,
        VonMises => von_mises::VonMises,
        InvChiSquare => inv_chi_square::InvChiSquare,
        ScaledInvChiSquare => scaled_inv_chi_square::ScaledInvChiSquare,
        BetaProportion => beta_proportion::BetaProportion,
        BetaBinomial => beta_binomial::BetaBinomial,
    }
    multivariate {
        MultiNormal => multi_normal::MultiNormal,
        MultiNormalCholesky => multi_normal_cholesky::MultiNormalCholesky,
        Dirichlet => dirichlet::Dirichlet,
        LkjCorrCholesky => lkj_corr_cholesky::LkjCorrCholesky,
        Categorical => categorical::Categorical,
        CategoricalLogit => categorical_logit::CategoricalLogit,
        OrderedLogistic => ordered_logistic::OrderedLogistic,
        Multinomial => multinomial::Multinomial,
        MultinomialLogit => multinomial::MultinomialLogit,
        OrderedProbit => ordered_probit::OrderedProbit,
        MultiStudentT => multi_student_t::MultiStudentT,
        MultiNormalPrec => multi_normal_prec::MultiNormalPrec,
        DirichletMultinomial => dirichlet_multinomial::DirichletMultinomial,
        LkjCorr => lkj_corr::LkjCorr,
        Wishart => wishart::Wishart,
        InvWishart => wishart::InvWishart,
        NormalIdGlm => glm::NormalIdGlm,
        BernoulliLogitGlm => glm::BernoulliLogitGlm,
        PoissonLogGlm => glm::PoissonLogGlm,
    }
}

impl DistId {
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn lookup(name: &str) -> Option<DistId> {
        DistId::ALL.iter().copied().find(|d| d.name() == name)
    }

    /// Whether the distribution has `_cdf`, `_lcdf`, `_lccdf` (and can be truncated).
    pub fn has_cdf(self) -> bool {
        self.visit_univariate(HasCdf).unwrap_or(false)
    }
}

struct HasCdf;
impl UnivariateVisitor for HasCdf {
    type Output = bool;
    fn visit<D: Univariate>(self) -> bool {
        D::HAS_CDF
    }
}
