/*!
 * \file
 * \brief Framing of a JSON document's top-level members, as its bytes arrive.
 *
 * A document is fed in pieces, split at any byte. The framer finds each
 * top-level item (a member "key": value of an object, or an element of an
 * array) and hands its bytes on, so that a JSON parser (jansson) reads one
 * item at a time and the document is never held whole. It knows strings,
 * escapes and nesting, and checks only the top-level punctuation (the open
 * and close, ':' after a key, ',' between items, nothing after the close);
 * what is inside an item is left to the parser, which sees a member framed as
 * the object {"key":value} (so it checks the key too) and an element as it is.
 * An item that is valid there makes, with valid punctuation, a valid document.
 *
 * Memory: the item being framed, never more than its cap. The caller says per
 * member how to take it (whole, skipped unseen, or, a string value, in slices
 * of a few kB that are each a JSON string), and an item over its cap is
 * refused the moment it crosses it, then skipped without being buffered.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*! \brief Bytes of a slice of a string value (a little more: a cut needs a plain byte). */
#define MEMBER_SLICE 65536

/*! \brief How a member is taken (what the begin callback returns). */
typedef enum {
	MEMBER_WHOLE = 0, /*!< Buffered and handed to the item callback. */
	MEMBER_SLICES,    /*!< A string value: handed in slices to the slice callback. */
	MEMBER_SKIP,      /*!< Checked and dropped, never buffered. */
} member_take_t;

/*! \brief The caller's side of a framer. */
typedef struct {
	/*!
	 * \brief A member's value begins (objects only).
	 *
	 * \param key    The key as written: a JSON string, quotes included.
	 * \param first  The value's first byte ('"': a string).
	 * \param max    The member's cap in bytes, "key":value; may be lowered.
	 *
	 * \return A member_take_t (MEMBER_SLICES only for a string), or a
	 *         KNOT_E* error that stops the framing. NULL: always whole.
	 */
	int (*begin)(void *arg, const char *key, size_t len, char first, size_t *max);
	/*!
	 * \brief A whole item: {"key":value} for a member, the value for an
	 *        element; bytes NULL when the item crossed its cap (len: bytes of
	 *        it seen), and the rest of it is then skipped. bytes is the
	 *        framer's buffer, a mem.h block: what the callback has read of
	 *        it may be given back with mem_discard.
	 * \return KNOT_EOK to go on, an error to stop.
	 */
	int (*item)(void *arg, const char *bytes, size_t len);
	/*!
	 * \brief A slice of a string value taken in slices: a JSON string
	 *        ("..." with its escapes); last is set on the value's final one.
	 * \return KNOT_EOK to go on, an error to stop.
	 */
	int (*slice)(void *arg, const char *bytes, size_t len, bool last);
	void *arg;                /*!< Passed to the callbacks. */
} member_calls_t;

/*! \brief A framer of one document (no hidden globals). */
typedef struct {
	member_calls_t calls;  /*!< The caller's side. */
	bool array;            /*!< The document is an array (else an object). */
	size_t max_item;       /*!< Default cap on an item's bytes. */
	size_t max;            /*!< Cap on the current item. */
	char *buf;             /*!< The item being framed (or the slice). */
	size_t len;            /*!< Bytes in buf. */
	size_t cap;            /*!< Allocated bytes of buf. */
	size_t seen;           /*!< Bytes of the current item seen (also past its cap). */
	size_t depth;          /*!< Containers open inside the value. */
	size_t offset;         /*!< Bytes of the document read. */
	size_t item_offset;    /*!< Offset of the current item's first byte. */
	uint8_t state;         /*!< Where in the top-level grammar (member.c). */
	uint8_t take;          /*!< member_take_t of the current item. */
	bool dropped;          /*!< The current item crossed its cap. */
	bool in_string;        /*!< Inside a string of the value (or the key). */
	uint8_t escape;        /*!< Bytes of an escape still to come. */
	int ret;               /*!< First error, sticky until a reset. */
	char err[96];          /*!< What was wrong with the punctuation, "" if not that. */
} member_framer_t;

/*!
 * \brief Initialises a framer.
 * \param array     The document is an array of elements (else an object).
 * \param max_item  Cap on an item's bytes (a member's "key":value).
 */
void member_init(member_framer_t *f, bool array, size_t max_item, const member_calls_t *calls);

/*! \brief Starts a new document; keeps the buffer unless it grew big. */
void member_reset(member_framer_t *f);

/*! \brief Frees the framer's buffer. */
void member_deinit(member_framer_t *f);

/*!
 * \brief Feeds the next bytes of the document; calls back for every item or
 *        slice they complete.
 * \return KNOT_EOK, KNOT_EMALF (bad top-level punctuation: member_error says
 *         which), KNOT_ENOMEM, or a callback's error; sticky until a reset.
 */
int member_feed(member_framer_t *f, const char *bytes, size_t len);

/*!
 * \brief Ends the document.
 * \return KNOT_EOK iff the document was closed (with only whitespace after),
 *         KNOT_EMALF otherwise, or an earlier feed's error.
 */
int member_end(member_framer_t *f);

/*! \brief What was wrong, after KNOT_EMALF from the framer: "byte 12: ..."; "" otherwise. */
const char *member_error(const member_framer_t *f);

/*! \brief Offset in the document of the current item's first byte (in a callback). */
size_t member_offset(const member_framer_t *f);
