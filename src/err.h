/* src/err.h - error codes and the error message carrier used by every module.
 *
 * Functions that can fail return 0 on success or a negative enum dp_status
 * value, and fill a struct dp_err (when the caller passes one) with a message
 * of the form "<stage>: <path>: <cause>". The function that detects an error
 * writes the message; callers may add context with dp_err_prefix() but never
 * overwrite it. Library code never prints and never exits.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_ERR_H
#define DP_SRC_ERR_H

#include <stddef.h>

#define DP_WUR __attribute__((warn_unused_result))

enum dp_status {
	DP_OK = 0,
	DP_E_IO = -1,      /* read/write/open failure */
	DP_E_DECODE = -2,  /* image data could not be decoded */
	DP_E_NOMEM = -3,   /* allocation failed or size overflow */
	DP_E_FORMAT = -4,  /* input is not in the expected format */
	DP_E_HDF5 = -5,    /* HDF5 library failure */
	DP_E_ARG = -6,     /* invalid argument (caller error or usage) */
	DP_E_LIMIT = -7,   /* input exceeds a configured limit */
	DP_E_INTERRUPTED = -8, /* stopped on request (signal) */
};

#define DP_ERR_MSG_MAX 512

struct dp_err {
	int code;                  /* enum dp_status of the first error */
	char msg[DP_ERR_MSG_MAX];  /* NUL-terminated, possibly truncated */
};

/*
 * dp_err_set - record an error: sets err->code and formats err->msg.
 * err may be NULL (then only the code is returned). Returns code, so callers
 * can write "return dp_err_set(err, DP_E_IO, "read: %s: %s", path, why);".
 * Thread-safe (touches only *err).
 */
int dp_err_set(struct dp_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * dp_err_prefix - prepend context ("<ctx>: ") to an existing message.
 * Does nothing when err is NULL. Returns err->code (or DP_E_ARG for NULL).
 */
int dp_err_prefix(struct dp_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* dp_err_clear - reset to DP_OK and an empty message. err may be NULL. */
void dp_err_clear(struct dp_err *err);

/* dp_status_name - short constant name of an enum dp_status ("io", "decode"...). */
const char *dp_status_name(int code);

#endif
