/* term_names.c: tables of terminal names (see term_names.h). */
#include "common/stats/term_names.h"

#include <stdio.h>
#include <string.h>

#include "common/stats/terminals.h"
#include "common/util/util.h"

static int name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

int zc_term_names_parse(const char *list, zc_term_names *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (t->n == ZC_MAX_TERM_CODES)
            return zc_fail(err, errlen, "more than %d terminal names in '%.200s'",
                           ZC_MAX_TERM_CODES, list);
        if (n == 0 || n >= ZC_TERM_NAME_LEN)
            return zc_fail(err, errlen, "terminal name %d of '%.200s' is empty or longer than "
                           "%d characters", t->n + 1, list, ZC_TERM_NAME_LEN - 1);
        char *name = t->name[t->n];
        memcpy(name, p, n);
        name[n] = 0;
        for (size_t i = 0; i < n; i++)
            if (!name_char(name[i]))
                return zc_fail(err, errlen, "terminal name '%s' has a character other than "
                               "letters, digits, '_' and '-'", name);
        if (zc_term_names_lookup(t, name) >= 0)
            return zc_fail(err, errlen, "terminal name '%s' appears twice", name);
        t->n++;
        if (!comma) return 0;
        p = comma + 1;
    }
}

size_t zc_term_names_join(const zc_term_names *t, char *buf, size_t buflen) {
    size_t len = 0;
    if (buflen) buf[0] = 0;
    for (int i = 0; i < t->n; i++) {
        int k = snprintf(len < buflen ? buf + len : NULL, len < buflen ? buflen - len : 0,
                         "%s%s", i ? "," : "", t->name[i]);
        if (k > 0) len += (size_t)k;
    }
    return len;
}

int zc_term_names_lookup(const zc_term_names *t, const char *name) {
    if (!t) return zc_terminal_lookup(name);
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->name[i], name) == 0) return i;
    return -1;
}
