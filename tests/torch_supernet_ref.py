#!/usr/bin/env python3
"""torch_supernet_ref.py: Zero-Cost-PT on a tiny NAS-Bench-201 supernet
against a PyTorch supernet written for this test.

Runs `test_search --dump-supernet FILE` (C = 4, one cell per stage, batch
8, 16x16 inputs, 10 classes: zcevo's removal scores, a discretisation, the
validation of its cell, the raw parameters and the minibatches), rebuilds
the supernet the way the authors' code runs it (visionbasicagent/
zerocost_operation_score: nasbench201/search_cells.py, cell_operations.py,
search_model.py, op_score.py), in PyTorch modules:
  - every edge holds the 5 operations (none = x * 0, skip = identity,
    ReLU-Conv-BN 1x1 and 3x3 with BatchNorm2d(affine=False), avg_pool_3x3
    with count_include_pad=False); its output is sum_o w_o op_o(x), and an
    operation of weight 0 runs on x * 0 (block_input=True);
  - w_o = 0.2 on undecided edges (0 for the removed operation), one-hot on
    fixed edges; the same weights in every cell;
  - ResNet basic blocks between the stages, stem Conv+BN, lastact BN+ReLU,
    global pooling, Linear; the whole model in eval mode (model.eval(): BN
    with its initial running statistics);
  - nwot: a forward hook on every nn.ReLU adds c c^T + (1-c)(1-c)^T of its
    input codes c = (input > 0), score = slogdet's log|det|; jacov: the
    eigenvalues of the correlation of the input gradients of the sum of
    the logits, -sum(log(v + 1e-5) + 1/(v + 1e-5)) (NASLib's);
  - the discretisation: edges in input-to-output order, on each the
    operation whose removal scores lowest is kept (np.nanargmin);
  - validation: the stand-alone network of the cell (xautodl TinyNetwork in
    eval mode, the ops of weight 0 absent), the proxy summed over batches.
Every supernet proxy value must agree with zcevo's to 1e-4 (relative), the
discretisation must choose the same operations.

Prints one line per check and "N passed, M failed"; exit 1 on failure.
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_proxies_ref import read_dump  # noqa: E402

RTOL = 1e-4
OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
EDGES = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]  # sorted "i<-j" keys


class Zero(nn.Module):
    def forward(self, x, block_input=False):
        return x.mul(0.0)


class Identity(nn.Module):
    def forward(self, x, block_input=False):
        return x * 0 if block_input else x


class Pool(nn.Module):
    def __init__(self):
        super().__init__()
        self.op = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)

    def forward(self, x, block_input=False):
        return self.op(x * 0 if block_input else x)


class ReLUConvBN(nn.Module):
    def __init__(self, c_in, c_out, k, stride, affine):
        super().__init__()
        self.op = nn.Sequential(nn.ReLU(inplace=False),
                                nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2,
                                          bias=False),
                                nn.BatchNorm2d(c_out, affine=affine))

    def forward(self, x, block_input=False):
        return self.op(x * 0 if block_input else x)


class SearchCell(nn.Module):
    def __init__(self, c, standalone_ops=None):
        super().__init__()
        self.edges = nn.ModuleList()
        for e in range(6):
            ops = [Zero(), Identity(), ReLUConvBN(c, c, 1, 1, False),
                   ReLUConvBN(c, c, 3, 1, False), Pool()]
            self.edges.append(nn.ModuleList(ops))
        self.standalone_ops = standalone_ops  # the cell's ops: weight-0 ops absent

    def forward(self, x, weights):
        nodes = [x]
        for i in range(1, 4):
            inter = []
            for e, (to, frm) in enumerate(EDGES):
                if to != i:
                    continue
                if self.standalone_ops is not None:
                    inter.append(self.edges[e][self.standalone_ops[e]](nodes[frm]))
                    continue
                inter.append(sum(op(nodes[frm], block_input=True) * w if w == 0
                                 else op(nodes[frm]) * w
                                 for op, w in zip(self.edges[e], weights[e])))
            nodes.append(sum(inter))
        return nodes[-1]


class ResNetBlock(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2, True)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, True)
        self.downsample = nn.Sequential(nn.AvgPool2d(2, 2, 0),
                                        nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x, weights=None):
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class Supernet(nn.Module):
    def __init__(self, c, n, classes, standalone_ops=None):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
        self.cells = nn.ModuleList()
        for stage in range(3):
            if stage:
                self.cells.append(ResNetBlock(c, 2 * c))
                c *= 2
            for _ in range(n):
                self.cells.append(SearchCell(c, standalone_ops))
        self.lastact = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=False))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, classes)

    def forward(self, x, weights):
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x, weights)
        x = self.pool(self.lastact(x)).flatten(1)
        return self.classifier(x)


def load(model, dump):
    """zcevo's raw parameters, by its names, into the modules."""
    def put(param, key):
        param.data.copy_(torch.from_numpy(dump["param:" + key].astype(np.float32)))
    put(model.stem[0].weight, "stem.0.weight")
    for i, cell in enumerate(model.cells):
        if isinstance(cell, ResNetBlock):
            put(cell.conv_a.op[1].weight, f"cells.{i}.conv_a.weight")
            put(cell.conv_b.op[1].weight, f"cells.{i}.conv_b.weight")
            put(cell.downsample[1].weight, f"cells.{i}.downsample.weight")
            continue
        for e in range(6):
            for o in (2, 3):
                put(cell.edges[e][o].op[1].weight, f"cells.{i}.edges.{e}.{o}.weight")
    put(model.classifier.weight, "classifier.weight")
    put(model.classifier.bias, "classifier.bias")
    model.eval()
    return model


def edge_weights(fixed, removed=None):
    w = torch.zeros(6, 5)
    for e in range(6):
        if fixed[e] >= 0:
            w[e, fixed[e]] = 1.0
        else:
            w[e, :] = 0.2
            if removed is not None and removed[0] == e:
                w[e, removed[1]] = 0.0
    return w


def nwot(model, x, weights):
    K = np.zeros((x.shape[0], x.shape[0]))
    hooks = []

    def hook(mod, inp, out):
        c = (inp[0].detach().reshape(inp[0].shape[0], -1) > 0).double()
        K[:] += (c @ c.t() + (1 - c) @ (1 - c).t()).numpy()
    for m in model.modules():
        if isinstance(m, nn.ReLU):
            hooks.append(m.register_forward_hook(hook))
    with torch.no_grad():
        model(x, weights)
    for h in hooks:
        h.remove()
    return float(np.linalg.slogdet(K)[1])


def jacov(model, x, weights):
    xi = x.clone().requires_grad_(True)
    out = model(xi, weights)
    out.backward(torch.ones_like(out))
    jac = xi.grad.detach().reshape(x.shape[0], -1).numpy().astype(np.float64)
    v, _ = np.linalg.eig(np.corrcoef(jac))
    k = 1e-5
    return float(np.real(-np.sum(np.log(v + k) + 1.0 / (v + k))))


PROXIES = {"nwot": nwot, "jacov": jacov}


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def value(self, what, got, want):
        ok = abs(got - want) <= 1e-9 + RTOL * abs(want)
        print(f"{'ok  ' if ok else 'FAIL'} {what:34s} zcevo {got:.9g}  torch {want:.9g}  "
              f"rel err {abs(got - want) / max(abs(want), 1e-30):.1e}")
        self.record(ok)

    def record(self, ok):
        self.passed += ok
        self.failed += not ok


def check_removals(dump, model, xs, tag, x_index, checks):
    fixed = [int(v) for v in dump[f"{tag}:state"]]
    e = int(dump[f"{tag}:edge"])
    for name, fn in PROXIES.items():
        got = dump[f"{tag}:{name}"]
        for o in range(5):
            want = fn(model, xs[x_index], edge_weights(fixed, (e, o)))
            checks.value(f"{tag} edge {e} without {OPS[o]} {name}", float(got[o]), want)


def check_discretisation(dump, model, xs, shape, checks):
    fixed = [-1] * 6
    got_scores = dump["disc:scores"]
    for s, e in enumerate(range(6)):  # input-to-output order
        scores = [nwot(model, xs[s], edge_weights(fixed, (e, o))) for o in range(5)]
        for o in range(5):
            checks.value(f"discretisation step {s} without {OPS[o]}", float(got_scores[s][o]),
                         scores[o])
        fixed[e] = int(np.nanargmin(scores))
    genes = [int(g) for g in dump["disc:genes"]]
    ok = genes == fixed
    print(f"{'ok  ' if ok else 'FAIL'} discretisation cell: zcevo "
          f"{[OPS[g] for g in genes]} torch {[OPS[g] for g in fixed]}")
    checks.record(ok)
    c, n, classes = int(shape[0]), int(shape[1]), int(shape[4])
    alone = load(Supernet(c, n, classes, standalone_ops=fixed), dump)
    for name, fn in PROXIES.items():
        want = sum(fn(alone, xs[v], edge_weights(fixed)) for v in range(2))
        checks.value(f"stand-alone validation {name}", float(dump[f"valid:{name}"]), want)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--exe", required=True, help="test_search binary")
    ap.add_argument("--out", required=True, help="dump file to write")
    args = ap.parse_args()
    torch.manual_seed(0)
    subprocess.run([args.exe, "--dump-supernet", args.out], check=True)
    dump = read_dump(args.out)
    shape = dump["shape"]
    c, n, classes = int(shape[0]), int(shape[1]), int(shape[4])
    xs = torch.from_numpy(dump["x"].astype(np.float32))
    model = load(Supernet(c, n, classes), dump)
    checks = Checks()
    check_removals(dump, model, xs, "undecided", 0, checks)
    check_removals(dump, model, xs, "partial", 1, checks)
    check_discretisation(dump, model, xs, shape, checks)
    print(f"{checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
