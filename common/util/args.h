/* args.h: a small command-line reader shared by every zcevo subcommand.
 * Options are "--name value" or "--name=value"; flags take no value. Every
 * mistake (unknown option, missing or malformed value) ends the program with
 * one line naming the option and value, and exit code ZC_EXIT_USAGE.
 *
 *   zc_args a = zc_args_begin("stats", argc, argv);
 *   while (zc_args_next(&a)) {
 *       if (zc_args_opt(&a, "--batch")) batch = zc_args_int(&a, 1, 4096);
 *       else if (zc_args_flag(&a, "--store-params")) store = 1;
 *       else zc_args_unknown(&a);
 *   }
 */
#ifndef ZC_ARGS_H
#define ZC_ARGS_H

#include <stdint.h>

typedef struct {
    const char *command;
    int argc;
    char **argv;
    int i;             /* index of the current option                        */
    const char *name;  /* current option name (without "=value")             */
    int name_len;
    const char *inline_value; /* value after '=', or NULL                    */
    const char *value; /* value of the last zc_args_opt match                */
} zc_args;

zc_args zc_args_begin(const char *command, int argc, char **argv);
/* zc_args_next: advance to the next option; 0 at the end. A positional
 * argument is an option whose name does not start with "--". */
int zc_args_next(zc_args *a);
/* zc_args_opt: 1 if the current option is `name` (which takes a value);
 * the value is then in a->value (a missing value is a usage error). */
int zc_args_opt(zc_args *a, const char *name);
/* zc_args_flag: 1 if the current option is the flag `name` ("--x=1" is an
 * error for a flag). */
int zc_args_flag(zc_args *a, const char *name);
/* zc_args_positional: 1 if the current argument is positional; its text is
 * then in a->value. */
int zc_args_positional(zc_args *a);
/* Value parsers for the last zc_args_opt: range-checked, usage error
 * naming the option otherwise. */
long zc_args_int(zc_args *a, long min, long max);
uint64_t zc_args_u64(zc_args *a);
double zc_args_double(zc_args *a, double min, double max);
/* zc_args_choice: index of a->value in the NULL-terminated list. */
int zc_args_choice(zc_args *a, const char *const *choices);
/* zc_args_unknown: usage error for the current option. Never returns. */
void zc_args_unknown(zc_args *a) __attribute__((noreturn));
/* zc_usage_error: "zcevo <command>: <message> (see zcevo <command> --help)"
 * and exit ZC_EXIT_USAGE. */
void zc_usage_error(const char *command, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

#endif
