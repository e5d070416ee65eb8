/*!
 * \file
 * \brief The one FNV-1a 64 of the module (and its tests and benchmarks): a start
 *        value, a step over bytes, a whole-buffer hash, and a word-wise variant for
 *        long texts.
 *
 * The snapshot's checksum is FNV-1a 64 (doc: snapshot.c): these values are part of
 * its file format and must not change.
 */

#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*! \brief FNV-1a 64's start value (offset basis). */
#define FNV1A_START 0xcbf29ce484222325ULL

/*! \brief FNV-1a 64's prime. */
#define FNV1A_PRIME 0x100000001b3ULL

/*! \brief Goes on with an FNV-1a 64 hash `h` over bytes. */
static inline uint64_t fnv1a_step(uint64_t h, const void *data, size_t len)
{
	const uint8_t *s = data;
	for (size_t i = 0; i < len; i++) {
		h = (h ^ s[i]) * FNV1A_PRIME;
	}
	return h;
}

/*! \brief FNV-1a 64 of a whole buffer. */
static inline uint64_t fnv1a(const void *data, size_t len)
{
	return fnv1a_step(FNV1A_START, data, len);
}

/*!
 * \brief A quick 64-bit hash of a long text (not FNV-1a's values): the same
 *        multiply-xor over 8-byte words, with a shift to mix high bits down, the
 *        tail byte by byte. Only for comparing texts in memory, never stored.
 */
static inline uint64_t fnv1a_words(const void *data, size_t len)
{
	const uint8_t *s = data;
	uint64_t h = FNV1A_START ^ len;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t word;
		memcpy(&word, s + i, 8);
		h = (h ^ word) * FNV1A_PRIME;
		h ^= h >> 29;
	}
	h = fnv1a_step(h, s + i, len - i);
	return h ^ (h >> 32);
}
