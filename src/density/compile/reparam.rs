//! The non-centred form of a model: every parameter `theta` with a
//! statement `theta ~ normal(mu, sigma)` whose scale is a parameter gets
//! `offset=mu, multiplier=sigma`, so that its unconstrained coordinate is
//! z = (theta − mu) / sigma. The posterior is the same; the coordinates
//! the fit works in are those of the non-centred model a Stan user would
//! write by hand, where a centred hierarchy has a funnel. The other
//! location–scale families on the real line qualify the same way, with
//! their location and scale: `student_t(nu, mu, sigma)` (robust group
//! effects), `cauchy`, `double_exponential`, `logistic`, `gumbel` and
//! `skew_normal(xi, omega, alpha)`.

use super::layout::{self, bound_params};
use crate::density::model::CompiledModel;
use crate::density::program::Program;
use crate::dist::DistId;
use crate::ir::{Bounds, Constraint, DistRef, Expr, ExprKind, Index, ParamId, StmtKind};

/// A parameter that can be non-centred, with the location and scale of
/// its statement.
struct Candidate {
    param: ParamId,
    location: Expr,
    scale: Expr,
}

impl CompiledModel {
    /// The model with every parameter it can non-centre non-centred, and
    /// their names in declaration order; `None` when there is none.
    pub fn noncentred(&self) -> Option<(CompiledModel, Vec<String>)> {
        let prog = self.program();
        let chosen = choose(prog, candidates(self));
        if chosen.is_empty() {
            return None;
        }
        let names = names_of(prog, &chosen);
        rebuilt(prog, chosen).ok().map(|m| (m, names))
    }

    /// The model with the named parameters non-centred, as
    /// [`CompiledModel::noncentred`] chose them (a saved fit re-opened).
    pub fn with_noncentred(&self, names: &[String]) -> Result<CompiledModel, String> {
        let prog = self.program();
        let all = candidates(self);
        for n in names {
            if !all.iter().any(|c| &prog.model.param(c.param).name == n) {
                return Err(format!(
                    "the fit was made with `{n}` non-centred, which this model cannot be: \
                     it has no statement `{n} ~ normal(location, scale)` (or another \
                     location–scale distribution) with a parameter in the scale"
                ));
            }
        }
        let wanted = all
            .into_iter()
            .filter(|c| names.contains(&prog.model.param(c.param).name))
            .collect();
        let chosen = choose(prog, wanted);
        if chosen.len() != names.len() {
            return Err(format!(
                "the parameters {} cannot all be non-centred together",
                names.join(", ")
            ));
        }
        rebuilt(prog, chosen)
    }
}

fn names_of(prog: &Program, chosen: &[Candidate]) -> Vec<String> {
    let mut ids: Vec<ParamId> = chosen.iter().map(|c| c.param).collect();
    ids.sort_by_key(|p| p.index());
    ids.iter()
        .map(|&p| prog.model.param(p).name.clone())
        .collect()
}

/// The program with the chosen parameters' constraints replaced and its
/// layout made again.
fn rebuilt(prog: &Program, chosen: Vec<Candidate>) -> Result<CompiledModel, String> {
    let mut prog = prog.clone();
    for c in chosen {
        let zero = matches!(c.location.kind, ExprKind::Int(0))
            || matches!(c.location.kind, ExprKind::Real(v) if v == 0.0);
        prog.model.params[c.param.index()].constraint = Constraint::Bounded(Bounds {
            lower: None,
            upper: None,
            offset: (!zero).then_some(c.location),
            multiplier: Some(c.scale),
        });
    }
    prog.layout = layout::layout(&prog)
        .map_err(|d| d.first().map_or_else(String::new, |d| d.message.clone()))?;
    Ok(CompiledModel::new(prog))
}

/// Every top-level `theta ~ normal(mu, sigma)` (or another location–scale
/// distribution, [`location_scale`]) on a whole unconstrained parameter,
/// where mu, sigma and the distribution's other arguments are computed from
/// data and other parameters only and sigma uses a parameter (a scale that
/// is data gives no funnel).
fn candidates(cm: &CompiledModel) -> Vec<Candidate> {
    let prog = cm.program();
    let mut found: Vec<Candidate> = Vec::new();
    // A loop over the elements (`for j in 1:J { theta[j] ~ normal(mu, tau) }`)
    // is a statement over the whole range in the vectorised body, inside
    // `if 1 <= J`.
    let vectorised = prog
        .vector_body
        .iter()
        .flatten()
        .flat_map(|s| match &s.kind {
            StmtKind::If { then, els, .. } if els.is_empty() => then.iter().collect(),
            _ => vec![s],
        });
    for s in prog.model.body.iter().chain(vectorised) {
        let StmtKind::Tilde { lhs, dist, args } = &s.kind else {
            continue;
        };
        let (Some(p), DistRef::Builtin(id)) = (whole_param(cm, lhs), dist) else {
            continue;
        };
        let Some((mu, sigma)) = location_scale(*id, args) else {
            continue;
        };
        let free = matches!(
            &prog.model.param(p).constraint,
            Constraint::Bounded(b) if b.lower.is_none() && b.upper.is_none() && !b.is_affine()
        );
        if !free || found.iter().any(|c| c.param == p) {
            continue;
        }
        if args.iter().all(|a| pure_without(a, p)) && uses_param(sigma) {
            found.push(Candidate {
                param: p,
                location: mu.clone(),
                scale: sigma.clone(),
            });
        }
    }
    found
}

/// The location and scale arguments of a location–scale distribution on
/// the real line: theta = mu + sigma z with z free of mu and sigma.
fn location_scale(id: DistId, args: &[Expr]) -> Option<(&Expr, &Expr)> {
    match (id, args) {
        (
            DistId::Normal
            | DistId::Cauchy
            | DistId::DoubleExponential
            | DistId::Logistic
            | DistId::Gumbel,
            [mu, sigma],
        )
        | (DistId::StudentT, [_, mu, sigma])
        | (DistId::SkewNormal, [mu, sigma, _]) => Some((mu, sigma)),
        _ => None,
    }
}

/// The parameter `e` is whole: `theta`, or `theta[1:n]` of a vector of n.
fn whole_param(cm: &CompiledModel, e: &Expr) -> Option<ParamId> {
    match &e.kind {
        ExprKind::Param(p) => Some(*p),
        ExprKind::Index(base, idx) => {
            let (ExprKind::Param(p), [Index::Slice(Some(lo), Some(hi))]) =
                (&base.kind, idx.as_slice())
            else {
                return None;
            };
            let slot = cm.layout().params.iter().find(|s| s.id == *p)?;
            let n = i64::try_from(slot.size()).ok()?;
            (slot.dims.len() == 1 && cm.eval_int(lo) == Some(1) && cm.eval_int(hi) == Some(n))
                .then_some(*p)
        }
        _ => None,
    }
}

/// Whether `e` is computed from data, literals and parameters other than
/// `p` only (no local, generated quantity, random draw or `target()`).
fn pure_without(e: &Expr, p: ParamId) -> bool {
    !e.any(&mut |x| match &x.kind {
        ExprKind::Param(q) => *q == p,
        ExprKind::Local(_)
        | ExprKind::Gen(_)
        | ExprKind::Rng(..)
        | ExprKind::Target
        | ExprKind::CallUser(..) => true,
        _ => false,
    })
}

fn uses_param(e: &Expr) -> bool {
    e.any(&mut |x| matches!(x.kind, ExprKind::Param(_)))
}

/// The candidates taken in statement order, each unless its location or
/// scale would depend on itself through parameters already taken.
fn choose(prog: &Program, candidates: Vec<Candidate>) -> Vec<Candidate> {
    let mut deps: Vec<Vec<ParamId>> = prog
        .model
        .params
        .iter()
        .map(|p| bound_params(&p.constraint))
        .collect();
    let mut chosen = Vec::new();
    for c in candidates {
        let mut uses = Vec::new();
        for e in [&c.location, &c.scale] {
            e.visit(&mut |x| {
                if let ExprKind::Param(q) = x.kind {
                    uses.push(q);
                }
            });
        }
        if uses.iter().any(|&q| reaches(&deps, q, c.param)) {
            continue;
        }
        deps[c.param.index()] = uses;
        chosen.push(c);
    }
    chosen
}

/// Whether the value of `from` depends on `to` through the bounds in
/// `deps` (or is `to`).
fn reaches(deps: &[Vec<ParamId>], from: ParamId, to: ParamId) -> bool {
    let mut stack = vec![from];
    let mut seen = vec![false; deps.len()];
    while let Some(q) = stack.pop() {
        if q == to {
            return true;
        }
        if !std::mem::replace(&mut seen[q.index()], true) {
            stack.extend(deps[q.index()].iter().copied());
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use crate::density::compile_text;
    use crate::density::model::CompiledModel;
    use crate::infer::Target;

    const SCHOOLS: &str = "data J: int<lower=1>\ndata y: real[J]\ndata sigma: real<lower=0>[J]\n\
        param theta: real[J]\nparam mu: real\nparam tau: real<lower=0>\n\
        mu ~ normal(0, 5)\ntau ~ cauchy(0, 5)\ntheta ~ normal(mu, tau)\ny ~ normal(theta, sigma)\n";
    const DATA: &str = r#"{"J": 3, "y": [28, 8, -3], "sigma": [15, 10, 16]}"#;

    #[test]
    fn the_noncentred_density_is_the_centred_one_in_other_coordinates() {
        let centred = compile_text(SCHOOLS, DATA).unwrap();
        let (nc, names) = centred.noncentred().expect("theta can be non-centred");
        assert_eq!(names, ["theta"]);
        // theta is declared before its location and scale: its value is
        // computed after theirs.
        let order: Vec<&str> = nc.layout().in_order().map(|p| p.name.as_str()).collect();
        assert_eq!(order, ["mu", "tau", "theta"]);
        for (k, (mu, log_tau)) in [(1.5, -0.7), (-3.0, 1.2), (0.2, -4.0)]
            .into_iter()
            .enumerate()
        {
            let z = [0.3 - k as f64, -1.1, 2.0 * k as f64];
            same_posterior(&centred, &nc, (mu, log_tau, z), "normal");
        }
        let again = centred.with_noncentred(&names).unwrap();
        assert_eq!(again.layout(), nc.layout());
    }

    #[test]
    fn a_loop_over_every_element_is_non_centred_like_the_whole_statement() {
        let looped = SCHOOLS.replace(
            "theta ~ normal(mu, tau)",
            "for j in 1:J { theta[j] ~ normal(mu, tau) }",
        );
        let whole = compile_text(SCHOOLS, DATA).unwrap().noncentred().unwrap().0;
        let (nc, names) = compile_text(&looped, DATA).unwrap().noncentred().unwrap();
        assert_eq!(names, ["theta"]);
        let u = [0.4, -1.0, 1.3, 2.0, -0.5];
        let (a, b) = (
            whole.log_density(&mut whole.workspace(), &u),
            nc.log_density(&mut nc.workspace(), &u),
        );
        assert!((a - b).abs() < 1e-10 * a.abs(), "{a} vs {b}");
        // A loop over part of the elements is not the whole statement.
        let part = SCHOOLS.replace(
            "theta ~ normal(mu, tau)",
            "for j in 2:J { theta[j] ~ normal(mu, tau) }\ntheta[1] ~ normal(0, 10)",
        );
        assert!(compile_text(&part, DATA).unwrap().noncentred().is_none());
    }

    #[test]
    fn every_location_scale_family_is_non_centred_with_its_jacobian() {
        for dist in [
            "normal(mu, tau)",
            "student_t(4, mu, tau)",
            "cauchy(mu, tau)",
            "double_exponential(mu, tau)",
            "logistic(mu, tau)",
            "gumbel(mu, tau)",
            "skew_normal(mu, tau, 2)",
        ] {
            let src = SCHOOLS.replace("theta ~ normal(mu, tau)", &format!("theta ~ {dist}"));
            let centred = compile_text(&src, DATA).unwrap();
            let (nc, names) = centred.noncentred().expect(dist);
            assert_eq!(names, ["theta"], "{dist}");
            same_posterior(&centred, &nc, (0.7, -0.4, [0.5, -1.2, 2.1]), dist);
        }
    }

    /// The non-centred schools' log density at (z, mu, log tau) is the
    /// centred one at theta = mu + tau z plus the log Jacobian 3 log tau:
    /// p_nc(z) = p_c(theta(z)) |d theta / d z|.
    fn same_posterior(
        centred: &CompiledModel,
        nc: &CompiledModel,
        (mu, log_tau, z): (f64, f64, [f64; 3]),
        what: &str,
    ) {
        let tau = log_tau.exp();
        // Layout: theta[1..3], mu, log tau.
        let u_nc = [z[0], z[1], z[2], mu, log_tau];
        let u_c = [
            mu + tau * z[0],
            mu + tau * z[1],
            mu + tau * z[2],
            mu,
            log_tau,
        ];
        let lc = centred.log_density(&mut centred.workspace(), &u_c);
        let ln = nc.log_density(&mut nc.workspace(), &u_nc);
        let want = lc + 3.0 * log_tau;
        assert!(
            (ln - want).abs() < 1e-10 * want.abs().max(1.0),
            "{what}: {ln} vs {want}"
        );
    }

    #[test]
    fn only_location_scale_statements_with_a_parameter_scale_are_non_centred() {
        let src = "data y: real[2]\nparam a: real[2]\nparam b: real[2]\nparam c: real<lower=0>[2]\n\
            param s: real<lower=0>\nparam d: real[2]\nparam e: real\nparam f: real[2]\n\
            a ~ normal(0, 2)\nb ~ normal(0, s)\nc ~ normal(0, s)\nd ~ student_t(3, 0, s)\n\
            e ~ normal(e, s)\nf ~ student_t(f[1], 0, s)\ny ~ normal(a + b + c + d + f, 1)\n";
        let cm = compile_text(src, r#"{"y": [1, 2]}"#).unwrap();
        let (_, names) = cm.noncentred().unwrap();
        // c is bounded, e's location and f's degrees of freedom use
        // themselves.
        assert_eq!(names, ["b", "d"]);
        let err = cm.with_noncentred(&["a".to_string()]).unwrap_err();
        assert!(err.contains("`a`"), "{err}");
    }

    #[test]
    fn a_location_that_depends_back_on_the_parameter_is_left_centred() {
        // a's location uses b and b's uses a: only the first is taken.
        let src = "param a: real\nparam b: real\nparam s: real<lower=0>\n\
            s ~ exponential(1)\na ~ normal(b, s)\nb ~ normal(a, s)\n";
        let cm = compile_text(src, "{}").unwrap();
        let (nc, names) = cm.noncentred().unwrap();
        assert_eq!(names, ["a"]);
        let order: Vec<&str> = nc.layout().in_order().map(|p| p.name.as_str()).collect();
        assert_eq!(order, ["b", "s", "a"]);
        assert!(cm.noncentred().is_some());
        let none = compile_text("param a: real\na ~ normal(0, 1)\n", "{}").unwrap();
        assert!(none.noncentred().is_none());
    }
}
