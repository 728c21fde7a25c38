#!/usr/bin/python3
# Prints scikit-learn's diabetes data (raw) and LassoCV on it with 5 contiguous folds
# (KFold without shuffling) as JSON: the grid and the mean validation MSE per alpha,
# for the Go test of secure cross-validation. Run with Debian's python3-sklearn.
import json
import sys

from sklearn.datasets import load_diabetes
from sklearn.linear_model import LassoCV
from sklearn.model_selection import KFold

X, y = load_diabetes(return_X_y=True, scaled=False)
m = LassoCV(cv=KFold(5), n_alphas=100, tol=1e-10, max_iter=10**7).fit(X, y)
json.dump({"X": X.tolist(), "y": y.tolist(), "alphas": m.alphas_.tolist(),
           "mse_mean": m.mse_path_.mean(axis=1).tolist(), "alpha": float(m.alpha_)}, sys.stdout)
