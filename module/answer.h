/*!
 * \file
 * \brief A table lookup -> the response packet.
 *
 * Authoritative answers (AA, NXDOMAIN / NODATA with the zone's SOA, TTL
 * capped), in-table CNAME chains followed, referrals below an NS without SOA,
 * additional A/AAAA for NS, MX and SRV targets. Records owned by the query
 * name point to the question, so the client's case is echoed. Nothing is
 * allocated: record sets point into the table.
 */
#pragma once

#include <libknot/libknot.h>

#include "table.h"

/*! \brief Answer settings. */
typedef struct {
	uint32_t negative_ttl;  /*!< Cap on the SOA TTL of negative answers. */
} answer_conf_t;

/*! \brief What was answered (for counters). */
typedef enum {
	ANSWER_NOT_OURS = 0, /*!< Nothing written: Knot's own processing goes on. */
	ANSWER_HIT,          /*!< Records in the answer section. */
	ANSWER_NODATA,       /*!< The name exists, no records of the type. */
	ANSWER_NXDOMAIN,     /*!< No such name. */
	ANSWER_REFERRAL,     /*!< Delegation. */
	ANSWER_COUNT
} answer_kind_t;

/*! \brief Outcome of answer_write. */
typedef struct {
	answer_kind_t kind;  /*!< What was answered. */
	uint16_t rcode;      /*!< Rcode to set (NOERROR or NXDOMAIN). */
	uint8_t rr_kind;     /*!< RR_KIND_* of the first answer record (for counters). */
	int ret;             /*!< KNOT_EOK, KNOT_ESPACE (truncated, TC set), or an error. */
} answer_result_t;

/*!
 * \brief Looks the question up and writes the answer into the packet.
 *
 * \param table   Table.
 * \param pkt     Response with the question already in it.
 * \param qname   Lowercase query name.
 * \param qtype   Query type.
 * \param client  Who asks.
 * \param conf    Settings.
 * \param res     Outcome.
 */
void answer_write(const table_t *table, knot_pkt_t *pkt, const knot_dname_t *qname,
                  uint16_t qtype, const table_client_t *client,
                  const answer_conf_t *conf, answer_result_t *res);
