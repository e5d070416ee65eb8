/*!
 * \file
 * \brief Fuzz target of the server-sent events parser.
 *
 * Input: a mode byte, an argument byte, then the stream. The stream is fed
 * whole and in pieces chosen by the mode; both sequences of events and data
 * (a hash of each event's data bytes) must equal the ones of a naive
 * reference parser. on_data must never get more than the cap of an event,
 * and the parser's inline buffers must stay in bounds.
 *
 * Build: clang -g -fsanitize=fuzzer,address,undefined -I module \
 *        $(pkg-config --cflags libknot) module/sse.c tests/fuzz/fuzz_sse.c \
 *        $(pkg-config --libs libknot)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "fuzz.h"
#include "sse.h"

/*! \brief The caps the mode byte picks from. */
static const size_t caps[] = { 0, 8, 300, SIZE_MAX };

/*! \brief Data bytes (of the whole stream) at which on_data fails, 0 never. */
static const size_t data_fails[] = { 0, 1, 9, 200 };

/*! \brief Events and data seen, serialised. */
typedef struct {
	uint8_t *buf;
	size_t len;
	size_t cap;
	size_t count;      /*!< Events seen. */
	size_t fail_at;    /*!< Fail at this event (1-based), 0 never. */
	size_t data_fail;  /*!< Fail when the data bytes reach this many, 0 never. */
	size_t data_total; /*!< Data bytes seen in all events. */
	size_t max_data;
	bool no_data;      /*!< The parser has no data callback. */
	size_t ev_sent;    /*!< Data bytes seen in this event. */
	uint64_t ev_hash;  /*!< Their FNV-1a hash. */
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

static int rec_data(const char *bytes, size_t len, void *arg)
{
	rec_t *r = arg;

	CHECK(!r->no_data && len > 0);
	CHECK(r->ev_sent + len <= r->max_data);
	r->ev_hash = fnv1a_step(r->ev_hash, bytes, len);
	r->ev_sent += len;
	size_t before = r->data_total;
	r->data_total += len;
	if (r->data_fail != 0 && before < r->data_fail && r->data_total >= r->data_fail) {
		return KNOT_EMALF;
	}
	return KNOT_EOK;
}

static int rec_event(const sse_event_t *ev, void *arg)
{
	rec_t *r = arg;

	size_t sent = (ev->data_len < r->max_data) ? ev->data_len : r->max_data;
	size_t head = (ev->data_len < SSE_HEAD_MAX - 1) ? ev->data_len : SSE_HEAD_MAX - 1;
	CHECK(ev->event != NULL && ev->head != NULL);
	CHECK(memchr(ev->event, '\0', SSE_EVENT_MAX) != NULL);
	CHECK(ev->head[head] == '\0');
	CHECK(ev->oversize == (ev->data_len > r->max_data));
	CHECK(ev->has_data || ev->data_len == 0);
	CHECK(r->ev_sent == (r->no_data ? 0 : sent));

	size_t name_len = strlen(ev->event);
	uint8_t flags = ev->has_data | ev->oversize << 1;
	rec_add(r, &name_len, sizeof(name_len));
	rec_add(r, ev->event, name_len);
	rec_add(r, &ev->id, sizeof(ev->id));
	rec_add(r, &flags, 1);
	rec_add(r, &ev->data_len, sizeof(ev->data_len));
	rec_add(r, ev->head, head);
	rec_add(r, &r->ev_sent, sizeof(r->ev_sent));
	rec_add(r, &r->ev_hash, sizeof(r->ev_hash));
	r->ev_sent = 0;
	r->ev_hash = FNV1A_START;

	r->count++;
	return (r->count == r->fail_at) ? KNOT_ERANGE : KNOT_EOK;
}

/*! \brief Checks the parser's inline buffers stay in bounds. */
static void check_bounds(const sse_t *p)
{
	CHECK(p->name_len <= SSE_NAME_MAX);
	CHECK(p->head_len < SSE_HEAD_MAX);
	CHECK(p->event_len < SSE_EVENT_MAX);
	CHECK(p->has_data || p->data_len == 0);
}

/*! \brief Feeds in[0..n) in pieces chosen by mode (0: whole). */
static int run(rec_t *r, const uint8_t *in, size_t n, int mode, uint8_t arg)
{
	sse_t p;
	sse_init(&p, r->max_data, r->no_data ? NULL : rec_data, rec_event, r);
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
	char event[SSE_EVENT_MAX];
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

/*! \brief Adds bytes to the joined data, passing what is under the cap on. */
static int ref_data(ref_t *s, rec_t *r, const uint8_t *val, size_t len)
{
	size_t room = (s->data_len < r->max_data) ? r->max_data - s->data_len : 0;
	size_t sent = (len < room) ? len : room;
	s->data = realloc(s->data, s->data_len + len + 1);
	CHECK(s->data != NULL);
	memcpy(s->data + s->data_len, val, len);
	s->data_len += len;
	if (sent == 0 || r->no_data) {
		return KNOT_EOK;
	}
	return rec_data((const char *)val, sent, r);
}

static int ref_dispatch(ref_t *s, rec_t *r)
{
	char head[SSE_HEAD_MAX] = "";
	size_t n = (s->data_len < sizeof(head) - 1) ? s->data_len : sizeof(head) - 1;
	if (n > 0) {
		memcpy(head, s->data, n);
	}
	sse_event_t ev = {
		.event = s->event, .id = s->id, .head = head, .data_len = s->data_len,
		.has_data = s->has_data, .oversize = s->data_len > r->max_data,
	};
	int ret = rec_event(&ev, r);
	free(s->data);
	memset(s, 0, sizeof(*s));
	return ret;
}

/*!
 * \brief Handles one line.
 *
 * \param partial  The line has no line end (the stream stops in it): only
 *                 the data it already gives counts.
 */
static int ref_line(ref_t *s, rec_t *r, const uint8_t *line, size_t len, bool partial)
{
	if (len == 0 || line[0] == ':') {
		return (len == 0 && !partial && s->has_field) ? ref_dispatch(s, r) : KNOT_EOK;
	}
	const uint8_t *colon = memchr(line, ':', len);
	size_t name = (colon != NULL) ? (size_t)(colon - line) : len;
	size_t val = (colon != NULL) ? name + 1 : len;
	if (val < len && line[val] == ' ') {
		val++;
	}
	if (partial && colon == NULL) {
		return KNOT_EOK; // Its field is not known yet.
	}
	s->has_field = true;
	if (name == 4 && memcmp(line, "data", 4) == 0) {
		int ret = KNOT_EOK;
		if (s->has_data) {
			ret = ref_data(s, r, (const uint8_t *)"\n", 1);
		}
		s->has_data = true;
		return (ret == KNOT_EOK) ? ref_data(s, r, line + val, len - val) : ret;
	} else if (name == 5 && memcmp(line, "event", 5) == 0) {
		size_t n = (len - val < SSE_EVENT_MAX - 1) ? len - val : SSE_EVENT_MAX - 1;
		memcpy(s->event, line + val, n);
		s->event[n] = '\0';
	} else if (name == 2 && memcmp(line, "id", 2) == 0) {
		s->id = ref_id(line + val, len - val);
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
		ret = ref_line(&s, r, in + i, j - i, j == n);
		i = j + 1;
		if (j < n && in[j] == '\r' && i < n && in[i] == '\n') {
			i++;
		}
	}
	free(s.data);
	return ret;
}

/*! \brief Compares two runs' records. */
static void check_same(const rec_t *a, int ret_a, const rec_t *b, int ret_b)
{
	CHECK(ret_a == ret_b);
	CHECK(a->count == b->count);
	CHECK(a->len == b->len);
	CHECK(a->len == 0 || memcmp(a->buf, b->buf, a->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	if (size < 2) {
		return 0;
	}
	uint8_t mode = buf[0], arg = buf[1];
	const uint8_t *in = buf + 2;
	size_t n = size - 2;

	rec_t tmpl = {
		.max_data = caps[mode & 3], .fail_at = (mode >> 2) & 3,
		.data_fail = data_fails[mode >> 6], .ev_hash = FNV1A_START,
	};
	rec_t whole = tmpl, split = tmpl, ref = tmpl;
	int ret_whole = run(&whole, in, n, 0, arg);
	int ret_split = run(&split, in, n, 1 + (mode >> 4) % 4, arg);
	int ret_ref = ref_run(&ref, in, n);
	check_same(&whole, ret_whole, &ref, ret_ref);
	check_same(&split, ret_split, &ref, ret_ref);

	// Without a data callback: the same events, no data calls.
	tmpl.no_data = true;
	rec_t none = tmpl, none_ref = tmpl;
	int ret_none = run(&none, in, n, 1 + (mode >> 4) % 4, arg);
	int ret_none_ref = ref_run(&none_ref, in, n);
	check_same(&none, ret_none, &none_ref, ret_none_ref);

	free(whole.buf);
	free(split.buf);
	free(ref.buf);
	free(none.buf);
	free(none_ref.buf);
	return 0;
}
