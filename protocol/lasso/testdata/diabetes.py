#!/usr/bin/python3
# Prints scikit-learn's diabetes data (raw and scaled) and sklearn's Lasso fits on
# them as JSON, for the Go tests of the secure solver. Run with Debian's python3-sklearn.
import json
import sys

from sklearn.datasets import load_diabetes
from sklearn.linear_model import Lasso

out = []
for scaled, alphas in ((False, (0.1, 1.0)), (True, (0.01, 0.1))):
    X, y = load_diabetes(return_X_y=True, scaled=scaled)
    fits = []
    for alpha in alphas:
        m = Lasso(alpha=alpha, tol=1e-12, max_iter=10**7).fit(X, y)
        fits.append({"alpha": alpha, "coef": m.coef_.tolist(),
                     "intercept": float(m.intercept_), "r2": float(m.score(X, y))})
    out.append({"scaled": scaled, "X": X.tolist(), "y": y.tolist(), "fits": fits})
json.dump(out, sys.stdout)
