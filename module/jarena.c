/*!
 * \file
 * \brief An arena allocator for jansson, per thread and per document.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "jarena.h"

/*! \brief First block of a scope: small documents stay cheap. */
#define BLOCK_FIRST (32 * 1024)
/*! \brief Blocks double up to this size (big documents: few, mmapped blocks). */
#define BLOCK_MAX (8 * 1024 * 1024)

/*! \brief One block; allocations are carved from its end. */
typedef struct block {
	struct block *next;  /*!< Older block. */
	size_t used;         /*!< Bytes handed out. */
	size_t size;         /*!< Bytes in data. */
	_Alignas(16) uint8_t data[]; /*!< The memory. */
} block_t;

static __thread block_t *blocks;  /*!< This thread's blocks, newest first. */
static __thread bool active;      /*!< Inside a document's scope. */
static __thread size_t next_size; /*!< Size of the next block. */

/*! \brief A new block of at least size bytes, linked after the current one. */
static block_t *block_new(size_t size)
{
	bool own = size > next_size / 4; // a big allocation gets a block of its own
	size_t data = own ? size : next_size;
	block_t *b = malloc(sizeof(*b) + data);
	if (b == NULL) {
		return NULL;
	}
	b->used = 0;
	b->size = data;
	if (!own && next_size < BLOCK_MAX) {
		next_size *= 2;
	}
	if (own || blocks == NULL) {
		// Behind the current block, which keeps serving small allocations.
		b->next = blocks != NULL ? blocks->next : NULL;
		if (blocks != NULL) {
			blocks->next = b;
		} else {
			blocks = b;
		}
	} else {
		b->next = blocks;
		blocks = b;
	}
	return b;
}

static void *arena_malloc(size_t size)
{
	if (!active) {
		return malloc(size);
	}
	size = (size + 15) & ~(size_t)15;
	block_t *b = blocks;
	if (b == NULL || b->size - b->used < size) {
		b = block_new(size);
		if (b == NULL) {
			return NULL;
		}
	}
	void *p = b->data + b->used;
	b->used += size;
	return p;
}

static void arena_free(void *ptr)
{
	if (!active) {
		free(ptr);
	} // inside a scope, everything goes with the arena
}

void jarena_install(void)
{
	json_set_alloc_funcs(arena_malloc, arena_free);
}

void jarena_begin(void)
{
	active = true;
	next_size = BLOCK_FIRST;
}

void jarena_end(void)
{
	active = false;
	while (blocks != NULL) {
		block_t *next = blocks->next;
		free(blocks);
		blocks = next;
	}
}
