/*
 * mod-lain's own readers for bench/parse_bench.c (a file of their own: module/json.h
 * and jansson.h name the same enumerators). Each call reads the document once, fed in
 * 16 KiB pieces as the stream delivers it, and returns a checksum, < 0 on failure.
 */
#include <stdio.h>

#include "json.h"
#include "lainlet.h"

/*! \brief Piece size of the streamed reads (a typical socket read). */
#define PIECE 16384

static int count_token(void *arg, json_token_t tok, const char *text, size_t len)
{
	(*(long *)arg)++;
	return 0;
}

/*! \brief The push tokenizer alone: tokens of the document. */
long module_push(const char *doc, long len)
{
	json_push_t p;
	long tokens = 0;
	json_push_init(&p, len, count_token, &tokens);
	int ret = 0;
	for (long pos = 0; pos < len && ret == 0; pos += PIECE) {
		ret = json_push_feed(&p, doc + pos, len - pos < PIECE ? len - pos : PIECE);
	}
	if (ret != 0 || json_push_end(&p) != 0) {
		fprintf(stderr, "json_push: %s\n", json_push_error(&p));
		tokens = -1;
	}
	json_push_deinit(&p);
	return tokens;
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
