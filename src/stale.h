/* src/stale.h - remove the temporary files of killed doppel processes.
 *
 * doppel writes every output under "<name>.tmp-<pid>[-<more>]" and renames
 * it when complete, so a process killed with SIGKILL (or by a signal whose
 * default action ends it) leaves such a file behind. A file of that form
 * whose pid no longer runs on this machine is garbage.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_STALE_H
#define DP_SRC_STALE_H

/*
 * dp_remove_stale_tmp - in folder dir (borrowed), unlink every file named
 * "<base>.tmp-<pid>" or "<base>.tmp-<pid>-..." whose pid is not a running
 * process; base NULL matches any name. Best effort; never removes a file of
 * a live process (this one included). Only for folders doppel writes alone
 * (a pid is only meaningful on this host).
 */
void dp_remove_stale_tmp(const char *dir, const char *base);

#endif
