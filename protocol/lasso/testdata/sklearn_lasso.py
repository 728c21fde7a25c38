#!/usr/bin/python3
# Reads a JSON list of {"X", "y", "alphas"} on stdin and prints, for each, scikit-learn's
# Lasso fits at tol=1e-12 as JSON: the yardstick of the Go tests of the secure solver.
# Run with Debian's python3-sklearn.
import json
import sys

import numpy as np
from sklearn.linear_model import Lasso

out = []
for case in json.load(sys.stdin):
    X, y = np.array(case["X"]), np.array(case["y"])
    fits = []
    for alpha in case["alphas"]:
        m = Lasso(alpha=alpha, tol=1e-12, max_iter=10**7).fit(X, y)
        fits.append({"alpha": alpha, "coef": m.coef_.tolist(),
                     "intercept": float(m.intercept_), "r2": float(m.score(X, y))})
    out.append({"fits": fits})
json.dump(out, sys.stdout)
