/*!
 * \file
 * \brief Record lists and the name helpers the readers share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knot_compat.h"
#include "mem.h"
#include "rr.h"

void rr_list_init(rr_list_t *list)
{
	memset(list, 0, sizeof(*list));
}

void rr_list_clear(rr_list_t *list)
{
	mem_free(list->rrs);
	mem_free(list->data);
	mem_free(list->locs);
	rr_list_init(list);
}

void rr_list_shrink(rr_list_t *list)
{
	mem_shrink((void **)&list->rrs, &list->cap, list->count, sizeof(*list->rrs));
	mem_shrink((void **)&list->data, &list->data_cap, list->len, 1);
	mem_shrink((void **)&list->locs, &list->loc_cap, list->loc_count, sizeof(*list->locs));
}

rr_t *rr_list_add(rr_list_t *list, const knot_dname_t *owner, uint16_t type,
                  uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
	size_t owner_len = knot_dname_size(owner);
	if (mem_grow((void **)&list->rrs, &list->cap, list->count, 1, sizeof(rr_t)) != KNOT_EOK ||
	    mem_grow((void **)&list->data, &list->data_cap, list->len, owner_len + rdlen,
	            1) != KNOT_EOK ||
	    list->len + owner_len + rdlen > UINT32_MAX) {
		return NULL;
	}

	rr_t *rr = &list->rrs[list->count];
	memset(rr, 0, sizeof(*rr));
	rr->owner = list->len;
	memcpy(list->data + list->len, owner, owner_len);
	knot_dname_to_lower(list->data + list->len);
	list->len += owner_len;
	rr->rdata = list->len;
	if (rdlen > 0) {
		memcpy(list->data + list->len, rdata, rdlen);
	}
	list->len += rdlen;
	rr->rdlen = rdlen;
	rr->type = type;
	rr->ttl = ttl;
	rr->seq = list->count++;
	return rr;
}

int rr_list_add_loc(rr_list_t *list, const uint8_t *prefix, uint8_t len, const char loc[2])
{
	if (len > 4) {
		return KNOT_EINVAL;
	}
	if (mem_grow((void **)&list->locs, &list->loc_cap, list->loc_count, 1,
	         sizeof(rr_loc_t)) != KNOT_EOK) {
		return KNOT_ENOMEM;
	}
	rr_loc_t *rule = &list->locs[list->loc_count];
	memset(rule, 0, sizeof(*rule));
	memcpy(rule->prefix, prefix, len);
	rule->len = len;
	memcpy(rule->loc, loc, 2);
	rule->seq = list->loc_count++;
	return KNOT_EOK;
}

size_t rr_list_bytes(const rr_list_t *list)
{
	return list->cap * sizeof(rr_t) + list->data_cap + list->loc_cap * sizeof(rr_loc_t);
}

const rr_view_t rr_view_all;

/*! \brief rr_list_sink's record adder. */
static int list_sink_add(rr_sink_t *sink, const rr_rec_t *rec)
{
	rr_list_t *list = ((rr_list_sink_t *)sink)->list;
	rr_t *rr = rr_list_add(list, rec->owner, rec->type, rec->ttl, rec->rdata, rec->rdlen);
	if (rr == NULL) {
		return KNOT_ENOMEM;
	}
	rr->kind = rec->kind;
	rr->flags = rec->flags;
	rr->view = *rec->view;
	return KNOT_EOK;
}

/*! \brief rr_list_sink's rule adder. */
static int list_sink_add_loc(rr_sink_t *sink, const rr_loc_t *loc)
{
	rr_list_t *list = ((rr_list_sink_t *)sink)->list;
	return rr_list_add_loc(list, loc->prefix, loc->len, loc->loc);
}

rr_list_sink_t rr_list_sink(rr_list_t *list)
{
	rr_list_sink_t s = { { list_sink_add, list_sink_add_loc }, list };
	return s;
}

int rr_list_emit(const void *src, rr_sink_t *sink)
{
	const rr_list_t *list = src;
	for (size_t i = 0; i < list->count; i++) {
		const rr_t *rr = &list->rrs[i];
		rr_rec_t rec = {
			.owner = rr_owner(list, rr), .rdata = rr_rdata(list, rr),
			.rdlen = rr->rdlen, .type = rr->type, .ttl = rr->ttl,
			.kind = rr->kind, .flags = rr->flags, .view = &rr->view,
		};
		int ret = sink->add(sink, &rec);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	for (size_t i = 0; i < list->loc_count; i++) {
		int ret = sink->add_loc(sink, &list->locs[i]);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	return KNOT_EOK;
}

/*! \brief A byte allowed in a hostname label. */
static bool hostname_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int rr_hostname(uint8_t *out, const char *str)
{
	size_t pos = 0;
	const char *p = str;
	if (*p == '\0' || (p[0] == '.' && p[1] == '\0')) {
		out[0] = 0;
		return 1;
	}
	while (*p != '\0') {
		const char *end = p;
		while (*end != '\0' && *end != '.') {
			if (!hostname_char(*end)) {
				return KNOT_EINVAL;
			}
			end++;
		}
		size_t label = end - p;
		if (label == 0) {
			return KNOT_EINVAL;
		}
		if (label > KNOT_DNAME_MAXLABELLEN) {
			return KNOT_ESPACE;
		}
		if (pos + 1 + label + 1 > KNOT_DNAME_MAXLEN) {
			return KNOT_ESPACE;
		}
		out[pos++] = label;
		for (size_t i = 0; i < label; i++) {
			char c = p[i];
			out[pos++] = (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
		}
		p = end;
		if (*p == '.') {
			p++;
		}
	}
	out[pos++] = 0;
	return pos;
}

void rr_ptr_owner(uint8_t *out, const uint8_t ip4[4])
{
	size_t pos = 0;
	for (int i = 3; i >= 0; i--) {
		char buf[4];
		int n = snprintf(buf, sizeof(buf), "%u", ip4[i]);
		out[pos++] = n;
		memcpy(out + pos, buf, n);
		pos += n;
	}
	memcpy(out + pos, "\x07" "in-addr" "\x04" "arpa", 14);
}

/*! \brief Length of the NAPTR fields before its replacement name, < 0 if malformed. */
static int naptr_header_len(const uint8_t *pos, const uint8_t *end)
{
	const uint8_t *p = pos + 4; // order, preference
	for (int i = 0; i < 3 && p <= end; i++) {
		if (p >= end) {
			return -1;
		}
		p += 1 + *p; // flags, services, regexp
	}
	return p <= end ? p - pos : -1;
}

/*!
 * \brief Length of the rdata block described by \a block (a descriptor's block type) at
 *        \a pos, < 0 if malformed.
 */
static int block_len(int block, const uint8_t *pos, const uint8_t *end)
{
	if (lain_knot_block_is_remainder(block)) {
		return end - pos; // may be empty, as tinydns-data allows
	}
	switch (block) {
	case KNOT_RDATA_WF_FIXED_DNAME:
	case KNOT_RDATA_WF_COMPRESSIBLE_DNAME:
	case KNOT_RDATA_WF_DECOMPRESSIBLE_DNAME:
		return pos < end ? knot_dname_wire_check(pos, end, NULL) : -1;
	case KNOT_RDATA_WF_NAPTR_HEADER:
		return naptr_header_len(pos, end);
	default:
		return block; // fixed size (> 0), or a block type this check does not know (< 0)
	}
}

int rr_rdata_check(uint16_t type, const uint8_t *rdata, uint16_t rdlen)
{
	const knot_rdata_descriptor_t *desc = knot_get_rdata_descriptor(type);
	const uint8_t *pos = rdata, *end = rdata + rdlen;
	for (int i = 0; desc->block_types[i] != KNOT_RDATA_WF_END; i++) {
		int len = block_len(desc->block_types[i], pos, end);
		if (len < 0 || len > end - pos) {
			return KNOT_EMALF;
		}
		pos += len;
	}
	return pos == end ? KNOT_EOK : KNOT_EMALF;
}
