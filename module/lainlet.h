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

/*! \brief What /v2/coreinfowatcher gives. */
typedef struct {
	rr_list_t records;   /*!< <proc>-<n>.<app>.lain A and their PTRs. */
	rr_list_t apps;      /*!< One record per app: owner <app>.lain, no rdata. */
	size_t containers;   /*!< Instances with an address. */
} lainlet_coreinfo_t;

/*! \brief Frees what a coreinfo holds. */
void lainlet_coreinfo_clear(lainlet_coreinfo_t *ci);

/*!
 * \brief Reads a /v2/coreinfowatcher document.
 * \return KNOT_EOK, KNOT_EMALF (not a JSON object), KNOT_ENOMEM.
 */
int lainlet_coreinfo(const lainlet_ctx_t *ctx, const char *doc, size_t len,
                     lainlet_coreinfo_t *out);

/*!
 * \brief Reads a /v2/depends document: portal A records, each visible to
 *        the clients on its node (view.node), kind RR_KIND_PORTAL.
 * \return KNOT_EOK, KNOT_EMALF, KNOT_ENOMEM.
 */
int lainlet_depends(const lainlet_ctx_t *ctx, const char *doc, size_t len, rr_list_t *out);

/*!
 * \brief Reads a /v2/configwatcher?target=tinydns_fqdns document: every
 *        key's JSON array of tinydns-data lines.
 * \return KNOT_EOK, KNOT_EMALF, KNOT_ENOMEM.
 */
int lainlet_tinydns(const lainlet_ctx_t *ctx, const char *doc, size_t len, rr_list_t *out);

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
