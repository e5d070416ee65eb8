/*!
 * \file
 * \brief Unit tests of the server-sent events parser.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libknot/libknot.h>

#include "sse.h"
#include "tap.h"

/*! \brief Events seen, written one per line into a growing string. */
typedef struct {
	char *text;
	size_t len;
	size_t cap;
	size_t count;      /*!< Events seen. */
	size_t fail_at;    /*!< Return fail_ret at this event (1-based), 0 never. */
	int fail_ret;
	bool bad;          /*!< An event broke an invariant. */
	size_t max_data;
} rec_t;

static void rec_putc(rec_t *r, char c)
{
	if (r->len + 1 >= r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->text = realloc(r->text, r->cap);
		if (r->text == NULL) {
			abort();
		}
	}
	r->text[r->len++] = c;
	r->text[r->len] = '\0';
}

static void rec_puts(rec_t *r, const char *s)
{
	for (; *s != '\0'; s++) {
		rec_putc(r, *s);
	}
}

static void rec_clear(rec_t *r)
{
	free(r->text);
	memset(r, 0, sizeof(*r));
}

/*! \brief Writes an event as "[event|id|has_data|oversize|data_len|data]\n". */
static int rec_event(const sse_event_t *ev, void *arg)
{
	rec_t *r = arg;
	char head[128];
	snprintf(head, sizeof(head), "[%s|%" PRIu64 "|%d|%d|%zu|", ev->event, ev->id,
	         ev->has_data, ev->oversize, ev->data_len);
	rec_puts(r, head);
	for (size_t i = 0; i < ev->data_len; i++) {
		unsigned char c = ev->data[i];
		if (c == '\n') {
			rec_puts(r, "\\n");
		} else if (c < 0x20 || c == '\\' || c >= 0x7f) {
			char esc[8];
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			rec_puts(r, esc);
		} else {
			rec_putc(r, c);
		}
	}
	rec_puts(r, "]\n");

	if (ev->data[ev->data_len] != '\0' || ev->data_len > r->max_data ||
	    strlen(ev->event) >= 32 || (ev->oversize && (ev->data_len != 0 || !ev->has_data)) ||
	    (!ev->has_data && ev->data_len != 0)) {
		r->bad = true;
	}

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
	rec_puts(r, ""); // Not NULL even without events.
	sse_t p;
	sse_init(&p, max_data, rec_event, r);
	int ret = feed_split(&p, in, len, cuts, ncuts);
	if (p.line_cap > max_data + 64 || p.data_cap > max_data + 1) {
		r->bad = true;
	}
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

static const char sample_events[] =
	"[init|1|1|0|52|{\"hello.web.web\": {\"PodInfos\": [{\"InstanceNo\": 1}]}}]\n"
	"[heartbeat|0|0|0|0|]\n"
	"[update|7|1|0|9|{\"a\":\\n1}\\n]\n"
	"[delete|12|1|0|11| two spaces]\n"
	"[error|0|1|0|21|lainlet: auth failure]\n"
	"[a-very-long-event-name-over-thi|18446744073709551615|1|0|1|x]\n"
	"[|0|1|0|1|y]\n"
	"[delete|0|1|0|1|\\n]\n"
	"[|0|0|0|0|]\n"
	"[|0|0|0|0|]\n";

static void test_sample(void)
{
	size_t len = sizeof(sample) - 1;
	rec_t whole = { 0 }, r = { 0 };

	int ret = parse(&whole, 1 << 20, sample, len, NULL, 0);
	ok(ret == KNOT_EOK && whole.count == 10, "sample: whole, %zu events", whole.count);
	ok(strcmp(whole.text, sample_events) == 0, "sample: whole, expected events");
	if (strcmp(whole.text, sample_events) != 0) {
		diag("got:\n%s", whole.text);
	}
	ok(!whole.bad, "sample: whole, invariants hold");

	// Two pieces, at every split point.
	size_t bad = 0;
	for (size_t i = 0; i <= len; i++) {
		ret = parse(&r, 1 << 20, sample, len, &i, 1);
		if (ret != KNOT_EOK || r.bad || strcmp(r.text, whole.text) != 0) {
			if (bad++ == 0) {
				diag("split at %zu differs:\n%s", i, r.text);
			}
		}
	}
	ok(bad == 0, "sample: two pieces at each of %zu split points", len + 1);

	// Three pieces, at every pair of split points (empty pieces too).
	bad = 0;
	for (size_t i = 0; i <= len; i++) {
		for (size_t j = i; j <= len; j++) {
			size_t cuts[2] = { i, j };
			ret = parse(&r, 1 << 20, sample, len, cuts, 2);
			if (ret != KNOT_EOK || r.bad || strcmp(r.text, whole.text) != 0) {
				if (bad++ == 0) {
					diag("split at %zu,%zu differs:\n%s", i, j, r.text);
				}
			}
		}
	}
	ok(bad == 0, "sample: three pieces at every pair of split points");

	// One byte at a time.
	size_t *cuts = malloc(len * sizeof(*cuts));
	for (size_t i = 0; i < len; i++) {
		cuts[i] = i;
	}
	ret = parse(&r, 1 << 20, sample, len, cuts, len);
	ok(ret == KNOT_EOK && !r.bad && strcmp(r.text, whole.text) == 0,
	   "sample: one byte at a time");

	// A small cap: the same events whole and byte by byte, big ones oversize.
	ret = parse(&whole, 8, sample, len, NULL, 0);
	ok(ret == KNOT_EOK && !whole.bad && whole.count == 10 &&
	   strncmp(whole.text, "[init|1|1|1|0|]\n[heartbeat|0|0|0|0|]\n", 37) == 0,
	   "sample: cap 8, big events oversize");
	ret = parse(&r, 8, sample, len, cuts, len);
	ok(ret == KNOT_EOK && !r.bad && strcmp(r.text, whole.text) == 0,
	   "sample: cap 8, one byte at a time");
	free(cuts);

	rec_clear(&whole);
	rec_clear(&r);
}

static void test_details(void)
{
	rec_t r = { 0 };

	// A CR ends a feed, the LF starts the next one after an empty feed.
	sse_t p;
	r.max_data = 100;
	sse_init(&p, 100, rec_event, &r);
	sse_feed(&p, (const uint8_t *)"data: a\r", 8);
	sse_feed(&p, (const uint8_t *)"", 0);
	sse_feed(&p, (const uint8_t *)"\n", 1);
	ok(r.count == 0, "CR, empty feed, LF: one line end");
	sse_feed(&p, (const uint8_t *)"\r", 1);
	ok(r.count == 1, "a CR alone dispatches at once");
	sse_feed(&p, (const uint8_t *)"\n", 1);
	ok(r.count == 1 && strcmp(r.text, "[|0|1|0|1|a]\n") == 0, "... and its LF is eaten");
	sse_deinit(&p);

	// Bytes of any value in data.
	static const char nul[] = "data: a\0b\xff\n\n";
	int ret = parse(&r, 100, nul, sizeof(nul) - 1, NULL, 0);
	ok(ret == KNOT_EOK && !r.bad && strcmp(r.text, "[|0|1|0|4|a\\x00b\\xff]\n") == 0,
	   "NUL and high bytes kept in data");

	// A value of exactly the cap fits, one more byte is oversize.
	static const char exact[] = "data: 12345678\ndata: 1234567\n\n";
	ret = parse(&r, 16, exact, sizeof(exact) - 1, NULL, 0);
	ok(ret == KNOT_EOK && strcmp(r.text, "[|0|1|0|16|12345678\\n1234567]\n") == 0,
	   "data of exactly the cap");
	ret = parse(&r, 15, exact, sizeof(exact) - 1, NULL, 0);
	ok(ret == KNOT_EOK && strcmp(r.text, "[|0|1|1|0|]\n") == 0, "data one over the cap");
	static const char empty[] = "data:\n\n";
	ret = parse(&r, 0, empty, sizeof(empty) - 1, NULL, 0);
	ok(ret == KNOT_EOK && strcmp(r.text, "[|0|1|0|0|]\n") == 0, "cap 0, empty data");
	static const char no_cap[] = "id:\nevent:init\ndata: {}\n\n";
	ret = parse(&r, SIZE_MAX, no_cap, sizeof(no_cap) - 1, NULL, 0);
	ok(ret == KNOT_EOK && strcmp(r.text, "[init|0|1|0|2|{}]\n") == 0,
	   "no cap (SIZE_MAX), empty id is 0");

	// A short start of a line buffered, then the rest goes over the cap.
	char line[256];
	size_t len = sprintf(line, "event: long\ndata: 12");
	size_t cut = len;
	memset(line + len, '3', 100);
	len += 100;
	len += sprintf(line + len, "\ndata: 1\n\ndata: 12345678\n\n");
	ret = parse(&r, 8, line, len, &cut, 1);
	ok(ret == KNOT_EOK && !r.bad &&
	   strcmp(r.text, "[long|0|1|1|0|]\n[|0|1|0|8|12345678]\n") == 0,
	   "line over the cap in the second piece");

	rec_clear(&r);
}

static void test_oversize(void)
{
	rec_t r = { 0 };
	static const char over[] =
		"id: 3\nevent: update\ndata: 0123456789\ndata: 0123456789\ndata: 0\n\n"
		"event: update\nid: 4\ndata: ok\n\n";
	size_t len = sizeof(over) - 1;
	static const char expect[] = "[update|3|1|1|0|]\n[update|4|1|0|2|ok]\n";

	int ret = parse(&r, 16, over, len, NULL, 0);
	ok(ret == KNOT_EOK && !r.bad && strcmp(r.text, expect) == 0,
	   "event over the cap: oversize once, the next one parsed");
	size_t bad = 0;
	for (size_t i = 0; i <= len; i++) {
		ret = parse(&r, 16, over, len, &i, 1);
		bad += (ret != KNOT_EOK || r.bad || strcmp(r.text, expect) != 0);
	}
	ok(bad == 0, "event over the cap: at every split point");

	// Single lines far over the cap, whole and in pieces.
	const size_t cap = 4096, big = 1 << 20;
	const char *heads[] = { "data: ", ":", "event: ", "id: 1", "xyz" };
	const char *expects[] = {
		"[big|0|1|1|0|]\n[|5|1|0|4|next]\n",
		"[big|0|0|0|0|]\n[|5|1|0|4|next]\n",
		"[bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb|0|0|0|0|]\n[|5|1|0|4|next]\n",
		"[big|0|0|0|0|]\n[|5|1|0|4|next]\n",
		"[big|0|0|0|0|]\n[|5|1|0|4|next]\n",
	};
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
			rec_t r2 = { 0 };
			sse_t p;
			sse_init(&p, cap, rec_event, &r2);
			r2.max_data = cap;
			if (mode == 0) {
				ret = sse_feed(&p, (const uint8_t *)in, n);
			} else if (mode == 1) {
				ret = feed_split(&p, in, n, cuts, sizeof(cuts) / sizeof(cuts[0]));
			} else {
				ret = KNOT_EOK;
				for (size_t i = 0; i < n && ret == KNOT_EOK; i += 1000) {
					size_t piece = (n - i < 1000) ? n - i : 1000;
					ret = sse_feed(&p, (const uint8_t *)in + i, piece);
				}
			}
			good = good && ret == KNOT_EOK && !r2.bad && r2.text != NULL &&
			       strcmp(r2.text, expects[h]) == 0 &&
			       p.line_cap <= cap + 64 && p.data_cap <= cap + 1;
			if (!good) {
				diag("mode %zu: %s (line_cap %zu, data_cap %zu)", mode,
				     r2.text, p.line_cap, p.data_cap);
			}
			sse_deinit(&p);
			rec_clear(&r2);
		}
		ok(good, "line of 1 MiB after \"%s\", cap %zu: buffers stay under the cap",
		   heads[h], cap);
	}
	free(in);
	rec_clear(&r);
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
		sse_t p;
		sse_init(&p, 64 << 20, rec_event, &r);
		r.max_data = 64 << 20;
		clock_t start = clock();
		int ret = KNOT_EOK;
		for (size_t i = 0; i < n && ret == KNOT_EOK; i += piece) {
			size_t len = (n - i < piece) ? n - i : piece;
			ret = sse_feed(&p, (const uint8_t *)in + i, len);
		}
		double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
		// The record escapes nothing here, so the data is at a fixed offset.
		const char *data = (r.text != NULL) ? strstr(r.text, "|8388608|") : NULL;
		ok(ret == KNOT_EOK && r.count == 1 && data != NULL &&
		   memcmp(data + 9, in + 18, big) == 0,
		   "8 MiB data line in pieces of %zu: %.3f s", piece, secs);
		ok(secs < 5.0, "... in linear time");
		sse_deinit(&p);
		rec_clear(&r);
	}
	free(in);
}

static void test_callback_error(void)
{
	static const char in[] =
		"event: init\ndata: 1\n\nevent: update\ndata: 2\n\nevent: update\ndata: 3\n\n";
	size_t len = sizeof(in) - 1;
	rec_t r = { 0 };

	// Whole: stops right at the second event.
	r.max_data = 100;
	r.fail_at = 2;
	r.fail_ret = KNOT_ERANGE;
	sse_t p;
	sse_init(&p, 100, rec_event, &r);
	int ret = sse_feed(&p, (const uint8_t *)in, len);
	ok(ret == KNOT_ERANGE && r.count == 2, "callback error returned, feeding stops");
	sse_deinit(&p);

	// Byte by byte: the error comes with the empty line of the second event.
	rec_clear(&r);
	r.max_data = 100;
	r.fail_at = 2;
	r.fail_ret = 1; // Any non-zero value.
	sse_init(&p, 100, rec_event, &r);
	size_t i = 0;
	for (ret = KNOT_EOK; i < len && ret == KNOT_EOK; i++) {
		ret = sse_feed(&p, (const uint8_t *)in + i, 1);
	}
	ok(ret == 1 && i == 44 && r.count == 2, "callback error at byte %zu", i);
	sse_deinit(&p);
	rec_clear(&r);
}

static void test_reset(void)
{
	rec_t r = { 0 };
	r.max_data = 100;
	sse_t p;
	sse_init(&p, 100, rec_event, &r);

	static const char part[] = "id: 5\nevent: update\ndata: {\"half\":\ndata: tr";
	int ret = sse_feed(&p, (const uint8_t *)part, sizeof(part) - 1);
	sse_reset(&p);
	ok(ret == KNOT_EOK && r.count == 0 && p.line_len == 0 && !p.has_field,
	   "reset: partial event and line forgotten");

	static const char rest[] = "ue}\n\nid: 1\nevent: init\ndata: {}\n\n";
	ret = sse_feed(&p, (const uint8_t *)rest, sizeof(rest) - 1);
	ok(ret == KNOT_EOK && strcmp(r.text, "[|0|0|0|0|]\n[init|1|1|0|2|{}]\n") == 0,
	   "reset: the next stream parsed alone");

	sse_feed(&p, (const uint8_t *)"data: x\r", 8);
	sse_reset(&p);
	ok(!p.after_cr && !p.has_data, "reset: a pending CR forgotten");

	sse_deinit(&p);
	rec_clear(&r);
}

int main(void)
{
	test_sample();
	test_details();
	test_oversize();
	test_big();
	test_callback_error();
	test_reset();
	return done_testing();
}
