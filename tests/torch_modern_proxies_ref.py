#!/usr/bin/env python3
"""torch_modern_proxies_ref.py: independent PyTorch reference for the zero-cost
proxies of 2023-2024 in zcevo (common/proxies/modern.h), written from the
papers' definitions (docs/proxies.md):

  AZ-NAS (Lee and Ham, CVPR 2024): expressivity, progressivity, trainability
      and complexity on the stem and cell outputs; the rank aggregate
  ZiCo (Li et al., ICLR 2023): two minibatches
  MeCo (Jiang et al., NeurIPS 2023) and MeCo_opt: one image, every layer
  SWAP (Peng et al., ICLR 2024): sign patterns of every ReLU neuron

Runs `test_modern_proxies --dump FILE --arch A` (a small NB201 network:
batch 16 (SWAP's sample count, so its 2^16 possible patterns are not all
taken), 16x16 inputs, 10 classes; parameters, inputs, the random draws of
AZ-NAS / SWAP / MeCo_opt and zcevo's values), rebuilds the network with the
xautodl module names (tests/torch_stats_ref.py), loads the parameters and
recomputes every value in float64 with autograd, torch.linalg and numpy.
Tolerance: relative 1e-4 (1e-9 absolute) on every value; the eigen- and
singular-value solvers (LAPACK here and in torch) agree to ~1e-12, far
inside it. ZiCo is ill-conditioned in float32 (zico_checks): its formula is
checked on zcevo's own gradients (1e-10), the gradients against float64
PyTorch (1e-4), and the value end to end within a stated bound of 2e-2. Prints one line per value and "N passed, M failed"; exit 1 on
failure.

--check-aggregate CSV H5 MD: the az_nas column of a `zcevo proxies` CSV must
equal sum_k log(rankdata(component_k) / n) (scipy, average ranks, NaN as
-inf) of the CSV's own four az_* columns (1e-12), the HDF5 file must hold
the same values with az_nas named in its set_dependent attribute, the
Markdown table must say that az_nas is set-dependent, and a zico column
(which needs the second minibatch) must be finite.
"""
import argparse
import math
import os
import subprocess
import sys
import types

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_proxies_ref import read_dump  # noqa: E402
from torch_stats_ref import InferCell, ResNetBasicblock, Zero, build_network  # noqa: E402

RTOL, ATOL = 1e-4, 1e-9


# ---------------------------------------------------------------------------
# Network with zcevo's parameters; layer outputs in zcevo's layer order
# ---------------------------------------------------------------------------
def network(dump, arch, classes, prefix):
    net, _ = build_network("nb201", arch, classes)
    state = {k[len(prefix):]: torch.from_numpy(np.array(v, dtype=np.float64).astype(np.float32))
             for k, v in dump.items() if k.startswith(prefix)}
    shapes = {k: v.shape for k, v in net.state_dict().items()}
    state = {k: v.reshape(shapes[k]) for k, v in state.items() if k in shapes}
    missing = [k for k in shapes if k not in state and not k.endswith("num_batches_tracked")
               and "running" not in k]
    assert not missing, missing
    net.load_state_dict(state, strict=False)
    net = net.double()
    net.train()
    return net


def record_layers(net, sink):
    """Append every layer output to sink in zcevo's layer order: leaf
    modules (conv, BN, ReLU, pooling, zero, linear) by hooks, node sums of
    nodes with two or more edges and the ResNet block's sum by patched
    forwards (its residual branch runs after conv_a / conv_b, as zcevo
    builds it)."""
    leaf = (nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.AvgPool2d, nn.AdaptiveAvgPool2d,
            nn.Linear, Zero)
    for m in net.modules():
        if isinstance(m, leaf):
            m.register_forward_hook(lambda mod, inp, out: sink.append(out))

    def cell_forward(self, x):
        nodes = [x]
        for ix, inn in zip(self.node_ix, self.node_in):
            parts = [self.layers[l](nodes[j]) for l, j in zip(ix, inn)]
            s = sum(parts)
            if len(parts) > 1:
                sink.append(s)
            nodes.append(s)
        return nodes[-1]

    def block_forward(self, x):
        y = self.conv_b(self.conv_a(x))
        s = self.downsample(x) + y
        sink.append(s)
        return s

    for m in net.modules():
        if isinstance(m, InferCell):
            m.forward = types.MethodType(cell_forward, m)
        elif isinstance(m, ResNetBasicblock):
            m.forward = types.MethodType(block_forward, m)


def block_outputs(net, sink):
    """The stem output and every cell output (AZ-NAS's features)."""
    net.stem.register_forward_hook(lambda mod, inp, out: sink.append(out))
    for cell in net.cells:
        cell.register_forward_hook(lambda mod, inp, out: sink.append(out))


# ---------------------------------------------------------------------------
# AZ-NAS
# ---------------------------------------------------------------------------
def entropy_score(f):
    b, c, h, w = f.shape
    m = f.permute(0, 2, 3, 1).reshape(b * h * w, c)
    m = m - m.mean(dim=0, keepdim=True)
    sigma = m.t() @ m / m.shape[0]
    s = torch.linalg.eigvalsh(sigma)
    p = s / s.sum()
    return float((-p * torch.log(p + 1e-8)).sum())


def az_nas(dump, arch, classes):
    net = network(dump, arch, classes, "azparam:")
    feats = []
    block_outputs(net, feats)
    x = tensor(dump, "gauss", (-1, 3, 16, 16))
    net(x)
    assert len(feats) == int(dump["feat_count"]), (len(feats), dump["feat_count"])
    h = np.array([entropy_score(f.detach()) for f in feats])
    expressivity = float(np.sum(h))
    progressivity = float(np.min(h[1:] - h[:-1]))
    scores = []
    for b in reversed(range(1, len(feats))):
        f_out, f_in = feats[b], feats[b - 1]
        g_out = tensor(dump, f"azsign:{b}", f_out.shape)
        g_in = torch.autograd.grad(f_out, f_in, grad_outputs=g_out, retain_graph=True)[0]
        if g_in.shape == g_out.shape and bool(torch.all(g_in == g_out)):
            scores.append(-math.inf)
            continue
        if g_in.shape[2] != g_out.shape[2]:
            g_in = F.pixel_unshuffle(g_in, g_in.shape[2] // g_out.shape[2])
        bo, co, ho, wo = g_out.shape
        go = g_out.permute(0, 2, 3, 1).reshape(bo * ho * wo, co)
        gi = g_in.permute(0, 2, 3, 1).reshape(bo * ho * wo, -1)
        s = float(torch.linalg.svdvals(gi.t() @ go / (bo * ho * wo)).max())
        scores.append(-s - 1 / (s + 1e-6) + 2)
    trainability = float(np.mean(scores))
    fix = lambda v: -math.inf if math.isnan(v) else v  # noqa: E731
    macs = [0]

    def count(mod, inp, out):
        macs[0] += out.numel() * mod.weight[0].numel() if isinstance(mod, nn.Conv2d) \
            else mod.weight.numel()
    base = network(dump, arch, classes, "param:")
    for m in base.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.register_forward_hook(count)
    with torch.no_grad():
        base(x[:1])
    return {"az_expressivity": fix(expressivity), "az_progressivity": fix(progressivity),
            "az_trainability": fix(trainability), "az_complexity": macs[0] / 1e6}


# ---------------------------------------------------------------------------
# ZiCo, MeCo, SWAP
# ---------------------------------------------------------------------------
def tensor(dump, key, shape=None):
    t = torch.from_numpy(np.array(dump[key]))
    return t if shape is None else t.reshape(shape)


def zico_grads(dump, arch, classes, dtype):
    """{weight name: [gradient of minibatch 1, of minibatch 2]} (float64 arrays)
    of the mean cross-entropy, conv and linear weights, computed in dtype."""
    grads = {}
    for xk, lk in (("x", "labels"), ("x2", "labels2")):
        net = network(dump, arch, classes, "param:").to(dtype)
        x = tensor(dump, xk, (-1, 3, 16, 16)).to(dtype)
        y = torch.from_numpy(np.array(dump[lk]).astype(np.int64))
        F.cross_entropy(net(x), y).backward()
        for name, m in net.named_modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                grads.setdefault(name + ".weight", []).append(
                    m.weight.grad.reshape(-1).double().numpy().copy())
    return grads


def zico_formula(grads):
    """ZiCo from per-layer gradient pairs: sum_l log sum_{std > 0} mean|g| / std."""
    total = 0.0
    for pair in grads.values():
        g = np.stack(pair)
        std = np.std(g, axis=0)
        nz = std != 0
        s = np.sum(np.mean(np.abs(g), axis=0)[nz] / std[nz])
        if s != 0:
            total += math.log(s)
    return total


def zico_checks(dump, arch, classes):
    """ZiCo is ill-conditioned in float32: a few weights whose two gradients
    nearly coincide (|g1 - g2| ~ 1e-7 |g1|) dominate a layer's sum, so their
    rounding moves the value by ~1e-3 relative (PyTorch float32 vs float64
    differ as much as zcevo and float64 do), and a ReLU input within float32
    rounding of zero (9.6e-7 x rms on the first test cell's second
    minibatch) may take the other sign, which moves every upstream gradient
    by ~5e-3 (as tests/torch_stats_ref.py describes). Checked: (1) zcevo's
    formula on zcevo's own gradients (1e-10), (2) zcevo's gradients against
    float64 PyTorch: the largest relative L2 error of any tensor <= 2e-2,
    (3) the value end to end against float64 within 2e-2. A wrong gradient
    or formula is off by far more."""
    ours = {k.split(":", 1)[1]: [] for k in dump if k.startswith("zicograd0:")}
    for b in range(2):
        for name in ours:
            ours[name].append(np.array(dump[f"zicograd{b}:{name}"], dtype=np.float64))
    ref64 = zico_grads(dump, arch, classes, torch.float64)
    worst = 0.0
    for name, pair in ref64.items():
        for b in range(2):
            d = np.linalg.norm(ours[name][b] - pair[b]) / max(np.linalg.norm(pair[b]), 1e-30)
            worst = max(worst, d)
    return {"zico (formula on zcevo's gradients)": (float(dump["proxy:zico"]),
                                                    zico_formula(ours), 1e-10),
            "zico gradients (max rel L2 err <= bound)": (worst, None, 2e-2),
            "zico (end to end, float64)": (float(dump["proxy:zico"]), zico_formula(ref64), 2e-2)}


def meco(dump, arch, classes):
    net = network(dump, arch, classes, "param:")
    outs = []
    record_layers(net, outs)
    x = tensor(dump, "x", (-1, 3, 16, 16))[:1]
    with torch.no_grad():
        net(x)
    assert len(outs) == int(dump["layer_count"]), (len(outs), dump["layer_count"])
    plain, opt = 0.0, 0.0
    for i, o in enumerate(outs):
        f = o[0].reshape(o.shape[1], -1)
        for sample, chan in ((False, None), (True, dump[f"mecochan:{i}"].astype(np.int64))):
            g = f[torch.from_numpy(chan)] if sample else f
            corr = torch.corrcoef(g) if g.shape[1] > 1 else torch.full((g.shape[0],) * 2, math.nan)
            corr[torch.isnan(corr)] = 0
            v = float(torch.linalg.eigvalsh(corr).min())
            if sample:
                opt += v * f.shape[0] / g.shape[0] if math.isfinite(v) else 0.0
            else:
                plain += v if math.isfinite(v) else 0.0
    return plain, opt


def swap(dump, arch, classes):
    counts = []
    x = tensor(dump, "x", (-1, 3, 16, 16))[:16]
    for r in range(2):
        net = network(dump, arch, classes, f"swapparam{r}:")
        acts = []
        for m in net.modules():
            if isinstance(m, nn.ReLU):
                m.register_forward_hook(lambda mod, inp, out: acts.append(out))
        with torch.no_grad():
            net(x)
        a = torch.cat([t.reshape(x.shape[0], -1) for t in acts], 1)
        counts.append(torch.unique(torch.sign(a).t(), dim=0).shape[0])
    return float(np.mean(counts))


def reference(dump, arch, classes):
    """{check: (zcevo's value, the reference, relative tolerance)}"""
    ref = az_nas(dump, arch, classes)
    ref["meco"], ref["meco_opt"] = meco(dump, arch, classes)
    if "proxy:swap2" in dump:
        ref["swap2"] = swap(dump, arch, classes)
    checks = {k: (float(dump["proxy:" + k]), v, RTOL) for k, v in ref.items()}
    checks.update(zico_checks(dump, arch, classes))
    return checks


# ---------------------------------------------------------------------------
# From scratch, float32, as the authors' code runs (scripts/bench_proxies.py)
# ---------------------------------------------------------------------------
def modern_from_scratch(arch, classes, x, labels, x2, labels2, gauss, seed=0):
    """The new proxies of one NB201 cell computed from scratch in float32 the
    way the authors' code does: PyTorch's default initialisation for ZiCo and
    MeCo, Kaiming-normal fan-in and Rademacher signs for AZ-NAS, 32 draws of
    N(0,1) weights on 16 images for SWAP. Returns {name: value}."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    out = {}
    # ZiCo: two minibatches
    net, _ = build_network("nb201", arch, classes)
    net.train()
    grads = {}
    for xb, yb in ((x, labels), (x2, labels2)):
        net.zero_grad()
        F.cross_entropy(net(xb), yb).backward()
        for name, m in net.named_modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                grads.setdefault(name, []).append(m.weight.grad.reshape(-1).numpy().copy())
    out["zico"] = zico_formula(grads)
    # MeCo and MeCo_opt: every layer output of the first image
    outs = []
    probe, _ = build_network("nb201", arch, classes)
    probe.load_state_dict(net.state_dict())
    record_layers(probe, outs)
    with torch.no_grad():
        probe(x[:1])
    meco, meco_opt = 0.0, 0.0
    for o in outs:
        f = o[0].reshape(o.shape[1], -1)
        for opt in (False, True):
            g = f[torch.from_numpy(rng.choice(f.shape[0], 8, replace=False))] \
                if opt and f.shape[0] > 8 else f
            corr = torch.corrcoef(g) if g.shape[1] > 1 else torch.zeros(g.shape[0], g.shape[0])
            corr[torch.isnan(corr)] = 0
            v = float(torch.linalg.eigvalsh(corr).min())
            if opt:
                meco_opt += v * f.shape[0] / g.shape[0]
            else:
                meco += v
    out["meco"], out["meco_opt"] = meco, meco_opt
    # AZ-NAS: Kaiming-normal fan-in weights, Gaussian input
    az, _ = build_network("nb201", arch, classes)
    az.train()
    for m in az.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    feats = []
    block_outputs(az, feats)
    az(gauss)
    h = np.array([entropy_score(f.detach()) for f in feats])
    out["az_expressivity"], out["az_progressivity"] = float(h.sum()), float(np.min(np.diff(h)))
    scores = []
    for b in reversed(range(1, len(feats))):
        g_out = (torch.bernoulli(torch.full_like(feats[b], 0.5)) - 0.5) * 2
        g_in = torch.autograd.grad(feats[b], feats[b - 1], grad_outputs=g_out,
                                   retain_graph=True)[0]
        if g_in.shape == g_out.shape and bool(torch.all(g_in == g_out)):
            scores.append(-math.inf)
            continue
        if g_in.shape[2] != g_out.shape[2]:
            g_in = F.pixel_unshuffle(g_in, g_in.shape[2] // g_out.shape[2])
        bo, co, ho, wo = g_out.shape
        mat = g_in.permute(0, 2, 3, 1).reshape(bo * ho * wo, -1).t() @ \
            g_out.permute(0, 2, 3, 1).reshape(bo * ho * wo, co) / (bo * ho * wo)
        s = float(torch.linalg.svdvals(mat).max())
        scores.append(-s - 1 / (s + 1e-6) + 2)
    out["az_trainability"] = float(np.mean(scores))
    # SWAP: 32 draws of N(0,1) weights, the first 16 images
    sw, _ = build_network("nb201", arch, classes)
    sw.train()
    acts = []
    for m in sw.modules():
        if isinstance(m, nn.ReLU):
            m.register_forward_hook(lambda mod, inp, o: acts.append(o))
    counts = []
    n = min(16, x.shape[0])
    weights = 2 ** torch.arange(n, dtype=torch.int64).reshape(n, 1)
    for _ in range(32):
        for m in sw.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        acts.clear()
        with torch.no_grad():
            sw(x[:n])
        a = torch.cat([t.reshape(n, -1) for t in acts], 1)
        # = torch.unique(torch.sign(a).t(), dim=0).shape[0] (the authors'
        # form, ~75x slower on the CPU): each column's signs packed in an int
        codes = ((a > 0).to(torch.int64) * weights).sum(0)
        counts.append(torch.unique(codes).numel())
    out["swap"] = float(np.mean(counts))
    return out


# ---------------------------------------------------------------------------
# The rank aggregate of a zcevo proxies run
# ---------------------------------------------------------------------------
def check_aggregate(csv_path, h5_path, md_path):
    import csv

    import h5py
    from scipy.stats import rankdata
    rows = list(csv.DictReader(open(csv_path)))
    comps = ["az_expressivity", "az_progressivity", "az_trainability", "az_complexity"]
    n = len(rows)
    agg = np.zeros(n)
    for c in comps:
        v = np.array([float(r[c]) for r in rows])
        v[np.isnan(v)] = -np.inf
        agg += np.log(rankdata(v) / n)
    ours = np.array([float(r["az_nas"]) for r in rows])
    passed = failed = 0

    def report(ok, what):
        nonlocal passed, failed
        print(f"{'ok  ' if ok else 'FAIL'} {what}")
        passed += ok
        failed += not ok
    report(n >= 3 and np.allclose(ours, agg, rtol=0, atol=1e-12),
           f"az_nas of {n} architectures = scipy rank aggregate of the az_* columns "
           f"(max diff {np.max(np.abs(ours - agg)):.2e})")
    with h5py.File(h5_path, "r") as f:
        names = f["values"].attrs["proxy_names"]
        names = (names.decode() if isinstance(names, bytes) else str(names)).split(",")
        vals = f["values"][()]
        dep = f.attrs.get("set_dependent")
        dep = dep.decode() if isinstance(dep, bytes) else str(dep)
        same = all(np.allclose(vals[:, names.index(c)], [float(r[c]) for r in rows],
                               rtol=0, atol=0) for c in comps + ["az_nas"])
    report(same, "HDF5 /values holds the CSV's az_* and az_nas columns")
    report(dep == "az_nas", f"HDF5 attribute set_dependent = {dep!r}")
    if "zico" in rows[0]:
        z = [float(r["zico"]) for r in rows]
        report(all(math.isfinite(v) and v > 0 for v in z) and len(set(z)) == n,
               "zico (second minibatch) finite, positive and distinct per architecture")
    report("set-dependent" in open(md_path).read(), "the Markdown table says az_nas is set-dependent")
    notes = csv_path + ".notes"
    report(os.path.isfile(notes) and open(notes).read().startswith("set-dependent columns: az_nas"),
           f"{os.path.basename(notes)} names az_nas as the set-dependent column")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def close(got, want, rtol):
    if want is None:  # got is an error measure with an upper bound
        return got <= rtol
    if math.isinf(want) or math.isinf(got):
        return got == want
    return abs(got - want) <= ATOL + rtol * abs(want)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--exe", help="test_modern_proxies binary")
    ap.add_argument("--arch")
    ap.add_argument("--out", help="dump file to write")
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--check-aggregate", nargs=3, metavar=("CSV", "H5", "MD"))
    args = ap.parse_args()
    if args.check_aggregate:
        return check_aggregate(*args.check_aggregate)
    torch.manual_seed(0)
    subprocess.run([args.exe, "--dump", args.out, "--arch", args.arch, "--classes",
                    str(args.classes), "--batch", str(args.batch)], check=True)
    dump = read_dump(args.out)
    ref = reference(dump, args.arch, args.classes)
    passed = failed = 0
    for name, (got, want, rtol) in ref.items():
        ok = close(got, want, rtol)
        if want is None:
            print(f"{'ok  ' if ok else 'FAIL'} {name:40s} {got:.2e} (bound {rtol:g})")
        else:
            err = abs(got - want) / max(abs(want), 1e-30) if math.isfinite(want) else 0.0
            err = abs(got) if want == 0.0 and math.isfinite(got) else err
            print(f"{'ok  ' if ok else 'FAIL'} {name:40s} zcevo {got:.10g}  torch {want:.10g}  "
                  f"rel err {err:.2e} (rtol {rtol:g})")
        passed += ok
        failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
