/* tests/fuzz/fuzz_store.c - fuzz target: bytes as a result file -> info, cluster, export readers.
 *
 * A foreign or damaged file given to info, cluster, query or export must
 * give an error, never a crash: the bytes are written to a temporary file
 * and read with dp_store_summarise() (info), dp_table_load() (cluster,
 * query, verify, export) and the /clusters readers (export), and a table
 * that loads is clustered. Built like fuzz_decode.c (replay test + make fuzz).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "clusters_h5.h"
#include "err.h"
#include "pipeline.h"
#include "store_h5.h"
#include "table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int serial_pairs(struct dp_mih *ix, int threads, struct dp_pairs *out, struct dp_err *err)
{
	(void)threads;
	return dp_pipeline_pairs(ix, 1, out, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct dp_store_summary sum;
	struct dp_table t;
	struct dp_err err;
	FILE *f;

	if (!path[0]) {
		dp_store_init();
		snprintf(path, sizeof(path), "%s/doppel-fuzz-store-%ld.h5",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
	}
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	dp_err_clear(&err);
	if (dp_store_summarise(path, &sum, &err) == 0)
		dp_store_summary_free(&sum);
	if (dp_table_load(path, "fuzz", &t, &err) == 0) {
		struct dp_cluster_opts o;
		struct dp_clusters c;
		char **names = NULL;
		size_t n = 0;

		dp_cluster_opts_default(&o);
		o.threads = 1;
		if (dp_cluster_run(&t, &o, serial_pairs, NULL, NULL, &c, &err) == 0)
			dp_clusters_free(&c);
		if (dp_clusters_names(path, &names, &n, &err) == 0) {
			for (size_t i = 0; i < n; i++) {
				struct dp_clusters_read r;

				if (dp_clusters_load(path, names[i], t.n, &r, &err) == 0)
					dp_clusters_free(&r.c);
				free(names[i]);
			}
			free(names);
		}
		dp_table_free(&t);
	}
	unlink(path);
	return 0;
}
