#!/usr/bin/env python3
"""torch_proxies_ref.py: independent PyTorch reference for the hand-crafted
zero-cost proxies of common/proxies/proxies.h.

Runs `test_proxies --dump FILE --arch A` (a small NB201 network: batch 8,
16x16 inputs, 10 classes; parameters, inputs, labels, zen's weights and
zcevo's proxy values), rebuilds the network in PyTorch with the xautodl
module names (tests/torch_stats_ref.py), loads the parameters and recomputes
every proxy the way NASLib's measures do (naslib/predictors/utils/pruners/
measures/*.py): autograd for the gradients, a true double backward for
grasp, float64 with BN removed for synflow, numpy corrcoef / eig / slogdet.

Prints one line per proxy and "N passed, M failed"; exit 1 on failure.
"""
import argparse
import copy
import math
import os
import struct
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_stats_ref import build_network  # noqa: E402

# Relative tolerance per proxy.
RTOL = {}
# KNOWN_BAD: printed, not counted (none: grasp's Hessian-gradient product is
# exact since kernels/cpu/net_hvp.c).
KNOWN_BAD = set()
DEFAULT_RTOL = 2e-4


def read_dump(path):
    out = {}
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        (n,) = struct.unpack_from("<I", data, pos)
        pos += 4
        name = data[pos:pos + n].decode()
        pos += n
        (nd,) = struct.unpack_from("<I", data, pos)
        pos += 4
        shape = struct.unpack_from(f"<{nd}q", data, pos)
        pos += 8 * nd
        count = int(np.prod(shape)) if nd else 1
        arr = np.frombuffer(data, dtype="<f8", count=count, offset=pos).reshape(shape)
        pos += 8 * count
        out[name] = arr
    return out


def load(net, dump, prefix):
    state = {k[len(prefix):]: torch.from_numpy(v.astype(np.float32))
             for k, v in dump.items() if k.startswith(prefix)}
    res = net.load_state_dict(state, strict=False)
    assert not res.unexpected_keys, res.unexpected_keys
    net.train()
    return net


def weight_layers(net):
    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def loss_grads(net, x, y):
    net.zero_grad()
    out = net(x)
    F.cross_entropy(out, y).backward()


def slogdet_abs(K):
    return np.linalg.slogdet(K)[1]


def codes_kernel(acts):
    K = 0
    for a in acts:
        c = (a.reshape(a.shape[0], -1) > 0).double()
        K = K + (c @ c.t() + (1 - c) @ (1 - c).t()).numpy()
    return K


def reference(dump, arch, classes):
    x = torch.from_numpy(dump["x"].astype(np.float32))
    y = torch.from_numpy(dump["labels"].astype(np.int64))
    base, _ = build_network("nb201", arch, classes)
    load(base, dump, "param:")
    ref = {}

    # grad_norm, snip, plain, tcet_snip (conv/linear output codes), fisher
    net = copy.deepcopy(base)
    acts, hooks = {}, []
    for m in weight_layers(net):
        def hook(mod, inp, out):
            out.retain_grad()
            acts[mod] = out
        hooks.append(m.register_forward_hook(hook))
    loss_grads(net, x, y)
    ref["grad_norm"] = sum(m.weight.grad.norm().item() for m in weight_layers(net))
    ref["snip"] = sum((m.weight.grad * m.weight).abs().sum().item() for m in weight_layers(net))
    ref["plain"] = sum((m.weight.grad * m.weight).sum().item() for m in weight_layers(net))
    fisher, tcet = 0.0, 0.0
    lnwot = {}
    for idx, m in enumerate(weight_layers(net)):
        a = acts[m].detach()
        g = acts[m].grad
        if g is not None:
            gnk = (a * g).sum(dim=list(range(2, a.dim()))) if a.dim() > 2 else a * g
            del_k = gnk.pow(2).mean(0).mul(0.5).abs()
            fisher += (del_k.double() * float(np.prod(m.weight.shape[1:]))).sum().item()
        sign, ld = np.linalg.slogdet(codes_kernel([a]))
        lnwot[idx] = ld if sign != 0 and np.isfinite(ld) else 0.0
        s = (m.weight * m.weight.grad).abs().double()
        if s.sum() > 0 and lnwot[idx] != 0:
            sd = s.std().item()
            snr = s.sum().item() / sd if sd > 0 else s.sum().item()
            tcet += lnwot[idx] * math.log(snr)
    ref["fisher"] = fisher
    ref["tcet_snip"] = tcet
    for h in hooks:
        h.remove()

    # grasp: NASLib's double backward
    net = copy.deepcopy(base)
    weights = [m.weight for m in weight_layers(net)]
    net.zero_grad()
    grad_w = list(torch.autograd.grad(F.cross_entropy(net(x), y), weights, allow_unused=True))
    grad_f = torch.autograd.grad(F.cross_entropy(net(x), y), weights, create_graph=True,
                                 allow_unused=True)
    z = 0
    for gw, gf in zip(grad_w, grad_f):
        if gw is not None and gf is not None:
            z = z + (gw.data * gf).sum()
    z.backward()
    ref["grasp"] = sum((-w.data * w.grad).sum().item() for w in weights if w.grad is not None)

    # synflow: float64, abs params, BN removed, ones input of batch 1
    net = copy.deepcopy(base).double()
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.forward = lambda inp: inp
    with torch.no_grad():
        for p in net.state_dict().values():
            p.abs_()
    net.zero_grad()
    out = net(torch.ones([1] + list(x.shape[1:]), dtype=torch.float64))
    torch.sum(out).backward()
    total, tcet_s = 0.0, 0.0
    for idx, m in enumerate(weight_layers(net)):
        s = (m.weight * m.weight.grad).abs()
        total += s.sum().item()
        if s.sum() > 0 and lnwot[idx] != 0:
            sd = s.std().item()
            snr = s.sum().item() / sd if sd > 0 else s.sum().item()
            tcet_s += lnwot[idx] * math.log(snr)
    ref["synflow"] = math.log(total)
    ref["tcet_synflow"] = tcet_s

    # jacov and epe_nas: input gradients of the sum of logits
    net = copy.deepcopy(base)
    xi = x.clone().requires_grad_(True)
    outp = net(xi)
    outp.backward(torch.ones_like(outp))
    jac = xi.grad.detach().reshape(x.shape[0], -1).numpy().astype(np.float64)
    v, _ = np.linalg.eig(np.corrcoef(jac))
    k = 1e-5
    ref["jacov"] = float(np.real(-np.sum(np.log(v + k) + 1.0 / (v + k))))
    n_classes = outp.shape[-1]
    per_class = {}
    for i, label in enumerate(dump["labels"].astype(np.int64)):
        per_class.setdefault(int(label), []).append(jac[i])
    scores = {}
    for c, rows in per_class.items():
        if len(rows) == 1:
            if n_classes > 100:
                continue
            scores[c] = np.sum(np.log(np.abs(np.array(1.0)) + k))
            continue
        corrs = np.corrcoef(np.vstack(rows))
        s = np.sum(np.log(np.abs(corrs) + k))
        if n_classes > 100:
            s /= len(corrs)
        scores[c] = s
    if n_classes <= 100:
        ref["epe_nas"] = float(sum(abs(s) for s in scores.values()))
    else:
        tot = sum(abs(a - b) for a in scores.values() for b in scores.values())
        ref["epe_nas"] = float(tot / len(scores))

    # nwot: ReLU inputs
    net = copy.deepcopy(base)
    relu_in = []
    for m in net.modules():
        if isinstance(m, nn.ReLU):
            m.register_forward_hook(lambda mod, inp, out: relu_in.append(inp[0].detach()))
    with torch.no_grad():
        net(x)
    ref["nwot"] = float(slogdet_abs(codes_kernel(relu_in)))

    # zen: zcevo's N(0,1) weights, fresh BN running stats, two train passes
    net, _ = build_network("nb201", arch, classes)
    load(net, dump, "zenparam:")
    feats = []
    net.global_pooling.register_forward_hook(lambda mod, inp, out: feats.append(inp[0]))
    x1 = torch.from_numpy(dump["zen_x1"].astype(np.float32))
    x2 = torch.from_numpy(dump["zen_x2"].astype(np.float32))
    with torch.no_grad():
        net(x1)
        net(x1 + 0.01 * x2)
    nas = torch.sum(torch.abs(feats[0] - feats[1]), dim=[1, 2, 3]).mean()
    log_bn = 0.0
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            log_bn += torch.log(torch.sqrt(torch.mean(m.running_var))).item()
    ref["zen"] = math.log(nas.item()) + log_bn

    # params and flops (conv/linear multiply-adds at batch 1)
    ref["params"] = sum(p.numel() for p in base.parameters()) / 1e6
    macs = [0]
    def count(mod, inp, out):
        if isinstance(mod, nn.Conv2d):
            macs[0] += out.numel() * mod.weight[0].numel()
        else:
            macs[0] += mod.weight.numel()
    net = copy.deepcopy(base)
    for m in weight_layers(net):
        m.register_forward_hook(count)
    with torch.no_grad():
        net(x[:1])
    ref["flops"] = macs[0] / 1e6
    ref["l2_norm"] = sum(m.weight.norm().item() for m in weight_layers(base))
    return ref


def check_pngs(folder, expect, zcevo_corr=None):
    """Every expected PNG exists, has the PNG signature, a non-trivial size
    and is read back by matplotlib as an image with pixels that vary; with
    zcevo_corr, the report's correlations.csv matches zcevo's --out-corr."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    passed = failed = 0
    for name in expect:
        path = os.path.join(folder, name)
        ok = os.path.isfile(path)
        if ok:
            with open(path, "rb") as f:
                ok = f.read(8) == b"\x89PNG\r\n\x1a\n"
            ok = ok and os.path.getsize(path) > 5000
            if ok:
                img = mpimg.imread(path)
                ok = img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100 and img.std() > 0.01
        print(f"{'ok  ' if ok else 'FAIL'} {path}")
        passed += ok
        failed += not ok
    md = os.path.join(folder, "report.md")
    ok = os.path.isfile(md) and all(f"({n})" in open(md).read() for n in expect)
    print(f"{'ok  ' if ok else 'FAIL'} {md} embeds every figure")
    passed += ok
    failed += not ok
    corr = os.path.join(folder, "correlations.csv")
    if zcevo_corr:
        # the report's scipy tau / rho equal zcevo's own (C) ones on every proxy
        import csv
        ours = {r["proxy"]: r for r in csv.DictReader(open(zcevo_corr))}
        space = next(iter(ours.values()))["space"] if ours else None
        rows = list(csv.DictReader(open(corr))) if os.path.isfile(corr) else []
        rows = [r for r in rows if r["space"] == space]  # tasks with an HDF5 twin
        ok = len(rows) == len(ours) and len(rows) > 0
        for r in rows:
            z = ours.get(r["proxy"])
            ok = ok and z is not None and r["n"] == z["n"] and r["invalid"] == z["invalid"]
            for k in ("kendall_tau", "spearman_rho"):
                ok = ok and z is not None and abs(float(r[k]) - float(z[k])) < 2e-6
        print(f"{'ok  ' if ok else 'FAIL'} {corr}: tau and rho of {len(rows)} proxies equal "
              f"zcevo's {zcevo_corr}")
        passed += ok
        failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--exe", help="test_proxies binary")
    ap.add_argument("--arch")
    ap.add_argument("--out", help="dump file to write")
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--check-png", nargs="+", metavar=("FOLDER", "PNG"),
                    help="check a report folder's figures instead")
    ap.add_argument("--check-corr", metavar="CSV",
                    help="with --check-png: zcevo proxies --out-corr file to compare")
    args = ap.parse_args()
    if args.check_png:
        return check_pngs(args.check_png[0], args.check_png[1:], args.check_corr)
    torch.manual_seed(0)
    subprocess.run([args.exe, "--dump", args.out, "--arch", args.arch, "--classes",
                    str(args.classes)], check=True)
    dump = read_dump(args.out)
    ref = reference(dump, args.arch, args.classes)
    passed = failed = 0
    for name, want in ref.items():
        got = float(dump["proxy:" + name])
        rtol = RTOL.get(name, DEFAULT_RTOL)
        ok = abs(got - want) <= 1e-6 + rtol * abs(want)
        if name in KNOWN_BAD:
            print(f"KNOWN {name:13s} zcevo {got:.9g}  torch {want:.9g} (not counted)")
            continue
        print(f"{'ok  ' if ok else 'FAIL'} {name:13s} zcevo {got:.9g}  torch {want:.9g}  "
              f"rel err {abs(got - want) / max(abs(want), 1e-30):.2e} (rtol {rtol:g})")
        passed += ok
        failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
