/* term_names.h: names of terminal codes for a kind of terminals other than
 * the 22 layer statistics (terminals.h): the columns of network-level
 * values, e.g. the proxies of a `zcevo proxies` file, where code c is
 * column c (program.h reads and prints programs with such a table). */
#ifndef ZC_TERM_NAMES_H
#define ZC_TERM_NAMES_H

#include <stddef.h>

#define ZC_MAX_TERM_CODES 32  /* terminal codes are below program.h's ZC_OP_BASE */
#define ZC_TERM_NAME_LEN 32

/* name[c] for c < n. Plain data (copy with =). Where a function takes a
 * pointer to one, NULL means the 22 layer terminals. */
typedef struct {
    int n;
    char name[ZC_MAX_TERM_CODES][ZC_TERM_NAME_LEN];
} zc_term_names;

/* zc_term_names_parse: a comma-separated list of names ("a,b,c") into *t
 * (code = position). Returns 0, or -1 with err naming the fault: more than
 * ZC_MAX_TERM_CODES names, an empty or too long name, a name repeated, a
 * character other than letters, digits, '_' and '-'. */
int zc_term_names_parse(const char *list, zc_term_names *t, char *err, size_t errlen);

/* zc_term_names_join: the names comma-separated into buf (snprintf
 * semantics: returns the full length needed). */
size_t zc_term_names_join(const zc_term_names *t, char *buf, size_t buflen);

/* zc_term_names_lookup: code of name in t (NULL: the layer terminals), or
 * -1. */
int zc_term_names_lookup(const zc_term_names *t, const char *name);

#endif
