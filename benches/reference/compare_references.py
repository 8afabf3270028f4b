#!/usr/bin/env python3
"""Compare two reference posteriors of the same quantities (reference.json format).

For every quantity in both files: the mean difference in units of the combined
Monte Carlo standard error sqrt(mcse_a^2 + mcse_b^2) (an exact reference has
mcse_mean 0), the sd ratio, and the largest quantile difference in sds of the
first file. Used to check a NUTS reference against an independent run with
another seed:

    python benches/reference/nuts_references.py --posteriors garch-garch11 --seed 1 --out rerun
    python benches/reference/compare_references.py \\
        examples/posteriordb/garch-garch11/reference.json rerun/garch-garch11.json
"""

import argparse
import math
import sys

import numpy as np

from summarize import load_json


def compare(a, b):
    pa, pb = a["parameters"], b["parameters"]
    common = [q for q in pa if q in pb]
    if not common:
        raise ValueError("the two files share no quantity")
    z, ratio, qdiff = {}, {}, {}
    for q in common:
        se = math.hypot(pa[q]["mcse_mean"], pb[q]["mcse_mean"])
        z[q] = (pa[q]["mean"] - pb[q]["mean"]) / se if se > 0 else math.inf
        ratio[q] = pb[q]["sd"] / pa[q]["sd"]
        qs = [abs(pa[q][k] - pb[q][k]) / pa[q]["sd"] for k in ("q05", "q50", "q95")
              if pa[q].get(k) is not None and pb[q].get(k) is not None]
        qdiff[q] = max(qs) if qs else float("nan")
    return common, z, ratio, qdiff


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("a")
    p.add_argument("b")
    args = p.parse_args(argv)
    a, b = load_json(args.a), load_json(args.b)
    common, z, ratio, qdiff = compare(a, b)
    worst = max(common, key=lambda q: abs(z[q]))
    worst_sd = max(common, key=lambda q: abs(math.log(ratio[q])))
    print(f"{a.get('posterior', args.a)}: {len(common)} quantities; max |mean diff|/mcse {abs(z[worst]):.2f} "
          f"({worst}), rms {float(np.sqrt(np.mean(np.square(list(z.values()))))):.2f}; sd ratio "
          f"{ratio[worst_sd]:.4f} at worst ({worst_sd}); max quantile diff {max(qdiff.values()):.4f} sd")
    return 0


if __name__ == "__main__":
    sys.exit(main())
