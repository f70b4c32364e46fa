#!/usr/bin/env python3
"""gen_kernel_fixtures.py: PyTorch reference outputs for the CPU kernels
(conv2d forward/backward with stride, padding, dilation, groups; avg/max
pooling with argmax; training-mode batch norm forward/backward), written to
one binary file read by tests/test_kernels.c (test `kernels_torch`).

Format (little-endian): b"ZCKF", int32 case count; per case: int32 kind
(0 conv, 1 pool, 2 batch norm), int32 params[16], int32 array count, then
each array as int32 element count + float32 data (argmax as float32).

Usage: gen_kernel_fixtures.py OUT_FILE
"""
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

CONV, POOL, BN = 0, 1, 2


def write_case(out, kind, params, arrays):
    params = list(params) + [0] * (16 - len(params))
    out.write(struct.pack("<i16i", kind, *params))
    out.write(struct.pack("<i", len(arrays)))
    for a in arrays:
        a = np.ascontiguousarray(np.asarray(a, dtype=np.float32)).ravel()
        out.write(struct.pack("<i", a.size))
        out.write(a.astype("<f4").tobytes())


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_kernel_fixtures.py OUT_FILE")
    torch.manual_seed(7)
    rng = np.random.default_rng(7)
    cases = []
    # conv: n c h w k r s stride_h stride_w pad_h pad_w dil_h dil_w groups
    conv_shapes = [
        (2, 4, 9, 11, 6, 3, 3, 2, 2, 1, 1, 2, 2, 2),
        (3, 6, 8, 8, 6, 5, 5, 1, 1, 2, 2, 1, 1, 6),
        (2, 6, 10, 7, 12, 1, 7, 3, 1, 0, 3, 1, 1, 3),
        (1, 3, 16, 16, 8, 7, 1, 1, 1, 3, 0, 2, 1, 1),
        (2, 16, 16, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1),
        (2, 16, 8, 8, 32, 1, 1, 1, 1, 0, 0, 1, 1, 1),
        (2, 8, 12, 12, 8, 4, 4, 2, 2, 1, 1, 1, 1, 4),
    ]
    for (n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw, g) in conv_shapes:
        x = torch.tensor(rng.standard_normal((n, c, h, w)), dtype=torch.float32,
                         requires_grad=True)
        wt = torch.tensor(rng.standard_normal((k, c // g, r, s)), dtype=torch.float32,
                          requires_grad=True)
        y = F.conv2d(x, wt, stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw), groups=g)
        dy = torch.tensor(rng.standard_normal(tuple(y.shape)), dtype=torch.float32)
        y.backward(dy)
        cases.append((CONV, (n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw, g),
                      [x.detach(), wt.detach(), dy, y.detach(), x.grad, wt.grad]))
    # pool: n c h w kh kw stride_h stride_w pad_h pad_w count_include_pad
    pool_shapes = [
        (2, 3, 9, 10, 3, 3, 1, 1, 1, 1, 0),
        (2, 3, 32, 32, 2, 2, 2, 2, 0, 0, 1),
        (2, 3, 9, 10, 3, 3, 2, 2, 1, 1, 1),
        (1, 4, 11, 8, 4, 2, 3, 1, 2, 1, 0),
        (2, 2, 7, 7, 5, 5, 2, 2, 2, 2, 1),
    ]
    for (n, c, h, w, kh, kw, sh, sw, ph, pw, cip) in pool_shapes:
        # small integers: ties in max windows, all-negative windows next to padding
        x = torch.tensor(rng.integers(-3, 0, (n, c, h, w)), dtype=torch.float32,
                         requires_grad=True)
        ya = F.avg_pool2d(x, (kh, kw), (sh, sw), (ph, pw), count_include_pad=bool(cip))
        dy = torch.tensor(rng.standard_normal(tuple(ya.shape)), dtype=torch.float32)
        ya.backward(dy)
        avg_dx = x.grad.clone()
        x.grad = None
        ym, idx = F.max_pool2d(x, (kh, kw), (sh, sw), (ph, pw), return_indices=True)
        ym.backward(dy)
        cases.append((POOL, (n, c, h, w, kh, kw, sh, sw, ph, pw, cip),
                      [x.detach(), dy, ya.detach(), avg_dx, ym.detach(), idx.float(),
                       x.grad]))
    # batch norm: n c hw (offset data: mean far from zero)
    for (n, c, hw, offset) in [(4, 5, 42, 3.0), (8, 16, 64, 0.0), (1, 3, 9, 0.0)]:
        x = torch.tensor(rng.standard_normal((n, c, hw)) * 2 + offset, dtype=torch.float32,
                         requires_grad=True)
        gamma = torch.tensor(rng.standard_normal(c), dtype=torch.float32, requires_grad=True)
        beta = torch.tensor(rng.standard_normal(c), dtype=torch.float32, requires_grad=True)
        y = F.batch_norm(x, None, None, gamma, beta, training=True, eps=1e-5)
        dy = torch.tensor(rng.standard_normal((n, c, hw)), dtype=torch.float32)
        y.backward(dy)
        cases.append((BN, (n, c, hw),
                      [x.detach(), gamma.detach(), beta.detach(), dy, y.detach(), x.grad,
                       gamma.grad, beta.grad]))
    with open(sys.argv[1], "wb") as out:
        out.write(b"ZCKF")
        out.write(struct.pack("<i", len(cases)))
        for kind, params, arrays in cases:
            write_case(out, kind, params, [a.numpy() if torch.is_tensor(a) else a
                                           for a in arrays])


if __name__ == "__main__":
    main()
