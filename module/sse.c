/*!
 * \file
 * \brief Server-sent events: bytes of a lainlet watch stream -> events.
 *
 * Line ends are found with memchr. The bytes of a line go through a small
 * state machine: the field name is read into a few bytes of sse_t (a longer
 * one is no known field), then a data value goes to the data callback
 * straight from the fed buffer, an event name is copied up to its cut, an id
 * is parsed digit by digit and anything else is skipped.
 */
#include <string.h>

#include <libknot/libknot.h>

#include "sse.h"

/*! \brief The byte that joins two data lines. */
static const char data_sep = '\n';

/*! \brief Forgets the fields of the event being assembled. */
static void event_clear(sse_t *p)
{
	p->has_field = false;
	p->has_data = false;
	p->data_len = 0;
	p->head_len = 0;
	p->head[0] = '\0';
	p->event_len = 0;
	p->event[0] = '\0';
	p->id = 0;
}

/*! \brief Starts a new line. */
static void line_clear(sse_t *p)
{
	p->line = SSE_LINE_START;
	p->field = SSE_FIELD_NONE;
	p->name_len = 0;
	p->id_value = 0;
	p->id_ok = false;
}

/*! \brief Passes the next bytes of the data on: counted, head kept, up to the cap. */
static int data_put(sse_t *p, const char *bytes, size_t len)
{
	if (p->head_len < SSE_HEAD_MAX - 1) {
		size_t n = SSE_HEAD_MAX - 1 - p->head_len;
		n = (len < n) ? len : n;
		memcpy(p->head + p->head_len, bytes, n);
		p->head_len += n;
	}

	size_t room = (p->data_len < p->max_data) ? p->max_data - p->data_len : 0;
	p->data_len = (len > SIZE_MAX - p->data_len) ? SIZE_MAX : p->data_len + len;
	size_t n = (len < room) ? len : room;
	if (n == 0 || p->on_data == NULL) {
		return KNOT_EOK;
	}
	return p->on_data(bytes, n, p->arg);
}

/*! \brief Hands the assembled event to the callback and starts a new one. */
static int dispatch(sse_t *p)
{
	p->head[p->head_len] = '\0';
	p->event[p->event_len] = '\0';
	sse_event_t ev = {
		.event = p->event,
		.id = p->id,
		.head = p->head,
		.data_len = p->data_len,
		.has_data = p->has_data,
		.oversize = p->data_len > p->max_data,
	};
	int ret = p->on_event(&ev, p->arg);
	event_clear(p);
	return ret;
}

/*! \brief The field name is complete (at a ':' or at the line end). */
static int name_done(sse_t *p, bool colon)
{
	p->line = colon ? SSE_LINE_SPACE : SSE_LINE_SKIP;
	if (p->name_len == 4 && memcmp(p->name, "data", 4) == 0) {
		p->field = SSE_FIELD_DATA;
		bool first = !p->has_data;
		p->has_data = true;
		return first ? KNOT_EOK : data_put(p, &data_sep, 1);
	} else if (p->name_len == 5 && memcmp(p->name, "event", 5) == 0) {
		p->field = SSE_FIELD_EVENT;
		p->event_len = 0;
		p->event[0] = '\0';
	} else if (p->name_len == 2 && memcmp(p->name, "id", 2) == 0) {
		p->field = SSE_FIELD_ID;
		p->id_value = 0;
		p->id_ok = true; // An empty id is 0.
	} else {
		p->line = SSE_LINE_SKIP;
	}
	return KNOT_EOK;
}

/*! \brief Reads field name bytes; returns how many bytes were used. */
static size_t name_bytes(sse_t *p, const uint8_t *buf, size_t len, int *ret)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == ':') {
			*ret = name_done(p, true);
			return i + 1;
		}
		if (p->name_len == SSE_NAME_MAX) {
			p->line = SSE_LINE_SKIP; // Too long for a known field.
			return len;
		}
		p->name[p->name_len++] = buf[i];
	}
	return len;
}

/*! \brief Reads id digits: 0 if not all digits or over 64 bits. */
static void id_bytes(sse_t *p, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len && p->id_ok; i++) {
		unsigned digit = buf[i] - '0';
		if (digit > 9 || p->id_value > (UINT64_MAX - digit) / 10) {
			p->id_ok = false;
			return;
		}
		p->id_value = p->id_value * 10 + digit;
	}
}

/*! \brief Reads value bytes of the current line's known field. */
static int value_bytes(sse_t *p, const uint8_t *buf, size_t len)
{
	switch (p->field) {
	case SSE_FIELD_DATA:
		return data_put(p, (const char *)buf, len);
	case SSE_FIELD_EVENT:
		if (p->event_len < SSE_EVENT_MAX - 1) {
			size_t n = SSE_EVENT_MAX - 1 - p->event_len;
			n = (len < n) ? len : n;
			memcpy(p->event + p->event_len, buf, n);
			p->event_len += n;
			p->event[p->event_len] = '\0';
		}
		return KNOT_EOK;
	case SSE_FIELD_ID:
		id_bytes(p, buf, len);
		return KNOT_EOK;
	default:
		return KNOT_EOK;
	}
}

/*! \brief Reads bytes of the current line (no line end among them). */
static int line_bytes(sse_t *p, const uint8_t *buf, size_t len)
{
	int ret = KNOT_EOK;
	size_t i = 0;
	while (i < len && ret == KNOT_EOK) {
		switch (p->line) {
		case SSE_LINE_START:
			if (buf[i] == ':') {
				p->line = SSE_LINE_SKIP; // A comment.
			} else {
				p->line = SSE_LINE_NAME;
				p->has_field = true;
			}
			break;
		case SSE_LINE_NAME:
			i += name_bytes(p, buf + i, len - i, &ret);
			break;
		case SSE_LINE_SPACE:
			i += (buf[i] == ' ');
			p->line = SSE_LINE_VALUE;
			break;
		case SSE_LINE_VALUE:
			return value_bytes(p, buf + i, len - i);
		case SSE_LINE_SKIP:
			return KNOT_EOK;
		}
	}
	return ret;
}

/*! \brief Ends the current line. */
static int line_end(sse_t *p)
{
	int ret = KNOT_EOK;
	if (p->line == SSE_LINE_START) {
		ret = p->has_field ? dispatch(p) : KNOT_EOK;
	} else if (p->line == SSE_LINE_NAME) {
		ret = name_done(p, false);
	}
	if (p->field == SSE_FIELD_ID) {
		p->id = p->id_ok ? p->id_value : 0;
	}
	line_clear(p);
	return ret;
}

void sse_init(sse_t *p, size_t max_data, sse_data_f on_data, sse_event_f on_event,
              void *arg)
{
	memset(p, 0, sizeof(*p));
	p->max_data = max_data;
	p->on_data = on_data;
	p->on_event = on_event;
	p->arg = arg;
}

void sse_reset(sse_t *p)
{
	p->after_cr = false;
	line_clear(p);
	event_clear(p);
}

void sse_deinit(sse_t *p)
{
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
			// No line end: the line goes on in the next feed.
			return line_bytes(p, pos, end - pos);
		}

		int ret = line_bytes(p, pos, eol - pos);
		if (ret == KNOT_EOK) {
			ret = line_end(p);
		}
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

const char *sse_event_name(const sse_t *p)
{
	return p->event;
}
