#!/usr/bin/env python3
"""Simulated data sets of the textbook models in examples/textbook/.

Every data set is drawn from its model's data-generating process with a fixed
seed (one per data set), so running this script again rewrites identical
files. The true values are recorded in examples/textbook/README.md. Models
that exist in a centred and a non-centred form share one data set, written to
both folders.

    python benches/reference/textbook_data.py            # write all data.json files
    python benches/reference/textbook_data.py --check    # only compare with the committed files
"""

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TEXTBOOK = os.path.join(REPO, "examples", "textbook")


def rounded(x, digits=4):
    """Data are written with 4 decimals: the rounded values are the data."""
    return [round(float(v), digits) for v in np.asarray(x).reshape(-1)]


def stochastic_volatility(rng):
    T, mu, phi, sigma = 100, -1.0, 0.9, 0.3
    h = np.zeros(T)
    h[0] = mu + sigma / np.sqrt(1 - phi ** 2) * rng.normal()
    for t in range(1, T):
        h[t] = mu + phi * (h[t - 1] - mu) + sigma * rng.normal()
    y = np.exp(h / 2) * rng.normal(size=T)
    return {"T": T, "y": rounded(y)}


def measurement_error(rng):
    N, mu_x, sigma_x, tau, alpha, beta, sigma = 100, 1.0, 1.5, 0.5, 0.5, 2.0, 0.8
    x = rng.normal(mu_x, sigma_x, N)
    x_meas = x + tau * rng.normal(size=N)
    y = alpha + beta * x + sigma * rng.normal(size=N)
    return {"N": N, "x_meas": rounded(x_meas), "tau": tau, "y": rounded(y)}


def varying_slopes(rng):
    J, n_per, sigma = 20, 8, 0.7
    mu_ab, tau, rho = np.array([1.0, -0.5]), np.array([1.0, 0.5]), 0.4
    cov = np.diag(tau) @ np.array([[1.0, rho], [rho, 1.0]]) @ np.diag(tau)
    ab = rng.multivariate_normal(mu_ab, cov, size=J)
    N = J * n_per
    g = np.repeat(np.arange(1, J + 1), n_per)
    x = rng.normal(size=N)
    y = ab[g - 1, 0] + ab[g - 1, 1] * x + sigma * rng.normal(size=N)
    return {"N": N, "J": J, "g": g.tolist(), "x": rounded(x), "y": rounded(y)}


def hierarchical_logistic(rng, J=50):
    n_per, K = 20, 3
    mu_alpha, sigma_alpha, beta = -0.3, 0.8, np.array([0.8, -0.5, 0.3])
    alpha = rng.normal(mu_alpha, sigma_alpha, J)
    N = J * n_per
    g = np.repeat(np.arange(1, J + 1), n_per)
    X = np.round(rng.normal(size=(N, K)), 3)
    p = 1 / (1 + np.exp(-(alpha[g - 1] + X @ beta)))
    y = (rng.uniform(size=N) < p).astype(int)
    return {"N": N, "J": J, "K": K, "g": g.tolist(), "X": X.tolist(), "y": y.tolist()}


def change_point(rng):
    T, s, e, l = 100, 41, 3.0, 1.0
    rate = np.where(np.arange(1, T + 1) < s, e, l)
    D = rng.poisson(rate)
    return {"T": T, "D": D.tolist(), "r_e": 0.5, "r_l": 0.5}


def irt_2pl(rng):
    I, J = 20, 100
    a = np.exp(rng.normal(0.0, 0.3, I))
    mu_b, sigma_b = 0.0, 1.0
    b = rng.normal(mu_b, sigma_b, I)
    theta = rng.normal(size=J)
    ii = np.tile(np.arange(1, I + 1), J)
    jj = np.repeat(np.arange(1, J + 1), I)
    p = 1 / (1 + np.exp(-a[ii - 1] * (theta[jj - 1] - b[ii - 1])))
    y = (rng.uniform(size=I * J) < p).astype(int)
    return {"I": I, "J": J, "N": I * J, "ii": ii.tolist(), "jj": jj.tolist(), "y": y.tolist()}


def gp_regression(rng):
    N, rho, alpha, sigma = 25, 1.0, 1.0, 0.3
    x = np.sort(rng.uniform(-3, 3, N))
    d = x[:, None] - x[None, :]
    K = alpha ** 2 * np.exp(-0.5 * d ** 2 / rho ** 2) + 1e-9 * np.eye(N)
    f = np.linalg.cholesky(K) @ rng.normal(size=N)
    y = f + sigma * rng.normal(size=N)
    return {"N": N, "x": rounded(x), "y": rounded(y)}


def eight_schools(rng):
    # The classic data (Rubin 1981); nothing is simulated.
    return {"J": 8, "y": [28, 8, -3, 7, -1, 1, 18, 12], "sigma": [15, 10, 16, 11, 9, 11, 10, 18]}


def poisson_glmm(rng):
    J, n_per, alpha, beta, sigma_u = 30, 10, 1.0, 0.5, 0.15
    u = rng.normal(0, sigma_u, J)
    N = J * n_per
    g = np.repeat(np.arange(1, J + 1), n_per)
    x = np.round(rng.normal(size=N), 3)
    y = rng.poisson(np.exp(alpha + beta * x + u[g - 1]))
    return {"N": N, "J": J, "g": g.tolist(), "x": x.tolist(), "y": y.tolist()}


def crossed_effects(rng):
    A, B, reps, mu, sigma_a, sigma_b, sigma_y = 15, 10, 2, 2.0, 0.8, 0.5, 1.0
    a = rng.normal(0, sigma_a, A)
    b = rng.normal(0, sigma_b, B)
    ia = np.repeat(np.arange(1, A + 1), B * reps)
    ib = np.tile(np.repeat(np.arange(1, B + 1), reps), A)
    y = mu + a[ia - 1] + b[ib - 1] + sigma_y * rng.normal(size=A * B * reps)
    return {"N": int(A * B * reps), "A": A, "B": B, "ia": ia.tolist(), "ib": ib.tolist(), "y": rounded(y)}


def robust_effects(rng):
    # Estimates with known standard errors, as in eight schools, of effects
    # drawn from a Student-t with 4 degrees of freedom.
    J, mu, tau = 10, 3.0, 4.0
    s = np.round(rng.uniform(5, 15, J), 2)
    theta = mu + tau * rng.standard_t(4, J)
    y = np.round(theta + s * rng.normal(size=J), 2)
    return {"J": J, "y": y.tolist(), "s": s.tolist()}


# data set -> (generator, seed, folders that use it)
DATA_SETS = {
    "stochastic_volatility": (stochastic_volatility, 7101, ["sv_centered", "sv_noncentered"]),
    "measurement_error": (measurement_error, 7102,
                          ["measurement_error_centered", "measurement_error_noncentered"]),
    "varying_slopes": (varying_slopes, 7103,
                       ["varying_slopes_lkj_centered", "varying_slopes_lkj_noncentered"]),
    "hierarchical_logistic": (hierarchical_logistic, 7104, ["hierarchical_logistic"]),
    "change_point": (change_point, 7105, ["change_point"]),
    "irt_2pl": (irt_2pl, 7106, ["irt_2pl"]),
    "gp_regression": (gp_regression, 7107, ["gp_regression"]),
    "eight_schools": (eight_schools, 7108, ["eight_schools_centered"]),
    "poisson_glmm": (poisson_glmm, 7109, ["poisson_glmm"]),
    "crossed_effects": (crossed_effects, 7110, ["crossed_effects"]),
    "robust_effects": (robust_effects, 7111, ["robust_effects"]),
}


def render(data):
    """Compact JSON: one field per line, arrays on one line."""
    lines = [f" {json.dumps(k)}: {json.dumps(v)}" for k, v in data.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def write_data_sets(data_sets, root, check):
    """Writes (or, with `check`, compares) `root/<folder>/data.json` for every
    data set: name -> (generator, seed, folders)."""
    status = 0
    for name, (generate, seed, folders) in data_sets.items():
        text = render(generate(np.random.default_rng(seed)))
        for folder in folders:
            path = os.path.join(root, folder, "data.json")
            if check:
                same = os.path.exists(path) and open(path).read() == text
                print(f"{folder}/data.json: {'identical' if same else 'DIFFERS'}")
                status |= 0 if same else 1
            else:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write(text)
                print(f"wrote {os.path.relpath(path, REPO)} ({len(text)} bytes)")
    return status


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="compare with the committed files, write nothing")
    args = p.parse_args(argv)
    return write_data_sets(DATA_SETS, TEXTBOOK, args.check)


if __name__ == "__main__":
    sys.exit(main())
