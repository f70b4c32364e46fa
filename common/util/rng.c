/* rng.c: xoshiro256** with splitmix64 seeding (see rng.h). */
#include "common/util/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void zc_rng_seed(zc_rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

zc_rng zc_rng_stream(uint64_t seed, uint64_t stream, uint64_t substream) {
    uint64_t x = seed;
    uint64_t a = splitmix64(&x);
    x = a ^ (stream * 0xd1b54a32d192ed03ULL);
    uint64_t b = splitmix64(&x);
    x = b ^ (substream * 0x8cb92ba72f3d8dd7ULL);
    zc_rng r;
    zc_rng_seed(&r, splitmix64(&x));
    return r;
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t zc_rng_u64(zc_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double zc_rng_uniform(zc_rng *r) { return (double)(zc_rng_u64(r) >> 11) * 0x1.0p-53; }

uint64_t zc_rng_below(zc_rng *r, uint64_t n) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = zc_rng_u64(r);
    while (x >= limit);
    return x % n;
}

double zc_rng_normal(zc_rng *r) {
    double u1 = 1.0 - zc_rng_uniform(r); /* (0, 1] */
    double u2 = zc_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

void zc_rng_fill_normal(zc_rng *r, float *out, long n, double mean, double std) {
    for (long i = 0; i < n; i++) out[i] = (float)(mean + std * zc_rng_normal(r));
}

void zc_rng_shuffle_int(zc_rng *r, int *a, int n) {
    for (int i = n - 1; i > 0; i--) {
        int j = (int)zc_rng_below(r, (uint64_t)i + 1);
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
