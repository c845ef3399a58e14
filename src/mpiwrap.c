/* src/mpiwrap.c - MPI wrappers (see mpiwrap.h): real with DP_MPI, one process without.
 *
 * SPDX-License-Identifier: MIT
 */
#include "mpiwrap.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef DP_MPI
#include <mpi.h>

static int started;

int dp_mpi_init(int *argc, char ***argv)
{
	int provided;

	if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
		return -1;
	started = 1;
	return 0;
}

void dp_mpi_finalize(void)
{
	if (started)
		MPI_Finalize();
	started = 0;
}

int dp_mpi_rank(void)
{
	int r = 0;

	if (started)
		MPI_Comm_rank(MPI_COMM_WORLD, &r);
	return r;
}

int dp_mpi_size(void)
{
	int n = 1;

	if (started)
		MPI_Comm_size(MPI_COMM_WORLD, &n);
	return n;
}

int dp_mpi_max(int v)
{
	int m = v;

	if (started)
		MPI_Allreduce(&v, &m, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
	return m;
}

void dp_mpi_max_bytes(uint8_t *v, size_t n)
{
	/* In pieces: MPI counts are ints. */
	for (size_t at = 0; started && at < n; at += 1u << 30) {
		size_t k = n - at < (1u << 30) ? n - at : 1u << 30;

		MPI_Allreduce(MPI_IN_PLACE, v + at, (int)k, MPI_UNSIGNED_CHAR, MPI_MAX, MPI_COMM_WORLD);
	}
}

int dp_mpi_bcast(int v)
{
	if (started)
		MPI_Bcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD);
	return v;
}

int dp_mpi_allgather_pairs(struct dp_pairs *p, struct dp_err *err)
{
	int size = dp_mpi_size(), rc = 0;
	long long mine = (long long)p->n * (long long)sizeof(*p->v);
	long long *all = NULL, total = 0;
	int *counts = NULL, *displs = NULL;
	struct dp_pair *v = NULL;

	if (size == 1)
		return 0;
	all = calloc((size_t)size, sizeof(*all));
	counts = calloc((size_t)size, sizeof(*counts));
	displs = calloc((size_t)size, sizeof(*displs));
	if (!all || !counts || !displs) {
		rc = dp_err_set(err, DP_E_NOMEM, "cluster: out of memory");
		goto out;
	}
	MPI_Allgather(&mine, 1, MPI_LONG_LONG, all, 1, MPI_LONG_LONG, MPI_COMM_WORLD);
	for (int r = 0; r < size; r++) {
		if (all[r] > INT_MAX || total > INT_MAX - all[r]) {
			rc = dp_err_set(err, DP_E_LIMIT, "cluster: over 2 GB of pairs to gather "
					"across ranks: use a smaller --max-distance");
			goto out;
		}
		counts[r] = (int)all[r];
		displs[r] = (int)total;
		total += all[r];
	}
	v = malloc(total ? (size_t)total : 1);
	if (!v) {
		rc = dp_err_set(err, DP_E_NOMEM, "cluster: out of memory gathering the pairs");
		goto out;
	}
	MPI_Allgatherv(p->v, (int)mine, MPI_BYTE, v, counts, displs, MPI_BYTE, MPI_COMM_WORLD);
	free(p->v);
	p->v = v;
	p->n = p->cap = (size_t)total / sizeof(*p->v);
	v = NULL;
out:
	free(v);
	free(all);
	free(counts);
	free(displs);
	return rc;
}

void dp_mpi_library(char *out, size_t n)
{
	char v[MPI_MAX_LIBRARY_VERSION_STRING];
	int len = 0;

	MPI_Get_library_version(v, &len);
	v[strcspn(v, ",\n")] = '\0';
	snprintf(out, n, "%s", v);
}

#else   /* one process */

int dp_mpi_init(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

void dp_mpi_finalize(void)
{
}

int dp_mpi_rank(void)
{
	return 0;
}

int dp_mpi_size(void)
{
	return 1;
}

int dp_mpi_max(int v)
{
	return v;
}

void dp_mpi_max_bytes(uint8_t *v, size_t n)
{
	(void)v;
	(void)n;
}

int dp_mpi_bcast(int v)
{
	return v;
}

int dp_mpi_allgather_pairs(struct dp_pairs *p, struct dp_err *err)
{
	(void)p;
	(void)err;
	return 0;
}

void dp_mpi_library(char *out, size_t n)
{
	if (n)
		out[0] = '\0';
}

#endif
