/* fuzz_util.h: what the libFuzzer harnesses of tests/fuzz share: the entry
 * point's prototype, an invariant check that aborts (libFuzzer and the
 * replay driver report it as a crash with the input), a NUL-terminated copy
 * of the input, and a private scratch folder for harnesses whose reader
 * takes a path. */
#ifndef ZC_FUZZ_UTIL_H
#define ZC_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* LLVMFuzzerTestOneInput: one input; returns 0 (libFuzzer's contract).
 * Every harness defines it; a broken invariant aborts. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FUZZ_CHECK: abort with the expression, file and line when cond is false. */
#define FUZZ_CHECK(cond)                                                         \
    do {                                                                         \
        if (!(cond)) fuzz_fail(#cond, __FILE__, __LINE__);                       \
    } while (0)

/* fuzz_fail: print "fuzz invariant failed: EXPR at FILE:LINE", abort(). */
void fuzz_fail(const char *expr, const char *file, int line) __attribute__((noreturn));

/* fuzz_text: data[0..size) as a malloc'd NUL-terminated string (an embedded
 * NUL ends the text early, as it would for the reader). Free with free(). */
char *fuzz_text(const uint8_t *data, size_t size);

/* fuzz_scratch_dir: a private folder (mkdtemp under $TMPDIR or /tmp),
 * created on the first call and removed with its files at exit. */
const char *fuzz_scratch_dir(void);

/* fuzz_write_file: data[0..size) into path (parent folders created).
 * Aborts when it cannot (the harness's fault, not the input's). */
void fuzz_write_file(const char *path, const uint8_t *data, size_t size);

#endif
