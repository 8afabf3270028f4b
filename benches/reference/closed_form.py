#!/usr/bin/env python3
"""Exact reference posteriors of the flat-prior linear regressions of the
example suite.

Model: y ~ normal(X beta, sigma) with n observations and k columns in X
(intercept included), and no prior statement: the density is flat in beta and
in sigma > 0 (Stan's convention, flat on sigma itself, which is
p(sigma^2) proportional to (sigma^2)^(-1/2)). With beta_hat the least-squares
fit, RSS its residual sum of squares and nu = n - k - 1:

    p(beta, sigma | y)  ~  sigma^-n exp(-(RSS + (beta - beta_hat)' X'X (beta - beta_hat)) / (2 sigma^2))
    p(sigma | y)        ~  sigma^-(n - k) exp(-RSS / (2 sigma^2))         (beta integrated out)
    sigma^2 | y         =  RSS / chi2_nu, i.e. Inv-Gamma(nu / 2, RSS / 2)
    beta | sigma, y     ~  N(beta_hat, sigma^2 (X'X)^-1)
    beta | y            ~  multivariate t_nu(beta_hat, s^2 (X'X)^-1),  s^2 = RSS / nu

so every reported statistic is exact:

    E beta_j = beta_hat_j,  sd beta_j = s sqrt(c_jj nu / (nu - 2)),  quantiles from t_nu,
    E sigma = sqrt(RSS / 2) Gamma((nu - 1) / 2) / Gamma(nu / 2),  E sigma^2 = RSS / (nu - 2),
    quantile_p(sigma) = sqrt(RSS / chi2_nu quantile(1 - p)),
    corr(beta_i, beta_j) = c_ij / sqrt(c_ii c_jj),  corr(beta_j, sigma) = 0,

with c = (X'X)^-1. The script

1. checks these formulas against 10^6 exact Monte Carlo draws from the
   closed form (--mc-draws, default 10^6);
2. validates the derivation against every flat-prior regression that has a
   posteriordb (Stan NUTS) reference: closed-form means must agree within a
   few Monte Carlo standard errors of the reference;
3. writes `reference.json` for the flat-prior regressions that lack one
   (unless --dry-run), and the validation summary to
   `closed_form_validation.json` beside this script.

Only numpy and scipy are needed. Run from anywhere:

    python benches/reference/closed_form.py [--dry-run]
"""

import argparse
import copy
import math
import os
import sys

import numpy as np
from scipy import special, stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from summarize import HERE, PDB, load_json, round_matrix, write_json  # noqa: E402


# ------------------------------------------------------------------ designs
# Each returns (y, X) exactly as the posterior's model.vi builds them from
# data.json (column j of X is the covariate of beta[j + 1]).

def col(d, key):
    return np.asarray(d[key], dtype=float)


def ones(d):
    return np.ones(int(d["N"]))


def sd1(x):
    return x.std(ddof=1)


def earn_height(d):
    return col(d, "earn"), [ones(d), col(d, "height")]


def log10earn_height(d):
    return np.log10(col(d, "earn")), [ones(d), col(d, "height")]


def logearn_height(d):
    return np.log(col(d, "earn")), [ones(d), col(d, "height")]


def logearn_height_male(d):
    return np.log(col(d, "earn")), [ones(d), col(d, "height"), col(d, "male")]


def logearn_interaction(d):
    h, m = col(d, "height"), col(d, "male")
    return np.log(col(d, "earn")), [ones(d), h, m, h * m]


def logearn_interaction_z(d):
    h, m = col(d, "height"), col(d, "male")
    z = (h - h.mean()) / sd1(h)
    return np.log(col(d, "earn")), [ones(d), z, m, z * m]


def logearn_logheight_male(d):
    return np.log(col(d, "earn")), [ones(d), np.log(col(d, "height")), col(d, "male")]


def kid_interaction_c(d):
    hs, iq = col(d, "mom_hs"), col(d, "mom_iq")
    a, b = hs - hs.mean(), iq - iq.mean()
    return col(d, "kid_score"), [ones(d), a, b, a * b]


def kid_interaction_c2(d):
    a, b = col(d, "mom_hs") - 0.5, col(d, "mom_iq") - 100.0
    return col(d, "kid_score"), [ones(d), a, b, a * b]


def kid_interaction_z(d):
    hs, iq = col(d, "mom_hs"), col(d, "mom_iq")
    a = (hs - hs.mean()) / (2.0 * sd1(hs))
    b = (iq - iq.mean()) / (2.0 * sd1(iq))
    return col(d, "kid_score"), [ones(d), a, b, a * b]


def kid_mom_work(d):
    w = np.asarray(d["mom_work"])
    return col(d, "kid_score"), [ones(d)] + [(w == v).astype(float) for v in (2, 3, 4)]


def mesquite(d):
    keys = ("diam1", "diam2", "canopy_height", "total_height", "density")
    return col(d, "weight"), [ones(d)] + [col(d, k) for k in keys] + [col(d, "group")]


def logmesquite(d):
    keys = ("diam1", "diam2", "canopy_height", "total_height", "density")
    return np.log(col(d, "weight")), [ones(d)] + [np.log(col(d, k)) for k in keys] + [col(d, "group")]


def _mesquite_logs(d):
    d1, d2, ch = col(d, "diam1"), col(d, "diam2"), col(d, "canopy_height")
    return np.log(d1 * d2 * ch), np.log(d1 * d2), np.log(d1 / d2)


def logmesquite_logvolume(d):
    vol, _, _ = _mesquite_logs(d)
    return np.log(col(d, "weight")), [ones(d), vol]


def logmesquite_logva(d):
    vol, area, _ = _mesquite_logs(d)
    return np.log(col(d, "weight")), [ones(d), vol, area, col(d, "group")]


def logmesquite_logvash(d):
    vol, area, shape = _mesquite_logs(d)
    return np.log(col(d, "weight")), [
        ones(d), vol, area, shape, np.log(col(d, "total_height")), col(d, "group")]


def logmesquite_logvas(d):
    vol, area, shape = _mesquite_logs(d)
    return np.log(col(d, "weight")), [
        ones(d), vol, area, shape, np.log(col(d, "total_height")),
        np.log(col(d, "density")), col(d, "group")]


def nes(d):
    age = np.asarray(d["age_discrete"])
    cols = [ones(d), col(d, "real_ideo"), col(d, "race_adj")]
    cols += [(age == v).astype(float) for v in (2, 3, 4)]
    cols += [col(d, "educ1"), col(d, "gender"), col(d, "income")]
    return col(d, "partyid7"), cols


# Every flat-prior (beta and sigma) linear regression of the suite.
DESIGNS = {
    "earnings-earn_height": earn_height,
    "earnings-log10earn_height": log10earn_height,
    "earnings-logearn_height": logearn_height,
    "earnings-logearn_height_male": logearn_height_male,
    "earnings-logearn_interaction": logearn_interaction,
    "earnings-logearn_interaction_z": logearn_interaction_z,
    "earnings-logearn_logheight_male": logearn_logheight_male,
    "kidiq_with_mom_work-kidscore_interaction_c": kid_interaction_c,
    "kidiq_with_mom_work-kidscore_interaction_c2": kid_interaction_c2,
    "kidiq_with_mom_work-kidscore_interaction_z": kid_interaction_z,
    "kidiq_with_mom_work-kidscore_mom_work": kid_mom_work,
    "mesquite-logmesquite": logmesquite,
    "mesquite-logmesquite_logva": logmesquite_logva,
    "mesquite-logmesquite_logvas": logmesquite_logvas,
    "mesquite-logmesquite_logvash": logmesquite_logvash,
    "mesquite-logmesquite_logvolume": logmesquite_logvolume,
    "mesquite-mesquite": mesquite,
    **{f"nes{year}-nes": nes for year in (1972, 1976, 1980, 1984, 1988, 1992, 1996, 2000)},
}


# ------------------------------------------------------------------ closed form

class FlatRegression:
    """The exact posterior of a flat-prior normal linear regression."""

    def __init__(self, y, X):
        self.n, self.k = X.shape
        self.nu = self.n - self.k - 1
        if self.nu <= 2:
            raise ValueError(f"need n - k - 1 > 2 for finite variances, got {self.nu}")
        # QR keeps (X'X)^-1 accurate for badly scaled designs (raw mesquite, kidiq c2).
        Q, R = np.linalg.qr(X)
        if np.min(np.abs(np.diag(R))) < 1e-10 * np.max(np.abs(np.diag(R))):
            raise ValueError("the design is rank deficient: the flat-prior posterior is improper")
        self.beta_hat = np.linalg.solve(R, Q.T @ y)
        resid = y - X @ self.beta_hat
        self.rss = float(resid @ resid)
        Rinv = np.linalg.solve(R, np.eye(self.k))
        self.C = Rinv @ Rinv.T  # (X'X)^-1
        self.s2 = self.rss / self.nu

    def beta_sd(self):
        return np.sqrt(self.s2 * np.diag(self.C) * self.nu / (self.nu - 2))

    def beta_quantile(self, p):
        return self.beta_hat + np.sqrt(self.s2 * np.diag(self.C)) * stats.t.ppf(p, self.nu)

    def sigma_mean(self):
        nu = self.nu
        return math.sqrt(self.rss / 2) * math.exp(special.gammaln((nu - 1) / 2) - special.gammaln(nu / 2))

    def sigma_sd(self):
        m = self.sigma_mean()
        return math.sqrt(self.rss / (self.nu - 2) - m * m)

    def sigma_quantile(self, p):
        return math.sqrt(self.rss / stats.chi2.ppf(1 - p, self.nu))

    def density(self, j, x):
        """Marginal density of quantity j (beta[j + 1], or sigma for j = k) at x."""
        if j < self.k:
            scale = math.sqrt(self.s2 * self.C[j, j])
            return stats.t.pdf((x - self.beta_hat[j]) / scale, self.nu) / scale
        u = self.rss / (x * x)  # sigma = sqrt(RSS / u), u ~ chi2_nu
        return stats.chi2.pdf(u, self.nu) * 2 * self.rss / x ** 3

    def names(self):
        return [f"beta[{j + 1}]" for j in range(self.k)] + ["sigma"]

    def summary(self):
        """{name: (mean, sd, q05, q50, q95)} in reporting order."""
        out = {}
        sd = self.beta_sd()
        qs = [self.beta_quantile(p) for p in (0.05, 0.5, 0.95)]
        for j in range(self.k):
            out[f"beta[{j + 1}]"] = (float(self.beta_hat[j]), float(sd[j])) + tuple(float(q[j]) for q in qs)
        out["sigma"] = (self.sigma_mean(), self.sigma_sd()) + tuple(
            self.sigma_quantile(p) for p in (0.05, 0.5, 0.95))
        return out

    def correlation(self):
        d = np.sqrt(np.diag(self.C))
        corr = np.eye(self.k + 1)
        corr[: self.k, : self.k] = self.C / np.outer(d, d)
        return corr

    def draws(self, n, rng):
        """n exact joint draws (beta, sigma): sigma^2 = RSS / chi2_nu, then beta | sigma."""
        sigma = np.sqrt(self.rss / rng.chisquare(self.nu, size=n))
        L = np.linalg.cholesky(self.C)
        beta = self.beta_hat + sigma[:, None] * (rng.standard_normal((n, self.k)) @ L.T)
        return np.column_stack([beta, sigma])


def posterior_of(name):
    d = load_json(os.path.join(PDB, name, "data.json"))
    y, cols = DESIGNS[name](d)
    return FlatRegression(np.asarray(y, dtype=float), np.column_stack(cols))


# ------------------------------------------------------------------ checks

def mc_check(post, n, rng):
    """Largest discrepancies between the formulas and n exact draws, each in units
    of the Monte Carlo standard error of the statistic: mean sd/sqrt(n); sd
    sd sqrt((kurtosis - 1) / (4 n)); quantile q_p sqrt(p (1 - p) / n) / f(q_p) with the
    exact marginal density f."""
    x = post.draws(n, rng)
    exact = post.summary()
    worst = {"mean_z": 0.0, "sd_z": 0.0, "quantile_z": 0.0, "corr_abs": 0.0}
    for j, name in enumerate(post.names()):
        m, s, q05, q50, q95 = exact[name]
        v = x[:, j]
        kurt = stats.kurtosis(v, fisher=False)
        worst["mean_z"] = max(worst["mean_z"], abs(v.mean() - m) / (s / math.sqrt(n)))
        worst["sd_z"] = max(worst["sd_z"], abs(v.std(ddof=1) - s) / (s * math.sqrt((kurt - 1) / (4 * n))))
        for p, q in ((0.05, q05), (0.5, q50), (0.95, q95)):
            se = math.sqrt(p * (1 - p) / n) / post.density(j, q)
            worst["quantile_z"] = max(worst["quantile_z"], abs(np.quantile(v, p) - q) / se)
    worst["corr_abs"] = float(np.max(np.abs(np.corrcoef(x.T) - post.correlation())))
    return worst


def validate(name, post):
    """Compare with the posteriordb reference: mean differences in units of the
    reference's mcse_mean, sd ratios, quantile differences in reference sds, and
    the largest correlation difference."""
    ref = load_json(os.path.join(PDB, name, "reference.json"))
    exact = post.summary()
    if list(ref["parameters"]) != post.names():
        raise ValueError(f"{name}: quantity names differ: {list(ref['parameters'])} vs {post.names()}")
    rows = {}
    for q, r in ref["parameters"].items():
        m, s, q05, q50, q95 = exact[q]
        rows[q] = {
            "mean_diff_over_ref_mcse": (m - r["mean"]) / r["mcse_mean"],
            "sd_ratio": s / r["sd"],
            "max_quantile_diff_over_ref_sd": max(
                abs(a - r[k]) / r["sd"] for a, k in ((q05, "q05"), (q50, "q50"), (q95, "q95"))),
        }
    corr_diff = float(np.max(np.abs(np.asarray(ref["correlation"]["matrix"]) - post.correlation())))
    # Power check: the same comparison for sigma's mean under the other common
    # convention, a flat prior on log sigma (p(sigma) ~ 1/sigma, nu = n - k). The
    # validation can tell the conventions apart where this is large.
    alt = copy.copy(post)
    alt.nu = post.nu + 1
    alt.s2 = post.rss / alt.nu
    r = ref["parameters"]["sigma"]
    alt_z = (alt.sigma_mean() - r["mean"]) / r["mcse_mean"]
    return rows, corr_diff, alt_z


# ------------------------------------------------------------------ output

STATISTICS = (
    "exact: mean and sd from the closed form (beta: Student t marginals; sigma: square root of a "
    "scaled inverse chi-squared variable), q05/q50/q95 are the exact quantiles of those marginals "
    "(scipy t.ppf and chi2.ppf), correlation exact (beta block from (X'X)^-1, zero between beta "
    "and sigma); there are no draws, so n_draws, ess_bulk, ess_tail and rhat are null and "
    "mcse_mean is 0"
)


def reference_json(name, post):
    data_name, model_name = name.split("-", 1)
    params = {}
    for q, (m, s, q05, q50, q95) in post.summary().items():
        params[q] = {
            "mean": m, "sd": s, "q05": q05, "q50": q50, "q95": q95,
            "n_draws": None, "ess_bulk": None, "ess_tail": None, "rhat": None, "mcse_mean": 0.0,
        }
    return {
        "posterior": name,
        "model_name": model_name,
        "data_name": data_name,
        "source": ("closed form, computed by the vippl project (not a posteriordb reference): the exact "
                   "posterior of a normal linear regression with flat priors on beta and on sigma > 0, "
                   "by benches/reference/closed_form.py"),
        "sampler_settings": {
            "method": "closed form (normal-inverse-gamma), no sampling",
            "posterior": ("sigma^2 | y ~ Inv-Gamma(nu/2, RSS/2) = RSS / chi2_nu; "
                          "beta | sigma, y ~ N(beta_hat, sigma^2 (X'X)^-1); "
                          "beta | y ~ multivariate t_nu(beta_hat, RSS/nu (X'X)^-1)"),
            "n": post.n,
            "k": post.k,
            "nu": post.nu,
            "rss": post.rss,
            "linear_algebra": "least squares by QR of the design, float64",
        },
        "n_chains": None,
        "n_draws": None,
        "statistics": STATISTICS,
        "parameters": params,
        "correlation": {"names": post.names(), "matrix": round_matrix(post.correlation())},
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mc-draws", type=int, default=1_000_000, help="exact draws for the self-check (0 skips it)")
    p.add_argument("--seed", type=int, default=20250429)
    p.add_argument("--dry-run", action="store_true", help="check and validate, write nothing")
    args = p.parse_args(argv)
    rng = np.random.default_rng(args.seed)

    with_ref = [n for n in DESIGNS if os.path.exists(os.path.join(PDB, n, "reference.json"))
                and load_json(os.path.join(PDB, n, "reference.json"))["source"].startswith("posteriordb")]
    without = [n for n in DESIGNS if n not in with_ref]

    report = {"mc_check": {}, "validation": {}, "written": []}
    for name in DESIGNS:
        post = posterior_of(name)
        if args.mc_draws > 0:
            w = mc_check(post, args.mc_draws, rng)
            report["mc_check"][name] = w
            print(f"mc-check {name:46s} max |z| mean {w['mean_z']:.2f} sd {w['sd_z']:.2f} "
                  f"quantile {w['quantile_z']:.2f}, max |corr diff| {w['corr_abs']:.4f}")

    worst = {"mean_diff_over_ref_mcse": (0.0, None), "sd_log_ratio": (0.0, None),
             "quantile_diff_over_ref_sd": (0.0, None), "corr_diff": (0.0, None)}
    all_z = []
    for name in with_ref:
        rows, corr_diff, alt_z = validate(name, posterior_of(name))
        report["validation"][name] = {"quantities": rows, "max_abs_corr_diff": corr_diff,
                                      "sigma_mean_diff_over_ref_mcse_if_flat_on_log_sigma": alt_z}
        for q, r in rows.items():
            z, lr, qd = r["mean_diff_over_ref_mcse"], abs(math.log(r["sd_ratio"])), r["max_quantile_diff_over_ref_sd"]
            all_z.append(z)
            for key, v in (("mean_diff_over_ref_mcse", abs(z)), ("sd_log_ratio", lr), ("quantile_diff_over_ref_sd", qd)):
                if v > worst[key][0]:
                    worst[key] = (v, f"{name} {q}")
        if corr_diff > worst["corr_diff"][0]:
            worst["corr_diff"] = (corr_diff, name)
        print(f"validate {name:46s} max |mean diff|/mcse {max(abs(r['mean_diff_over_ref_mcse']) for r in rows.values()):.2f}, "
              f"sd ratio in [{min(r['sd_ratio'] for r in rows.values()):.4f}, {max(r['sd_ratio'] for r in rows.values()):.4f}], "
              f"max quantile diff {max(r['max_quantile_diff_over_ref_sd'] for r in rows.values()):.4f} sd, "
              f"max corr diff {corr_diff:.4f}; flat-on-log-sigma would give sigma z {alt_z:.1f}")
    all_z = np.asarray(all_z)
    report["validation_summary"] = {
        "posteriors": len(with_ref),
        "quantities": int(all_z.size),
        "max_abs_mean_diff_over_ref_mcse": worst["mean_diff_over_ref_mcse"],
        "rms_mean_diff_over_ref_mcse": float(np.sqrt(np.mean(all_z ** 2))),
        "mean_of_mean_diff_over_ref_mcse": float(np.mean(all_z)),
        "max_abs_log_sd_ratio": worst["sd_log_ratio"],
        "max_quantile_diff_over_ref_sd": worst["quantile_diff_over_ref_sd"],
        "max_abs_corr_diff": worst["corr_diff"],
    }
    s = report["validation_summary"]
    print(f"validation over {s['posteriors']} posteriors, {s['quantities']} quantities: "
          f"max |mean diff|/mcse {s['max_abs_mean_diff_over_ref_mcse'][0]:.2f} ({s['max_abs_mean_diff_over_ref_mcse'][1]}), "
          f"rms {s['rms_mean_diff_over_ref_mcse']:.2f}, max |log sd ratio| {s['max_abs_log_sd_ratio'][0]:.4f} "
          f"({s['max_abs_log_sd_ratio'][1]}), max quantile diff {s['max_quantile_diff_over_ref_sd'][0]:.4f} sd, "
          f"max corr diff {s['max_abs_corr_diff'][0]:.4f}")

    for name in without:
        if not args.dry_run:
            write_json(os.path.join(PDB, name, "reference.json"), reference_json(name, posterior_of(name)))
            report["written"].append(name)
            print(f"wrote {name}/reference.json")
    if not args.dry_run:
        report["settings"] = {"mc_draws": args.mc_draws, "seed": args.seed}
        write_json(os.path.join(HERE, "closed_form_validation.json"), report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
