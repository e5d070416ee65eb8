/*!
 * \file
 * \brief The module's thread: watches lainlet's event streams, keeps the
 *        cluster's documents, builds and hands over new tables.
 *
 * One thread per module instance drives every stream with a curl multi
 * handle. A stream that ends, fails, or misses its heartbeats is reconnected
 * with capped exponential backoff and jitter, to the next lainlet URL when
 * there are several. A tinydns data file, when configured, is checked every
 * second and read again when it changed. Tables are built here, off the query
 * path; the owner publishes them.
 *
 * Made of watch.c (the thread) and watch_stream.c (the streams, the one file
 * that knows libcurl), which share watch_impl.h.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cluster.h"
#include "log.h"
#include "table.h"

/*! \brief What the watcher counts. */
typedef enum {
	WATCH_CONNECTS = 0,    /*!< Streams opened. */
	WATCH_DISCONNECTS,     /*!< Streams lost (ended, failed, dead). */
	WATCH_HEARTBEAT_MISSES,/*!< Streams declared dead for silence. */
	WATCH_DOCS_APPLIED,    /*!< Documents that changed the data. */
	WATCH_DOCS_REFUSED,    /*!< Documents refused (malformed, oversize). */
	WATCH_PUBLISHES,       /*!< Tables published. */
	WATCH_DOCS_HELD,       /*!< Documents held back by the mass-drop guard. */
	WATCH_COUNTERS
} watch_counter_t;

/*! \brief What the watcher measures. */
typedef enum {
	WATCH_SYNC_AGE = 0,    /*!< Seconds since every stream was last up with data. */
	WATCH_GAUGES
} watch_gauge_t;

/*! \brief Watcher settings; strings are copied. */
typedef struct {
	const char *const *urls;  /*!< lainlet base URLs, in order of preference. */
	size_t url_count;         /*!< Number of URLs. */
	unsigned heartbeat;       /*!< Heartbeat interval asked for, seconds. */
	size_t max_document;      /*!< Largest document accepted, bytes. */
	const char *ca_file;      /*!< CA bundle for https, NULL = system default. */
	unsigned backoff_max_ms;  /*!< Cap of the reconnect backoff. */
	unsigned failback_ms;     /*!< A stream on a fallback URL tries the first one again
	                               after this long. */
	const char *snapshot;     /*!< Where to write the last-known-good records, or NULL. */
	const char *cluster;      /*!< Name of the cluster written into snapshots. */
	const char *data_file;    /*!< A tinydns data file to serve too, or NULL. */
	unsigned snapshot_ms;     /*!< Least time between two snapshot writes. */
	uint32_t serial;          /*!< Serial of the table the instance starts with. */
	uint64_t data_age_s;      /*!< Age of that table's data (a snapshot's), seconds. */
	lainlet_ctx_t reader;     /*!< Document reading settings (log included). */
	cluster_guard_t guard;    /*!< Mass-drop guard. */
	lain_log_t log;           /*!< Where the watcher logs. */
	/*! Hands over a new table; the callee owns it. Called on the thread. */
	void (*publish)(void *arg, table_t *table, const table_stats_t *stats,
	                uint64_t build_us);
	/*! Adds to a counter of a stream (source), or of none (-1). Called on the thread. */
	void (*count)(void *arg, int source, watch_counter_t counter, uint64_t value);
	/*! Sets a gauge. Called on the thread. */
	void (*gauge)(void *arg, watch_gauge_t gauge, uint64_t value);
	void *arg;                /*!< Argument of the callbacks. */
} watch_conf_t;

typedef struct watch watch_t;

/*!
 * \brief Starts the thread.
 * \return KNOT_EOK, KNOT_ENOMEM, KNOT_ERROR (no thread or curl).
 */
int watch_start(watch_t **out, const watch_conf_t *conf);

/*! \brief Stops the thread and frees everything (returns within about 1 s). */
void watch_stop(watch_t *w);

/*!
 * \brief A URL with any user:password removed, for logs.
 * \param out  Buffer.
 * \param len  Its size.
 */
void watch_url_redact(const char *url, char *out, size_t len);

/*!
 * \brief Sets libcurl up for the process: once per module load, before watch_start.
 *
 * Also keeps libcurl mapped until the process exits (see the definition).
 *
 * \param why  What failed (output), for the log.
 * \return KNOT_EOK, KNOT_ERROR.
 */
int watch_library_init(const char **why);

/*! \brief Undoes watch_library_init (its mapping stays). */
void watch_library_cleanup(void);

/*!
 * \brief The host of a URL as libcurl reads it (an IPv6 address in brackets).
 *
 * \return KNOT_EOK, KNOT_EINVAL (no host, or not a URL), KNOT_ESPACE.
 */
int watch_url_host(const char *url, char *host, size_t len);
