/* src/mpiwrap.h - the few MPI operations doppel uses; one process without MPI.
 *
 * Built with `make MPI=1` (DP_MPI defined, compiled with mpicc) these call
 * MPI; in the default build the process is rank 0 of 1 and every call is
 * trivial. MPI is only used from the main thread, outside OpenMP regions
 * (MPI_THREAD_FUNNELED).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_MPIWRAP_H
#define DP_SRC_MPIWRAP_H

#include "err.h"
#include "mih.h"

/* dp_mpi_init - MPI_Init_thread when built with MPI; 0 or -1. */
int dp_mpi_init(int *argc, char ***argv);
/* dp_mpi_finalize - before a normal exit. */
void dp_mpi_finalize(void);
/* dp_mpi_rank, dp_mpi_size - this process's rank (0-based) and the count. */
int dp_mpi_rank(void);
int dp_mpi_size(void);
/* dp_mpi_max - the largest v over all ranks; every rank must call it. */
int dp_mpi_max(int v);
/* dp_mpi_max_bytes - v[k] = the largest v[k] over all ranks, k < n; collective. */
void dp_mpi_max_bytes(uint8_t *v, size_t n);
/* dp_mpi_bcast - rank 0's v, on every rank. */
int dp_mpi_bcast(int v);
/* dp_mpi_allgather_pairs - replace *p by the concatenation, in rank order,
 * of every rank's *p. 0 or DP_E_NOMEM/DP_E_LIMIT (err set); collective. */
int dp_mpi_allgather_pairs(struct dp_pairs *p, struct dp_err *err) DP_WUR;
/* dp_mpi_library - "Open MPI v4.1.4" (or "" without MPI) into out. */
void dp_mpi_library(char *out, size_t n);

#endif
