/*!
 * \file
 * \brief The table's build: the records an emitter hands out -> an immutable
 *        table (nodes, rrsets, rdata, views, location rules).
 *
 * Pass 1 (count) makes every owner's node, the distinct views and per node
 * the number and size of its records. Then the rrsets and rdata are laid out
 * at their final sizes. Pass 2 (place) writes each record's rdata where it
 * belongs: straight into its rrset for a node of one rrset (nearly all
 * names), or into a side list for a "mixed" node (several types, views or
 * kinds, or SOAs), which is sorted and cut into rrsets at the end. Last, every
 * ancestor of an owner becomes a node and the nodes are linked.
 */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "table_impl.h"

/*! \brief Most records one rrset holds (knot_rdataset_t counts in 16 bits). */
#define RRSET_MAX UINT16_MAX

/*! \brief Adds a node with a copy of the owner. */
static int32_t node_add_copy(table_t *t, const knot_dname_t *owner, size_t len)
{
	if (t->names_len + len > UINT32_MAX ||
	    mem_grow((void **)&t->names, &t->names_cap, t->names_len, len, 1) != KNOT_EOK) {
		return KNOT_ENOMEM;
	}
	memcpy(t->names + t->names_len, owner, len);
	int32_t n = table_node_add(t, t->names_len, len);
	if (n >= 0) {
		t->names_len += len;
	}
	return n;
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

/*! \brief What the build knows of one node. */
typedef struct {
	uint32_t count;      /*!< Its records. */
	uint32_t bytes;      /*!< Bytes of their rdata (knot_rdata_t); for a mixed node
	                          in pass 2, the bytes not placed yet. */
	uint32_t first;      /*!< Mixed node: its first record in build_t.recs. */
	uint32_t placed;     /*!< Pass 2: records placed (mixed), bytes written (others). */
	uint16_t type;       /*!< Type of its first record. */
	uint16_t view;       /*!< View of its first record. */
	uint8_t kind;        /*!< Kind of its first record. */
	bool mixed;          /*!< Its records make several rrsets, or hold an SOA twice. */
} build_node_t;

/*! \brief A record of a mixed node, kept until the node is sorted. */
typedef struct {
	uint32_t seq;        /*!< Order of appearance. */
	uint32_t ttl;        /*!< TTL. */
	uint32_t data;       /*!< Offset of its knot_rdata_t in build_t.rdata. */
	uint16_t type;       /*!< RR type. */
	uint16_t view;       /*!< View index. */
	uint8_t kind;        /*!< RR_KIND_*. */
	uint8_t flags;       /*!< RR_FLAG_*. */
} build_rec_t;

/*! \brief A table being built; also the sink the emitter writes to. */
typedef struct {
	rr_sink_t sink;        /*!< The sink of the current pass (first member). */
	table_t *t;            /*!< The table. */
	build_node_t *nodes;   /*!< Per node, as t->nodes. */
	size_t node_cap;       /*!< Entries allocated. */
	uint32_t *view_slots;  /*!< Index of t->views: view index + 1, 0 = empty. */
	uint32_t view_mask;    /*!< Slots - 1. */
	build_rec_t *recs;     /*!< Records of the mixed nodes. */
	uint8_t *rdata;        /*!< Their rdata. */
	size_t rdata_len;      /*!< Bytes of it in use. */
	uint32_t seq;          /*!< Records seen in this pass. */
} build_t;

/*! \brief Puts view v of views into an index of mask + 1 slots. */
static void view_put(uint32_t *slots, uint32_t mask, const rr_view_t *views, uint32_t v)
{
	uint32_t i = hash_bytes((const uint8_t *)&views[v], sizeof(*views)) & mask;
	while (slots[i] != 0) {
		i = (i + 1) & mask;
	}
	slots[i] = v + 1;
}

/*!
 * \brief Index of a view in t->views; adds it when add is set, else < 0 if absent.
 *
 * The first view added is everyone's (build() adds it first): nearly every
 * record has it, and it is found without hashing.
 */
static int32_t view_index(build_t *b, const rr_view_t *view, bool add)
{
	table_t *t = b->t;
	if (t->view_count > 0 && rr_view_is_all(view)) {
		return 0;
	}
	rr_view_t key;
	memset(&key, 0, sizeof(key)); // padding too: views are compared as bytes
	key.tai = view->tai;
	key.node = view->node;
	memcpy(key.loc, view->loc, sizeof(key.loc));
	key.expires = view->expires;
	uint32_t i = hash_bytes((const uint8_t *)&key, sizeof(key)) & b->view_mask;
	for (uint32_t slot; (slot = b->view_slots[i]) != 0; i = (i + 1) & b->view_mask) {
		if (memcmp(&t->views[slot - 1], &key, sizeof(key)) == 0) {
			return slot - 1;
		}
	}
	if (!add) {
		return KNOT_EINVAL; // the emitter handed out other records than in pass 1
	}
	if (t->view_count >= UINT16_MAX) {
		return KNOT_ERANGE; // rrsets name their view in 16 bits
	}
	if (mem_grow((void **)&t->views, &t->view_cap, t->view_count, 1,
	             sizeof(*t->views)) != KNOT_EOK) {
		return KNOT_ENOMEM;
	}
	t->views[t->view_count++] = key;
	if (t->view_count * 2 > b->view_mask) { // keep the index at most half full
		uint32_t mask = b->view_mask * 2 + 1;
		uint32_t *slots = mem_alloc(((size_t)mask + 1) * sizeof(*slots));
		if (slots == NULL) {
			return KNOT_ENOMEM;
		}
		mem_free(b->view_slots);
		b->view_slots = slots;
		b->view_mask = mask;
		for (uint32_t v = 0; v + 1 < t->view_count; v++) {
			view_put(b->view_slots, b->view_mask, t->views, v);
		}
	}
	view_put(b->view_slots, b->view_mask, t->views, t->view_count - 1);
	return t->view_count - 1;
}

/*! \brief Pass 1: one record's node, view and size. */
static int count_add(rr_sink_t *sink, const rr_rec_t *rec)
{
	build_t *b = (build_t *)sink;
	table_t *t = b->t;
	size_t len = knot_dname_size(rec->owner);
	int32_t n = index_find(t, rec->owner, len);
	if (n < 0) {
		n = node_add_copy(t, rec->owner, len);
		if (n < 0) {
			return n;
		}
		if (mem_grow((void **)&b->nodes, &b->node_cap, n, 1,
		            sizeof(*b->nodes)) != KNOT_EOK) {
			return KNOT_ENOMEM;
		}
		memset(&b->nodes[n], 0, sizeof(b->nodes[n]));
	}
	int32_t view = view_index(b, rec->view, true);
	if (view < 0) {
		return view;
	}
	build_node_t *bn = &b->nodes[n];
	if (bn->count == 0) {
		bn->type = rec->type;
		bn->view = view;
		bn->kind = rec->kind;
	} else if (rec->type != bn->type || view != bn->view || rec->kind != bn->kind ||
	           rec->type == KNOT_RRTYPE_SOA) {
		bn->mixed = true;
	}
	if (bn->count == UINT32_MAX || bn->bytes > UINT32_MAX - knot_rdata_size(rec->rdlen)) {
		return KNOT_ERANGE;
	}
	bn->count++;
	bn->bytes += knot_rdata_size(rec->rdlen);
	return KNOT_EOK;
}

/*! \brief Pass 1: a location rule. */
static int count_add_loc(rr_sink_t *sink, const rr_loc_t *loc)
{
	table_t *t = ((build_t *)sink)->t;
	if (mem_grow((void **)&t->locs, &t->loc_cap, t->loc_count, 1,
	            sizeof(*t->locs)) != KNOT_EOK) {
		return KNOT_ENOMEM;
	}
	t->locs[t->loc_count++] = *loc;
	return KNOT_EOK;
}

/*! \brief Starts a rrset of a node, its rdata at the given offset. */
static void rrset_init(table_node_t *node, table_rrset_t *set, uint16_t type,
                       uint16_t view, uint8_t kind, size_t rdata)
{
	set->type = type;
	set->kind = kind;
	set->view = view;
	set->rdata = rdata;
	node->rrset_count++;
	if (type == KNOT_RRTYPE_NS) {
		node->flags |= TABLE_NODE_NS;
	} else if (type == KNOT_RRTYPE_SOA) {
		node->flags |= TABLE_NODE_SOA;
	}
	if (view != 0) {
		node->flags |= TABLE_NODE_VIEWS;
	}
}

/*!
 * \brief Appends one record's rdata to a rrset: it is written at `at` in the
 *        table's rdata, right after the rrset's other records.
 * \return Bytes written.
 */
static size_t rrset_put(table_t *t, table_rrset_t *set, uint8_t *at, const uint8_t *rdata,
                        uint16_t rdlen, uint32_t ttl, uint8_t kind, uint8_t flags)
{
	if (set->count == RRSET_MAX) {
		return 0; // more than a message can hold: the rest is not served
	}
	knot_rdata_t *rd = (knot_rdata_t *)at;
	knot_rdata_init(rd, rdlen, rdata);
	if (set->type == KNOT_RRTYPE_SOA && (flags & RR_FLAG_AUTO_SERIAL)) {
		soa_set_serial(rd, t->serial);
	}
	set->count++;
	set->ttl = ttl;
	t->records++;
	t->by_kind[kind < RR_KIND_COUNT ? kind : RR_KIND_STATIC]++;
	t->tinydns += (flags & RR_FLAG_TINYDNS) != 0;
	return knot_rdata_size(rdlen);
}

/*!
 * \brief Between the passes: allocates rrsets and rdata at their final sizes,
 *        gives every single-rrset node its rrset, reserves room for the others.
 */
static int layout(build_t *b)
{
	table_t *t = b->t;
	size_t sets = 0, rdata = 0, recs = 0, rec_bytes = 0;
	for (uint32_t n = 0; n < t->node_count; n++) {
		const build_node_t *bn = &b->nodes[n];
		sets += bn->mixed ? bn->count : (bn->count > 0);
		rdata += bn->bytes;
		recs += bn->mixed ? bn->count : 0;
		rec_bytes += bn->mixed ? bn->bytes : 0;
	}
	if (sets > UINT32_MAX || rdata > UINT32_MAX || rec_bytes > UINT32_MAX) {
		return KNOT_ERANGE; // offsets are 32-bit
	}
	t->rrsets = mem_alloc((sets + 1) * sizeof(*t->rrsets));
	t->rdata = mem_alloc(rdata + 2);
	b->recs = mem_alloc((recs + 1) * sizeof(*b->recs));
	b->rdata = mem_alloc(rec_bytes + 2);
	if (t->rrsets == NULL || t->rdata == NULL || b->recs == NULL || b->rdata == NULL) {
		return KNOT_ENOMEM;
	}
	uint32_t set = 0, first = 0;
	for (uint32_t n = 0; n < t->node_count; n++) {
		table_node_t *node = &t->nodes[n];
		build_node_t *bn = &b->nodes[n];
		node->rrsets = set;
		if (bn->count == 0) {
			continue;
		}
		node->flags |= TABLE_NODE_DATA;
		size_t start = t->rdata_len;
		t->rdata_len += bn->bytes;
		bn->placed = 0;
		if (bn->mixed) {
			// Its rdata region is remembered in its first rrset until it is cut.
			t->rrsets[set].rdata = start;
			set += bn->count;
			bn->first = first;
			first += bn->count;
		} else {
			table_rrset_t *rrset = &t->rrsets[set++];
			rrset_init(node, rrset, bn->type, bn->view, bn->kind, start);
		}
	}
	t->rrset_count = set;
	return KNOT_EOK;
}

/*! \brief Pass 2: one record's rdata to its place. */
static int place_add(rr_sink_t *sink, const rr_rec_t *rec)
{
	build_t *b = (build_t *)sink;
	table_t *t = b->t;
	int32_t n = index_find(t, rec->owner, knot_dname_size(rec->owner));
	int32_t view = view_index(b, rec->view, false);
	uint32_t seq = b->seq++;
	if (n < 0 || view < 0) {
		return KNOT_EINVAL; // the emitter handed out other records than in pass 1
	}
	build_node_t *bn = &b->nodes[n];
	size_t size = knot_rdata_size(rec->rdlen);
	if (!bn->mixed) {
		table_rrset_t *set = &t->rrsets[t->nodes[n].rrsets];
		if (bn->placed + size > bn->bytes || rec->type != bn->type || view != bn->view ||
		    rec->kind != bn->kind) {
			return KNOT_EINVAL;
		}
		uint8_t *at = t->rdata + set->rdata + bn->placed;
		bn->placed += rrset_put(t, set, at, rec->rdata, rec->rdlen, rec->ttl, rec->kind,
		                        rec->flags);
		return KNOT_EOK;
	}
	if (bn->placed == bn->count || size > bn->bytes) {
		return KNOT_EINVAL;
	}
	bn->bytes -= size; // (mixed: what is left of the node's room)
	build_rec_t *r = &b->recs[bn->first + bn->placed++];
	*r = (build_rec_t){ .seq = seq, .ttl = rec->ttl, .data = b->rdata_len,
	                    .type = rec->type, .view = view, .kind = rec->kind,
	                    .flags = rec->flags };
	knot_rdata_init((knot_rdata_t *)(b->rdata + b->rdata_len), rec->rdlen, rec->rdata);
	b->rdata_len += knot_rdata_size(rec->rdlen);
	return KNOT_EOK;
}

/*! \brief Pass 2: rules are all in from pass 1. */
static int place_add_loc(rr_sink_t *sink, const rr_loc_t *loc)
{
	return KNOT_EOK;
}

/*! \brief Order of the records of one name: type, view, appearance. */
static int rec_order(const void *a, const void *b)
{
	const build_rec_t *x = a, *y = b;
	if (x->type != y->type) {
		return x->type < y->type ? -1 : 1;
	}
	if (x->type != KNOT_RRTYPE_SOA && x->type != KNOT_RRTYPE_CNAME && x->view != y->view) {
		// Views in order of first appearance. (SOA and CNAME: the first
		// visible in file order wins, keep file order.)
		return x->view < y->view ? -1 : 1;
	}
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
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

/*!
 * \brief True when a record of a higher rank at the same name has the same
 *        type or is a CNAME: names collide, the higher rank is served.
 */
static bool shadowed(const build_rec_t *recs, uint32_t count, const build_rec_t *rec)
{
	int rank = kind_rank(rec->kind);
	for (uint32_t i = 0; i < count; i++) {
		if (kind_rank(recs[i].kind) > rank &&
		    (recs[i].type == rec->type || recs[i].type == KNOT_RRTYPE_CNAME)) {
			return true;
		}
	}
	return false;
}

/*! \brief Sorts a mixed node's records and cuts them into rrsets. */
static void cut_mixed(build_t *b, uint32_t n)
{
	table_t *t = b->t;
	table_node_t *node = &t->nodes[n];
	const build_node_t *bn = &b->nodes[n];
	build_rec_t *recs = &b->recs[bn->first];
	qsort(recs, bn->placed, sizeof(*recs), rec_order);
	table_rrset_t *sets = &t->rrsets[node->rrsets];
	size_t pos = sets[0].rdata;
	table_rrset_t *set = NULL;
	const build_rec_t *last = NULL;
	bool ranks = false; // records of several ranks: some may be shadowed
	for (uint32_t i = 1; i < bn->placed && !ranks; i++) {
		ranks = kind_rank(recs[i].kind) != kind_rank(recs[0].kind);
	}
	for (uint32_t i = 0; i < bn->placed; i++) {
		const build_rec_t *r = &recs[i];
		if (ranks && shadowed(recs, bn->placed, r)) {
			continue; // hidden by a record of a higher rank at the same name
		}
		bool same = last != NULL && r->type == last->type && r->view == last->view;
		if (same && r->type == KNOT_RRTYPE_SOA) {
			continue; // one SOA per name and view: the first one wins
		}
		if (!same) {
			set = &sets[node->rrset_count];
			rrset_init(node, set, r->type, r->view, r->kind, pos);
		}
		const knot_rdata_t *rd = (const knot_rdata_t *)(b->rdata + r->data);
		pos += rrset_put(t, set, t->rdata + pos, rd->data, rd->len, r->ttl, r->kind,
		                 r->flags);
		last = r;
	}
}

/*! \brief Adds every missing ancestor, links parents, children and wildcards. */
static int link_nodes(table_t *t)
{
	// Ancestors are suffixes of an existing owner: they share its bytes.
	uint32_t with_data = t->node_count;
	for (uint32_t n = 0; n < with_data; n++) {
		uint32_t owner = t->nodes[n].owner;
		uint8_t len = t->nodes[n].owner_len;
		while (t->names[owner] != 0) {
			len -= t->names[owner] + 1;
			owner += t->names[owner] + 1;
			if (index_find(t, t->names + owner, len) >= 0) {
				break;
			}
			int32_t added = table_node_add(t, owner, len);
			if (added < 0) {
				return added;
			}
		}
	}
	for (uint32_t n = 0; n < t->node_count; n++) {
		table_node_t *node = &t->nodes[n];
		const uint8_t *name = t->names + node->owner;
		if (name[0] == 0) {
			continue;
		}
		node->parent = index_find(t, name + name[0] + 1, node->owner_len - name[0] - 1);
		table_node_t *parent = &t->nodes[node->parent];
		parent->flags |= TABLE_NODE_CHILDREN;
		if (node->flags & TABLE_NODE_WILDCARD) {
			parent->flags |= TABLE_NODE_HAS_WILD;
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

/*! \brief Frees what only the build needs. */
static void build_clear(build_t *b)
{
	mem_free(b->nodes);
	mem_free(b->view_slots);
	mem_free(b->recs);
	mem_free(b->rdata);
	memset(b, 0, sizeof(*b));
}

/*! \brief Runs both passes of the emitter over the table. */
static int build(table_t *t, rr_emit_f emit, const void *src)
{
	build_t b = { .sink = { count_add, count_add_loc }, .t = t, .view_mask = 15 };
	b.view_slots = mem_alloc((b.view_mask + 1) * sizeof(*b.view_slots));
	int ret = b.view_slots == NULL ? KNOT_ENOMEM : view_index(&b, &rr_view_all, true);
	if (ret >= 0) {
		ret = emit(src, &b.sink);
	}
	if (ret >= 0) {
		mem_shrink((void **)&t->names, &t->names_cap, t->names_len, 1);
		mem_shrink((void **)&t->views, &t->view_cap, t->view_count, sizeof(*t->views));
		ret = layout(&b);
	}
	if (ret == KNOT_EOK) {
		b.sink = (rr_sink_t){ place_add, place_add_loc };
		ret = emit(src, &b.sink);
	}
	for (uint32_t n = 0; ret == KNOT_EOK && n < t->node_count; n++) {
		if (b.nodes[n].mixed) {
			cut_mixed(&b, n);
		}
	}
	build_clear(&b);
	if (ret == KNOT_EOK) {
		ret = link_nodes(t);
	}
	return ret;
}

int table_build_from(rr_emit_f emit, const void *src, uint32_t serial, table_t **out)
{
	*out = NULL;
	table_t *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return KNOT_ENOMEM;
	}
	atomic_init(&t->refs, 1);
	t->serial = serial;
	t->slot_mask = 1023;
	t->slots = mem_alloc((t->slot_mask + 1) * sizeof(*t->slots));
	int ret = t->slots == NULL ? KNOT_ENOMEM : build(t, emit, src);
	if (ret != KNOT_EOK) {
		table_free(t);
		return ret;
	}
	mem_shrink((void **)&t->nodes, &t->node_cap, t->node_count, sizeof(*t->nodes));
	if (t->loc_count > 1) {
		qsort(t->locs, t->loc_count, sizeof(*t->locs), loc_order);
	}
	*out = t;
	return KNOT_EOK;
}

table_t *table_build(const rr_list_t *list, uint32_t serial)
{
	table_t *t;
	table_build_from(rr_list_emit, list, serial, &t);
	return t;
}
