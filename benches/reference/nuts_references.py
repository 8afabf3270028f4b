#!/usr/bin/env python3
"""Reference posteriors computed with NumPyro's NUTS for the posteriors of the
example suite that have neither a posteriordb reference nor a closed form.

For each posterior the model of its `.vi` file is written in NumPyro (same
densities up to constants, flat priors where the original has no prior
statement, same constraints), sampled with NUTS in float64, thinned to 10 000
pooled draws, summarised in the format of the posteriordb references
(summarize.py) and written next to the model as `reference.json` (the UCI
ionosphere posterior: examples/uci/ionosphere_train_reference.json).

A reference is written only if every quantity has rhat < 1.01, ess_bulk > 1000
and ess_tail > 1000 and no transition diverged (override with --force). See
README.md for how to run it.
"""

import argparse
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from summarize import DRAW_STATISTICS, PDB, REPO, UCI, convergence, draw_statistics, load_json, write_json  # noqa: E402


def jax_modules():
    import jax
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist
    from numpyro.distributions import constraints

    return jax, jnp, numpyro, dist, constraints


# ---------------------------------------------------------------- models
# Each builder takes the parsed data and returns (model, reported quantities),
# the quantities being (site, Stan-style scalar names) in the order in which
# vippl reports them: parameters in declaration order, then parameter-dependent
# top-level `let`s and `gen`s in source order.

def scalar(site):
    return (site, [site])


def vector(site, n):
    return (site, [f"{site}[{i + 1}]" for i in range(n)])


def flat(name, support=None, shape=()):
    """A parameter with a flat (improper) density on its constrained support."""
    _, _, numpyro, dist, constraints = jax_modules()
    return numpyro.sample(name, dist.ImproperUniform(support or constraints.real, (), shape))


def diamonds(d):
    """Exact rewrite of the likelihood through sufficient statistics: with
    Z = [1, Xc] (N x 25), theta = (Intercept, b) and theta_hat, RSS the least-squares
    fit, sum_n (Y_n - Z_n theta)^2 = RSS + |R (theta - theta_hat)|^2 where Z = QR.
    The density is unchanged (checked by --check-models); each gradient costs
    O(K^2) instead of O(N K)."""
    jax, jnp, numpyro, dist, _ = jax_modules()
    X = np.asarray(d["X"], dtype=float)
    Y = np.asarray(d["Y"], dtype=float)
    N = X.shape[0]
    means_X = X[:, 1:].mean(axis=0)
    Xc = X[:, 1:] - means_X
    Kc = Xc.shape[1]
    Z = np.column_stack([np.ones(N), Xc])
    Q, R = np.linalg.qr(Z)
    theta_hat = np.linalg.solve(R, Q.T @ Y)
    resid = Y - Z @ theta_hat
    rss = float(resid @ resid)
    R, theta_hat, means = jnp.asarray(R), jnp.asarray(theta_hat), jnp.asarray(means_X)
    prior_only = int(d["prior_only"]) == 1

    def model():
        b = numpyro.sample("b", dist.Normal(0.0, 1.0).expand([Kc]).to_event(1))
        intercept = numpyro.sample("Intercept", dist.StudentT(3.0, 8.0, 10.0))
        sigma = numpyro.sample("sigma", dist.FoldedDistribution(dist.StudentT(3.0, 0.0, 10.0)))
        if not prior_only:
            theta = jnp.concatenate([jnp.reshape(intercept, (1,)), b])
            r = R @ (theta - theta_hat)
            numpyro.factor("Y", -N * jnp.log(sigma) - 0.5 * (rss + r @ r) / sigma ** 2)
        numpyro.deterministic("b_Intercept", intercept - means @ b)

    return model, [vector("b", Kc), scalar("Intercept"), scalar("sigma"), scalar("b_Intercept")]


def garch11(d):
    jax, jnp, numpyro, dist, constraints = jax_modules()
    y = jnp.asarray(np.asarray(d["y"], dtype=float))
    sigma1 = float(d["sigma1"])

    def model():
        mu = flat("mu")
        alpha0 = flat("alpha0", constraints.positive)
        alpha1 = numpyro.sample("alpha1", dist.Uniform(0.0, 1.0))
        # beta1 has density 1 on (0, 1 - alpha1) (no prior statement), not
        # 1 / (1 - alpha1): a unit-interval coordinate plus the Jacobian
        # log(1 - alpha1) of beta1 = (1 - alpha1) * beta1_unit.
        beta1_unit = numpyro.sample("beta1_unit", dist.Uniform(0.0, 1.0))
        beta1 = numpyro.deterministic("beta1", (1.0 - alpha1) * beta1_unit)
        numpyro.factor("beta1_density", jnp.log1p(-alpha1))

        def step(s_prev, y_prev):
            s = jnp.sqrt(alpha0 + alpha1 * (y_prev - mu) ** 2 + beta1 * s_prev ** 2)
            return s, s

        _, s_rest = jax.lax.scan(step, jnp.asarray(sigma1, dtype=y.dtype), y[:-1])
        s = jnp.concatenate([jnp.array([sigma1], dtype=y.dtype), s_rest])
        numpyro.sample("y", dist.Normal(mu, s), obs=y)

    return model, [scalar("mu"), scalar("alpha0"), scalar("alpha1"), scalar("beta1")]


def low_dim_gauss_mix(d):
    jax, jnp, numpyro, dist, constraints = jax_modules()
    y = jnp.asarray(np.asarray(d["y"], dtype=float))

    def model():
        # The normal(0, 2) prior is on the ordered values themselves, as in Stan.
        mu = flat("mu", constraints.ordered_vector, (2,))
        numpyro.factor("mu_prior", dist.Normal(0.0, 2.0).log_prob(mu).sum())
        sigma = numpyro.sample("sigma", dist.HalfNormal(2.0).expand([2]).to_event(1))
        theta = numpyro.sample("theta", dist.Beta(5.0, 5.0))
        lp1 = jnp.log(theta) + dist.Normal(mu[0], sigma[0]).log_prob(y)
        lp2 = jnp.log1p(-theta) + dist.Normal(mu[1], sigma[1]).log_prob(y)
        numpyro.factor("mixture", jnp.logaddexp(lp1, lp2).sum())

    return model, [vector("mu", 2), vector("sigma", 2), scalar("theta")]


def logistic(d):
    jax, jnp, numpyro, dist, _ = jax_modules()
    X = jnp.asarray(np.asarray(d["X"], dtype=float))
    y = jnp.asarray(np.asarray(d["y"], dtype=float))
    K = int(d["K"])
    if float(d.get("prior_sd", 0)) != 0:
        raise ValueError("the reference is for the flat-prior posterior (prior_sd = 0)")

    def model():
        alpha = flat("alpha")
        beta = flat("beta", shape=(K,))
        numpyro.sample("y", dist.Bernoulli(logits=alpha + X @ beta), obs=y)

    return model, [scalar("alpha"), vector("beta", K)]


def kidscore_momhsiq(d):
    jax, jnp, numpyro, dist, constraints = jax_modules()
    kid = jnp.asarray(np.asarray(d["kid_score"], dtype=float))
    hs = jnp.asarray(np.asarray(d["mom_hs"], dtype=float))
    iq = jnp.asarray(np.asarray(d["mom_iq"], dtype=float))

    def model():
        beta = flat("beta", shape=(3,))
        sigma = numpyro.sample("sigma", dist.HalfCauchy(2.5))
        numpyro.sample("y", dist.Normal(beta[0] + beta[1] * hs + beta[2] * iq, sigma), obs=kid)

    return model, [vector("beta", 3), scalar("sigma")]


def kilpisjarvi(d):
    jax, jnp, numpyro, dist, constraints = jax_modules()
    x = jnp.asarray(np.asarray(d["x"], dtype=float))
    y = jnp.asarray(np.asarray(d["y"], dtype=float))

    def model():
        alpha = numpyro.sample("alpha", dist.Normal(float(d["pmualpha"]), float(d["psalpha"])))
        beta = numpyro.sample("beta", dist.Normal(float(d["pmubeta"]), float(d["psbeta"])))
        sigma = flat("sigma", constraints.positive)
        numpyro.sample("y", dist.Normal(alpha + beta * x, sigma), obs=y)

    return model, [scalar("alpha"), scalar("beta"), scalar("sigma")]


def blr(d):
    jax, jnp, numpyro, dist, _ = jax_modules()
    X = jnp.asarray(np.asarray(d["X"], dtype=float))
    y = jnp.asarray(np.asarray(d["y"], dtype=float))
    D = int(d["D"])

    def model():
        beta = numpyro.sample("beta", dist.Normal(0.0, 10.0).expand([D]).to_event(1))
        sigma = numpyro.sample("sigma", dist.HalfNormal(10.0))
        numpyro.sample("y", dist.Normal(X @ beta, sigma), obs=y)

    return model, [vector("beta", D), scalar("sigma")]


def flat_regression(name):
    """A flat-prior linear regression with the design of closed_form.py, to check
    the sampling and summary pipeline against the exact posterior."""
    def build(d):
        jax, jnp, numpyro, dist, constraints = jax_modules()
        from closed_form import DESIGNS

        y, cols = DESIGNS[name](d)
        X = jnp.asarray(np.column_stack(cols))
        y = jnp.asarray(np.asarray(y, dtype=float))
        k = X.shape[1]

        def model():
            beta = flat("beta", shape=(k,))
            sigma = flat("sigma", constraints.positive)
            numpyro.sample("y", dist.Normal(X @ beta, sigma), obs=y)

        return model, [vector("beta", k), scalar("sigma")]

    return build


def pdb(name):
    return os.path.join(PDB, name, "data.json"), os.path.join(PDB, name, "reference.json")


# name -> (data file, output file, builder, NUTS settings)
DEFAULT = {"target_accept_prob": 0.95, "max_tree_depth": 10, "dense_mass": True}
POSTERIORS = {
    "diamonds-diamonds": (*pdb("diamonds-diamonds"), diamonds, DEFAULT),
    "garch-garch11": (*pdb("garch-garch11"), garch11, DEFAULT),
    "low_dim_gauss_mix-low_dim_gauss_mix": (*pdb("low_dim_gauss_mix-low_dim_gauss_mix"), low_dim_gauss_mix, DEFAULT),
    "uci-ionosphere-logistic": (os.path.join(UCI, "ionosphere_train.json"),
                                os.path.join(UCI, "ionosphere_train_reference.json"), logistic, DEFAULT),
    "kidiq-kidscore_momhsiq": (*pdb("kidiq-kidscore_momhsiq"), kidscore_momhsiq, DEFAULT),
    "kilpisjarvi_mod-kilpisjarvi": (*pdb("kilpisjarvi_mod-kilpisjarvi"), kilpisjarvi, DEFAULT),
    "sblri-blr": (*pdb("sblri-blr"), blr, DEFAULT),
}

# Flat-prior regressions with an exact posterior (closed_form.py): sampled only by
# --validate-closed-form, never written.
CLOSED_FORM_CHECKS = {
    name: (os.path.join(PDB, name, "data.json"), None, flat_regression(name), DEFAULT)
    for name in ("mesquite-logmesquite_logvas", "nes2000-nes")
}


# How each NumPyro translation differs in form (never in density) from model.vi.
TRANSLATION_NOTES = {
    "diamonds-diamonds": ("likelihood written through its sufficient statistics (least-squares fit of Y on "
                          "[1, centred X], residual sum of squares and R of the QR decomposition): the same "
                          "density up to a constant; sigma ~ student_t(3, 0, 10) on sigma > 0 as a folded "
                          "Student t; b_Intercept = Intercept - dot(column means of X, b)"),
    "garch-garch11": ("beta1 = (1 - alpha1) * beta1_unit with beta1_unit uniform on (0, 1) and the Jacobian "
                      "log(1 - alpha1) added, i.e. density 1 on the triangle alpha1 + beta1 < 1 as in model.vi; "
                      "volatility recursion by lax.scan"),
    "low_dim_gauss_mix-low_dim_gauss_mix": ("mu ordered with a normal(0, 2) density on the ordered values, "
                                            "mixture likelihood by logaddexp"),
    "uci-ionosphere-logistic": "flat priors on alpha and beta (prior_sd = 0)",
    "kidiq-kidscore_momhsiq": "flat beta; sigma ~ cauchy(0, 2.5) on sigma > 0 as a half-Cauchy",
    "kilpisjarvi_mod-kilpisjarvi": "uncentred year as in model.vi; flat sigma",
    "sblri-blr": "sigma ~ normal(0, 10) on sigma > 0 as a half-normal",
}


# ---------------------------------------------------------------- model check

def check_models(names, seed):
    """Compare each model's log density with the NumPyro peer script's version
    of the same posterior (benches/peers/numpyro_bench.py), where there is one, at
    random points of the unconstrained space: the difference must be constant."""
    jax, jnp, numpyro, dist, _ = jax_modules()
    from numpyro.infer.util import initialize_model

    sys.path.insert(0, os.path.join(REPO, "benches", "peers"))
    import numpyro_bench as peers

    ok = True
    for name in names:
        if name not in peers.POSTERIORS:
            print(f"check {name}: no peer model to compare with")
            continue
        data_path, _, builder, _ = POSTERIORS[name]
        data = load_json(data_path)
        ours, _ = builder(data)
        theirs, _ = peers.POSTERIORS[name][2](data)
        info = initialize_model(jax.random.PRNGKey(seed), ours)
        pe_ours = info.potential_fn
        pe_theirs = initialize_model(jax.random.PRNGKey(seed), theirs).potential_fn
        rng = np.random.default_rng(seed)
        diffs = []
        for _ in range(20):
            point = {k: jnp.asarray(np.asarray(v) + rng.normal(0, 0.5, np.shape(v)))
                     for k, v in info.param_info.z.items()}
            diffs.append(float(pe_ours(point) - pe_theirs(point)))
        spread = max(diffs) - min(diffs)
        good = spread < 1e-8 * max(1.0, max(abs(x) for x in diffs))
        ok &= good
        print(f"check {name}: potential energy difference from the peer model "
              f"{diffs[0]:.6g} (spread {spread:.2e} over 20 points) {'ok' if good else 'MISMATCH'}")
    return ok


# ---------------------------------------------------------------- sampling

def run_one(name, args):
    jax, jnp, numpyro, dist, _ = jax_modules()
    from numpyro.infer import MCMC, NUTS

    data_path, out_path, builder, settings = {**POSTERIORS, **CLOSED_FORM_CHECKS}[name]
    settings = dict(settings)
    if args.target_accept is not None:
        settings["target_accept_prob"] = args.target_accept
    if args.max_tree_depth is not None:
        settings["max_tree_depth"] = args.max_tree_depth
    data = load_json(data_path)
    model, quantities = builder(data)

    t0 = time.perf_counter()
    kernel = NUTS(model, target_accept_prob=settings["target_accept_prob"],
                  max_tree_depth=settings["max_tree_depth"], dense_mass=settings["dense_mass"])
    mcmc = MCMC(kernel, num_warmup=args.warmup, num_samples=args.draws, num_chains=args.chains,
                chain_method="sequential", progress_bar=False)
    mcmc.run(jax.random.PRNGKey(args.seed), extra_fields=("diverging", "num_steps", "accept_prob"))
    samples = mcmc.get_samples(group_by_chain=True)
    extra = mcmc.get_extra_fields(group_by_chain=True)
    wall = time.perf_counter() - t0

    thin = args.thin
    draws = {}
    for site, names in quantities:
        v = np.asarray(samples[site], dtype=float)[:, ::thin]
        if len(names) == 1 and v.ndim == 2:
            draws[names[0]] = v
        else:
            for i, qn in enumerate(names):
                draws[qn] = v[..., i]
    params, correlation = draw_statistics(draws)
    max_rhat, min_bulk, min_tail = convergence(params)

    diverging = np.asarray(extra["diverging"])
    num_steps = np.asarray(extra["num_steps"])
    max_steps = 2 ** settings["max_tree_depth"] - 1
    run = {
        "wall_time_s": round(wall, 1),
        "divergences": int(diverging.sum()),
        "divergences_per_chain": [int(x) for x in diverging.sum(axis=1)],
        "max_tree_depth_hits": int((num_steps >= max_steps).sum()),
        "mean_leapfrog_steps": float(num_steps.mean()),
        "max_leapfrog_steps": int(num_steps.max()),
        "mean_accept_prob": float(np.asarray(extra["accept_prob"]).mean()),
        "max_rhat": max_rhat,
        "min_ess_bulk": min_bulk,
        "min_ess_tail": min_tail,
    }
    passed = (max_rhat < 1.01 and min_bulk > 1000 and min_tail > 1000 and run["divergences"] == 0)
    run["converged"] = bool(passed)

    import arviz

    post_warmup = args.draws * args.chains
    data_name, _, model_name = name.partition("-")
    if name == "uci-ionosphere-logistic":
        data_name, model_name = "ionosphere_train", "logistic"
    ref = {
        "posterior": name,
        "model_name": model_name,
        "data_name": data_name,
        "source": (f"computed by the vippl project (not a posteriordb reference): NumPyro {numpyro.__version__} "
                   f"NUTS on a NumPyro translation of the model, by benches/reference/nuts_references.py; "
                   f"moments computed from the pooled thinned draws"),
        "sampler_settings": {
            "sampler": "NumPyro NUTS (multinomial, dense mass matrix adapted in windows)"
                       if settings["dense_mass"] else "NumPyro NUTS (multinomial, diagonal mass matrix)",
            "chains": args.chains,
            "warmup": args.warmup,
            "draws_per_chain": args.draws,
            "thin": thin,
            "seed": args.seed,
            "target_accept_prob": settings["target_accept_prob"],
            "max_tree_depth": settings["max_tree_depth"],
            "dense_mass": settings["dense_mass"],
            "translation": TRANSLATION_NOTES.get(name, ""),
            "init": "uniform(-2, 2) on the unconstrained space (NumPyro default)",
            "float64": True,
            "chain_method": "sequential",
            "software": {"numpyro": numpyro.__version__, "jax": jax.__version__,
                         "arviz": arviz.__version__, "numpy": np.__version__,
                         "python": platform.python_version()},
        },
        "n_chains": args.chains,
        "n_draws": int(next(iter(draws.values())).size),
        "statistics": DRAW_STATISTICS.format(arviz=arviz.__version__),
        "diagnostics": {**run, "post_warmup_transitions": post_warmup,
                        "note": "divergences, tree depth and acceptance over all post-warmup "
                                "transitions; rhat and ess on the thinned draws"},
        "parameters": params,
        "correlation": correlation,
    }
    return ref, out_path, run


def validate_closed_form(args):
    """Sample flat-prior regressions whose posterior is known exactly and compare:
    means in units of the NUTS mcse_mean, sds as ratios, quantiles in sds."""
    from closed_form import posterior_of

    ok = True
    for name in CLOSED_FORM_CHECKS:
        ref, _, run = run_one(name, args)
        exact = posterior_of(name).summary()
        z = {q: (p["mean"] - exact[q][0]) / p["mcse_mean"] for q, p in ref["parameters"].items()}
        sd_ratio = {q: p["sd"] / exact[q][1] for q, p in ref["parameters"].items()}
        qdiff = max(abs(p[k] - exact[q][i]) / exact[q][1]
                    for q, p in ref["parameters"].items() for i, k in ((2, "q05"), (3, "q50"), (4, "q95")))
        worst = max(z, key=lambda q: abs(z[q]))
        print(f"{name}: NUTS vs exact: max |mean diff|/mcse {abs(z[worst]):.2f} ({worst}), rms "
              f"{np.sqrt(np.mean(np.square(list(z.values())))):.2f}; sd ratio in "
              f"[{min(sd_ratio.values()):.4f}, {max(sd_ratio.values()):.4f}]; max quantile diff {qdiff:.4f} sd; "
              f"max rhat {run['max_rhat']:.4f}, min ess bulk {run['min_ess_bulk']:.0f}, "
              f"divergences {run['divergences']}, wall {run['wall_time_s']:.0f} s", flush=True)
        ok &= abs(z[worst]) < 4.0 and run["converged"]
    return 0 if ok else 1


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--posteriors", default="all", help="comma-separated names, 'all' (default) or 'list'")
    p.add_argument("--chains", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2000)
    p.add_argument("--draws", type=int, default=10000, help="post-warmup draws per chain, before thinning")
    p.add_argument("--thin", type=int, default=10)
    p.add_argument("--seed", type=int, default=4711)
    p.add_argument("--target-accept", type=float, default=None, help="override target_accept_prob")
    p.add_argument("--max-tree-depth", type=int, default=None, help="override max_tree_depth")
    p.add_argument("--out", default=None, help="write here instead of next to the model (a folder)")
    p.add_argument("--force", action="store_true", help="write the reference even if the checks fail")
    p.add_argument("--validate-closed-form", action="store_true",
                   help=f"only sample {', '.join(CLOSED_FORM_CHECKS)} and compare with their exact posteriors")
    p.add_argument("--check-models", action="store_true",
                   help="only compare the models with the peer script's (log density up to a constant)")
    args = p.parse_args(argv)

    if args.posteriors == "list":
        print("\n".join(POSTERIORS))
        return 0
    names = list(POSTERIORS) if args.posteriors == "all" else [s.strip() for s in args.posteriors.split(",")]
    unknown = [n for n in names if n not in POSTERIORS]
    if unknown:
        p.error(f"unknown posterior(s) {unknown}; --posteriors list prints the names")

    import jax
    jax.config.update("jax_enable_x64", True)
    if args.check_models:
        return 0 if check_models(names, args.seed) else 1

    if args.validate_closed_form:
        return validate_closed_form(args)

    status = 0
    for name in names:
        ref, out_path, run = run_one(name, args)
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
