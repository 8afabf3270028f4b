#!/usr/bin/env python3
"""Checks that each NumPyro translation in textbook_references.py has the same
posterior as its examples/textbook/<model>/model.vi.

At five random points per model, the log density that `vippl logp` reports on
the constrained scale (`lp_no_jacobian`) is compared with NumPyro's log joint
of the translation. Where model.vi is centred and the translation is
non-centred, the point is mapped to the standardised coordinates and the log
Jacobian of the map is subtracted, which gives the centred density. The
difference must be the same at every point (it is a sum of normalising
constants: log 2 for each half-normal or half-Cauchy that vippl leaves
unnormalised, as Stan does).

    python benches/reference/textbook_check.py --vippl path/to/vippl
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import textbook_references as references  # noqa: E402

rng = np.random.default_rng(2)


# ---------------------------------------------------------------- same form in both
# Each returns (NumPyro site values, the vippl point).

def sv_same(d):
    v = dict(mu=rng.normal(-1, 0.5), phi=rng.uniform(0.5, 0.95), sigma=rng.uniform(0.1, 0.6))
    h_std = rng.normal(size=d["T"])
    return {**v, "h_std": h_std}, {**v, "h_std": h_std.tolist()}


def measurement_same(d):
    v = dict(mu_x=rng.normal(1, 0.3), sigma_x=rng.uniform(1, 2), alpha=rng.normal(0.5, 0.2),
             beta=rng.normal(2, 0.2), sigma=rng.uniform(0.5, 1))
    x_raw = rng.normal(size=d["N"])
    return {**v, "x_raw": x_raw}, {**v, "x_raw": x_raw.tolist()}


def correlation_cholesky():
    r = rng.uniform(-0.8, 0.8)
    return np.array([[1.0, 0.0], [r, np.sqrt(1 - r * r)]])


def slopes_same(d):
    mu_ab, tau, sigma = rng.normal(size=2), rng.uniform(0.3, 1.5, 2), rng.uniform(0.5, 1)
    L, z = correlation_cholesky(), rng.normal(size=(d["J"], 2))
    sites = dict(mu_ab=mu_ab, tau=tau, L=L, z=z, sigma=sigma)
    return sites, {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in sites.items()}


def change_point(d):
    v = dict(e=rng.uniform(2, 4), l=rng.uniform(0.5, 1.5))
    return v, v


def gp(d):
    v = dict(rho=rng.uniform(0.5, 2), alpha=rng.uniform(0.5, 1.5), sigma=rng.uniform(0.2, 0.5))
    return v, v


# ---------------------------------------------------------------- centred in vippl
# Each returns (NumPyro site values of the non-centred translation, the vippl
# point, log |det| of the map from the standardised to the centred coordinates).

def sv(d):
    T = d["T"]
    v = dict(mu=rng.normal(-1, 0.5), phi=rng.uniform(0.5, 0.95), sigma=rng.uniform(0.1, 0.6))
    mu, phi, sigma = v["mu"], v["phi"], v["sigma"]
    h = rng.normal(-1, 1, T)
    z = np.empty(T)
    z[0] = (h[0] - mu) * np.sqrt(1 - phi ** 2) / sigma
    z[1:] = (h[1:] - mu - phi * (h[:-1] - mu)) / sigma
    return {**v, "h_std": z}, {**v, "h": h.tolist()}, T * np.log(sigma) - 0.5 * np.log(1 - phi ** 2)


def measurement(d):
    v = dict(mu_x=rng.normal(1, 0.3), sigma_x=rng.uniform(1, 2), alpha=rng.normal(0.5, 0.2),
             beta=rng.normal(2, 0.2), sigma=rng.uniform(0.5, 1))
    x = rng.normal(1, 1.5, d["N"])
    x_raw = (x - v["mu_x"]) / v["sigma_x"]
    return {**v, "x_raw": x_raw}, {**v, "x": x.tolist()}, d["N"] * np.log(v["sigma_x"])


def slopes(d):
    J = d["J"]
    mu_ab, tau, sigma = rng.normal(size=2), rng.uniform(0.3, 1.5, 2), rng.uniform(0.5, 1)
    L, ab = correlation_cholesky(), rng.normal(size=(J, 2))
    scale = tau[:, None] * L
    z = np.linalg.solve(scale, (ab - mu_ab).T).T
    point = dict(mu_ab=mu_ab.tolist(), tau=tau.tolist(), L=L.tolist(), ab=ab.tolist(), sigma=sigma)
    return (dict(mu_ab=mu_ab, tau=tau, L=L, z=z, sigma=sigma), point,
            J * np.log(abs(np.linalg.det(scale))))


def logistic(d):
    J = d["J"]
    v = dict(mu_alpha=rng.normal(-0.3, 0.3), sigma_alpha=rng.uniform(0.4, 1.2))
    alpha, beta = rng.normal(-0.3, 0.8, J), rng.normal(size=d["K"])
    alpha_raw = (alpha - v["mu_alpha"]) / v["sigma_alpha"]
    return ({**v, "alpha_raw": alpha_raw, "beta": beta},
            {**v, "alpha": alpha.tolist(), "beta": beta.tolist()}, J * np.log(v["sigma_alpha"]))


def irt(d):
    I, J = d["I"], d["J"]
    v = dict(mu_b=rng.normal(0, 0.3), sigma_b=rng.uniform(0.5, 1.5))
    theta, a, b = rng.normal(size=J), np.exp(rng.normal(0, 0.3, I)), rng.normal(size=I)
    b_raw = (b - v["mu_b"]) / v["sigma_b"]
    return ({**v, "theta": theta, "a": a, "b_raw": b_raw},
            {**v, "theta": theta.tolist(), "a": a.tolist(), "b": b.tolist()}, I * np.log(v["sigma_b"]))


def eight_schools(d):
    v = dict(mu=rng.normal(4, 3), tau=rng.uniform(0.5, 10))
    theta = rng.normal(4, 5, d["J"])
    eta = (theta - v["mu"]) / v["tau"]
    return {**v, "eta": eta}, {**v, "theta": theta.tolist()}, d["J"] * np.log(v["tau"])


def glmm(d):
    J = d["J"]
    v = dict(alpha=rng.normal(1, 0.1), beta=rng.normal(0.5, 0.1), sigma_u=rng.uniform(0.05, 0.4))
    u = rng.normal(0, 0.15, J)
    return {**v, "u_raw": u / v["sigma_u"]}, {**v, "u": u.tolist()}, J * np.log(v["sigma_u"])


def crossed(d):
    A, B = d["A"], d["B"]
    v = dict(mu=rng.normal(2, 0.3), sigma_a=rng.uniform(0.4, 1.2), sigma_b=rng.uniform(0.2, 0.9),
             sigma_y=rng.uniform(0.8, 1.2))
    a, b = rng.normal(0, 0.8, A), rng.normal(0, 0.5, B)
    return ({**v, "a_raw": a / v["sigma_a"], "b_raw": b / v["sigma_b"]},
            {**v, "a": a.tolist(), "b": b.tolist()},
            A * np.log(v["sigma_a"]) + B * np.log(v["sigma_b"]))


def robust(d):
    v = dict(mu=rng.normal(3, 3), tau=rng.uniform(0.5, 8))
    theta = rng.normal(3, 6, d["J"])
    t_raw = (theta - v["mu"]) / v["tau"]
    return {**v, "t_raw": t_raw}, {**v, "theta": theta.tolist()}, d["J"] * np.log(v["tau"])


SAME_FORM = {"sv_noncentered": sv_same, "measurement_error_noncentered": measurement_same,
             "varying_slopes_lkj_noncentered": slopes_same, "change_point": change_point,
             "gp_regression": gp}
CENTRED = {"sv_centered": sv, "measurement_error_centered": measurement,
           "varying_slopes_lkj_centered": slopes, "hierarchical_logistic": logistic, "irt_2pl": irt,
           "eight_schools_centered": eight_schools, "poisson_glmm": glmm, "crossed_effects": crossed,
           "robust_effects": robust}


def vippl_logp(vippl, name, point):
    folder = os.path.join(references.TEXTBOOK, name)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(point, f)
    try:
        out = subprocess.run([vippl, "logp", os.path.join(folder, "model.vi"), "--data",
                              os.path.join(folder, "data.json"), "--at", f.name, "--format", "json"],
                             capture_output=True, text=True, check=True)
    finally:
        os.unlink(f.name)
    return json.loads(out.stdout)["lp_no_jacobian"]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vippl", default="vippl", help="the vippl executable")
    p.add_argument("--points", type=int, default=5)
    args = p.parse_args(argv)

    import jax
    jax.config.update("jax_enable_x64", True)
    from numpyro.infer.util import log_density

    ok = True
    for name in references.MODELS:
        data = references.load_json(os.path.join(references.TEXTBOOK, name, "data.json"))
        model, _ = references.MODELS[name][0](data)
        diffs = []
        for _ in range(args.points):
            if name in SAME_FORM:
                sites, point = SAME_FORM[name](data)
                log_jacobian = 0.0
            else:
                sites, point, log_jacobian = CENTRED[name](data)
            ours, _ = log_density(model, (), {}, {k: np.asarray(v) for k, v in sites.items()})
            diffs.append(vippl_logp(args.vippl, name, point) - (float(ours) - log_jacobian))
        spread = float(np.ptp(diffs))
        good = spread < 1e-8 * max(1.0, max(abs(x) for x in diffs))
        ok &= good
        print(f"{name}: vippl - NumPyro log density {diffs[0]:.8f} (= {diffs[0] / np.log(2):.3f} log 2), "
              f"spread {spread:.1e} over {args.points} points {'ok' if good else 'MISMATCH'}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
