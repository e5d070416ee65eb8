/*!
 * \file
 * \brief Memory of the big arrays: heap blocks, or mappings of their own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "mem.h"

/*! \brief What precedes every block (16 bytes keep the block aligned). */
typedef struct {
	size_t len;     /*!< Bytes of the block with this header (a mapping: its length). */
	size_t mapped;  /*!< 1: a mapping of its own; 0: from the heap. */
} mem_head_t;

/*! \brief Length of a mapping holding size bytes and the header. */
static size_t map_len(size_t size)
{
	size_t page = sysconf(_SC_PAGESIZE);
	return (size + sizeof(mem_head_t) + page - 1) / page * page;
}

/*! \brief A new block (not zeroed from the heap unless zero). */
static mem_head_t *block_new(size_t size, int zero)
{
	if (size > SIZE_MAX / 2) {
		return NULL;
	}
	mem_head_t *h;
	if (size >= MEM_MAP_MIN) {
		size_t len = map_len(size);
		h = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (h == MAP_FAILED) {
			return NULL;
		}
		*h = (mem_head_t){ .len = len, .mapped = 1 }; // pages come zeroed
		return h;
	}
	h = zero ? calloc(1, sizeof(*h) + size) : malloc(sizeof(*h) + size);
	if (h != NULL) {
		*h = (mem_head_t){ .len = sizeof(*h) + size, .mapped = 0 };
	}
	return h;
}

void *mem_alloc(size_t size)
{
	mem_head_t *h = block_new(size, 1);
	return h != NULL ? h + 1 : NULL;
}

void mem_free(void *ptr)
{
	if (ptr == NULL) {
		return;
	}
	mem_head_t *h = (mem_head_t *)ptr - 1;
	if (h->mapped) {
		munmap(h, h->len);
	} else {
		free(h);
	}
}

void mem_discard(void *ptr, size_t from, size_t to)
{
	const mem_head_t *h = (const mem_head_t *)ptr - 1;
	if (ptr == NULL || !h->mapped) {
		return;
	}
	uintptr_t page = sysconf(_SC_PAGESIZE);
	uintptr_t start = ((uintptr_t)ptr + from + page - 1) / page * page;
	uintptr_t end = ((uintptr_t)ptr + to) / page * page;
	if (end > start) {
		(void)madvise((void *)start, end - start, MADV_DONTNEED);
	}
}

void *mem_realloc(void *ptr, size_t size)
{
	if (ptr == NULL) {
		return mem_alloc(size);
	}
	mem_head_t *h = (mem_head_t *)ptr - 1;
	if (h->mapped && size >= MEM_MAP_MIN / 2) {
		size_t len = map_len(size);
		void *moved = mremap(h, h->len, len, MREMAP_MAYMOVE);
		if (moved == MAP_FAILED) {
			return NULL;
		}
		h = moved;
		h->len = len;
		return h + 1;
	}
	if (!h->mapped && size < MEM_MAP_MIN) {
		mem_head_t *moved = realloc(h, sizeof(*h) + size);
		if (moved == NULL) {
			return NULL;
		}
		moved->len = sizeof(*h) + size;
		return moved + 1;
	}
	// Between the heap and a mapping: a new block and a copy.
	mem_head_t *to = block_new(size, 0);
	if (to == NULL) {
		return NULL;
	}
	size_t keep = h->len - sizeof(*h);
	memcpy(to + 1, ptr, keep < size ? keep : size);
	mem_free(ptr);
	return to + 1;
}

int mem_grow(void **arr, size_t *cap, size_t used, size_t n, size_t sz)
{
	if (used + n <= *cap) {
		return KNOT_EOK;
	}
	size_t new_cap = *cap ? *cap : 64;
	while (new_cap < used + n) {
		if (new_cap > SIZE_MAX / 2 / sz) {
			return KNOT_ENOMEM;
		}
		new_cap *= 2;
	}
	void *p = mem_realloc(*arr, new_cap * sz);
	if (p == NULL) {
		return KNOT_ENOMEM;
	}
	*arr = p;
	*cap = new_cap;
	return KNOT_EOK;
}

void mem_shrink(void **arr, size_t *cap, size_t used, size_t sz)
{
	if (*arr == NULL || used >= *cap) {
		return;
	}
	void *p = mem_realloc(*arr, used > 0 ? used * sz : 1);
	if (p != NULL) {
		*arr = p;
		*cap = used;
	}
}
