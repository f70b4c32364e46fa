/* rng.h: the one random number generator of zcevo (xoshiro256**, seeded by
 * splitmix64). Every random choice in zcevo draws from a zc_rng derived from
 * the user's --seed and a stream number that names what it is for (an
 * architecture index, a generation), so results do not depend on how many
 * ranks or threads run, nor on the order in which they run. */
#ifndef ZC_RNG_H
#define ZC_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} zc_rng;

/* zc_rng_seed: state from a 64-bit seed (splitmix64 expansion). */
void zc_rng_seed(zc_rng *r, uint64_t seed);

/* zc_rng_stream: an independent generator for (seed, stream, substream),
 * e.g. (seed, ZC_STREAM_INIT, arch_index). Same inputs, same sequence. */
zc_rng zc_rng_stream(uint64_t seed, uint64_t stream, uint64_t substream);

/* Named streams (stable numbers: changing one changes results). */
enum {
    ZC_STREAM_PARAM_INIT = 1, /* network parameters, substream = arch index */
    ZC_STREAM_DATA_BATCH = 2, /* minibatch choice and augmentation          */
    ZC_STREAM_NOISE = 3,      /* noise and perturbation inputs              */
    ZC_STREAM_ARCH_SAMPLE = 4,/* random architecture sample                 */
    ZC_STREAM_GP = 5,         /* genetic programming                        */
    ZC_STREAM_SUBSET = 6,     /* fitness subsets                            */
    ZC_STREAM_PROGRAM_NOISE = 7, /* add_noise primitive                     */
    ZC_STREAM_SEARCH = 8      /* zcevo search: a trial's choices, batches   */
};

uint64_t zc_rng_u64(zc_rng *r);
/* zc_rng_uniform: double in [0, 1) with 53 random bits. */
double zc_rng_uniform(zc_rng *r);
/* zc_rng_below: uniform integer in [0, n), n > 0, unbiased. */
uint64_t zc_rng_below(zc_rng *r, uint64_t n);
/* zc_rng_normal: standard normal (Box-Muller, no cached second value so the
 * state alone determines the sequence). */
double zc_rng_normal(zc_rng *r);
/* zc_rng_fill_normal: out[i] = mean + std * N(0,1), float. */
void zc_rng_fill_normal(zc_rng *r, float *out, long n, double mean, double std);
/* zc_rng_shuffle_int: Fisher-Yates shuffle of a[0..n). */
void zc_rng_shuffle_int(zc_rng *r, int *a, int n);

#endif
