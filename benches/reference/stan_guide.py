#!/usr/bin/env python3
"""Data and reference posteriors of the models in examples/stan_guide/.

Each model there shows one construct of the language a Stan user reaches for
(censoring with `_lccdf`, truncation `T[L, U]`, `ordered_logistic`,
`multinomial_logit`, a built-in GP kernel, `offset`/`multiplier`). This
script simulates each data set from its model's data-generating process with
a fixed seed, and computes the reference posterior with NumPyro NUTS on a
NumPyro translation of the model (the machinery of textbook_references.py,
same settings and output format).

    python benches/reference/stan_guide.py data [--check]   # write (or compare) every data.json
    python benches/reference/stan_guide.py references [--models a,b] [textbook_references options]
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import textbook_references as tr  # noqa: E402
from summarize import REPO  # noqa: E402
from textbook_data import rounded, write_data_sets  # noqa: E402

GUIDE = os.path.join(REPO, "examples", "stan_guide")
SCRIPTS = ("stan_guide.py", "stan_guide.py")


# ---------------------------------------------------------------- data

def censored_survival(rng):
    n, alpha, beta0, beta1 = 150, 1.5, 1.0, -0.5
    x = rng.normal(size=n)
    t = np.exp(beta0 + beta1 * x) * rng.weibull(alpha, size=n)
    c = rng.uniform(0.5, 5.0, size=n)
    seen = t <= c
    return {"N_obs": int(seen.sum()), "N_cens": int((~seen).sum()),
            "x_obs": rounded(x[seen], 3), "t_obs": rounded(t[seen]),
            "x_cens": rounded(x[~seen], 3), "t_cens": rounded(c[~seen])}


def truncated_regression(rng):
    n, lo, hi, a, b, sigma = 120, 0.0, 6.0, 2.0, 1.5, 2.0
    xs, ys = [], []
    while len(ys) < n:
        x = rng.uniform(-1.0, 3.0)
        y = a + b * x + sigma * rng.normal()
        if lo <= y <= hi:
            xs.append(x)
            ys.append(y)
    return {"N": n, "L": lo, "U": hi, "x": rounded(xs, 3), "y": rounded(ys)}


def ordinal_regression(rng):
    n, beta, cuts = 300, np.array([1.0, -0.7]), np.array([-2.0, -0.5, 0.6, 2.0])
    x = np.round(rng.normal(size=(n, 2)), 3)
    latent = x @ beta + rng.logistic(size=n)
    y = 1 + (latent[:, None] > cuts[None, :]).sum(axis=1)
    return {"N": n, "K": 5, "D": 2, "x": x.tolist(), "y": y.tolist()}


def multinomial_logit(rng):
    n, a, b = 40, np.array([0.5, -0.3, 1.0]), np.array([1.0, -0.5, 0.2])
    x = np.round(rng.normal(size=n), 3)
    trials = rng.integers(20, 51, size=n)
    y = []
    for i in range(n):
        eta = np.concatenate([[0.0], a + b * x[i]])
        p = np.exp(eta - eta.max())
        y.append(rng.multinomial(trials[i], p / p.sum()).tolist())
    return {"N": n, "K": 4, "x": x.tolist(), "y": y}


def gp_kernel(rng):
    n, rho, alpha, sigma = 30, 1.2, 1.0, 0.3
    x = np.sort(rng.uniform(-4.0, 4.0, size=n))
    k = alpha ** 2 * np.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / rho ** 2) + sigma ** 2 * np.eye(n)
    y = np.linalg.cholesky(k) @ rng.normal(size=n)
    return {"N": n, "x": rounded(x), "y": rounded(y)}


def hierarchical_offset(rng):
    J, mu_a, mu_b, sigma_a, sigma_b, sigma = 25, 1.5, -0.8, 0.7, 0.3, 0.6
    a = rng.normal(mu_a, sigma_a, J)
    b = rng.normal(mu_b, sigma_b, J)
    sizes = rng.integers(4, 13, size=J)
    g = np.repeat(np.arange(1, J + 1), sizes)
    x = rng.normal(size=g.size)
    y = a[g - 1] + b[g - 1] * x + sigma * rng.normal(size=g.size)
    return {"N": int(g.size), "J": J, "g": g.tolist(), "x": rounded(x, 3), "y": rounded(y)}


# folder -> (generator, seed)
DATA_SETS = {
    "censored_survival": (censored_survival, 7201),
    "truncated_regression": (truncated_regression, 7202),
    "ordinal_regression": (ordinal_regression, 7203),
    "multinomial_logit": (multinomial_logit, 7204),
    "gp_kernel": (gp_kernel, 7205),
    "hierarchical_offset": (hierarchical_offset, 7206),
}


def write_data(check):
    sets = {folder: (generate, seed, [folder]) for folder, (generate, seed) in DATA_SETS.items()}
    return write_data_sets(sets, GUIDE, check)


# ---------------------------------------------------------------- NumPyro forms

def censored_model(d):
    _, jnp, numpyro, dist = tr.jax_modules()
    x_obs, t_obs, x_cens, t_cens = (tr.arr(d[k]) for k in ("x_obs", "t_obs", "x_cens", "t_cens"))

    def model():
        alpha = numpyro.sample("alpha", dist.Gamma(2.0, 1.0))
        beta0 = numpyro.sample("beta0", dist.Normal(0.0, 5.0))
        beta1 = numpyro.sample("beta1", dist.Normal(0.0, 2.0))
        numpyro.sample("t_obs", dist.Weibull(jnp.exp(beta0 + beta1 * x_obs), alpha), obs=t_obs)
        # log survival of a Weibull: -(t / scale)^shape
        numpyro.factor("censored", -jnp.sum((t_cens / jnp.exp(beta0 + beta1 * x_cens)) ** alpha))

    return model, tr.scalar("alpha") + tr.scalar("beta0") + tr.scalar("beta1")


def truncated_model(d):
    import jax.scipy.special as sp
    import jax.scipy.stats as st
    _, jnp, numpyro, dist = tr.jax_modules()
    lo, hi, x, y = float(d["L"]), float(d["U"]), tr.arr(d["x"]), tr.arr(d["y"])

    def model():
        a = numpyro.sample("a", dist.Normal(0.0, 5.0))
        b = numpyro.sample("b", dist.Normal(0.0, 5.0))
        sigma = numpyro.sample("sigma", dist.HalfNormal(2.0))
        mu = a + b * x
        mass = sp.ndtr((hi - mu) / sigma) - sp.ndtr((lo - mu) / sigma)
        numpyro.factor("y", jnp.sum(st.norm.logpdf(y, mu, sigma) - jnp.log(mass)))

    return model, tr.scalar("a") + tr.scalar("b") + tr.scalar("sigma")


def ordinal_model(d):
    _, jnp, numpyro, dist = tr.jax_modules()
    from numpyro.distributions import constraints
    K, x, y = int(d["K"]), tr.arr(d["x"]), np.asarray(d["y"], dtype=int) - 1

    def model():
        beta = numpyro.sample("beta", dist.Normal(0.0, 2.0).expand([int(d["D"])]).to_event(1))
        c = numpyro.sample("c", dist.ImproperUniform(constraints.ordered_vector, (), (K - 1,)))
        numpyro.factor("c_prior", jnp.sum(dist.Normal(0.0, 5.0).log_prob(c)))
        numpyro.sample("y", dist.OrderedLogistic(x @ beta, c), obs=y)

    return model, tr.vector("beta", int(d["D"])) + tr.vector("c", K - 1)


def multinomial_model(d):
    _, jnp, numpyro, dist = tr.jax_modules()
    K, x, y = int(d["K"]), tr.arr(d["x"]), np.asarray(d["y"], dtype=int)
    trials = y.sum(axis=1)

    def model():
        a = numpyro.sample("a", dist.Normal(0.0, 5.0).expand([K - 1]).to_event(1))
        b = numpyro.sample("b", dist.Normal(0.0, 5.0).expand([K - 1]).to_event(1))
        eta = a[None, :] + b[None, :] * x[:, None]
        logits = jnp.concatenate([jnp.zeros((x.shape[0], 1)), eta], axis=1)
        numpyro.sample("y", dist.Multinomial(total_count=trials, logits=logits), obs=y)

    return model, tr.vector("a", K - 1) + tr.vector("b", K - 1)


def hierarchical_offset_model(d):
    _, _, numpyro, dist = tr.jax_modules()
    J, g, x, y = int(d["J"]), tr.idx(d["g"]), tr.arr(d["x"]), tr.arr(d["y"])

    def model():
        mu_a = numpyro.sample("mu_a", dist.Normal(0.0, 5.0))
        mu_b = numpyro.sample("mu_b", dist.Normal(0.0, 5.0))
        sigma_a = numpyro.sample("sigma_a", dist.HalfNormal(2.0))
        sigma_b = numpyro.sample("sigma_b", dist.HalfNormal(2.0))
        sigma = numpyro.sample("sigma", dist.Exponential(1.0))
        a_raw = numpyro.sample("a_raw", dist.Normal(0.0, 1.0).expand([J]).to_event(1))
        b_raw = numpyro.sample("b_raw", dist.Normal(0.0, 1.0).expand([J]).to_event(1))
        a = numpyro.deterministic("a", mu_a + sigma_a * a_raw)
        b = numpyro.deterministic("b", mu_b + sigma_b * b_raw)
        numpyro.sample("y", dist.Normal(a[g] + b[g] * x, sigma), obs=y)

    return model, (tr.scalar("mu_a") + tr.scalar("mu_b") + tr.scalar("sigma_a") + tr.scalar("sigma_b")
                   + tr.scalar("sigma") + tr.vector("a", J) + tr.vector("b", J))


MODELS = {
    "censored_survival": (censored_model, tr.DEFAULT,
                          "same form as model.vi; the censored times enter as a factor with the "
                          "Weibull log survival -(t / scale)^alpha"),
    "truncated_regression": (truncated_model, tr.DEFAULT,
                             "same form as model.vi; each observation's normal log density minus "
                             "log(Phi((U - mu) / sigma) - Phi((L - mu) / sigma)) as a factor; sigma as "
                             "a half-normal"),
    "ordinal_regression": (ordinal_model, tr.DEFAULT,
                           "same form as model.vi; c an ordered vector with the normal(0, 5) density "
                           "of its elements as a factor; OrderedLogistic with 0-based outcomes"),
    "multinomial_logit": (multinomial_model, tr.DEFAULT,
                          "same form as model.vi; Multinomial with logits (0, a + b x) per site"),
    "gp_kernel": (tr.gp_regression, tr.DEFAULT,
                  "covariance alpha^2 exp(-d^2 / (2 rho^2)) + sigma^2 I (gp_exp_quad_cov plus "
                  "add_diag in model.vi), MultivariateNormal with covariance_matrix; alpha and sigma "
                  "as half-normals"),
    "hierarchical_offset": (hierarchical_offset_model, tr.DEFAULT,
                            "a = mu_a + sigma_a a_raw and b = mu_b + sigma_b b_raw with standard normal "
                            "a_raw, b_raw: the offset/multiplier transform of model.vi written out; the "
                            "group scales as half-normals"),
}


def main(argv):
    if argv[:1] == ["data"]:
        return write_data("--check" in argv[1:])
    if argv[:1] == ["references"]:
        return tr.main(argv[1:], models=MODELS, root=GUIDE, scripts=SCRIPTS,
                       description="Reference posteriors of examples/stan_guide/ by NumPyro NUTS.")
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
