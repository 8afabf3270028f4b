#!/usr/bin/env python3
"""How close can a Gaussian get? The textbook models of examples/textbook/
fitted with NumPyro's Gaussian autoguides, run long and with low gradient
noise, and judged against the NUTS references like vippl's fits.

A fit that misses its reference can miss because the optimisation did not
find the best Gaussian, or because the best Gaussian itself is that far from
the posterior (a skewed or heavy-tailed marginal, a funnel). This script
measures the second: each model in its NumPyro form (the one the references
were sampled in: benches/reference/textbook_references.py, hierarchies
non-centred), AutoMultivariateNormal (full rank; --guides mvn,normal adds
AutoNormal, mean field),
Adam with a step decaying geometrically from --lr to --lr/100 over --steps
steps, --particles draws per gradient, 64-bit floats; moments from --draws
draws of the fitted guide (deterministic sites included, so `b = mu_b +
sigma_b * b_raw` is judged as vippl reports it).

With --vippl PATH it also runs `vippl infer` on each model.vi twice (seed 1,
4000 draws): with --no-psis-resample, which judges the fitted Gaussian q
itself, and with the defaults, which judges what a user gets (q, or its
PSIS-resampled draws when k̂ allows, in the coordinates the fit chose).

Run it in a throwaway environment (see README.md), after `cargo build --release`:

    .venv-peers/bin/python benches/peers/numpyro_textbook.py --vippl target/release/vippl

It prints one line per model and fit, writes DIR/<model>_<fit>.json and ends
with the markdown table of docs/benchmarks.md.
"""

import argparse
import json
import math
import os
import sys
import time

import subprocess

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "reference"))
from summarize import REPO, load_json  # noqa: E402
import textbook_references as tr  # noqa: E402

GUIDES = {"mvn": "AutoMultivariateNormal", "normal": "AutoNormal"}


def judge(means, sds, ref, quantities):
    """Largest |mean − ref mean| / ref sd and |log(sd / ref sd)| over the
    quantities, with where they occur."""
    worst_mean = max(((abs(means[q] - ref[q]["mean"]) / ref[q]["sd"], q) for q in quantities))
    worst_sd = max(((abs(math.log(sds[q] / ref[q]["sd"])), q) for q in quantities))
    return worst_mean, worst_sd


def fit(name, guide_name, args):
    import jax
    import jax.numpy as jnp
    from numpyro import optim
    from numpyro.infer import SVI, Predictive, Trace_ELBO, autoguide

    builder, _, translation = tr.MODELS[name]
    data = load_json(os.path.join(tr.TEXTBOOK, name, "data.json"))
    model, report = builder(data)
    guide = getattr(autoguide, GUIDES[guide_name])(model)
    lr, steps = args.lr, args.steps
    schedule = lambda i: lr * jnp.power(0.01, i / steps)  # noqa: E731
    svi = SVI(model, guide, optim.Adam(schedule), Trace_ELBO(num_particles=args.particles))
    t0 = time.perf_counter()
    result = svi.run(jax.random.PRNGKey(args.seed), steps, progress_bar=False)
    params = result.params
    wall = time.perf_counter() - t0
    latent = guide.sample_posterior(jax.random.PRNGKey(args.seed + 1), params,
                                    sample_shape=(args.draws,))
    derived = Predictive(model, posterior_samples=latent)(jax.random.PRNGKey(args.seed + 2))
    samples = {**derived, **latent}
    grouped = {k: np.asarray(v, dtype=float)[None] for k, v in samples.items()}
    draws = {q: np.asarray(get(grouped)).reshape(-1) for q, get in report}
    means = {q: float(v.mean()) for q, v in draws.items()}
    sds = {q: float(v.std(ddof=1)) for q, v in draws.items()}
    ref = load_json(os.path.join(tr.TEXTBOOK, name, "reference.json"))["parameters"]
    quantities = tr.judged_quantities()[name]
    (mean_err, mean_q), (sd_err, sd_q) = judge(means, sds, ref, quantities)
    losses = np.asarray(result.losses, dtype=float)
    return {
        "model": name,
        "guide": GUIDES[guide_name],
        "translation": translation,
        "settings": {"steps": steps, "lr": lr, "lr_final": lr * 0.01, "particles": args.particles,
                     "draws": args.draws, "seed": args.seed, "float64": True},
        "final_loss": float(losses[-min(1000, len(losses)):].mean()),
        "wall_s": round(wall, 1),
        "quantities": {q: {"mean": means[q], "sd": sds[q],
                           "ref_mean": ref[q]["mean"], "ref_sd": ref[q]["sd"]} for q in quantities},
        "mean_err_sd": mean_err, "mean_err_at": mean_q,
        "sd_err_log": sd_err, "sd_err_at": sd_q,
        "within": bool(mean_err <= 0.1 and sd_err <= math.log(1.1)),
    }


def run_vippl(vippl, name, extra):
    """`vippl infer` on a textbook model, judged like the guides."""
    folder = os.path.join(tr.TEXTBOOK, name)
    cmd = [vippl, "infer", os.path.join(folder, "model.vi"), "--data", os.path.join(folder, "data.json"),
           "--format", "json", "--quiet", "--seed", "1", "--draws", "4000"] + extra
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    out = json.loads(proc.stdout)
    ref = load_json(os.path.join(folder, "reference.json"))["parameters"]
    quantities = tr.judged_quantities()[name]
    params = out["parameters"]
    means = {q: params[q]["mean"] for q in quantities}
    sds = {q: params[q]["sd"] for q in quantities}
    (mean_err, mean_q), (sd_err, sd_q) = judge(means, sds, ref, quantities)
    return {"model": name, "command": " ".join(["vippl"] + cmd[1:]), "exit": proc.returncode,
            "khat": out["diagnostics"].get("khat"), "wall_s": round(wall, 2),
            "mean_err_sd": mean_err, "mean_err_at": mean_q, "sd_err_log": sd_err, "sd_err_at": sd_q,
            "within": bool(mean_err <= 0.1 and sd_err <= math.log(1.1))}


def cell(r):
    if r is None:
        return ""
    return f"{r['mean_err_sd']:.3f} / {r['sd_err_log']:.3f} (`{r['sd_err_at']}`)" + (
        " **within**" if r["within"] else "")


def markdown(results, names):
    """The table of docs/benchmarks.md: largest mean error (in reference sds)
    / largest sd error (|log ratio|, where) for each model and fit."""
    cols = [("mvn", "NumPyro AutoMultivariateNormal"), ("normal", "NumPyro AutoNormal"),
            ("q", "vippl q, not resampled"), ("default", "vippl defaults")]
    cols = [(k, t) for k, t in cols if any((n, k) in results for n in names)]
    lines = ["| model | " + " | ".join(t for _, t in cols) + " |", "|---|" + "---|" * len(cols)]
    for n in names:
        lines.append(f"| {n} | " + " | ".join(cell(results.get((n, k))) for k, _ in cols) + " |")
    within = [f"{t}: {sum(1 for n in names if (results.get((n, k)) or {}).get('within'))} of {len(names)}"
              for k, t in cols]
    return "\n".join(lines) + "\n\nWithin 0.1 sd / 10 %: " + "; ".join(within) + "."


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default="all", help="comma-separated folder names or 'all'")
    p.add_argument("--guides", default="mvn", help="mvn, normal or both (comma-separated)")
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--particles", type=int, default=8)
    p.add_argument("--draws", type=int, default=20000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default=os.path.join(REPO, "target", "peers-textbook"))
    p.add_argument("--vippl", default=None, help="path of the vippl binary: run it too")
    args = p.parse_args(argv)

    import jax
    jax.config.update("jax_enable_x64", True)

    names = list(tr.MODELS) if args.models == "all" else [s.strip() for s in args.models.split(",")]
    os.makedirs(args.out, exist_ok=True)
    results = {}
    guides = [g.strip() for g in args.guides.split(",") if g.strip()]
    for name in names:
        runs = [(g, lambda g=g: fit(name, g, args)) for g in guides]
        if args.vippl:
            runs += [("q", lambda: run_vippl(args.vippl, name, ["--no-psis-resample"])),
                     ("default", lambda: run_vippl(args.vippl, name, []))]
        for key, go in runs:
            r = go()
            results[(name, key)] = r
            with open(os.path.join(args.out, f"{name}_{key}.json"), "w") as f:
                json.dump(r, f, indent=1)
            print(f"{name:32s} {r.get('guide', 'vippl ' + key):24s} mean {r['mean_err_sd']:.3f} "
                  f"({r['mean_err_at']}) sd {r['sd_err_log']:.3f} ({r['sd_err_at']}) "
                  f"{'within' if r['within'] else 'outside'} {r['wall_s']:.1f} s", flush=True)
    print()
    print(markdown(results, names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
