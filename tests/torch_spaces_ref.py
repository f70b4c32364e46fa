#!/usr/bin/env python3
"""torch_spaces_ref.py: independent PyTorch reference for `zcevo stats` on
the design spaces of issue 8 (NAS-Bench-Macro, Channel-Bench-Macro ResNet
and MobileNet, NDS AnyNet).

The networks are written here from the authors' definitions, with their
module names (xiusu/NAS-Bench-Macro train/model.py, xiusu/Channel-Bench-
Macro model.py, facebookresearch/pycls anynet.py), so that the parameters
stored by `zcevo stats --store-params` load by state_dict name. Helpers
(parameter loading, attributes, relative error, terminal names) come from
tests/torch_stats_ref.py. The reference runs in float64 on the file's float32
parameters and inputs. Choices that rounding decides follow the file: a
ReLU input within max(rtol x rms, FLIP_SIGMAS x rms(file - reference)) of
zero takes the sign the file's inpact has; a ReLU whose input is not in the
file (a network's last ReLU: plain_relu) has the signs of its inputs within
FLIP_SIGMAS x float32's rounding of zero (a few at most) settled by which
sign brings the pass's terminals closer to the file's (settle_plain_relus);
and in NDS cells a max-pool window whose largest input is
that close to the file's choice takes the file's choice (where the file's
value of the pooled state can be rebuilt from its acts). Tensors that are zero in
exact arithmetic (see CANCELLED below) are checked to be float32 rounding
noise instead of by relative error.

RCB blocks (docs/spaces.md): a ReLU whose output is the input of a conv
(optionally followed by a second conv: a separable block) followed by a BN.
inpact = ReLU input, preact = ReLU output (where that tensor also feeds a
residual sum, its gradient is the total one), act = BN output, wt = weight
of the (first) conv.

Deep nets (DARTS_fix-w-d, depth 22) are not accurate to 1e-4 in float32 at
all: PyTorch's own float32 pass is off the float64 one by more. There
--float32-factor F lets a tensor whose error is >= rtol pass when it is at
most F x the error of PyTorch's float32 pass (same parameters, inputs and
ReLU signs).

--teacher-forced checks every block one step at a time: the block starts
from the file's inpact and act_grad, and the network reads the file's act of
every block downstream (forced_pass). Rounding then no longer accumulates
with depth, and every terminal must be within rtol.

Usage: torch_spaces_ref.py FILE.h5 [--rtol 1e-4] [--float32-factor F] [--teacher-forced]
                           [--corrupt TERMINAL]
Prints one line per architecture and "N passed, M failed" (tensors).
--corrupt TERMINAL checks a copy of FILE.h5 whose TERMINAL of each
architecture's last block is off by 1e-3 in one element (corrupt_copy): the
check that the reference, settled choices included, catches an error.
"""
import json
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_stats_ref as base  # noqa: E402


# ---------------------------------------------------------------------------
# RCB bookkeeping (the protocol of torch_stats_ref.run_pass)
# ---------------------------------------------------------------------------
class ConvMeta:
    """What the checker reads of a block's conv: the first conv's weight
    and kernel, the last conv's output channels, the largest stride."""

    def __init__(self, first, last):
        self.weight = first.weight
        self.in_channels = first.in_channels
        self.out_channels = last.out_channels
        self.kernel_size = first.kernel_size
        self.stride = (max(first.stride[0], last.stride[0]),)


class Block:
    """An RCB block: name and conv meta (op[1])."""

    def __init__(self, name, first, last=None):
        self.block_name = name
        self.op = [None, ConvMeta(first, last or first), None]


class Recording(nn.Module):
    """Base of the networks: self.blocks (in execution order) and tap()."""

    def __init__(self):
        super().__init__()
        self._blocks = {}
        self.block_list = []
        self.hints = None
        self.ambiguity = 0.0
        self.records = {}
        self.forced = False  # teacher forcing (forced_pass)
        self.forced_dtype = torch.float64
        self.plain_inputs = {}  # tag -> input of each plain_relu in this pass
        self.plain_signs = {}  # tag -> (flat indices, signs): settle_plain_relus

    def add_block(self, name, first, last=None):
        b = Block(name, first, last)
        self._blocks[name] = b
        self.block_list.append(b)

    def rcb_relu(self, names, inpact):
        """ReLU feeding the RCB block(s) `names` (a name or a list; empty:
        a plain ReLU): returns preact (grad retained); ambiguous signs follow
        the file's inpact (self.hints) when given."""
        names = [names] if isinstance(names, str) else list(names)
        if not names:
            return F.relu(inpact)
        if self.forced:
            return self.forced_relu(names, inpact)
        mask = inpact > 0
        if self.file_tensor(names[0], "inpact") is not None:
            # Ambiguous: within rtol x rms of zero, or within FLIP_SIGMAS x
            # the rms difference between the file's inpact and this one (deep
            # nets: element errors of a few 1e-4 x rms flip signs; the inpact
            # tensor itself is still checked against rtol).
            x = inpact.detach()
            hint_t = self.file_as(names[0], "inpact", x.dtype)
            ambiguous = (x.abs() <= self.rounding_window(x, hint_t)) & (x != 0)
            mask = torch.where(ambiguous, hint_t > 0, mask)
        mask = mask.to(inpact.dtype)
        preact = inpact * mask
        preact.retain_grad()
        for name in names:
            self.records[name] = {"inpact": inpact, "preact": preact, "mask": mask}
        return preact

    def plain_relu(self, tag, x):
        """A ReLU the file holds no tensor of (a network's last ReLU, a stem
        ReLU before a max pool): records its input in self.plain_inputs;
        the signs self.plain_signs[tag] lists (settle_plain_relus) override
        x > 0."""
        self.plain_inputs[tag] = x.detach()
        mask = x > 0
        if tag in self.plain_signs:
            idx, positive = self.plain_signs[tag]
            mask = mask.flatten().clone()
            mask[idx] = positive
            mask = mask.view_as(x)
        return x * mask.to(x.dtype)

    def file_tensor(self, name, kind):
        """The checked file's `kind` tensor of block `name` in this pass
        (float64 ndarray), or None."""
        return self.hints.get(name, {}).get(kind) if self.hints else None

    def rounding_window(self, x, file_x):
        """Distance below which a comparison on x (a ReLU sign, a max-pool
        choice) is decided by rounding: max(ambiguity x rms(x), FLIP_SIGMAS x
        rms(x - file_x))."""
        err_rms = (x - file_x).pow(2).mean().sqrt()
        return torch.maximum(self.ambiguity * x.pow(2).mean().sqrt(), FLIP_SIGMAS * err_rms)

    def file_as(self, name, kind, dtype):
        """file_tensor as a torch tensor of dtype, or None."""
        a = self.file_tensor(name, kind)
        return None if a is None else torch.from_numpy(a).to(dtype)

    def file_act(self, name, like):
        """The file's act of block `name` as a tensor like `like`, or None."""
        return self.file_as(name, "act", like.dtype)

    def max_pool(self, x, k, stride, file_x):
        """max_pool2d(x, k, stride, k // 2). file_x: the file's value of x
        (None: unknown); windows where the file picks another element within
        the rounding window of the largest take the file's choice (the
        ReLU-sign rule for pooling). Returns (output, file's output)."""
        y, idx = F.max_pool2d(x, k, stride, k // 2, return_indices=True)
        if file_x is None:
            return y, None
        y_file, idx_file = F.max_pool2d(file_x, k, stride, k // 2, return_indices=True)
        flat = x.flatten(2)
        at_file = flat.gather(2, idx_file.flatten(2)).view_as(y)
        tau = self.rounding_window(x.detach(), file_x)
        take = (idx_file != idx) & (y.detach() - at_file.detach() <= tau)
        chosen = torch.where(take, idx_file, idx)
        return flat.gather(2, chosen.flatten(2)).view_as(y), y_file

    def tap(self, name, act):
        """Record block `name`'s output; returns what the rest of the network
        reads (teacher-forced: the file's act, as a leaf)."""
        act.retain_grad()
        self.records[name]["act"] = act
        if not self.forced:
            return act
        leaf = self.forced_tensor(name, "act").requires_grad_(True)
        self.records[name]["leaf"] = leaf
        return leaf

    # ---- teacher forcing (see forced_pass) -----------------------------------
    def forced_tensor(self, name, kind):
        t = self.file_as(name, kind, self.forced_dtype)
        if t is None:
            raise RuntimeError(f"teacher forcing: the file has no {kind} of block {name}")
        return t

    def forced_relu(self, names, wired):
        """Teacher-forced RCB ReLU: `wired` (the block input the network
        computes from the file's upstream acts) is recorded for comparison;
        the block itself starts from the file's inpact."""
        inpact = self.forced_tensor(names[0], "inpact")
        mask = (inpact > 0).to(inpact.dtype)
        preact = (inpact * mask).requires_grad_(True)
        for name in names:
            self.records[name] = {"inpact": wired, "preact": preact, "mask": mask}
        return preact


def module_path(net, module):
    for name, m in net.named_modules():
        if m is module:
            return name
    raise KeyError(module)


# ---------------------------------------------------------------------------
# NAS-Bench-Macro and Channel-Bench-Macro
# ---------------------------------------------------------------------------
class Downsample(nn.Module):
    def __init__(self, inp, oup, stride):
        super().__init__()
        self.downsample = nn.Sequential(nn.Conv2d(inp, oup, 1, stride=stride, bias=False),
                                        nn.BatchNorm2d(oup))


class MBBlock(nn.Module):
    """pw Conv+BN+ReLU, dw Conv+BN+ReLU, pw-linear Conv+BN (conv.0 .. conv.7)."""

    def __init__(self, inp, hidden, oup, k, stride):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(inp, hidden, 1, 1, 0, bias=False), nn.BatchNorm2d(hidden), nn.ReLU(),
            nn.Conv2d(hidden, hidden, k, stride, k // 2, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden), nn.ReLU(),
            nn.Conv2d(hidden, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup))
        self.shortcut = inp == oup and stride == 1


class MacroNet(Recording):
    """Both macro MobileNets: stem, a list of layers (Downsample, MBBlock or
    None = identity), out conv (or none), pooling, classifier."""

    def __init__(self, stem_c, stem_stride, layers, out_c, num_classes):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, stem_c, 3, stem_stride, 1, bias=False),
                                  nn.BatchNorm2d(stem_c), nn.ReLU())
        self.features = nn.Sequential(*[m if m is not None else nn.Identity() for m in layers])
        last_c = stem_c
        for m in layers:
            if isinstance(m, Downsample):
                last_c = m.downsample[0].out_channels
            elif isinstance(m, MBBlock):
                last_c = m.conv[6].out_channels
        self.out = nn.Sequential(nn.Conv2d(last_c, out_c, 1, bias=False), nn.BatchNorm2d(out_c),
                                 nn.ReLU(), nn.AdaptiveAvgPool2d(1))  # out.2: plain_relu
        self.classifier = nn.Linear(out_c, num_classes)
        for i, m in enumerate(self.features):
            if isinstance(m, Downsample):
                if i == 0:
                    self.add_block(f"features.{i}.downsample.0", m.downsample[0])
            elif isinstance(m, MBBlock):
                if i == 0:
                    self.add_block(f"features.{i}.conv.0", m.conv[0])
                self.add_block(f"features.{i}.conv.3", m.conv[3])
                self.add_block(f"features.{i}.conv.6", m.conv[6])

    def forward(self, x):
        s = self.stem[1](self.stem[0](x))
        first = self.block_list[0].block_name  # the stem ReLU feeds features.0
        x = self.rcb_relu(first, s)
        for i, m in enumerate(self.features):
            if isinstance(m, Downsample):
                x = m.downsample[1](m.downsample[0](x))
                if i == 0:
                    x = self.tap(first, x)
            elif isinstance(m, MBBlock):
                c = m.conv
                a = c[1](c[0](x))
                if i == 0:
                    a = self.tap(first, a)
                r1 = self.rcb_relu(f"features.{i}.conv.3", a)
                b = self.tap(f"features.{i}.conv.3", c[4](c[3](r1)))
                r2 = self.rcb_relu(f"features.{i}.conv.6", b)
                y = self.tap(f"features.{i}.conv.6", c[7](c[6](r2)))
                x = y + x if m.shortcut else y
        x = self.out[3](self.plain_relu("out", self.out[1](self.out[0](x))))
        return self.classifier(x.view(x.size(0), -1))


def nb_macro(arch, num_classes):
    ops = [int(ch) for ch in arch]
    assert len(ops) == 8
    layers, c, i = [], 32, 0
    for stage in (2, 3, 3):
        for j in range(stage):
            stride, oup = (2, 2 * c) if j == 0 else (1, c)
            op = ops[i]
            if op == 0:
                layers.append(Downsample(c, oup, stride) if stride != 1 or c != oup else None)
            else:
                t, k = (3, 3) if op == 1 else (6, 5)
                layers.append(MBBlock(c, c * t, oup, k, stride))
            c, i = oup, i + 1
    return MacroNet(32, 1, layers, 1280, num_classes)


def channel_mobilenet(arch, num_classes):
    oris = [2 * v for v in (64, 384, 384, 384, 128, 768, 512)]
    c = [round(float(a) * o / 4) for a, o in zip(arch, oris)]
    layers = [MBBlock(c[0], c[1], c[0], 3, 1), MBBlock(c[0], c[2], c[0], 3, 1),
              MBBlock(c[0], c[3], c[4], 3, 2), MBBlock(c[4], c[5], c[4], 3, 1)]
    return MacroNet(c[0], 2, layers, c[6], num_classes)


class ChannelResNet(Recording):
    def __init__(self, arch, num_classes):
        super().__init__()
        oris = [2 * v for v in (128, 128, 128, 256, 256, 256, 256)]
        c = [round(float(a) * o / 4) for a, o in zip(arch, oris)]
        self.stem = nn.Sequential(nn.Conv2d(3, c[0], 3, 2, 1, bias=False),
                                  nn.BatchNorm2d(c[0]), nn.ReLU())
        spec = [(c[0], c[1], c[0], 1), (c[0], c[2], c[0], 1), (c[0], c[3], c[4], 2),
                (c[4], c[5], c[4], 1), (c[4], c[6], c[4], 1)]
        for i, (a, m, o, s) in enumerate(spec):
            blk = nn.Sequential(nn.Conv2d(a, m, 3, s, 1, bias=False), nn.BatchNorm2d(m), nn.ReLU(),
                                nn.Conv2d(m, o, 3, 1, 1, bias=False), nn.BatchNorm2d(o))
            self.add_module(f"block{i + 1}", blk)
            self.add_block(f"block{i + 1}.0", blk[0])
            self.add_block(f"block{i + 1}.3", blk[3])
        self.classifier = nn.Linear(c[4], num_classes)

    def forward(self, x):
        s = self.stem[1](self.stem[0](x))
        for i in range(1, 6):
            blk = getattr(self, f"block{i}")
            x = self.rcb_relu(f"block{i}.0", s)
            a = self.tap(f"block{i}.0", blk[1](blk[0](x)))
            r = self.rcb_relu(f"block{i}.3", a)
            y = self.tap(f"block{i}.3", blk[4](blk[3](r)))
            s = y if i == 3 else x + y
        x = F.adaptive_avg_pool2d(self.plain_relu("head", s), 1)
        return self.classifier(x.view(x.size(0), -1))


# ---------------------------------------------------------------------------
# NDS AnyNet (pycls anynet.py of the NDS release; stems: docs/spaces.md)
# ---------------------------------------------------------------------------
def conv(cin, cout, k, stride=1, groups=1):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False)


class AnyNet(Recording):
    def __init__(self, cfg, num_classes):
        super().__init__()
        bt, ds, ws, ss = cfg["block_type"], cfg["ds"], cfg["ws"], cfg["ss"]
        bms = cfg["bot_muls"] or [1.0] * len(ds)
        gs = cfg["num_gs"] or [1] * len(ds)
        self.bt, self.ds = bt, ds
        self.stem = nn.Module()
        w0 = ws[0]
        if ss[0] == 4:
            self.stem.conv, self.stem.bn = conv(3, w0, 7, 2), nn.BatchNorm2d(w0)
            self.deep_stem = False
            relu_feeds = []  # the max pool comes between
        else:
            self.stem.a, self.stem.a_bn = conv(3, w0 // 2, 3, 2), nn.BatchNorm2d(w0 // 2)
            self.stem.b, self.stem.b_bn = conv(w0 // 2, w0, 3, 2), nn.BatchNorm2d(w0)
            self.stem.c, self.stem.c_bn = conv(w0, w0, 3, 2), nn.BatchNorm2d(w0)
            self.add_block("stem.b", self.stem.b)
            self.add_block("stem.c", self.stem.c)
            self.deep_stem = True
            relu_feeds = True
        w_in = w0
        for i in range(1, len(ds)):
            stage = nn.Module()
            for j in range(1, ds[i] + 1):
                w, st = ws[i], (ss[i] if j == 1 else 1)
                blk = nn.Module()
                p = f"s{i}.b{j}"
                if bt == "double_plain_block":
                    blk.a, blk.a_bn = conv(w_in, w, 3, st), nn.BatchNorm2d(w)
                    blk.b, blk.b_bn = conv(w, w, 3), nn.BatchNorm2d(w)
                    if relu_feeds:
                        self.add_block(f"{p}.a", blk.a)
                    self.add_block(f"{p}.b", blk.b)
                else:
                    blk.proj_block = w_in != w or st != 1
                    if blk.proj_block:
                        blk.proj, blk.bn = conv(w_in, w, 1, st), nn.BatchNorm2d(w)
                        if relu_feeds:
                            self.add_block(f"{p}.proj", blk.proj)
                    f = nn.Module()
                    if bt == "res_basic_block":
                        f.a, f.a_bn = conv(w_in, w, 3, st), nn.BatchNorm2d(w)
                        f.b, f.b_bn = conv(w, w, 3), nn.BatchNorm2d(w)
                        names = ["a", "b"]
                    else:
                        wb = int(round(w * bms[i]))
                        f.a, f.a_bn = conv(w_in, wb, 1), nn.BatchNorm2d(wb)
                        f.b, f.b_bn = conv(wb, wb, 3, st, gs[i]), nn.BatchNorm2d(wb)
                        f.c, f.c_bn = conv(wb, w, 1), nn.BatchNorm2d(w)
                        names = ["a", "b", "c"]
                    blk.f = f
                    blk.names = names
                    if relu_feeds:
                        self.add_block(f"{p}.f.a", f.a)
                    for n in names[1:]:
                        self.add_block(f"{p}.f.{n}", getattr(f, n))
                stage.add_module(f"b{j}", blk)
                relu_feeds = True
                w_in = w
            self.add_module(f"s{i}", stage)
        self.head = nn.Module()
        self.head.fc = nn.Linear(w_in, num_classes)

    def cbt(self, name, mod_conv, mod_bn, x):
        """conv + BN; taps the block `name` when it is one."""
        y = mod_bn(mod_conv(x))
        return self.tap(name, y) if name in self._blocks else y

    def forward(self, x):
        st = self.stem
        if not self.deep_stem:
            x = F.max_pool2d(self.plain_relu("stem", st.bn(st.conv(x))), 3, 2, 1)
        else:
            x = self.rcb_relu(["stem.b"], st.a_bn(st.a(x)))
            x = self.rcb_relu(["stem.c"], self.cbt("stem.b", st.b, st.b_bn, x))
            x = self.cbt("stem.c", st.c, st.c_bn, x)  # its ReLU feeds s1.b1
        pending = None if not self.deep_stem else "stem"
        for i in range(1, len(self.ds)):
            stage = getattr(self, f"s{i}")
            for j in range(1, self.ds[i] + 1):
                blk = getattr(stage, f"b{j}")
                p = f"s{i}.b{j}"
                if self.bt == "double_plain_block":
                    first = [f"{p}.a"]
                else:
                    first = [f"{p}.proj"] if blk.proj_block else []
                    first.append(f"{p}.f.a")
                first = [n for n in first if n in self._blocks]
                if pending is not None:  # x is a pre-ReLU sum / BN output
                    x = self.rcb_relu(first, x)
                pending = True
                if self.bt == "double_plain_block":
                    y = self.cbt(f"{p}.a", blk.a, blk.a_bn, x)
                    y = self.rcb_relu([f"{p}.b"], y)
                    x = self.cbt(f"{p}.b", blk.b, blk.b_bn, y)
                    continue
                sc = self.cbt(f"{p}.proj", blk.proj, blk.bn, x) if blk.proj_block else x
                f = blk.f
                y = self.cbt(f"{p}.f.a", f.a, f.a_bn, x)
                for n in blk.names[1:]:
                    y = self.rcb_relu([f"{p}.f.{n}"], y)
                    y = self.cbt(f"{p}.f.{n}", getattr(f, n), getattr(f, n + "_bn"), y)
                x = sc + y
        x = F.adaptive_avg_pool2d(self.plain_relu("head", x), 1)
        return self.head.fc(x.view(x.size(0), -1))


def nds_anynet(arch, num_classes):
    return AnyNet(json.loads(arch), num_classes)


# ---------------------------------------------------------------------------
# NDS cell spaces (pycls nas.py NetworkImageNet / operations.py, from DARTS)
# ---------------------------------------------------------------------------
def relu_conv_bn_seq(cin, cout, k, stride):
    return nn.Sequential(nn.ReLU(), nn.Conv2d(cin, cout, k, stride, k // 2, bias=False),
                         nn.BatchNorm2d(cout))


class SepLike(nn.Module):
    """SepConv / DilSepConv (two dw-pw pairs) or DilConv (one pair)."""

    def __init__(self, c, k, stride, dilation, pairs):
        super().__init__()
        pad = dilation * (k - 1) // 2
        layers = [nn.ReLU(), nn.Conv2d(c, c, k, stride, pad, dilation, groups=c, bias=False),
                  nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c)]
        if pairs == 2:
            layers += [nn.ReLU(), nn.Conv2d(c, c, k, 1, pad, dilation, groups=c, bias=False),
                       nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c)]
        self.op = nn.Sequential(*layers)


class FactorizedReduce(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv_1 = nn.Conv2d(cin, cout // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(cin, cout // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(cout)


def Asym(c, k, stride):
    """conv_3x1_1x3 / conv_7x1_1x7 as pycls: a Sequential 0..3."""
    return nn.Sequential(
        nn.ReLU(), nn.Conv2d(c, c, (1, k), stride=(1, stride), padding=(0, k // 2), bias=False),
        nn.Conv2d(c, c, (k, 1), stride=(stride, 1), padding=(k // 2, 0), bias=False),
        nn.BatchNorm2d(c))


class Pool(nn.Module):
    def __init__(self, kind, k, stride):
        super().__init__()
        self.kind, self.k, self.stride = kind, k, stride


def make_cell_op(name, c, stride):
    if name == "none":
        return Pool("zero", 1, stride)
    if name == "skip_connect":
        return Pool("id", 1, 1) if stride == 1 else FactorizedReduce(c, c)
    if name == "avg_pool_3x3":
        return Pool("avg", 3, stride)
    if name.startswith("max_pool_"):
        return Pool("max", int(name[-1]), stride)
    if name in ("conv_1x1", "conv_3x3"):
        return relu_conv_bn_seq(c, c, int(name[-1]), stride)
    if name.startswith("sep_conv_"):
        return SepLike(c, int(name[-1]), stride, 1, 2)
    if name.startswith("dil_conv_"):
        return SepLike(c, int(name[-1]), stride, 2, 1)
    if name == "dil_sep_conv_3x3":
        return SepLike(c, 3, stride, 2, 2)
    if name == "conv_3x1_1x3":
        return Asym(c, 3, stride)
    if name == "conv_7x1_1x7":
        return Asym(c, 7, stride)
    raise ValueError(f"unknown operation {name!r}")


class PreprocessRCB(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.op = relu_conv_bn_seq(cin, cout, 1, 1)


class Cell(nn.Module):
    def __init__(self, geno, cpp, cp, c, reduction, reduction_prev):
        super().__init__()
        self.preprocess0 = FactorizedReduce(cpp, c) if reduction_prev else PreprocessRCB(cpp, c)
        self.preprocess1 = PreprocessRCB(cp, c)
        ops, concat = (geno["reduce"], geno["reduce_concat"]) if reduction else (
            geno["normal"], geno["normal_concat"])
        self._ops = nn.ModuleList(
            [make_cell_op(n, c, 2 if reduction and i < 2 else 1) for n, i in ops])
        self.indices = [i for _, i in ops]
        self.concat = concat


class NetworkImageNet(Recording):
    def __init__(self, cfg, num_classes):
        super().__init__()
        C, layers, geno = cfg["width"], cfg["depth"], cfg["genotype"]
        self.stem0 = nn.Sequential(nn.Conv2d(3, C // 2, 3, 2, 1, bias=False),
                                   nn.BatchNorm2d(C // 2), nn.ReLU(),
                                   nn.Conv2d(C // 2, C, 3, 2, 1, bias=False), nn.BatchNorm2d(C))
        self.stem1 = nn.Sequential(nn.ReLU(), nn.Conv2d(C, C, 3, 2, 1, bias=False),
                                   nn.BatchNorm2d(C))
        self.add_block("stem0.3", self.stem0[3])
        self.add_block("stem1.1", self.stem1[1])
        cpp, cp, cc = C, C, C
        self.cells = nn.ModuleList()
        reduction_prev = True
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                cc *= 2
            cell = Cell(geno, cpp, cp, cc, reduction, reduction_prev)
            self.cells.append(cell)
            p = f"cells.{i}"
            if reduction_prev:
                self.add_block(f"{p}.preprocess0.conv_1", cell.preprocess0.conv_1,
                               cell.preprocess0.conv_2)
            else:
                self.add_block(f"{p}.preprocess0.op.1", cell.preprocess0.op[1])
            self.add_block(f"{p}.preprocess1.op.1", cell.preprocess1.op[1])
            for j, op in enumerate(cell._ops):
                q = f"{p}._ops.{j}"
                if isinstance(op, FactorizedReduce):
                    self.add_block(f"{q}.conv_1", op.conv_1, op.conv_2)
                elif isinstance(op, nn.Sequential):  # conv_kxk (3 layers), asym (4)
                    self.add_block(f"{q}.1", op[1], op[2] if len(op) == 4 else None)
                elif isinstance(op, SepLike):
                    self.add_block(f"{q}.op.1", op.op[1], op.op[2])
                    if len(op.op) == 8:
                        self.add_block(f"{q}.op.5", op.op[5], op.op[6])
            reduction_prev = reduction
            cpp, cp = cp, len(cell.concat) * cc
        self.classifier = nn.Module()
        self.classifier.classifier = nn.Linear(cp, num_classes)

    def fr(self, name, m, x):
        r = self.rcb_relu(name, x)
        y = F.pad(r, (0, 1, 0, 1))[:, :, 1:, 1:]
        out = m.bn(torch.cat([m.conv_1(r), m.conv_2(y)], dim=1))
        return self.tap(name, out)

    def seq_rcb(self, name, relu_in, convs, bn):
        x = self.rcb_relu(name, relu_in)
        for c in convs:
            x = c(x)
        x = bn(x)
        return self.tap(name, x)

    def apply_op(self, q, op, x, file_x):
        """Cell operation `op` (blocks named q...) on x. file_x: the file's
        value of x or None (max-pool choices follow it). Returns (output,
        the file's value of the output or None)."""
        if isinstance(op, Pool):
            if op.kind == "zero":
                zero = x[:, :, ::op.stride, ::op.stride].mul(0.0)
                return zero, torch.zeros_like(zero.detach())
            if op.kind == "id":
                return x, file_x
            if op.kind == "avg":
                def avg(t):
                    return F.avg_pool2d(t, 3, op.stride, 1, count_include_pad=False)
                return avg(x), None if file_x is None else avg(file_x)
            return self.max_pool(x, op.k, op.stride, file_x)
        if isinstance(op, FactorizedReduce):
            name = f"{q}.conv_1"
            y = self.fr(name, op, x)
        elif isinstance(op, nn.Sequential):
            name = f"{q}.1"
            convs = [op[1], op[2]] if len(op) == 4 else [op[1]]
            y = self.seq_rcb(name, x, convs, op[len(op) - 1])
        else:
            o, name = op.op, f"{q}.op.1"
            y = self.seq_rcb(name, x, [o[1], o[2]], o[3])
            if len(o) == 8:
                name = f"{q}.op.5"
                y = self.seq_rcb(name, y, [o[5], o[6]], o[7])
        return y, self.file_act(name, y)

    def forward(self, x):
        a = self.stem0[1](self.stem0[0](x))
        s0 = self.seq_rcb("stem0.3", a, [self.stem0[3]], self.stem0[4])
        s1 = self.seq_rcb("stem1.1", s0, [self.stem1[1]], self.stem1[2])
        for i, cell in enumerate(self.cells):
            p = f"cells.{i}"
            if isinstance(cell.preprocess0, FactorizedReduce):
                src0 = f"{p}.preprocess0.conv_1"
                h0 = self.fr(src0, cell.preprocess0, s0)
            else:
                m, src0 = cell.preprocess0.op, f"{p}.preprocess0.op.1"
                h0 = self.seq_rcb(src0, s0, [m[1]], m[2])
            m, src1 = cell.preprocess1.op, f"{p}.preprocess1.op.1"
            h1 = self.seq_rcb(src1, s1, [m[1]], m[2])
            # states and the file's values of them (None: not known)
            states = [h0, h1]
            file_states = [self.file_act(src0, h0), self.file_act(src1, h1)]
            for k in range(len(cell._ops) // 2):
                outs, file_outs = [], []
                for j in (2 * k, 2 * k + 1):
                    i = cell.indices[j]
                    y, y_file = self.apply_op(f"{p}._ops.{j}", cell._ops[j], states[i],
                                              file_states[i])
                    outs.append(y)
                    file_outs.append(y_file)
                states.append(outs[0] + outs[1])
                file_states.append(None if any(f is None for f in file_outs)
                                   else file_outs[0] + file_outs[1])
            s0, s1 = s1, torch.cat([states[c] for c in cell.concat], dim=1)
        x = F.adaptive_avg_pool2d(s1, 1)
        return self.classifier.classifier(x.view(x.size(0), -1))


def nds_cell(arch, num_classes):
    return NetworkImageNet(json.loads(arch), num_classes)


# ---------------------------------------------------------------------------
# Dispatch
# ---------------------------------------------------------------------------
BUILDERS = {
    "nasbench_macro": nb_macro,
    "channel_mobilenet": channel_mobilenet,
    "channel_resnet": ChannelResNet,
    "nds_resnet_lr-wd_in": nds_anynet,
    "nds_vanilla_lr-wd_in": nds_anynet,
    "nds_resnext-a_in": nds_anynet,
    "nds_resnext-b_in": nds_anynet,
}
for _cell_space in ("amoeba", "darts", "darts_fix-w-d", "darts_lr-wd", "enas", "nasnet", "pnas"):
    BUILDERS[f"nds_{_cell_space}_in"] = nds_cell


def build_network(space, arch_str, num_classes):
    if space not in BUILDERS:
        raise ValueError(f"torch_spaces_ref: unknown space {space!r}")
    net = BUILDERS[space](arch_str, num_classes)
    return net, net.block_list


# A tensor whose float64 reference norm is below CANCELLED x that of the
# float32 reference is zero in exact arithmetic (e.g. the gradient of the sum
# of logits through a BN whose output gradient is constant per channel: a 1x1
# last feature map, or a cell input read only through BN-terminated ops):
# float32 results are rounding noise; the file's norm must be at most
# NOISE_FACTOR x the float32 reference's.
CANCELLED = 1e-3
NOISE_FACTOR = 100.0
# ReLU inputs within FLIP_SIGMAS x the rms of (file - reference) of zero take
# the file's sign, max-pool windows the file's choice (Recording.rcb_relu,
# Recording.max_pool).
FLIP_SIGMAS = 10.0


def run_pass(net, x, hints, ambiguity):
    """Forward (training-mode BN) and backward of sum(logits); returns
    {block: {kind: float64 ndarray}} for the 7 per-pass kinds."""
    net.train()
    net.zero_grad(set_to_none=True)
    net.records, net.hints, net.ambiguity = {}, hints, ambiguity
    logits = net(x)
    logits.backward(torch.ones_like(logits))
    out = {}
    for b in net.block_list:
        r = net.records.get(b.block_name)
        if r is None or "act" not in r:
            raise RuntimeError(f"block {b.block_name} did not run")
        zeros = torch.zeros_like
        pg = r["preact"].grad if r["preact"].grad is not None else zeros(r["preact"])
        ag = r["act"].grad if r["act"].grad is not None else zeros(r["act"])
        w = b.op[1].weight
        wg = w.grad if w.grad is not None else zeros(w)
        out[b.block_name] = terminal_arrays(r, pg, ag, wg)
    net.records, net.hints = {}, None
    return out


def terminal_arrays(r, preact_grad, act_grad, wt_grad):
    """The 7 per-pass kinds of one block (record r of rcb_relu/tap and its
    gradients) as float64 ndarrays."""
    return {k: v.detach().numpy().astype(np.float64).copy() for k, v in {
        "inpact": r["inpact"], "preact": r["preact"], "act": r["act"],
        "inpact_grad": preact_grad * r["mask"], "preact_grad": preact_grad,
        "act_grad": act_grad, "wt_grad": wt_grad}.items()}


def forced_pass(net, x, hints, dtype):
    """Teacher-forced pass of any of the networks here: every RCB block starts from
    the file's inpact (its act and internal gradients are computed from it and
    from the file's act_grad), the network reads the file's act of every block
    downstream (so a block's inpact is the wiring applied to the file's
    upstream acts), and a block's act_grad is the wiring's backward of its
    consumers' file inpact_grads and of the sum of logits. Each terminal is
    then one float32 step away from the file's own inputs, whatever the
    depth. Returns what run_pass returns."""
    net.train()
    net.zero_grad(set_to_none=True)
    net.records, net.hints, net.ambiguity = {}, hints, 0.0
    net.forced, net.forced_dtype = True, dtype
    try:
        logits = net(x)
    finally:
        net.forced = False
    names = [b.block_name for b in net.block_list]
    rec = [net.records[n] for n in names]
    weights = [b.op[1].weight for b in net.block_list]
    # Blocks that share a ReLU (AnyNet: projection and first conv) share one
    # preact leaf and one wired input: each ReLU enters once.
    preacts = list({id(r["preact"]): r["preact"] for r in rec}.values())
    slot = {id(t): i for i, t in enumerate(preacts)}
    # block internals: from the file's act_grad back to preact and the weight
    grads = torch.autograd.grad([r["act"] for r in rec], preacts + weights,
                                grad_outputs=[net.forced_tensor(n, "act_grad") for n in names],
                                allow_unused=True)
    pre_conv, wt_g = grads[:len(preacts)], grads[len(preacts):]
    # wiring: consumers' file inpact_grads and the seed back to the file acts,
    # and to preacts that also feed a residual sum
    outs, seeds, seen = [logits], [torch.ones_like(logits)], set()
    for n, r in zip(names, rec):  # one seed per ReLU (two cell ops may read one state)
        if r["inpact"].requires_grad and id(r["preact"]) not in seen:
            seen.add(id(r["preact"]))
            outs.append(r["inpact"])
            seeds.append(net.forced_tensor(n, "inpact_grad"))
    wired = torch.autograd.grad(outs, [r["leaf"] for r in rec] + preacts, grad_outputs=seeds,
                                allow_unused=True)
    act_g, pre_wired = wired[:len(rec)], wired[len(rec):]
    out = {}
    for i, (n, r) in enumerate(zip(names, rec)):
        z = torch.zeros_like
        k = slot[id(r["preact"])]
        parts = [g for g in (pre_conv[k], pre_wired[k]) if g is not None]
        pg = sum(parts) if parts else z(r["preact"])
        out[n] = terminal_arrays(r, pg, act_g[i] if act_g[i] is not None else z(r["act"]),
                                 wt_g[i] if wt_g[i] is not None else z(weights[i]))
    net.records, net.hints = {}, None
    return out


def file_pass_terminals(layers, pss, kinds=base.TENSOR_KINDS):
    """{block: {kind: float64 ndarray}}: the file's tensors of pass pss, as
    stored (perturb: the perturb - data differences)."""
    out = {}
    for key in layers:
        lg = layers[key]
        name = base.attr_str(lg, "name")
        for kind in kinds:
            if f"{kind}_{pss}" in lg:
                out.setdefault(name, {})[kind] = np.asarray(lg[f"{kind}_{pss}"][()], np.float64)
    return out


def file_hints(layers, kinds=("inpact", "act")):
    """{pass: {block: {kind: ndarray}}}: the file's tensors that settle
    rounding-ambiguous decisions, or feed teacher forcing (perturb = data +
    stored difference, where the data tensor is stored too)."""
    hints = {p: file_pass_terminals(layers, p, kinds) for p in base.PASSES}
    for name, diffs in hints["perturb"].items():
        data = hints["data"].get(name, {})
        hints["perturb"][name] = {k: data[k] + d for k, d in diffs.items() if k in data}
    return hints


# At most this many plain-ReLU signs per pass are settled by the file.
MAX_PLAIN_FLIPS = 8


def mismatch(out, target, base_out=None):
    """Sum over the tensors of target of |out - target|^2 / |target|^2 (out
    minus base_out when given: the perturb differences)."""
    total = 0.0
    for name, kinds in target.items():
        for kind, t in kinds.items():
            o = out[name][kind] - (base_out[name][kind] if base_out is not None else 0)
            nt = float(np.sum(t * t))
            if nt > 0 and o.shape == t.shape:
                total += float(np.sum((o - t) ** 2)) / nt
    return total


def sign_overrides(chosen):
    """{(tag, index): sign} -> Recording.plain_signs: {tag: (indices, signs)}."""
    out = {}
    for (tag, i), positive in chosen.items():
        out.setdefault(tag, ([], []))
        out[tag][0].append(i)
        out[tag][1].append(positive)
    return {t: (torch.tensor(ix), torch.tensor(ps)) for t, (ix, ps) in out.items()}


def settle_plain_relus(layers, run_one, ref64, x32, x64):
    """Signs of plain ReLUs (Recording.plain_relu: inputs the file does not
    hold) that rounding decides, chosen to match the file, as the RCB ReLUs'
    signs follow the file's inpact. A candidate is an element whose float64
    input is within FLIP_SIGMAS x rms(float32 - float64 input) of zero (the
    MAX_PLAIN_FLIPS closest per pass); greedily, each is flipped when that
    brings the pass's terminals closer to the file's (the data pass first;
    the perturb pass by its differences to the settled data pass).
    run_one(pss, signs) -> a float64 pass; ref64: those passes without
    overrides; x32/x64: {pss: {tag: input}}. Returns ({pss: signs} and
    {pss: settled float64 pass}, both for the passes that flipped a sign)."""
    signs, settled = {}, {}
    for pss in ("data", "noise", "perturb"):
        cands = []
        for tag, a in x64[pss].items():
            a, d = a.flatten(), (x32[pss][tag].to(a.dtype) - a).flatten()
            window = FLIP_SIGMAS * float(d.pow(2).mean().sqrt())
            for i in torch.nonzero((a.abs() <= window) & (a != 0)).flatten().tolist():
                cands.append((abs(float(a[i])), tag, i, bool(a[i] <= 0)))
        if not cands:
            continue
        cands.sort()
        target = file_pass_terminals(layers, pss)
        base_out = settled.get("data", ref64["data"]) if pss == "perturb" else None
        chosen, best_out = {}, ref64[pss]
        best = mismatch(best_out, target, base_out)
        for _, tag, i, flipped in cands[:MAX_PLAIN_FLIPS]:
            trial = dict(chosen)
            trial[(tag, i)] = flipped
            out = run_one(pss, sign_overrides(trial))
            m = mismatch(out, target, base_out)
            if m < best:
                best, chosen, best_out = m, trial, out
        if chosen:
            signs[pss], settled[pss] = sign_overrides(chosen), best_out
    return signs, settled


# A gradient whose deviation from its per-channel mean is below CONSTANT_GRAD
# x its norm is constant per channel but for float32 rounding.
CONSTANT_GRAD = 1e-5


def behind_constant_grad(ref, name, kind, pss):
    """Teacher forcing: whether terminal kind/pss of block `name` is the BN
    backward of an act_grad that is constant per channel up to rounding (so
    zero in exact arithmetic: end-to-end these are the CANCELLED tensors),
    for every pass it depends on (perturb: data and perturb)."""
    if kind not in ("preact_grad", "inpact_grad", "wt_grad", "act_grad"):
        return False
    passes = ("data", "perturb") if pss == "perturb" else (pss,)
    for p in passes:
        g = ref[p][name]["act_grad"]
        dev = g - g.mean(axis=(0, 2, 3), keepdims=True)
        if not np.linalg.norm(dev) <= CONSTANT_GRAD * np.linalg.norm(g):
            return False
    if kind == "act_grad":  # only the perturb - data difference of equal constants
        return pss == "perturb"
    return True


def check_arch(g, space, num_classes, inputs, rtol, tally, f32_factor=None, forced=False):
    """Compare one /archs/X group; returns the number of failed tensors.
    With f32_factor, a tensor whose error is >= rtol still passes when it is
    at most f32_factor x the error of PyTorch's own float32 pass (same
    parameters, inputs and ReLU signs) against the float64 reference.
    forced: teacher-forced passes (forced_pass) instead of end-to-end ones."""
    arch_str = base.attr_str(g, "arch_str")
    where = f"arch {g.name.split('/')[-1]}"
    net, blocks = build_network(space, arch_str, num_classes)
    problems = base.load_params(net, g["params"], where) if "params" in g else [
        f"{where}: no /params group (run zcevo stats with --store-params)"]
    if problems:
        for p in problems:
            print("FAIL", p)
        return 1
    hints = file_hints(g["layers"], ("inpact", "act", "act_grad", "inpact_grad") if forced
                       else ("inpact", "act"))

    def run_one(pss, signs, dtype=torch.float64):  # one pass, net already in dtype
        x = torch.from_numpy(inputs[pss]).to(dtype)
        net.plain_signs, net.plain_inputs = signs, {}
        out = forced_pass(net, x, hints[pss], dtype) if forced else run_pass(
            net, x, hints[pss], rtol)
        net.plain_signs = {}
        return out

    def reference(dtype):  # every pass; and the plain ReLUs' inputs
        out, plain = {}, {}
        for p in base.PASSES:
            out[p] = run_one(p, {}, dtype)
            plain[p] = net.plain_inputs
        return out, plain
    ref32, x32 = reference(torch.float32)
    net.double()
    ref, x64 = reference(torch.float64)
    signs, settled = settle_plain_relus(g["layers"], run_one, ref, x32, x64)
    if settled:  # the float32 reference of those passes with the same signs
        ref.update(settled)
        net.float()  # exact: the parameters are the file's float32 values
        for p in settled:
            ref32[p] = run_one(p, signs[p], torch.float32)
        net.double()
    flips = sum(len(idx) for per_tag in signs.values() for idx, _ in per_tag.values())
    keys = sorted(g["layers"].keys(), key=int)
    names = [base.attr_str(g["layers"][k], "name") for k in keys]
    want = [b.block_name for b in blocks]
    failed, worst, worst32 = 0, (0.0, ""), 0.0  # worst32: PyTorch float32's own
    if names != want:
        print(f"FAIL {where}: block list differs: file {names[:8]}..., reference {want[:8]}...")
        failed += 1
    metas = {b.block_name: b.op[1] for b in blocks}
    for k, name in zip(keys, names):
        lg = g["layers"][k]
        if name not in metas:
            continue
        meta = metas[name]
        for attr, val in (("c_in", meta.in_channels), ("c_out", meta.out_channels),
                          ("kernel_h", meta.kernel_size[0]), ("stride", meta.stride[0])):
            got = base.attr_int(lg, attr)
            if got is not None and got != val:
                print(f"FAIL {where}: {name} {attr} = {got}, expected {val}")
                failed += 1
        for t in base.TERMINALS:
            if t not in lg:
                continue
            kind, _, pss = t.rpartition("_")
            if t == "wt":
                b_ref = b32 = meta.weight.detach().numpy().astype(np.float64)
            elif pss == "perturb":
                b_ref = ref["perturb"][name][kind] - ref["data"][name][kind]
                b32 = ref32["perturb"][name][kind] - ref32["data"][name][kind]
            else:
                b_ref, b32 = ref[pss][name][kind], ref32[pss][name][kind]
            a = np.asarray(lg[t][()], dtype=np.float64)
            n64, n32 = float(np.linalg.norm(b_ref)), float(np.linalg.norm(b32))
            if a.shape != b_ref.shape:
                err, ok = float("inf"), False
            elif (n32 > 0 and n64 <= CANCELLED * n32) or (
                    forced and behind_constant_grad(ref, name, kind, pss)):
                # Exact cancellation (see module doc; teacher forced: the BN
                # backward of a gradient constant per channel but for
                # rounding): the float32 reference is rounding noise; the
                # file must be noise of that size too.
                tally[2] += 1
                err = float(np.linalg.norm(a)) / max(n32, 1e-300)
                ok = err <= NOISE_FACTOR
                err = 0.0 if ok else err
            else:
                err, zero = base.rel_error(a, b_ref)
                ok = err <= 1e-6 if zero else err < rtol
                err32 = 0.0 if zero else base.rel_error(b32, b_ref)[0]
                worst32 = max(worst32, err32)
                if not ok and not zero and f32_factor is not None:
                    ok = err <= f32_factor * err32
                    tally[3] += ok
            tally[0 if ok else 1] += 1
            if not ok:
                failed += 1
                if failed <= 20:
                    print(f"FAIL {where} {arch_str[:60]}: {name} {t}: rel err {err:.3g}")
            if err > worst[0]:
                worst = (err, f"{name} {t}")
    settled = f"; {flips} plain-ReLU sign(s) settled by the file" if flips else ""
    print(f"{where} {arch_str[:80]}: {len(names)} blocks, max rel err {worst[0]:.3g} "
          f"({worst[1]}; PyTorch float32 {worst32:.3g}{settled}): "
          f"{'OK' if not failed else 'FAILED'}")
    return failed


def check_file(path, rtol, f32_factor=None, forced=False):
    torch.set_num_threads(1)  # ctest runs two checks at once on two cores
    tally = [0, 0, 0, 0]
    structural = 0
    with h5py.File(path, "r") as f:
        space = base.attr_str(f, "space")
        dataset = base.attr_str(f, "dataset", "")
        num_classes = base.attr_int(f, "num_classes", base.DATASET_CLASSES.get(dataset))
        inputs = {p: np.asarray(f["inputs"][p][()], dtype=np.float32) for p in base.PASSES}
        print(f"{path}: space {space}, dataset {dataset}, classes {num_classes}, "
              f"inputs {inputs['data'].shape}, {len(f['archs'])} archs, rtol {rtol:g}, "
              f"float64 reference")
        for key in sorted(f["archs"].keys()):
            before = tally[1]
            failed = check_arch(f["archs"][key], space, num_classes, inputs, rtol, tally,
                                f32_factor, forced)
            structural += failed - (tally[1] - before)
    if tally[2]:
        print(f"{tally[2]} tensors are exactly zero in exact arithmetic (cancelled; "
              f"checked as float32 rounding noise)")
    if f32_factor is not None:
        print(f"{tally[3]} tensors passed with an error >= {rtol:g} but at most {f32_factor:g} x "
              f"that of PyTorch float32 (ill-conditioned in float32)")
    print(f"{tally[0]} passed, {tally[1]} failed")
    return 1 if tally[1] or structural or tally[0] == 0 else 0


def corrupt_copy(path, terminal):
    """A copy of `path` (path + ".corrupt.h5") where, in every architecture,
    the largest-magnitude element of `terminal` of the last block is moved by
    1e-3 x the tensor's norm (a relative error of 1e-3, ten times rtol):
    a check of the copy must fail there, whatever it settles by the file."""
    import shutil
    out = path + ".corrupt.h5"
    shutil.copyfile(path, out)
    with h5py.File(out, "r+") as f:
        for key in f["archs"]:
            layers = f["archs"][key]["layers"]
            d = layers[max(layers.keys(), key=int)][terminal]
            a = d[()]
            i = np.unravel_index(np.argmax(np.abs(a)), a.shape)
            a[i] += 1e-3 * np.linalg.norm(a.astype(np.float64))
            d[...] = a
    return out


def main():
    args = sys.argv[1:]
    forced = "--teacher-forced" in args
    if forced:
        args.remove("--teacher-forced")
    opts = {"--rtol": 1e-4, "--float32-factor": None, "--corrupt": None}
    for flag in opts:
        if flag in args:
            i = args.index(flag)
            opts[flag] = args[i + 1] if flag == "--corrupt" else float(args[i + 1])
            del args[i:i + 2]
    if len(args) != 1:
        print(__doc__)
        return 2
    path = args[0]
    if opts["--corrupt"]:
        path = corrupt_copy(path, opts["--corrupt"])
    try:
        return check_file(path, opts["--rtol"], opts["--float32-factor"], forced)
    finally:
        if opts["--corrupt"]:
            os.remove(path)


if __name__ == "__main__":
    sys.exit(main())
