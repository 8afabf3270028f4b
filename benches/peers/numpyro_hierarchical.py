#!/usr/bin/env python3
"""Peer benchmark: NumPyro's SVI autoguides and vippl on the hierarchical
logistic regression of tests/fixtures/large_hierarchy/hierarchical_logistic_120
(120 groups x 20 rows, 125 parameters).

Each NumPyro guide (AutoNormal, AutoLowRankMultivariateNormal, AutoMultivariateNormal)
is fitted with Adam at each step size, in 64-bit floats with a compiled loop, and
its accuracy against the NUTS reference is recorded at checkpoints along one run;
`vippl infer` is run on the same model and data. One JSON file of results is
written and a table printed. See README.md; it is not part of the test suite.
"""

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "benches", "reference"))
sys.path.insert(0, HERE)

import jax  # noqa: E402
import numpyro  # noqa: E402
from numpyro.infer import SVI, Trace_ELBO  # noqa: E402
from numpyro.infer.autoguide import (  # noqa: E402
    AutoLowRankMultivariateNormal, AutoMultivariateNormal, AutoNormal)
from numpyro.optim import Adam  # noqa: E402

from numpyro_bench import block, compile_steps, flatten_draws  # noqa: E402
from textbook_references import hierarchical_logistic  # noqa: E402

FIXTURE = os.path.join(REPO, "tests", "fixtures", "large_hierarchy", "hierarchical_logistic_120")
JUDGED = ["mu_alpha", "sigma_alpha", "beta[1]", "beta[2]", "beta[3]"]
TOLERANCE = 0.1  # mean error in reference sds, and relative sd error
GUIDES = {
    "normal": ("AutoNormal", lambda m, rank: AutoNormal(m)),
    "lowrank": ("AutoLowRankMultivariateNormal", lambda m, rank: AutoLowRankMultivariateNormal(m, rank=rank)),
    "mvn": ("AutoMultivariateNormal", lambda m, rank: AutoMultivariateNormal(m)),
}


# ---------------------------------------------------------------- accuracy

def errors(summary, reference, names):
    """max |mean - ref mean| / ref sd and max |sd / ref sd - 1| over `names`."""
    per = {}
    for n in names:
        ref = reference[n]
        per[n] = {"mean_err": abs(summary[n]["mean"] - ref["mean"]) / ref["sd"],
                  "sd_err": abs(summary[n]["sd"] / ref["sd"] - 1.0)}
    worst_mean = max(names, key=lambda n: per[n]["mean_err"])
    worst_sd = max(names, key=lambda n: per[n]["sd_err"])
    return {
        "mean_err": per[worst_mean]["mean_err"], "worst_mean_quantity": worst_mean,
        "sd_err": per[worst_sd]["sd_err"], "worst_sd_quantity": worst_sd,
        "per_quantity": per,
    }


def accuracy(summary, reference):
    judged = errors(summary, reference, JUDGED)
    everything = errors(summary, reference, list(reference))
    everything.pop("per_quantity")
    judged["all_quantities"] = everything
    judged["within_tolerance"] = bool(judged["mean_err"] <= TOLERANCE and judged["sd_err"] <= TOLERANCE)
    return judged


def summarize_draws(draws):
    return {k: {"mean": float(v.mean()), "sd": float(v.std(ddof=1))} for k, v in draws.items()}


# ---------------------------------------------------------------- NumPyro

def run_numpyro(key, lr, args, data, reference):
    guide_name, make_guide = GUIDES[key]
    model, _ = hierarchical_logistic(data)
    guide = make_guide(model, args.rank)
    svi = SVI(model, guide, Adam(lr), Trace_ELBO())

    t0 = time.perf_counter()
    jax.numpy.zeros(()).block_until_ready()  # start the CPU backend (not counted as compilation)
    t_backend = time.perf_counter() - t0

    t0 = time.perf_counter()
    state = block(svi.init(jax.random.PRNGKey(args.seed)))
    t_init = time.perf_counter() - t0

    checkpoints = sorted(args.checkpoints)
    chunk = 0
    for c in [checkpoints[0]] + [b - a for a, b in zip(checkpoints, checkpoints[1:])]:
        chunk = math.gcd(chunk, c)

    compiled, t_compile = compile_steps(svi, state, chunk)

    # Draws from the guide: latent sites on their constrained scale; alpha is
    # formed from alpha_raw as in the model.
    def draw_fn(params, rng):
        s = guide.sample_posterior(rng, params, sample_shape=(args.draws,))
        return {"mu_alpha": s["mu_alpha"], "sigma_alpha": s["sigma_alpha"], "beta": s["beta"],
                "alpha": s["mu_alpha"][:, None] + s["sigma_alpha"][:, None] * s["alpha_raw"]}

    draw = jax.jit(draw_fn)
    t0 = time.perf_counter()
    block(draw(svi.get_params(state), jax.random.PRNGKey(args.seed + 100)))
    t_sampler_compile = time.perf_counter() - t0
    compile_total = t_init + t_compile + t_sampler_compile

    steps, t_opt, records, losses = 0, 0.0, [], []
    for target in checkpoints:
        while steps < target:
            t0 = time.perf_counter()
            state, chunk_losses = compiled(state)
            block(state)
            t_opt += time.perf_counter() - t0
            steps += chunk
            losses.append(np.asarray(chunk_losses))
        t0 = time.perf_counter()
        samples = block(draw(svi.get_params(state), jax.random.PRNGKey(args.seed + 1 + target)))
        t_sample = time.perf_counter() - t0
        tail = np.concatenate(losses)[-100:]
        acc = accuracy(summarize_draws(flatten_draws(samples, ["mu_alpha", "sigma_alpha", "alpha", "beta"])),
                       reference)
        records.append({
            "steps": steps,
            "optimize_s": t_opt,
            "time_excluding_compile_s": t_opt,
            "time_including_compile_s": t_opt + compile_total,
            "per_step_ms": 1000.0 * t_opt / steps,
            "sample_s": t_sample,
            "loss_mean_last_100": float(np.mean(tail)),
            "loss_finite": bool(np.all(np.isfinite(tail))),
            "accuracy": acc,
        })

    reached = next((r for r in records if r["accuracy"]["within_tolerance"]), None)
    return {
        "guide": guide_name,
        "rank": args.rank if key == "lowrank" else None,
        "optimizer": f"Adam({lr})",
        "lr": lr,
        "seed": args.seed,
        "draws": args.draws,
        "chunk": chunk,
        # init: svi.init (traces the model, compiles its helpers); compile: ahead-of-time
        # compilation of a lax.scan of `chunk` SVI updates; sampler_compile: first call of
        # the jitted guide draw. compile_total = their sum. backend: first JAX operation
        # of the process (not in compile_total).
        "timings_s": {"backend": t_backend, "init": t_init, "compile": t_compile, "sampler_compile": t_sampler_compile,
                      "compile_total": compile_total},
        "per_step_ms": records[-1]["per_step_ms"],
        "checkpoints": records,
        "time_to_accuracy": None if reached is None else {
            "steps": reached["steps"],
            "time_excluding_compile_s": reached["time_excluding_compile_s"],
            "time_including_compile_s": reached["time_including_compile_s"],
        },
    }


def run_worker(key, lr, argv):
    """One fit in a fresh Python process, so that each fit's compile time is a cold
    start (JAX caches compiled functions within a process)."""
    cmd = [sys.executable, os.path.abspath(__file__), *argv, "--worker", f"{key}:{lr}"]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def score(run):
    """Sort key for choosing a step size: reached the tolerance earlier (in steps),
    then the smaller worst error at the last checkpoint."""
    tta = run["time_to_accuracy"]
    last = run["checkpoints"][-1]["accuracy"]
    return (tta["steps"] if tta else math.inf, max(last["mean_err"], last["sd_err"]))


# ---------------------------------------------------------------- vippl

def run_vippl(args, seed, family, reference):
    cmd = [args.vippl, "infer", os.path.join(FIXTURE, "model.vi"), "--data", os.path.join(FIXTURE, "data.json"),
           "--seed", str(seed), "--format", "json", "-q"]
    if family:
        cmd += ["--family", family]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    fit = json.loads(out.stdout)
    diag = fit["diagnostics"]
    summary = {k: {"mean": v["mean"], "sd": v["sd"]} for k, v in fit["parameters"].items()}
    acc = accuracy(summary, reference)
    return {
        "family": family or "default",
        "seed": seed,
        "command": " ".join(cmd),
        "wall_s": wall,
        "accuracy": acc,
        "within_tolerance": acc["within_tolerance"],
        "diagnostics": {k: diag.get(k) for k in ("seconds", "khat", "khat_verdict", "method", "iterations",
                                                 "converged", "reason", "restarts", "grad_evals",
                                                 "psis_resampled", "elbo")},
    }


# ---------------------------------------------------------------- output

def fmt_t(x):
    return f"{x:7.2f}"


def print_tables(result):
    runs = result["numpyro"]
    if runs:
        print("\nNumPyro checkpoints (mean err = max |mean - ref| / ref sd, sd err = max |sd / ref sd - 1|, "
              f"over {', '.join(JUDGED)})")
        print(f"{'guide':30s} {'lr':>5s} {'steps':>6s} {'opt s':>7s} {'+compile s':>10s} {'ms/step':>8s} "
              f"{'mean err':>8s} {'sd err':>7s}")
        for r in runs:
            for c in r["checkpoints"]:
                a = c["accuracy"]
                print(f"{r['guide']:30s} {r['lr']:5g} {c['steps']:6d} {fmt_t(c['time_excluding_compile_s'])} "
                      f"{c['time_including_compile_s']:10.2f} {c['per_step_ms']:8.3f} {a['mean_err']:8.3f} "
                      f"{a['sd_err']:7.3f}")
        print(f"\nNumPyro summary (chosen step size per guide; time to mean err and sd err <= {TOLERANCE})")
        print(f"{'guide':30s} {'lr':>5s} {'ms/step':>8s} {'compile s':>9s} {'time to accuracy':>32s} "
              f"{'last mean err':>13s} {'last sd err':>11s}")
        for guide, lr in result["chosen_lr"].items():
            r = next(x for x in runs if x["guide"] == guide and x["lr"] == lr)
            tta = r["time_to_accuracy"]
            tta_text = ("not reached" if tta is None else
                        f"{tta['steps']} steps {tta['time_excluding_compile_s']:.2f}s "
                        f"({tta['time_including_compile_s']:.2f}s)")
            last = r["checkpoints"][-1]["accuracy"]
            print(f"{guide:30s} {lr:5g} {r['per_step_ms']:8.3f} {r['timings_s']['compile_total']:9.2f} "
                  f"{tta_text:>32s} {last['mean_err']:13.3f} {last['sd_err']:11.3f}")
    if result["vippl"]:
        print("\nvippl infer")
        print(f"{'family':12s} {'seed':>4s} {'wall s':>7s} {'fit s':>7s} {'mean err':>8s} {'sd err':>7s} "
              f"{'khat':>6s} verdict")
        for v in result["vippl"]:
            a, d = v["accuracy"], v["diagnostics"]
            print(f"{v['family']:12s} {v['seed']:4d} {fmt_t(v['wall_s'])} {fmt_t(d['seconds'] or float('nan'))} "
                  f"{a['mean_err']:8.3f} {a['sd_err']:7.3f} {d['khat']:6.3f} {d['khat_verdict']}")


def versions(args):
    import jaxlib

    out = {"numpyro": numpyro.__version__, "jax": jax.__version__, "jaxlib": jaxlib.__version__,
           "numpy": np.__version__, "python": platform.python_version(), "machine": platform.machine(),
           "cpu_count": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            out["cpu"] = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), None)
    except OSError:
        pass
    if not args.skip_vippl:
        out["vippl"] = subprocess.run([args.vippl, "--version"], capture_output=True, text=True).stdout.strip()
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--guides", default="normal,lowrank,mvn", help="comma-separated: normal, lowrank, mvn")
    p.add_argument("--rank", type=int, default=10, help="rank of AutoLowRankMultivariateNormal (default 10)")
    p.add_argument("--lrs", default="0.01,0.05", help="Adam step sizes to try (default 0.01,0.05)")
    p.add_argument("--checkpoints", default="1000,2000,5000,10000,20000",
                   help="steps at which accuracy is recorded; the last is the budget")
    p.add_argument("--draws", type=int, default=10000, help="guide draws per checkpoint (default 10000)")
    p.add_argument("--seed", type=int, default=0, help="NumPyro seed (default 0)")
    p.add_argument("--vippl", default=os.path.join(REPO, "target", "release", "vippl"), help="vippl binary")
    p.add_argument("--vippl-seeds", default="1,2,3", help="seeds of the default vippl runs (default 1,2,3)")
    p.add_argument("--vippl-families", default="lowrank:10,meanfield",
                   help="further --family values, run with the first seed (default lowrank:10,meanfield)")
    p.add_argument("--skip-numpyro", action="store_true")
    p.add_argument("--skip-vippl", action="store_true")
    p.add_argument("--note", default="", help="free text stored in the results (e.g. machine load)")
    p.add_argument("--out", default=os.path.join(HERE, "results"), help="output folder (default benches/peers/results)")
    p.add_argument("--in-process", action="store_true",
                   help="run the NumPyro fits in this process (later fits then reuse JAX's caches)")
    p.add_argument("--worker", help=argparse.SUPPRESS)  # GUIDE:LR, one fit, JSON on stdout
    args = p.parse_args(argv)

    args.checkpoints = [int(s) for s in args.checkpoints.split(",")]
    lrs = [float(s) for s in args.lrs.split(",")]
    keys = [s.strip() for s in args.guides.split(",") if s.strip()]
    unknown = [k for k in keys if k not in GUIDES]
    if unknown:
        p.error(f"unknown guide(s) {unknown}; choose from {list(GUIDES)}")
    if min(args.checkpoints) < 1 or args.draws < 2:
        p.error("checkpoints must be >= 1 and --draws >= 2")
    numpyro.enable_x64()

    with open(os.path.join(FIXTURE, "data.json")) as f:
        data = json.load(f)
    with open(os.path.join(FIXTURE, "reference.json")) as f:
        reference = json.load(f)["parameters"]

    if args.worker:
        key, lr = args.worker.split(":")
        print(json.dumps(run_numpyro(key, float(lr), args, data, reference)))
        return 0

    result = {
        "benchmark": "hierarchical_logistic_120",
        "fixture": os.path.relpath(FIXTURE, REPO),
        "judged": JUDGED,
        "tolerance": TOLERANCE,
        "errors": "mean_err = max |mean - ref mean| / ref sd, sd_err = max |sd / ref sd - 1|, over `judged`; "
                  "all_quantities: the same over all 125 reference quantities",
        "float64": True,
        "numpyro_fits": "in one process" if args.in_process else "one fresh process per fit (cold-start compile)",
        "note": args.note,
        "loadavg_start": os.getloadavg(),
        "versions": versions(args),
        "numpyro": [],
        "chosen_lr": {},
        "vippl": [],
    }

    if not args.skip_numpyro:
        for key in keys:
            runs = []
            for lr in lrs:
                r = (run_numpyro(key, lr, args, data, reference) if args.in_process
                     else run_worker(key, lr, argv if argv is not None else sys.argv[1:]))
                last = r["checkpoints"][-1]["accuracy"]
                print(f"{r['guide']:30s} Adam({lr:g}): {r['per_step_ms']:.3f} ms/step, compile "
                      f"{r['timings_s']['compile_total']:.2f}s, at {r['checkpoints'][-1]['steps']} steps "
                      f"mean err {last['mean_err']:.3f}, sd err {last['sd_err']:.3f}", flush=True)
                runs.append(r)
            result["numpyro"] += runs
            result["chosen_lr"][runs[0]["guide"]] = min(runs, key=score)["lr"]
        result["chosen_lr_rule"] = ("per guide, the step size that reached the tolerance at the earliest "
                                    "checkpoint; if neither did (or tied), the smaller max(mean err, sd err) "
                                    "at the last checkpoint")

    if not args.skip_vippl:
        seeds = [int(s) for s in args.vippl_seeds.split(",")]
        jobs = [(s, None) for s in seeds] + [(seeds[0], fam) for fam in args.vippl_families.split(",") if fam]
        for seed, fam in jobs:
            v = run_vippl(args, seed, fam, reference)
            a = v["accuracy"]
            print(f"vippl {v['family']:12s} seed {seed}: wall {v['wall_s']:.2f}s, mean err {a['mean_err']:.3f}, "
                  f"sd err {a['sd_err']:.3f}, khat {v['diagnostics']['khat']:.3f}", flush=True)
            result["vippl"].append(v)

    result["loadavg_end"] = os.getloadavg()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "numpyro_hierarchical_logistic_120.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print_tables(result)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
