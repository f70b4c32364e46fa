/* gp_save.c: the GP engine's state as bytes ("ZCGPST01", native byte
 * order), for checkpoints: zc_gp_state_bytes, zc_gp_state_save and
 * zc_gp_state_load. Layout, in order: magic[8]; u32 config length and the
 * config's key=value text; the rng state; i32 generation; i64 evaluations,
 * validations, hof_sequence; i32 pop_n, then per member u16 len, code[len],
 * f64 fitness, u8 evaluated; i32 hof_n, then per entry u16 len, code[len],
 * f64 fitness, i64 seq; i32 cache count, then (u64 key, f64 value) pairs in
 * increasing key order. */
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"
#include "master/gp/gp_internal.h"

static const char state_magic[8] = {'Z', 'C', 'G', 'P', 'S', 'T', '0', '1'};

/* The config block holds at most this many bytes (its text is shorter). */
#define CONFIG_TEXT_CAP 8192

/* ---- writing ------------------------------------------------------------------ */

/* Writer: counts only when buf is NULL. */
typedef struct {
    unsigned char *buf;
    size_t size, pos;
} writer;

static void put(writer *wr, const void *data, size_t n) {
    if (wr->buf && wr->pos + n <= wr->size) memcpy(wr->buf + wr->pos, data, n);
    wr->pos += n;
}

static void put_program(writer *wr, const zc_program *p) {
    put(wr, &p->len, sizeof(p->len));
    put(wr, p->code, p->len);
}

typedef struct {
    uint64_t key;
    double value;
} cache_entry;

static int compare_cache_entry(const void *a, const void *b) {
    uint64_t ka = ((const cache_entry *)a)->key, kb = ((const cache_entry *)b)->key;
    return (ka > kb) - (ka < kb);
}

/* The cache entries sorted by key: the bytes do not depend on the table's
 * slot layout, so save(load(save(x))) == save(x). */
static void put_cache(writer *wr, const zc_gp_cache *cache) {
    int32_t cache_n = cache->count;
    put(wr, &cache_n, sizeof(cache_n));
    cache_entry *entries = zc_malloc(sizeof(cache_entry) * (size_t)(cache_n + 1));
    int n = 0;
    for (int slot = 0; slot < cache->capacity; slot++)
        if (cache->used[slot]) {
            entries[n].key = cache->keys[slot];
            entries[n++].value = cache->values[slot];
        }
    qsort(entries, (size_t)n, sizeof(cache_entry), compare_cache_entry);
    for (int i = 0; i < n; i++) {
        put(wr, &entries[i].key, sizeof(uint64_t));
        put(wr, &entries[i].value, sizeof(double));
    }
    free(entries);
}

static void state_write(const zc_gp_state *s, writer *wr) {
    char cfg_text[CONFIG_TEXT_CAP];
    size_t cfg_len = zc_gp_config_format(&s->config, cfg_text, sizeof(cfg_text));
    uint32_t cfg_len32 = (uint32_t)ZC_MIN(cfg_len, sizeof(cfg_text) - 1);
    put(wr, state_magic, sizeof(state_magic));
    put(wr, &cfg_len32, sizeof(cfg_len32));
    put(wr, cfg_text, cfg_len32);
    put(wr, s->rng.s, sizeof(s->rng.s));
    int32_t generation = s->generation, pop_n = s->pop_n, hof_n = s->hof_n;
    int64_t counters[3] = {s->evaluations, s->validations, s->hof_sequence};
    put(wr, &generation, sizeof(generation));
    put(wr, counters, sizeof(counters));
    put(wr, &pop_n, sizeof(pop_n));
    for (int i = 0; i < s->pop_n; i++) {
        put_program(wr, &s->pop[i].prog);
        put(wr, &s->pop[i].fitness, sizeof(double));
        put(wr, &s->pop[i].evaluated, 1);
    }
    put(wr, &hof_n, sizeof(hof_n));
    for (int i = 0; i < s->hof_n; i++) {
        int64_t seq = s->hof[i].seq;
        put_program(wr, &s->hof[i].prog);
        put(wr, &s->hof[i].fitness, sizeof(double));
        put(wr, &seq, sizeof(seq));
    }
    put_cache(wr, &s->cache);
}

size_t zc_gp_state_bytes(const zc_gp_state *s) {
    writer wr = {NULL, 0, 0};
    state_write(s, &wr);
    return wr.pos;
}

size_t zc_gp_state_save(const zc_gp_state *s, void *buf, size_t size) {
    size_t need = zc_gp_state_bytes(s);
    if (size < need) return 0;
    writer wr = {buf, size, 0};
    state_write(s, &wr);
    return wr.pos;
}

/* ---- reading ------------------------------------------------------------------ */

/* Reader: after the first short read every read fails (zeros, pos kept). */
typedef struct {
    const unsigned char *buf;
    size_t size, pos;
    int failed;
} reader;

static void get(reader *rd, void *out, size_t n) {
    if (rd->failed || rd->pos + n > rd->size) {
        rd->failed = 1;
        memset(out, 0, n);
        return;
    }
    memcpy(out, rd->buf + rd->pos, n);
    rd->pos += n;
}

/* a program whose terminal codes are below n_terms (the config's kind) */
static int get_program(reader *rd, zc_program *p, int n_terms) {
    uint16_t len;
    get(rd, &len, sizeof(len));
    if (rd->failed || len < 1 || len > ZC_PROG_MAX_LEN) return -1;
    memset(p, 0, sizeof(*p));
    p->len = len;
    get(rd, p->code, len);
    return rd->failed || !zc_program_valid_terms(p, n_terms) ? -1 : 0;
}

/* The magic and the config block into *cfg (checked). Returns 0, or -1
 * with err (bad magic, bad block or line, an option zc_gp_config_set or
 * zc_gp_config_check refuses). */
static int read_config(reader *rd, zc_gp_config *cfg, char *err, size_t errlen) {
    char magic[8];
    get(rd, magic, sizeof(magic));
    if (rd->failed || memcmp(magic, state_magic, sizeof(magic)) != 0)
        return zc_fail(err, errlen, "gp state: not a zcevo GP state (bad magic)");
    uint32_t cfg_len;
    get(rd, &cfg_len, sizeof(cfg_len));
    if (rd->failed || cfg_len >= CONFIG_TEXT_CAP)
        return zc_fail(err, errlen, "gp state: truncated or bad config block");
    char cfg_text[CONFIG_TEXT_CAP];
    get(rd, cfg_text, cfg_len);
    cfg_text[rd->failed ? 0 : cfg_len] = '\0';
    *cfg = zc_gp_config_default();
    char *save = NULL;
    for (char *line = strtok_r(cfg_text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq) return zc_fail(err, errlen, "gp state: bad config line '%s'", line);
        *eq = '\0';
        if (zc_gp_config_set(cfg, line, eq + 1, err, errlen) != 0) return -1;
    }
    return zc_gp_config_check(cfg, err, errlen);
}

/* The rng, generation, counters and population into s (prepared). Returns
 * 0, or -1 for a short or inconsistent buffer. */
static int read_population(reader *rd, zc_gp_state *s) {
    get(rd, s->rng.s, sizeof(s->rng.s));
    int32_t generation, pop_n;
    int64_t counters[3];
    get(rd, &generation, sizeof(generation));
    get(rd, counters, sizeof(counters));
    get(rd, &pop_n, sizeof(pop_n));
    if (rd->failed || pop_n < 1 || pop_n > s->pop_capacity) return -1;
    s->generation = generation;
    s->evaluations = counters[0];
    s->validations = counters[1];
    s->hof_sequence = counters[2];
    s->pop_n = pop_n;
    for (int i = 0; i < pop_n; i++) {
        zc_gp_individual *member = &s->pop[i];
        if (get_program(rd, &member->prog, zc_gp_config_n_terms(&s->config)) != 0) return -1;
        get(rd, &member->fitness, sizeof(double));
        get(rd, &member->evaluated, 1);
        member->hash = zc_program_hash(&member->prog);
    }
    return 0;
}

/* The hall of fame into s. Returns 0, or -1 as read_population. */
static int read_hall_of_fame(reader *rd, zc_gp_state *s) {
    int32_t hof_n;
    get(rd, &hof_n, sizeof(hof_n));
    if (rd->failed || hof_n < 0 || hof_n > s->config.hall_of_fame_size) return -1;
    s->hof_n = hof_n;
    for (int i = 0; i < hof_n; i++) {
        int64_t seq;
        if (get_program(rd, &s->hof[i].prog, zc_gp_config_n_terms(&s->config)) != 0) return -1;
        get(rd, &s->hof[i].fitness, sizeof(double));
        get(rd, &seq, sizeof(seq));
        s->hof[i].seq = seq;
    }
    return 0;
}

/* The fitness cache into s. Returns 0, or -1 as read_population. */
static int read_cache(reader *rd, zc_gp_state *s) {
    int32_t cache_n;
    get(rd, &cache_n, sizeof(cache_n));
    if (rd->failed || cache_n < 0) return -1;
    for (int i = 0; i < cache_n; i++) {
        uint64_t key;
        double value;
        get(rd, &key, sizeof(key));
        get(rd, &value, sizeof(value));
        if (rd->failed) return -1;
        zc_gp_cache_put(&s->cache, key, value);
    }
    return 0;
}

int zc_gp_state_load(zc_gp_state *s, const void *buf, size_t size, char *err, size_t errlen) {
    memset(s, 0, sizeof(*s));
    reader rd = {buf, size, 0, 0};
    zc_gp_config cfg;
    if (read_config(&rd, &cfg, err, errlen) != 0) return -1;
    zc_gp_state_prepare(s, &cfg);
    if (read_population(&rd, s) == 0 && read_hall_of_fame(&rd, s) == 0 && read_cache(&rd, s) == 0 &&
        !rd.failed && rd.pos == size)
        return 0;
    zc_fail(err, errlen, "gp state: truncated or inconsistent at byte %zu of %zu", rd.pos, size);
    zc_gp_free(s);
    return -1;
}
