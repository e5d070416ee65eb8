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

/*! \brief The mass-drop guard. */
typedef struct {
	unsigned percent;      /*!< A document removing more than this share of the
	                            source's records is held back; 0 = off. */
	unsigned min_records;  /*!< Sources smaller than this are not guarded. */
	uint64_t hold_ms;      /*!< How long it must stay that way to be applied. */
	size_t baseline[CLUSTER_TINYDNS + 1]; /*!< Records served before a source's first
	                                           document (a snapshot's), 0 = none. */
} cluster_guard_t;

/*! \brief A document held back by the guard. */
typedef struct {
	lainlet_data_t data;   /*!< What it reads to. */
	uint64_t since;        /*!< When the first such document came (ms). */
	bool active;           /*!< Something is held. */
} cluster_held_t;

/*! \brief Latest data of every source. */
typedef struct {
	lainlet_ctx_t ctx;                 /*!< Reading settings. */
	cluster_guard_t guard;             /*!< Mass-drop guard settings. */
	lainlet_data_t data[CLUSTER_TINYDNS + 1]; /*!< coreinfo, depends, tinydns_fqdns. */
	cluster_held_t held[CLUSTER_TINYDNS + 1]; /*!< Documents held back. */
	char domain[KNOT_DNAME_TXT_MAXLEN];/*!< Cluster domain, "" if unset. */
	char dns_ip[64];                   /*!< DNS address, "" if unset. */
	bool have[CLUSTER_SOURCES];        /*!< A document was read for the source. */
	lainlet_data_t file;               /*!< Records of the tinydns data file. */
	uint64_t file_digest;              /*!< Hash of the data file's last text. */
	bool have_file;                    /*!< The data file was read. */
	bool want_lainlet;                 /*!< lainlet's sources are watched. */
	bool want_file;                    /*!< A data file is served. */
} cluster_t;

/*!
 * \brief The document a source is read as.
 * \param key  Set to the config key of a config source, NULL for the others.
 */
lainlet_doc_t cluster_source_doc(cluster_source_t source, const char **key);

/*! \brief Initialises an empty cluster. */
void cluster_init(cluster_t *c, const lainlet_ctx_t *ctx, const cluster_guard_t *guard);

/*! \brief Frees what the cluster holds. */
void cluster_clear(cluster_t *c);

/*!
 * \brief Replaces a source's data with what a new document read to.
 *
 * \param read  What the reader returned (lainlet_reader_end): a document that
 *              did not read is refused, the previous data stays.
 * \param data  The data it read (taken: cleared after).
 *
 * A document that would remove more than the guard's share of the source's
 * records is held back (logged) and applied by cluster_tick once documents
 * like it kept coming for the hold time; a normal document in between
 * cancels it.
 *
 * \param now  Monotonic time in ms.
 *
 * \return KNOT_EOK (changed), KNOT_EEXIST (the same records as now),
 *         KNOT_EBUSY (held back by the guard), or the reader's error.
 */
int cluster_apply_read(cluster_t *c, cluster_source_t source, int read,
                       lainlet_data_t *data, uint64_t now);

/*!
 * \brief Ends the document a reader was fed and applies it (cluster_apply_read);
 *        its bad items are logged when it changes what is served, dropped when
 *        it was identical or refused.
 * \return As cluster_apply_read.
 */
int cluster_apply_doc(cluster_t *c, cluster_source_t source, lainlet_reader_t *r,
                      uint64_t now);

/*!
 * \brief Reads a whole document, then cluster_apply_doc (tests).
 * \return As cluster_apply_read.
 */
int cluster_apply(cluster_t *c, cluster_source_t source, const char *doc, size_t len,
                  uint64_t now);

/*!
 * \brief Replaces the data file's records with a new text of the file.
 *
 * Bad lines are skipped with a log line naming the file and line number.
 *
 * \return KNOT_EOK (changed), KNOT_EEXIST (identical), KNOT_ENOMEM.
 */
int cluster_apply_file(cluster_t *c, const char *path, const char *text, size_t len);

/*!
 * \brief Applies held documents whose hold time has passed.
 * \return True when the data changed.
 */
bool cluster_tick(cluster_t *c, uint64_t now);

/*! \brief Bytes of records the cluster keeps between updates (for the log). */
size_t cluster_bytes(const cluster_t *c);

/*!
 * \brief Sets the guard's baselines from the table served before any document
 *        (adopted at a reload, or a snapshot's): each source's own records, which
 *        its first document may not drop at once.
 *
 * tinydns_fqdns' records are told from the data file's by RR_FLAG_TINYDNS (both
 * are RR_KIND_STATIC): counted together, its first document would seem to remove
 * the file's records and be held back, and every update with it. A snapshot
 * written before the flag existed gives tinydns_fqdns no baseline.
 */
void cluster_guard_baseline(cluster_guard_t *guard, const table_stats_t *stats);

/*! \brief Records of a source (for the guard's counts and tests). */
size_t cluster_source_records(const cluster_t *c, cluster_source_t source);

/*! \brief True when every watched source has delivered a document (and the data file
 *         was read). */
bool cluster_synced(const cluster_t *c);

/*!
 * \brief Emits every record the cluster makes (an rr_emit_f over a cluster_t),
 *        in a fixed order: tinydns_fqdns, defaults, procs, apps, portals, the
 *        data file.
 */
int cluster_emit(const void *src, rr_sink_t *sink);

/*! \brief Appends every record the cluster makes (tests). */
int cluster_records(const cluster_t *c, rr_list_t *out);

/*!
 * \brief Builds the table of the cluster.
 * \return As table_build_from.
 */
int cluster_build(const cluster_t *c, uint32_t serial, table_t **out);
