#!/usr/bin/python3
# Splits scikit-learn's diabetes data (raw and scaled) column-wise between a hospital and
# an insurer with partial overlap, writes the two CSV files per version into the folder
# given as the first argument, and prints scikit-learn's Lasso fitted on the overlap as JSON.
# Run with Debian's python3-sklearn.
import csv
import json
import os
import sys

from sklearn.datasets import load_diabetes
from sklearn.linear_model import Lasso

out_dir = sys.argv[1]
cases = []
for scaled, alpha in ((False, 0.5), (True, 0.05)):
    X, y = load_diabetes(return_X_y=True, scaled=scaled)
    names = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
    n = len(y)
    ids = [f"pt-{i:05d}" for i in range(n)]
    a_rows = range(0, 330)        # the hospital: patients 0..329, columns 0..4 and the outcome
    b_rows = range(90, n)         # the insurer: patients 90..441, columns 5..9
    overlap = [i for i in a_rows if i in set(b_rows)]
    tag = "scaled" if scaled else "raw"
    fa = os.path.join(out_dir, f"hospital-{tag}.csv")
    fb = os.path.join(out_dir, f"insurer-{tag}.csv")
    with open(fa, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id"] + names[:5] + ["progression"])
        for i in reversed(a_rows):
            w.writerow([ids[i]] + [repr(v) for v in X[i, :5]] + [repr(y[i])])
    with open(fb, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id"] + names[5:])
        for i in b_rows:
            w.writerow([ids[i].upper()] + [repr(v) for v in X[i, 5:]])
    m = Lasso(alpha=alpha, tol=1e-12, max_iter=10**7).fit(X[overlap], y[overlap])
    cases.append({"name": tag, "hospital": fa, "insurer": fb, "alpha": alpha, "rows": len(overlap),
                  "features": names, "coef": m.coef_.tolist(), "intercept": float(m.intercept_),
                  "r2": float(m.score(X[overlap], y[overlap]))})
json.dump(cases, sys.stdout)
