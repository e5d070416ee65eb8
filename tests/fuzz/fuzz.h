/*!
 * \file
 * \brief What the fuzz targets share: a check that aborts (libFuzzer keeps the
 *        input) and the FNV-1a hash they compare runs with.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/*! \brief Aborts, naming the failed condition, when cond is false. */
#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/*! \brief FNV-1a's start value. */
#define FNV_START 0xcbf29ce484222325ULL

/*! \brief Goes on with a 64-bit FNV-1a hash over bytes. */
static inline uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const uint8_t *s = data;
	for (size_t i = 0; i < len; i++) {
		h = (h ^ s[i]) * 0x100000001b3ULL;
	}
	return h;
}
