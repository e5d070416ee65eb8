/*!
 * \file
 * \brief Push JSON tokenizer: bytes of a document -> a stream of tokens.
 *
 * Pure and incremental (SAX-style): the document may be fed split at any
 * byte, and is never held whole; only the string or number being read is
 * buffered, up to a cap. The syntax is RFC 8259, strictly: exactly one value
 * of any type, whitespace is space, tab, LF and CR, strings are valid UTF-8
 * with no raw control bytes, \\u escapes of surrogates must pair up, numbers
 * follow the grammar, no comments, no trailing commas. The same documents as
 * jansson's json_loadb(JSON_DECODE_ANY | JSON_ALLOW_NUL) pass, but for
 * numbers out of a C type's range (kept as text here), NUL bytes in keys,
 * and containers nested deeper than JSON_DEPTH_MAX.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*! \brief Deepest nesting of containers accepted. */
#define JSON_DEPTH_MAX 64

/*! \brief Kinds of tokens. */
typedef enum {
	JSON_OBJECT_BEGIN, /*!< '{' */
	JSON_OBJECT_END,   /*!< '}' */
	JSON_ARRAY_BEGIN,  /*!< '[' */
	JSON_ARRAY_END,    /*!< ']' */
	JSON_KEY,          /*!< A member's name (a string before ':'). */
	JSON_STRING,       /*!< A string value. */
	JSON_NUMBER,       /*!< A number, as written. */
	JSON_TRUE,         /*!< true */
	JSON_FALSE,        /*!< false */
	JSON_NULL,         /*!< null */
} json_token_t;

/*!
 * \brief Token callback.
 *
 * \param text  JSON_KEY, JSON_STRING: the unescaped value, valid UTF-8 that
 *              may hold NUL bytes (from \\u0000), so use len; JSON_NUMBER:
 *              the number's text as written. NUL-terminated either way, and
 *              valid during the call only. NULL for the other tokens.
 * \param len   Bytes of text (without the terminating NUL), 0 if NULL.
 *
 * \return KNOT_EOK to go on; anything else stops the parse, and
 *         json_push_feed (or json_push_end) returns it.
 */
typedef int (*json_token_f)(void *arg, json_token_t token, const char *text, size_t len);

/*! \brief Tokenizer state of one document (no hidden globals). */
typedef struct {
	size_t max_string;     /*!< Cap on a string's (unescaped) or a number's bytes. */
	json_token_f on_token; /*!< Callback. */
	void *arg;             /*!< Callback argument. */
	char *buf;             /*!< The string or number being read. */
	size_t len;            /*!< Bytes in buf. */
	size_t cap;            /*!< Allocated bytes of buf. */
	uint64_t objects;      /*!< Bit i set: open container i (0 outermost) is an object. */
	unsigned depth;        /*!< Containers open. */
	uint8_t state;         /*!< What may come next (json.c's grammar states). */
	uint8_t lex;           /*!< Token cut by the end of a feed (json.c's lexer states). */
	uint8_t num;           /*!< Where in a number's grammar the number being read is. */
	bool key;              /*!< The string being read is an object key. */
	uint8_t lit;           /*!< The literal being read (0 true, 1 false, 2 null). */
	uint8_t lit_pos;       /*!< Bytes of lit read. */
	uint8_t unit[12];      /*!< Escape or UTF-8 sequence cut by the end of a feed. */
	uint8_t unit_len;      /*!< Bytes in unit. */
	size_t unit_offset;    /*!< Offset of unit's first byte in the document. */
	size_t tok_offset;     /*!< Offset of the string or number being read. */
	size_t base;           /*!< Bytes fed before the current feed. */
	const uint8_t *feed;   /*!< Start of the current feed. */
	size_t offset;         /*!< Bytes consumed (see json_push_offset). */
	int ret;               /*!< First error, sticky until a reset. */
	char err[128];         /*!< Syntax error message, "" if none. */
} json_push_t;

/*!
 * \brief Initialises a tokenizer.
 *
 * \param max_string  Longest string (unescaped) or number accepted, in bytes.
 * \param on_token    Called for every token.
 * \param arg         Passed to on_token.
 */
void json_push_init(json_push_t *p, size_t max_string, json_token_f on_token, void *arg);

/*! \brief Starts a new document; keeps the buffer unless it grew big. */
void json_push_reset(json_push_t *p);

/*! \brief Frees the tokenizer's buffer. */
void json_push_deinit(json_push_t *p);

/*!
 * \brief Feeds the next bytes of the document; calls on_token for every
 *        token they complete.
 *
 * A number is complete only once the byte after it is read: one at the very
 * end of the document is emitted by json_push_end. The callback must not call
 * back into the tokenizer, but for the getters below.
 *
 * \return KNOT_EOK, KNOT_EMALF (a syntax error: json_push_error says which),
 *         KNOT_ENOMEM, or the callback's code. After an error, further feeds
 *         return the same error until json_push_reset.
 */
int json_push_feed(json_push_t *p, const char *buf, size_t len);

/*!
 * \brief Ends the document; emits a top-level number that was still open.
 *
 * \return KNOT_EOK iff exactly one complete value was fed (with whitespace
 *         around it), KNOT_EMALF otherwise, or an earlier feed's error, or
 *         the callback's code for that last number.
 */
int json_push_end(json_push_t *p);

/*!
 * \brief Containers enclosing the token, during a callback.
 *
 * A top-level value is at 0, a key or a value right in the top-level object
 * at 1. The begin and end tokens of a container are at the container's own
 * level (that of a scalar in its place).
 */
unsigned json_push_depth(const json_push_t *p);

/*!
 * \brief What was wrong, after KNOT_EMALF: e.g. "byte 1234: expected ',' or
 *        '}' after an object member, got ':'"; "" otherwise.
 */
const char *json_push_error(const json_push_t *p);

/*!
 * \brief Bytes of the document consumed: all bytes fed after a successful
 *        feed; during a callback, those up to the end of the token; after a
 *        syntax error, those before the offending byte.
 */
size_t json_push_offset(const json_push_t *p);
