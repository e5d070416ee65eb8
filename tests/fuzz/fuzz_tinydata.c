/*!
 * \file
 * \brief libFuzzer target: any bytes as a tinydns-data file.
 *
 * Every record made must have a valid owner (lowercase, <= 255 bytes) and
 * rdata inside the list; the record types only tinydns lines can make (':'
 * may not make NS, CNAME, SOA, PTR, MX) must hold well-formed names.
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -I module \
 *       $(pkg-config --cflags libknot) module/rr.c module/tinydata.c \
 *       tests/fuzz/fuzz_tinydata.c $(pkg-config --libs libknot) -o fuzz_tinydata
 * ./fuzz_tinydata -max_total_time=60 tests/fuzz/corpus/tinydata
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tinydata.h"

/*! \brief Stops the run with a message. */
/*! \brief Whether a name is valid wire format, uncompressed, exactly len bytes. */
static bool name_is(const uint8_t *name, size_t len)
{
	int size = knot_dname_wire_check(name, name + len, NULL);
	return size > 0 && (size_t)size == len;
}

/*! \brief Length of a valid name at the start of buf (buf_len bytes), or 0. */
static size_t name_len(const uint8_t *buf, size_t buf_len)
{
	int size = knot_dname_wire_check(buf, buf + buf_len, NULL);
	return size > 0 ? (size_t)size : 0;
}

/*! \brief Checks rdata that only a tinydns line type (not ':') makes. */
static void check_rdata(const rr_t *rr, const uint8_t *rd)
{
	size_t n;
	switch (rr->type) {
	case KNOT_RRTYPE_NS:
	case KNOT_RRTYPE_CNAME:
	case KNOT_RRTYPE_PTR:
		CHECK(name_is(rd, rr->rdlen));
		break;
	case KNOT_RRTYPE_MX:
		CHECK(rr->rdlen > 2 && name_is(rd + 2, rr->rdlen - 2));
		break;
	case KNOT_RRTYPE_SOA:
		n = name_len(rd, rr->rdlen);
		CHECK(n > 0);
		CHECK(rr->rdlen > n + 20 && name_is(rd + n, rr->rdlen - n - 20));
		break;
	default:
		CHECK(rr->flags == 0);
		break;
	}
}

/*! \brief Checks one record of the list. */
static void check_rr(const rr_list_t *list, const rr_t *rr)
{
	CHECK(rr->owner < list->len);
	const knot_dname_t *owner = rr_owner(list, rr);
	size_t size = name_len(owner, list->len - rr->owner);
	CHECK(size > 0 && size <= KNOT_DNAME_MAXLEN);
	CHECK(knot_dname_size(owner) == size);
	for (size_t i = 0; i < size; i++) {
		// Lengths are <= 63, so this only sees label bytes as letters.
		CHECK(owner[i] < 'A' || owner[i] > 'Z');
	}
	CHECK((size_t)rr->rdata + rr->rdlen <= list->len);
	CHECK(rr->rdlen <= RR_RDATA_MAX);
	CHECK((rr->flags & ~RR_FLAG_AUTO_SERIAL) == 0);
	CHECK(rr->type != 0 && rr->type != KNOT_RRTYPE_AXFR);
	CHECK(rr->kind == RR_KIND_STATIC);
	CHECK(rr->view.node == 0);
	CHECK(!rr->view.expires || rr->view.tai != 0);
	check_rdata(rr, rr_rdata(list, rr));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tinydata_ctx_t ctx = { .source = "fuzz", .kind = RR_KIND_STATIC };
	rr_list_t list;
	rr_list_init(&list);

	int ret = tinydata_text(&ctx, &list, (const char *)data, size);
	CHECK(ret == KNOT_EOK || ret == KNOT_ENOMEM);
	if (ret == KNOT_EOK) {
		size_t lines = 1;
		for (size_t i = 0; i < size; i++) {
			lines += data[i] == '\n';
		}
		CHECK(ctx.skipped <= lines);
		for (size_t i = 0; i < list.count; i++) {
			CHECK(list.rrs[i].seq == i);
			check_rr(&list, &list.rrs[i]);
		}
		for (size_t i = 0; i < list.loc_count; i++) {
			CHECK(list.locs[i].len <= 4);
		}
	}
	rr_list_clear(&list);
	return 0;
}
