//! The choices a fit is made of — algorithm, family, divergence, estimator,
//! optimizer, step, initialisation, coordinates, Hessian estimate — each an
//! enum whose text form is its command-line spelling.
//!
//! The spellings live in one table per enum ([`spelled!`]), from which
//! `Display`, `FromStr` (with an error message that lists what is
//! accepted) and serde (as that text) are generated, so a fit file records
//! the configuration in the words a user typed.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Serializes a choice as its text form and reads it back with `FromStr`.
macro_rules! text_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_string())
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Declares a choice enum from its table of spellings: one keyword per
/// unit variant, and optionally (after a `;`) one variant with a parameter
/// spelled `prefix` + value (e.g. `mixture:3`), whose value must pass `check`
/// (otherwise: "in `text`, {rule}"). An unknown word gets "unknown {what}
/// `text`; expected a, b or c", the list in table order.
macro_rules! spelled {
    (
        $(#[$meta:meta])*
        pub enum $name:ident as $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
            $(
                ;
                $(
                    $(#[$pmeta:meta])*
                    $pvariant:ident($pty:ty) = $prefix:literal + $label:literal
                        if $check:expr, else $rule:literal,
                )+
            )?
        }
    ) => {
        $(#[$meta])*
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            $( $( $(#[$pmeta])* $pvariant($pty), )+ )?
        }

        impl $name {
            /// Every spelling `FromStr` accepts, in the order the error
            /// message lists them.
            pub const SPELLINGS: &'static [&'static str] = &[$($text,)+ $($($label,)+)?];
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $( $name::$variant => f.write_str($text), )+
                    $( $( $name::$pvariant(v) => write!(f, "{}{v}", $prefix), )+ )?
                }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $( if s == $text { return Ok($name::$variant); } )+
                $($(
                    if let Some(value) = s.strip_prefix($prefix) {
                        let check: fn(&$pty) -> bool = $check;
                        return match value.parse::<$pty>() {
                            Ok(v) if check(&v) => Ok($name::$pvariant(v)),
                            _ => Err(format!("in `{s}`, {}", $rule)),
                        };
                    }
                )+)?
                Err(format!(
                    "unknown {} `{s}`; expected {}",
                    $what,
                    one_of($name::SPELLINGS)
                ))
            }
        }

        text_serde!($name);
    };
}

/// "a, b or c".
fn one_of(words: &[&str]) -> String {
    match words.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

spelled! {
    /// The update rule, named for how it moves q.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
    pub enum Algorithm as "algorithm" {
        /// Forward Euler on the Bures–Wasserstein flow = path-derivative BBVI
        /// (f-divergences via particle reweighting).
        #[default]
        Bw = "bw",
        /// Forward–backward Gaussian VI: explicit step on the potential, JKO
        /// (proximal) step on the entropy; full-rank Gaussian and KL only.
        Fbgvi = "fbgvi",
        /// Stan's ADVI, faithfully, as a like-for-like baseline.
        Advi = "advi",
    }
}

spelled! {
    /// The variational family.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum FamilyKind as "family" {
        MeanField = "meanfield",
        FullRank = "fullrank",
        ;
        /// K full-rank Gaussian components with softmax weights.
        Mixture(usize) = "mixture:" + "mixture:K"
            if |k| *k >= 1, else "K must be a whole number of components ≥ 1, e.g. mixture:3",
        /// A Gaussian whose covariance is diagonal plus rank R, D² + W Wᵀ.
        LowRank(usize) = "lowrank:" + "lowrank:R"
            if |r| *r >= 1, else "R must be a whole number ≥ 1 (the rank of the covariance's \
                                  low-rank part), e.g. lowrank:5",
    }
}

spelled! {
    /// The divergence D(p‖q) or KL(q‖p) the update minimises (its weights
    /// and exponents: `divergence`).
    #[derive(Clone, Copy, Debug, PartialEq, Default)]
    pub enum Divergence as "divergence" {
        /// KL(q‖p), mode seeking; particle weight ω ≡ 1.
        #[default]
        Kl = "kl",
        /// KL(p‖q), mass covering; ω = r.
        Fkl = "fkl",
        /// Pearson χ²(p‖q); ω = 2r².
        Chi2 = "chi2",
        /// 2 × squared Hellinger; ω = ½√r.
        Hellinger = "hellinger",
        ;
        /// Amari α (TFP convention); ω = r^α, α = 0 is KL, α = 1 is forward KL.
        Alpha(f64) = "alpha:" + "alpha:A"
            if |a| a.is_finite(), else "A must be a finite number, e.g. alpha:0.5",
    }
}

spelled! {
    /// Per-sample gradient estimator.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
    pub enum Estimator as "estimator" {
        /// Path derivative ("sticking the landing"): q's parameters frozen in log q.
        #[default]
        Path = "path",
        /// Reparameterization gradient with the closed-form entropy gradient.
        Rep = "rep",
    }
}

spelled! {
    /// How a direction becomes a step.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
    pub enum Optimizer as "optimizer" {
        /// Plain step θ ← θ + h·direction: the forward Euler scheme of the flow.
        #[default]
        Euler = "euler",
        /// Adam on the same direction (breaks the BW geometry, robust to scaling).
        Adam = "adam",
    }
}

spelled! {
    /// Where q starts.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Init as "init" {
        /// L-BFGS to the posterior mode, Laplace covariance there.
        Map = "map",
        /// Zero mean, identity scale.
        Zero = "zero",
        /// Mean uniform(−2, 2) per coordinate (Stan's convention), identity scale.
        Random = "random",
    }
}

spelled! {
    /// The coordinates the explicit flow runs in (see `precondition`): the
    /// optimum is the same in all of them, the speed is not.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Precondition as "preconditioning" {
        /// Whitened by the Laplace approximation, then re-whitened by the
        /// current q at every ELBO check of the optimisation phase.
        Adaptive = "adaptive",
        /// Coordinates whitened by the Laplace approximation at the mode.
        Laplace = "laplace",
        /// The model's unconstrained coordinates: the plain BW flow.
        None = "none",
    }
}

spelled! {
    /// How FB-GVI estimates E_q[∇² log π].
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
    pub enum HessianEstimate as "Hessian estimate" {
        /// Exact Hessians up to dimension [`EXACT_HESSIAN_MAX_DIM`], Stein's
        /// identity beyond.
        #[default]
        Auto = "auto",
        /// Average of exact Hessians at the samples (d Hessian–vector products each).
        Exact = "exact",
        /// Stein's identity from gradients only: E[∇²log π] = E[∇log π εᵀ] S⁻¹.
        Stein = "stein",
    }
}

/// Largest dimension at which [`HessianEstimate::Auto`] takes exact Hessians.
pub const EXACT_HESSIAN_MAX_DIM: usize = 100;

impl HessianEstimate {
    /// Whether FB-GVI averages exact Hessians (rather than Stein's
    /// estimate) in dimension `d`.
    pub fn exact_in(self, d: usize) -> bool {
        match self {
            HessianEstimate::Exact => true,
            HessianEstimate::Stein => false,
            HessianEstimate::Auto => d <= EXACT_HESSIAN_MAX_DIM,
        }
    }
}

/// Step size h (Euler) or learning rate (Adam).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Step {
    /// Chosen from the curvature at the start and controlled during the run.
    #[default]
    Auto,
    Fixed(f64),
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Auto => f.write_str("auto"),
            Step::Fixed(h) => write!(f, "{h}"),
        }
    }
}

impl FromStr for Step {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "auto" {
            return Ok(Step::Auto);
        }
        match s.parse::<f64>() {
            Ok(h) if h > 0.0 && h.is_finite() => Ok(Step::Fixed(h)),
            _ => Err(format!("step `{s}` must be `auto` or a positive number")),
        }
    }
}

text_serde!(Step);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        for s in ["meanfield", "fullrank", "mixture:4", "lowrank:3"] {
            assert_eq!(s.parse::<FamilyKind>().unwrap().to_string(), s);
        }
        for s in ["kl", "fkl", "chi2", "hellinger", "alpha:0.5"] {
            assert_eq!(s.parse::<Divergence>().unwrap().to_string(), s);
        }
        assert!("mixture:0".parse::<FamilyKind>().is_err());
        assert!("lowrank:0".parse::<FamilyKind>().is_err());
        assert!("lowrank:x".parse::<FamilyKind>().is_err());
        assert!("alpha:x".parse::<Divergence>().is_err());
        assert_eq!("0.25".parse::<Step>().unwrap(), Step::Fixed(0.25));
        assert!("-1".parse::<Step>().is_err());
    }

    #[test]
    fn error_messages_list_every_spelling() {
        let cases: [(Result<(), String>, &str); 10] = [
            (
                "x".parse::<Algorithm>().map(drop),
                "unknown algorithm `x`; expected bw, fbgvi or advi",
            ),
            (
                "x".parse::<FamilyKind>().map(drop),
                "unknown family `x`; expected meanfield, fullrank, mixture:K or lowrank:R",
            ),
            (
                "mixture:0".parse::<FamilyKind>().map(drop),
                "in `mixture:0`, K must be a whole number of components ≥ 1, e.g. mixture:3",
            ),
            (
                "lowrank:0".parse::<FamilyKind>().map(drop),
                "in `lowrank:0`, R must be a whole number ≥ 1 (the rank of the covariance's \
                 low-rank part), e.g. lowrank:5",
            ),
            (
                "x".parse::<Divergence>().map(drop),
                "unknown divergence `x`; expected kl, fkl, chi2, hellinger or alpha:A",
            ),
            (
                "alpha:inf".parse::<Divergence>().map(drop),
                "in `alpha:inf`, A must be a finite number, e.g. alpha:0.5",
            ),
            (
                "x".parse::<Estimator>().map(drop),
                "unknown estimator `x`; expected path or rep",
            ),
            (
                "x".parse::<Init>().map(drop),
                "unknown init `x`; expected map, zero or random",
            ),
            (
                "x".parse::<Precondition>().map(drop),
                "unknown preconditioning `x`; expected adaptive, laplace or none",
            ),
            (
                "x".parse::<HessianEstimate>().map(drop),
                "unknown Hessian estimate `x`; expected auto, exact or stein",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got.unwrap_err(), want);
        }
        assert_eq!(
            "x".parse::<Optimizer>().unwrap_err(),
            "unknown optimizer `x`; expected euler or adam"
        );
        assert_eq!(
            "0".parse::<Step>().unwrap_err(),
            "step `0` must be `auto` or a positive number"
        );
    }
}
