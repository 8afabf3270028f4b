#!/usr/bin/env python3
"""Independent numpy implementation of the Bayesian logistic regression
experiment of Yi & Liu, "Bridging the Gap Between Variational Inference and
Wasserstein Gradient Flows" (section 6.3), written from the algorithm's
mathematics, used as the reference of `examples/uci_logistic.rs`.

Setting (the published one):
- data: heart, ionosphere, pima, wine from ../uci/, the published split
  (../uci/paper_split_indices.json), every feature column kept (ionosphere:
  34), min-max scaled with the training rows; a constant column is scaled
  to 0 (zero range: x - min);
- model: y ~ Bernoulli(sigmoid(b + x.w)), flat prior (the log target is the
  training log-likelihood);
- family: mean-field Gaussian over theta = (b, w) with sd = softplus(rho);
  start: mean b = 1, w = 0; rho_b = 1, rho_w = 0;
- full batch, 32 draws theta_s = mu + sd * eps_s per iteration, Adam
  (lr 0.01, betas 0.9 / 0.999, eps 1e-8) on (mu, rho), 2001 iterations;
- methods: rep-KL (reparameterisation gradient, entropy differentiated
  in closed form), path-KL (path derivative: log q frozen), and the
  f-divergence distillation with the path derivative for forward KL
  (omega = r), chi^2 (omega = 2 r^2) and Hellinger (omega = sqrt(r) / 2),
  where r_s = p(theta_s) / q(theta_s) and every per-draw direction
  g_s = grad log p - grad log q is multiplied by omega(r_s).

Weight normalisation (--weights):
- `max` (default, the published one): log r shifted by its largest value in
  the batch, omega = c exp(alpha (log r - max log r)); no further scaling
  (Adam absorbs the batch's overall scale).
- `mean`: self-normalised, omega_s / mean_s omega_s.

The loss of a batch is -mean_s h(r_s) / 32 (the published scaling); its
gradient with respect to mu is -mean_s omega_s g_s / 32 and with respect to
rho is -mean_s omega_s g_s eps_s sigmoid(rho) / 32.

--scale raw moves the sd itself under Adam (a diagnostic, not the paper).

Evaluation: 32 draws from the fitted q. Accuracy: per draw, the fraction of
test rows with 1[b + x.w > 0] equal to y; reported: the mean and sd over the
draws. Test log-likelihood: the mean over test rows of
log (1/32) sum_s p(y | x, theta_s) (the posterior predictive of the draws).
Per data set and method: mean and sd over training seeds.

    python3 examples/paper/uci_reference.py            # writes the results
    python3 examples/paper/uci_reference.py --seeds 1,2 --iters 501 --out target/uci_reference_trial.json

Needs numpy only.
"""

import argparse
import csv
import json
import math
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
UCI = os.path.join(HERE, "..", "uci")

DATASETS = ["heart", "ionosphere", "pima", "wine"]
METHODS = ["rep-KL", "path-KL", "path-FKL", "path-χ²", "path-Hellinger"]
# omega(r) = c r^alpha; KL: alpha = 0.
POWER = {
    "rep-KL": (1.0, 0.0),
    "path-KL": (1.0, 0.0),
    "path-FKL": (1.0, 1.0),
    "path-χ²": (2.0, 2.0),
    "path-Hellinger": (0.5, 0.5),
}
FILES = {
    "heart": "heart.csv",
    "ionosphere": "ionosphere_data.csv",
    "pima": "pima-indians-diabetes.csv",
    "wine": "winequality-red.csv",
}


def number(text):
    t = text.strip().lower()
    if t == "true":
        return 1.0
    if t == "false":
        return 0.0
    return float(t)


def read_csv(name):
    """Feature matrix and 0/1 labels of one data set, all columns."""
    with open(os.path.join(UCI, FILES[name]), newline="", encoding="utf-8-sig") as f:
        rows = [r for r in csv.reader(f) if r]
    # Every file but pima has a header; pima has none, and the published
    # split counts rows as a header-reading loader did, so its first line
    # is not in the split either.
    rows = rows[1:]
    x = np.array([[number(v) for v in r[:-1]] for r in rows])
    last = [r[-1].strip() for r in rows]
    if name == "ionosphere":
        y = np.array([1.0 if v == "g" else 0.0 for v in last])
    elif name == "wine":
        y = np.array([1.0 if float(v) >= 6 else 0.0 for v in last])
    else:
        y = np.array([float(v) for v in last])
    assert set(np.unique(y)) <= {0.0, 1.0}
    return x, y


def prepare(name):
    x, y = read_csv(name)
    with open(os.path.join(UCI, "paper_split_indices.json")) as f:
        split = json.load(f)["splits"][FILES[name]]
    assert len(y) == split["n_rows"], (name, len(y))
    tr, te = np.array(split["train"]), np.array(split["test"])
    lo, hi = x[tr].min(axis=0), x[tr].max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    scaled = (x - lo) / span
    return scaled[tr], y[tr], scaled[te], y[te]


def softplus(v):
    return np.logaddexp(0.0, v)


def sigmoid(v):
    return 0.5 * (1.0 + np.tanh(0.5 * v))


def loglik_and_grad(theta, x, y):
    """Bernoulli-logit log-likelihood of each row of theta (S x D, theta =
    (b, w)) and its gradient."""
    z = theta[:, :1] + theta[:, 1:] @ x.T  # S x N
    ll = (y * z - softplus(z)).sum(axis=1)
    resid = y - sigmoid(z)  # S x N
    grad = np.empty_like(theta)
    grad[:, 0] = resid.sum(axis=1)
    grad[:, 1:] = resid @ x
    return ll, grad


def fit(method, x, y, iters, seed, samples, weights, scale):
    d = x.shape[1] + 1
    rng = np.random.default_rng(seed)
    mu = np.zeros(d)
    mu[0] = 1.0
    rho = np.zeros(d)
    rho[0] = 1.0
    params = np.concatenate([mu, softplus(rho) if scale == "raw" else rho])
    m = np.zeros(2 * d)
    v = np.zeros(2 * d)
    lr, b1, b2, eps_adam = 0.01, 0.9, 0.999, 1e-8
    c, alpha = POWER[method]
    for t in range(1, iters + 1):
        mu = params[:d]
        sd = params[d:] if scale == "raw" else softplus(params[d:])
        eps = rng.standard_normal((samples, d))
        theta = mu + sd * eps
        ll, gll = loglik_and_grad(theta, x, y)
        if method == "rep-KL":
            # d/dtheta of log p(mu + sd eps) and of the entropy sum log sd.
            g_mu = gll.mean(axis=0)
            g_sd = (gll * eps).mean(axis=0) + 1.0 / sd
        else:
            # log q at the draws with q's parameters frozen, and its score.
            logq = (-0.5 * eps**2 - np.log(sd) - 0.5 * math.log(2 * math.pi)).sum(axis=1)
            g = gll + eps / sd
            log_r = ll - logq
            if alpha == 0.0:
                w = np.full(samples, c)
            else:
                w = c * np.exp(alpha * (log_r - log_r.max()))
                if weights == "mean":
                    w = w / w.mean()
            g_mu = (w[:, None] * g).mean(axis=0)
            g_sd = (w[:, None] * g * eps).mean(axis=0)
        # Descent gradient of the loss (-mean h / samples).
        if scale == "raw":
            grad = -np.concatenate([g_mu, g_sd]) / samples
        else:
            grad = -np.concatenate([g_mu, g_sd * sigmoid(params[d:])]) / samples
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        mhat = m / (1 - b1**t)
        vhat = v / (1 - b2**t)
        params = params - lr * mhat / (np.sqrt(vhat) + eps_adam)
        if not np.all(np.isfinite(params)):
            raise FloatingPointError(f"{method} seed {seed}: non-finite parameters at {t}")
    mu = params[:d]
    sd = params[d:] if scale == "raw" else softplus(params[d:])
    if scale == "raw":
        sd = np.abs(sd)
    return mu, sd


def evaluate(mu, sd, x, y, draws, seed):
    rng = np.random.default_rng([seed, 0xACC])
    theta = mu + sd * rng.standard_normal((draws, len(mu)))
    z = theta[:, :1] + theta[:, 1:] @ x.T  # draws x N
    acc = ((z > 0) == (y > 0.5)).mean(axis=1)
    # log p(y | z) = y z - softplus(z)
    logp = y * z - softplus(z)
    top = logp.max(axis=0)
    pred = top + np.log(np.exp(logp - top).mean(axis=0))
    return float(acc.mean()), float(acc.std(ddof=1)), float(pred.mean())


def mean_sd(values):
    a = np.array(values)
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else float("nan")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--iters", type=int, default=2001)
    p.add_argument("--seeds", default="1,2,3,4,5")
    p.add_argument("--samples", type=int, default=32)
    p.add_argument("--draws", type=int, default=32)
    p.add_argument("--weights", choices=["max", "mean"], default="max")
    p.add_argument("--scale", choices=["softplus", "raw"], default="softplus")
    p.add_argument("--data", default=",".join(DATASETS))
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--out", default=os.path.join(HERE, "uci_reference_results.json"))
    args = p.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    methods = args.methods.split(",")
    for m in methods:
        if m not in POWER:
            sys.exit(f"unknown method {m!r}; expected one of {', '.join(METHODS)}")
    cells = []
    for name in args.data.split(","):
        if name not in FILES:
            sys.exit(f"unknown data set {name!r}; expected one of {', '.join(DATASETS)}")
        xtr, ytr, xte, yte = prepare(name)
        for method in methods:
            runs = []
            for seed in seeds:
                t0 = time.time()
                mu, sd = fit(method, xtr, ytr, args.iters, seed, args.samples, args.weights, args.scale)
                acc, acc_sd, lpd = evaluate(mu, sd, xte, yte, args.draws, seed)
                runs.append({"seed": seed, "accuracy": acc, "accuracy_sd": acc_sd, "test_loglik": lpd})
                print(
                    f"{name} {method} seed {seed}: accuracy {acc:.3f} ± {acc_sd:.3f}, "
                    f"test log-lik {lpd:.4f} ({time.time() - t0:.1f} s)",
                    file=sys.stderr,
                )
            a_mean, a_sd = mean_sd([r["accuracy"] for r in runs])
            l_mean, l_sd = mean_sd([r["test_loglik"] for r in runs])
            cells.append(
                {
                    "dataset": name,
                    "n_train": int(len(ytr)),
                    "n_test": int(len(yte)),
                    "features": int(xtr.shape[1]),
                    "method": method,
                    "accuracy_mean": a_mean,
                    "accuracy_sd": a_sd,
                    "test_loglik_mean": l_mean,
                    "test_loglik_sd": l_sd,
                    "runs": runs,
                }
            )
    result = {
        "description": "Bayesian logistic regression (flat prior, all features, mean-field "
        "Gaussian with softplus sds, Adam 0.01, full batch): test accuracy (mean over draws) "
        "and test log-likelihood (mean over test rows of the log posterior-predictive "
        "probability of the draws), per seed, and their mean and sd over seeds. Written by "
        "examples/paper/uci_reference.py.",
        "iters": args.iters,
        "samples": args.samples,
        "draws": args.draws,
        "seeds": seeds,
        "weights": args.weights,
        "scale": args.scale,
        "numpy": np.__version__,
        "cells": cells,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
