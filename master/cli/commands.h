/* commands.h: the subcommands of the zcevo executable. Each takes the
 * arguments after the subcommand name (argv[0] = subcommand), prints its
 * usage for --help, and returns the process exit code (util.h ZC_EXIT_*);
 * a usage mistake exits with ZC_EXIT_USAGE, any other failure with a
 * one-line "zcevo: error: ..." (zc_die). */
#ifndef ZC_COMMANDS_H
#define ZC_COMMANDS_H

/* zc_cmd_stats (cmd_stats.c): `zcevo stats`: EZNAS statistics of
 * architectures into an HDF5 cache (under MPI: rank 0 writes). */
int zc_cmd_stats(int argc, char **argv);
/* zc_cmd_spaces (cmd_spaces.c): `zcevo spaces`: the design spaces and the
 * size of their tables. */
int zc_cmd_spaces(int argc, char **argv);
/* zc_cmd_score (cmd_score.c): `zcevo score`: rank correlations of proxy
 * programs with accuracy, from statistics files or computed on the fly. */
int zc_cmd_score(int argc, char **argv);
/* zc_cmd_evolve (cmd_evolve.c): `zcevo evolve`: the genetic-programming
 * search (the main job). */
int zc_cmd_evolve(int argc, char **argv);
/* zc_cmd_bench (cmd_bench.c): `zcevo bench`: throughput benchmarks. */
int zc_cmd_bench(int argc, char **argv);
/* zc_cmd_proxies (cmd_proxies.c): `zcevo proxies`: hand-crafted zero-cost
 * proxies into CSV/HDF5 and their correlation table (resumable). */
int zc_cmd_proxies(int argc, char **argv);
/* zc_cmd_export (cmd_export.c): `zcevo export`: a program as a
 * self-contained PyTorch or SymPy file. */
int zc_cmd_export(int argc, char **argv);

/* zc_cmd_search (cmd_search.c): `zcevo search`: find an architecture with a
 * proxy (random search, aging evolution, Zero-Cost-PT), resumable. */
int zc_cmd_search(int argc, char **argv);
/* zc_cmd_report (cmd_report.c): `zcevo report`: runs scripts/report.py
 * (does not return unless it cannot be started). */
int zc_cmd_report(int argc, char **argv);

#endif
