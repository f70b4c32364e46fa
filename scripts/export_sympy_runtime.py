# ---- zcevo SymPy primitives (scripts/export_sympy_runtime.py, embedded by `zcevo export`) ----
# zcevo's primitives (docs/primitives.md) as SymPy over scalar terminals: the
# pointwise ones as expressions (Piecewise where zcevo branches: log x <= 0
# -> 0, SR-NAS's protected pdiv / plog), the ones that need a tensor's
# dimensions or the whole tensor (matmul, hamming, kl_div, cosine,
# normalize, softmax, frobenius, det, logdet, eig_ratio, mean, mean_abs,
# numel, add_noise) as undefined SymPy functions of the same names. On a
# scalar (a network-level value) they reduce as SCALAR_RULES says, which
# is what zcevo computes for 0-d values (common/program/scalar_eval.h).
import sympy as sp

_EPS = sp.Rational(1, 1000)  # SR-NAS's protection threshold


def add(a, b):
    return a + b


def sub(a, b):
    return a - b


def mul(a, b):
    return a * b


def neg(a):
    return -a


def pdiv(a, b):
    return sp.Piecewise((a / b, sp.Abs(b) > _EPS), (sp.Integer(1), True))


def plog(x):
    return sp.Piecewise((sp.log(sp.Abs(x)), sp.Abs(x) > _EPS), (sp.Integer(0), True))


def psqrt(x):
    return sp.sqrt(sp.Abs(x))


def log(x):
    return sp.Piecewise((sp.Integer(0), x <= 0), (sp.log(x), True))


def abslog(x):
    return sp.Piecewise((sp.Integer(0), sp.Eq(x, 0)), (sp.Abs(sp.log(sp.Abs(x))), True))


def abs(x):  # noqa: A001 (zcevo's primitive name)
    return sp.Abs(x)


def square(x):
    return x ** 2


def exp(x):
    return sp.exp(x)


def relu(x):
    return sp.Piecewise((sp.Integer(0), x < 0), (x, True))


def sign(x):
    return sp.sign(x)


def heaviside(x):
    return sp.Piecewise((sp.Integer(1), x > 0), (sp.Integer(0), True))


pos_mask = heaviside


def neg_mask(x):
    return sp.Piecewise((sp.Integer(1), x < 0), (sp.Integer(0), True))


def reciprocal(x):
    return 1 / x


def sigmoid(x):
    return 1 / (1 + sp.exp(-x))


def ones_like(x):
    return sp.Integer(1)


def zeros_like(x):
    return sp.Integer(0)


def lt(a, b):
    return sp.Piecewise((sp.Integer(1), a < b), (sp.Integer(0), True))


def gt(a, b):
    return sp.Piecewise((sp.Integer(1), a > b), (sp.Integer(0), True))


def eq(a, b):
    return sp.Piecewise((sp.Integer(1), sp.Eq(a, b)), (sp.Integer(0), True))


# tensor-level primitives: undefined functions
matmul = sp.Function("matmul")
hamming = sp.Function("hamming")
kl_div = sp.Function("kl_div")
cosine = sp.Function("cosine")
normalize = sp.Function("normalize")
softmax = sp.Function("softmax")
frobenius = sp.Function("frobenius")
det = sp.Function("det")
logdet = sp.Function("logdet")
eig_ratio = sp.Function("eig_ratio")
mean = sp.Function("mean")
mean_abs = sp.Function("mean_abs")
numel = sp.Function("numel")
add_noise = sp.Function("add_noise")

# their values on scalars (0-d tensors), for EXPR.replace / lambdify; det,
# logdet, eig_ratio and cosine need dimensions, add_noise a random stream
SCALAR_RULES = {
    "matmul": lambda a, b: a * b,
    "hamming": lambda a, b: sp.Piecewise((sp.Integer(1), sp.Xor(a > 0, b > 0)), (sp.Integer(0), True)),
    "kl_div": lambda a, b: sp.Piecewise((sp.Integer(0), sp.Eq(b, 0)), (b * sp.log(b), True)) - b * a,
    "normalize": lambda a: sp.Integer(0),
    "softmax": lambda a: sp.Integer(1),
    "frobenius": lambda a: sp.Abs(a),
    "mean": lambda a: a,
    "mean_abs": lambda a: sp.Abs(a),
    "numel": lambda a: sp.Integer(1),
}


def on_scalars(expr):
    """expr with the tensor-level functions replaced by their scalar values."""
    for name, rule in SCALAR_RULES.items():
        expr = expr.replace(sp.Function(name), rule)
    return expr
# ---- end of the zcevo SymPy primitives ----
