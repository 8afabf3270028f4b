#!/usr/bin/env python3
"""Peer timing for large-data gradients: NumPyro SVI on a simulated logistic
regression (d = 100 covariates, n rows), AutoNormal guide, Adam, float64,
JIT. One SVI step with Trace_ELBO(num_particles=1) is one gradient of the
log joint through the design matrix, the unit vippl's `bigdata` benchmark
times. Prints, per n, the median time per step after compilation and the
time of the first step (compilation included).

    /path/to/venv/bin/python benches/peers/numpyro_bigdata.py --sizes 10000,100000,1000000

Not part of the test suite; see README.md in this folder.
"""

import argparse
import time

import numpy as np

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpyro  # noqa: E402
import numpyro.distributions as dist  # noqa: E402
from numpyro.infer import SVI, Trace_ELBO  # noqa: E402
from numpyro.infer.autoguide import AutoNormal  # noqa: E402
from numpyro.optim import Adam  # noqa: E402

D = 100


def simulate(n, seed=7):
    rng = np.random.default_rng(seed)
    x = (rng.random((n, D)) * 2.0 - 1.0) * 0.3
    beta = (np.arange(D) % 7 - 3.0) / 3.0
    eta = x @ beta
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(np.float64)
    return jnp.asarray(x), jnp.asarray(y)


def model(x, y):
    beta = numpyro.sample("beta", dist.Normal(0.0, 1.0).expand([D]).to_event(1))
    numpyro.sample("y", dist.Bernoulli(logits=x @ beta), obs=y)


def time_steps(n, steps):
    x, y = simulate(n)
    guide = AutoNormal(model)
    svi = SVI(model, guide, Adam(0.01), Trace_ELBO())
    state = svi.init(jax.random.PRNGKey(0), x, y)
    update = jax.jit(svi.update)
    t = time.perf_counter()
    state, loss = update(state, x, y)
    jax.block_until_ready(loss)
    first = time.perf_counter() - t
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        state, loss = update(state, x, y)
        jax.block_until_ready(loss)
        times.append(time.perf_counter() - t)
    return float(np.median(times)), first


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--steps", type=int, default=20)
    a = p.parse_args()
    print(f"jax {jax.__version__}, numpyro {numpyro.__version__}, devices {jax.devices()}")
    for n in [int(s) for s in a.sizes.split(",")]:
        step, first = time_steps(n, a.steps)
        print(f"n = {n}, d = {D}: {1e3 * step:.2f} ms per SVI step (compiled), "
              f"first step with compilation {1e3 * first:.0f} ms")


if __name__ == "__main__":
    main()
