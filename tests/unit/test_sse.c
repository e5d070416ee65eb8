/*!
 * \file
 * \brief Unit tests of the server-sent events parser.
 */
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libknot/libknot.h>

#include "hash.h"
#include "sse.h"
#include "tap.h"

/*! \brief A growing byte string. */
typedef struct {
	char *buf;
	size_t len;
	size_t cap;
} str_t;

static void str_add(str_t *s, const char *src, size_t len)
{
	if (s->len + len + 1 > s->cap) {
		s->cap = (s->len + len + 1) * 2;
		s->buf = realloc(s->buf, s->cap);
		if (s->buf == NULL) {
			abort();
		}
	}
	memcpy(s->buf + s->len, src, len);
	s->len += len;
	s->buf[s->len] = '\0';
}

static void str_puts(str_t *s, const char *src)
{
	str_add(s, src, strlen(src));
}

/*! \brief Adds bytes, escaping '\n', '\\' and the unprintable ones. */
static void str_escape(str_t *s, const char *src, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = src[i];
		char esc[8];
		if (c == '\n') {
			str_puts(s, "\\n");
		} else if (c < 0x20 || c == '\\' || c >= 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			str_puts(s, esc);
		} else {
			str_add(s, (const char *)&c, 1);
		}
	}
}

/*! \brief Events and data seen. */
typedef struct {
	str_t text;         /*!< Events, "[event|id|has_data|oversize|data_len|data]\n". */
	str_t data;         /*!< on_data bytes of the current event. */
	size_t count;       /*!< Events seen. */
	size_t calls;       /*!< on_data calls seen. */
	size_t fail_at;     /*!< Return fail_ret at this event (1-based), 0 never. */
	size_t data_fail_at; /*!< Return fail_ret at this on_data call (1-based), 0 never. */
	int fail_ret;
	bool bad;           /*!< A callback broke an invariant. */
	bool no_data;       /*!< The parser has no data callback. */
	size_t max_data;
	const char *last;   /*!< Bytes of the last on_data call. */
} rec_t;

static void rec_clear(rec_t *r)
{
	free(r->text.buf);
	free(r->data.buf);
	memset(r, 0, sizeof(*r));
	str_puts(&r->text, ""); // Not NULL even without events.
}

static void rec_free(rec_t *r)
{
	free(r->text.buf);
	free(r->data.buf);
	memset(r, 0, sizeof(*r));
}

static int rec_data(const char *bytes, size_t len, void *arg)
{
	rec_t *r = arg;
	if (len == 0 || r->data.len + len > r->max_data) {
		r->bad = true;
	}
	str_add(&r->data, bytes, len);
	r->last = bytes;
	r->calls++;
	if (r->data_fail_at != 0 && r->calls == r->data_fail_at) {
		return r->fail_ret;
	}
	return KNOT_EOK;
}

/*! \brief Checks what on_data got and the head against the event. */
static bool rec_check(const rec_t *r, const sse_event_t *ev)
{
	size_t sent = (ev->data_len < r->max_data) ? ev->data_len : r->max_data;
	sent = r->no_data ? 0 : sent;
	size_t head = (ev->data_len < SSE_HEAD_MAX - 1) ? ev->data_len : SSE_HEAD_MAX - 1;
	size_t common = (sent < head) ? sent : head;
	return r->data.len == sent && ev->oversize == (ev->data_len > r->max_data) &&
	       ev->head[head] == '\0' && memcmp(ev->head, r->data.buf, common) == 0 &&
	       strlen(ev->event) < SSE_EVENT_MAX && (ev->has_data || ev->data_len == 0);
}

static int rec_event(const sse_event_t *ev, void *arg)
{
	rec_t *r = arg;
	str_puts(&r->data, ""); // Not NULL.
	char head[128];
	snprintf(head, sizeof(head), "[%s|%" PRIu64 "|%d|%d|%zu|", ev->event, ev->id,
	         ev->has_data, ev->oversize, ev->data_len);
	str_puts(&r->text, head);
	str_escape(&r->text, r->data.buf, r->data.len);
	str_puts(&r->text, "]\n");

	r->bad = r->bad || !rec_check(r, ev);
	r->data.len = 0;
	r->count++;
	if (r->fail_at != 0 && r->count == r->fail_at) {
		return r->fail_ret;
	}
	return KNOT_EOK;
}

/*! \brief Feeds pieces split at the given points; returns the first error. */
static int feed_split(sse_t *p, const char *in, size_t len, const size_t *cuts, size_t ncuts)
{
	size_t from = 0;
	for (size_t i = 0; i <= ncuts; i++) {
		size_t to = (i < ncuts) ? cuts[i] : len;
		int ret = sse_feed(p, (const uint8_t *)in + from, to - from);
		if (ret != KNOT_EOK) {
			return ret;
		}
		from = to;
	}
	return KNOT_EOK;
}

/*! \brief Parses a whole input split at cuts into r (cleared first). */
static int parse(rec_t *r, size_t max_data, const char *in, size_t len,
                 const size_t *cuts, size_t ncuts)
{
	rec_clear(r);
	r->max_data = max_data;
	sse_t p;
	sse_init(&p, max_data, rec_data, rec_event, r);
	int ret = feed_split(&p, in, len, cuts, ncuts);
	sse_deinit(&p);
	return ret;
}

/*! \brief A lainlet-like stream with every kind of line and line end. */
static const char sample[] =
	": lainlet watch stream\n"
	"id: 1\n"
	"event: init\n"
	"data: {\"hello.web.web\": {\"PodInfos\": [{\"InstanceNo\": 1}]}}\n"
	"\n"
	"event: heartbeat\n"
	"\n"
	"\n"                              // Extra empty line: nothing to dispatch.
	":keep-alive\r\n"
	"id: 7\r\n"
	"event: update\r\n"
	"data: {\"a\":\r\n"
	"data:1}\r\n"                     // No space after the colon.
	"data\r\n"                        // No colon: an empty data line.
	"\r\n"
	"event: delete\r"
	"id:12\r"
	"data:  two spaces\r"             // Only one space goes.
	"retry: 1000\r"                   // Unknown fields are ignored.
	"\r"
	"event: error\n"
	"id: 0\n"
	"data: lainlet: auth failure\n"
	"\n\r\n"                          // LF, then an empty CRLF line.
	"event: a-very-long-event-name-over-thirty-one-characters\n"
	"id: 18446744073709551615\n"
	"data: x\n"
	"\r"
	"id: 18446744073709551616\n"      // Over 64 bits.
	"data: y\n"
	"\n"
	"id: 12a\n"
	"event: update\n"
	"event: delete\n"                 // The last one counts.
	"data\n"
	"data\n"
	"\n"
	"id: -1\n"
	"\n"
	"foo: bar\n"                      // Only an unknown field.
	"\n"
	"id: 99\n"
	"data: never ends";               // No empty line: never dispatched.

/*! \brief One table case: input, cap and the events expected. */
typedef struct {
	const char *name;
	size_t max_data;
	const char *in;
	size_t len;         /*!< 0: strlen(in). */
	const char *expect;
} case_t;

static const case_t cases[] = {
	{ "sample", 1 << 20, sample, 0,
	  "[init|1|1|0|52|{\"hello.web.web\": {\"PodInfos\": [{\"InstanceNo\": 1}]}}]\n"
	  "[heartbeat|0|0|0|0|]\n"
	  "[update|7|1|0|9|{\"a\":\\n1}\\n]\n"
	  "[delete|12|1|0|11| two spaces]\n"
	  "[error|0|1|0|21|lainlet: auth failure]\n"
	  "[a-very-long-event-name-over-thi|18446744073709551615|1|0|1|x]\n"
	  "[|0|1|0|1|y]\n"
	  "[delete|0|1|0|1|\\n]\n"
	  "[|0|0|0|0|]\n"
	  "[|0|0|0|0|]\n" },
	{ "sample, cap 8", 8, sample, 0,
	  "[init|1|1|1|52|{\"hello.]\n"
	  "[heartbeat|0|0|0|0|]\n"
	  "[update|7|1|1|9|{\"a\":\\n1}]\n"
	  "[delete|12|1|1|11| two spa]\n"
	  "[error|0|1|1|21|lainlet:]\n"
	  "[a-very-long-event-name-over-thi|18446744073709551615|1|0|1|x]\n"
	  "[|0|1|0|1|y]\n"
	  "[delete|0|1|0|1|\\n]\n"
	  "[|0|0|0|0|]\n"
	  "[|0|0|0|0|]\n" },
	{ "NUL and high bytes kept in data", 100, "data: a\0b\xff\n\n", 13,
	  "[|0|1|0|4|a\\x00b\\xff]\n" },
	{ "data of exactly the cap", 16, "data: 12345678\ndata: 1234567\n\n", 0,
	  "[|0|1|0|16|12345678\\n1234567]\n" },
	{ "data one over the cap", 15, "data: 12345678\ndata: 1234567\n\n", 0,
	  "[|0|1|1|16|12345678\\n123456]\n" },
	{ "the joining LF over the cap", 8, "data: 12345678\ndata: 1\n\n", 0,
	  "[|0|1|1|10|12345678]\n" },
	{ "cap 0, empty data", 0, "data:\n\n", 0, "[|0|1|0|0|]\n" },
	{ "cap 0, two empty data lines", 0, "data\ndata:\n\n", 0, "[|0|1|1|1|]\n" },
	{ "no cap (SIZE_MAX), empty id is 0", SIZE_MAX, "id:\nevent:init\ndata: {}\n\n", 0,
	  "[init|0|1|0|2|{}]\n" },
	{ "an oversize event, then the next one", 16,
	  "id: 3\nevent: update\ndata: 0123456789\ndata: 0123456789\ndata: 0\n\n"
	  "event: update\nid: 4\ndata: ok\n\n", 0,
	  "[update|3|1|1|23|0123456789\\n01234]\n[update|4|1|0|2|ok]\n" },
	{ "first data line empty", 100, "data:\ndata: a\n\n", 0, "[|0|1|0|2|\\na]\n" },
	{ "names are case-sensitive, end at the colon", 100,
	  "DATA: a\ndata : b\nEvent: c\n id: 1\n\n", 0, "[|0|0|0|0|]\n" },
	{ "field names longer than known ones", 100,
	  "datadatadatadata: a\neventevent: b\nidid: 3\nxxxxxxxxxxxxxxxxxxxxxxxxxx\n\n", 0,
	  "[|0|0|0|0|]\n" },
	{ "a name of SSE_NAME_MAX bytes and more", 100, "data0123: a\ndata01234: b\n\n", 0,
	  "[|0|0|0|0|]\n" },
	{ "only comments: nothing dispatched", 100, ":a\n:\n: data: x\n\n\n", 0, "" },
	{ "ids: leading zeros, spaces, signs", 100,
	  "id: 007\n\nid: 1 \n\nid:  1\n\nid:+1\n\nid\n\nid: 5\nid: x\n\n", 0,
	  "[|7|0|0|0|]\n[|0|0|0|0|]\n[|0|0|0|0|]\n[|0|0|0|0|]\n[|0|0|0|0|]\n"
	  "[|0|0|0|0|]\n" },
	{ "event without a value or colon", 100, "event: x\nevent\n\nevent:y\n\n", 0,
	  "[|0|0|0|0|]\n[y|0|0|0|0|]\n" },
	{ "event name of 31 and 32 bytes", 100,
	  "event: 0123456789012345678901234567890\n\n"
	  "event: 01234567890123456789012345678901\n\n", 0,
	  "[0123456789012345678901234567890|0|0|0|0|]\n"
	  "[0123456789012345678901234567890|0|0|0|0|]\n" },
	{ "colons and spaces inside values", 100, "data: a: b\ndata:: c\ndata:   \n\n", 0,
	  "[|0|1|0|11|a: b\\n: c\\n  ]\n" },
	{ "CR, CRLF and LF mixed", 100, "data: a\r\rdata: b\r\n\r\ndata: c\n\r\n", 0,
	  "[|0|1|0|1|a]\n[|0|1|0|1|b]\n[|0|1|0|1|c]\n" },
	{ "a CR inside a line ends it", 100, "data: a\rb\r\n\n", 0,
	  "[|0|1|0|1|a]\n" },
};

/*! \brief Runs one case whole, byte by byte and split everywhere. */
static void test_case(const case_t *c)
{
	size_t len = (c->len > 0) ? c->len : strlen(c->in);
	rec_t whole = { 0 }, r = { 0 };

	int ret = parse(&whole, c->max_data, c->in, len, NULL, 0);
	bool good = ret == KNOT_EOK && !whole.bad && strcmp(whole.text.buf, c->expect) == 0;
	ok(good, "%s: whole", c->name);
	if (!good) {
		diag("got:\n%s", whole.text.buf);
	}

	// One byte at a time.
	size_t *cuts = malloc((len + 1) * sizeof(*cuts));
	for (size_t i = 0; i < len; i++) {
		cuts[i] = i + 1;
	}
	ret = parse(&r, c->max_data, c->in, len, cuts, len > 0 ? len - 1 : 0);
	ok(ret == KNOT_EOK && !r.bad && strcmp(r.text.buf, c->expect) == 0,
	   "%s: one byte at a time", c->name);
	free(cuts);

	// Two pieces, at every split point, and three for short inputs.
	size_t bad = 0, runs = 0;
	for (size_t i = 0; i <= len; i++) {
		for (size_t j = i; j <= len; j++) {
			size_t cut[2] = { i, j };
			ret = parse(&r, c->max_data, c->in, len, cut, 2);
			runs++;
			if (ret != KNOT_EOK || r.bad || strcmp(r.text.buf, c->expect) != 0) {
				if (bad++ == 0) {
					diag("split at %zu,%zu differs:\n%s", i, j, r.text.buf);
				}
			}
			if (len > 1000) {
				break; // Two pieces only (j == i).
			}
		}
	}
	ok(bad == 0, "%s: %zu splits alike", c->name, runs);

	rec_free(&whole);
	rec_free(&r);
}

static void test_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		test_case(&cases[i]);
	}
}

/*! \brief Feeds a string. */
static int feed(sse_t *p, const char *s)
{
	return sse_feed(p, (const uint8_t *)s, strlen(s));
}

static void test_streaming(void)
{
	rec_t r = { 0 };
	rec_clear(&r);
	r.max_data = 100;
	sse_t p;
	sse_init(&p, 100, rec_data, rec_event, &r);

	// Data goes on before its line ends, straight from the fed bytes.
	static const char first[] = "id: 2\nevent: update\ndata: {\"a\"";
	feed(&p, "id: 2\nevent: upd");
	ok(strcmp(sse_event_name(&p), "upd") == 0, "the event name so far: \"%s\"",
	   sse_event_name(&p));
	sse_reset(&p);
	ok(strcmp(sse_event_name(&p), "") == 0, "none after a reset");
	feed(&p, first);
	ok(strcmp(sse_event_name(&p), "update") == 0, "known when its data comes");
	ok(r.count == 0 && r.data.len == 4 && memcmp(r.data.buf, "{\"a\"", 4) == 0 &&
	   r.last == first + sizeof(first) - 5, "data passed before its line end, zero copy");
	feed(&p, ":1}");
	ok(r.count == 0 && r.data.len == 7 && memcmp(r.data.buf, "{\"a\":1}", 7) == 0,
	   "... the next piece of the line too");
	feed(&p, "\n");
	size_t calls = r.calls;
	feed(&p, "data: [");
	ok(r.count == 0 && r.calls == calls + 2 && strcmp(r.data.buf, "{\"a\":1}\n[") == 0,
	   "the joining LF passed at the second data line");
	feed(&p, "]\n");
	ok(r.count == 0, "no event before the empty line");
	feed(&p, "\n");
	ok(r.count == 1 && strcmp(r.text.buf, "[update|2|1|0|10|{\"a\":1}\\n[]]\n") == 0,
	   "event after its data");
	ok(strcmp(sse_event_name(&p), "") == 0, "no name in the next event yet");

	// The name and the space split over feeds.
	const char *pieces[][5] = {
		{ "da|ta:| x", "da", "ta:", " x\n\n", NULL },
		{ "data:| x", "data:", " x\n\n", NULL },
		{ "d|a|t|a: x", "d", "a", "t", "a: x\n\n" },
		{ "data|:| |x", "data", ":", " ", "x\n\n" },
	};
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		rec_clear(&r);
		r.max_data = 100;
		for (size_t j = 1; j < 5 && pieces[i][j] != NULL; j++) {
			feed(&p, pieces[i][j]);
		}
		ok(!r.bad && strcmp(r.text.buf, "[|0|1|0|1|x]\n") == 0,
		   "\"%s\": data \"x\", the space dropped", pieces[i][0]);
	}

	// A CR ends a feed, the LF starts the next one after an empty feed.
	rec_clear(&r);
	r.max_data = 100;
	feed(&p, "data: a\r");
	feed(&p, "");
	feed(&p, "\n");
	ok(r.count == 0, "CR, empty feed, LF: one line end");
	feed(&p, "\r");
	ok(r.count == 1, "a CR alone dispatches at once");
	feed(&p, "\n");
	ok(r.count == 1 && strcmp(r.text.buf, "[|0|1|0|1|a]\n") == 0, "... and its LF is eaten");

	sse_deinit(&p);
	rec_free(&r);
}

static void test_cap(void)
{
	rec_t r = { 0 };
	rec_clear(&r);
	r.max_data = 10;
	sse_t p;
	sse_init(&p, 10, rec_data, rec_event, &r);

	// The piece that crosses the cap is cut at it, nothing more is passed.
	feed(&p, "data: 01234");
	feed(&p, "56789AB");
	ok(r.data.len == 10 && memcmp(r.data.buf, "0123456789", 10) == 0,
	   "cap 10: on_data got exactly 10 bytes");
	size_t calls = r.calls;
	feed(&p, "CDE\ndata: F\n");
	ok(r.calls == calls && r.count == 0, "... and no more calls past the cap");
	feed(&p, "\n");
	ok(!r.bad && strcmp(r.text.buf, "[|0|1|1|17|0123456789]\n") == 0,
	   "... oversize, data_len counted past the cap");

	// A data callback that is NULL: counted, head kept.
	sse_t q;
	rec_clear(&r);
	r.max_data = 1000;
	r.no_data = true;
	sse_init(&q, 1000, NULL, rec_event, &r);
	feed(&q, "event: error\ndata: lainlet: auth\ndata: failure\n\n");
	ok(!r.bad && r.calls == 0 &&
	   strcmp(r.text.buf, "[error|0|1|0|21|]\n") == 0, "no data callback: data counted");
	sse_deinit(&q);
	sse_deinit(&p);
	rec_free(&r);
}

/*! \brief Keeps the head of the last event. */
static int head_event(const sse_event_t *ev, void *arg)
{
	str_t *s = arg;
	s->len = 0;
	str_puts(s, ev->head);
	return KNOT_EOK;
}

static void test_head(void)
{
	str_t head = { 0 };
	sse_t p;
	sse_init(&p, 8, NULL, head_event, &head);

	char in[1024];
	size_t n = sprintf(in, "data: ");
	for (size_t i = 0; i < 300; i++) {
		in[n++] = 'a' + i % 26;
	}
	n += sprintf(in + n, "\n\n");
	size_t bad = 0;
	for (size_t piece = 1; piece <= n; piece += (piece < 16) ? 1 : 97) {
		head.len = 0;
		for (size_t i = 0; i < n; i += piece) {
			sse_feed(&p, (const uint8_t *)in + i, (n - i < piece) ? n - i : piece);
		}
		bad += head.len != SSE_HEAD_MAX - 1 || memcmp(head.buf, in + 6, head.len) != 0;
	}
	ok(bad == 0, "head: the first %d bytes, over the cap, in any pieces", SSE_HEAD_MAX - 1);

	feed(&p, "data: a\ndata\ndata: b\n\n");
	ok(strcmp(head.buf, "a\n\nb") == 0, "head: data lines joined");
	feed(&p, "event: heartbeat\n\n");
	ok(strcmp(head.buf, "") == 0, "head: \"\" without data");
	static const char nul[] = "event: error\ndata: ab\0cd\n\n"; // Cut by the NUL.
	sse_feed(&p, (const uint8_t *)nul, sizeof(nul) - 1);
	ok(strcmp(head.buf, "ab") == 0, "head: NUL-terminated");

	sse_deinit(&p);
	free(head.buf);
}

static void test_long_lines(void)
{
	// Single lines far over the cap, whole and in pieces.
	const size_t cap = 4096, big = 1 << 20;
	const char *heads[] = { "data: ", ":", "event: ", "id: 1", "xyz", "data:" };
	const char *expects[] = {
		NULL, // Built below.
		"[big|0|0|0|0|]\n[|5|1|0|4|next]\n",
		"[bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb|0|0|0|0|]\n[|5|1|0|4|next]\n",
		"[big|0|0|0|0|]\n[|5|1|0|4|next]\n",
		"[big|0|0|0|0|]\n[|5|1|0|4|next]\n",
		NULL,
	};
	str_t data_expect = { 0 };
	str_puts(&data_expect, "[big|0|1|1|1048576|");
	for (size_t i = 0; i < cap; i++) {
		str_puts(&data_expect, "b");
	}
	str_puts(&data_expect, "]\n[|5|1|0|4|next]\n");
	expects[0] = expects[5] = data_expect.buf;

	char *in = malloc(big + 64);
	for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
		size_t n = 0;
		n += sprintf(in + n, "event: big\n%s", heads[h]);
		memset(in + n, h == 3 ? '1' : 'b', big);
		n += big;
		n += sprintf(in + n, "\n\ndata: next\nid: 5\n\n");

		size_t cuts[] = { 3, 20, 4000, 4200, 9000, big / 2, big + 11, big + 13 };
		bool good = true;
		for (size_t mode = 0; mode < 3; mode++) {
			rec_t r = { 0 };
			rec_clear(&r);
			r.max_data = cap;
			sse_t p;
			sse_init(&p, cap, rec_data, rec_event, &r);
			int ret = KNOT_EOK;
			if (mode == 0) {
				ret = sse_feed(&p, (const uint8_t *)in, n);
			} else if (mode == 1) {
				ret = feed_split(&p, in, n, cuts, sizeof(cuts) / sizeof(cuts[0]));
			} else {
				for (size_t i = 0; i < n && ret == KNOT_EOK; i += 1000) {
					size_t piece = (n - i < 1000) ? n - i : 1000;
					ret = sse_feed(&p, (const uint8_t *)in + i, piece);
				}
			}
			bool same = ret == KNOT_EOK && !r.bad &&
			            strcmp(r.text.buf, expects[h]) == 0;
			if (!same) {
				diag("mode %zu: %.200s", mode, r.text.buf);
			}
			good = good && same;
			sse_deinit(&p);
			rec_free(&r);
		}
		ok(good, "line of 1 MiB after \"%s\", cap %zu", heads[h], cap);
	}
	free(in);
	free(data_expect.buf);
}

/*! \brief Counts and hashes data without keeping it. */
typedef struct {
	size_t bytes;
	size_t calls;
	size_t events;
	uint64_t hash;
} sink_t;

static int sink_data(const char *bytes, size_t len, void *arg)
{
	sink_t *s = arg;
	s->hash = fnv1a_step(s->hash, bytes, len);
	s->bytes += len;
	s->calls++;
	return KNOT_EOK;
}

static int sink_event(const sse_event_t *ev, void *arg)
{
	sink_t *s = arg;
	s->events += (ev->data_len == s->bytes && !ev->oversize);
	return KNOT_EOK;
}

static void test_memory(void)
{
	ok(sizeof(sse_t) <= 512, "sse_t is %zu bytes, all its state", sizeof(sse_t));

	// A 10 MB data line in 4 KiB pieces: no allocation while it is parsed.
	const size_t big = 10 * 1000 * 1000, piece = 4096;
	char *in = malloc(big + 32);
	size_t n = sprintf(in, "event: init\ndata: ");
	for (size_t i = 0; i < big; i++) {
		in[n + i] = 'a' + i % 26;
	}
	uint64_t hash = fnv1a(in + n, big);
	n += big;
	n += sprintf(in + n, "\n\n");

	sink_t s = { .hash = FNV1A_START };
	sse_t p;
	sse_init(&p, 64 << 20, sink_data, sink_event, &s);
	struct mallinfo2 before = mallinfo2();
	int ret = KNOT_EOK;
	for (size_t i = 0; i < n && ret == KNOT_EOK; i += piece) {
		ret = sse_feed(&p, (const uint8_t *)in + i, (n - i < piece) ? n - i : piece);
	}
	struct mallinfo2 after = mallinfo2();
	sse_deinit(&p);
	ok(ret == KNOT_EOK && s.events == 1 && s.bytes == big && s.hash == hash,
	   "10 MB data line in 4 KiB pieces: %zu data calls", s.calls);
	ok(after.uordblks == before.uordblks && after.hblkhd == before.hblkhd,
	   "... and the parser allocated nothing (%lld bytes)",
	   (long long)(after.uordblks - before.uordblks));
	free(in);
}

static void test_big(void)
{
	// Large documents pass in linear time, whole or in TCP-like pieces.
	const size_t big = 8 << 20;
	char *in = malloc(big + 32);
	size_t n = sprintf(in, "event: init\ndata: ");
	for (size_t i = 0; i < big; i++) {
		in[n + i] = 'a' + i % 26;
	}
	n += big;
	n += sprintf(in + n, "\n\n");

	const size_t pieces[] = { 0, 65536, 4096, 1 };
	for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
		size_t piece = pieces[k] ? pieces[k] : n;
		rec_t r = { 0 };
		rec_clear(&r);
		r.max_data = 64 << 20;
		sse_t p;
		sse_init(&p, 64 << 20, rec_data, rec_event, &r);
		clock_t start = clock();
		int ret = KNOT_EOK;
		for (size_t i = 0; i < n && ret == KNOT_EOK; i += piece) {
			size_t len = (n - i < piece) ? n - i : piece;
			ret = sse_feed(&p, (const uint8_t *)in + i, len);
		}
		double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
		// The record escapes nothing here, so the data is at a fixed offset.
		const char *data = strstr(r.text.buf, "|8388608|");
		ok(ret == KNOT_EOK && r.count == 1 && !r.bad && data != NULL &&
		   memcmp(data + 9, in + 18, big) == 0,
		   "8 MiB data line in pieces of %zu: %.3f s", piece, secs);
		ok(secs < 5.0, "... in linear time");
		sse_deinit(&p);
		rec_free(&r);
	}
	free(in);
}

static void test_callback_error(void)
{
	static const char in[] =
		"event: init\ndata: 1\n\nevent: update\ndata: 2\n\nevent: update\ndata: 3\n\n";
	size_t len = sizeof(in) - 1;
	rec_t r = { 0 };
	sse_t p;

	// An event callback error, whole: stops right at the second event.
	rec_clear(&r);
	r.max_data = 100;
	r.fail_at = 2;
	r.fail_ret = KNOT_ERANGE;
	sse_init(&p, 100, rec_data, rec_event, &r);
	int ret = sse_feed(&p, (const uint8_t *)in, len);
	ok(ret == KNOT_ERANGE && r.count == 2 && r.calls == 2,
	   "event callback error returned, feeding stops");
	sse_deinit(&p);

	// Byte by byte: the error comes with the empty line of the second event.
	rec_clear(&r);
	r.max_data = 100;
	r.fail_at = 2;
	r.fail_ret = 1; // Any non-zero value.
	sse_init(&p, 100, rec_data, rec_event, &r);
	size_t i = 0;
	for (ret = KNOT_EOK; i < len && ret == KNOT_EOK; i++) {
		ret = sse_feed(&p, (const uint8_t *)in + i, 1);
	}
	ok(ret == 1 && i == 44 && r.count == 2, "event callback error at byte %zu", i);
	sse_deinit(&p);

	// A data callback error, whole: no event after it.
	rec_clear(&r);
	r.max_data = 100;
	r.data_fail_at = 2;
	r.fail_ret = KNOT_EMALF;
	sse_init(&p, 100, rec_data, rec_event, &r);
	ret = sse_feed(&p, (const uint8_t *)in, len);
	ok(ret == KNOT_EMALF && r.count == 1 && r.calls == 2,
	   "data callback error returned, feeding stops");
	sse_deinit(&p);

	// Byte by byte: the error comes with the data byte.
	rec_clear(&r);
	r.max_data = 100;
	r.data_fail_at = 2;
	r.fail_ret = KNOT_EMALF;
	sse_init(&p, 100, rec_data, rec_event, &r);
	for (ret = KNOT_EOK, i = 0; i < len && ret == KNOT_EOK; i++) {
		ret = sse_feed(&p, (const uint8_t *)in + i, 1);
	}
	ok(ret == KNOT_EMALF && i == 42 && r.count == 1, "data callback error at byte %zu", i);
	sse_deinit(&p);

	// An error on the joining LF.
	rec_clear(&r);
	r.max_data = 100;
	r.data_fail_at = 2;
	r.fail_ret = KNOT_EMALF;
	sse_init(&p, 100, rec_data, rec_event, &r);
	ret = feed(&p, "data: a\ndata: b\n\n");
	ok(ret == KNOT_EMALF && r.count == 0 && strcmp(r.data.buf, "a\n") == 0,
	   "data callback error on the joining LF");
	sse_deinit(&p);
	rec_free(&r);
}

static void test_reset(void)
{
	rec_t r = { 0 };
	rec_clear(&r);
	r.max_data = 100;
	sse_t p;
	sse_init(&p, 100, rec_data, rec_event, &r);

	static const char part[] = "id: 5\nevent: update\ndata: {\"half\":\ndata: tr";
	int ret = sse_feed(&p, (const uint8_t *)part, sizeof(part) - 1);
	sse_reset(&p);
	r.data.len = 0; // As the consumer does: its partial data is dropped too.
	ok(ret == KNOT_EOK && r.count == 0 && p.line == SSE_LINE_START && !p.has_field &&
	   p.data_len == 0, "reset: partial event and line forgotten");

	static const char rest[] = "ue}\n\nid: 1\nevent: init\ndata: {}\n\n";
	ret = sse_feed(&p, (const uint8_t *)rest, sizeof(rest) - 1);
	ok(ret == KNOT_EOK && !r.bad &&
	   strcmp(r.text.buf, "[|0|0|0|0|]\n[init|1|1|0|2|{}]\n") == 0,
	   "reset: the next stream parsed alone");

	feed(&p, "data: x\r");
	sse_reset(&p);
	ok(!p.after_cr && !p.has_data, "reset: a pending CR forgotten");

	sse_deinit(&p);
	rec_free(&r);
}

int main(void)
{
	test_table();
	test_streaming();
	test_cap();
	test_head();
	test_long_lines();
	test_memory();
	test_big();
	test_callback_error();
	test_reset();
	return done_testing();
}
