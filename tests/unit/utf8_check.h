/*!
 * \file
 * \brief An independent, naive UTF-8 check for the JSON tokenizer's tests and
 *        fuzz target (json.c has its own, table-driven one).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*! \brief Valid UTF-8 (an independent, naive check). */
static inline bool utf8_valid(const uint8_t *s, size_t len)
{
	for (size_t i = 0; i < len; ) {
		uint32_t cp = s[i];
		size_t n = (cp < 0x80) ? 1 : (cp >> 5 == 6) ? 2 : (cp >> 4 == 14) ? 3 :
		           (cp >> 3 == 30) ? 4 : 0;
		if (n == 0 || n > len - i) {
			return false;
		}
		cp = (n == 1) ? cp : cp & (0x7f >> n);
		for (size_t k = 1; k < n; k++) {
			if (s[i + k] >> 6 != 2) {
				return false;
			}
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
		if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			return false;
		}
		i += n;
	}
	return true;
}
