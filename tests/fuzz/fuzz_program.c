/* fuzz_program.c: libFuzzer harness of the program text parser
 * (common/program/program.h). Input: program text. Invariants: a parsed
 * program is valid, prints to text that parses back to the same nodes, its
 * canonical form is valid, idempotent and hashes like the program; a
 * refused text has a message naming the position. An input starting with
 * byte 0x01 is instead a raw postfix program (byte 1: length, then codes):
 * the validity check must accept exactly the programs that round-trip
 * through text. */
#include <stdlib.h>
#include <string.h>

#include "common/program/program.h"
#include "fuzz_util.h"

/* check_program: the invariants of a valid program p. */
static void check_program(const zc_program *p) {
    static char text[ZC_PROG_MAX_LEN * 40];
    size_t n = zc_program_print(p, text, sizeof text);
    FUZZ_CHECK(n < sizeof text);
    zc_program q;
    char err[256] = "";
    FUZZ_CHECK(zc_program_parse(text, &q, err, sizeof err) == 0);
    FUZZ_CHECK(q.len == p->len && memcmp(q.code, p->code, p->len) == 0);
    FUZZ_CHECK(zc_program_subtree_start(p, p->len - 1) == 0);
    FUZZ_CHECK(zc_program_height(p) >= 0 && zc_program_height(p) < p->len + 1);
    zc_program c, cc;
    zc_program_canonical(p, &c);
    FUZZ_CHECK(zc_program_valid(&c));
    FUZZ_CHECK(c.len == p->len);
    zc_program_canonical(&c, &cc);
    FUZZ_CHECK(cc.len == c.len && memcmp(cc.code, c.code, c.len) == 0);
    FUZZ_CHECK(zc_program_hash(p) == zc_program_hash(&c));
    FUZZ_CHECK(zc_program_equal(p, &c));
    FUZZ_CHECK(zc_program_terminals(p) == zc_program_terminals(&c));
}

/* raw_program: bytes as a postfix program; valid ones must satisfy every
 * invariant, and an invalid one must not print to a parsable program of the
 * same nodes. */
static void raw_program(const uint8_t *data, size_t size) {
    zc_program p;
    memset(&p, 0, sizeof p);
    p.len = size > 1 ? data[1] : 0;
    size_t n = size > 2 ? size - 2 : 0;
    memcpy(p.code, data + 2, n < sizeof p.code ? n : sizeof p.code);
    if (zc_program_valid(&p)) {
        FUZZ_CHECK(p.len >= 1 && p.len <= ZC_PROG_MAX_LEN);
        check_program(&p);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 8192) return 0;
    if (size >= 1 && data[0] == 0x01) {
        raw_program(data, size);
        return 0;
    }
    char *text = fuzz_text(data, size);
    zc_program p;
    char err[256] = "";
    if (zc_program_parse(text, &p, err, sizeof err) == 0) {
        FUZZ_CHECK(zc_program_valid(&p));
        check_program(&p);
    } else {
        FUZZ_CHECK(strncmp(err, "position ", 9) == 0);
    }
    free(text);
    return 0;
}
