/*!
 * \file
 * \brief The cluster as the latest document of every lainlet source, and the
 *        records they make together.
 *
 * Sources are replaced whole (lainlet sends snapshots, never diffs). A
 * document that does not read keeps that source's previous data; an
 * identical document changes nothing. Records that need several sources
 * (<app>.lain from the web router lines, defaults from domain and dns_ip
 * that fill gaps in tinydns_fqdns) are made when the record list is built.
 */
#pragma once

#include <stdbool.h>

#include "lainlet.h"
#include "table.h"

/*! \brief The lainlet documents mod-lain watches. */
typedef enum {
	CLUSTER_COREINFO = 0, /*!< /v2/coreinfowatcher */
	CLUSTER_DEPENDS,      /*!< /v2/depends */
	CLUSTER_TINYDNS,      /*!< /v2/configwatcher?target=tinydns_fqdns */
	CLUSTER_DOMAIN,       /*!< /v2/configwatcher?target=domain */
	CLUSTER_DNS_IP,       /*!< /v2/configwatcher?target=dns_ip */
	CLUSTER_SOURCES
} cluster_source_t;

/*! \brief Name of a source, for logs. */
const char *cluster_source_name(cluster_source_t source);

/*! \brief Request path and query of a source (without watch parameters). */
const char *cluster_source_path(cluster_source_t source);

/*! \brief Latest data of every source. */
typedef struct {
	lainlet_ctx_t ctx;                 /*!< Reading settings. */
	lainlet_coreinfo_t coreinfo;       /*!< Proc instances and apps. */
	rr_list_t depends;                 /*!< Portals. */
	rr_list_t tinydns;                 /*!< Operators' and networkd's lines. */
	char domain[KNOT_DNAME_TXT_MAXLEN];/*!< Cluster domain, "" if unset. */
	char dns_ip[64];                   /*!< DNS address, "" if unset. */
	uint64_t digest[CLUSTER_SOURCES];  /*!< Hash of each source's last document. */
	bool have[CLUSTER_SOURCES];        /*!< A document was read for the source. */
} cluster_t;

/*! \brief Initialises an empty cluster. */
void cluster_init(cluster_t *c, const lainlet_ctx_t *ctx);

/*! \brief Frees what the cluster holds. */
void cluster_clear(cluster_t *c);

/*!
 * \brief Replaces a source's data with a new document.
 *
 * \return KNOT_EOK (changed), KNOT_EEXIST (identical to the current one),
 *         KNOT_EMALF (refused, the previous data stays), KNOT_ENOMEM.
 */
int cluster_apply(cluster_t *c, cluster_source_t source, const char *doc, size_t len);

/*! \brief True when every source has delivered a document. */
bool cluster_synced(const cluster_t *c);

/*! \brief Appends every record the cluster makes. */
int cluster_records(const cluster_t *c, rr_list_t *out);

/*!
 * \brief Builds the table of the cluster.
 * \return The table, NULL when out of memory.
 */
table_t *cluster_build(const cluster_t *c, uint32_t serial);
