/*!
 * \file
 * \brief Record table: build from records, look names up.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

/*! \brief Chunk of the growable node array and hash index. */
struct table {
	table_node_t *nodes;     /*!< Nodes; ancestors of every owner included. */
	uint32_t node_count;     /*!< Nodes in use. */
	uint32_t node_cap;       /*!< Nodes allocated. */
	uint32_t *slots;         /*!< Open-addressing index: node index + 1, 0 = empty. */
	uint32_t slot_mask;      /*!< Slots - 1 (a power of two). */
	table_rrset_t *rrsets;   /*!< All rrsets, grouped by node. */
	uint32_t rrset_count;    /*!< Rrsets. */
	uint8_t *names;          /*!< Owner names. */
	uint8_t *rdata;          /*!< All rdata (knot_rdata_t, 2-byte aligned). */
	size_t rdata_len;        /*!< Bytes of rdata. */
	size_t names_len;        /*!< Bytes of names. */
	rr_loc_t *locs;          /*!< Location rules, longest prefix first. */
	uint32_t loc_count;      /*!< Rules. */
	size_t records;          /*!< Records loaded. */
	size_t by_kind[RR_KIND_COUNT]; /*!< Records by kind. */
	uint32_t serial;         /*!< Serial of automatic SOAs. */
	atomic_uint refs;        /*!< References; the last table_free frees. */
};

/*! \brief FNV-1a over a wire-format name. */
static uint32_t name_hash(const uint8_t *name, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= name[i];
		h *= 0x100000001b3ULL;
	}
	return (uint32_t)(h ^ (h >> 32));
}

/*! \brief Index of the node with this name, -1 if none. */
static int32_t index_find(const table_t *t, const uint8_t *name, size_t len)
{
	uint32_t i = name_hash(name, len) & t->slot_mask;
	for (;;) {
		uint32_t slot = t->slots[i];
		if (slot == 0) {
			return -1;
		}
		const table_node_t *node = &t->nodes[slot - 1];
		if (node->owner_len == len && memcmp(node->owner, name, len) == 0) {
			return slot - 1;
		}
		i = (i + 1) & t->slot_mask;
	}
}

/*! \brief Doubles the index when it is half full. */
static int index_grow(table_t *t)
{
	uint32_t cap = (t->slot_mask + 1) * 2;
	uint32_t *slots = calloc(cap, sizeof(*slots));
	if (slots == NULL) {
		return KNOT_ENOMEM;
	}
	for (uint32_t n = 0; n < t->node_count; n++) {
		const table_node_t *node = &t->nodes[n];
		uint32_t i = name_hash(node->owner, node->owner_len) & (cap - 1);
		while (slots[i] != 0) {
			i = (i + 1) & (cap - 1);
		}
		slots[i] = n + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->slot_mask = cap - 1;
	return KNOT_EOK;
}

/*! \brief Adds a node for a name (not present yet); returns its index or < 0. */
static int32_t node_add(table_t *t, const knot_dname_t *owner)
{
	if (t->node_count + 1 > (t->slot_mask + 1) / 2 && index_grow(t) != KNOT_EOK) {
		return KNOT_ENOMEM;
	}
	if (t->node_count == t->node_cap) {
		uint32_t cap = t->node_cap ? t->node_cap * 2 : 256;
		table_node_t *nodes = realloc(t->nodes, cap * sizeof(*nodes));
		if (nodes == NULL) {
			return KNOT_ENOMEM;
		}
		t->nodes = nodes;
		t->node_cap = cap;
	}
	int32_t n = t->node_count++;
	table_node_t *node = &t->nodes[n];
	memset(node, 0, sizeof(*node));
	node->owner = owner;
	node->owner_len = knot_dname_size(owner);
	node->parent = -1;
	node->wildcard = -1;
	if (owner[0] == 1 && owner[1] == '*') {
		node->flags |= TABLE_NODE_WILDCARD;
	}

	uint32_t i = name_hash(owner, node->owner_len) & t->slot_mask;
	while (t->slots[i] != 0) {
		i = (i + 1) & t->slot_mask;
	}
	t->slots[i] = n + 1;
	return n;
}

/*! \brief Order of the records of one name: type, view, appearance. */
static int rr_order(const void *a, const void *b, void *arg)
{
	const rr_list_t *list = arg;
	const rr_t *x = &list->rrs[*(const uint32_t *)a];
	const rr_t *y = &list->rrs[*(const uint32_t *)b];
	if (x->type != y->type) {
		return x->type < y->type ? -1 : 1;
	}
	if (x->type == KNOT_RRTYPE_SOA || x->type == KNOT_RRTYPE_CNAME) {
		// First visible in file order wins: keep these in file order.
		return x->seq < y->seq ? -1 : (x->seq > y->seq);
	}
	int cmp = memcmp(&x->view, &y->view, sizeof(x->view));
	if (cmp != 0) {
		return cmp;
	}
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

/*!
 * \brief Groups the records by owner without sorting names: every owner gets
 *        its node through the hash index (in order of first appearance), then a
 *        counting sort puts each node's records together, ordered by rr_order.
 *
 * \param order  Out: record indices grouped by node.
 * \param start  Out: node n's records are order[start[n]] .. order[start[n + 1] - 1].
 */
static int group_records(table_t *t, const rr_list_t *list, uint32_t *order, uint32_t **start)
{
	uint32_t *node_of = malloc((list->count + 1) * sizeof(*node_of));
	if (node_of == NULL) {
		return KNOT_ENOMEM;
	}
	for (size_t i = 0; i < list->count; i++) {
		const rr_t *rr = &list->rrs[i];
		const knot_dname_t *owner = rr_owner(list, rr);
		int32_t n = index_find(t, owner, rr->rdata - rr->owner);
		if (n < 0 && (n = node_add(t, owner)) < 0) { // owner copied in later
			free(node_of);
			return n;
		}
		node_of[i] = n;
	}
	*start = calloc(t->node_count + 2, sizeof(**start));
	if (*start == NULL) {
		free(node_of);
		return KNOT_ENOMEM;
	}
	uint32_t *pos = *start + 1;
	for (size_t i = 0; i < list->count; i++) {
		pos[node_of[i]]++;
	}
	for (uint32_t n = 1; n <= t->node_count; n++) {
		pos[n] += pos[n - 1];
	}
	// pos[n] is the end of node n: place backwards, keeping appearance order;
	// pos[n] ends at the start of node n, one place above where start wants it.
	for (size_t i = list->count; i-- > 0;) {
		order[--pos[node_of[i]]] = i;
	}
	memmove(*start, pos, t->node_count * sizeof(**start));
	(*start)[t->node_count] = list->count;
	free(node_of);
	for (uint32_t n = 0; n < t->node_count; n++) {
		uint32_t from = (*start)[n], to = (*start)[n + 1];
		if (to - from > 1) {
			qsort_r(order + from, to - from, sizeof(*order), rr_order, (void *)list);
		}
	}
	return KNOT_EOK;
}

/*! \brief Copies the owners of the record nodes into the table's own memory. */
static int own_names(table_t *t)
{
	size_t names = 0;
	for (uint32_t n = 0; n < t->node_count; n++) {
		names += t->nodes[n].owner_len;
	}
	t->names = malloc(names + 1);
	if (t->names == NULL) {
		return KNOT_ENOMEM;
	}
	for (uint32_t n = 0; n < t->node_count; n++) {
		table_node_t *node = &t->nodes[n];
		uint8_t *copy = t->names + t->names_len;
		memcpy(copy, node->owner, node->owner_len);
		node->owner = copy;
		t->names_len += node->owner_len;
	}
	return KNOT_EOK;
}

/*! \brief Writes the serial into an SOA rdata (after mname and rname). */
static void soa_set_serial(knot_rdata_t *rd, uint32_t serial)
{
	size_t mname = knot_dname_size(rd->data);
	if (mname >= rd->len) {
		return;
	}
	size_t rname = knot_dname_size(rd->data + mname);
	if (mname + rname + 4 > rd->len) {
		return;
	}
	knot_wire_write_u32(rd->data + mname + rname, serial);
}

/*! \brief True when two records of one name belong to one rrset. */
static bool same_rrset(const rr_t *x, const rr_t *y)
{
	return x->type == y->type && memcmp(&x->view, &y->view, sizeof(x->view)) == 0;
}

/*! \brief Starts a new rrset at the node for the record's type and view. */
static table_rrset_t *rrset_add(table_t *t, table_node_t *node, const rr_t *rr)
{
	static const rr_view_t none;
	table_rrset_t *set = &t->rrsets[t->rrset_count++];
	set->type = rr->type;
	set->kind = rr->kind;
	set->view = rr->view;
	set->rrs.rdata = (knot_rdata_t *)(t->rdata + t->rdata_len);
	node->rrset_count++;
	if (rr->type == KNOT_RRTYPE_NS) {
		node->flags |= TABLE_NODE_NS;
	} else if (rr->type == KNOT_RRTYPE_SOA) {
		node->flags |= TABLE_NODE_SOA;
	}
	if (memcmp(&rr->view, &none, sizeof(none)) != 0) {
		node->flags |= TABLE_NODE_VIEWS;
	}
	return set;
}

/*! \brief Appends a record's rdata to the rrset begun last. */
static void rrset_put(table_t *t, table_rrset_t *set, const rr_t *rr, const uint8_t *rdata)
{
	knot_rdata_t *rd = (knot_rdata_t *)(t->rdata + t->rdata_len);
	knot_rdata_init(rd, rr->rdlen, rdata);
	if (rr->type == KNOT_RRTYPE_SOA && (rr->flags & RR_FLAG_AUTO_SERIAL)) {
		soa_set_serial(rd, t->serial);
	}
	t->rdata_len += knot_rdata_size(rr->rdlen);
	set->rrs.count++;
	set->rrs.size += knot_rdata_size(rr->rdlen);
	set->ttl = rr->ttl;
	t->records++;
	t->by_kind[rr->kind < RR_KIND_COUNT ? rr->kind : RR_KIND_STATIC]++;
}


/*!
 * \brief Rank of a record's kind where several kinds share a name: operators'
 *        lines, then portals, proc names, app names.
 */
static int kind_rank(uint8_t kind)
{
	switch (kind) {
	case RR_KIND_PORTAL: return 3;
	case RR_KIND_PROC:   return 2;
	case RR_KIND_APP:    return 1;
	default:             return 4; // RR_KIND_STATIC, RR_KIND_DEFAULT
	}
}

/*! \brief True when the records of a name are of different ranks. */
static bool mixed_ranks(const rr_list_t *list, const uint32_t *order, size_t start, size_t end)
{
	int rank = kind_rank(list->rrs[order[start]].kind);
	for (size_t i = start + 1; i < end; i++) {
		if (kind_rank(list->rrs[order[i]].kind) != rank) {
			return true;
		}
	}
	return false;
}

/*!
 * \brief True when a record of a higher rank at the same name has the same
 *        type or is a CNAME: names collide, the higher rank is served.
 */
static bool shadowed(const rr_list_t *list, const uint32_t *order, size_t start,
                     size_t end, const rr_t *rr)
{
	int rank = kind_rank(rr->kind);
	for (size_t i = start; i < end; i++) {
		const rr_t *other = &list->rrs[order[i]];
		if (kind_rank(other->kind) > rank &&
		    (other->type == rr->type || other->type == KNOT_RRTYPE_CNAME)) {
			return true;
		}
	}
	return false;
}

/*! \brief Makes the rrsets of every node from its grouped records. */
static int load_records(table_t *t, const rr_list_t *list, const uint32_t *order,
                        const uint32_t *start)
{
	size_t rdata = 0;
	for (size_t i = 0; i < list->count; i++) {
		rdata += knot_rdata_size(list->rrs[i].rdlen);
	}
	t->rdata = malloc(rdata + 2);
	t->rrsets = calloc(list->count + 1, sizeof(*t->rrsets));
	if (t->rdata == NULL || t->rrsets == NULL) {
		return KNOT_ENOMEM;
	}
	for (uint32_t n = 0; n < t->node_count; n++) {
		table_node_t *node = &t->nodes[n];
		node->rrsets = t->rrsets + t->rrset_count;
		node->flags |= TABLE_NODE_DATA;
		bool mixed = mixed_ranks(list, order, start[n], start[n + 1]);
		table_rrset_t *set = NULL;
		const rr_t *last = NULL;
		for (size_t i = start[n]; i < start[n + 1]; i++) {
			const rr_t *rr = &list->rrs[order[i]];
			if (mixed && shadowed(list, order, start[n], start[n + 1], rr)) {
				continue; // hidden by a record of a higher rank at the same name
			}
			if (rr->type == KNOT_RRTYPE_SOA && set != NULL && same_rrset(rr, last)) {
				continue; // one SOA per name and view: the first one wins
			}
			if (set == NULL || !same_rrset(rr, last)) {
				set = rrset_add(t, node, rr);
			}
			rrset_put(t, set, rr, rr_rdata(list, rr));
			last = rr;
		}
	}
	return KNOT_EOK;
}

/*! \brief Adds every missing ancestor, links parents, wildcards and children. */
static int link_nodes(table_t *t)
{
	// Ancestors are suffixes of an existing owner: they share its bytes.
	uint32_t with_data = t->node_count;
	for (uint32_t n = 0; n < with_data; n++) {
		const knot_dname_t *name = t->nodes[n].owner;
		while (*name != 0) {
			name += *name + 1;
			if (index_find(t, name, knot_dname_size(name)) >= 0) {
				break;
			}
			int32_t added = node_add(t, name);
			if (added < 0) {
				return added;
			}
		}
	}
	for (uint32_t n = 0; n < t->node_count; n++) {
		table_node_t *node = &t->nodes[n];
		if (node->owner[0] == 0) {
			continue;
		}
		const knot_dname_t *up = node->owner + node->owner[0] + 1;
		node->parent = index_find(t, up, knot_dname_size(up));
		table_node_t *parent = &t->nodes[node->parent];
		parent->flags |= TABLE_NODE_CHILDREN;
		if (node->flags & TABLE_NODE_WILDCARD) {
			parent->wildcard = n;
		}
	}
	return KNOT_EOK;
}

/*! \brief Orders location rules: longest prefix first, then first written. */
static int loc_order(const void *a, const void *b)
{
	const rr_loc_t *x = a, *y = b;
	if (x->len != y->len) {
		return x->len > y->len ? -1 : 1;
	}
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

table_t *table_build(const rr_list_t *list, uint32_t serial)
{
	table_t *t = calloc(1, sizeof(*t));
	uint32_t *order = malloc((list->count + 1) * sizeof(*order));
	uint32_t *start = NULL;
	if (t == NULL || order == NULL) {
		goto fail;
	}
	atomic_init(&t->refs, 1);
	t->serial = serial;
	// Names are about the records plus their ancestors: start at 4 slots a record.
	t->slot_mask = 1023;
	while (t->slot_mask < list->count * 4 && t->slot_mask < (1U << 30)) {
		t->slot_mask = t->slot_mask * 2 + 1;
	}
	t->slots = calloc(t->slot_mask + 1, sizeof(*t->slots));
	if (t->slots == NULL) {
		goto fail;
	}
	if (group_records(t, list, order, &start) != KNOT_EOK || own_names(t) != KNOT_EOK ||
	    load_records(t, list, order, start) != KNOT_EOK || link_nodes(t) != KNOT_EOK) {
		goto fail;
	}
	if (list->loc_count > 0) {
		t->locs = malloc(list->loc_count * sizeof(*t->locs));
		if (t->locs == NULL) {
			goto fail;
		}
		memcpy(t->locs, list->locs, list->loc_count * sizeof(*t->locs));
		t->loc_count = list->loc_count;
		qsort(t->locs, t->loc_count, sizeof(*t->locs), loc_order);
	}
	free(order);
	free(start);
	return t;
fail:
	free(order);
	free(start);
	table_free(t);
	return NULL;
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
	free(table->nodes);
	free(table->slots);
	free(table->rrsets);
	free(table->names);
	free(table->rdata);
	free(table->locs);
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
		         (t->records + 1) * sizeof(*t->rrsets) + t->names_len + t->rdata_len +
		         t->loc_count * sizeof(*t->locs),
	};
	memcpy(s.by_kind, t->by_kind, sizeof(s.by_kind));
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
static bool node_serves(const table_node_t *node, uint32_t addr)
{
	for (uint32_t i = 0; i < node->rrset_count; i++) {
		if (node->rrsets[i].view.node == addr) {
			return true;
		}
	}
	return false;
}

/*! \brief True when the client may see the rrset of the node now. */
static bool rrset_visible(const table_node_t *node, const table_rrset_t *set,
                          const table_client_t *client)
{
	const rr_view_t *v = &set->view;
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
	return client->portal_all && !node_serves(node, client->addr);
}

const table_rrset_t *table_rrset_next(const table_node_t *node, uint16_t type,
                                      const table_client_t *client, uint32_t *pos)
{
	while (*pos < node->rrset_count) {
		const table_rrset_t *set = &node->rrsets[(*pos)++];
		if ((type == KNOT_RRTYPE_ANY || set->type == type) &&
		    rrset_visible(node, set, client)) {
			return set;
		}
	}
	return NULL;
}

/*! \brief True when the client sees any record at the node. */
static bool node_has_data(const table_node_t *node, const table_client_t *client)
{
	if (!(node->flags & TABLE_NODE_DATA)) {
		return false;
	}
	if (!(node->flags & TABLE_NODE_VIEWS)) {
		return true;
	}
	return table_has(node, KNOT_RRTYPE_ANY, client);
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
	       !table_has(apex, KNOT_RRTYPE_NS, client)) { // a wildcard's NS is data
		apex = table_node(t, apex->parent);
		if (apex == NULL) {
			return;
		}
	}
	res->apex = apex;
	if (!(apex->flags & TABLE_NODE_SOA) || !table_has(apex, KNOT_RRTYPE_SOA, client)) {
		res->status = TABLE_DELEGATION;
		return;
	}

	// The name itself: records the client sees, or children (not tinydns: an
	// empty non-terminal exists).
	bool exact = knot_dname_is_equal(closest->owner, qname);
	if (exact && (node_has_data(closest, client) ||
	              (closest->flags & TABLE_NODE_CHILDREN))) {
		res->status = TABLE_FOUND;
		res->node = closest;
		return;
	}

	// Wildcards of every ancestor up to the apex; an existing name blocks
	// only itself (tinydns).
	const table_node_t *up = exact ? table_node(t, closest->parent) : closest;
	for (; up != NULL; up = table_node(t, up->parent)) {
		const table_node_t *wild = table_node(t, up->wildcard);
		if (wild != NULL && node_has_data(wild, client)) {
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
