/*!
 * \file
 * \brief The watcher's private state, shared by its thread (watch.c) and its
 *        streams (watch_stream.c); no other file includes it.
 *
 * It does not include libcurl: the curl handles are kept as plain pointers
 * here, and only watch_stream.c, which alone knows libcurl, uses them.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <pthread.h>
#include <time.h>

#include "sse.h"
#include "watch.h"

/*! \brief Size of a stream's error text (libcurl's CURL_ERROR_SIZE, checked there). */
#define STREAM_ERROR_SIZE 256

/*! \brief One watched document. */
typedef struct {
	struct watch *w;          /*!< Owner. */
	cluster_source_t source;  /*!< Which document. */
	void *easy;               /*!< Transfer (CURL *), NULL when not connected. */
	sse_t sse;                /*!< Event parser. */
	lainlet_reader_t *reader; /*!< Reads the documents as their bytes arrive. */
	bool reading;             /*!< The event being received is fed to the reader. */
	uint64_t read_us;         /*!< Time spent reading it so far (us). */
	size_t url;               /*!< Index of the URL in use. */
	uint64_t retry_at;        /*!< When to connect again (ms, monotonic). */
	uint64_t last_rx;         /*!< Last byte received (ms). */
	unsigned backoff_ms;      /*!< Current backoff. */
	bool checked_status;      /*!< The HTTP status was looked at. */
	bool got_init;            /*!< This connection delivered a document. */
	uint64_t up_since;        /*!< When this connection delivered its first document. */
	uint64_t down_since;      /*!< When the stream last lost its data flow, 0 if up. */
	uint64_t down_logged;     /*!< When the last "still down" line was logged. */
	char last_why[96];        /*!< Why the stream went down last time. */
	char error[STREAM_ERROR_SIZE]; /*!< curl's error text. */
} stream_t;

struct watch {
	watch_conf_t conf;        /*!< Settings (strings owned below). */
	char **urls;              /*!< Copies of the URLs. */
	char *ca_file;            /*!< Copy of the CA file path. */
	char *snapshot;           /*!< Copy of the snapshot path, NULL if none. */
	char *cluster_name;       /*!< Copy of the cluster's name for snapshots. */
	char *data_file;          /*!< Copy of the data file path, NULL if none. */
	struct stat file_seen;    /*!< The data file as last read (or failed). */
	uint64_t file_next;       /*!< Next time to look at the data file (ms). */
	int file_error;           /*!< Last error reading it, to log changes only. */
	bool snapshot_due;        /*!< A table was published since the last write. */
	uint64_t snapshot_next;   /*!< Earliest time of the next write (ms). */
	uint64_t in_sync;         /*!< Last time every stream was up with data (ms). */
	uint64_t sync_age;        /*!< Last sync age reported (s). */
	pthread_t thread;         /*!< The thread. */
	void *multi;              /*!< Multi handle (CURLM *). */
	atomic_bool stop;         /*!< Set by watch_stop. */
	cluster_t cluster;        /*!< Latest documents. */
	bool dirty;               /*!< The cluster changed since the last publish. */
	bool trim;                /*!< A large document was read: return memory. */
	bool synced_once;         /*!< The first complete sync was logged. */
	uint32_t serial;          /*!< Last serial published. */
	uint32_t serial_stored;   /*!< Serial in the last snapshot written (or loaded). */
	uint64_t started;         /*!< When the thread started (ms). */
	stream_t streams[CLUSTER_SOURCES]; /*!< One per document. */
};

/*! \brief Monotonic microseconds. */
static inline uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*! \brief Monotonic milliseconds. */
static inline uint64_t now_ms(void)
{
	return now_us() / 1000;
}

/*! \brief Adds one to a counter of a stream (source), or of none (-1). */
static inline void watch_count(struct watch *w, int source, watch_counter_t counter)
{
	if (w->conf.count != NULL) {
		w->conf.count(w->conf.arg, source, counter, 1);
	}
}

/*!
 * \brief Sets every stream up (event parser, document reader) and the multi handle.
 * \return KNOT_EOK, KNOT_ENOMEM (a reader), KNOT_ERROR (no multi handle).
 */
int streams_init(struct watch *w);

/*! \brief Frees what streams_init made (also after it failed half way). */
void streams_deinit(struct watch *w);

/*! \brief Opens due streams, closes silent ones; returns ms until the next deadline. */
uint64_t streams_tend(struct watch *w);

/*! \brief Moves the transfers on (bytes to events to documents) and reaps ended ones. */
void streams_perform(struct watch *w);

/*! \brief Waits up to wait_ms for stream activity or streams_wakeup(). */
void streams_poll(struct watch *w, uint64_t wait_ms);

/*! \brief Ends a streams_poll() at once; may be called from any thread. */
void streams_wakeup(struct watch *w);

/*! \brief Closes every open transfer, at stop (nothing logged or counted). */
void streams_close_all(struct watch *w);
