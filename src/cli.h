/* src/cli.h - what the command-line files share: exit codes, argument and error helpers.
 *
 * Only the CLI (cli.c: scan, info, hash, main; cli_cluster.c: cluster,
 * query, export, verify; cli_merge.c: merge; cli_report.c: report) prints to the terminal; only main() returns to the shell.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_CLI_H
#define DP_SRC_CLI_H

#include "err.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = 130 };

/* dp_cli_usage_error - "doppel: <message>" on stderr; returns EXIT_USAGE. */
__attribute__((format(printf, 1, 2)))
int dp_cli_usage_error(const char *fmt, ...);
/* dp_cli_fail - print err->msg; the exit code its code maps to. */
int dp_cli_fail(const struct dp_err *err);
/* dp_cli_parse_int - decimal in [lo, hi] into *out; 0 or -1. */
int dp_cli_parse_int(const char *s, int lo, int hi, int *out);
/* dp_cli_join_command - the command line shell-quoted (malloc'd), or NULL. */
char *dp_cli_join_command(int argc, char **argv);
/* dp_cli_tool_version - "doppel 0.1.0 (git abc1234)"; static storage. */
const char *dp_cli_tool_version(void);

/* The commands of cli_cluster.c: argc/argv start at the command name. */
int dp_cli_cluster(int argc, char **argv, const char *command);
int dp_cli_query(int argc, char **argv);
int dp_cli_export(int argc, char **argv);
int dp_cli_verify(int argc, char **argv);
extern const char dp_cli_usage_cluster[], dp_cli_usage_query[], dp_cli_usage_export[],
	dp_cli_usage_verify[];

/* cli_report.c */
int dp_cli_report(int argc, char **argv);
extern const char dp_cli_usage_report[];

/* cli_merge.c */
int dp_cli_merge(int argc, char **argv, const char *command);
extern const char dp_cli_usage_merge[];

#endif
