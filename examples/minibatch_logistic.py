"""Simulated data for examples/minibatch_logistic.vi, as Stan JSON on stdout.

Usage: python3 examples/minibatch_logistic.py [N] [K] [SEED] > data.json
(defaults: 100000 rows, 10 predictors, seed 1). Predictors are standard
normal divided by sqrt(K); the true intercept is -0.5 and the true
coefficients alternate between 1 and -1 (so the linear predictor has sd 1).
"""

import json
import math
import random
import sys


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    k = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    rng = random.Random(seed)
    beta = [1.0 if j % 2 == 0 else -1.0 for j in range(k)]
    scale = 1.0 / math.sqrt(k)
    x, y = [], []
    for _ in range(n):
        row = [round(rng.gauss(0.0, 1.0) * scale, 4) for _ in range(k)]
        eta = -0.5 + sum(a * b for a, b in zip(row, beta))
        y.append(1 if rng.random() < 1.0 / (1.0 + math.exp(-eta)) else 0)
        x.append(row)
    json.dump({"N": n, "K": k, "X": x, "y": y}, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
