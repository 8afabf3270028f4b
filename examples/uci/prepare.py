#!/usr/bin/env python3
"""Prepare the UCI binary-classification examples for `logistic.vi`.

For each data set this script reads the CSV file, applies the published
80/20 train/test split (0-based row indices in paper_split_indices.json),
scales every feature to [0, 1] with the minimum and maximum of the training
rows, and writes Stan-style JSON data files `<name>_train.json` and
`<name>_test.json` with the keys N, K, X and y.

Two kinds of training columns are dropped, because with a flat prior they
make the posterior improper (the likelihood stays bounded away from zero
along a ray to infinity):
- constant columns: their weight is not identified at all;
- binary columns one of whose two values occurs only with one label (quasi-
  complete separation): moving the intercept and that weight to infinity in
  opposite directions never lowers the likelihood. In ionosphere, all 38
  rows with column_a = false are labelled b.

Standard library only. Run from anywhere:

    python3 examples/uci/prepare.py
"""

import csv
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def label_last(values, positive):
    """Features = all columns but the last; label = positive(last column)."""
    return [float(v) for v in values[:-1]], 1 if positive(values[-1]) else 0


def parse_bool_or_float(text):
    text = text.strip()
    lower = text.lower()
    if lower == "true":
        return 1.0
    if lower == "false":
        return 0.0
    return float(text)


def read_rows(filename, has_header):
    """Rows of a CSV file as lists of strings; a byte-order mark and CRLF
    line endings are accepted. Returns (header, rows)."""
    path = os.path.join(HERE, filename)
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [r for r in csv.reader(f) if r]
    if has_header:
        return rows[0], rows[1:]
    return None, rows


def load_heart():
    header, rows = read_rows("heart.csv", True)
    data = [label_last(r, lambda v: int(float(v)) == 1) for r in rows]
    return header[:-1], data


def load_ionosphere():
    header, rows = read_rows("ionosphere_data.csv", True)
    data = []
    for r in rows:
        x = [parse_bool_or_float(v) for v in r[:-1]]
        label = r[-1].strip()
        if label not in ("g", "b"):
            raise ValueError(f"ionosphere: unexpected label {label!r}")
        data.append((x, 1 if label == "g" else 0))
    return header[:-1], data


def load_pima():
    # The file has no header line, but the published split was computed
    # over the rows a header-reading loader yields: the first file line
    # (a patient) is not a data row there. Drop it to reproduce the split.
    _, rows = read_rows("pima-indians-diabetes.csv", False)
    names = ["pregnancies", "glucose", "blood_pressure", "skin_thickness",
             "insulin", "bmi", "diabetes_pedigree", "age"]
    data = [label_last(r, lambda v: int(float(v)) == 1) for r in rows[1:]]
    return names, data


def load_wine():
    header, rows = read_rows("winequality-red.csv", True)
    data = [label_last(r, lambda v: float(v) >= 6) for r in rows]
    return header[:-1], data


DATASETS = [
    ("heart", "heart.csv", load_heart),
    ("ionosphere", "ionosphere_data.csv", load_ionosphere),
    ("pima", "pima-indians-diabetes.csv", load_pima),
    ("wine", "winequality-red.csv", load_wine),
]


def separating_level(train, j, lo, hi):
    """For a binary training column j (values lo and hi only), the value
    whose rows all carry the same label, if any; None otherwise."""
    labels = {lo: set(), hi: set()}
    for x, y in train:
        if x[j] not in labels:
            return None
        labels[x[j]].add(y)
    for level in (lo, hi):
        if len(labels[level]) == 1:
            return level
    return None


def prepare(name, filename, loader, splits):
    columns, data = loader()
    split = splits[filename]
    if len(data) != split["n_rows"]:
        raise ValueError(f"{name}: {len(data)} data rows, the split expects {split['n_rows']}")
    train = [data[i] for i in split["train"]]
    test = [data[i] for i in split["test"]]
    n_features = len(columns)
    for x, _ in data:
        if len(x) != n_features:
            raise ValueError(f"{name}: a row has {len(x)} features, expected {n_features}")

    lo = [min(x[j] for x, _ in train) for j in range(n_features)]
    hi = [max(x[j] for x, _ in train) for j in range(n_features)]
    keep, dropped = [], []
    for j in range(n_features):
        if hi[j] <= lo[j]:
            dropped.append(f"{columns[j]} (constant)")
            continue
        level = separating_level(train, j, lo[j], hi[j])
        if level is not None:
            dropped.append(f"{columns[j]} (binary; value {level:g} occurs with one label only)")
        else:
            keep.append(j)

    def scale(rows):
        return [[(x[j] - lo[j]) / (hi[j] - lo[j]) for j in keep] for x, _ in rows]

    for part, rows in (("train", train), ("test", test)):
        X = scale(rows)
        for row in X:
            if not all(math.isfinite(v) for v in row):
                raise ValueError(f"{name}: non-finite scaled value")
        out = {"N": len(rows), "K": len(keep), "X": X, "y": [y for _, y in rows]}
        path = os.path.join(HERE, f"{name}_{part}.json")
        with open(path, "w") as f:
            json.dump(out, f, separators=(",", ":"))
            f.write("\n")
    positives = sum(y for _, y in train)
    print(f"{name}: train {len(train)} rows ({positives} positive), test {len(test)} rows, "
          f"K = {len(keep)} features" + (f"; dropped: {', '.join(dropped)}" if dropped else ""))


def main():
    with open(os.path.join(HERE, "paper_split_indices.json")) as f:
        splits = json.load(f)["splits"]
    for name, filename, loader in DATASETS:
        prepare(name, filename, loader, splits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
