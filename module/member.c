/*!
 * \file
 * \brief Top-level members of a JSON document, framed byte by byte.
 *
 * One state per place in the top-level grammar; inside a value only the
 * string, escape and nesting state is kept, which is all it takes to find
 * where the value ends.
 */
#include <stdio.h>
#include <string.h>

#include <libknot/libknot.h>

#include "mem.h"
#include "member.h"

/*! \brief A buffer that grew past this is given back at a reset. */
#define KEEP_MAX (1024 * 1024)

/*! \brief Where in the top-level grammar the framer is. */
enum {
	S_BEFORE = 0, /*!< Before the open. */
	S_FIRST,      /*!< After the open: the close or the first item. */
	S_NEXT,       /*!< After a ',': an item. */
	S_KEY,        /*!< In a member's key. */
	S_COLON,      /*!< After a key: ':'. */
	S_VALUE,      /*!< Before a value. */
	S_IN_VALUE,   /*!< In a value. */
	S_AFTER,      /*!< After an item: ',' or the close. */
	S_DONE,       /*!< After the close: whitespace only. */
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void member_init(member_framer_t *f, bool array, size_t max_item, const member_calls_t *calls)
{
	memset(f, 0, sizeof(*f));
	f->calls = *calls;
	f->array = array;
	f->max_item = max_item;
}

void member_reset(member_framer_t *f)
{
	if (f->cap > KEEP_MAX) {
		mem_free(f->buf);
		f->buf = NULL;
		f->cap = 0;
	}
	f->len = 0;
	f->offset = 0;
	f->state = S_BEFORE;
	f->ret = KNOT_EOK;
	f->err[0] = '\0';
}

void member_deinit(member_framer_t *f)
{
	mem_free(f->buf);
	f->buf = NULL;
	f->cap = 0;
}

const char *member_error(const member_framer_t *f)
{
	return f->err;
}

size_t member_offset(const member_framer_t *f)
{
	return f->item_offset;
}

/*! \brief A punctuation error at the current byte. */
static int punct(member_framer_t *f, const char *expected, char got)
{
	if (f->state == S_BEFORE) {
		snprintf(f->err, sizeof(f->err), "not a JSON %s", f->array ? "array" : "object");
	} else if ((unsigned char)got >= 0x20 && (unsigned char)got < 0x7f) {
		snprintf(f->err, sizeof(f->err), "byte %zu: expected %s, got '%c'", f->offset,
		         expected, got);
	} else {
		snprintf(f->err, sizeof(f->err), "byte %zu: expected %s, got byte 0x%02x",
		         f->offset, expected, (unsigned char)got);
	}
	return KNOT_EMALF;
}

/*! \brief Appends bytes to the item (up to its cap: then the item is refused). */
static int put(member_framer_t *f, const char *bytes, size_t n)
{
	f->seen += n;
	if (f->dropped) {
		return KNOT_EOK;
	}
	if (f->seen > f->max) {
		f->dropped = true;
		return f->calls.item(f->calls.arg, NULL, f->seen);
	}
	if (mem_grow((void **)&f->buf, &f->cap, f->len, n + 2, 1) != KNOT_EOK) {
		return KNOT_ENOMEM;
	}
	memcpy(f->buf + f->len, bytes, n);
	f->len += n;
	return KNOT_EOK;
}

/*! \brief Starts an item: a member's key (its '"' read) or an element. */
static int item_begin(member_framer_t *f)
{
	f->item_offset = f->offset;
	f->len = 0;
	f->seen = 0;
	f->max = f->max_item;
	f->dropped = false;
	f->take = MEMBER_WHOLE;
	f->depth = 0;
	f->in_string = false;
	f->escape = 0;
	if (!f->array) {
		f->state = S_KEY;
		f->in_string = true;
		return put(f, "{\"", 2);
	}
	f->state = S_VALUE;
	return KNOT_EOK;
}

/*! \brief Hands out the slice buffered (a JSON string once closed) and starts the next. */
static int slice_out(member_framer_t *f, bool last)
{
	if (!last) {
		f->buf[f->len++] = '"';
	}
	int ret = f->calls.slice(f->calls.arg, f->buf, f->len, last);
	f->len = 0;
	return ret != KNOT_EOK || last ? ret : put(f, "\"", 1);
}

/*! \brief The end of an item's value. */
static int item_end(member_framer_t *f)
{
	f->state = S_AFTER;
	if (f->take == MEMBER_SLICES) {
		return slice_out(f, true);
	} else if (f->take == MEMBER_SKIP || f->dropped) {
		return KNOT_EOK;
	}
	if (!f->array) {
		f->buf[f->len++] = '}';
	}
	return f->calls.item(f->calls.arg, f->buf, f->len);
}

/*! \brief The first byte of a value: asks how to take a member, then keeps it. */
static int value_begin(member_framer_t *f, char c)
{
	if (!f->array && f->calls.begin != NULL && !f->dropped) {
		// The key is in buf after the '{' put before it.
		int take = f->calls.begin(f->calls.arg, f->buf + 1, f->len - 1, c, &f->max);
		if (take < 0) {
			return take;
		}
		f->take = take == MEMBER_SLICES && c != '"' ? MEMBER_WHOLE : take;
	}
	f->state = S_IN_VALUE;
	f->in_string = c == '"';
	f->depth = c == '{' || c == '[' ? 1 : 0;
	if (f->take == MEMBER_SKIP) {
		return KNOT_EOK;
	} else if (f->take == MEMBER_SLICES) {
		f->len = 0; // the key goes, the first slice begins
		f->max = SIZE_MAX;
	} else if (!f->array) {
		int ret = put(f, ":", 1);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	return put(f, &c, 1);
}

/*!
 * \brief Reads a run of bytes inside a value; returns how many belong to it
 *        (the value ends before the rest).
 */
static size_t value_run(member_framer_t *f, const char *p, size_t n, bool *end)
{
	size_t i = 0;
	*end = false;
	for (; i < n; i++) {
		char c = p[i];
		if (f->in_string) {
			if (f->escape > 0) {
				// after '\': one byte, or 'u' and four
				f->escape = f->escape == 5 ? (c == 'u' ? 4 : 0) : f->escape - 1;
			} else if (c == '\\') {
				f->escape = 5;
			} else if (c == '"') {
				f->in_string = false;
				if (f->depth == 0) {
					*end = true;
					return i + 1;
				}
			}
		} else if (f->depth == 0) {
			// a number or a literal: ends before whitespace, ',' or a close
			if (is_space(c) || c == ',' || c == '}' || c == ']') {
				*end = true;
				return i;
			}
		} else if (c == '"') {
			f->in_string = true;
		} else if (c == '{' || c == '[') {
			f->depth++;
		} else if (c == '}' || c == ']') {
			if (--f->depth == 0) {
				*end = true;
				return i + 1;
			}
		}
	}
	return i;
}

/*! \brief A byte between items (whitespace and the top-level punctuation). */
static int punct_byte(member_framer_t *f, char c)
{
	char open = f->array ? '[' : '{', close = f->array ? ']' : '}';
	if (is_space(c) && f->state != S_BEFORE) {
		return KNOT_EOK;
	}
	switch (f->state) {
	case S_BEFORE:
		if (is_space(c)) {
			return KNOT_EOK;
		} else if (c != open) {
			return punct(f, f->array ? "'['" : "'{'", c);
		}
		f->state = S_FIRST;
		return KNOT_EOK;
	case S_FIRST:
		if (c == close) {
			f->state = S_DONE;
			return KNOT_EOK;
		}
		// fall through
	case S_NEXT:
		if (!f->array && c != '"') {
			return punct(f, "a key", c);
		}
		// fall through
	case S_VALUE:
		if (c == ',' || c == ':' || c == '}' || c == ']') {
			return punct(f, "a value", c);
		} else if (f->state != S_VALUE) {
			int ret = item_begin(f);
			if (ret != KNOT_EOK || !f->array) {
				return ret;
			}
		}
		return value_begin(f, c);
	case S_COLON:
		if (c != ':') {
			return punct(f, "':' after a key", c);
		}
		f->state = S_VALUE;
		return KNOT_EOK;
	case S_AFTER:
		if (c == ',') {
			f->state = S_NEXT;
			return KNOT_EOK;
		} else if (c == close) {
			f->state = S_DONE;
			return KNOT_EOK;
		}
		return punct(f, f->array ? "',' or ']'" : "',' or '}'", c);
	default:
		return punct(f, "nothing after the close", c);
	}
}

/*!
 * \brief Reads bytes of a key or a value (at most n); returns how many.
 *
 * A slice is cut once it holds MEMBER_SLICE bytes, before the next byte that
 * is plain ASCII outside an escape: each slice is then a JSON string that
 * jansson decodes to a piece of the value (no escape or UTF-8 sequence cut).
 */
static int in_item(member_framer_t *f, const char *p, size_t n, size_t *used)
{
	if (f->take == MEMBER_SLICES && f->state == S_IN_VALUE) {
		if (f->len >= MEMBER_SLICE) {
			char c = p[0];
			if (f->escape == 0 && (unsigned char)c < 0x80 && c != '\\' && c != '"') {
				int ret = slice_out(f, false);
				if (ret != KNOT_EOK) {
					return ret;
				}
			}
			n = 1;
		} else if (n > MEMBER_SLICE - f->len) {
			n = MEMBER_SLICE - f->len;
		}
	}
	bool end;
	*used = value_run(f, p, n, &end);
	int ret = f->take == MEMBER_SKIP && f->state == S_IN_VALUE ? KNOT_EOK :
	          put(f, p, *used);
	if (ret != KNOT_EOK || !end) {
		return ret;
	}
	if (f->state == S_KEY) {
		f->state = S_COLON;
		return KNOT_EOK;
	}
	return item_end(f);
}

int member_feed(member_framer_t *f, const char *bytes, size_t len)
{
	size_t i = 0;
	while (f->ret == KNOT_EOK && i < len) {
		size_t used = 1;
		if (f->state == S_KEY || f->state == S_IN_VALUE) {
			f->ret = in_item(f, bytes + i, len - i, &used);
		} else {
			f->ret = punct_byte(f, bytes[i]);
		}
		i += used;
		f->offset += used;
	}
	return f->ret;
}

int member_end(member_framer_t *f)
{
	if (f->ret != KNOT_EOK) {
		return f->ret;
	}
	if (f->state == S_DONE) {
		return KNOT_EOK;
	} else if (f->state == S_BEFORE) {
		snprintf(f->err, sizeof(f->err), "not a JSON %s", f->array ? "array" : "object");
	} else {
		snprintf(f->err, sizeof(f->err), "byte %zu: the document ends before its close",
		         f->offset);
	}
	f->ret = KNOT_EMALF;
	return f->ret;
}
