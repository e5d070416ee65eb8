/*!
 * \file
 * \brief Server-sent events: bytes of a lainlet watch stream -> events.
 *
 * Pure, incremental and streaming: bytes may be fed split at any point, and
 * the bytes of an event's data go to a data callback as they arrive, so a
 * stream of any size is parsed in the fixed memory of sse_t (no allocation).
 *
 * An event is a block of "field: value" lines ended by an empty line (LF,
 * CRLF or CR line ends). Several data lines are joined with '\n'. Lines
 * starting with ':' are comments. An event with any field is dispatched, so
 * a heartbeat (no data) is too.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*! \brief Size of sse_event_t's head (its NUL included). */
#define SSE_HEAD_MAX 256

/*! \brief Size of the event name (its NUL included): longer names are cut. */
#define SSE_EVENT_MAX 32

/*! \brief Longest field name kept: a longer one is no known field. */
#define SSE_NAME_MAX 8

/*! \brief One complete event. Pointers are valid during the callback only. */
typedef struct {
	const char *event;  /*!< Event name ("init", "update", ...), "" if none. */
	uint64_t id;        /*!< Value of the id field, 0 if none or not a number. */
	const char *head;   /*!< The first bytes of the data (at most SSE_HEAD_MAX - 1,
	                         whatever the cap), NUL-terminated, "" if none: for
	                         log messages (error events). */
	size_t data_len;    /*!< Length of the whole data (data lines joined by '\n'),
	                         counted even past the cap. */
	bool has_data;      /*!< At least one data line was seen. */
	bool oversize;      /*!< data_len is over the cap: the data callback got only
	                         the first max_data bytes (drop the event). */
} sse_event_t;

/*!
 * \brief Data callback: the next bytes of the current event's data.
 *
 * Called in order, as the bytes arrive, never with len 0. The '\n' that joins
 * two data lines is passed as data too (before the second line's bytes).
 * A data line split over feeds is passed in pieces; nothing of it is
 * buffered. An event's calls stop at exactly max_data bytes: the piece that
 * crosses the cap is cut there.
 *
 * \return KNOT_EOK to go on; anything else stops sse_feed, which returns it.
 */
typedef int (*sse_data_f)(const char *bytes, size_t len, void *arg);

/*!
 * \brief Event callback: an event is complete (after all its data calls).
 *
 * \return KNOT_EOK to go on; anything else stops sse_feed, which returns it.
 */
typedef int (*sse_event_f)(const sse_event_t *ev, void *arg);

/*! \brief What the parser knows about the current line. */
typedef enum {
	SSE_LINE_START = 0,  /*!< No byte of the line seen yet. */
	SSE_LINE_NAME,       /*!< In the field name (no ':' seen yet). */
	SSE_LINE_SPACE,      /*!< Just after the ':' (a space there is dropped). */
	SSE_LINE_VALUE,      /*!< In the value of a known field. */
	SSE_LINE_SKIP,       /*!< A comment or an unknown field: skipped. */
} sse_line_t;

/*! \brief Known fields. */
typedef enum {
	SSE_FIELD_NONE = 0,
	SSE_FIELD_DATA,
	SSE_FIELD_EVENT,
	SSE_FIELD_ID,
} sse_field_t;

/*! \brief Parser state of one stream: fixed size, no buffer on the heap. */
typedef struct {
	size_t max_data;            /*!< Cap on one event's data. */
	sse_data_f on_data;         /*!< Data callback, or NULL. */
	sse_event_f on_event;       /*!< Event callback. */
	void *arg;                  /*!< Callbacks' argument. */

	sse_line_t line;            /*!< Where in the current line. */
	sse_field_t field;          /*!< The current line's field, once known. */
	bool after_cr;              /*!< The last byte was CR (a following LF is part of it). */
	size_t name_len;            /*!< Bytes in name. */
	char name[SSE_NAME_MAX];    /*!< Field name being read. */
	uint64_t id_value;          /*!< Value of the id line being read. */
	bool id_ok;                 /*!< The id line is a number so far. */

	bool has_field;             /*!< Any field line was seen in this event. */
	bool has_data;              /*!< A data line was seen. */
	size_t data_len;            /*!< Joined data length (saturates). */
	size_t head_len;            /*!< Bytes in head. */
	char head[SSE_HEAD_MAX];    /*!< First bytes of the data; NUL added at dispatch. */
	size_t event_len;           /*!< Bytes in event. */
	char event[SSE_EVENT_MAX];  /*!< Event name (cut); NUL added at dispatch. */
	uint64_t id;                /*!< Id field. */
} sse_t;

/*!
 * \brief Initialises a parser.
 *
 * \param max_data  Cap on one event's data in bytes (SIZE_MAX: none).
 * \param on_data   Data callback; NULL: data is only counted and its head kept.
 * \param on_event  Event callback.
 * \param arg       Argument of both callbacks.
 */
void sse_init(sse_t *p, size_t max_data, sse_data_f on_data, sse_event_f on_event,
              void *arg);

/*! \brief Forgets any partial event and line (a new connection). */
void sse_reset(sse_t *p);

/*! \brief Ends the parser (it holds no resources; for symmetry). */
void sse_deinit(sse_t *p);

/*!
 * \brief Feeds bytes: passes their data bytes to on_data, calls on_event for
 *        every event they complete.
 *
 * After an error the rest of the buffer is dropped: call sse_reset before
 * feeding the parser again. The callbacks must not call back into the parser.
 *
 * \return KNOT_EOK, or the callbacks' error.
 */
int sse_feed(sse_t *p, const uint8_t *buf, size_t len);

/*!
 * \brief The name of the event being received, as far as its event line went
 *        ("" before one): lainlet sends it before the data, so a data callback
 *        can tell a document from an error message.
 */
const char *sse_event_name(const sse_t *p);
