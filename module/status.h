/*!
 * \file
 * \brief The status name: a TXT answer telling monitoring and LAIN's networkd
 *        whether this instance is ready, how old its data is and how much it holds.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libknot/libknot.h>

/*! \brief What the status tells. */
typedef struct {
	bool has_table;      /*!< A table is served (synced, snapshot or adopted). */
	uint64_t sync_age;   /*!< Seconds since every stream was up with data. */
	uint64_t stale_after;/*!< Sync age from which the data counts as stale. */
	uint64_t records;    /*!< Records served. */
	uint32_t serial;     /*!< Serial of the table. */
} status_t;

/*! \brief "ready", "stale" (served, but lainlet lost) or "syncing" (nothing to serve). */
const char *status_state(const status_t *status);

/*!
 * \brief Writes the status answer: TXT "state=...", "records=N", "serial=N",
 *        "sync-age=N" for TXT and ANY, NODATA for other types; AA, TTL 0.
 *
 * \return KNOT_EOK or the packet's error.
 */
int status_write(knot_pkt_t *pkt, const knot_dname_t *qname, uint16_t qtype,
                 const status_t *status);

/*!
 * \brief Who may ask the status name when no status-acl is configured: loopback
 *        clients (127.0.0.0/8, ::1).
 */
bool status_default_allowed(const struct sockaddr_storage *remote);
