/*
 * mod-lain's own readers for bench/parse_bench.c. Each call reads the document once,
 * fed in 16 KiB pieces as the stream delivers it, and returns a checksum, < 0 on failure.
 */
#include <stdio.h>

#include <jansson.h>

#include "lainlet.h"
#include "member.h"

/*! \brief Piece size of the streamed reads (a typical socket read). */
#define PIECE 16384

static int load_member(void *arg, const char *bytes, size_t len)
{
	json_t *member = bytes != NULL ? json_loadb(bytes, len, JSON_REJECT_DUPLICATES, NULL) :
	                 NULL;
	if (member == NULL) {
		return -1;
	}
	json_decref(member);
	(*(long *)arg)++;
	return 0;
}

/*! \brief The member framing alone, each member read by jansson: members of the document. */
long module_members(const char *doc, long len)
{
	long members = 0;
	member_calls_t calls = { .item = load_member, .arg = &members };
	member_framer_t f;
	member_init(&f, false, len, &calls);
	int ret = 0;
	for (long pos = 0; pos < len && ret == 0; pos += PIECE) {
		ret = member_feed(&f, doc + pos, len - pos < PIECE ? len - pos : PIECE);
	}
	if (ret != 0 || member_end(&f) != 0) {
		fprintf(stderr, "members: %s\n", member_error(&f));
		members = -1;
	}
	member_deinit(&f);
	return members;
}

/*! \brief The coreinfo reader: records its procs make. */
long module_read(const char *doc, long len)
{
	lainlet_ctx_t ctx = { .ttl = 60, .log = NULL, .log_max = 0 };
	lainlet_reader_t *r = lainlet_reader_new(&ctx, LAINLET_COREINFO, NULL, len);
	if (r == NULL) {
		return -1;
	}
	for (long pos = 0; pos < len; pos += PIECE) {
		lainlet_reader_feed(r, doc + pos, len - pos < PIECE ? len - pos : PIECE);
	}
	lainlet_data_t data;
	long count = -1;
	if (lainlet_reader_end(r, &data) == 0) {
		count = (long)data.count;
		lainlet_data_clear(&data);
	}
	lainlet_reader_free(r);
	return count;
}
