/* args.c: command-line reader (see args.h). */
#include "common/util/args.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"

void zc_usage_error(const char *command, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    zc_die_code(ZC_EXIT_USAGE, "%s: %s (see zcevo %s --help)", command, msg, command);
}

zc_args zc_args_begin(const char *command, int argc, char **argv) {
    zc_args a;
    memset(&a, 0, sizeof a);
    a.command = command;
    a.argc = argc;
    a.argv = argv;
    a.i = 0; /* argv[0] is the command name */
    return a;
}

int zc_args_next(zc_args *a) {
    if (++a->i >= a->argc) return 0;
    const char *s = a->argv[a->i];
    a->name = s;
    const char *eq = strncmp(s, "--", 2) == 0 ? strchr(s, '=') : NULL;
    a->name_len = eq ? (int)(eq - s) : (int)strlen(s);
    a->inline_value = eq ? eq + 1 : NULL;
    a->value = NULL;
    return 1;
}

static int name_is(const zc_args *a, const char *name) {
    return (int)strlen(name) == a->name_len && strncmp(a->name, name, a->name_len) == 0;
}

int zc_args_opt(zc_args *a, const char *name) {
    if (!name_is(a, name)) return 0;
    if (a->inline_value) a->value = a->inline_value;
    else if (a->i + 1 < a->argc) a->value = a->argv[++a->i];
    else zc_usage_error(a->command, "option %s needs a value", name);
    return 1;
}

int zc_args_flag(zc_args *a, const char *name) {
    if (!name_is(a, name)) return 0;
    if (a->inline_value) zc_usage_error(a->command, "option %s takes no value", name);
    return 1;
}

int zc_args_positional(zc_args *a) {
    if (strncmp(a->name, "--", 2) == 0 || (a->name[0] == '-' && a->name[1])) return 0;
    a->value = a->name;
    return 1;
}

static const char *opt_name(const zc_args *a, char *buf, size_t n) {
    snprintf(buf, n, "%.*s", a->name_len, a->name);
    return buf;
}

long zc_args_int(zc_args *a, long min, long max) {
    char *end, nb[64];
    errno = 0;
    long v = strtol(a->value, &end, 10);
    if (!*a->value || *end || errno)
        zc_usage_error(a->command, "%s expects an integer, got '%s'", opt_name(a, nb, sizeof nb),
                       a->value);
    if (v < min || v > max)
        zc_usage_error(a->command, "%s must be in %ld..%ld, got %ld", opt_name(a, nb, sizeof nb),
                       min, max, v);
    return v;
}

uint64_t zc_args_u64(zc_args *a) {
    char *end, nb[64];
    errno = 0;
    unsigned long long v = strtoull(a->value, &end, 10);
    if (!*a->value || *end || errno || a->value[0] == '-')
        zc_usage_error(a->command, "%s expects a non-negative integer, got '%s'",
                       opt_name(a, nb, sizeof nb), a->value);
    return (uint64_t)v;
}

double zc_args_double(zc_args *a, double min, double max) {
    char *end, nb[64];
    errno = 0;
    double v = strtod(a->value, &end);
    if (!*a->value || *end || errno || v != v)
        zc_usage_error(a->command, "%s expects a number, got '%s'", opt_name(a, nb, sizeof nb),
                       a->value);
    if (v < min || v > max)
        zc_usage_error(a->command, "%s must be in [%g, %g], got %g", opt_name(a, nb, sizeof nb),
                       min, max, v);
    return v;
}

int zc_args_choice(zc_args *a, const char *const *choices) {
    char list[512] = "", nb[64];
    for (int i = 0; choices[i]; i++) {
        if (strcmp(a->value, choices[i]) == 0) return i;
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 choices[i]);
    }
    zc_usage_error(a->command, "%s must be one of %s, got '%s'", opt_name(a, nb, sizeof nb),
                   list, a->value);
}

void zc_args_unknown(zc_args *a) {
    if (strncmp(a->name, "-", 1) == 0)
        zc_usage_error(a->command, "unknown option '%s'", a->name);
    zc_usage_error(a->command, "unexpected argument '%s'", a->name);
}
