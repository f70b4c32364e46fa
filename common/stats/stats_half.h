/* stats_half.h: the memory-lean form of statistics records: every terminal
 * tensor stored as IEEE half-precision floats with a per-tensor power-of-two
 * scale (x = half * 2^e, e chosen so the tensor's largest magnitude lands in
 * [2^14, 2^15)), half the bytes of float32. Rounding is to nearest even:
 * relative error at most 2^-12 (2.4e-4) for every element within 2^-28 of
 * the tensor's largest magnitude; smaller ones keep an absolute error of at
 * most 2^-39 of that magnitude. Zero stays zero and every other value keeps
 * its sign (one too small for the smallest subnormal becomes that
 * subnormal), so sign, masks and comparisons with zero are exact.
 * Statistics are finite (the readers refuse NaN/inf), so no special values
 * occur.
 *
 * A record in this form keeps its identity and layer metadata in a
 * zc_arch_stats whose terminal data pointers are NULL, and the half data
 * beside it; zc_half_expand writes float32 copies into a scratch record
 * that evaluation reads like any other. docs/discovery.md measures the
 * effect on Kendall tau. */
#ifndef ZC_STATS_HALF_H
#define ZC_STATS_HALF_H

#include <stddef.h>
#include <stdint.h>

#include "common/stats/stats.h"

/* The half data of one record: per layer and terminal a buffer of numel
 * halfs (NULL when the terminal is not held) and its scale exponent. */
typedef struct {
    int n_layers;
    uint16_t *(*bits)[ZC_NUM_TERMINALS];   /* [n_layers][terminal]          */
    int16_t (*exponent)[ZC_NUM_TERMINALS];
} zc_half_arch;

/* zc_half_from_arch: move a's terminal data into *h in half form (a's data
 * pointers are freed and set to NULL; identity, metadata and shapes stay).
 * Never fails (dies on out-of-memory). */
void zc_half_from_arch(zc_arch_stats *a, zc_half_arch *h);

/* Scratch of zc_half_expand: one record whose layers and float data it owns
 * and reuses from call to call (zero it to initialise). */
typedef struct {
    zc_arch_stats rec;   /* identity fields borrowed from the expanded record */
    int layer_cap;
    float *pool;         /* every expanded tensor, back to back               */
    int64_t pool_cap;    /* floats                                            */
} zc_half_scratch;

/* zc_half_expand: float32 values of the terminals in need (those held) of
 * record (a, h) in scratch's record, returned: a's identity (borrowed),
 * layer metadata and shapes, data in scratch's pool; terminals outside need
 * are NULL. Valid until the next call on scratch. */
const zc_arch_stats *zc_half_expand(const zc_arch_stats *a, const zc_half_arch *h,
                                    zc_terminal_mask need, zc_half_scratch *scratch);

/* zc_half_scratch_free: release scratch's buffers; it becomes empty. */
void zc_half_scratch_free(zc_half_scratch *scratch);

/* zc_half_round_trip: replace every held terminal value of a by the value
 * its half form expands to (what an evaluation of the lean form sees). */
void zc_half_round_trip(zc_arch_stats *a);

/* zc_half_free: release h's buffers; *h becomes empty. */
void zc_half_free(zc_half_arch *h);

/* zc_half_bytes: bytes of half data held by h. */
int64_t zc_half_bytes(const zc_arch_stats *a, const zc_half_arch *h);

/* zc_float_to_half_scaled / zc_half_to_float_scaled: one value (exposed for
 * tests): x * 2^-e rounded to half bits, and back. */
uint16_t zc_float_to_half_scaled(float x, int e);
float zc_half_to_float_scaled(uint16_t h, int e);

#endif
