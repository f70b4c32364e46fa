/* gp_cache.c: the GP engine's fitness cache (zc_gp_cache): open addressing
 * with linear probing, keyed by a 64-bit program hash, doubling at half
 * load. The engine also uses it as a hash set / hash -> index map. */
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"
#include "master/gp/gp_internal.h"

static uint64_t slot_hash(uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return key;
}

int zc_gp_cache_find(const zc_gp_cache *c, uint64_t key, double *value) {
    if (c->capacity == 0) return 0;
    uint64_t mask = (uint64_t)c->capacity - 1;
    for (uint64_t s = slot_hash(key) & mask;; s = (s + 1) & mask) {
        if (!c->used[s]) return 0;
        if (c->keys[s] == key) {
            if (value) *value = c->values[s];
            return 1;
        }
    }
}

/* Twice the capacity (64 at first), entries re-inserted in slot order. */
static void grow(zc_gp_cache *c) {
    zc_gp_cache bigger = {0};
    bigger.capacity = c->capacity ? 2 * c->capacity : 64;
    bigger.keys = zc_calloc((size_t)bigger.capacity, sizeof(uint64_t));
    bigger.values = zc_calloc((size_t)bigger.capacity, sizeof(double));
    bigger.used = zc_calloc((size_t)bigger.capacity, 1);
    for (int s = 0; s < c->capacity; s++)
        if (c->used[s]) zc_gp_cache_put(&bigger, c->keys[s], c->values[s]);
    free(c->keys);
    free(c->values);
    free(c->used);
    *c = bigger;
}

void zc_gp_cache_put(zc_gp_cache *c, uint64_t key, double value) {
    if (2 * (c->count + 1) > c->capacity) grow(c);
    uint64_t mask = (uint64_t)c->capacity - 1;
    for (uint64_t s = slot_hash(key) & mask;; s = (s + 1) & mask) {
        if (!c->used[s]) {
            c->used[s] = 1;
            c->keys[s] = key;
            c->values[s] = value;
            c->count++;
            return;
        }
        if (c->keys[s] == key) {
            c->values[s] = value;
            return;
        }
    }
}

void zc_gp_cache_free(zc_gp_cache *c) {
    free(c->keys);
    free(c->values);
    free(c->used);
    memset(c, 0, sizeof(*c));
}
