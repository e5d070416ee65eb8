/*!
 * \file
 * \brief Fuzz target of the server-sent events parser.
 *
 * Input: a mode byte, an argument byte, then the stream. The stream is fed
 * whole and in pieces chosen by the mode; both event sequences must equal
 * the one of a naive reference parser, and every event and the buffers must
 * stay within the cap.
 *
 * Build: clang -g -fsanitize=fuzzer,address,undefined -I module \
 *        $(pkg-config --cflags libknot) module/sse.c tests/fuzz/fuzz_sse.c \
 *        $(pkg-config --libs libknot)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "sse.h"

/*! \brief Room sse.c gives a line over the cap (SSE_LINE_SLACK). */
#define LINE_SLACK 64

/*! \brief The caps the mode byte picks from. */
static const size_t caps[] = { 0, 8, 64, 4096 };

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/*! \brief Events seen, serialised. */
typedef struct {
	uint8_t *buf;
	size_t len;
	size_t cap;
	size_t count;
	size_t fail_at;    /*!< Fail at this event (1-based), 0 never. */
	size_t max_data;
} rec_t;

static void rec_add(rec_t *r, const void *src, size_t len)
{
	if (r->len + len > r->cap) {
		r->cap = (r->len + len) * 2;
		r->buf = realloc(r->buf, r->cap);
		CHECK(r->buf != NULL);
	}
	memcpy(r->buf + r->len, src, len);
	r->len += len;
}

static int rec_event(const sse_event_t *ev, void *arg)
{
	rec_t *r = arg;

	CHECK(ev->event != NULL && ev->data != NULL);
	CHECK(memchr(ev->event, '\0', 32) != NULL);
	CHECK(ev->data_len <= r->max_data);
	CHECK(ev->data[ev->data_len] == '\0');
	CHECK(!ev->oversize || (ev->has_data && ev->data_len == 0));
	CHECK(ev->has_data || ev->data_len == 0);

	size_t name_len = strlen(ev->event);
	uint8_t flags = ev->has_data | ev->oversize << 1;
	rec_add(r, &name_len, sizeof(name_len));
	rec_add(r, ev->event, name_len);
	rec_add(r, &ev->id, sizeof(ev->id));
	rec_add(r, &flags, 1);
	rec_add(r, &ev->data_len, sizeof(ev->data_len));
	rec_add(r, ev->data, ev->data_len);

	r->count++;
	return (r->count == r->fail_at) ? KNOT_ERANGE : KNOT_EOK;
}

/*! \brief Checks the parser's buffers stay within the cap. */
static void check_bounds(const sse_t *p)
{
	CHECK(p->line_len <= p->line_cap);
	CHECK(p->line_cap <= p->max_data + LINE_SLACK);
	CHECK(p->data_len < p->data_cap || p->data_cap == 0);
	CHECK(p->data_cap <= p->max_data + 1);
}

/*! \brief Feeds in[0..n) in pieces; piece(i) gives the size of the next one. */
static int run(rec_t *r, const uint8_t *in, size_t n, int mode, uint8_t arg)
{
	sse_t p;
	sse_init(&p, r->max_data, rec_event, r);
	int ret = KNOT_EOK;
	size_t at = 0, split = (size_t)arg * (n + 1) / 256;
	uint32_t seed = arg;
	while (ret == KNOT_EOK && at < n) {
		size_t piece = n - at;
		switch (mode) {
		case 1: // Two pieces.
			piece = (at < split) ? split - at : n - at;
			break;
		case 2: // Fixed pieces.
			piece = arg % 32 + 1;
			break;
		case 3: // Random pieces, some empty.
			seed = seed * 1103515245 + 12345;
			piece = (seed >> 16) % 24;
			break;
		case 4: // Byte by byte.
			piece = 1;
			break;
		}
		piece = (piece > n - at) ? n - at : piece;
		ret = sse_feed(&p, in + at, piece);
		at += piece;
		check_bounds(&p);
	}
	sse_deinit(&p);
	return ret;
}

/*! \brief State of the reference parser: straight from the spec, unbounded. */
typedef struct {
	char event[32];
	uint64_t id;
	uint8_t *data;
	size_t data_len;
	bool has_data;
	bool has_field;
} ref_t;

static uint64_t ref_id(const uint8_t *val, size_t len)
{
	uint64_t id = 0;
	for (size_t i = 0; i < len; i++) {
		if (val[i] < '0' || val[i] > '9' || id > (UINT64_MAX - (val[i] - '0')) / 10) {
			return 0;
		}
		id = id * 10 + (val[i] - '0');
	}
	return id;
}

static int ref_line(ref_t *s, rec_t *r, const uint8_t *line, size_t len)
{
	if (len == 0) {
		if (!s->has_field) {
			return KNOT_EOK;
		}
		bool over = s->data_len > r->max_data;
		s->data = realloc(s->data, s->data_len + 1);
		CHECK(s->data != NULL);
		s->data[s->data_len] = '\0';
		sse_event_t ev = {
			.event = s->event, .id = s->id, .has_data = s->has_data,
			.oversize = over, .data = over ? "" : (char *)s->data,
			.data_len = over ? 0 : s->data_len,
		};
		int ret = rec_event(&ev, r);
		free(s->data);
		memset(s, 0, sizeof(*s));
		return ret;
	}
	if (line[0] == ':') {
		return KNOT_EOK;
	}
	size_t name = 0;
	while (name < len && line[name] != ':') {
		name++;
	}
	size_t val = (name < len) ? name + 1 : len;
	if (val < len && line[val] == ' ') {
		val++;
	}
	s->has_field = true;
	if (name == 4 && memcmp(line, "data", 4) == 0) {
		size_t sep = s->has_data ? 1 : 0;
		s->data = realloc(s->data, s->data_len + sep + len - val + 1);
		CHECK(s->data != NULL);
		if (sep) {
			s->data[s->data_len++] = '\n';
		}
		memcpy(s->data + s->data_len, line + val, len - val);
		s->data_len += len - val;
		s->has_data = true;
	} else if (name == 5 && memcmp(line, "event", 5) == 0) {
		size_t n = (len - val < 31) ? len - val : 31;
		memcpy(s->event, line + val, n);
		s->event[n] = '\0';
	} else if (name == 2 && memcmp(line, "id", 2) == 0) {
		// A line over the cap is dropped, an id in it reads as 0.
		s->id = (len > r->max_data + LINE_SLACK) ? 0 : ref_id(line + val, len - val);
	}
	return KNOT_EOK;
}

static int ref_run(rec_t *r, const uint8_t *in, size_t n)
{
	ref_t s = { 0 };
	int ret = KNOT_EOK;
	size_t i = 0;
	while (ret == KNOT_EOK && i < n) {
		size_t j = i;
		while (j < n && in[j] != '\r' && in[j] != '\n') {
			j++;
		}
		if (j == n) {
			break; // An unfinished line.
		}
		ret = ref_line(&s, r, in + i, j - i);
		i = j + 1;
		if (in[j] == '\r' && i < n && in[i] == '\n') {
			i++;
		}
	}
	free(s.data);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	if (size < 2) {
		return 0;
	}
	uint8_t mode = buf[0], arg = buf[1];
	const uint8_t *in = buf + 2;
	size_t n = size - 2;

	rec_t whole = { .max_data = caps[mode & 3], .fail_at = (mode >> 2) & 3 };
	rec_t split = whole, ref = whole;
	int ret_whole = run(&whole, in, n, 0, arg);
	int ret_split = run(&split, in, n, 1 + (mode >> 4) % 4, arg);
	int ret_ref = ref_run(&ref, in, n);

	CHECK(ret_whole == ret_ref && ret_split == ret_ref);
	CHECK(whole.count == ref.count && split.count == ref.count);
	CHECK(whole.len == ref.len && split.len == ref.len);
	CHECK(ref.len == 0 || memcmp(whole.buf, ref.buf, ref.len) == 0);
	CHECK(ref.len == 0 || memcmp(split.buf, ref.buf, ref.len) == 0);

	free(whole.buf);
	free(split.buf);
	free(ref.buf);
	return 0;
}
