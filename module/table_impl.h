/*!
 * \file
 * \brief The table's private layout, shared by its build (table_build.c) and its
 *        reads (table.c); no other file includes it.
 *
 * The name index's slot format and its probe, index_find(), are here because
 * both halves probe it. index_find() is static and not marked inline, so the
 * compiler decides about it as it did when the halves were one file: the
 * lookups' machine code is the same as before the split.
 */
#pragma once

#include <stdatomic.h>
#include <string.h>

#include "hash.h"
#include "table.h"

/*!
 * \brief An index slot: node index + 1 in the low 24 bits (0 = empty), the top
 *        8 bits of the name's hash above, so most probes of other names are
 *        told apart without reading their node.
 */
#define SLOT_BITS 24
#define SLOT_NODE ((1U << SLOT_BITS) - 1)

/*! \brief Most nodes a table holds (what a slot can name). */
#define NODES_MAX (SLOT_NODE - 1)

/*! \brief The tag of a hash in a slot. */
static inline uint32_t slot_tag(uint32_t hash)
{
	return hash & ~SLOT_NODE;
}

/*! \brief A table: flat arrays addressed by 32-bit offsets (see table.h). */
struct table {
	table_node_t *nodes;     /*!< Nodes; ancestors of every owner included. */
	uint32_t node_count;     /*!< Nodes in use. */
	size_t node_cap;         /*!< Nodes allocated. */
	uint32_t *slots;         /*!< Open-addressing index of the nodes (see SLOT_BITS). */
	uint32_t slot_mask;      /*!< Slots - 1 (a power of two). */
	uint8_t *names;          /*!< Owner names, one after another. */
	size_t names_len;        /*!< Bytes of names in use. */
	size_t names_cap;        /*!< Bytes of names allocated. */
	table_rrset_t *rrsets;   /*!< All rrsets, grouped by node. */
	uint32_t rrset_count;    /*!< Rrsets allocated (some may be unused). */
	uint8_t *rdata;          /*!< All rdata (knot_rdata_t, 2-byte aligned). */
	size_t rdata_len;        /*!< Bytes of rdata. */
	rr_view_t *views;        /*!< Distinct views; views[0] is everyone's. */
	size_t view_count;       /*!< Views in use. */
	size_t view_cap;         /*!< Views allocated. */
	rr_loc_t *locs;          /*!< Location rules, longest prefix first. */
	size_t loc_count;        /*!< Rules. */
	size_t loc_cap;          /*!< Rules allocated. */
	size_t records;          /*!< Records loaded. */
	size_t by_kind[RR_KIND_COUNT]; /*!< Records by kind. */
	size_t tinydns;          /*!< Records from tinydns_fqdns (RR_FLAG_TINYDNS). */
	uint32_t serial;         /*!< Serial of automatic SOAs. */
	atomic_uint refs;        /*!< References; the last table_free frees. */
};

/*! \brief A name's hash in the index: FNV-1a 64 folded to 32 bits. */
static inline uint32_t hash_bytes(const uint8_t *data, size_t len)
{
	uint64_t h = fnv1a(data, len);
	return (uint32_t)(h ^ (h >> 32));
}

/*!
 * \brief Index of the node with this name, -1 if none.
 *
 * (Not inline on purpose: see the file's comment.)
 */
static int32_t index_find(const table_t *t, const uint8_t *name, size_t len)
{
	uint32_t hash = hash_bytes(name, len);
	uint32_t tag = slot_tag(hash);
	for (uint32_t i = hash & t->slot_mask;; i = (i + 1) & t->slot_mask) {
		uint32_t slot = t->slots[i];
		if (slot == 0) {
			return -1;
		} else if (slot_tag(slot) != tag) {
			continue;
		}
		int32_t n = (slot & SLOT_NODE) - 1;
		const table_node_t *node = &t->nodes[n];
		if (node->owner_len == len && memcmp(t->names + node->owner, name, len) == 0) {
			return n;
		}
	}
}

/*!
 * \brief Adds a node (not present yet) whose owner is at names + owner, and
 *        indexes it.
 * \return Its index, or < 0 (KNOT_ENOMEM, KNOT_ERANGE).
 */
int32_t table_node_add(table_t *t, uint32_t owner, uint8_t len);
