# ---- zcevo runtime (scripts/export_torch_runtime.py, embedded by `zcevo export`) ----
# Self-contained: needs only PyTorch. It finds the ReLU -> Conv2d -> BatchNorm2d
# (RCB) blocks of any torch.nn.Module with hooks, runs zcevo's three passes
# (data, noise, perturb: forward in training mode, backward of the sum of the
# logits), takes the 22 EZNAS terminals of every block and evaluates the
# program on them with zcevo's semantics (docs/primitives.md): terminals in
# float32, pointwise primitives in float32, reductions and linear algebra in
# float64 rounded to float32; per block the mean of the program's output, the
# score being the mean over blocks; any shape that does not fit, result over
# 2^25 elements or non-finite block value makes the score NaN (invalid).
#
# RCB blocks (zcevo's docs/statistics.md and docs/spaces.md): a Conv2d whose
# input is the output of an nn.ReLU module and whose output goes into an
# nn.BatchNorm2d, directly or through a second Conv2d (a separable pair). Per
# block and pass: inpact = the ReLU's input, preact = its output (gradient:
# the total one of that tensor), act = the BN's output, inpact_grad = preact
# gradient where inpact > 0, wt_grad = the first conv's weight gradient; wt =
# that weight; *_perturb = perturb pass minus data pass. Not found: ReLUs
# called as functions (F.relu, torch.relu) and convs fed by a torch.cat of
# two convs (FactorizedReduce halves): use nn.ReLU modules.
import math

import torch
import torch.nn as nn

TENSOR_KINDS = ("inpact", "preact", "act", "inpact_grad", "preact_grad", "act_grad", "wt_grad")
PASSES = ("data", "noise", "perturb")
TERMINALS = tuple(f"{k}_{p}" for k in TENSOR_KINDS for p in PASSES) + ("wt",)
MAX_NUMEL = 1 << 25
MAX_FLOPS = 1 << 33
PROTECT_EPS = 0.001  # pdiv / plog (SR-NAS's protected operations)


class Invalid(Exception):
    """The program is invalid on a block (zcevo: invalid on the network)."""


# ---- finding RCB blocks with hooks ------------------------------------------------

class _Block:
    def __init__(self, name, conv, relu_out, relu_in):
        self.name, self.conv, self.preact, self.inpact = name, conv, relu_out, relu_in
        self.act = None


class _Recorder:
    """Hooks on every nn.ReLU, nn.Conv2d and nn.BatchNorm2d of a model: one
    forward pass records its RCB blocks in execution order."""

    def __init__(self, model):
        self.names = {m: n for n, m in model.named_modules()}
        self.handles = []
        self.reset()
        for m in model.modules():
            if isinstance(m, nn.ReLU):
                self.handles.append(m.register_forward_pre_hook(self._relu_pre))
                self.handles.append(m.register_forward_hook(self._relu))
            elif isinstance(m, nn.Conv2d):
                self.handles.append(m.register_forward_hook(self._conv))
            elif isinstance(m, nn.BatchNorm2d):
                self.handles.append(m.register_forward_hook(self._bn))

    def reset(self):
        self.relu_out = {}   # id(tensor) -> (tensor, the ReLU's input)
        self.conv_out = {}   # id(tensor) -> (tensor, first conv, relu entry, convs so far)
        self.blocks = []
        self.grads = {}      # id(tensor) -> gradient
        self._relu_input = None

    def remove(self):
        for h in self.handles:
            h.remove()

    def _relu_pre(self, module, inputs):
        x = inputs[0]
        # an in-place ReLU overwrites its input: keep a copy
        self._relu_input = x.detach().clone() if module.inplace else x.detach()

    def _relu(self, module, inputs, out):
        if not out.requires_grad:  # no parameter upstream: a leaf, to get its gradient
            out = out.detach().requires_grad_(True)
        self.relu_out[id(out)] = (out, self._relu_input)
        return out

    def _conv(self, module, inputs, out):
        x = inputs[0]
        entry = self.relu_out.get(id(x))
        if entry is not None and entry[0] is x:
            self.conv_out[id(out)] = (out, module, entry, 1)
            return
        prev = self.conv_out.get(id(x))
        if prev is not None and prev[0] is x and prev[3] == 1:  # second conv of a pair
            self.conv_out[id(out)] = (out, prev[1], prev[2], 2)

    def _bn(self, module, inputs, out):
        x = inputs[0]
        entry = self.conv_out.get(id(x))
        if entry is None or entry[0] is not x:
            return None
        _, conv, (relu_out, relu_in), _ = entry
        if not out.requires_grad:
            out = out.detach().requires_grad_(True)
        block = _Block(self.names.get(conv, "?"), conv, relu_out, relu_in)
        block.act = out
        self.blocks.append(block)
        for t in (relu_out, out):
            if id(t) not in self.grads:
                self.grads[id(t)] = None
                t.register_hook(self._grad_saver(id(t)))
        return out

    def _grad_saver(self, key):
        def save(g):
            self.grads[key] = g.detach().clone()
        return save


def _logits_of(out):
    """The logits a model returns: the tensor, or the last element of a tuple
    or list (xautodl-style models return (features, logits))."""
    if isinstance(out, (tuple, list)):
        out = out[-1]
    if not torch.is_tensor(out):
        raise TypeError("the model must return a tensor of logits (or a tuple ending in one)")
    return out


def _one_pass(model, recorder, x, needed):
    """Forward and backward of sum(logits); the needed tensor kinds of every
    block, as float tensors in the model's dtype (detached)."""
    recorder.reset()
    model.zero_grad(set_to_none=True)
    logits = _logits_of(model(x))
    logits.backward(torch.ones_like(logits))
    result = []
    for b in recorder.blocks:
        t = {}
        pg = recorder.grads.get(id(b.preact))
        pg = torch.zeros_like(b.preact) if pg is None else pg
        ag = recorder.grads.get(id(b.act))
        for kind in needed:
            if kind == "inpact":
                t[kind] = b.inpact
            elif kind == "preact":
                t[kind] = b.preact.detach()
            elif kind == "act":
                t[kind] = b.act.detach()
            elif kind == "preact_grad":
                t[kind] = pg
            elif kind == "inpact_grad":
                t[kind] = pg * (b.inpact > 0).to(pg.dtype)
            elif kind == "act_grad":
                t[kind] = torch.zeros_like(b.act) if ag is None else ag
            elif kind == "wt_grad":
                g = b.conv.weight.grad
                t[kind] = torch.zeros_like(b.conv.weight) if g is None else g.detach().clone()
        result.append((b.name, b.conv, t))
    return result


def block_terminals(model, data, noise=None, perturb=None, seed=0, terminals=TERMINALS):
    """zcevo's terminals of every RCB block of `model` (in execution order) on
    the minibatch `data` (N, C, H, W): a list of (block name, {terminal:
    float32 tensor}) with the terminals asked for. noise defaults to a
    standard Gaussian of data's shape and perturb to data + 0.1 x another one,
    both from torch.Generator().manual_seed(seed). The model runs in training
    mode (batch statistics) in its own dtype; its mode, BatchNorm buffers and
    gradients are restored / cleared afterwards."""
    gen = torch.Generator().manual_seed(seed)
    if noise is None:
        noise = torch.randn(data.shape, generator=gen, dtype=data.dtype)
    if perturb is None:
        perturb = data + 0.1 * torch.randn(data.shape, generator=gen, dtype=data.dtype)
    terminals = tuple(terminals)
    kinds = {p: sorted({t.rsplit("_", 1)[0] for t in terminals if t.endswith("_" + p)})
             for p in PASSES}
    if kinds["perturb"]:  # perturb terminals are perturb minus data
        kinds["data"] = sorted(set(kinds["data"]) | set(kinds["perturb"]))
    was_training = model.training
    buffers = {k: v.detach().clone() for k, v in model.state_dict().items()
               if "running_" in k or "num_batches_tracked" in k}
    run = [p for p in PASSES if kinds[p]] or ["data"]  # "wt" alone: one pass finds the blocks
    recorder = _Recorder(model)
    try:
        model.train()
        passes = {p: _one_pass(model, recorder, x, kinds[p])
                  for p, x in zip(PASSES, (data, noise, perturb)) if p in run}
    finally:
        recorder.remove()
        model.zero_grad(set_to_none=True)
        model.load_state_dict(buffers, strict=False)
        model.train(was_training)
    first = passes[run[0]]
    if not first:
        raise ValueError("no ReLU -> Conv2d -> BatchNorm2d block found in the model "
                         "(ReLUs must be nn.ReLU modules)")
    blocks = []
    for i, (name, conv, _) in enumerate(first):
        t = {}
        for term in terminals:
            if term == "wt":
                v = conv.weight.detach()
            else:
                kind, p = term.rsplit("_", 1)
                v = passes[p][i][2][kind]
                if p == "perturb":
                    v = v - passes["data"][i][2][kind]
            t[term] = v.to(torch.float32)
        blocks.append((name, t))
    return blocks


def score_blocks(program, blocks):
    """The network score of `program` (a function of a terminal dict) on the
    blocks of block_terminals: the mean over blocks of the mean of its output
    (float64), or NaN when it is invalid on any block."""
    total = 0.0
    for _, t in blocks:
        try:
            out = program(t)
        except Invalid:
            return float("nan")
        v = out.double().mean().item() if out.numel() else float("nan")
        if not math.isfinite(v):
            return float("nan")
        total += v
    return total / len(blocks)


# ---- the primitives (zcevo's docs/primitives.md) ----------------------------------

def _check(t):
    if t.numel() > MAX_NUMEL:
        raise Invalid()
    return t


def _f32(t):  # float64 result rounded to float32 (overflow -> +-inf)
    return t.to(torch.float32)


def _broadcast(a, b):
    try:
        return torch.broadcast_shapes(a.shape, b.shape)
    except RuntimeError:
        raise Invalid() from None


def _binary(f):
    def op(a, b):
        if math.prod(_broadcast(a, b)) > MAX_NUMEL:
            raise Invalid()
        return f(a, b)
    return op


add = _binary(lambda a, b: a + b)
sub = _binary(lambda a, b: a - b)
mul = _binary(lambda a, b: a * b)
lt = _binary(lambda a, b: (a < b).float())
gt = _binary(lambda a, b: (a > b).float())
eq = _binary(lambda a, b: (a == b).float())
pdiv = _binary(lambda a, b: torch.where(b.abs() > PROTECT_EPS, a / b, torch.ones((), dtype=a.dtype)))


def matmul(a, b):
    if a.dim() == 0 or b.dim() == 0:
        return mul(a, b)
    ak, bk = a.shape[-1], (b.shape[0] if b.dim() == 1 else b.shape[-2])
    if ak != bk:
        raise Invalid()
    try:
        batch = torch.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except RuntimeError:
        raise Invalid() from None
    m = 1 if a.dim() == 1 else a.shape[-2]
    n = 1 if b.dim() == 1 else b.shape[-1]
    if math.prod(batch) * m * n * ak > MAX_FLOPS:
        raise Invalid()
    return _check(_f32(torch.matmul(a.double(), b.double())))


def hamming(a, b):
    if a.numel() != b.numel():
        raise Invalid()
    return ((a.flatten() > 0) != (b.flatten() > 0)).sum().float()


def kl_div(a, b):
    if math.prod(_broadcast(a, b)) > MAX_NUMEL:
        raise Invalid()
    x, t = a.double(), b.double()
    xlogy = torch.where(t == 0, torch.zeros((), dtype=t.dtype), t * torch.log(t))
    s = (xlogy - t * x).sum()
    if a.dim() > 0:
        s = s / a.shape[0]
    return _f32(s)


def cosine(a, b):
    if a.dim() < 1 or a.shape != b.shape:
        raise Invalid()
    x, y = a.double().reshape(a.shape[0], -1), b.double().reshape(b.shape[0], -1)
    nx = x.norm(dim=1).clamp_min(1e-8)
    ny = y.norm(dim=1).clamp_min(1e-8)
    return _f32(((x * y).sum(1) / (nx * ny)).sum())


def log(x):
    return torch.where(x <= 0, torch.zeros((), dtype=x.dtype), torch.log(x))


def abslog(x):
    return torch.where(x == 0, torch.zeros((), dtype=x.dtype), torch.log(x.abs()).abs())


def abs(x):  # noqa: A001 (zcevo's primitive name)
    return x.abs()


def square(x):
    return x * x


def exp(x):
    return torch.exp(x)


def normalize(x):
    d = x.double()
    n = d.numel()
    mean = d.mean()
    std = d.var(unbiased=True).sqrt() if n > 1 else torch.tensor(float("nan"), dtype=d.dtype)
    y = (x - _f32(mean)) / _f32(std)
    return torch.where(torch.isnan(y), torch.zeros((), dtype=y.dtype), y)


def relu(x):
    return torch.where(x < 0, torch.zeros((), dtype=x.dtype), x)


def sign(x):
    return (x > 0).float() - (x < 0).float()


def heaviside(x):
    return (x > 0).float()


def reciprocal(x):
    return 1.0 / x


def softmax(x):
    if x.dim() == 0:
        return torch.exp(x - x)
    dim = 0 if x.dim() in (1, 3) else 1
    return torch.softmax(x, dim=dim)


def sigmoid(x):
    return torch.sigmoid(x)


def ones_like(x):
    return torch.ones_like(x)


def zeros_like(x):
    return torch.zeros_like(x)


def pos_mask(x):
    return (x > 0).float()


def neg_mask(x):
    return (x < 0).float()


def frobenius(x):
    return _f32(x.double().pow(2).sum().sqrt())


def _lu_logabs(m):
    """Batched LU with partial pivoting in float64, as zcevo's: (sign, log|det|)
    per matrix; sign 0 and log -inf when a pivot is exactly zero."""
    m = m.clone()
    n = m.shape[-1]
    sign = torch.ones(m.shape[0], dtype=m.dtype)
    la = torch.zeros(m.shape[0], dtype=m.dtype)
    singular = torch.zeros(m.shape[0], dtype=torch.bool)
    rows = torch.arange(m.shape[0])
    for k in range(n):
        p = k + m[:, k:, k].abs().argmax(dim=1)
        swap = p != k
        rk, rp = m[rows, k].clone(), m[rows, p].clone()
        m[rows, k], m[rows, p] = rp, rk
        sign = torch.where(swap, -sign, sign)
        piv = m[:, k, k]
        zero = piv == 0
        singular |= zero
        piv = torch.where(zero, torch.ones((), dtype=m.dtype), piv)
        sign = torch.where(piv < 0, -sign, sign)
        la = la + torch.log(piv.abs())
        f = m[:, k + 1:, k] / piv[:, None]
        m[:, k + 1:, k + 1:] -= f[:, :, None] * m[:, None, k, k + 1:]
    sign = torch.where(singular, torch.zeros((), dtype=m.dtype), sign)
    la = torch.where(singular, torch.full((), -math.inf, dtype=m.dtype), la)
    return sign, la


def _det_logdet(x, want_log):
    if x.dim() < 2 or x.shape[-1] != x.shape[-2]:
        raise Invalid()
    n = x.shape[-1]
    lead = x.shape[:-2]
    m = x.double().reshape(-1, n, n)
    finite = torch.isfinite(m).flatten(1).all(dim=1)
    sign, la = _lu_logabs(torch.where(finite[:, None, None], m, torch.zeros((), dtype=m.dtype)))
    if want_log:
        r = torch.where(sign > 0, la, torch.zeros((), dtype=la.dtype))
        r = torch.where(sign == 0, torch.full((), -math.inf, dtype=la.dtype), r)
        r = torch.where(finite & ~torch.isnan(la), r, torch.zeros((), dtype=la.dtype))
    else:
        r = torch.where(sign == 0, torch.zeros((), dtype=la.dtype), sign * torch.exp(la))
        r = torch.where(finite, r, torch.full((), math.nan, dtype=la.dtype))
    return _f32(r).reshape(lead)


def det(x):
    return _det_logdet(x, False)


def logdet(x):
    return _det_logdet(x, True)


def eig_ratio(x):
    if x.dim() < 1:
        raise Invalid()
    a = x.double().reshape(x.shape[0], -1)
    if not torch.isfinite(a).all() or (a == 0).all():
        return torch.tensor(math.nan, dtype=torch.float32)
    if a.shape[0] > a.shape[1]:
        return torch.tensor(math.inf, dtype=torch.float32)
    if a.shape[0] == 1:
        return torch.tensor(1.0, dtype=torch.float32)
    e = torch.linalg.eigvalsh(a @ a.T)
    lo, hi = e.min(), e.max()
    if lo <= 0:
        return torch.tensor(math.inf, dtype=torch.float32)
    return _f32(hi / lo)


def mean(x):
    return _f32(x.double().mean())


def mean_abs(x):
    return _f32(x.double().abs().mean())


def numel(x):
    return torch.tensor(float(x.numel()), dtype=torch.float32)


def add_noise(x):  # random: torch's generator, not zcevo's stream (values differ)
    return x + math.sqrt(0.1) * torch.randn(x.shape, dtype=x.dtype)


def neg(x):
    return -x


def plog(x):
    return torch.where(x.abs() > PROTECT_EPS, torch.log(x.abs()), torch.zeros((), dtype=x.dtype))


def psqrt(x):
    return torch.sqrt(x.abs())
# ---- end of the zcevo runtime ----
