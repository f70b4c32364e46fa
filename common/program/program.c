/* program.c: the primitive table, terminal name tables, text syntax
 * (parse/print), structure queries, canonical form and hash of postfix
 * proxy programs (program.h). */
#include "common/program/program.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util/util.h"

typedef struct {
    const char *name;
    unsigned char arity, commutative, elementwise, reduction, optional, sr;
} op_info;

/* Indexed by opcode - ZC_OP_BASE; order follows the zc_opcode enum. */
static const op_info k_ops[ZC_NUM_OPS] = {
    {"add", 2, 1, 1, 0, 0, 1},        {"sub", 2, 0, 1, 0, 0, 1},
    {"mul", 2, 1, 1, 0, 0, 1},        {"matmul", 2, 0, 0, 0, 0, 0},
    {"lt", 2, 0, 1, 0, 0, 0},         {"gt", 2, 0, 1, 0, 0, 0},
    {"eq", 2, 1, 1, 0, 0, 0},         {"hamming", 2, 1, 0, 1, 0, 0},
    {"kl_div", 2, 0, 0, 1, 0, 0},     {"cosine", 2, 1, 0, 1, 0, 0},
    {"log", 1, 0, 1, 0, 0, 0},        {"abslog", 1, 0, 1, 0, 0, 0},
    {"abs", 1, 0, 1, 0, 0, 0},        {"square", 1, 0, 1, 0, 0, 0},
    {"exp", 1, 0, 1, 0, 0, 0},        {"normalize", 1, 0, 0, 0, 0, 0},
    {"relu", 1, 0, 1, 0, 0, 0},       {"sign", 1, 0, 1, 0, 0, 0},
    {"heaviside", 1, 0, 1, 0, 0, 0},  {"reciprocal", 1, 0, 1, 0, 0, 0},
    {"softmax", 1, 0, 0, 0, 0, 0},    {"sigmoid", 1, 0, 1, 0, 0, 0},
    {"ones_like", 1, 0, 1, 0, 0, 0},  {"zeros_like", 1, 0, 1, 0, 0, 0},
    {"pos_mask", 1, 0, 1, 0, 0, 0},   {"neg_mask", 1, 0, 1, 0, 0, 0},
    {"frobenius", 1, 0, 0, 1, 0, 0},  {"det", 1, 0, 0, 0, 0, 0},
    {"logdet", 1, 0, 0, 0, 0, 0},     {"eig_ratio", 1, 0, 0, 1, 0, 0},
    {"mean", 1, 0, 0, 1, 0, 0},       {"mean_abs", 1, 0, 0, 1, 0, 0},
    {"numel", 1, 0, 0, 1, 0, 0},      {"add_noise", 1, 0, 0, 0, 1, 0},
    {"neg", 1, 0, 1, 0, 0, 1},        {"pdiv", 2, 0, 1, 0, 0, 1},
    {"plog", 1, 0, 1, 0, 0, 1},       {"psqrt", 1, 0, 1, 0, 0, 1},
};

static const op_info *op_of(int code) {
    if (code < ZC_OP_BASE || code >= ZC_OP_END) return NULL;
    return &k_ops[code - ZC_OP_BASE];
}

int zc_op_arity(int code) {
    const op_info *o = op_of(code);
    return o ? o->arity : 0;
}

const char *zc_op_name(int code) {
    if (code >= 0 && code < ZC_NUM_TERMINALS) return zc_terminal_name(code);
    const op_info *o = op_of(code);
    return o ? o->name : "?";
}

int zc_op_lookup(const char *name) {
    for (int i = 0; i < ZC_NUM_OPS; i++)
        if (strcmp(name, k_ops[i].name) == 0) return ZC_OP_BASE + i;
    return -1;
}

int zc_op_is_commutative(int code) {
    const op_info *o = op_of(code);
    return o ? o->commutative : 0;
}

int zc_op_is_elementwise(int code) {
    const op_info *o = op_of(code);
    return o ? o->elementwise : 0;
}

int zc_op_is_reduction(int code) {
    const op_info *o = op_of(code);
    return o ? o->reduction : 0;
}

int zc_op_is_optional(int code) {
    const op_info *o = op_of(code);
    return o ? o->optional : 0;
}

int zc_op_is_sr(int code) {
    const op_info *o = op_of(code);
    return o ? o->sr : 0;
}

int zc_op_is_eznas(int code) { return code >= ZC_OP_BASE && code <= ZC_OP_ADD_NOISE; }

static int is_terminal_code(int code) { return code >= 0 && code < ZC_NUM_TERMINALS; }

/* the name of terminal code c in t (NULL: layer terminals), or NULL */
static const char *term_name(const zc_term_names *t, int c) {
    if (!t) return is_terminal_code(c) ? zc_terminal_name(c) : NULL;
    return c >= 0 && c < t->n ? t->name[c] : NULL;
}

/* ---- parsing ------------------------------------------------------------- */

typedef struct {
    const char *text;
    size_t pos;
    zc_program *out;
    const zc_term_names *names; /* NULL: the layer terminals */
    char *err;
    size_t errlen;
    int failed;
} parser;

static void parse_fail(parser *ps, size_t pos, const char *fmt, ...) {
    if (ps->failed) return;
    ps->failed = 1;
    if (!ps->err || !ps->errlen) return;
    int n = snprintf(ps->err, ps->errlen, "position %zu: ", pos);
    if (n < 0 || (size_t)n >= ps->errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static void skip_space(parser *ps) {
    while (ps->text[ps->pos] == ' ' || ps->text[ps->pos] == '\t' ||
           ps->text[ps->pos] == '\n' || ps->text[ps->pos] == '\r')
        ps->pos++;
}

static int is_ident_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

static void emit(parser *ps, int code, size_t pos) {
    if (ps->out->len >= ZC_PROG_MAX_LEN) {
        parse_fail(ps, pos, "program longer than %d nodes", ZC_PROG_MAX_LEN);
        return;
    }
    ps->out->code[ps->out->len++] = (uint8_t)code;
}

static void parse_expr(parser *ps, int depth) {
    if (ps->failed) return;
    skip_space(ps);
    size_t start = ps->pos;
    if (depth > ZC_PROG_MAX_LEN) {
        parse_fail(ps, start, "program nested deeper than %d levels", ZC_PROG_MAX_LEN);
        return;
    }
    while (is_ident_char(ps->text[ps->pos])) ps->pos++;
    size_t n = ps->pos - start;
    if (n == 0) {
        char c = ps->text[start];
        if (c) parse_fail(ps, start, "expected a primitive or terminal name, found '%c'", c);
        else parse_fail(ps, start, "expected a primitive or terminal name, found end of text");
        return;
    }
    char name[64];
    if (n >= sizeof name) {
        parse_fail(ps, start, "name too long");
        return;
    }
    memcpy(name, ps->text + start, n);
    name[n] = 0;
    skip_space(ps);
    if (ps->text[ps->pos] != '(') {
        int t = zc_term_names_lookup(ps->names, name);
        if (t >= 0) {
            emit(ps, t, start);
            return;
        }
        if (zc_op_lookup(name) >= 0)
            parse_fail(ps, ps->pos, "expected '(' after primitive '%s'", name);
        else parse_fail(ps, start, "unknown terminal '%s'", name);
        return;
    }
    int op = zc_op_lookup(name);
    if (op < 0) {
        if (zc_term_names_lookup(ps->names, name) >= 0)
            parse_fail(ps, start, "'%s' is a terminal, not a primitive", name);
        else parse_fail(ps, start, "unknown primitive '%s'", name);
        return;
    }
    ps->pos++; /* '(' */
    int arity = zc_op_arity(op);
    for (int a = 0; a < arity; a++) {
        if (a > 0) {
            skip_space(ps);
            if (ps->text[ps->pos] != ',') {
                if (ps->text[ps->pos] == ')')
                    parse_fail(ps, ps->pos, "'%s' takes %d arguments, found %d", name, arity, a);
                else parse_fail(ps, ps->pos, "expected ',' in arguments of '%s'", name);
                return;
            }
            ps->pos++;
        }
        parse_expr(ps, depth + 1);
        if (ps->failed) return;
    }
    skip_space(ps);
    if (ps->text[ps->pos] != ')') {
        if (ps->text[ps->pos] == ',')
            parse_fail(ps, ps->pos, "'%s' takes %d argument%s, found more", name, arity,
                       arity == 1 ? "" : "s");
        else parse_fail(ps, ps->pos, "expected ')' closing '%s'", name);
        return;
    }
    ps->pos++;
    emit(ps, op, start);
}

int zc_program_parse(const char *text, zc_program *out, char *err, size_t errlen) {
    return zc_program_parse_names(text, NULL, out, err, errlen);
}

int zc_program_parse_names(const char *text, const zc_term_names *names, zc_program *out,
                           char *err, size_t errlen) {
    parser ps = {text, 0, out, names, err, errlen, 0};
    memset(out, 0, sizeof *out);
    if (err && errlen) err[0] = 0;
    parse_expr(&ps, 0);
    if (!ps.failed) {
        skip_space(&ps);
        if (text[ps.pos]) parse_fail(&ps, ps.pos, "unexpected '%c' after the program", text[ps.pos]);
    }
    if (ps.failed) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

/* ---- printing ------------------------------------------------------------ */

typedef struct {
    char *buf;
    size_t cap, len;
} sbuf;

static void put(sbuf *s, const char *str) {
    for (; *str; str++) {
        if (s->len + 1 < s->cap) s->buf[s->len] = *str;
        s->len++;
    }
}

static void print_node(const zc_program *p, const zc_term_names *names, int end, sbuf *s) {
    int code = p->code[end];
    int arity = zc_op_arity(code);
    put(s, arity ? zc_op_name(code) : term_name(names, code));
    if (!arity) return;
    put(s, "(");
    if (arity == 1) {
        print_node(p, names, end - 1, s);
    } else {
        int right_start = zc_program_subtree_start(p, end - 1);
        print_node(p, names, right_start - 1, s);
        put(s, ", ");
        print_node(p, names, end - 1, s);
    }
    put(s, ")");
}

size_t zc_program_print(const zc_program *p, char *buf, size_t buflen) {
    return zc_program_print_names(p, NULL, buf, buflen);
}

size_t zc_program_print_names(const zc_program *p, const zc_term_names *names, char *buf,
                              size_t buflen) {
    sbuf s = {buf, buflen, 0};
    if (!zc_program_valid_terms(p, names ? names->n : ZC_NUM_TERMINALS))
        put(&s, "<invalid program>");
    else print_node(p, names, p->len - 1, &s);
    if (buflen) buf[s.len < buflen ? s.len : buflen - 1] = 0;
    return s.len;
}

static void print_python_node(const zc_program *p, const zc_term_names *names, const char *dict,
                              int end, sbuf *s) {
    int code = p->code[end];
    int arity = zc_op_arity(code);
    if (!arity) {
        put(s, dict);
        put(s, "[\"");
        put(s, term_name(names, code));
        put(s, "\"]");
        return;
    }
    put(s, zc_op_name(code));
    put(s, "(");
    if (arity == 1) {
        print_python_node(p, names, dict, end - 1, s);
    } else {
        int right_start = zc_program_subtree_start(p, end - 1);
        print_python_node(p, names, dict, right_start - 1, s);
        put(s, ", ");
        print_python_node(p, names, dict, end - 1, s);
    }
    put(s, ")");
}

size_t zc_program_print_python(const zc_program *p, const zc_term_names *names, const char *dict,
                               char *buf, size_t buflen) {
    sbuf s = {buf, buflen, 0};
    if (!zc_program_valid_terms(p, names ? names->n : ZC_NUM_TERMINALS)) put(&s, "None");
    else print_python_node(p, names, dict, p->len - 1, &s);
    if (buflen) buf[s.len < buflen ? s.len : buflen - 1] = 0;
    return s.len;
}

/* ---- structure ----------------------------------------------------------- */

int zc_program_valid(const zc_program *p) { return zc_program_valid_terms(p, ZC_NUM_TERMINALS); }

int zc_program_valid_terms(const zc_program *p, int n_terms) {
    if (p->len < 1 || p->len > ZC_PROG_MAX_LEN) return 0;
    int depth = 0;
    for (int i = 0; i < p->len; i++) {
        int c = p->code[i];
        if (c < n_terms && c < ZC_OP_BASE) depth++;
        else {
            int a = zc_op_arity(c);
            if (a == 0 || depth < a) return 0;
            depth -= a - 1;
        }
    }
    return depth == 1;
}

int zc_program_subtree_start(const zc_program *p, int end) {
    int need = 1;
    for (int i = end; i >= 0; i--) {
        need += zc_op_arity(p->code[i]) - 1;
        if (need == 0) return i;
    }
    return 0; /* malformed program: the whole prefix */
}

int zc_program_height(const zc_program *p) {
    int stack[ZC_PROG_MAX_LEN], sp = 0;
    for (int i = 0; i < p->len; i++) {
        int a = zc_op_arity(p->code[i]);
        int h = 0;
        for (int k = 0; k < a; k++) {
            int child = stack[--sp];
            if (child + 1 > h) h = child + 1;
        }
        stack[sp++] = h;
    }
    return sp ? stack[sp - 1] : 0;
}

zc_terminal_mask zc_program_terminals(const zc_program *p) {
    zc_terminal_mask m = 0;
    for (int i = 0; i < p->len; i++)
        if (p->code[i] < ZC_OP_BASE) m |= 1u << p->code[i];
    return m;
}

/* compare two code sequences: bytes first, then shorter first */
static int seq_cmp(const uint8_t *a, int na, const uint8_t *b, int nb) {
    int n = na < nb ? na : nb;
    int c = memcmp(a, b, (size_t)n);
    if (c) return c;
    return na - nb;
}

/* canonical postfix of the subtree ending at `end`, written to out; returns
 * its length */
static int canon_subtree(const zc_program *p, int end, uint8_t *out) {
    int code = p->code[end];
    int arity = zc_op_arity(code);
    if (arity == 0) {
        out[0] = (uint8_t)code;
        return 1;
    }
    if (arity == 1) {
        int n = canon_subtree(p, end - 1, out);
        out[n] = (uint8_t)code;
        return n + 1;
    }
    int right_start = zc_program_subtree_start(p, end - 1);
    uint8_t left[ZC_PROG_MAX_LEN], right[ZC_PROG_MAX_LEN];
    int nl = canon_subtree(p, right_start - 1, left);
    int nr = canon_subtree(p, end - 1, right);
    if (zc_op_is_commutative(code) && seq_cmp(left, nl, right, nr) > 0) {
        memcpy(out, right, (size_t)nr);
        memcpy(out + nr, left, (size_t)nl);
    } else {
        memcpy(out, left, (size_t)nl);
        memcpy(out + nl, right, (size_t)nr);
    }
    out[nl + nr] = (uint8_t)code;
    return nl + nr + 1;
}

void zc_program_canonical(const zc_program *p, zc_program *out) {
    zc_program tmp;
    memset(&tmp, 0, sizeof tmp);
    if (zc_program_valid_terms(p, ZC_OP_BASE)) {
        tmp.len = (uint16_t)canon_subtree(p, p->len - 1, tmp.code);
    } else {
        tmp.len = p->len > ZC_PROG_MAX_LEN ? ZC_PROG_MAX_LEN : p->len;
        memcpy(tmp.code, p->code, tmp.len);
    }
    *out = tmp;
}

uint64_t zc_program_hash(const zc_program *p) {
    zc_program c;
    zc_program_canonical(p, &c);
    return zc_hash64(c.code, c.len, 0x7a63707267ULL ^ (uint64_t)c.len);
}

int zc_program_equal(const zc_program *a, const zc_program *b) {
    zc_program ca, cb;
    zc_program_canonical(a, &ca);
    zc_program_canonical(b, &cb);
    return ca.len == cb.len && memcmp(ca.code, cb.code, ca.len) == 0;
}
