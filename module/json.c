/*!
 * \file
 * \brief Push JSON tokenizer.
 *
 * The bytes of a feed are read in place: whitespace is skipped and string
 * runs are found with tight loops, and a run is copied into the token buffer
 * in one go. UTF-8 is checked only where a byte is 0x80 or over. The only
 * per-byte state kept between feeds is for the token the feed's end cut: a
 * string (its bytes so far are in the buffer), an escape or UTF-8 sequence
 * (its few bytes are in unit, completed byte by byte on the next feed), a
 * number (its grammar state), or a literal (how much of it matched).
 *
 * Errors are found at the same byte whatever the split: every check reads
 * the bytes in order and waits for more only at the first one missing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "json.h"

/*! \brief First allocation of the token buffer. */
#define JSON_BUF_START 256

/*! \brief Largest token buffer kept over a reset (a big one is given back). */
#define JSON_BUF_KEEP (64 * 1024)

/*! \brief What may come next. */
enum {
	G_VALUE,         /*!< A value (top level, after ':', after ',' in an array). */
	G_VALUE_OR_END,  /*!< A value or ']' (after '['). */
	G_KEY,           /*!< A key (after ',' in an object). */
	G_KEY_OR_END,    /*!< A key or '}' (after '{'). */
	G_COLON,         /*!< ':' after a key. */
	G_NEXT,          /*!< ',' or the container's end, after a member or element. */
	G_DONE,          /*!< Nothing: the top-level value is complete. */
};

/*! \brief Token being read when a feed ends. */
enum {
	L_NONE,     /*!< None, between tokens. */
	L_STRING,   /*!< A string; its bytes so far are in buf. */
	L_UNIT,     /*!< An escape or UTF-8 sequence in a string; its bytes are in unit. */
	L_NUMBER,   /*!< A number; its bytes so far are in buf, its state in num. */
	L_LITERAL,  /*!< true, false or null; lit_pos bytes matched. */
};

/*! \brief Number grammar states (RFC 8259, section 6). */
enum {
	N_START,  /*!< Nothing read yet. */
	N_MINUS,  /*!< After the '-'. */
	N_ZERO,   /*!< After a leading 0 (complete). */
	N_INT,    /*!< In the integer digits (complete). */
	N_DOT,    /*!< After the '.'. */
	N_FRAC,   /*!< In the fraction digits (complete). */
	N_E,      /*!< After the 'e'. */
	N_ESIGN,  /*!< After the exponent's sign. */
	N_EXP,    /*!< In the exponent digits (complete). */
	N_END,    /*!< The byte read is not part of the number (from a complete state). */
	N_BAD,    /*!< The byte read can't come here. */
};

/*! \brief Classes of bytes in a number. */
enum { C_OTHER, C_ZERO, C_DIGIT, C_DOT, C_E, C_PLUS, C_MINUS, C_COUNT };

/*! \brief Number grammar: next state by state and byte class. */
static const uint8_t num_next[N_END][C_COUNT] = {
	/*           other    0        1-9      .        e E      +        - */
	[N_START] = { N_BAD,   N_ZERO,  N_INT,   N_BAD,   N_BAD,   N_BAD,   N_MINUS },
	[N_MINUS] = { N_BAD,   N_ZERO,  N_INT,   N_BAD,   N_BAD,   N_BAD,   N_BAD },
	[N_ZERO]  = { N_END,   N_BAD,   N_BAD,   N_DOT,   N_E,     N_BAD,   N_BAD },
	[N_INT]   = { N_END,   N_INT,   N_INT,   N_DOT,   N_E,     N_BAD,   N_BAD },
	[N_DOT]   = { N_BAD,   N_FRAC,  N_FRAC,  N_BAD,   N_BAD,   N_BAD,   N_BAD },
	[N_FRAC]  = { N_END,   N_FRAC,  N_FRAC,  N_BAD,   N_E,     N_BAD,   N_BAD },
	[N_E]     = { N_BAD,   N_EXP,   N_EXP,   N_BAD,   N_BAD,   N_ESIGN, N_ESIGN },
	[N_ESIGN] = { N_BAD,   N_EXP,   N_EXP,   N_BAD,   N_BAD,   N_BAD,   N_BAD },
	[N_EXP]   = { N_END,   N_EXP,   N_EXP,   N_BAD,   N_BAD,   N_BAD,   N_BAD },
};

/*! \brief Why a byte can't come in a number, by state. */
static const char *num_why[N_END] = {
	[N_START] = "expected a value",
	[N_MINUS] = "expected a digit after '-'",
	[N_ZERO]  = "invalid number",
	[N_INT]   = "invalid number",
	[N_DOT]   = "expected a digit after '.'",
	[N_FRAC]  = "invalid number",
	[N_E]     = "expected a digit or a sign in an exponent",
	[N_ESIGN] = "expected a digit in an exponent",
	[N_EXP]   = "invalid number",
};

/*! \brief Class of every byte in a number. */
static const uint8_t num_class[256] = {
	['0'] = C_ZERO,
	['1' ... '9'] = C_DIGIT,
	['.'] = C_DOT, ['e'] = C_E, ['E'] = C_E, ['+'] = C_PLUS, ['-'] = C_MINUS,
};

/*! \brief Bytes that end a plain run in a string: '"', '\\', controls, non-ASCII. */
static const uint8_t str_stop[256] = {
	[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1,
};

/*! \brief A literal. */
typedef struct {
	const char *text;    /*!< As written. */
	json_token_t token;  /*!< Its token. */
	const char *why;     /*!< Error message if a byte doesn't match. */
} literal_t;

/*! \brief The literals, by their first byte. */
static const literal_t literals[] = {
	{ "true", JSON_TRUE, "expected true" },
	{ "false", JSON_FALSE, "expected false" },
	{ "null", JSON_NULL, "expected null" },
};

/*! \brief Result of reading an escape or a UTF-8 sequence. */
typedef enum {
	UNIT_OK,    /*!< Complete and valid. */
	UNIT_MORE,  /*!< Valid so far, the bytes given end before it does. */
	UNIT_BAD,   /*!< Invalid. */
} unit_t;

/*! \brief Offset in the document of a byte of the current feed. */
static size_t offset_of(const json_push_t *p, const uint8_t *pos)
{
	return p->base + (size_t)(pos - p->feed);
}

/*! \brief Records a syntax error at a document offset; returns KNOT_EMALF. */
__attribute__((format(printf, 3, 4)))
static int fail(json_push_t *p, size_t offset, const char *fmt, ...)
{
	int n = snprintf(p->err, sizeof(p->err), "byte %zu: ", offset);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err + n, sizeof(p->err) - n, fmt, ap);
	va_end(ap);
	p->offset = offset;
	return KNOT_EMALF;
}

/*! \brief Records a syntax error "<what>, got <byte>" at a byte of the feed. */
static int fail_got(json_push_t *p, const uint8_t *pos, const char *what)
{
	if (*pos > ' ' && *pos < 0x7f) {
		return fail(p, offset_of(p, pos), "%s, got '%c'", what, *pos);
	}
	return fail(p, offset_of(p, pos), "%s, got 0x%02x", what, *pos);
}

/*! \brief Records the error of a string or number over the cap. */
static int too_long(json_push_t *p)
{
	return fail(p, p->tok_offset, "%s longer than %zu bytes",
	            p->lex == L_NUMBER ? "number" : "string", p->max_string);
}

/*! \brief Makes room for n more bytes and a NUL in buf; checks the cap. */
static int buf_reserve(json_push_t *p, size_t n)
{
	if (n > p->max_string - p->len) {
		return too_long(p);
	}
	size_t need = p->len + n + 1; // No overflow: len + n <= max_string.
	size_t max = (p->max_string < SIZE_MAX) ? p->max_string + 1 : SIZE_MAX;
	size_t cap = (p->cap > 0) ? p->cap : JSON_BUF_START;
	while (cap < need && cap <= max / 2) {
		cap *= 2;
	}
	if (cap < need || cap > max) {
		cap = max; // Last step, or a cap under JSON_BUF_START.
	}
	char *mem = realloc(p->buf, cap);
	if (mem == NULL) {
		return KNOT_ENOMEM;
	}
	p->buf = mem;
	p->cap = cap;
	return KNOT_EOK;
}

/*! \brief Appends n bytes to buf (always leaving room for a NUL). */
static inline int buf_add(json_push_t *p, const void *src, size_t n)
{
	if (n >= p->cap - p->len) {
		int ret = buf_reserve(p, n);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	memcpy(p->buf + p->len, src, n);
	p->len += n;
	return KNOT_EOK;
}

/*! \brief Calls the callback; pos is just past the token. */
static inline int emit(json_push_t *p, json_token_t token, const char *text, size_t len,
                       const uint8_t *pos)
{
	p->offset = offset_of(p, pos);
	return p->on_token(p->arg, token, text, len);
}

/*! \brief Emits the token in buf. */
static int emit_buf(json_push_t *p, json_token_t token, const uint8_t *pos)
{
	p->buf[p->len] = '\0';
	return emit(p, token, p->buf, p->len, pos);
}

/*! \brief Moves on after a complete value. */
static inline void value_done(json_push_t *p)
{
	p->state = (p->depth > 0) ? G_NEXT : G_DONE;
}

/*! \brief The innermost open container is an object (depth > 0). */
static inline bool in_object(const json_push_t *p)
{
	return (p->objects >> (p->depth - 1)) & 1;
}

/*! \brief Opens an object or array at pos. */
static int container_open(json_push_t *p, bool object, const uint8_t *pos)
{
	if (p->depth >= JSON_DEPTH_MAX) {
		return fail(p, offset_of(p, pos), "nested deeper than %d", JSON_DEPTH_MAX);
	}
	uint64_t bit = (uint64_t)1 << p->depth;
	p->objects = object ? (p->objects | bit) : (p->objects & ~bit);
	p->state = object ? G_KEY_OR_END : G_VALUE_OR_END;
	int ret = emit(p, object ? JSON_OBJECT_BEGIN : JSON_ARRAY_BEGIN, NULL, 0, pos + 1);
	p->depth++;
	return ret;
}

/*! \brief Closes the innermost container at pos (the caller checked its kind). */
static int container_close(json_push_t *p, const uint8_t *pos)
{
	bool object = in_object(p);
	p->depth--;
	value_done(p);
	return emit(p, object ? JSON_OBJECT_END : JSON_ARRAY_END, NULL, 0, pos + 1);
}

/*!
 * \brief Reads a UTF-8 sequence whose first byte is 0x80 or over.
 *
 * \param n  Its length if UNIT_OK, the index of the bad byte if UNIT_BAD.
 */
static unit_t utf8_read(const uint8_t *s, size_t avail, size_t *n)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;
	if (c < 0xc2 || c > 0xf4) {
		*n = 0; // A continuation byte, an overlong lead, or over U+10FFFF.
		return UNIT_BAD;
	} else if (c < 0xe0) {
		len = 2;
	} else if (c < 0xf0) {
		len = 3;
		lo = (c == 0xe0) ? 0xa0 : lo; // Overlong.
		hi = (c == 0xed) ? 0x9f : hi; // Surrogates.
	} else {
		len = 4;
		lo = (c == 0xf0) ? 0x90 : lo; // Overlong.
		hi = (c == 0xf4) ? 0x8f : hi; // Over U+10FFFF.
	}
	for (size_t i = 1; i < len; i++) {
		if (i >= avail) {
			return UNIT_MORE;
		} else if (s[i] < lo || s[i] > hi) {
			*n = i;
			return UNIT_BAD;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	*n = len;
	return UNIT_OK;
}

/*! \brief Reads 4 hex digits at s[at...]; on UNIT_BAD, *n is the bad byte's index. */
static unit_t hex4_read(const uint8_t *s, size_t avail, size_t at, uint32_t *val, size_t *n)
{
	uint32_t v = 0;
	for (size_t i = at; i < at + 4; i++) {
		if (i >= avail) {
			return UNIT_MORE;
		}
		uint8_t c = s[i];
		if (c >= '0' && c <= '9') {
			v = v << 4 | (c - '0');
		} else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
			v = v << 4 | ((c | 0x20) - 'a' + 10);
		} else {
			*n = i;
			return UNIT_BAD;
		}
	}
	*val = v;
	return UNIT_OK;
}

/*! \brief Writes a code point as UTF-8; returns its length. */
static size_t utf8_write(uint32_t cp, uint8_t out[4])
{
	if (cp < 0x80) {
		out[0] = cp;
		return 1;
	} else if (cp < 0x800) {
		out[0] = 0xc0 | cp >> 6;
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	} else if (cp < 0x10000) {
		out[0] = 0xe0 | cp >> 12;
		out[1] = 0x80 | (cp >> 6 & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | cp >> 18;
	out[1] = 0x80 | (cp >> 12 & 0x3f);
	out[2] = 0x80 | (cp >> 6 & 0x3f);
	out[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/*! \brief Value of a one-letter escape, 0 if there is none. */
static uint8_t escape_char(uint8_t c)
{
	switch (c) {
	case '"':  return '"';
	case '\\': return '\\';
	case '/':  return '/';
	case 'b':  return '\b';
	case 'f':  return '\f';
	case 'n':  return '\n';
	case 'r':  return '\r';
	case 't':  return '\t';
	default:   return 0;
	}
}

/*!
 * \brief Reads an escape (s[0] is '\\'), a surrogate pair as one.
 *
 * \param out      The unescaped bytes, *out_len of them.
 * \param n        Bytes read if UNIT_OK, the index of the bad byte if UNIT_BAD.
 * \param why      What was wrong if UNIT_BAD.
 * \param bad_cp   The unpaired surrogate if that was what was wrong, else 0.
 */
static unit_t escape_read(const uint8_t *s, size_t avail, uint8_t out[4], size_t *out_len,
                          size_t *n, const char **why, uint32_t *bad_cp)
{
	*bad_cp = 0;
	if (avail < 2) {
		return UNIT_MORE;
	} else if (s[1] != 'u') {
		out[0] = escape_char(s[1]);
		*out_len = 1;
		*n = (out[0] != 0) ? 2 : 1;
		*why = "invalid escape";
		return (out[0] != 0) ? UNIT_OK : UNIT_BAD;
	}

	uint32_t cp, low;
	*why = "invalid \\u escape";
	unit_t r = hex4_read(s, avail, 2, &cp, n);
	if (r != UNIT_OK) {
		return r;
	}
	*n = 6;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		// A high surrogate: a low one must follow.
		*why = "unpaired surrogate";
		*bad_cp = cp;
		if (avail < 7 || (s[6] == '\\' && avail < 8)) {
			return UNIT_MORE;
		} else if (s[6] != '\\' || s[7] != 'u') {
			*n = 0;
			return UNIT_BAD;
		}
		*why = "invalid \\u escape";
		*bad_cp = 0;
		r = hex4_read(s, avail, 8, &low, n);
		if (r != UNIT_OK) {
			return r;
		} else if (low < 0xdc00 || low > 0xdfff) {
			*why = "unpaired surrogate";
			*bad_cp = cp;
			*n = 0;
			return UNIT_BAD;
		}
		cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
		*n = 12;
	} else if (cp >= 0xdc00 && cp <= 0xdfff) {
		*why = "unpaired surrogate";
		*bad_cp = cp;
		*n = 0;
		return UNIT_BAD;
	}
	*out_len = utf8_write(cp, out);
	return UNIT_OK;
}

/*!
 * \brief Reads an escape or a UTF-8 sequence at s (see escape_read).
 *
 * On UNIT_BAD, records the error with s at offset.
 */
static unit_t unit_read(json_push_t *p, const uint8_t *s, size_t avail, size_t offset,
                        uint8_t out[4], size_t *out_len, size_t *n)
{
	unit_t r;
	if (s[0] == '\\') {
		const char *why = "";
		uint32_t bad_cp;
		r = escape_read(s, avail, out, out_len, n, &why, &bad_cp);
		if (r == UNIT_BAD && bad_cp != 0) {
			fail(p, offset + *n, "%s \\u%04X in a string", why, bad_cp);
		} else if (r == UNIT_BAD) {
			fail(p, offset + *n, "%s in a string", why);
		}
		return r;
	}
	r = utf8_read(s, avail, n);
	if (r == UNIT_OK) {
		memcpy(out, s, *n);
		*out_len = *n;
	} else if (r == UNIT_BAD) {
		fail(p, offset + *n, "invalid UTF-8 in a string");
	}
	return r;
}

/*! \brief Keeps the start of an escape or UTF-8 sequence cut by the feed's end. */
static void unit_keep(json_push_t *p, const uint8_t *pos, const uint8_t *end)
{
	p->unit_len = end - pos; // Under sizeof(unit): a complete unit is 12 bytes at most.
	memcpy(p->unit, pos, p->unit_len);
	p->unit_offset = offset_of(p, pos);
	p->lex = L_UNIT;
}

/*! \brief Ends the string whose closing quote is just before pos. */
static int string_done(json_push_t *p, const uint8_t *pos)
{
	p->lex = L_NONE;
	if (p->key) {
		p->state = G_COLON;
		return emit_buf(p, JSON_KEY, pos);
	}
	value_done(p);
	return emit_buf(p, JSON_STRING, pos);
}

/*! \brief Reads the rest of a string, to its end or the feed's. */
static int string_read(json_push_t *p, const uint8_t **ppos, const uint8_t *end)
{
	const uint8_t *pos = *ppos;
	const uint8_t *run = pos; // Bytes read but not copied yet.
	for (;;) {
		while (pos < end && !str_stop[*pos]) {
			pos++;
		}
		if (pos == end) {
			break;
		}
		uint8_t c = *pos;
		size_t n, out_len;
		uint8_t out[4];
		if (c >= 0x80 && utf8_read(pos, end - pos, &n) == UNIT_OK) {
			pos += n; // Valid UTF-8 is copied as it is, with the run.
			continue;
		}
		int ret = buf_add(p, run, pos - run);
		if (ret != KNOT_EOK) {
			return ret;
		} else if (c == '"') {
			*ppos = pos + 1;
			return string_done(p, pos + 1);
		} else if (c < 0x20) {
			return fail(p, offset_of(p, pos), "control byte 0x%02x in a string", c);
		}
		unit_t r = unit_read(p, pos, end - pos, offset_of(p, pos), out, &out_len, &n);
		if (r == UNIT_BAD) {
			return KNOT_EMALF;
		} else if (r == UNIT_MORE) {
			unit_keep(p, pos, end);
			*ppos = end;
			return KNOT_EOK;
		}
		ret = buf_add(p, out, out_len);
		if (ret != KNOT_EOK) {
			return ret;
		}
		pos += n;
		run = pos;
	}
	*ppos = end;
	return buf_add(p, run, end - run);
}

/*! \brief Completes an escape or UTF-8 sequence a byte at a time, then the string. */
static int unit_resume(json_push_t *p, const uint8_t **ppos, const uint8_t *end)
{
	const uint8_t *pos = *ppos;
	while (pos < end) {
		p->unit[p->unit_len++] = *pos++;
		uint8_t out[4];
		size_t out_len, n;
		unit_t r = unit_read(p, p->unit, p->unit_len, p->unit_offset, out, &out_len, &n);
		if (r == UNIT_BAD) {
			return KNOT_EMALF;
		} else if (r == UNIT_OK) {
			p->lex = L_STRING;
			int ret = buf_add(p, out, out_len);
			if (ret != KNOT_EOK) {
				return ret;
			}
			*ppos = pos;
			return string_read(p, ppos, end);
		}
	}
	*ppos = end;
	return KNOT_EOK;
}

/*!
 * \brief Reads (the rest of) a number, to its end or the feed's.
 *
 * A number over the cap fails at its first byte over it, so that whatever
 * the split, a syntax error before that byte is found first, and one after
 * it never is.
 */
static int number_read(json_push_t *p, const uint8_t **ppos, const uint8_t *end)
{
	const uint8_t *start = *ppos, *pos = start;
	size_t room = p->max_string - p->len;
	const uint8_t *limit = (room < (size_t)(end - start)) ? start + room : end;
	uint8_t st = p->num;
	for (; pos < end; pos++) {
		uint8_t cls = num_class[*pos];
		uint8_t next = num_next[st][cls];
		if (next == N_END) {
			break;
		} else if (next == N_BAD && st == N_ZERO && (cls == C_ZERO || cls == C_DIGIT)) {
			return fail_got(p, pos, "a number can't have a leading zero");
		} else if (next == N_BAD) {
			return fail_got(p, pos, num_why[st]);
		} else if (pos == limit) {
			return too_long(p);
		}
		st = next;
	}
	p->num = st;
	*ppos = pos;
	int ret = buf_add(p, start, pos - start);
	if (ret != KNOT_EOK || pos == end) {
		return ret;
	}
	p->lex = L_NONE;
	value_done(p);
	return emit_buf(p, JSON_NUMBER, pos);
}

/*! \brief Reads (the rest of) a literal, to its end or the feed's. */
static int literal_read(json_push_t *p, const uint8_t **ppos, const uint8_t *end)
{
	const literal_t *lit = &literals[p->lit];
	const uint8_t *pos = *ppos;
	while (pos < end) {
		if (*pos != (uint8_t)lit->text[p->lit_pos]) {
			*ppos = pos;
			return fail_got(p, pos, lit->why);
		}
		pos++;
		if (lit->text[++p->lit_pos] == '\0') {
			*ppos = pos;
			p->lex = L_NONE;
			value_done(p);
			return emit(p, lit->token, NULL, 0, pos);
		}
	}
	*ppos = end;
	return KNOT_EOK;
}

/*! \brief Starts a string (the opening quote is at *ppos) and reads on. */
static int string_start(json_push_t *p, const uint8_t **ppos, const uint8_t *end, bool key)
{
	p->tok_offset = offset_of(p, *ppos);
	p->key = key;
	p->lex = L_STRING;
	p->len = 0;
	(*ppos)++;
	return string_read(p, ppos, end);
}

/*! \brief Starts a value whose first byte is at *ppos (or ends an empty array). */
static int value_start(json_push_t *p, const uint8_t **ppos, const uint8_t *end)
{
	const uint8_t *pos = *ppos;
	switch (*pos) {
	case '"':
		return string_start(p, ppos, end, false);
	case '{':
	case '[':
		*ppos = pos + 1;
		return container_open(p, *pos == '{', pos);
	case 't':
	case 'f':
	case 'n':
		p->lit = (*pos == 't') ? 0 : (*pos == 'f') ? 1 : 2;
		p->lit_pos = 0;
		p->lex = L_LITERAL;
		return literal_read(p, ppos, end);
	case '-':
	case '0' ... '9':
		p->tok_offset = offset_of(p, pos);
		p->num = N_START;
		p->lex = L_NUMBER;
		p->len = 0;
		return number_read(p, ppos, end);
	case ']':
		if (p->state == G_VALUE_OR_END) {
			*ppos = pos + 1;
			return container_close(p, pos);
		}
		return fail_got(p, pos, "expected a value");
	default:
		return fail_got(p, pos, (p->state == G_VALUE_OR_END) ?
		                        "expected a value or ']'" : "expected a value");
	}
}

/*! \brief Reads one token (or punctuation) whose first byte is at *ppos. */
static int token_read(json_push_t *p, const uint8_t **ppos, const uint8_t *end)
{
	const uint8_t *pos = *ppos;
	uint8_t c = *pos;
	switch (p->state) {
	case G_VALUE:
	case G_VALUE_OR_END:
		return value_start(p, ppos, end);
	case G_KEY:
	case G_KEY_OR_END:
		if (c == '"') {
			return string_start(p, ppos, end, true);
		} else if (c == '}' && p->state == G_KEY_OR_END) {
			*ppos = pos + 1;
			return container_close(p, pos);
		}
		return fail_got(p, pos, (p->state == G_KEY) ? "expected a string key" :
		                        "expected a string key or '}'");
	case G_COLON:
		if (c != ':') {
			return fail_got(p, pos, "expected ':' after an object key");
		}
		p->state = G_VALUE;
		*ppos = pos + 1;
		return KNOT_EOK;
	case G_NEXT:
		if (c == ',') {
			p->state = in_object(p) ? G_KEY : G_VALUE;
			*ppos = pos + 1;
			return KNOT_EOK;
		} else if (c == (in_object(p) ? '}' : ']')) {
			*ppos = pos + 1;
			return container_close(p, pos);
		}
		return fail_got(p, pos, in_object(p) ?
		                        "expected ',' or '}' after an object member" :
		                        "expected ',' or ']' after an array element");
	default:
		return fail_got(p, pos, "expected the end after the top-level value");
	}
}

/*! \brief Continues the token the previous feed's end cut. */
static int token_resume(json_push_t *p, const uint8_t **ppos, const uint8_t *end)
{
	switch (p->lex) {
	case L_STRING:
		return string_read(p, ppos, end);
	case L_UNIT:
		return unit_resume(p, ppos, end);
	case L_NUMBER:
		return number_read(p, ppos, end);
	case L_LITERAL:
		return literal_read(p, ppos, end);
	default:
		return KNOT_EOK;
	}
}

/*! \brief JSON whitespace. */
static inline bool is_space(uint8_t c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

void json_push_init(json_push_t *p, size_t max_string, json_token_f on_token, void *arg)
{
	memset(p, 0, sizeof(*p));
	p->max_string = max_string;
	p->on_token = on_token;
	p->arg = arg;
}

void json_push_reset(json_push_t *p)
{
	if (p->cap > JSON_BUF_KEEP) {
		free(p->buf);
		p->buf = NULL;
		p->cap = 0;
	}
	p->len = 0;
	p->objects = 0;
	p->depth = 0;
	p->state = G_VALUE;
	p->lex = L_NONE;
	p->num = N_START;
	p->key = false;
	p->lit = 0;
	p->lit_pos = 0;
	p->unit_len = 0;
	p->unit_offset = 0;
	p->tok_offset = 0;
	p->base = 0;
	p->feed = NULL;
	p->offset = 0;
	p->ret = KNOT_EOK;
	p->err[0] = '\0';
}

void json_push_deinit(json_push_t *p)
{
	free(p->buf);
	p->buf = NULL;
	p->cap = 0;
	json_push_reset(p);
}

int json_push_feed(json_push_t *p, const char *buf, size_t len)
{
	if (p->ret != KNOT_EOK || len == 0) {
		return p->ret;
	}
	const uint8_t *pos = (const uint8_t *)buf;
	const uint8_t *end = pos + len;
	p->feed = pos;

	int ret = KNOT_EOK;
	if (p->lex != L_NONE) {
		ret = token_resume(p, &pos, end);
	}
	while (ret == KNOT_EOK && pos < end) {
		if (is_space(*pos)) {
			pos++;
			continue;
		}
		ret = token_read(p, &pos, end);
	}
	if (ret != KNOT_EOK) {
		p->ret = ret;
		return ret;
	}
	p->base += len;
	p->offset = p->base;
	return KNOT_EOK;
}

int json_push_end(json_push_t *p)
{
	static const char *inside[] = {
		[L_STRING] = "a string", [L_UNIT] = "a string",
		[L_NUMBER] = "a number", [L_LITERAL] = "a literal",
	};
	if (p->ret != KNOT_EOK) {
		return p->ret;
	}
	p->feed = NULL;
	if (p->lex == L_NUMBER && p->depth == 0 &&
	    num_next[p->num][C_OTHER] == N_END) {
		// A top-level number: it ends with the input.
		p->lex = L_NONE;
		p->state = G_DONE;
		p->buf[p->len] = '\0';
		p->offset = p->base;
		p->ret = p->on_token(p->arg, JSON_NUMBER, p->buf, p->len);
		return p->ret;
	}
	if (p->state == G_DONE && p->lex == L_NONE) {
		return KNOT_EOK;
	}

	if (p->depth == 0 && p->lex == L_NONE) {
		p->ret = fail(p, p->base, "unexpected end of input, expected a value");
		return p->ret;
	}
	const char *what = inside[p->lex];
	if (p->depth > 0 && (p->lex == L_NONE || p->lex == L_NUMBER)) {
		what = in_object(p) ? "an object" : "an array";
	}
	p->ret = fail(p, p->base, "unexpected end of input inside %s", what);
	return p->ret;
}

unsigned json_push_depth(const json_push_t *p)
{
	return p->depth;
}

const char *json_push_error(const json_push_t *p)
{
	return (p->ret == KNOT_EMALF) ? p->err : "";
}

size_t json_push_offset(const json_push_t *p)
{
	return p->offset;
}
