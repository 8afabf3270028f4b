"""Shared helpers for the reference-posterior scripts: statistics of draws in
the format of the posteriordb references of the example suite, and writing
`reference.json` files.

The format (see examples/posteriordb/README.md): per scalar quantity `mean`,
`sd` (ddof 1), `q05`, `q50`, `q95` (numpy's default linear interpolation),
`n_draws`, `ess_bulk`, `ess_tail`, `rhat` (ArviZ, rank-normalised split R-hat),
`mcse_mean` = sd / sqrt(ess_bulk); a `correlation` block with the names and the
matrix rounded to 4 decimals; `source`, `sampler_settings` and `statistics`
strings that say how the numbers were obtained.
"""

import json
import os
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PDB = os.path.join(REPO, "examples", "posteriordb")
UCI = os.path.join(REPO, "examples", "uci")

DRAW_STATISTICS = (
    "mean; sd with ddof=1; q05/q50/q95 by linear interpolation between order statistics "
    "(numpy default, R type 7) of the pooled thinned draws; ess_bulk/ess_tail/rhat by "
    "ArviZ {arviz} (rank-normalised split R-hat, bulk and tail ESS) on the thinned draws "
    "grouped by chain; mcse_mean = sd/sqrt(ess_bulk); correlation = Pearson correlation "
    "of the pooled thinned draws"
)


def load_json(path):
    with open(path) as f:
        return json.load(f)


def write_json(path, obj):
    """Write with one-space indentation like the posteriordb references, atomically."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def draw_statistics(draws):
    """draws: {name: (chains, draws_per_chain) array}, in reporting order.

    Returns (parameters, correlation) in the reference format."""
    import arviz as az

    params = {}
    pooled = []
    for name, x in draws.items():
        x = np.asarray(x, dtype=float)
        if x.ndim != 2:
            raise ValueError(f"{name}: expected a (chains, draws) array, got shape {x.shape}")
        flat = x.reshape(-1)
        sd = float(flat.std(ddof=1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ess_bulk = float(az.ess(x, method="bulk"))
            ess_tail = float(az.ess(x, method="tail"))
            rhat = float(az.rhat(x))
        q05, q50, q95 = (float(v) for v in np.quantile(flat, [0.05, 0.5, 0.95]))
        params[name] = {
            "mean": float(flat.mean()),
            "sd": sd,
            "q05": q05,
            "q50": q50,
            "q95": q95,
            "n_draws": int(flat.size),
            "ess_bulk": ess_bulk,
            "ess_tail": ess_tail,
            "rhat": rhat,
            "mcse_mean": sd / np.sqrt(ess_bulk),
        }
        pooled.append(flat)
    corr = np.corrcoef(np.vstack(pooled)) if len(pooled) > 1 else np.ones((1, 1))
    correlation = {"names": list(draws), "matrix": round_matrix(corr)}
    return params, correlation


def round_matrix(m):
    return [[round(float(v), 4) + 0.0 for v in row] for row in np.asarray(m)]


def convergence(params):
    """Worst diagnostics over the quantities: (max rhat, min ess_bulk, min ess_tail)."""
    return (
        max(p["rhat"] for p in params.values()),
        min(p["ess_bulk"] for p in params.values()),
        min(p["ess_tail"] for p in params.values()),
    )
