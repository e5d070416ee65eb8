/*!
 * \file
 * \brief Memory of the big arrays: tables, documents' data, record lists.
 *
 * glibc serves an allocation below its mmap threshold from its heaps, and it
 * raises that threshold (up to 32 MB) each time a mapped block is freed. The
 * table and a document's data are rebuilt on every update and freed whole:
 * from the heaps, their memory would stay with knotd after they are freed
 * (holes between live blocks), and a growing array would be copied. So an
 * array of MEM_MAP_MIN bytes or more is a private mapping of its own: grown
 * in place by mremap, given back to the system the moment it is freed. Only
 * the pages written to count in knotd's RSS.
 */
#pragma once

#include <stddef.h>

/*! \brief Arrays this big and bigger are mappings of their own. */
#define MEM_MAP_MIN (128 * 1024)

/*! \brief Allocates size bytes, zeroed; NULL when out of memory. */
void *mem_alloc(size_t size);

/*! \brief Resizes (content kept up to the smaller size); NULL when out of memory. */
void *mem_realloc(void *ptr, size_t size);

/*! \brief Frees memory of mem_alloc or mem_realloc (NULL is allowed). */
void mem_free(void *ptr);

/*!
 * \brief Makes room for n more items of size sz in a growable array (doubling
 *        from 64 items).
 * \return KNOT_EOK or KNOT_ENOMEM (the array is unchanged).
 */
int mem_grow(void **arr, size_t *cap, size_t used, size_t n, size_t sz);

/*!
 * \brief Bytes [from, to) of a block are read and needed no more: a mapping
 *        gives their whole pages back at once (they read as zeros after);
 *        a heap block keeps them.
 */
void mem_discard(void *ptr, size_t from, size_t to);

/*! \brief Gives back what an array grew past its use (used items stay). */
void mem_shrink(void **arr, size_t *cap, size_t used, size_t sz);
