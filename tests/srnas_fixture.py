#!/usr/bin/python3
"""srnas_fixture.py: small proxies files (the schema of `zcevo proxies
--out-h5`, docs/proxies.md) for the SR-NAS tests (tests/srnas.cmake).

Usage: srnas_fixture.py OUT_DIR

Writes OUT_DIR/task_a.h5, task_b.h5, task_c.h5 (60, 50 and 40
architectures) with the 16 columns of `zcevo proxies --proxies all`. The
values are seeded draws, not network measurements: each task has a hidden
quality q per architecture, the accuracy is an increasing function of q plus
noise, and the proxies are monotone transforms of q with their own noise and
scale (params and flops nearly tied, synflow and nwot in log ranges, grasp
unrelated). Like real files, a few cells have synflow = -inf (no path from
input to output), NaN jacov / epe_nas / zen, and nwot = -inf, so the tests
see missing values. Nothing here is a test of the proxies themselves.
"""
import sys

import h5py
import numpy as np

COLUMNS = ["grad_norm", "snip", "grasp", "fisher", "synflow", "plain", "l2_norm", "jacov",
           "nwot", "epe_nas", "zen", "params", "flops", "tcet_snip", "tcet_synflow", "eznas_a"]


def task_values(rng, n, shift):
    q = rng.normal(size=n)
    acc = 70 + 8 * np.tanh(q + shift) + rng.normal(scale=1.5, size=n)
    noise = lambda s: rng.normal(scale=s, size=n)  # noqa: E731
    cols = {
        "grad_norm": np.exp(0.8 * q + noise(0.7)),
        "snip": np.exp(0.9 * q + noise(0.6)) * 3,
        "grasp": noise(1.0),
        "fisher": np.exp(0.7 * q + noise(0.8)) * 1e-3,
        "synflow": 60 + 10 * q + noise(4.0),
        "plain": noise(0.1),
        "l2_norm": 40 + 6 * q + noise(3.0),
        "jacov": -200 + 15 * q + noise(10.0),
        "nwot": 400 + 25 * q + noise(12.0),
        "epe_nas": 5 + q + noise(1.5),
        "zen": 20 + 2 * q + noise(2.5),
        "params": np.round(np.exp(0.5 * q + noise(0.3)), 3),
        "flops": np.round(np.exp(0.5 * q + noise(0.3)) * 100, 1),
        "tcet_snip": 30 + 5 * q + noise(2.0),
        "tcet_synflow": 31 + 5 * q + noise(2.2),
        "eznas_a": 0.3 + 0.05 * q + noise(0.03),
    }
    v = np.stack([cols[c] for c in COLUMNS], axis=1)
    bad = rng.choice(n, size=max(2, n // 12), replace=False)
    v[bad[0], COLUMNS.index("synflow")] = -np.inf
    v[bad[0], COLUMNS.index("jacov")] = np.nan
    v[bad[1], COLUMNS.index("nwot")] = -np.inf
    v[bad[1:], COLUMNS.index("zen")] = np.nan
    return v, acc


def write(path, v, acc, index, task):
    with h5py.File(path, "w") as f:
        d = f.create_dataset("values", data=v.astype("<f8"))
        d.attrs["proxy_names"] = np.bytes_(",".join(COLUMNS))
        a = f.create_dataset("accuracy", data=acc.astype("<f8"))
        a.attrs["column"] = np.bytes_("synthetic")
        f.create_dataset("arch_index", data=index.astype("<i8"))
        for k, val in [("space", "synthetic"), ("dataset", task), ("batch", "16"),
                       ("seed", "1"), ("init", "none"), ("image_source", "none (synthetic)")]:
            f.attrs[k] = np.bytes_(val)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: srnas_fixture.py OUT_DIR")
    rng = np.random.default_rng(20250516)
    for name, n, shift in [("task_a", 60, 0.0), ("task_b", 50, 0.3), ("task_c", 40, -0.2)]:
        v, acc = task_values(rng, n, shift)
        index = rng.choice(15625, size=n, replace=False)
        write(f"{sys.argv[1]}/{name}.h5", v, acc, index, name)
    print(f"wrote task_a.h5, task_b.h5, task_c.h5 to {sys.argv[1]}")


if __name__ == "__main__":
    main()
