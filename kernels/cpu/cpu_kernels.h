/* cpu_kernels.h: the plain-C reference kernels of zcevo's CPU backend.
 *
 * Layout: every activation is NCHW float32, contiguous. Convolution weights
 * are (K, C/groups, R, S). All kernels are deterministic and single-threaded
 * (zcevo parallelises over architectures, not inside a kernel); GEMMs go to
 * CBLAS (OpenBLAS, which the caller keeps at one thread).
 *
 * Convention: "forward" kernels overwrite their output; "backward" kernels
 * OVERWRITE their dx / dw outputs (callers accumulate when a tensor has
 * several consumers). No kernel allocates memory except where stated.
 */
#ifndef ZC_CPU_KERNELS_H
#define ZC_CPU_KERNELS_H

#include <stddef.h>

/* ---- convolution --------------------------------------------------------- */

typedef struct {
    int n, c, h, w;                 /* input                                */
    int k, r, s;                    /* output channels, kernel height/width */
    int stride_h, stride_w;
    int pad_h, pad_w;
    int dil_h, dil_w;
    int groups;                     /* c and k are multiples of groups      */
    int p, q;                       /* output height/width (derived)        */
} zc_conv_desc;

/* zc_conv_desc_make: fill a descriptor and derive p, q:
 *   p = (h + 2 pad_h - dil_h (r - 1) - 1) / stride_h + 1 (likewise q).
 * Returns 0, or -1 when the shape is invalid (non-positive output, channels
 * not divisible by groups, non-positive stride/dilation). */
int zc_conv_desc_make(zc_conv_desc *d, int n, int c, int h, int w, int k, int r,
                      int s, int stride_h, int stride_w, int pad_h, int pad_w,
                      int dil_h, int dil_w, int groups);

/* zc_conv_workspace_floats: scratch floats the three conv kernels need
 * (im2col buffer of one image and group). */
size_t zc_conv_workspace_floats(const zc_conv_desc *d);

/* y (n,k,p,q) = conv(x (n,c,h,w), w (k,c/g,r,s)); no bias. */
void zc_conv2d_forward(const zc_conv_desc *d, const float *x, const float *w,
                       float *y, float *workspace);
/* dx (n,c,h,w) = d(sum y*dy)/dx. Overwrites dx. */
void zc_conv2d_backward_data(const zc_conv_desc *d, const float *dy,
                             const float *w, float *dx, float *workspace);
/* dw (k,c/g,r,s) = d(sum y*dy)/dw summed over the batch. Overwrites dw. */
void zc_conv2d_backward_filter(const zc_conv_desc *d, const float *x,
                               const float *dy, float *dw, float *workspace);

/* ---- batch normalisation, training mode (batch statistics) --------------- */

/* y = gamma * (x - mean_c) * invstd_c + beta, with mean and biased variance
 * over (n, h*w) per channel, invstd = 1/sqrt(var + eps). Writes save_mean[c]
 * and save_invstd[c] for the backward. Statistics accumulate in double. */
void zc_bn_train_forward(int n, int c, int hw, const float *x, const float *gamma,
                         const float *beta, float eps, float *y, float *save_mean,
                         float *save_invstd);
/* Exact gradient of the above (batch statistics included). Overwrites dx;
 * dgamma/dbeta (may be NULL) are overwritten with per-channel sums. */
void zc_bn_train_backward(int n, int c, int hw, const float *x, const float *dy,
                          const float *gamma, const float *save_mean,
                          const float *save_invstd, float *dx, float *dgamma,
                          float *dbeta);

/* ---- activations and elementwise ---------------------------------------- */

void zc_relu_forward(long count, const float *x, float *y);
/* dx = dy * (x > 0). Overwrites dx. */
void zc_relu_backward(long count, const float *x, const float *dy, float *dx);
/* y = a + b */
void zc_add(long count, const float *a, const float *b, float *y);
/* y += a */
void zc_accumulate(long count, const float *a, float *y);

/* ---- pooling ------------------------------------------------------------- */

typedef struct {
    int n, c, h, w;
    int kh, kw, stride_h, stride_w, pad_h, pad_w;
    int count_include_pad; /* average pooling only */
    int p, q;              /* derived output size (floor mode)            */
} zc_pool_desc;

/* zc_pool_desc_make: as PyTorch AvgPool2d/MaxPool2d with ceil_mode=False.
 * Returns 0, or -1 when the output would be empty or pad > kernel/2. */
int zc_pool_desc_make(zc_pool_desc *d, int n, int c, int h, int w, int kh, int kw,
                      int stride_h, int stride_w, int pad_h, int pad_w,
                      int count_include_pad);

void zc_avgpool_forward(const zc_pool_desc *d, const float *x, float *y);
/* Overwrites dx. */
void zc_avgpool_backward(const zc_pool_desc *d, const float *dy, float *dx);
/* argmax (n,c,p,q) receives the flat h*w index of each maximum (first one
 * on ties, as PyTorch's CPU kernel); padding is -inf. */
void zc_maxpool_forward(const zc_pool_desc *d, const float *x, float *y,
                        int *argmax);
/* Overwrites dx. */
void zc_maxpool_backward(const zc_pool_desc *d, const float *dy, const int *argmax,
                         float *dx);

/* Global average pooling: y (n,c) = mean over h*w. */
void zc_gap_forward(int n, int c, int hw, const float *x, float *y);
/* Overwrites dx (n,c,hw). */
void zc_gap_backward(int n, int c, int hw, const float *dy, float *dx);

/* ---- linear -------------------------------------------------------------- */

/* y (n,out) = x (n,in) W^T (W is (out,in)) + b (b may be NULL). */
void zc_linear_forward(int n, int in, int out, const float *x, const float *w,
                       const float *b, float *y);
/* dx (n,in) = dy W (overwrites; dx may be NULL); dw (out,in) = dy^T x
 * (overwrites; may be NULL); db (out) = sum_n dy (overwrites; may be NULL). */
void zc_linear_backward(int n, int in, int out, const float *x, const float *w,
                        const float *dy, float *dx, float *dw, float *db);

/* ---- padding / cropping / concatenation (NDS factorized reduce, macro) --- */

/* Zero-pad (or crop with negative values) the spatial dims:
 * y (n,c,h+top+bottom,w+left+right). */
void zc_pad2d_forward(int n, int c, int h, int w, int top, int bottom, int left,
                      int right, const float *x, float *y);
/* Overwrites dx (n,c,h,w) with the matching slice of dy. */
void zc_pad2d_backward(int n, int c, int h, int w, int top, int bottom, int left,
                       int right, const float *dy, float *dx);

/* Channel concatenation of inputs xs[i] (n, cs[i], hw) into y (n, sum cs, hw). */
void zc_concat_forward(int n, int hw, int count, const int *cs,
                       const float *const *xs, float *y);
/* Split dy into dxs[i] (overwrites). */
void zc_concat_backward(int n, int hw, int count, const int *cs, const float *dy,
                        float *const *dxs);

#endif
