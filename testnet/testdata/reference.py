#!/usr/bin/python3
# Fits scikit-learn's Lasso on the inner join of a hospital's and an insurer's CSV files
# in plaintext, as Triad's session should, and prints the fit as JSON: the reference
# for the three-process tests. Rows with an empty or unparsable cell are dropped and
# identifiers are trimmed and lower-cased before the join, as `triad node` does by
# default. Run with Debian's python3-sklearn.
#
# usage: reference.py HOSPITAL.csv INSURER.csv ID_COLUMN OUTCOME ALPHA
import csv
import json
import math
import sys

import numpy as np
from sklearn.linear_model import Lasso

hospital, insurer, id_column, outcome, alpha = sys.argv[1:6]
alpha = float(alpha)


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    i = header.index(id_column)
    cols = [c for c in header if c != id_column]
    table = {}
    for r in body:
        try:
            values = [float(r[j]) for j, c in enumerate(header) if c != id_column]
        except ValueError:
            continue
        if any(math.isnan(v) or math.isinf(v) for v in values):
            continue
        table[r[i].strip().lower()] = values
    return cols, table


cols_a, a = read(hospital)
cols_b, b = read(insurer)
ids = sorted(set(a) & set(b))
names = cols_a + cols_b
joined = np.array([a[k] + b[k] for k in ids])
y_col = names.index(outcome)
features = [n for n in names if n != outcome]
X = np.delete(joined, y_col, axis=1)
y = joined[:, y_col]
m = Lasso(alpha=alpha, tol=1e-12, max_iter=10**7).fit(X, y)
json.dump({"rows": len(ids), "features": features,
           "coefficients": dict(zip(features, m.coef_.tolist())),
           "intercept": float(m.intercept_), "r2": float(m.score(X, y))}, sys.stdout)
