#!/usr/bin/env python3
"""gen_correlation_fixtures.py: write scipy reference values for the
correlation test (tests/test_correlation.c).

Usage: gen_correlation_fixtures.py OUTPUT_FILE

Format (text, one record per case):
  case NAME N
  x X0 X1 ... (N values, repr precision)
  y Y0 Y1 ...
  tau T       (scipy.stats.kendalltau(x, y).correlation, default variant 'b')
  rho R       (scipy.stats.spearmanr(x, y).correlation)
NaN is written as "nan", infinities as "inf"/"-inf".
"""
import sys
import warnings

import numpy as np
from scipy import stats


def fmt(v):
    v = float(v)
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def cases():
    rng = np.random.default_rng(20240601)
    for n in (2, 3, 10, 1000, 20000):
        # many ties: small integer alphabets
        yield f"ties_int_{n}", rng.integers(0, 5, n).astype(float), rng.integers(0, 4, n).astype(float)
        # continuous, correlated
        x = rng.standard_normal(n)
        yield f"normal_{n}", x, 0.6 * x + rng.standard_normal(n)
        # mixed: x continuous rounded to one decimal, y with a tied block
        x = np.round(rng.standard_normal(n), 1)
        y = rng.standard_normal(n)
        y[: n // 3] = 0.25
        yield f"mixed_{n}", x, y
    # accuracy-like values (two decimals) against proxy scores with ties
    acc = np.round(rng.uniform(80, 95, 500), 2)
    score = np.round(acc + rng.normal(0, 4, 500))
    yield "accuracy_like_500", score, acc
    # negative correlation, ties on both sides
    x = rng.integers(0, 20, 300).astype(float)
    yield "negative_300", x, np.round(-x + rng.normal(0, 5, 300))
    # infinities are ordinary values; signed zeros are equal. (Only +inf:
    # scipy 1.10 detects NaN by np.sum, so +inf together with -inf reads as
    # NaN there; we do not copy that quirk.)
    yield "with_inf_6", np.array([1.0, np.inf, 3.0, np.inf, 0.0, -0.0]), np.array([2.0, 1.0, 3.0, 5.0, 4.0, 4.0])
    # degenerate cases: scipy returns NaN
    yield "all_tied_x_5", np.full(5, 3.0), np.arange(5.0)
    yield "all_tied_y_5", np.arange(5.0), np.full(5, -1.0)
    yield "nan_in_x_4", np.array([1.0, np.nan, 2.0, 3.0]), np.array([1.0, 2.0, 3.0, 4.0])
    yield "nan_in_y_4", np.array([1.0, 2.0, 3.0, 4.0]), np.array([4.0, 3.0, np.nan, 1.0])
    yield "single_1", np.array([1.0]), np.array([2.0])


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_correlation_fixtures.py OUTPUT_FILE")
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, x, y in cases():
            x = np.asarray(x, dtype=float)
            y = np.asarray(y, dtype=float)
            tau = stats.kendalltau(x, y)[0] if len(x) > 0 else float("nan")
            rho = stats.spearmanr(x, y)[0] if len(x) > 1 else float("nan")
            out.append(f"case {name} {len(x)}")
            out.append("x " + " ".join(fmt(v) for v in x))
            out.append("y " + " ".join(fmt(v) for v in y))
            out.append("tau " + fmt(tau))
            out.append("rho " + fmt(rho))
    with open(sys.argv[1], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
