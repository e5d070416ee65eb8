/*!
 * \file
 * \brief tinydns-data lines -> records (djbdns 1.05 + Debian's S line).
 *
 * Every line type of tinydns-data is read the way tinydns-data reads it
 * (doc/tinydns-data.md §1-§2): field splitting, \ooo escapes,
 * x expansion, lenient numbers and IPs, default TTLs, TXT cut into 127-byte
 * strings, timestamps and locations (rr_view_t), duplicates kept. The SOA of a
 * '.' line is flagged RR_FLAG_AUTO_SERIAL: the table sets its serial.
 *
 * Where tinydns-data stops the whole file, a bad line here is skipped and
 * reported through the log callback; the other lines are read.
 */
#pragma once

#include "rr.h"

/*!
 * \brief Longest line that can make a record: 65,535 bytes of rdata, each
 *        written as an escape of up to 4 bytes, and room for the other fields.
 */
#define TINYDATA_LINE_MAX (4 * 65535 + 4096)

/*!
 * \brief Reports a skipped line.
 * \param arg     Callback argument.
 * \param source  Where the line came from (config key or file path).
 * \param line    1-based line number.
 * \param reason  Why it was skipped (lowercase, no full stop).
 */
typedef void (*tinydata_log_f)(void *arg, const char *source, unsigned line,
                               const char *reason);

/*! \brief Reading context. */
typedef struct {
	const char *source;  /*!< Name of the source, for the log. */
	tinydata_log_f log;  /*!< Called for each bad line, may be NULL. */
	void *log_arg;       /*!< Its argument. */
	uint8_t kind;        /*!< Kind set on every record made (RR_KIND_*). */
	uint8_t flags;       /*!< Flags added to every record made (RR_FLAG_*). */
	unsigned skipped;    /*!< Lines skipped so far (output). */
} tinydata_ctx_t;

/*!
 * \brief Reads one line (without its LF) and appends what it makes.
 *
 * \param ctx    Context (source, log, kind).
 * \param out    List to append to.
 * \param line   Line bytes; not NUL-terminated.
 * \param len    Line length.
 * \param lineno 1-based line number, for the log.
 *
 * \return KNOT_EOK (also for a skipped bad line, which is logged and counted),
 *         KNOT_ENOMEM.
 */
int tinydata_line(tinydata_ctx_t *ctx, rr_list_t *out, const char *line, size_t len,
                  unsigned lineno);

/*!
 * \brief Reads a whole text of LF-separated lines (a data file).
 * \return KNOT_EOK or KNOT_ENOMEM.
 */
int tinydata_text(tinydata_ctx_t *ctx, rr_list_t *out, const char *text, size_t len);
