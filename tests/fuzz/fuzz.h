/*!
 * \file
 * \brief What the fuzz targets share: a check that aborts (libFuzzer keeps the
 *        input), and the module's FNV-1a (hash.h) they compare runs with.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "hash.h"

/*! \brief Aborts, naming the failed condition, when cond is false. */
#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

