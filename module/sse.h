/*!
 * \file
 * \brief Server-sent events: bytes of a lainlet watch stream -> events.
 *
 * Pure and incremental: bytes may be fed split at any point. An event is a
 * block of "field: value" lines ended by an empty line (LF, CRLF or CR line
 * ends). Several data lines are joined with '\n'. Lines starting with ':' are
 * comments. An event with any field is dispatched, so a heartbeat (no data)
 * is too. An event whose data grows over the cap is not buffered: the rest
 * of it is skipped and it is dispatched with oversize set and no data.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*! \brief One complete event. Pointers are valid during the callback only. */
typedef struct {
	const char *event;  /*!< Event name ("init", "update", ...), "" if none. */
	uint64_t id;        /*!< Value of the id field, 0 if none or not a number. */
	const char *data;   /*!< Data lines joined by '\n', NUL-terminated; "" if none. */
	size_t data_len;    /*!< Data length. */
	bool has_data;      /*!< At least one data line was seen. */
	bool oversize;      /*!< Data went over the cap and was dropped (data is ""). */
} sse_event_t;

/*!
 * \brief Event callback.
 * \return KNOT_EOK to go on; anything else stops sse_feed, which returns it.
 */
typedef int (*sse_event_f)(const sse_event_t *ev, void *arg);

/*! \brief Parser state of one stream. */
typedef struct {
	size_t max_data;       /*!< Cap on one event's data (and on a line). */
	sse_event_f on_event;  /*!< Callback. */
	void *arg;             /*!< Callback argument. */
	char *line;            /*!< Current line being assembled. */
	size_t line_len;       /*!< Bytes in line. */
	size_t line_cap;       /*!< Allocated bytes of line. */
	bool line_over;        /*!< The current line went over the cap. */
	bool after_cr;         /*!< The last byte was CR (a following LF is part of it). */
	char *data;            /*!< Data of the event being assembled. */
	size_t data_len;       /*!< Bytes in data. */
	size_t data_cap;       /*!< Allocated bytes of data. */
	bool has_data;         /*!< A data line was seen. */
	bool oversize;         /*!< This event's data went over the cap. */
	bool has_field;        /*!< Any field line was seen in this event. */
	char event[32];        /*!< Event name (longer names are cut). */
	uint64_t id;           /*!< Id field. */
} sse_t;

/*! \brief Initialises a parser; max_data caps an event's data in bytes. */
void sse_init(sse_t *p, size_t max_data, sse_event_f on_event, void *arg);

/*! \brief Forgets any partial event and line (a new connection). */
void sse_reset(sse_t *p);

/*! \brief Frees the parser's buffers. */
void sse_deinit(sse_t *p);

/*!
 * \brief Feeds bytes; calls on_event for every event they complete.
 *
 * After an error the rest of the buffer is dropped: call sse_reset before
 * feeding the parser again. The callback must not call back into the parser.
 * A line may hold max_data bytes of value plus its field name.
 *
 * \return KNOT_EOK, KNOT_ENOMEM, or the callback's error.
 */
int sse_feed(sse_t *p, const uint8_t *buf, size_t len);
