/*!
 * \file
 * \brief mod-lain's configuration: the items, their checks (knotc conf-check and
 *        every load), and the managed zones they name.
 */
#pragma once

#include <knot/module.h>

#include "log.h"

#define MOD_LAINLET      "\x07""lainlet"
#define MOD_TTL          "\x03""ttl"
#define MOD_NEGATIVE_TTL "\x0C""negative-ttl"
#define MOD_HEARTBEAT    "\x09""heartbeat"
#define MOD_MAX_DOCUMENT "\x0C""max-document"
#define MOD_CA_FILE      "\x07""ca-file"
#define MOD_BACKOFF_MAX  "\x0B""backoff-max"
#define MOD_MANAGED_ZONE "\x0C""managed-zone"
#define MOD_PORTAL_FALLBACK "\x0F""portal-fallback"
#define MOD_FORWARDER    "\x09""forwarder"
#define MOD_SNAPSHOT     "\x08""snapshot"
#define MOD_DROP_GUARD   "\x0A""drop-guard"
#define MOD_DROP_HOLD    "\x09""drop-hold"
#define MOD_FAILBACK     "\x08""failback"
#define MOD_DATA_FILE    "\x09""data-file"
#define MOD_STATUS_NAME  "\x0B""status-name"
#define MOD_STATUS_ACL   "\x0A""status-acl"

/*! \brief The status name when none is configured. */
#define STATUS_NAME_DEFAULT "status.mod-lain."

/*! \brief What a client on no portal's node gets for a portal name. */
enum {
	PORTAL_FALLBACK_ALL = 0, /*!< Every portal of the name. */
	PORTAL_FALLBACK_NONE,    /*!< Nothing (tinydns). */
};

/*! \brief The module's configuration items. */
extern const yp_item_t lain_conf[];

/*! \brief Checks a mod-lain section as a whole (more than each item's own check). */
int lain_conf_check(knotd_conf_check_args_t *args);

/*!
 * \brief The zones answered SERVFAIL before the first sync, lowercase: the
 *        configured ones, or the defaults.
 *
 * \param conf   The managed-zone value.
 * \param count  Their number (output).
 * \return The zones (free with zones_free), NULL when out of memory.
 */
knot_dname_t **managed_zones(const knotd_conf_t *conf, size_t *count);

/*! \brief Frees zones made by managed_zones. */
void zones_free(knot_dname_t **zones, size_t count);

/*!
 * \brief Warns of each lainlet URL that libcurl cannot read, or whose host is a name
 *        in one of the zones: such a name resolves only once the module answers it
 *        (a loop when knotd is the host's resolver).
 */
void urls_warn(const knotd_conf_t *urls, knot_dname_t *const *zones, size_t count,
               const lain_log_t *log);
