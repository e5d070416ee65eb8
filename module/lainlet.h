/*!
 * \file
 * \brief lainlet documents -> records.
 *
 * Each reader takes one document (the data of an init/update/delete event)
 * and fills its output only when the document as a whole is usable: a
 * document that is not JSON or not of the documented shape returns an error
 * and the caller keeps the previous data. A bad item inside a good document
 * (wrong type, missing field, bad IP, a name that cannot be a hostname) is
 * skipped with a log line; the rest is read.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "rr.h"

/*! \brief Reading settings. */
typedef struct {
	uint32_t ttl;            /*!< TTL of generated records. */
	const lain_log_t *log;   /*!< Where bad items are reported. */
	unsigned log_max;        /*!< Bad items logged one by one per document. */
} lainlet_ctx_t;

/*!
 * \brief Sets the readers up (jansson's allocator); call once before any
 *        thread reads documents.
 */
void lainlet_init(void);

/*! \brief What a document gives. */
typedef struct {
	rr_list_t records;   /*!< Its records. */
	rr_list_t apps;      /*!< coreinfo: one record per app, owner <app>.lain, no rdata. */
} lainlet_data_t;

/*! \brief Frees what the data holds and empties it. */
void lainlet_data_clear(lainlet_data_t *data);

/*!
 * \brief A document reader: fills out (initialised by the reader) when the
 *        document is usable.
 * \return KNOT_EOK, KNOT_EMALF (not a JSON object of the right shape), KNOT_ENOMEM.
 */
typedef int (*lainlet_read_f)(const lainlet_ctx_t *ctx, const char *doc, size_t len,
                              lainlet_data_t *out);

/*!
 * \brief Reads a /v2/coreinfowatcher document: <proc>-<n>.<app>.lain A and
 *        PTR, <proc>.<app>.lain A, _<proc>._tcp.<app>.lain SRV; the apps.
 */
int lainlet_coreinfo(const lainlet_ctx_t *ctx, const char *doc, size_t len,
                     lainlet_data_t *out);

/*!
 * \brief Reads a /v2/depends document: portal A records, each visible to
 *        the clients on its node (view.node), and their PTRs.
 */
int lainlet_depends(const lainlet_ctx_t *ctx, const char *doc, size_t len,
                    lainlet_data_t *out);

/*!
 * \brief Reads a /v2/configwatcher?target=tinydns_fqdns document: every
 *        key's JSON array of tinydns-data lines.
 */
int lainlet_tinydns(const lainlet_ctx_t *ctx, const char *doc, size_t len,
                    lainlet_data_t *out);

/*!
 * \brief Reads one string key of a configwatcher document (prefix matches
 *        of other keys are ignored).
 *
 * \param out      Buffer for the value.
 * \param out_len  Its size.
 *
 * \return KNOT_EOK, KNOT_ENOENT (key absent: an empty cluster setting),
 *         KNOT_EMALF (not an object, or the value is not a string), KNOT_ESPACE.
 */
int lainlet_config_string(const char *doc, size_t len, const char *key, char *out,
                          size_t out_len);
