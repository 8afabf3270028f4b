#!/usr/bin/env python3
"""Reference posteriors of the textbook models in examples/textbook/, computed
with NumPyro's NUTS.

Each model of a `model.vi` file is written here in NumPyro with the same
posterior: the same densities up to constants and the same constraints. Where a
hierarchical model is centred in vippl, the NumPyro version is non-centred
(standardised effects and a deterministic transform), which has the same
posterior for the reported quantities and samples without the funnel's
divergences. The reported quantities are those vippl reports, named as vippl
names them (parameters in declaration order, then parameter-dependent
top-level `let`s; matrices column by column as `ab[1,1]`, `ab[2,1]`, ...),
except the constant entries of a Cholesky factor of correlations.

The output, `reference.json` next to each model, has the format of the
posteriordb references (see examples/posteriordb/README.md and summarize.py).
The correlation block covers every reported quantity when there are at most
110 of them, otherwise the quantities listed for the model in
examples/textbook/index.json.

A reference is written only if every quantity has rhat < 1.01, ess_bulk > 1000
and ess_tail > 1000 and no transition diverged (override with --force; the
divergences are recorded in the file either way). See README.md.
"""

import argparse
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from summarize import DRAW_STATISTICS, REPO, convergence, draw_statistics, load_json, round_matrix, write_json  # noqa: E402

TEXTBOOK = os.path.join(REPO, "examples", "textbook")
MAX_FULL_CORRELATION = 110


def jax_modules():
    import jax
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist

    return jax, jnp, numpyro, dist


def arr(x):
    _, jnp, _, _ = jax_modules()
    return jnp.asarray(np.asarray(x, dtype=float))


def idx(g):
    """1-based indices from the data as 0-based numpy indices."""
    return np.asarray(g, dtype=int) - 1


# ---------------------------------------------------------------- reported quantities
# A report is a list of (name, function of the samples grouped by chain giving a
# (chains, draws) array), in vippl's order.

def scalar(site):
    return [(site, lambda s: s[site])]


def vector(site, n):
    return [(f"{site}[{i + 1}]", lambda s, i=i: s[site][..., i]) for i in range(n)]


def matrix(site, rows, cols):
    """Column by column, as vippl reports a matrix."""
    return [(f"{site}[{i + 1},{j + 1}]", lambda s, i=i, j=j: s[site][..., i, j])
            for j in range(cols) for i in range(rows)]


def half_cauchy(name, scale):
    _, _, numpyro, dist = jax_modules()
    return numpyro.sample(name, dist.HalfCauchy(scale))


# ---------------------------------------------------------------- models

def stochastic_volatility(d, centered):
    jax, jnp, numpyro, dist = jax_modules()
    y, T = arr(d["y"]), int(d["T"])

    def model():
        mu = numpyro.sample("mu", dist.Cauchy(0.0, 10.0))
        phi = numpyro.sample("phi", dist.Uniform(-1.0, 1.0))
        sigma = half_cauchy("sigma", 5.0)
        h_std = numpyro.sample("h_std", dist.Normal(0.0, 1.0).expand([T]).to_event(1))

        def step(h_prev, z):
            h = mu + phi * (h_prev - mu) + sigma * z
            return h, h

        h1 = mu + sigma / jnp.sqrt(1.0 - phi ** 2) * h_std[0]
        _, rest = jax.lax.scan(step, h1, h_std[1:])
        h = numpyro.deterministic("h", jnp.concatenate([h1[None], rest]))
        numpyro.sample("y", dist.Normal(0.0, jnp.exp(h / 2.0)), obs=y)

    latent = vector("h", T) if centered else vector("h_std", T)
    return model, scalar("mu") + scalar("phi") + scalar("sigma") + latent


def measurement_error(d, centered):
    _, _, numpyro, dist = jax_modules()
    N, x_meas, tau, y = int(d["N"]), arr(d["x_meas"]), float(d["tau"]), arr(d["y"])

    def model():
        x_raw = numpyro.sample("x_raw", dist.Normal(0.0, 1.0).expand([N]).to_event(1))
        mu_x = numpyro.sample("mu_x", dist.Normal(0.0, 10.0))
        sigma_x = half_cauchy("sigma_x", 5.0)
        alpha = numpyro.sample("alpha", dist.Normal(0.0, 10.0))
        beta = numpyro.sample("beta", dist.Normal(0.0, 10.0))
        sigma = half_cauchy("sigma", 5.0)
        x = numpyro.deterministic("x", mu_x + sigma_x * x_raw)
        numpyro.sample("x_meas", dist.Normal(x, tau), obs=x_meas)
        numpyro.sample("y", dist.Normal(alpha + beta * x, sigma), obs=y)

    top = scalar("mu_x") + scalar("sigma_x") + scalar("alpha") + scalar("beta") + scalar("sigma")
    if centered:
        return model, vector("x", N) + top
    return model, vector("x_raw", N) + top + vector("x", N)


def varying_slopes(d, centered):
    _, jnp, numpyro, dist = jax_modules()
    J, g, x, y = int(d["J"]), idx(d["g"]), arr(d["x"]), arr(d["y"])

    def model():
        mu_ab = numpyro.sample("mu_ab", dist.Normal(0.0, 5.0).expand([2]).to_event(1))
        tau = numpyro.sample("tau", dist.HalfNormal(2.0).expand([2]).to_event(1))
        L = numpyro.sample("L", dist.LKJCholesky(2, 2.0))
        z = numpyro.sample("z", dist.Normal(0.0, 1.0).expand([J, 2]).to_event(2))
        sigma = numpyro.sample("sigma", dist.Exponential(1.0))
        ab = numpyro.deterministic("ab", mu_ab + z @ (tau[:, None] * L).T)
        numpyro.sample("y", dist.Normal(ab[g, 0] + ab[g, 1] * x, sigma), obs=y)

    # L[1,1] = 1 and L[1,2] = 0 are constants: not reported.
    corr = [("L[2,1]", lambda s: s["L"][..., 1, 0]), ("L[2,2]", lambda s: s["L"][..., 1, 1])]
    head = vector("mu_ab", 2) + vector("tau", 2) + corr
    if centered:
        return model, head + matrix("ab", J, 2) + scalar("sigma")
    return model, head + matrix("z", J, 2) + scalar("sigma") + matrix("ab", J, 2)


def hierarchical_logistic(d):
    _, _, numpyro, dist = jax_modules()
    J, K, g, X, y = int(d["J"]), int(d["K"]), idx(d["g"]), arr(d["X"]), arr(d["y"])

    def model():
        mu_alpha = numpyro.sample("mu_alpha", dist.Normal(0.0, 2.5))
        sigma_alpha = numpyro.sample("sigma_alpha", dist.HalfNormal(1.0))
        alpha_raw = numpyro.sample("alpha_raw", dist.Normal(0.0, 1.0).expand([J]).to_event(1))
        beta = numpyro.sample("beta", dist.Normal(0.0, 2.5).expand([K]).to_event(1))
        alpha = numpyro.deterministic("alpha", mu_alpha + sigma_alpha * alpha_raw)
        numpyro.sample("y", dist.Bernoulli(logits=alpha[g] + X @ beta), obs=y)

    return model, scalar("mu_alpha") + scalar("sigma_alpha") + vector("alpha", J) + vector("beta", K)


def change_point(d):
    jax, jnp, numpyro, dist = jax_modules()
    T, D = int(d["T"]), arr(d["D"])
    before = jnp.asarray(np.arange(1, T + 1)[None, :] < np.arange(1, T + 1)[:, None])  # [s, t]: t < s

    def model():
        e = numpyro.sample("e", dist.Exponential(float(d["r_e"])))
        l = numpyro.sample("l", dist.Exponential(float(d["r_l"])))
        lp_e = dist.Poisson(e).log_prob(D)
        lp_l = dist.Poisson(l).log_prob(D)
        lp = -jnp.log(T) + jnp.where(before, lp_e[None, :], lp_l[None, :]).sum(axis=1)
        numpyro.factor("change_point", jax.scipy.special.logsumexp(lp))

    return model, scalar("e") + scalar("l")


def irt_2pl(d):
    _, _, numpyro, dist = jax_modules()
    I, J, ii, jj, y = int(d["I"]), int(d["J"]), idx(d["ii"]), idx(d["jj"]), arr(d["y"])

    def model():
        theta = numpyro.sample("theta", dist.Normal(0.0, 1.0).expand([J]).to_event(1))
        a = numpyro.sample("a", dist.LogNormal(0.0, 1.0).expand([I]).to_event(1))
        b_raw = numpyro.sample("b_raw", dist.Normal(0.0, 1.0).expand([I]).to_event(1))
        mu_b = numpyro.sample("mu_b", dist.Normal(0.0, 5.0))
        sigma_b = half_cauchy("sigma_b", 5.0)
        b = numpyro.deterministic("b", mu_b + sigma_b * b_raw)
        numpyro.sample("y", dist.Bernoulli(logits=a[ii] * (theta[jj] - b[ii])), obs=y)

    return model, vector("theta", J) + vector("a", I) + vector("b", I) + scalar("mu_b") + scalar("sigma_b")


def gp_regression(d):
    _, jnp, numpyro, dist = jax_modules()
    N, x, y = int(d["N"]), arr(d["x"]), arr(d["y"])
    sq_dist = (x[:, None] - x[None, :]) ** 2

    def model():
        rho = numpyro.sample("rho", dist.InverseGamma(5.0, 5.0))
        alpha = numpyro.sample("alpha", dist.HalfNormal(1.0))
        sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
        K = alpha ** 2 * jnp.exp(-0.5 * sq_dist / rho ** 2) + sigma ** 2 * jnp.eye(N)
        numpyro.sample("y", dist.MultivariateNormal(jnp.zeros(N), covariance_matrix=K), obs=y)

    return model, scalar("rho") + scalar("alpha") + scalar("sigma")


def eight_schools(d):
    _, _, numpyro, dist = jax_modules()
    J, y, sigma = int(d["J"]), arr(d["y"]), arr(d["sigma"])

    def model():
        mu = numpyro.sample("mu", dist.Normal(0.0, 5.0))
        tau = half_cauchy("tau", 5.0)
        eta = numpyro.sample("eta", dist.Normal(0.0, 1.0).expand([J]).to_event(1))
        theta = numpyro.deterministic("theta", mu + tau * eta)
        numpyro.sample("y", dist.Normal(theta, sigma), obs=y)

    return model, scalar("mu") + scalar("tau") + vector("theta", J)


def poisson_glmm(d):
    _, jnp, numpyro, dist = jax_modules()
    J, g, x, y = int(d["J"]), idx(d["g"]), arr(d["x"]), arr(d["y"])

    def model():
        alpha = numpyro.sample("alpha", dist.Normal(0.0, 5.0))
        beta = numpyro.sample("beta", dist.Normal(0.0, 2.5))
        sigma_u = numpyro.sample("sigma_u", dist.HalfNormal(1.0))
        u_raw = numpyro.sample("u_raw", dist.Normal(0.0, 1.0).expand([J]).to_event(1))
        u = numpyro.deterministic("u", sigma_u * u_raw)
        numpyro.sample("y", dist.Poisson(jnp.exp(alpha + beta * x + u[g])), obs=y)

    return model, scalar("alpha") + scalar("beta") + scalar("sigma_u") + vector("u", J)


def crossed_effects(d):
    _, _, numpyro, dist = jax_modules()
    A, B, ia, ib, y = int(d["A"]), int(d["B"]), idx(d["ia"]), idx(d["ib"]), arr(d["y"])

    def model():
        mu = numpyro.sample("mu", dist.Normal(0.0, 5.0))
        sigma_a = numpyro.sample("sigma_a", dist.HalfNormal(2.0))
        sigma_b = numpyro.sample("sigma_b", dist.HalfNormal(2.0))
        sigma_y = numpyro.sample("sigma_y", dist.HalfNormal(2.0))
        a_raw = numpyro.sample("a_raw", dist.Normal(0.0, 1.0).expand([A]).to_event(1))
        b_raw = numpyro.sample("b_raw", dist.Normal(0.0, 1.0).expand([B]).to_event(1))
        a = numpyro.deterministic("a", sigma_a * a_raw)
        b = numpyro.deterministic("b", sigma_b * b_raw)
        numpyro.sample("y", dist.Normal(mu + a[ia] + b[ib], sigma_y), obs=y)

    return model, (scalar("mu") + scalar("sigma_a") + scalar("sigma_b") + scalar("sigma_y")
                   + vector("a", A) + vector("b", B))


def robust_effects(d):
    _, _, numpyro, dist = jax_modules()
    J, y, s = int(d["J"]), arr(d["y"]), arr(d["s"])

    def model():
        mu = numpyro.sample("mu", dist.Normal(0.0, 10.0))
        tau = numpyro.sample("tau", dist.HalfNormal(5.0))
        t_raw = numpyro.sample("t_raw", dist.StudentT(4.0, 0.0, 1.0).expand([J]).to_event(1))
        theta = numpyro.deterministic("theta", mu + tau * t_raw)
        numpyro.sample("y", dist.Normal(theta, s), obs=y)

    return model, scalar("mu") + scalar("tau") + vector("theta", J)


DEFAULT = {"target_accept_prob": 0.95, "max_tree_depth": 10, "dense_mass": True}
FUNNEL = {**DEFAULT, "target_accept_prob": 0.99}

NONCENTRED = ("the centred model.vi is sampled in its non-centred form ({}), which has the same "
              "posterior for the reported quantities")

# folder -> (builder, NUTS settings, how the NumPyro form differs from model.vi)
MODELS = {
    "sv_centered": (lambda d: stochastic_volatility(d, True), FUNNEL,
                    NONCENTRED.format("h built from standard normal innovations h_std by the AR(1) "
                                      "recursion, lax.scan") + "; sigma ~ cauchy(0, 5) on sigma > 0 as a half-Cauchy"),
    "sv_noncentered": (lambda d: stochastic_volatility(d, False), FUNNEL,
                       "same form as model.vi; recursion by lax.scan; sigma as a half-Cauchy"),
    "measurement_error_centered": (lambda d: measurement_error(d, True), DEFAULT,
                                   NONCENTRED.format("x = mu_x + sigma_x * x_raw")
                                   + "; sigma and sigma_x ~ cauchy(0, 5) on (0, inf) as half-Cauchy"),
    "measurement_error_noncentered": (lambda d: measurement_error(d, False), DEFAULT,
                                      "same form as model.vi; sigma and sigma_x as half-Cauchy"),
    "varying_slopes_lkj_centered": (lambda d: varying_slopes(d, True), DEFAULT,
                                    NONCENTRED.format("ab = mu_ab + z diag(tau) L' row by row, z standard normal")
                                    + "; tau ~ normal(0, 2) on tau > 0 as a half-normal; "
                                      "LKJCholesky(2, 2) is Stan's lkj_corr_cholesky(2)"),
    "varying_slopes_lkj_noncentered": (lambda d: varying_slopes(d, False), DEFAULT,
                                       "same form as model.vi; tau as a half-normal; LKJCholesky(2, 2)"),
    "hierarchical_logistic": (hierarchical_logistic, DEFAULT,
                              NONCENTRED.format("alpha = mu_alpha + sigma_alpha * alpha_raw")
                              + "; sigma_alpha ~ normal(0, 1) on (0, inf) as a half-normal"),
    "change_point": (change_point, DEFAULT,
                     "the T x T table of log likelihoods per change point is summed by row and "
                     "combined by logsumexp; poisson_lpmf constants kept as in model.vi"),
    "irt_2pl": (irt_2pl, DEFAULT,
                NONCENTRED.format("b = mu_b + sigma_b * b_raw") + "; sigma_b as a half-Cauchy"),
    "gp_regression": (gp_regression, DEFAULT,
                      "covariance alpha^2 exp(-d^2 / (2 rho^2)) + sigma^2 I as in model.vi, "
                      "MultivariateNormal with covariance_matrix; alpha and sigma as half-normals"),
    "eight_schools_centered": (eight_schools, FUNNEL,
                               NONCENTRED.format("theta = mu + tau * eta") + "; tau as a half-Cauchy"),
    "poisson_glmm": (poisson_glmm, FUNNEL,
                     NONCENTRED.format("u = sigma_u * u_raw") + "; sigma_u as a half-normal"),
    "crossed_effects": (crossed_effects, DEFAULT,
                        NONCENTRED.format("a = sigma_a * a_raw, b = sigma_b * b_raw")
                        + "; the scales as half-normals"),
    "robust_effects": (robust_effects, FUNNEL,
                       NONCENTRED.format("theta = mu + tau * t_raw, t_raw ~ student_t(4, 0, 1)")
                       + "; tau ~ normal(0, 5) on tau > 0 as a half-normal"),
}


def judged_quantities(root=TEXTBOOK):
    index = load_json(os.path.join(root, "index.json"))
    return {m["folder"]: m["quantities"] for m in index["models"]}


def run_one(name, args, models=None, root=TEXTBOOK, scripts=("textbook_references.py", "textbook_data.py")):
    """NUTS on the NumPyro form of `root/name/model.vi` (from `models`,
    default the textbook models); returns the reference and the run's diagnostics."""
    jax, _, numpyro, _ = jax_modules()
    from numpyro.infer import MCMC, NUTS

    builder, settings, translation = (models or MODELS)[name]
    settings = dict(settings)
    if args.target_accept is not None:
        settings["target_accept_prob"] = args.target_accept
    data = load_json(os.path.join(root, name, "data.json"))
    model, report = builder(data)

    t0 = time.perf_counter()
    kernel = NUTS(model, target_accept_prob=settings["target_accept_prob"],
                  max_tree_depth=settings["max_tree_depth"], dense_mass=settings["dense_mass"])
    mcmc = MCMC(kernel, num_warmup=args.warmup, num_samples=args.draws, num_chains=args.chains,
                chain_method="sequential", progress_bar=False)
    mcmc.run(jax.random.PRNGKey(args.seed), extra_fields=("diverging", "num_steps", "accept_prob"))
    samples = {k: np.asarray(v, dtype=float)[:, ::args.thin]
               for k, v in mcmc.get_samples(group_by_chain=True).items()}
    extra = mcmc.get_extra_fields(group_by_chain=True)
    wall = time.perf_counter() - t0

    draws = {qname: np.asarray(get(samples)) for qname, get in report}
    params, correlation = draw_statistics(draws)
    if len(draws) > MAX_FULL_CORRELATION:
        judged = judged_quantities(root)[name]
        sub = np.corrcoef(np.vstack([draws[q].reshape(-1) for q in judged]))
        correlation = {"names": judged, "matrix": round_matrix(sub)}
    max_rhat, min_bulk, min_tail = convergence(params)

    diverging = np.asarray(extra["diverging"])
    num_steps = np.asarray(extra["num_steps"])
    run = {
        "wall_time_s": round(wall, 1),
        "divergences": int(diverging.sum()),
        "divergences_per_chain": [int(x) for x in diverging.sum(axis=1)],
        "max_tree_depth_hits": int((num_steps >= 2 ** settings["max_tree_depth"] - 1).sum()),
        "mean_leapfrog_steps": float(num_steps.mean()),
        "max_leapfrog_steps": int(num_steps.max()),
        "mean_accept_prob": float(np.asarray(extra["accept_prob"]).mean()),
        "max_rhat": max_rhat,
        "min_ess_bulk": min_bulk,
        "min_ess_tail": min_tail,
    }
    run["converged"] = bool(max_rhat < 1.01 and min_bulk > 1000 and min_tail > 1000 and run["divergences"] == 0)

    import arviz

    ref = {
        "posterior": name,
        "model_name": name,
        "data_name": name,
        "source": (f"computed by the vippl project: NumPyro {numpyro.__version__} NUTS on a NumPyro "
                   f"translation of {os.path.relpath(os.path.join(root, name), REPO)}/model.vi, by "
                   f"benches/reference/{scripts[0]}; data simulated by "
                   f"benches/reference/{scripts[1]}; moments computed from the pooled thinned draws"),
        "sampler_settings": {
            "sampler": "NumPyro NUTS (multinomial, dense mass matrix adapted in windows)",
            "chains": args.chains,
            "warmup": args.warmup,
            "draws_per_chain": args.draws,
            "thin": args.thin,
            "seed": args.seed,
            "target_accept_prob": settings["target_accept_prob"],
            "max_tree_depth": settings["max_tree_depth"],
            "dense_mass": settings["dense_mass"],
            "divergences": run["divergences"],
            "translation": translation,
            "init": "uniform(-2, 2) on the unconstrained space (NumPyro default)",
            "float64": True,
            "chain_method": "sequential",
            "software": {"numpyro": numpyro.__version__, "jax": jax.__version__,
                         "arviz": arviz.__version__, "numpy": np.__version__,
                         "python": platform.python_version()},
        },
        "n_chains": args.chains,
        "n_draws": int(next(iter(draws.values())).size),
        "statistics": DRAW_STATISTICS.format(arviz=arviz.__version__)
        + (f"; the correlation block covers the quantities of index.json only ({len(draws)} quantities "
           f"reported)" if len(draws) > MAX_FULL_CORRELATION else ""),
        "diagnostics": {**run, "post_warmup_transitions": args.draws * args.chains,
                        "note": "divergences, tree depth and acceptance over all post-warmup "
                                "transitions; rhat and ess on the thinned draws"},
        "parameters": params,
        "correlation": correlation,
    }
    return ref, run


def main(argv=None, models=None, root=TEXTBOOK, scripts=("textbook_references.py", "textbook_data.py"),
         description=None):
    models = models or MODELS
    p = argparse.ArgumentParser(description=description or __doc__.split("\n\n")[0])
    p.add_argument("--models", default="all", help="comma-separated folder names, 'all' (default) or 'list'")
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--warmup", type=int, default=2000)
    p.add_argument("--draws", type=int, default=10000, help="post-warmup draws per chain, before thinning")
    p.add_argument("--thin", type=int, default=4)
    p.add_argument("--seed", type=int, default=4711)
    p.add_argument("--target-accept", type=float, default=None, help="override target_accept_prob")
    p.add_argument("--out", default=None, help="write DIR/<model>.json instead of next to the model")
    p.add_argument("--force", action="store_true", help="write the reference even if the checks fail")
    args = p.parse_args(argv)

    if args.models == "list":
        print("\n".join(models))
        return 0
    names = list(models) if args.models == "all" else [s.strip() for s in args.models.split(",")]
    unknown = [n for n in names if n not in models]
    if unknown:
        p.error(f"unknown model(s) {unknown}; --models list prints the names")

    import jax
    jax.config.update("jax_enable_x64", True)

    status = 0
    for name in names:
        ref, run = run_one(name, args, models, root, scripts)
        out_path = os.path.join(root, name, "reference.json")
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            out_path = os.path.join(args.out, f"{name}.json")
        verdict = "converged" if run["converged"] else "NOT CONVERGED"
        print(f"{name}: {verdict}: max rhat {run['max_rhat']:.4f}, min ess bulk {run['min_ess_bulk']:.0f}, "
              f"min ess tail {run['min_ess_tail']:.0f}, divergences {run['divergences']}, "
              f"tree-depth hits {run['max_tree_depth_hits']}, mean leapfrog steps {run['mean_leapfrog_steps']:.1f}, "
              f"wall {run['wall_time_s']:.0f} s", flush=True)
        if run["converged"] or args.force:
            write_json(out_path, ref)
            print(f"  wrote {os.path.relpath(out_path, REPO)}", flush=True)
        else:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
