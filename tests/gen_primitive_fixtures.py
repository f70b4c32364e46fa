#!/usr/bin/python3
"""gen_primitive_fixtures.py: write PyTorch-computed fixtures for every proxy
primitive (docs/primitives.md) to a binary file read by test_primitives.

Usage: gen_primitive_fixtures.py OUT_FILE

Format (little-endian):
  header: magic b"ZCPF", u32 version (1), u32 case count
  case:   u16 n + op name bytes, u16 n + label bytes,
          f64 atol, f64 rtol,
          u8 n_inputs, then per input: u8 ndim, i64 shape[ndim], f32 data[numel]
          u8 valid (0: the op must reject these shapes), then if valid:
          u8 ndim, i64 shape[ndim], f32 data[numel]
Comparison: |got - want| <= atol + rtol |want| elementwise; NaN must match
NaN, +-inf must match the same infinity.

Each op is implemented with torch 1.13 exactly as the reference uses it,
plus the documented fixes (no in-place ops, cosine for any batch size).
Pointwise ops are computed in float32 (our C code computes them in float32
too, so the float semantics - overflow, underflow, sigmoid(-inf) - must
match); reductions and linear algebra are computed in float64 and rounded to
float32, because the C code accumulates them in double: that is the exact
answer that float32 torch approximates.
"""
import math
import struct
import sys

import torch
import torch.nn.functional as F

torch.manual_seed(20240601)
ATOL, RTOL = 1e-5, 1e-4


class Invalid(Exception):
    pass


def softmax_dim(nd):
    # torch's legacy implicit dim (F._get_softmax_dim): 0 for 0-, 1-, 3-d
    return 0 if nd in (0, 1, 3) else 1


def nan_to_zero(x):
    return torch.where(torch.isnan(x), torch.zeros_like(x), x)


def op_matmul(a, b):
    if a.dim() == 0 or b.dim() == 0:  # 0-d promoted: plain multiplication
        return a * b
    return torch.matmul(a.double(), b.double()).float()


def op_hamming(a, b):
    if a.numel() != b.numel():
        raise Invalid()
    z = torch.tensor(0.0)
    ha = torch.heaviside(a.flatten(), z)
    hb = torch.heaviside(b.flatten(), z)
    return (ha != hb).sum().float()


def op_kl_div(a, b):
    torch.broadcast_shapes(a.shape, b.shape)  # raises when they do not fit
    return F.kl_div(a.double(), b.double(), reduction="batchmean").float()


def op_cosine(a, b):
    if a.dim() < 1 or a.shape != b.shape:
        raise Invalid()
    n = a.shape[0]
    c = F.cosine_similarity(a.double().reshape(n, -1), b.double().reshape(n, -1),
                            dim=1, eps=1e-8)
    return c.sum().float()


def op_normalize(a):
    y = (a - a.mean()) / a.std()  # unbiased std; numel 1 -> NaN -> 0
    return nan_to_zero(y)


def op_det(a):
    if a.dim() < 2:
        raise Invalid()
    return torch.linalg.det(a.double()).float()


def op_logdet(a):
    if a.dim() < 2:
        raise Invalid()
    # negative det -> NaN -> 0 (reference), zero det -> -inf kept
    r = nan_to_zero(torch.logdet(a.double()))
    # Exactly singular inputs (rank < n, checked in float64): torch's LU leaves
    # a rounding-noise pivot (~1e-16) and reports a finite logdet (~ -36); the
    # exact answer, which our LU gives for duplicated or zero rows (it
    # subtracts identical rows exactly), is -inf.
    n = a.shape[-1]
    rank = torch.linalg.matrix_rank(a.double())
    return torch.where(rank < n, torch.full_like(r, float("-inf")), r).float()


def op_eig_ratio(a):
    if a.dim() < 1:
        raise Invalid()
    m = a.double().reshape(a.shape[0], -1)
    if not torch.isfinite(m).all() or (m == 0).all():
        return torch.tensor(float("nan"))
    if m.shape[0] > m.shape[1]:
        return torch.tensor(float("inf"))  # A A^T singular
    e = torch.linalg.eigvalsh(m @ m.T)
    lo, hi = e.min().item(), e.max().item()
    if lo <= 0:
        return torch.tensor(float("inf"))
    return torch.tensor(hi / lo).float()


ZERO = torch.tensor(0.0)
OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "matmul": op_matmul,
    "lt": lambda a, b: (a < b).float(),
    "gt": lambda a, b: (a > b).float(),
    "eq": lambda a, b: (a == b).float(),
    "hamming": op_hamming,
    "kl_div": op_kl_div,
    "cosine": op_cosine,
    "log": lambda a: torch.where(a <= 0, torch.zeros_like(a), torch.log(a)),
    "abslog": lambda a: torch.where(a == 0, torch.zeros_like(a), torch.log(a.abs()).abs()),
    "abs": torch.abs,
    "square": torch.square,
    "exp": torch.exp,
    "normalize": op_normalize,
    "relu": torch.relu,
    "sign": torch.sign,
    "heaviside": lambda a: torch.heaviside(a, ZERO),
    "reciprocal": torch.reciprocal,
    "softmax": lambda a: F.softmax(a, dim=softmax_dim(a.dim())),
    "sigmoid": torch.sigmoid,
    "ones_like": torch.ones_like,
    "zeros_like": torch.zeros_like,
    "pos_mask": lambda a: (a > 0).float(),
    "neg_mask": lambda a: (a < 0).float(),
    "frobenius": lambda a: torch.linalg.norm(a.double().flatten()).float(),
    "det": op_det,
    "logdet": op_logdet,
    "eig_ratio": op_eig_ratio,
    "mean": lambda a: a.double().mean().float(),
    "mean_abs": lambda a: a.double().abs().mean().float(),
    "numel": lambda a: torch.tensor(float(a.numel())),
    # SR-NAS's protected arithmetic (gplearn's definitions; docs/sr_nas.md)
    "neg": torch.neg,
    "pdiv": lambda a, b: torch.where(b.abs() > 0.001, a / b, torch.ones_like(a / b)),
    "plog": lambda a: torch.where(a.abs() > 0.001, torch.log(a.abs()), torch.zeros_like(a)),
    "psqrt": lambda a: torch.sqrt(a.abs()),
}
BINARY = {"add", "sub", "mul", "matmul", "lt", "gt", "eq", "hamming", "kl_div", "cosine", "pdiv"}

cases = []


def add_case(op, label, inputs, atol=ATOL, rtol=RTOL):
    inputs = [x.float().contiguous() for x in inputs]
    before = [x.clone() for x in inputs]
    try:
        out = OPS[op](*inputs)
        valid = True
    except (Invalid, RuntimeError, IndexError):
        out, valid = None, False
    for x, y in zip(inputs, before):  # the oracle must not modify inputs either
        assert torch.equal(torch.nan_to_num(x), torch.nan_to_num(y))
    cases.append((op, label, atol, rtol, inputs, valid, None if out is None else out.float()))


def rnd(*shape, scale=1.0):
    return torch.randn(tuple(shape)) * scale


SHAPES = [(), (7,), (3, 5), (2, 3, 4), (2, 3, 4, 5), (1, 16, 8, 8)]
SPECIAL = torch.tensor([0.0, -0.0, 1.0, -1.0, 1e-30, -1e-30, 0.5, -2.5, 88.0, 89.0, -100.0,
                        100.0, 1e30, -1e30, float("inf"), float("-inf"), float("nan")])

# ---- unary shape-preserving and reductions -------------------------------
UNARY = ["log", "abslog", "abs", "square", "exp", "normalize", "relu", "sign", "heaviside",
         "reciprocal", "softmax", "sigmoid", "ones_like", "zeros_like", "pos_mask",
         "neg_mask", "frobenius", "mean", "mean_abs", "numel", "neg", "plog", "psqrt"]
for op in UNARY:
    for sh in SHAPES:
        add_case(op, f"random{list(sh)}", [rnd(*sh, scale=2.0)])
    add_case(op, "zeros", [torch.zeros(3, 4)])
    add_case(op, "negatives", [-torch.rand(2, 3, 4) - 0.1])
    add_case(op, "with zeros", [torch.tensor([[0.0, 1.5, -2.0], [0.0, 0.0, 3.0]])])
    if op not in ("normalize", "softmax", "frobenius", "mean", "mean_abs"):
        add_case(op, "special values", [SPECIAL])
add_case("normalize", "constant", [torch.full((4, 5), 3.25)])
add_case("normalize", "one element", [torch.tensor([2.0])])
add_case("softmax", "large", [rnd(2, 6, 3, scale=50.0)])
add_case("softmax", "with -inf", [torch.tensor([[0.0, float("-inf"), 1.0], [2.0, 3.0, 4.0]])])
add_case("exp", "overflow", [torch.tensor([80.0, 88.7, 89.0, 200.0, -200.0])])
add_case("sigmoid", "saturation", [torch.tensor([-1e4, -100.0, -88.0, 0.0, 20.0, 1e4])])
add_case("frobenius", "large", [torch.tensor([1e20, -1e20, 3e19])])
add_case("mean", "large", [rnd(1, 64, 32, 32)])
add_case("mean_abs", "large", [rnd(1, 64, 32, 32)])
add_case("plog", "protection threshold", [torch.tensor([0.001, -0.001, 0.0011, -0.0011, 1e-3 * 1.001,
                                                        5e-4, 3.0, -3.0])])

# ---- binary elementwise ----------------------------------------------------
PAIRS = [((3, 4), (3, 4)), ((2, 3, 4, 5), (3, 1, 5)), ((4, 1), (3,)), ((), (2, 3)),
         ((2, 3), ()), ((), ()), ((1, 16, 8, 8), (16, 1, 1)), ((2, 1, 4, 1), (3, 1, 6)),
         ((2, 3), (4, 3)), ((5,), (4,)), ((2, 3, 4, 5), (2, 1, 4, 4))]
for op in ["add", "sub", "mul", "lt", "gt", "eq", "pdiv"]:
    for sa, sb in PAIRS:
        add_case(op, f"{list(sa)} {list(sb)}", [rnd(*sa), rnd(*sb)])
    a = torch.tensor([1.0, 0.0, -1.0, 2.0, float("inf"), float("nan")])
    add_case(op, "equal and special", [a, torch.tensor([1.0, -0.0, 1.0, 3.0, float("inf"), 1.0])])
    add_case(op, "zeros", [torch.zeros(2, 3), torch.zeros(3)])
add_case("pdiv", "protection threshold",
         [rnd(8), torch.tensor([0.001, -0.001, 0.0011, -0.0011, 5e-4, 0.0, float("nan"), 2.0])])

# ---- matmul ------------------------------------------------------------------
MM = [((3, 4), (4, 5)), ((4,), (4,)), ((4,), (2, 4, 5)), ((2, 3, 4), (4,)),
      ((2, 1, 3, 4), (5, 4, 6)), ((2, 3, 4, 5), (2, 3, 5, 2)), ((1, 3, 4), (2, 4, 2)),
      ((3, 4), (3, 4)), ((2, 3, 4), (3, 4, 5)), ((), (3, 4)), ((3, 4), ()), ((5,), (4,)),
      ((1, 16, 8, 8), (1, 16, 8, 8)), ((16, 3, 3, 3), (3, 3)), ((7,), (7, 2)),
      ((1, 200), (200, 3))]
for sa, sb in MM:
    # float32 GEMM in C versus float64 here: error grows like sqrt(k) eps |a||b|,
    # so an absolute tolerance of 1e-4 on O(sqrt(k)) outputs
    add_case("matmul", f"{list(sa)} {list(sb)}", [rnd(*sa), rnd(*sb)], atol=1e-4)

# ---- hamming -----------------------------------------------------------------
add_case("hamming", "same shape", [rnd(3, 4, 5), rnd(3, 4, 5)])
add_case("hamming", "same numel", [rnd(2, 6), rnd(3, 4)])
add_case("hamming", "zeros vs negatives", [torch.zeros(10), -torch.rand(10)])
add_case("hamming", "zeros vs positives", [torch.zeros(10), torch.rand(10) + 0.1])
add_case("hamming", "0-d", [torch.tensor(1.0), torch.tensor(-1.0)])
add_case("hamming", "numel mismatch", [rnd(3, 4), rnd(13)])

# ---- kl_div ------------------------------------------------------------------
p = torch.softmax(rnd(4, 10), 1)
add_case("kl_div", "log-probs vs probs", [torch.log_softmax(rnd(4, 10), 1), p])
add_case("kl_div", "random", [rnd(2, 3, 4), torch.rand(2, 3, 4)])
pz = p.clone()
pz[:, :3] = 0
add_case("kl_div", "target zeros", [rnd(4, 10), pz])
add_case("kl_div", "negative target", [rnd(4, 10), rnd(4, 10)])
add_case("kl_div", "broadcast", [rnd(3, 1, 4), torch.rand(5, 4)])
add_case("kl_div", "0-d input", [torch.tensor(0.5), torch.rand(3)])
add_case("kl_div", "1-d", [rnd(6), torch.rand(6)])
add_case("kl_div", "mismatch", [rnd(3, 4), torch.rand(5)])

# ---- cosine ------------------------------------------------------------------
add_case("cosine", "batch 1", [rnd(1, 3, 4, 4), rnd(1, 3, 4, 4)])
add_case("cosine", "batch 4", [rnd(4, 3, 4, 4), rnd(4, 3, 4, 4)])
z = rnd(4, 10)
z[1] = 0
add_case("cosine", "zero row", [z, rnd(4, 10)])
add_case("cosine", "identical", [z, z.clone()])
add_case("cosine", "1-d", [rnd(8), rnd(8)])
add_case("cosine", "2-d", [rnd(3, 7), rnd(3, 7)])
add_case("cosine", "shape mismatch", [rnd(2, 3), rnd(3, 2)])
add_case("cosine", "0-d", [torch.tensor(1.0), torch.tensor(2.0)])

# ---- det / logdet ----------------------------------------------------------
def singular(n):
    m = rnd(n, n)
    m[-1] = m[0]
    return m


for op in ["det", "logdet"]:
    add_case(op, "3x3", [rnd(3, 3)])
    add_case(op, "batched 2x4x4", [rnd(2, 4, 4)])
    add_case(op, "batched 2x3x5x5", [rnd(2, 3, 5, 5)])
    add_case(op, "1x1", [rnd(1, 1, 1, 1)])
    add_case(op, "identity", [torch.eye(6)])
    add_case(op, "negative det", [torch.tensor([[0.0, 1.0], [1.0, 0.0]])])
    add_case(op, "duplicate rows", [singular(5)])
    add_case(op, "zero row", [torch.cat([rnd(3, 4), torch.zeros(1, 4)])])
    add_case(op, "zeros", [torch.zeros(2, 3, 3)])
    # sign matrices as in EZNAS-A: exact integer determinants; +-1 entries
    # make LU well scaled, tolerance stays default
    add_case(op, "sign 8x8", [torch.sign(rnd(3, 8, 8))])
    add_case(op, "scaled", [rnd(2, 6, 6, scale=10.0)])
    add_case(op, "non-square", [rnd(3, 4)])
    add_case(op, "1-d", [rnd(4)])
    add_case(op, "0-d", [torch.tensor(2.0)])
    add_case(op, "activation-like 1x4x8x8", [rnd(1, 4, 8, 8)])

# ---- eig_ratio ---------------------------------------------------------------
# eigenvalues of A A^T: float64 LAPACK versus our float64 tridiagonal QL;
# well-conditioned inputs (rows well below cols) keep the ratio accurate.
add_case("eig_ratio", "4x10", [rnd(4, 10)])
add_case("eig_ratio", "3x2x5", [rnd(3, 2, 5)])
add_case("eig_ratio", "2x3x4x5", [rnd(2, 3, 4, 5)])
add_case("eig_ratio", "8x3x3x3 weights", [rnd(8, 3, 3, 3)])
add_case("eig_ratio", "16x64", [rnd(16, 64)])
add_case("eig_ratio", "40x300", [rnd(40, 300)])
add_case("eig_ratio", "1x5", [rnd(1, 5)])
add_case("eig_ratio", "rows > cols", [rnd(6, 2)])
add_case("eig_ratio", "1-d", [rnd(5)])
add_case("eig_ratio", "zeros", [torch.zeros(3, 4)])
add_case("eig_ratio", "0-d", [torch.tensor(3.0)])
add_case("eig_ratio", "diagonal", [torch.diag(torch.tensor([1.0, 2.0, 4.0]))])


def put_tensor(f, t):
    f.write(struct.pack("<B", t.dim()))
    for d in t.shape:
        f.write(struct.pack("<q", d))
    f.write(t.detach().float().contiguous().numpy().astype("<f4").tobytes())


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_primitive_fixtures.py OUT_FILE")
    missing = set(OPS) - {c[0] for c in cases}
    assert not missing, missing
    with open(sys.argv[1], "wb") as f:
        f.write(b"ZCPF")
        f.write(struct.pack("<II", 1, len(cases)))
        for op, label, atol, rtol, inputs, valid, out in cases:
            for s in (op, label):
                b = s.encode()
                f.write(struct.pack("<H", len(b)))
                f.write(b)
            f.write(struct.pack("<dd", atol, rtol))
            f.write(struct.pack("<B", len(inputs)))
            for t in inputs:
                put_tensor(f, t)
            f.write(struct.pack("<B", 1 if valid else 0))
            if valid:
                put_tensor(f, out)
    print(f"wrote {len(cases)} cases to {sys.argv[1]}")


if __name__ == "__main__":
    main()
