/* src/thumb.c - one report thumbnail (see thumb.h).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "thumb.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "status.h"

#define DP_THUMB_MAX_FILE ((uint64_t)1 << 30)   /* as scan: larger files were not decoded */

void dp_thumb_make(struct dp_reader *rd, struct dp_thumb_job *job)
{
	struct dp_file_data fd;
	struct dp_err err;
	char tmp[4096];
	int st;

	job->message[0] = '\0';
	if (access(job->out, F_OK) == 0) {
		job->result = DP_THUMB_KEPT;
		return;
	}
	dp_err_clear(&err);
	if (dp_reader_read(rd, job->path, DP_THUMB_MAX_FILE, &fd, &st, &err) || !fd.complete ||
	    memcmp(fd.sha256, job->sha256, 32)) {
		job->result = DP_THUMB_CHANGED;
		snprintf(job->message, sizeof(job->message), "%.150s", err.msg[0] ? err.msg :
			 "its SHA-256 differs from the scan's: changed since");
		return;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld-%p", job->out, (long)getpid(), (void *)rd) >=
	    (int)sizeof(tmp) ||
	    dp_decode_thumbnail(fd.data, fd.len, DP_THUMB_SIDE, tmp, &err) || rename(tmp, job->out)) {
		job->result = DP_THUMB_FAILED;
		snprintf(job->message, sizeof(job->message), "%.150s", err.msg[0] ? err.msg :
			 "thumbnail: cannot write");
		unlink(tmp);
		return;
	}
	job->result = DP_THUMB_MADE;
}
