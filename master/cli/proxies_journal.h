/* proxies_journal.h: the resume journal of `zcevo proxies`. While a run
 * computes, rank 0 appends every finished architecture's values to
 * <out-csv>.journal (one text line each, doubles in %.17g, so values read
 * back are bit-identical); a run that was killed (time limit, node failure)
 * and started again with the same configuration skips the architectures
 * already there. The first line names the configuration; a journal of
 * another configuration is refused, never overwritten. The journal is
 * removed once the outputs are written. */
#ifndef ZC_PROXIES_JOURNAL_H
#define ZC_PROXIES_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

typedef struct zc_proxies_journal zc_proxies_journal;

/* zc_proxies_journal_open: open (or create) the journal at path for a run
 * whose configuration is `signature` (one line of text) over n_rows
 * architectures with arch_index[pos]. Values of positions found in the
 * journal are copied into values[pos * n_values ...] and done[pos] set to 1;
 * *n_done counts them. Lines of other architectures are kept; a truncated
 * last line (a killed writer) is dropped. Returns the journal, ready to
 * append; or NULL with one line in err (unreadable or unwritable file, or
 * a journal of another configuration: the file is left as it was). */
zc_proxies_journal *zc_proxies_journal_open(const char *path, const char *signature,
                                            const int64_t *arch_index, int n_rows, int n_values,
                                            double *values, unsigned char *done, int *n_done,
                                            char *err, size_t errlen);

/* zc_proxies_journal_check: 0 when no journal exists at path or its first
 * line names the configuration `signature`; -1 with err ("journal 'x'
 * belongs to another run (...); delete it or choose another --out-csv")
 * otherwise. Reads only; a run checks this before any other work. */
int zc_proxies_journal_check(const char *path, const char *signature, char *err, size_t errlen);

/* zc_proxies_journal_put: append position pos's values (flushed at once).
 * Matches zc_proxies_done_fn (ctx = the journal). A write error is reported
 * once on stderr and journaling stops (the run itself goes on). */
void zc_proxies_journal_put(void *journal, int pos, const double *values);

/* zc_proxies_journal_close: close; remove the file when `remove_file`
 * (the outputs are complete). */
void zc_proxies_journal_close(zc_proxies_journal *j, int remove_file);

#endif
