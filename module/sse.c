/*!
 * \file
 * \brief Server-sent events: bytes of a lainlet watch stream -> events.
 *
 * A complete line found in the fed bytes is parsed in place; only a line split
 * over feeds is copied into the line buffer. Data values go straight into the
 * data buffer. Both buffers grow geometrically and stay bounded by the cap.
 */
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "sse.h"

/*! \brief First allocation of a buffer. */
#define SSE_BUF_START 4096

/*!
 * \brief Largest buffer kept between events: a multi-MB document's buffer is
 *        given back once the event is handled, not held for the stream's life.
 */
#define SSE_BUF_KEEP (256 * 1024)

/*!
 * \brief Room a line gets over max_data for its field name ("data: ").
 *
 * It is also how much of an over-long line is kept: enough for the field
 * name and a cut event name, so the line is still handled by its field.
 */
#define SSE_LINE_SLACK 64

/*! \brief Longest line kept whole, the rest of a longer one is dropped. */
static size_t line_limit(const sse_t *p)
{
	if (p->max_data > SIZE_MAX - SSE_LINE_SLACK) {
		return SIZE_MAX;
	}
	return p->max_data + SSE_LINE_SLACK;
}

/*! \brief Makes *cap at least need, doubling from SSE_BUF_START, never above max. */
static int buf_reserve(char **buf, size_t *cap, size_t need, size_t max)
{
	if (need <= *cap) {
		return KNOT_EOK;
	} else if (need > max) {
		return KNOT_ERANGE; // Callers check the cap first, never happens.
	}
	size_t new_cap = *cap > 0 ? *cap : SSE_BUF_START;
	while (new_cap < need && new_cap <= max / 2) {
		new_cap *= 2;
	}
	if (new_cap < need || new_cap > max) {
		new_cap = max; // Last step, or a cap under SSE_BUF_START.
	}
	char *mem = realloc(*buf, new_cap);
	if (mem == NULL) {
		return KNOT_ENOMEM;
	}
	*buf = mem;
	*cap = new_cap;
	return KNOT_EOK;
}

/*! \brief Frees a buffer that grew over SSE_BUF_KEEP (its content is consumed). */
static void buf_shrink(char **buf, size_t *cap)
{
	if (*cap > SSE_BUF_KEEP) {
		free(*buf);
		*buf = NULL;
		*cap = 0;
	}
}

/*! \brief Forgets the fields of the event being assembled (keeps small buffers). */
static void event_clear(sse_t *p)
{
	buf_shrink(&p->data, &p->data_cap);
	p->data_len = 0;
	p->has_data = false;
	p->oversize = false;
	p->has_field = false;
	p->event[0] = '\0';
	p->id = 0;
}

/*! \brief Parses a decimal id; 0 if empty, not all digits, or over 64 bits. */
static uint64_t parse_id(const char *val, size_t len)
{
	uint64_t id = 0;
	if (len == 0) {
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		if (val[i] < '0' || val[i] > '9') {
			return 0;
		}
		unsigned digit = val[i] - '0';
		if (id > (UINT64_MAX - digit) / 10) {
			return 0;
		}
		id = id * 10 + digit;
	}
	return id;
}

/*! \brief Appends one data line's value (joined by '\n' to the previous ones). */
static int data_add(sse_t *p, const char *val, size_t len, bool over)
{
	bool first = !p->has_data;
	p->has_data = true;
	if (p->oversize) {
		return KNOT_EOK;
	}

	size_t sep = first ? 0 : 1;
	if (over || len > p->max_data || p->data_len + sep > p->max_data - len) {
		// Over the cap: drop what we have, skip the rest of the event.
		p->oversize = true;
		p->data_len = 0;
		return KNOT_EOK;
	}

	size_t max = (p->max_data < SIZE_MAX) ? p->max_data + 1 : SIZE_MAX; // With the NUL.
	int ret = buf_reserve(&p->data, &p->data_cap, p->data_len + sep + len + 1, max);
	if (ret != KNOT_EOK) {
		return ret;
	}
	if (sep > 0) {
		p->data[p->data_len++] = '\n';
	}
	memcpy(p->data + p->data_len, val, len);
	p->data_len += len;
	p->data[p->data_len] = '\0';
	return KNOT_EOK;
}

/*! \brief Hands the assembled event to the callback and starts a new one. */
static int dispatch(sse_t *p)
{
	sse_event_t ev = {
		.event = p->event,
		.id = p->id,
		.data = (p->data_len > 0) ? p->data : "",
		.data_len = p->data_len,
		.has_data = p->has_data,
		.oversize = p->oversize,
	};
	int ret = p->on_event(&ev, p->arg);
	event_clear(p);
	return ret;
}

/*!
 * \brief Handles one line (without its line end).
 *
 * \param over  The line was longer than the limit; only its start is given.
 */
static int line_done(sse_t *p, const char *line, size_t len, bool over)
{
	if (len == 0) {
		return p->has_field ? dispatch(p) : KNOT_EOK;
	}
	if (line[0] == ':') {
		return KNOT_EOK; // A comment.
	}

	// "name: value", "name:value" or just "name".
	const char *colon = memchr(line, ':', len);
	size_t name_len = (colon != NULL) ? (size_t)(colon - line) : len;
	const char *val = line + len;
	if (colon != NULL) {
		val = colon + 1;
		if (val < line + len && *val == ' ') {
			val++;
		}
	}
	size_t val_len = line + len - val;
	p->has_field = true;

	if (name_len == 4 && memcmp(line, "data", 4) == 0) {
		return data_add(p, val, val_len, over);
	} else if (name_len == 5 && memcmp(line, "event", 5) == 0) {
		// Over-long lines keep enough to fill the cut name.
		size_t n = val_len < sizeof(p->event) ? val_len : sizeof(p->event) - 1;
		memcpy(p->event, val, n);
		p->event[n] = '\0';
	} else if (name_len == 2 && memcmp(line, "id", 2) == 0) {
		p->id = over ? 0 : parse_id(val, val_len);
	}
	return KNOT_EOK;
}

/*! \brief Adds bytes of a line split over feeds to the line buffer. */
static int line_append(sse_t *p, const uint8_t *buf, size_t len)
{
	if (p->line_over) {
		return KNOT_EOK;
	}
	size_t limit = line_limit(p);
	if (len > limit - p->line_len) {
		// Too long: keep only the start, enough to see the field.
		p->line_over = true;
		if (p->line_len >= SSE_LINE_SLACK) {
			p->line_len = SSE_LINE_SLACK;
			return KNOT_EOK;
		}
		len = SSE_LINE_SLACK - p->line_len;
	}
	int ret = buf_reserve(&p->line, &p->line_cap, p->line_len + len, limit);
	if (ret != KNOT_EOK) {
		return ret;
	}
	memcpy(p->line + p->line_len, buf, len);
	p->line_len += len;
	return KNOT_EOK;
}

/*! \brief Ends the current line whose last bytes (maybe none) are in buf. */
static int line_end(sse_t *p, const uint8_t *buf, size_t len)
{
	if (p->line_len == 0 && !p->line_over) {
		// Whole line in the fed bytes: parse it in place.
		bool over = len > line_limit(p);
		return line_done(p, (const char *)buf, over ? SSE_LINE_SLACK : len, over);
	}
	int ret = line_append(p, buf, len);
	if (ret != KNOT_EOK) {
		return ret;
	}
	bool over = p->line_over;
	size_t line_len = p->line_len;
	p->line_len = 0;
	p->line_over = false;
	ret = line_done(p, p->line, line_len, over);
	buf_shrink(&p->line, &p->line_cap);
	return ret;
}

void sse_init(sse_t *p, size_t max_data, sse_event_f on_event, void *arg)
{
	memset(p, 0, sizeof(*p));
	p->max_data = max_data;
	p->on_event = on_event;
	p->arg = arg;
}

void sse_reset(sse_t *p)
{
	p->line_len = 0;
	p->line_over = false;
	p->after_cr = false;
	event_clear(p);
}

void sse_deinit(sse_t *p)
{
	free(p->line);
	free(p->data);
	p->line = NULL;
	p->data = NULL;
	p->line_cap = 0;
	p->data_cap = 0;
	sse_reset(p);
}

int sse_feed(sse_t *p, const uint8_t *buf, size_t len)
{
	const uint8_t *pos = buf;
	const uint8_t *end = buf + len;
	if (len == 0) {
		return KNOT_EOK;
	}

	// The LF of a CRLF split over two feeds.
	if (p->after_cr && *pos == '\n') {
		pos++;
	}
	p->after_cr = false;

	// Next LF and CR, searched again only once passed: O(len) in all.
	const uint8_t *lf = memchr(pos, '\n', end - pos);
	const uint8_t *cr = memchr(pos, '\r', end - pos);
	while (pos < end) {
		if (lf != NULL && lf < pos) {
			lf = memchr(pos, '\n', end - pos);
		}
		if (cr != NULL && cr < pos) {
			cr = memchr(pos, '\r', end - pos);
		}
		const uint8_t *eol = (cr != NULL && (lf == NULL || cr < lf)) ? cr : lf;
		if (eol == NULL) {
			// No line end: keep the partial line for the next feed.
			return line_append(p, pos, end - pos);
		}

		int ret = line_end(p, pos, eol - pos);
		if (ret != KNOT_EOK) {
			return ret;
		}
		pos = eol + 1;
		if (*eol == '\r') {
			if (pos == end) {
				p->after_cr = true;
			} else if (*pos == '\n') {
				pos++;
			}
		}
	}
	return KNOT_EOK;
}
