/*!
 * \file
 * \brief The watcher thread: curl multi over lainlet's event streams (curl lives here only).
 */
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <urcu.h>

#include "file.h"
#include "snapshot.h"
#include "sse.h"
#include "watch.h"

/*! \brief Silent heartbeat windows after which a stream is dead. */
#define HEARTBEAT_MISSES 3
/*! \brief First reconnect delay. */
#define BACKOFF_MIN_MS 100
/*! \brief How long a connection must stay up to reset the backoff. */
#define HEALTHY_MS 10000
/*! \brief How often a stream that stays down is logged. */
#define DOWN_LOG_MS 30000
/*! \brief Documents from this size on are followed by a malloc_trim(). */
#define TRIM_MIN_DOCUMENT (1024 * 1024)
/*! \brief How often the data file is looked at. */
#define FILE_CHECK_MS 1000
/*!
 * \brief Serials a snapshot covers ahead of its table's while the serials run
 *        ahead of the clock (see serial_store).
 */
#define SERIAL_RESERVE 64
/*! \brief Longest wait in one poll, so stop and deadlines are seen. */
#define POLL_MAX_MS 200
/*! \brief Longest connection set-up, name lookup included. */
#define CONNECT_TIMEOUT_MS 3000L

/*! \brief One watched document. */
typedef struct {
	struct watch *w;          /*!< Owner. */
	cluster_source_t source;  /*!< Which document. */
	CURL *easy;               /*!< Transfer, NULL when not connected. */
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
	char error[CURL_ERROR_SIZE]; /*!< curl's error text. */
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
	CURLM *multi;             /*!< Multi handle. */
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
static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*! \brief Monotonic milliseconds. */
static uint64_t now_ms(void)
{
	return now_us() / 1000;
}

void watch_url_redact(const char *url, char *out, size_t len)
{
	const char *scheme = strstr(url, "://");
	const char *host = scheme != NULL ? scheme + 3 : url;
	const char *end = host + strcspn(host, "/?#");
	const char *at = memrchr(host, '@', end - host); // a password may hold a raw '@'
	if (at != NULL) {
		snprintf(out, len, "%.*s***@%s", (int)(host - url), url, at + 1);
	} else {
		snprintf(out, len, "%s", url);
	}
}

int watch_url_host(const char *url, char *host, size_t len)
{
	CURLU *u = curl_url();
	char *part = NULL;
	int ret = KNOT_EINVAL;
	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &part, 0) == CURLUE_OK) {
		ret = snprintf(host, len, "%s", part) < (int)len ? KNOT_EOK : KNOT_ESPACE;
	}
	curl_free(part);
	curl_url_cleanup(u);
	return ret;
}

/*!
 * \brief Keeps libcurl mapped until the process exits.
 *
 * A transfer stopped while its name lookup hangs leaves libcurl's resolver thread
 * behind (CURLOPT_QUICK_EXIT, stream_open); when the lookup returns, that thread runs
 * libcurl's code to clean up. knotd does not link libcurl, so without this the
 * dlclose() of mod-lain.so (a reload that drops the module, knotd's exit) would unmap
 * libcurl under that thread.
 */
static int curl_keep_mapped(const char **why)
{
	Dl_info info;
	if (dladdr((void *)curl_easy_init, &info) == 0 || info.dli_fname == NULL) {
		*why = "libcurl not found among the loaded objects";
		return KNOT_ERROR;
	}
	// already loaded (NOLOAD): only marks it never to be unloaded
	void *lib = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
	if (lib == NULL) {
		*why = dlerror();
		return KNOT_ERROR;
	}
	dlclose(lib);
	return KNOT_EOK;
}

int watch_library_init(const char **why)
{
	if (curl_keep_mapped(why) != KNOT_EOK) {
		return KNOT_ERROR;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		*why = "curl_global_init failed";
		return KNOT_ERROR;
	}
	return KNOT_EOK;
}

void watch_library_cleanup(void)
{
	curl_global_cleanup();
}

/*! \brief Logs a line about a stream, naming its document and redacted URL. */
__attribute__((format(printf, 3, 4)))
static void stream_log(const stream_t *s, int priority, const char *fmt, ...)
{
	char msg[320], url[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	watch_url_redact(s->w->urls[s->url], url, sizeof(url));
	lain_log(&s->w->conf.log, priority, "lainlet %s %s: %s",
	         cluster_source_name(s->source), url, msg);
}

static void count(struct watch *w, int source, watch_counter_t counter)
{
	if (w->conf.count != NULL) {
		w->conf.count(w->conf.arg, source, counter, 1);
	}
}

/*! \brief True for the events that carry a whole document. */
static bool is_document(const char *event)
{
	return strcmp(event, "init") == 0 || strcmp(event, "update") == 0 ||
	       strcmp(event, "delete") == 0;
}

/*! \brief Bytes of an event's data: to the reader, unless the event says it is no document. */
static int on_data(const char *bytes, size_t len, void *arg)
{
	stream_t *s = arg;
	if (!s->reading) {
		// lainlet's event line comes before its data; without one, read anyway
		s->reading = sse_event_name(&s->sse)[0] == '\0' ||
		             is_document(sse_event_name(&s->sse));
		s->read_us = 0;
	}
	if (s->reading) {
		uint64_t start = now_us();
		lainlet_reader_feed(s->reader, bytes, len); // errors are told at the end
		s->read_us += now_us() - start;
	}
	return KNOT_EOK;
}

/*! \brief A document event: replace the source's data with it. */
static void on_document(stream_t *s, const sse_event_t *ev)
{
	struct watch *w = s->w;
	if (ev->oversize) {
		stream_log(s, LOG_ERR, "%s event refused (document over %zu bytes)",
		           ev->event, w->conf.max_document);
		count(w, s->source, WATCH_DOCS_REFUSED);
		lainlet_reader_reset(s->reader);
		return;
	}
	uint64_t start = now_us() - (s->reading ? s->read_us : 0);
	int ret = cluster_apply_doc(&w->cluster, s->source, s->reader, now_ms());
	w->trim |= ev->data_len >= TRIM_MIN_DOCUMENT;
	if (ret == KNOT_EOK) {
		w->dirty = true;
		count(w, s->source, WATCH_DOCS_APPLIED);
		stream_log(s, LOG_INFO, "%s event id %llu applied (%zu bytes, %zu records, "
		           "read %llu us)", ev->event, (unsigned long long)ev->id, ev->data_len,
		           cluster_source_records(&w->cluster, s->source),
		           (unsigned long long)(now_us() - start));
	} else if (ret == KNOT_EEXIST) {
		stream_log(s, LOG_DEBUG, "%s event id %llu identical, nothing to do",
		           ev->event, (unsigned long long)ev->id);
	} else if (ret == KNOT_EBUSY) {
		count(w, s->source, WATCH_DOCS_HELD);
	} else {
		stream_log(s, LOG_ERR, "%s event id %llu refused, previous data kept (%s)",
		           ev->event, (unsigned long long)ev->id, knot_strerror(ret));
		count(w, s->source, WATCH_DOCS_REFUSED);
	}
	if (!s->got_init) {
		s->got_init = true;
		s->up_since = now_ms();
		s->down_since = 0;
		s->last_why[0] = '\0';
		stream_log(s, LOG_INFO, "stream up");
	}
}

static int on_event(const sse_event_t *ev, void *arg)
{
	stream_t *s = arg;
	if (is_document(ev->event)) {
		on_document(s, ev);
	} else {
		lainlet_reader_reset(s->reader);
		if (strcmp(ev->event, "error") == 0) {
			stream_log(s, LOG_WARNING, "error event (%.200s)", ev->head);
		} else if (strcmp(ev->event, "heartbeat") != 0) {
			stream_log(s, LOG_DEBUG, "unknown event '%s' ignored", ev->event);
		}
	}
	s->reading = false;
	return KNOT_EOK;
}

/*! \brief curl write callback: status check, then bytes to the event parser. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	stream_t *s = arg;
	size_t len = size * nmemb;
	if (!s->checked_status) {
		long code = 0;
		curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
		s->checked_status = true;
		if (code != 200) {
			return 0; // reap_done tells why the stream went down
		}
		stream_log(s, LOG_DEBUG, "stream connected");
		count(s->w, s->source, WATCH_CONNECTS);
	}
	s->last_rx = now_ms();
	if (sse_feed(&s->sse, (const uint8_t *)data, len) != KNOT_EOK) {
		return 0;
	}
	return atomic_load(&s->w->stop) ? 0 : len;
}

/*! \brief Opens the stream's transfer to its current URL. */
static int stream_open(stream_t *s)
{
	struct watch *w = s->w;
	const char *path = cluster_source_path(s->source);
	char url[2048];
	snprintf(url, sizeof(url), "%s%s%swatch=1&heartbeat=%u", w->urls[s->url], path,
	         strchr(path, '?') != NULL ? "&" : "?", w->conf.heartbeat);
	CURL *easy = curl_easy_init();
	if (easy == NULL) {
		return KNOT_ENOMEM;
	}
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	// bounds the name lookup too (curl: "Resolving timed out after 3000 milliseconds")
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	// a transfer ended while its name lookup hangs (timeout, failback, stop, reload)
	// forgets libcurl's resolver thread instead of joining it: the thread ends on
	// its own when the lookup does (resolv.conf's timeouts bound it). lain.c keeps
	// libcurl mapped for it.
	curl_easy_setopt(easy, CURLOPT_QUICK_EXIT, 1L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, s->error);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, s);
	if (w->ca_file != NULL) {
		curl_easy_setopt(easy, CURLOPT_CAINFO, w->ca_file);
	}
	s->error[0] = '\0';
	s->checked_status = false;
	s->got_init = false;
	s->last_rx = now_ms();
	sse_reset(&s->sse);
	lainlet_reader_reset(s->reader);
	s->reading = false;
	if (curl_multi_add_handle(w->multi, easy) != CURLM_OK) {
		curl_easy_cleanup(easy);
		return KNOT_ERROR;
	}
	s->easy = easy;
	return KNOT_EOK;
}

/*! \brief Closes the transfer and schedules a reconnect with backoff and jitter. */
static void stream_close(stream_t *s, const char *why)
{
	struct watch *w = s->w;
	uint64_t now = now_ms();
	if (s->easy != NULL) {
		curl_multi_remove_handle(w->multi, s->easy);
		curl_easy_cleanup(s->easy);
		s->easy = NULL;
	}
	lainlet_reader_reset(s->reader); // a document cut short: its data goes now
	s->reading = false;
	count(w, s->source, WATCH_DISCONNECTS);
	if (s->down_since == 0) {
		s->down_since = now;
		s->down_logged = now;
	}
	// Only a connection that stayed up a while earns a fresh backoff: a peer
	// that sends a document and hangs up must not cause a reconnect storm.
	if (s->got_init && now - s->up_since >= HEALTHY_MS) {
		s->backoff_ms = BACKOFF_MIN_MS;
	}
	unsigned delay = s->backoff_ms / 2 + (unsigned)random() % (s->backoff_ms / 2 + 1);
	s->retry_at = now + delay;
	// A change of state is news; the same failure again is not (see DOWN_LOG_MS).
	bool news = s->got_init || strncmp(why, s->last_why, sizeof(s->last_why) - 1) != 0;
	stream_log(s, news ? LOG_INFO : LOG_DEBUG, "stream down (%s), reconnecting in %u ms",
	           why, delay);
	snprintf(s->last_why, sizeof(s->last_why), "%s", why);
	s->backoff_ms = s->backoff_ms * 2 > w->conf.backoff_max_ms ?
	                w->conf.backoff_max_ms : s->backoff_ms * 2;
	if (!s->got_init && w->conf.url_count > 1) {
		s->url = (s->url + 1) % w->conf.url_count; // fail over
	}
}

/*! \brief Reaps finished transfers. */
static void reap_done(struct watch *w)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(w->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE) {
			continue;
		}
		stream_t *s = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		char why[CURL_ERROR_SIZE + 32];
		long code = 0;
		if (curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
		    code != 0 && code != 200) { // with a body or without (a redirect)
			snprintf(why, sizeof(why), "HTTP status %ld", code);
		} else {
			snprintf(why, sizeof(why), "%s", msg->data.result == CURLE_OK ?
			         "stream ended" : s->error[0] != '\0' ? s->error :
			         curl_easy_strerror(msg->data.result));
		}
		stream_close(s, why);
	}
}

/*! \brief Opens due streams, closes silent ones; returns ms until the next deadline. */
static uint64_t tend_streams(struct watch *w)
{
	uint64_t now = now_ms(), next = POLL_MAX_MS;
	uint64_t dead_after = (uint64_t)w->conf.heartbeat * 1000 * HEARTBEAT_MISSES + 500;
	for (int i = 0; w->conf.url_count > 0 && i < CLUSTER_SOURCES; i++) {
		stream_t *s = &w->streams[i];
		if (s->easy == NULL && now >= s->retry_at) {
			if (stream_open(s) != KNOT_EOK) {
				stream_close(s, "cannot start transfer");
			}
		} else if (s->easy != NULL && now - s->last_rx > dead_after) {
			count(w, s->source, WATCH_HEARTBEAT_MISSES);
			stream_close(s, "heartbeats missed");
		} else if (s->easy != NULL && s->url != 0 && s->got_init &&
		           now - s->up_since >= w->conf.failback_ms) {
			stream_close(s, "trying the first lainlet again");
			s->url = 0;
			s->retry_at = now;
		}
		if (s->down_since != 0 && now >= s->down_logged + DOWN_LOG_MS) {
			s->down_logged = now;
			stream_log(s, LOG_WARNING, "stream down for %llu s, answering from data "
			           "%llu s old", (unsigned long long)(now - s->down_since) / 1000,
			           (unsigned long long)(now - w->in_sync) / 1000);
		}
		if (s->easy == NULL && s->retry_at > now && s->retry_at - now < next) {
			next = s->retry_at - now;
		}
	}
	return next;
}

/*!
 * \brief The serial a snapshot stores, so that a restart from it (snapshot_load
 *        starts there, the next publish above) never serves a serial again.
 *
 * A serial is max(now, last + 1): a burst of updates runs it ahead of the clock.
 * Up to the clock, a restart is above it by the clock alone. Ahead of it, the
 * snapshot covers the serials to come: a snapshot written while ahead stores
 * SERIAL_RESERVE more than its table's, and publish() writes one before a
 * serial ahead of the clock reaches what the last one stored. At stop, no
 * serial comes after the table's own.
 */
static uint32_t serial_store(const struct watch *w, bool stop)
{
	uint32_t now = time(NULL);
	return stop || w->serial <= now ? w->serial : w->serial + SERIAL_RESERVE;
}

static void write_snapshot(struct watch *w, bool now, bool stop);

/*! \brief Builds and hands over a table when the data changed and is complete. */
static void publish(struct watch *w)
{
	if (!w->dirty || !cluster_synced(&w->cluster)) {
		return;
	}
	uint64_t start = now_us();
	uint32_t serial = time(NULL);
	w->serial = serial > w->serial ? serial : w->serial + 1;
	table_t *table;
	int ret = cluster_build(&w->cluster, w->serial, &table);
	if (ret != KNOT_EOK) {
		lain_log(&w->conf.log, LOG_ERR, "table build failed (%s), previous kept",
		         knot_strerror(ret));
		return;
	}
	uint64_t us = now_us() - start;
	table_stats_t stats = table_stats(table);
	w->dirty = false;
	if (!w->synced_once) {
		lain_log(&w->conf.log, LOG_NOTICE, "first complete sync after %llu ms",
		         (unsigned long long)(start / 1000 - w->started));
		w->synced_once = true;
	}
	lain_log(&w->conf.log, LOG_INFO, "documents kept for rebuilds: %zu kB "
	         "(procs, instances, records)", cluster_bytes(&w->cluster) / 1024);
	w->snapshot_due = w->snapshot != NULL;
	// Ahead of the clock and not covered by the last snapshot: written first.
	write_snapshot(w, w->serial > serial && w->serial >= w->serial_stored, false);
	w->conf.publish(w->conf.arg, table, &stats, us);
	count(w, -1, WATCH_PUBLISHES);
}

/*!
 * \brief Writes the last-known-good snapshot, at most every snapshot_ms unless
 *        now; stop: the last one, no publish after it.
 */
static void write_snapshot(struct watch *w, bool now, bool stop)
{
	if (!w->snapshot_due || (!now && now_ms() < w->snapshot_next)) {
		return;
	}
	w->snapshot_due = false;
	w->snapshot_next = now_ms() + w->conf.snapshot_ms;
	size_t records;
	uint32_t serial = serial_store(w, stop);
	int ret = snapshot_write(w->snapshot, w->cluster_name, cluster_emit, &w->cluster,
	                         serial, &records);
	// Also when it failed: the next attempt comes with the same cadence, not at
	// every publish (the serials are then as good as without a snapshot).
	w->serial_stored = serial;
	if (ret != KNOT_EOK) {
		lain_log(&w->conf.log, LOG_ERR, "snapshot %s not written (%s)", w->snapshot,
		         file_strerror(ret));
	} else {
		lain_log(&w->conf.log, LOG_DEBUG, "snapshot %s written (%zu records, serial %u)",
		         w->snapshot, records, serial);
	}
}

/*! \brief True when two stats describe the same file contents. */
static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/*! \brief Reads a whole file; the stat after the read must match the one before. */
static int read_stable(const char *path, struct stat *st, char **text, size_t *len)
{
	int ret = file_read(path, text, len, st);
	if (ret != KNOT_EOK) {
		return ret;
	}
	struct stat after;
	if (*len != (size_t)st->st_size || stat(path, &after) != 0 || !same_file(st, &after)) {
		free(*text);
		*text = NULL;
		return KNOT_EAGAIN; // written to while read: read it again later
	}
	return KNOT_EOK;
}

/*! \brief Reads the data file again when it changed (never half: see read_stable). */
static void check_file(struct watch *w)
{
	uint64_t now = now_ms();
	if (w->data_file == NULL || now < w->file_next) {
		return;
	}
	w->file_next = now + FILE_CHECK_MS;
	struct stat st;
	if (stat(w->data_file, &st) == 0 && w->cluster.have_file &&
	    same_file(&st, &w->file_seen)) {
		return;
	}
	char *text = NULL;
	size_t len = 0;
	int ret = read_stable(w->data_file, &st, &text, &len);
	if (ret == KNOT_EAGAIN) {
		w->file_next = now; // changing right now: look again soon
		return;
	}
	if (ret != KNOT_EOK) {
		if (ret != w->file_error) {
			lain_log(&w->conf.log, LOG_ERR, "data file %s not read (%s), previous "
			         "records kept", w->data_file, file_strerror(ret));
		}
		w->file_error = ret;
		return;
	}
	w->file_error = KNOT_EOK;
	w->file_seen = st;
	uint64_t start = now_us();
	ret = cluster_apply_file(&w->cluster, w->data_file, text, len);
	free(text);
	if (ret == KNOT_EOK) {
		w->dirty = true;
		lain_log(&w->conf.log, LOG_INFO, "data file %s read (%zu bytes, %zu records, "
		         "%llu us)", w->data_file, len, w->cluster.file.records.count,
		         (unsigned long long)(now_us() - start));
	}
}

/*! \brief Tracks how old the data is: every stream up with data = in sync. */
static void track_sync(struct watch *w)
{
	uint64_t now = now_ms();
	bool all_up = true;
	for (int i = 0; i < CLUSTER_SOURCES; i++) {
		all_up &= w->streams[i].easy != NULL && w->streams[i].got_init;
	}
	if (all_up) {
		w->in_sync = now;
	}
	uint64_t age = (now - w->in_sync) / 1000;
	if (age != w->sync_age && w->conf.gauge != NULL) {
		w->conf.gauge(w->conf.arg, WATCH_SYNC_AGE, age);
	}
	w->sync_age = age;
}

static void *watch_main(void *arg)
{
	struct watch *w = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	rcu_register_thread();

	while (!atomic_load(&w->stop)) {
		uint64_t wait = tend_streams(w);
		int running;
		curl_multi_perform(w->multi, &running);
		reap_done(w);
		check_file(w);
		if (cluster_tick(&w->cluster, now_ms())) {
			w->dirty = true;
		}
		publish(w);
		if (w->trim) { // give the freed parse tree of a big document back to the system
			malloc_trim(0);
			w->trim = false;
		}
		write_snapshot(w, false, false);
		track_sync(w);
		if (atomic_load(&w->stop)) {
			break;
		}
		curl_multi_poll(w->multi, NULL, 0, wait > 0 ? wait : 1, NULL);
	}

	for (int i = 0; i < CLUSTER_SOURCES; i++) {
		stream_t *s = &w->streams[i];
		if (s->easy != NULL) {
			curl_multi_remove_handle(w->multi, s->easy);
			curl_easy_cleanup(s->easy);
			s->easy = NULL;
		}
	}
	write_snapshot(w, true, true);
	rcu_unregister_thread();
	return NULL;
}

/*! \brief Frees a watcher that has no running thread. */
static void watch_free(struct watch *w)
{
	for (int i = 0; i < CLUSTER_SOURCES; i++) {
		sse_deinit(&w->streams[i].sse);
		lainlet_reader_free(w->streams[i].reader);
	}
	if (w->multi != NULL) {
		curl_multi_cleanup(w->multi);
	}
	cluster_clear(&w->cluster);
	for (size_t i = 0; w->urls != NULL && i < w->conf.url_count; i++) {
		free(w->urls[i]);
	}
	free(w->urls);
	free(w->ca_file);
	free(w->snapshot);
	free(w->cluster_name);
	free(w->data_file);
	free(w);
}

int watch_start(watch_t **out, const watch_conf_t *conf)
{
	struct watch *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		return KNOT_ENOMEM;
	}
	w->conf = *conf;
	w->urls = calloc(conf->url_count + 1, sizeof(char *));
	if (w->urls == NULL) {
		watch_free(w);
		return KNOT_ENOMEM;
	}
	for (size_t i = 0; i < conf->url_count; i++) {
		w->urls[i] = strdup(conf->urls[i]);
		size_t len = w->urls[i] != NULL ? strlen(w->urls[i]) : 0;
		while (len > 0 && w->urls[i][len - 1] == '/') {
			w->urls[i][--len] = '\0';
		}
	}
	w->ca_file = conf->ca_file != NULL ? strdup(conf->ca_file) : NULL;
	w->snapshot = conf->snapshot != NULL ? strdup(conf->snapshot) : NULL;
	w->cluster_name = strdup(conf->cluster != NULL ? conf->cluster : "");
	w->conf.urls = NULL;
	w->conf.ca_file = NULL;
	w->data_file = conf->data_file != NULL ? strdup(conf->data_file) : NULL;
	w->conf.snapshot = NULL;
	w->conf.cluster = NULL;
	w->conf.data_file = NULL;
	w->serial = conf->serial;
	w->serial_stored = conf->serial;
	cluster_init(&w->cluster, &conf->reader, &conf->guard);
	w->cluster.want_lainlet = conf->url_count > 0;
	w->cluster.want_file = conf->data_file != NULL;
	uint64_t now = now_ms();
	w->started = now;
	w->in_sync = now > conf->data_age_s * 1000 ? now - conf->data_age_s * 1000 : 0;
	for (int i = 0; i < CLUSTER_SOURCES; i++) {
		stream_t *s = &w->streams[i];
		s->w = w;
		s->source = i;
		s->retry_at = now;
		s->backoff_ms = BACKOFF_MIN_MS;
		sse_init(&s->sse, conf->max_document, on_data, on_event, s);
		const char *key;
		lainlet_doc_t doc = cluster_source_doc(i, &key);
		s->reader = lainlet_reader_new(&w->cluster.ctx, doc, key, conf->max_document);
		if (s->reader == NULL) {
			watch_free(w);
			return KNOT_ENOMEM;
		}
	}
	w->multi = curl_multi_init();
	if (w->multi == NULL || pthread_create(&w->thread, NULL, watch_main, w) != 0) {
		watch_free(w);
		return KNOT_ERROR;
	}
	*out = w;
	return KNOT_EOK;
}

void watch_stop(watch_t *w)
{
	if (w == NULL) {
		return;
	}
	atomic_store(&w->stop, true);
	curl_multi_wakeup(w->multi);
	pthread_join(w->thread, NULL);
	watch_free(w);
}
