/* commands.h: the subcommands of the zcevo executable. Each takes the
 * arguments after the subcommand name (argv[0] = subcommand) and returns the
 * process exit code (util.h ZC_EXIT_*). */
#ifndef ZC_COMMANDS_H
#define ZC_COMMANDS_H

int zc_cmd_stats(int argc, char **argv);
int zc_cmd_spaces(int argc, char **argv);
int zc_cmd_score(int argc, char **argv);
int zc_cmd_evolve(int argc, char **argv);
int zc_cmd_bench(int argc, char **argv);
int zc_cmd_proxies(int argc, char **argv);
int zc_cmd_report(int argc, char **argv);

#endif
