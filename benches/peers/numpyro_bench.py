#!/usr/bin/env python3
"""Peer benchmark: NumPyro's stochastic variational inference on the ten
headline posteriors of the example suite.

For each posterior the same model as the example's `.vi` file is written in
NumPyro (same priors, flat priors where the original has none, same
constraints), a guide (AutoMultivariateNormal by default, optionally
AutoNormal) is fitted with Adam(0.01), 10 000 draws are taken from the fitted
guide, and per-quantity means and standard deviations are compared with the
NUTS reference where one exists. One JSON file per posterior and guide is
written. See README.md for how to run it; it is not part of the test suite.
"""

import argparse
import json
import math
import os
import platform
import sys
import time

import numpy as np

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints
from numpyro.infer import SVI, Predictive, Trace_ELBO
from numpyro.infer.autoguide import AutoMultivariateNormal, AutoNormal
from numpyro.optim import Adam

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PDB = os.path.join(REPO, "examples", "posteriordb")
UCI = os.path.join(REPO, "examples", "uci")


def flat(name, support=constraints.real, shape=()):
    """A parameter with an improper flat density on its constrained support."""
    return numpyro.sample(name, dist.ImproperUniform(support, (), shape))


def arr(data, key):
    return jnp.asarray(np.asarray(data[key], dtype=float))


# ---------------------------------------------------------------- models
# Each builder takes the parsed data and returns (model, reported sites).

def ark(d):
    K, T = int(d["K"]), int(d["T"])
    y = np.asarray(d["y"], dtype=float)
    y_lag = jnp.asarray(np.array([[y[t - k] for k in range(1, K + 1)] for t in range(K, T)]))
    y_obs = jnp.asarray(y[K:])

    def model():
        alpha = numpyro.sample("alpha", dist.Normal(0.0, 10.0))
        beta = numpyro.sample("beta", dist.Normal(0.0, 10.0).expand([K]).to_event(1))
        sigma = numpyro.sample("sigma", dist.HalfCauchy(2.5))
        numpyro.sample("y", dist.Normal(alpha + y_lag @ beta, sigma), obs=y_obs)

    return model, ["alpha", "beta", "sigma"]


def diamonds(d):
    X = np.asarray(d["X"], dtype=float)
    means_X = X[:, 1:].mean(axis=0)
    Xc = jnp.asarray(X[:, 1:] - means_X)
    Y = arr(d, "Y")
    Kc = Xc.shape[1]
    prior_only = int(d["prior_only"]) == 1

    def model():
        b = numpyro.sample("b", dist.Normal(0.0, 1.0).expand([Kc]).to_event(1))
        intercept = numpyro.sample("Intercept", dist.StudentT(3.0, 8.0, 10.0))
        sigma = numpyro.sample("sigma", dist.FoldedDistribution(dist.StudentT(3.0, 0.0, 10.0)))
        if not prior_only:
            numpyro.sample("Y", dist.Normal(intercept + Xc @ b, sigma), obs=Y)
        # The uncentred intercept, the model's `gen b_Intercept` (in the reference).
        numpyro.deterministic("b_Intercept", intercept - jnp.asarray(means_X) @ b)

    return model, ["b", "Intercept", "sigma", "b_Intercept"]


def logearn_interaction(d):
    log_earn = jnp.log(arr(d, "earn"))
    height, male = arr(d, "height"), arr(d, "male")
    X = jnp.stack([jnp.ones_like(height), height, male, height * male], axis=1)

    def model():
        beta = flat("beta", shape=(4,))
        sigma = flat("sigma", constraints.positive)
        numpyro.sample("y", dist.Normal(X @ beta, sigma), obs=log_earn)

    return model, ["beta", "sigma"]


def eight_schools(d):
    J = int(d["J"])
    y, sigma = arr(d, "y"), arr(d, "sigma")

    def model():
        theta_trans = numpyro.sample("theta_trans", dist.Normal(0.0, 1.0).expand([J]).to_event(1))
        mu = numpyro.sample("mu", dist.Normal(0.0, 5.0))
        tau = numpyro.sample("tau", dist.HalfCauchy(5.0))
        theta = numpyro.deterministic("theta", mu + tau * theta_trans)
        numpyro.sample("y", dist.Normal(theta, sigma), obs=y)

    return model, ["mu", "tau", "theta"]


def garch11(d):
    y = arr(d, "y")
    sigma1 = float(d["sigma1"])

    def model():
        mu = flat("mu")
        alpha0 = flat("alpha0", constraints.positive)
        alpha1 = numpyro.sample("alpha1", dist.Uniform(0.0, 1.0))
        # beta1 is uniform on (0, 1 - alpha1) with density 1, not 1 / (1 - alpha1):
        # sample a unit-interval coordinate and add log(1 - alpha1), the Jacobian
        # of beta1 = (1 - alpha1) * beta1_unit.
        beta1_unit = numpyro.sample("beta1_unit", dist.Uniform(0.0, 1.0))
        beta1 = numpyro.deterministic("beta1", (1.0 - alpha1) * beta1_unit)
        numpyro.factor("beta1_density", jnp.log1p(-alpha1))

        def step(s_prev, y_prev):
            s = jnp.sqrt(alpha0 + alpha1 * (y_prev - mu) ** 2 + beta1 * s_prev ** 2)
            return s, s

        _, s_rest = jax.lax.scan(step, jnp.asarray(sigma1, dtype=y.dtype), y[:-1])
        s = jnp.concatenate([jnp.array([sigma1], dtype=y.dtype), s_rest])
        numpyro.sample("y", dist.Normal(mu, s), obs=y)

    return model, ["mu", "alpha0", "alpha1", "beta1"]


def kidscore_interaction(d):
    kid = arr(d, "kid_score")
    hs, iq = arr(d, "mom_hs"), arr(d, "mom_iq")
    X = jnp.stack([jnp.ones_like(hs), hs, iq, hs * iq], axis=1)

    def model():
        beta = flat("beta", shape=(4,))
        sigma = numpyro.sample("sigma", dist.HalfCauchy(2.5))
        numpyro.sample("y", dist.Normal(X @ beta, sigma), obs=kid)

    return model, ["beta", "sigma"]


def low_dim_gauss_mix(d):
    y = arr(d, "y")

    def model():
        mu = flat("mu", constraints.ordered_vector, (2,))
        numpyro.factor("mu_prior", dist.Normal(0.0, 2.0).log_prob(mu).sum())
        sigma = numpyro.sample("sigma", dist.HalfNormal(2.0).expand([2]).to_event(1))
        theta = numpyro.sample("theta", dist.Beta(5.0, 5.0))
        lp1 = jnp.log(theta) + dist.Normal(mu[0], sigma[0]).log_prob(y)
        lp2 = jnp.log1p(-theta) + dist.Normal(mu[1], sigma[1]).log_prob(y)
        numpyro.factor("mixture", jnp.logaddexp(lp1, lp2).sum())

    return model, ["mu", "sigma", "theta"]


def logmesquite(d):
    def lg(k):
        return jnp.log(arr(d, k))

    cols = [lg(k) for k in ("diam1", "diam2", "canopy_height", "total_height", "density")]
    group = arr(d, "group")
    X = jnp.stack([jnp.ones_like(group)] + cols + [group], axis=1)
    log_weight = lg("weight")

    def model():
        beta = flat("beta", shape=(7,))
        sigma = flat("sigma", constraints.positive)
        numpyro.sample("y", dist.Normal(X @ beta, sigma), obs=log_weight)

    return model, ["beta", "sigma"]


def blr(d):
    X, y = arr(d, "X"), arr(d, "y")
    D = int(d["D"])

    def model():
        beta = numpyro.sample("beta", dist.Normal(0.0, 10.0).expand([D]).to_event(1))
        sigma = numpyro.sample("sigma", dist.HalfNormal(10.0))
        numpyro.sample("y", dist.Normal(X @ beta, sigma), obs=y)

    return model, ["beta", "sigma"]


def logistic(d):
    X = arr(d, "X")
    y = jnp.asarray(np.asarray(d["y"], dtype=float))
    K = int(d["K"])

    def model():
        alpha = flat("alpha")
        beta = flat("beta", shape=(K,))
        numpyro.sample("y", dist.Bernoulli(logits=alpha + X @ beta), obs=y)

    return model, ["alpha", "beta"]


# name -> (data file, reference file or None, builder)
def pdb(name):
    ref = os.path.join(PDB, name, "reference.json")
    return os.path.join(PDB, name, "data.json"), (ref if os.path.exists(ref) else None)


POSTERIORS = {
    "arK-arK": (*pdb("arK-arK"), ark),
    "diamonds-diamonds": (*pdb("diamonds-diamonds"), diamonds),
    "earnings-logearn_interaction": (*pdb("earnings-logearn_interaction"), logearn_interaction),
    "eight_schools-eight_schools_noncentered": (*pdb("eight_schools-eight_schools_noncentered"), eight_schools),
    "garch-garch11": (*pdb("garch-garch11"), garch11),
    "kidiq-kidscore_interaction": (*pdb("kidiq-kidscore_interaction"), kidscore_interaction),
    "low_dim_gauss_mix-low_dim_gauss_mix": (*pdb("low_dim_gauss_mix-low_dim_gauss_mix"), low_dim_gauss_mix),
    "mesquite-logmesquite": (*pdb("mesquite-logmesquite"), logmesquite),
    "sblrc-blr": (*pdb("sblrc-blr"), blr),
    "uci-ionosphere-logistic": (os.path.join(UCI, "ionosphere_train.json"),
                                os.path.join(UCI, "ionosphere_train_reference.json"), logistic),
}

GUIDES = {"mvn": AutoMultivariateNormal, "normal": AutoNormal}


# ---------------------------------------------------------------- helpers

def flatten_draws(samples, sites):
    """{site: (S, ...) array} -> {Stan-style scalar name: (S,) array}."""
    out = {}
    for site in sites:
        v = np.asarray(samples[site], dtype=float)
        if v.ndim == 1:
            out[site] = v
            continue
        for idx in np.ndindex(*v.shape[1:]):
            out[f"{site}[{','.join(str(i + 1) for i in idx)}]"] = v[(slice(None),) + idx]
    return out


def accuracy(summary, reference):
    """max |mean - ref mean| / ref sd and max |log(sd / ref sd)| over the
    reference's quantities."""
    worst_mean, worst_sd = (0.0, None), (0.0, None)
    missing = []
    for name, ref in reference["parameters"].items():
        if name not in summary:
            missing.append(name)
            continue
        z = abs(summary[name]["mean"] - ref["mean"]) / ref["sd"]
        r = abs(math.log(summary[name]["sd"] / ref["sd"]))
        if z >= worst_mean[0]:
            worst_mean = (z, name)
        if r >= worst_sd[0]:
            worst_sd = (r, name)
    if missing:
        raise KeyError(f"quantities of the reference missing from the model: {missing}")
    return {
        "max_abs_mean_error_over_ref_sd": worst_mean[0],
        "worst_mean_quantity": worst_mean[1],
        "max_abs_log_sd_ratio": worst_sd[0],
        "worst_sd_quantity": worst_sd[1],
        "n_quantities": len(reference["parameters"]),
    }


def block(tree):
    return jax.tree_util.tree_map(lambda x: x.block_until_ready() if hasattr(x, "block_until_ready") else x, tree)


def compile_steps(svi, state, chunk):
    """`chunk` SVI updates as one compiled `lax.scan`, and the time its
    ahead-of-time compilation took."""
    def run_chunk(s):
        def body(carry, _):
            carry, loss = svi.update(carry)
            return carry, loss
        return jax.lax.scan(body, s, None, length=chunk)

    t0 = time.perf_counter()
    compiled = jax.jit(run_chunk).lower(state).compile()
    return compiled, time.perf_counter() - t0


def run_one(name, guide_name, args):
    data_path, ref_path, builder = POSTERIORS[name]
    with open(data_path) as f:
        data = json.load(f)
    model, sites = builder(data)
    guide = GUIDES[guide_name](model)
    svi = SVI(model, guide, Adam(args.lr), Trace_ELBO())

    t0 = time.perf_counter()
    state = block(svi.init(jax.random.PRNGKey(args.seed)))
    t_init = time.perf_counter() - t0

    chunk = math.gcd(args.steps, 1000)
    compiled, t_compile = compile_steps(svi, state, chunk)

    t0 = time.perf_counter()
    losses = []
    for _ in range(args.steps // chunk):
        state, chunk_losses = compiled(state)
        losses.append(chunk_losses)
    block(state)
    t_run = time.perf_counter() - t0
    losses = np.concatenate([np.asarray(x) for x in losses])
    params = svi.get_params(state)

    predictive = Predictive(model, guide=guide, params=params, num_samples=args.draws, return_sites=sites)
    draw = jax.jit(predictive)
    t0 = time.perf_counter()
    block(draw(jax.random.PRNGKey(args.seed + 2)))
    t_sample_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    samples = block(draw(jax.random.PRNGKey(args.seed + 1)))
    t_sample = time.perf_counter() - t0

    draws = flatten_draws(samples, sites)
    summary = {k: {"mean": float(v.mean()), "sd": float(v.std(ddof=1))} for k, v in draws.items()}
    acc = None
    if ref_path is not None:
        with open(ref_path) as f:
            acc = accuracy(summary, json.load(f))

    tail = losses[-min(100, len(losses)):]
    return {
        "posterior": name,
        "tool": "numpyro",
        "guide": GUIDES[guide_name].__name__,
        "optimizer": f"Adam({args.lr})",
        "steps": args.steps,
        "draws": args.draws,
        "seed": args.seed,
        "float64": not args.float32,
        "has_reference": ref_path is not None,
        "accuracy": acc,
        # init: svi.init, which traces the model and compiles its own helpers;
        # compile: ahead-of-time compilation of the optimisation loop;
        # optimize: the compiled steps; sample_first: first (compiling) draw of
        # the guide sample; sample: the same draw once compiled.
        # total = what a user waits for from a cold start;
        # total_excluding_compile = the steady-state cost (optimize + sample).
        "timings_s": {
            "init": t_init,
            "compile": t_compile,
            "optimize": t_run,
            "sample_first": t_sample_first,
            "sample": t_sample,
            "total": t_init + t_compile + t_run + t_sample_first,
            "total_excluding_compile": t_run + t_sample,
            "per_step_ms": 1000.0 * t_run / args.steps,
        },
        "final_loss_mean_last_100": float(np.mean(tail)),
        "final_loss_finite": bool(np.all(np.isfinite(tail))),
        "quantities": summary,
        "versions": {
            "numpyro": numpyro.__version__,
            "jax": jax.__version__,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpu_count": os.cpu_count(),
        },
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=10000, help="optimizer steps (default 10000)")
    p.add_argument("--lr", type=float, default=0.01, help="Adam step size (default 0.01)")
    p.add_argument("--draws", type=int, default=10000, help="draws from the fitted guide (default 10000)")
    p.add_argument("--guide", choices=["mvn", "normal", "both"], default="mvn",
                   help="mvn = AutoMultivariateNormal (default), normal = AutoNormal, or both")
    p.add_argument("--posteriors", default="all",
                   help="comma-separated posterior names, or 'all' (default); 'list' prints the names")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--float32", action="store_true", help="use JAX's default 32-bit floats instead of 64-bit")
    p.add_argument("--out", default=os.path.join(HERE, "results"), help="output folder (default benches/peers/results)")
    args = p.parse_args(argv)

    if args.posteriors == "list":
        print("\n".join(POSTERIORS))
        return 0
    names = list(POSTERIORS) if args.posteriors == "all" else [s.strip() for s in args.posteriors.split(",")]
    unknown = [n for n in names if n not in POSTERIORS]
    if unknown:
        p.error(f"unknown posterior(s) {unknown}; use --posteriors list to see the names")
    if args.steps < 1 or args.draws < 2:
        p.error("--steps must be >= 1 and --draws >= 2")
    if not args.float32:
        numpyro.enable_x64()
    guides = ["mvn", "normal"] if args.guide == "both" else [args.guide]

    os.makedirs(args.out, exist_ok=True)
    for name in names:
        for g in guides:
            result = run_one(name, g, args)
            path = os.path.join(args.out, f"numpyro_{result['guide']}_{name}.json")
            with open(path, "w") as f:
                json.dump(result, f, indent=1)
                f.write("\n")
            t = result["timings_s"]
            acc = result["accuracy"]
            acc_text = ("no reference" if acc is None else
                        f"mean err {acc['max_abs_mean_error_over_ref_sd']:.3f} ref sd ({acc['worst_mean_quantity']}), "
                        f"|log sd ratio| {acc['max_abs_log_sd_ratio']:.3f} ({acc['worst_sd_quantity']})")
            print(f"{name:42s} {result['guide']:22s} total {t['total']:6.2f}s, "
                  f"without compilation {t['total_excluding_compile']:6.3f}s ({t['per_step_ms']:.3f} ms/step) "
                  f"loss {result['final_loss_mean_last_100']:.2f}  {acc_text}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
