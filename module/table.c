/*!
 * \file
 * \brief A built table and its reads: the name index, the table's lifetime, and
 *        the lookups and accessors the query path uses.
 *
 * The build (table_build.c) makes the table through table_node_add() and the
 * layout in table_impl.h; everything here is read-only but for the index's
 * inserts and the reference count.
 */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "table_impl.h"

const knot_dname_t *table_owner(const table_t *table, const table_node_t *node)
{
	return table->names + node->owner;
}

knot_rdataset_t table_rdataset(const table_t *table, const table_rrset_t *set)
{
	knot_rdataset_t rrs = { .count = set->count,
	                        .rdata = (knot_rdata_t *)(table->rdata + set->rdata) };
	if (set->type == KNOT_RRTYPE_A || set->type == KNOT_RRTYPE_AAAA) {
		// fixed size (rdata_check): no walk over a big proc set
		rrs.size = set->count * knot_rdata_size(rrs.rdata->len);
		return rrs;
	}
	knot_rdata_t *rd = rrs.rdata;
	for (uint16_t i = 0; i < set->count; i++) {
		rrs.size += knot_rdata_size(rd->len);
		rd = knot_rdataset_next(rd);
	}
	return rrs;
}

const rr_view_t *table_view(const table_t *table, const table_rrset_t *set)
{
	return &table->views[set->view];
}

/*
 * The name index's inserts: the build adds every node through table_node_add();
 * lookups only probe (index_find(), table_impl.h).
 */

/*! \brief Puts node n into an index of mask + 1 slots. */
static void index_put(uint32_t *slots, uint32_t mask, const table_t *t, uint32_t n)
{
	const table_node_t *node = &t->nodes[n];
	uint32_t hash = hash_bytes(t->names + node->owner, node->owner_len);
	uint32_t i = hash & mask;
	while (slots[i] != 0) {
		i = (i + 1) & mask;
	}
	slots[i] = slot_tag(hash) | (n + 1);
}

/*! \brief Doubles the index when it is three quarters full. */
static int index_reserve(table_t *t)
{
	if (t->node_count + 1 <= (t->slot_mask + 1) / 4 * 3) {
		return KNOT_EOK;
	}
	uint32_t mask = t->slot_mask * 2 + 1;
	uint32_t *slots = mem_alloc(((size_t)mask + 1) * sizeof(*slots));
	if (slots == NULL) {
		return KNOT_ENOMEM;
	}
	for (uint32_t n = 0; n < t->node_count; n++) {
		index_put(slots, mask, t, n);
	}
	mem_free(t->slots);
	t->slots = slots;
	t->slot_mask = mask;
	return KNOT_EOK;
}

int32_t table_node_add(table_t *t, uint32_t owner, uint8_t len)
{
	if (t->node_count >= NODES_MAX) {
		return KNOT_ERANGE;
	}
	if (index_reserve(t) != KNOT_EOK ||
	    mem_grow((void **)&t->nodes, &t->node_cap, t->node_count, 1,
	            sizeof(*t->nodes)) != KNOT_EOK) {
		return KNOT_ENOMEM;
	}
	int32_t n = t->node_count++;
	table_node_t *node = &t->nodes[n];
	memset(node, 0, sizeof(*node));
	node->owner = owner;
	node->owner_len = len;
	node->parent = -1;
	const uint8_t *name = t->names + owner;
	if (name[0] == 1 && name[1] == '*') {
		node->flags |= TABLE_NODE_WILDCARD;
	}
	index_put(t->slots, t->slot_mask, t, n);
	return n;
}

table_t *table_ref(table_t *table)
{
	if (table != NULL) {
		atomic_fetch_add(&table->refs, 1);
	}
	return table;
}

void table_free(table_t *table)
{
	if (table == NULL || atomic_fetch_sub(&table->refs, 1) > 1) {
		return;
	}
	mem_free(table->nodes);
	mem_free(table->slots);
	mem_free(table->rrsets);
	mem_free(table->names);
	mem_free(table->rdata);
	mem_free(table->views);
	mem_free(table->locs);
	free(table);
}

table_stats_t table_stats(const table_t *t)
{
	table_stats_t s = {
		.records = t->records,
		.nodes = t->node_count,
		.rrsets = t->rrset_count,
		.bytes = sizeof(*t) + t->node_cap * sizeof(*t->nodes) +
		         (t->slot_mask + 1) * sizeof(*t->slots) +
		         t->rrset_count * sizeof(*t->rrsets) + t->names_len + t->rdata_len +
		         t->view_count * sizeof(*t->views) + t->loc_count * sizeof(*t->locs),
	};
	memcpy(s.by_kind, t->by_kind, sizeof(s.by_kind));
	s.tinydns = t->tinydns;
	return s;
}

uint32_t table_serial(const table_t *table)
{
	return table->serial;
}

void table_client_locate(const table_t *t, table_client_t *client)
{
	client->loc[0] = client->loc[1] = 0;
	const uint8_t *addr = (const uint8_t *)&client->addr;
	for (uint32_t i = 0; i < t->loc_count; i++) {
		const rr_loc_t *rule = &t->locs[i];
		if (memcmp(rule->prefix, addr, rule->len) == 0) {
			memcpy(client->loc, rule->loc, 2);
			return;
		}
	}
}

const table_node_t *table_node(const table_t *table, int32_t index)
{
	return index < 0 ? NULL : &table->nodes[index];
}

const table_node_t *table_find(const table_t *table, const knot_dname_t *name)
{
	return table_node(table, index_find(table, name, knot_dname_size(name)));
}

/*! \brief True when some records at the node are for clients on this address. */
static bool node_serves(const table_t *t, const table_node_t *node, uint32_t addr)
{
	const table_rrset_t *sets = &t->rrsets[node->rrsets];
	for (uint32_t i = 0; i < node->rrset_count; i++) {
		if (t->views[sets[i].view].node == addr) {
			return true;
		}
	}
	return false;
}

/*! \brief True when the client may see the rrset of the node now. */
static bool rrset_visible(const table_t *t, const table_node_t *node,
                          const table_rrset_t *set, const table_client_t *client)
{
	const rr_view_t *v = &t->views[set->view];
	if ((v->node != 0 || v->loc[0] != 0 || v->loc[1] != 0) && client->scoped != NULL) {
		*client->scoped = true;
	}
	if ((v->loc[0] != 0 || v->loc[1] != 0) &&
	    (v->loc[0] != client->loc[0] || v->loc[1] != client->loc[1])) {
		return false;
	}
	if (v->tai != 0 && (v->expires ? client->now >= v->tai : client->now < v->tai)) {
		return false;
	}
	if (v->node == 0 || v->node == client->addr) {
		return true;
	}
	return client->portal_all && !node_serves(t, node, client->addr);
}

const table_rrset_t *table_rrset_next(const table_t *t, const table_node_t *node,
                                      uint16_t type, const table_client_t *client,
                                      uint32_t *pos)
{
	while (*pos < node->rrset_count) {
		const table_rrset_t *set = &t->rrsets[node->rrsets + (*pos)++];
		if ((type == KNOT_RRTYPE_ANY || set->type == type) &&
		    rrset_visible(t, node, set, client)) {
			return set;
		}
	}
	return NULL;
}

/*! \brief True when the client sees any record at the node. */
static bool node_has_data(const table_t *t, const table_node_t *node,
                          const table_client_t *client)
{
	if (!(node->flags & TABLE_NODE_DATA)) {
		return false;
	}
	if (!(node->flags & TABLE_NODE_VIEWS)) {
		return true;
	}
	return table_has(t, node, KNOT_RRTYPE_ANY, client);
}

/*! \brief Deepest node at or above the name: the name itself when it exists. */
static const table_node_t *closest_node(const table_t *t, const knot_dname_t *name)
{
	for (;;) {
		int32_t n = index_find(t, name, knot_dname_size(name));
		if (n >= 0) {
			return &t->nodes[n];
		}
		if (*name == 0) {
			return NULL;
		}
		name += *name + 1;
	}
}

/*! \brief The node '*.<owner of node>', NULL if none. */
static const table_node_t *wildcard_of(const table_t *t, const table_node_t *node)
{
	if (!(node->flags & TABLE_NODE_HAS_WILD)) {
		return NULL;
	}
	uint8_t name[KNOT_DNAME_MAXLEN + 2] = { 1, '*' };
	memcpy(name + 2, t->names + node->owner, node->owner_len);
	return table_node(t, index_find(t, name, node->owner_len + 2));
}

void table_lookup(const table_t *t, const knot_dname_t *qname,
                  const table_client_t *client, table_result_t *res)
{
	memset(res, 0, sizeof(*res));
	const table_node_t *closest = closest_node(t, qname);
	if (closest == NULL) {
		return;
	}

	// The apex: the first non-wildcard name at or above with a visible NS.
	const table_node_t *apex = closest;
	while (!(apex->flags & TABLE_NODE_NS) || (apex->flags & TABLE_NODE_WILDCARD) ||
	       !table_has(t, apex, KNOT_RRTYPE_NS, client)) { // a wildcard's NS is data
		apex = table_node(t, apex->parent);
		if (apex == NULL) {
			return;
		}
	}
	res->apex = apex;
	if (!(apex->flags & TABLE_NODE_SOA) || !table_has(t, apex, KNOT_RRTYPE_SOA, client)) {
		res->status = TABLE_DELEGATION;
		return;
	}

	// The name itself: records the client sees, or children (not tinydns: an
	// empty non-terminal exists).
	bool exact = closest->owner_len == knot_dname_size(qname);
	if (exact && (node_has_data(t, closest, client) ||
	              (closest->flags & TABLE_NODE_CHILDREN))) {
		res->status = TABLE_FOUND;
		res->node = closest;
		return;
	}

	// Wildcards of every ancestor up to the apex; an existing name blocks
	// only itself (tinydns).
	const table_node_t *up = exact ? table_node(t, closest->parent) : closest;
	for (; up != NULL; up = table_node(t, up->parent)) {
		const table_node_t *wild = wildcard_of(t, up);
		if (wild != NULL && node_has_data(t, wild, client)) {
			res->status = TABLE_WILDCARD;
			res->node = wild;
			return;
		}
		if (up == apex) {
			break;
		}
	}
	res->status = TABLE_NXDOMAIN;
}
