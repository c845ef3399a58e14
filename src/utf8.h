/* src/utf8.h - UTF-8 validation for text that holds raw path bytes (JSON, HTML).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_UTF8_H
#define DP_SRC_UTF8_H

#include <stddef.h>

/* dp_utf8_len - length (1-4) of the valid UTF-8 sequence starting at s
 * (NUL-terminated), or 0 when the bytes there are not valid UTF-8
 * (overlong forms and surrogates included). */
size_t dp_utf8_len(const unsigned char *s);

#endif
