/* src/err.c - error message carrier (see err.h).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int dp_err_set(struct dp_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int dp_err_prefix(struct dp_err *err, const char *fmt, ...)
{
	char ctx[DP_ERR_MSG_MAX];
	size_t clen, mlen;
	va_list ap;

	if (!err)
		return DP_E_ARG;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx) - 2, fmt, ap);
	va_end(ap);
	strcat(ctx, ": ");
	clen = strlen(ctx);
	if (clen >= sizeof(err->msg))
		clen = sizeof(err->msg) - 1;
	mlen = strnlen(err->msg, sizeof(err->msg) - 1);
	if (clen + mlen >= sizeof(err->msg))
		mlen = sizeof(err->msg) - 1 - clen;
	memmove(err->msg + clen, err->msg, mlen);
	memcpy(err->msg, ctx, clen);
	err->msg[clen + mlen] = '\0';
	return err->code;
}

void dp_err_clear(struct dp_err *err)
{
	if (!err)
		return;
	err->code = DP_OK;
	err->msg[0] = '\0';
}

const char *dp_status_name(int code)
{
	switch (code) {
	case DP_OK: return "ok";
	case DP_E_IO: return "io";
	case DP_E_DECODE: return "decode";
	case DP_E_NOMEM: return "nomem";
	case DP_E_FORMAT: return "format";
	case DP_E_HDF5: return "hdf5";
	case DP_E_ARG: return "arg";
	case DP_E_LIMIT: return "limit";
	case DP_E_INTERRUPTED: return "interrupted";
	}
	return "unknown";
}
