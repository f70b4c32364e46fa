#!/usr/bin/env python3
"""torch_stats_ref.py: independent PyTorch reference for `zcevo stats`.

Reads a statistics file written by `zcevo stats --store-params` (schema:
docs/stats_schema.md), rebuilds every architecture in PyTorch with the module
names of the official xautodl code (NAS-Bench-201 TinyNetwork, NATS-Bench SSS
DynamicShapeTinyNet), loads the stored initial parameters, runs the three
passes (data, noise, perturb) on the stored inputs and compares the 22
terminals of every RCB block (ReLU -> Conv -> BN module) with the file.

Terminal definitions (docs/eznas.md sections 1-2), per block and pass:
  inpact = ReLU input, preact = ReLU output (= conv input), act = BN output,
  preact_grad / act_grad = gradient of sum(logits) w.r.t. those tensors,
  inpact_grad = preact_grad * (inpact > 0) (gradient through this block only),
  wt_grad = conv weight gradient, wt = conv weight; perturb terminals are the
  perturb pass minus the data pass. Training-mode BN (batch statistics).

Numerics: the reference runs in float64 by default (--dtype float32 is
available) on the file's float32 parameters and inputs, so the measured error
is the file's own rounding error. A ReLU input within rtol x rms of zero has a
rounding-ambiguous sign; a flip there moves every upstream gradient by up to a
few percent (one element of 8192 was seen to do that), so at such positions
the reference takes the sign the file's stored inpact has (--no-align turns
this off; exact zeros are never ambiguous). The lastact ReLU cannot be aligned
(its input is not stored); near-zero inputs there are reported on failure.

Usage:
  torch_stats_ref.py FILE.h5 [--rtol 1e-4] [--dtype float64|float32] [--no-align]
      compare; exit 1 on any failed tensor or structural problem
  torch_stats_ref.py --write-fixture FILE.h5 [--space nb201|nats_sss]
                     [--corrupt value|block]
      write a self-made file in the same schema (random parameters, values
      from this reference, cross-checked against module backward hooks);
      --corrupt damages one value / renames one block so the checker must fail.

Output: one line per architecture (max relative error and where), a summary
of the max error per terminal, and "N passed, M failed" (tensor comparisons).
"""
import argparse
import re
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn

TENSOR_KINDS = ["inpact", "preact", "act", "inpact_grad", "preact_grad",
                "act_grad", "wt_grad"]
PASSES = ["data", "noise", "perturb"]
TERMINALS = [f"{k}_{p}" for k in TENSOR_KINDS for p in PASSES] + ["wt"]
NATS_SSS_GENOTYPE = ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+"
                     "|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")
DATASET_CLASSES = {"cifar10": 10, "cifar100": 100, "imagenet16": 120}


# ---------------------------------------------------------------------------
# Networks (module names follow xautodl so that state_dict names match)
# ---------------------------------------------------------------------------
class ReLUConvBN(nn.Module):
    """An RCB block. When `recorder` (a list) is set, forward keeps explicit
    handles on inpact, preact (grad retained), act (grad retained) and the
    ReLU mask; `mask_hint` (the checked file's inpact for this pass, or None)
    settles the sign of inputs within `ambiguity` x rms of zero."""

    def __init__(self, c_in, c_out, kernel, stride, padding):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding,
                      bias=False),
            nn.BatchNorm2d(c_out, affine=True))
        self.recorder = None
        self.block_name = None
        self.mask_hint = None
        self.ambiguity = 0.0

    def forward(self, x):
        if self.recorder is None:
            return self.op(x)
        _, conv, bn = self.op
        inpact = x
        mask = inpact > 0
        flips = 0
        if self.mask_hint is not None:
            # Signs within tau of zero are rounding-ambiguous: take the
            # checked file's decision there (exact zeros are never ambiguous).
            tau = self.ambiguity * inpact.detach().pow(2).mean().sqrt()
            ambiguous = (inpact.detach().abs() <= tau) & (inpact.detach() != 0)
            hint = torch.from_numpy(self.mask_hint > 0)
            new_mask = torch.where(ambiguous, hint, mask)
            flips = int((new_mask != mask).sum())
            mask = new_mask
        mask = mask.to(inpact.dtype)
        preact = inpact * mask  # = relu(inpact); gradient preact_grad * mask
        if preact.requires_grad:
            preact.retain_grad()
        else:  # input independent of everything trainable: make it a leaf
            preact = preact.detach().requires_grad_(True)
        act = bn(conv(preact))
        act.retain_grad()
        self.recorder.append((self, inpact, preact, act, mask, flips))
        return act


class Zero(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.c_in, self.c_out, self.stride = c_in, c_out, stride

    def forward(self, x):
        if self.c_in == self.c_out:
            return x[:, :, ::self.stride, ::self.stride].mul(0.0)
        shape = list(x.shape)
        shape[1] = self.c_out
        return x.new_zeros(shape)


class Identity(nn.Module):
    def forward(self, x):
        return x


class FactorizedReduce(nn.Module):
    """Only the stride-1 variant occurs here: conv1x1 + BN, no ReLU applied
    (xautodl keeps an unused `relu` member, which has no parameters)."""

    def __init__(self, c_in, c_out, stride):
        super().__init__()
        if stride != 1:
            raise ValueError("FactorizedReduce stride 2 is not used in these spaces")
        self.relu = nn.ReLU(inplace=False)
        self.conv = nn.Conv2d(c_in, c_out, 1, stride=1, padding=0, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=True)

    def forward(self, x):
        return self.bn(self.conv(x))


class POOLING(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.preprocess = (None if c_in == c_out
                           else ReLUConvBN(c_in, c_out, 1, 1, 0))
        self.op = nn.AvgPool2d(3, stride=stride, padding=1,
                               count_include_pad=False)

    def forward(self, x):
        if self.preprocess is not None:
            x = self.preprocess(x)
        return self.op(x)


def make_op(name, c_in, c_out, stride):
    if name == "none":
        return Zero(c_in, c_out, stride)
    if name == "skip_connect":
        if stride == 1 and c_in == c_out:
            return Identity()
        return FactorizedReduce(c_in, c_out, stride)
    if name == "nor_conv_1x1":
        return ReLUConvBN(c_in, c_out, 1, stride, 0)
    if name == "nor_conv_3x3":
        return ReLUConvBN(c_in, c_out, 3, stride, 1)
    if name == "avg_pool_3x3":
        return POOLING(c_in, c_out, stride)
    raise ValueError(f"unknown operation {name!r}")


def parse_genotype(arch_str):
    """'|op~j|+|op~j|op~j|+...' -> [[(op, j), ...] per node 1..]."""
    nodes = []
    for node_str in arch_str.split("+"):
        edges = []
        for item in filter(None, node_str.split("|")):
            op, j = item.split("~")
            edges.append((op, int(j)))
        if not edges:
            raise ValueError(f"empty node in arch string {arch_str!r}")
        nodes.append(edges)
    return nodes


class InferCell(nn.Module):
    def __init__(self, genotype, c_in, c_out, stride):
        super().__init__()
        self.layers = nn.ModuleList()
        self.node_ix, self.node_in = [], []
        for node in genotype:
            ix, inn = [], []
            for op, j in node:
                if j == 0:
                    layer = make_op(op, c_in, c_out, stride)
                else:
                    layer = make_op(op, c_out, c_out, 1)
                ix.append(len(self.layers))
                inn.append(j)
                self.layers.append(layer)
            self.node_ix.append(ix)
            self.node_in.append(inn)
        self.out_dim = c_out

    def forward(self, x):
        nodes = [x]
        for ix, inn in zip(self.node_ix, self.node_in):
            nodes.append(sum(self.layers[l](nodes[j]) for l, j in zip(ix, inn)))
        return nodes[-1]


class ResNetBasicblock(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        assert stride == 2
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride, 1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, 1, stride=1, padding=0, bias=False))
        self.out_dim = c_out

    def forward(self, x):
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class CellNetwork(nn.Module):
    """TinyNetwork (NB201: channels [16]*5+[32]*6+[64]*6 pattern) and
    DynamicShapeTinyNet (NATS-SSS: 5 channels) share this structure."""

    def __init__(self, channels, reductions, genotype, num_classes):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, channels[0], 3, padding=1, bias=False),
            nn.BatchNorm2d(channels[0]))
        self.cells = nn.ModuleList()
        c_prev = channels[0]
        for c_curr, reduction in zip(channels, reductions):
            if reduction:
                cell = ResNetBasicblock(c_prev, c_curr, 2)
            else:
                cell = InferCell(genotype, c_prev, c_curr, 1)
            self.cells.append(cell)
            c_prev = cell.out_dim
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)
        self.ambiguity = 0.0
        self.lastact_near_zero = 0

    def forward(self, x):
        feature = self.stem(x)
        for cell in self.cells:
            feature = cell(feature)
        bn_out = self.lastact[0](feature)
        d = bn_out.detach()
        tau = self.ambiguity * d.pow(2).mean().sqrt()
        self.lastact_near_zero = int(((d.abs() <= tau) & (d != 0)).sum())
        out = self.global_pooling(self.lastact[1](bn_out))
        return self.classifier(out.view(out.size(0), -1))


def build_network(space, arch_str, num_classes):
    if space == "nb201":
        c, n = 16, 5
        channels = [c] * n + [2 * c] + [2 * c] * n + [4 * c] + [4 * c] * n
        reductions = [False] * n + [True] + [False] * n + [True] + [False] * n
        genotype = parse_genotype(arch_str)
    elif space == "nats_sss":
        channels = [int(v) for v in arch_str.split(":")]
        if len(channels) != 5:
            raise ValueError(f"NATS-SSS arch {arch_str!r} needs 5 channels")
        reductions = [False, True, False, True, False]
        genotype = parse_genotype(NATS_SSS_GENOTYPE)
    else:
        raise ValueError(f"unknown space {space!r}")
    net = CellNetwork(channels, reductions, genotype, num_classes)
    blocks = []
    for name, module in net.named_modules():
        if isinstance(module, ReLUConvBN):
            module.block_name = name
            blocks.append(module)
    return net, blocks


# ---------------------------------------------------------------------------
# The three passes
# ---------------------------------------------------------------------------
def run_pass(net, blocks, x, hints=None, ambiguity=0.0):
    """Forward in training mode and backward of sum(logits). hints: optional
    {block name: the checked file's inpact} to settle rounding-ambiguous ReLU
    signs (|inpact| <= ambiguity x rms). Returns ({block name: {kind:
    ndarray}} for the 7 per-pass tensor kinds, stats) where stats counts the
    ReLU decisions taken from hints and near-zero lastact ReLU inputs."""
    recorder = []
    net.ambiguity = ambiguity
    for b in blocks:
        b.recorder = recorder
        b.mask_hint = hints.get(b.block_name) if hints else None
        b.ambiguity = ambiguity
    net.train()
    net.zero_grad(set_to_none=True)
    logits = net(x)
    logits.backward(torch.ones_like(logits))
    out = {}
    stats = {"flips": 0, "lastact_near_zero": net.lastact_near_zero}
    for module, inpact, preact, act, mask, flips in recorder:
        stats["flips"] += flips
        preact_grad = (preact.grad if preact.grad is not None
                       else torch.zeros_like(preact))
        act_grad = act.grad if act.grad is not None else torch.zeros_like(act)
        weight = module.op[1].weight
        wt_grad = (weight.grad if weight.grad is not None
                   else torch.zeros_like(weight))
        if module.block_name in out:
            raise RuntimeError(f"block {module.block_name} ran twice")
        out[module.block_name] = {
            "inpact": inpact.detach().clone().numpy(),
            "preact": preact.detach().clone().numpy(),
            "act": act.detach().clone().numpy(),
            "inpact_grad": (preact_grad * mask).detach().clone().numpy(),
            "preact_grad": preact_grad.detach().clone().numpy(),
            "act_grad": act_grad.detach().clone().numpy(),
            "wt_grad": wt_grad.detach().clone().numpy(),
        }
    for b in blocks:
        b.recorder = None
        b.mask_hint = None
    return out, stats


def reference_terminals(net, blocks, inputs, hints=None, ambiguity=0.0):
    """({block name: {terminal name: float64 ndarray}} for all 22 terminals,
    {pass: stats of run_pass}). inputs: {pass: ndarray in the net's dtype};
    hints: optional {pass: {block name: file inpact}}."""
    per_pass, stats = {}, {}
    for p in PASSES:
        per_pass[p], stats[p] = run_pass(net, blocks, torch.from_numpy(inputs[p]),
                                         hints.get(p) if hints else None, ambiguity)
    result = {}
    for b in blocks:
        name = b.block_name
        t = {}
        for kind in TENSOR_KINDS:
            d = per_pass["data"][name][kind].astype(np.float64)
            t[f"{kind}_data"] = d
            t[f"{kind}_noise"] = per_pass["noise"][name][kind].astype(np.float64)
            t[f"{kind}_perturb"] = per_pass["perturb"][name][kind].astype(np.float64) - d
        t["wt"] = b.op[1].weight.detach().numpy().astype(np.float64)
        result[name] = t
    return result, stats


# ---------------------------------------------------------------------------
# Checking a file
# ---------------------------------------------------------------------------
def attr_str(obj, key, default=None):
    if key not in obj.attrs:
        return default
    v = obj.attrs[key]
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.ndarray) and v.shape == ():
        v = v.item()
        return v.decode() if isinstance(v, bytes) else str(v)
    return str(v)


def attr_int(obj, key, default=None):
    if key not in obj.attrs:
        return default
    return int(np.asarray(obj.attrs[key]).reshape(-1)[0])


def load_params(net, params_group, where):
    """Load /archs/X/params into net; returns a list of problems."""
    problems = []
    state = {}
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            state[name.replace("/", ".")] = torch.from_numpy(np.asarray(obj[()], dtype=np.float32))
    params_group.visititems(visit)
    own = net.state_dict()
    for key, value in state.items():
        if key in own and own[key].shape != value.shape:
            problems.append(f"{where}: param {key} has shape {tuple(value.shape)}, "
                            f"expected {tuple(own[key].shape)}")
    if problems:
        return problems
    res = net.load_state_dict(state, strict=False)
    for key in res.missing_keys:
        if not re.search(r"(running_mean|running_var|num_batches_tracked)$", key):
            problems.append(f"{where}: missing param {key}")
    for key in res.unexpected_keys:
        problems.append(f"{where}: unexpected param {key}")
    return problems


def rel_error(a, b):
    """||a-b||/||b||; when ||b|| == 0 returns ||a|| (must be <= 1e-6)."""
    nb = float(np.linalg.norm(b.ravel()))
    na = float(np.linalg.norm(a.ravel()))
    if nb == 0.0:
        return na, True
    return float(np.linalg.norm((a - b).ravel())) / nb, False


def file_inpact_hints(layers_group):
    """{pass: {block name: inpact as the file has it}} (perturb: data + diff)."""
    hints = {p: {} for p in PASSES}
    for key in layers_group:
        lg = layers_group[key]
        name = attr_str(lg, "name")
        if "inpact_data" in lg:
            d = np.asarray(lg["inpact_data"][()], dtype=np.float64)
            hints["data"][name] = d
            if "inpact_perturb" in lg:
                hints["perturb"][name] = d + np.asarray(lg["inpact_perturb"][()], dtype=np.float64)
        if "inpact_noise" in lg:
            hints["noise"][name] = np.asarray(lg["inpact_noise"][()], dtype=np.float64)
    return hints


def check_file(path, rtol, dtype, align_masks):
    torch.set_num_threads(1)  # ctest runs two checks at once on two cores
    torch.manual_seed(0)
    n_pass = n_fail = 0
    structural_failure = False
    per_terminal_max = {t: (0.0, "") for t in TERMINALS}
    with h5py.File(path, "r") as f:
        space = attr_str(f, "space")
        dataset = attr_str(f, "dataset", "")
        num_classes = attr_int(f, "num_classes", DATASET_CLASSES.get(dataset))
        term_attr = attr_str(f, "terminals", "")
        required = [t for t in (term_attr.split(",") if term_attr else []) if t]
        if required == ["all"]:
            required = list(TERMINALS)
        inputs = {p: np.ascontiguousarray(f["inputs"][p][()], dtype=np.float32)
                  for p in PASSES}
        print(f"{path}: space {space}, dataset {dataset}, classes {num_classes}, "
              f"inputs {inputs['data'].shape}, {len(f['archs'])} archs, rtol {rtol:g}, "
              f"reference in {dtype}, ReLU signs within {rtol:g} x rms of zero "
              + ("taken from the file" if align_masks else "not aligned"))
        inputs = {p: v.astype(np.float64 if dtype == "float64" else np.float32)
                  for p, v in inputs.items()}
        for arch_key in sorted(f["archs"].keys()):
            g = f["archs"][arch_key]
            arch_str = attr_str(g, "arch_str")
            where = f"arch {arch_key} {arch_str}"
            problems = []
            if "complete" in g.attrs and attr_int(g, "complete") == 0:
                problems.append(f"{where}: not complete")
            if "params" not in g:
                problems.append(f"{where}: no /params group (run zcevo stats with --store-params)")
                for p in problems:
                    print("FAIL", p)
                structural_failure = True
                continue
            net, blocks = build_network(space, arch_str, num_classes)
            problems += load_params(net, g["params"], where)
            if problems:
                for p in problems:
                    print("FAIL", p)
                structural_failure = True
                continue
            if dtype == "float64":
                net.double()
            hints = file_inpact_hints(g["layers"]) if align_masks and "layers" in g else None
            ref, pass_stats = reference_terminals(net, blocks, inputs, hints, rtol)
            flips = sum(st["flips"] for st in pass_stats.values())
            near_zero = sum(st["lastact_near_zero"] for st in pass_stats.values())
            ref_names = [b.block_name for b in blocks]
            modules = {b.block_name: b for b in blocks}
            layer_keys = sorted(g["layers"].keys(), key=int) if "layers" in g else []
            file_names = [attr_str(g["layers"][k], "name") for k in layer_keys]
            n_layers = attr_int(g, "n_layers", len(layer_keys))
            if n_layers != len(layer_keys):
                problems.append(f"{where}: n_layers {n_layers} but {len(layer_keys)} layer groups")
            if file_names != ref_names:
                missing = [n for n in ref_names if n not in file_names]
                extra = [n for n in file_names if n not in ref_names]
                problems.append(f"{where}: block list differs: file has {len(file_names)}, "
                                f"reference {len(ref_names)}; missing {missing[:6]}, "
                                f"extra {extra[:6]}"
                                + ("; order differs" if not missing and not extra else ""))
            arch_max = (0.0, "")
            arch_fail = 0
            arch_count = 0
            for key, name in zip(layer_keys, file_names):
                lg = g["layers"][key]
                if name not in ref:
                    continue
                conv = modules[name].op[1]
                expect_meta = {"c_in": conv.in_channels, "c_out": conv.out_channels,
                               "kernel_h": conv.kernel_size[0], "kernel_w": conv.kernel_size[1],
                               "stride": conv.stride[0]}
                m = re.match(r"cells\.(\d+)\.", name)
                if m:
                    expect_meta["cell"] = int(m.group(1))
                for attr, val in expect_meta.items():
                    got = attr_int(lg, attr)
                    if got is not None and got != val:
                        problems.append(f"{where}: {name} attribute {attr} = {got}, expected {val}")
                for t in required:
                    if t not in lg:
                        problems.append(f"{where}: {name} lacks terminal {t}")
                for t in TERMINALS:
                    if t not in lg:
                        continue
                    a = np.asarray(lg[t][()], dtype=np.float64)
                    b = ref[name][t]
                    arch_count += 1
                    if a.shape != b.shape:
                        ok, msg = False, f"shape {a.shape} != {b.shape}"
                        err = float("inf")
                    elif not np.all(np.isfinite(a)):
                        ok, msg = False, f"{int(np.sum(~np.isfinite(a)))} non-finite values"
                        err = float("inf")
                    else:
                        err, zero_ref = rel_error(a, b)
                        if zero_ref:
                            ok = err <= 1e-6
                            msg = f"reference is all zero, ||file|| = {err:.3g}"
                        else:
                            ok = err < rtol
                            msg = (f"rel err {err:.3g} (||file|| {np.linalg.norm(a):.6g}, "
                                   f"||torch|| {np.linalg.norm(b):.6g}, "
                                   f"max abs diff {np.max(np.abs(a - b)):.3g})")
                    if ok:
                        n_pass += 1
                    else:
                        n_fail += 1
                        arch_fail += 1
                        if arch_fail <= 40:
                            print(f"FAIL {where}: {name} {t}: {msg}")
                    if err > arch_max[0]:
                        arch_max = (err, f"{name} {t}")
                    if err > per_terminal_max[t][0]:
                        per_terminal_max[t] = (err, f"arch {arch_key} {name}")
            for p in problems:
                print("FAIL", p)
            if problems:
                structural_failure = True
            status = "OK" if not arch_fail and not problems else "FAILED"
            print(f"arch {arch_key} {arch_str}: {len(file_names)} blocks, {arch_count} tensors, "
                  f"max rel err {arch_max[0]:.3g} ({arch_max[1]}), {arch_fail} failed: {status}"
                  f" [{flips} rounding-ambiguous ReLU signs taken from the file"
                  + (f"; note: {near_zero} lastact ReLU inputs within {rtol:g} x rms of zero,"
                     " where a rounding flip changes every gradient"
                     if near_zero and arch_fail else "") + "]")
    print("max rel error per terminal:")
    for t in TERMINALS:
        err, where = per_terminal_max[t]
        print(f"  {t:20s} {err:.3g}  {where}")
    print(f"{n_pass} passed, {n_fail} failed")
    if structural_failure:
        print("structural problems found (see FAIL lines)")
    return 1 if (n_fail or structural_failure or n_pass == 0) else 0


# ---------------------------------------------------------------------------
# Self-made fixture (tests the checker itself)
# ---------------------------------------------------------------------------
def hook_terminals(net, blocks, x):
    """The terminal gradients as module backward hooks see them (the
    reference's definition): ReLU grad_input/grad_output, BN grad_output."""
    seen = {}
    handles = []
    for b in blocks:
        relu, _, bn = b.op
        def relu_hook(mod, gin, gout, name=b.block_name):
            seen.setdefault(name, {})["inpact_grad"] = gin[0].detach().clone().numpy()
            seen[name]["preact_grad"] = gout[0].detach().clone().numpy()
        def bn_hook(mod, gin, gout, name=b.block_name):
            seen.setdefault(name, {})["act_grad"] = gout[0].detach().clone().numpy()
        handles.append(relu.register_full_backward_hook(relu_hook))
        handles.append(bn.register_full_backward_hook(bn_hook))
    net.train()
    net.zero_grad(set_to_none=True)
    logits = net(x)
    logits.backward(torch.ones_like(logits))
    for h in handles:
        h.remove()
    return seen


def write_fixture(path, space, corrupt):
    torch.set_num_threads(1)  # ctest runs two checks at once on two cores
    gen = torch.Generator().manual_seed(1234)
    batch, hw, classes = 2, 16, 10
    data = torch.randn(batch, 3, hw, hw, generator=gen)
    noise = torch.randn(batch, 3, hw, hw, generator=gen)
    perturb = data + 0.1 * torch.randn(batch, 3, hw, hw, generator=gen)
    inputs = {"data": data.numpy(), "noise": noise.numpy(), "perturb": perturb.numpy()}
    if space == "nb201":
        archs = [(11, "|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+"
                  "|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"),
                 (7, "|none~0|+|nor_conv_1x1~0|none~1|+"
                  "|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|")]
    else:  # channels differ within cells: FactorizedReduce on skip edges
        archs = [(11, "8:16:24:64:40"), (7, "16:8:8:16:24")]
    with h5py.File(path, "w") as f:
        f.attrs["space"] = space
        f.attrs["dataset"] = "cifar10"
        f.attrs["batch"] = batch
        f.attrs["seed"] = 1234
        f.attrs["terminals"] = ",".join(TERMINALS)
        f.attrs["num_classes"] = classes
        for p in PASSES:
            f.create_dataset(f"inputs/{p}", data=inputs[p])
        for index, arch_str in archs:
            net, blocks = build_network(space, arch_str, classes)
            with torch.no_grad():  # non-trivial BN affine parameters
                for m in net.modules():
                    if isinstance(m, nn.BatchNorm2d):
                        m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape, generator=gen))
                        m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))
            ref, _ = reference_terminals(net, blocks, inputs)
            for p in PASSES:  # the capture must equal what backward hooks see
                hooked = hook_terminals(net, blocks, torch.from_numpy(inputs[p]))
                mine, _ = run_pass(net, blocks, torch.from_numpy(inputs[p]))
                for name, kinds in hooked.items():
                    for kind, val in kinds.items():
                        diff = np.max(np.abs(val - mine[name][kind]))
                        if diff > 1e-6 * (1 + np.max(np.abs(val))):
                            raise SystemExit(f"capture mismatch {name} {kind} {p}: {diff}")
            g = f.create_group(f"archs/{index:06d}")
            g.attrs["arch_index"] = index
            g.attrs["arch_str"] = arch_str
            g.attrs["n_layers"] = len(blocks)
            g.attrs["complete"] = 1
            for key, value in net.state_dict().items():
                if re.search(r"(running_mean|running_var|num_batches_tracked)$", key):
                    continue
                g.create_dataset(f"params/{key}", data=value.numpy())
            for i, b in enumerate(blocks):
                lg = g.create_group(f"layers/{i:03d}")
                name = b.block_name
                if corrupt == "block" and i == 3 and index == 11:
                    name = name + ".bogus"
                lg.attrs["name"] = name
                conv = b.op[1]
                lg.attrs["c_in"] = conv.in_channels
                lg.attrs["c_out"] = conv.out_channels
                lg.attrs["kernel_h"] = conv.kernel_size[0]
                lg.attrs["kernel_w"] = conv.kernel_size[1]
                lg.attrs["stride"] = conv.stride[0]
                for t in TERMINALS:
                    val = ref[b.block_name][t].astype(np.float32)
                    if corrupt == "value" and i == 5 and index == 7 and t == "act_grad_noise":
                        flat = val.reshape(-1)
                        k = int(np.argmax(np.abs(flat)))
                        flat[k] *= 1.01
                    lg.create_dataset(t, data=val)
    print(f"wrote {path}" + (f" (corrupt: {corrupt})" if corrupt else ""))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file", help="stats file (.h5)")
    ap.add_argument("--rtol", type=float, default=1e-4,
                    help="max relative error per tensor; also the ambiguity band of ReLU signs")
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64",
                    help="precision of the reference computation (parameters and inputs "
                         "are the file's float32 values)")
    ap.add_argument("--no-align", action="store_true",
                    help="do not take rounding-ambiguous ReLU signs from the file")
    ap.add_argument("--write-fixture", action="store_true",
                    help="write a self-made file instead of checking one")
    ap.add_argument("--space", choices=["nb201", "nats_sss"], default="nb201",
                    help="space of the self-made file")
    ap.add_argument("--corrupt", choices=["value", "block"], default=None)
    args = ap.parse_args()
    if args.write_fixture:
        return write_fixture(args.file, args.space, args.corrupt)
    return check_file(args.file, args.rtol, args.dtype, not args.no_align)


if __name__ == "__main__":
    sys.exit(main())
