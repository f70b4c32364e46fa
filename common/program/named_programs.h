/* named_programs.h: the built-in proxy programs, known by name wherever a
 * program is accepted (zcevo score --program NAME, zcevo proxies columns):
 * the released EZNAS-A and the programs zcevo's own searches found
 * (docs/discovery.md says how each was found: command, seed, cost). */
#ifndef ZC_NAMED_PROGRAMS_H
#define ZC_NAMED_PROGRAMS_H

/* zc_program_named: the text of the built-in program `name`, or NULL when
 * there is none of that name. */
const char *zc_program_named(const char *name);

/* zc_program_named_count: how many built-in programs there are. */
int zc_program_named_count(void);

/* zc_program_named_at: built-in program i (0 <= i < count, else NULL): its
 * text, and its name and a one-line description in *name / *about (either
 * pointer may be NULL). */
const char *zc_program_named_at(int i, const char **name, const char **about);

#endif
