/*!
 * \file
 * \brief The watcher's streams: one lainlet stream's curl transfer each (open, status
 *        check, bytes to events to documents, close with backoff and failover, reap),
 *        the URL helpers and libcurl's process set-up. The one file that knows libcurl.
 */
#include <assert.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "watch_impl.h"

static_assert(STREAM_ERROR_SIZE >= CURL_ERROR_SIZE, "stream_t's error text too small");

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
/*! \brief Longest wait in one poll, so stop and deadlines are seen. */
#define POLL_MAX_MS 200
/*! \brief Longest connection set-up, name lookup included. */
#define CONNECT_TIMEOUT_MS 3000L

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
		watch_count(w, s->source, WATCH_DOCS_REFUSED);
		lainlet_reader_reset(s->reader);
		return;
	}
	uint64_t start = now_us() - (s->reading ? s->read_us : 0);
	int ret = cluster_apply_doc(&w->cluster, s->source, s->reader, now_ms());
	w->trim |= ev->data_len >= TRIM_MIN_DOCUMENT;
	if (ret == KNOT_EOK) {
		w->dirty = true;
		watch_count(w, s->source, WATCH_DOCS_APPLIED);
		stream_log(s, LOG_INFO, "%s event id %llu applied (%zu bytes, %zu records, "
		           "read %llu us)", ev->event, (unsigned long long)ev->id, ev->data_len,
		           cluster_source_records(&w->cluster, s->source),
		           (unsigned long long)(now_us() - start));
	} else if (ret == KNOT_EEXIST) {
		stream_log(s, LOG_DEBUG, "%s event id %llu identical, nothing to do",
		           ev->event, (unsigned long long)ev->id);
	} else if (ret == KNOT_EBUSY) {
		watch_count(w, s->source, WATCH_DOCS_HELD);
	} else {
		stream_log(s, LOG_ERR, "%s event id %llu refused, previous data kept (%s)",
		           ev->event, (unsigned long long)ev->id, knot_strerror(ret));
		watch_count(w, s->source, WATCH_DOCS_REFUSED);
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
		watch_count(s->w, s->source, WATCH_CONNECTS);
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
	// its own when the lookup does (resolv.conf's timeouts bound it).
	// watch_library_init keeps libcurl mapped for it.
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
	watch_count(w, s->source, WATCH_DISCONNECTS);
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

uint64_t streams_tend(struct watch *w)
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
			watch_count(w, s->source, WATCH_HEARTBEAT_MISSES);
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

void streams_perform(struct watch *w)
{
	int running;
	curl_multi_perform(w->multi, &running);
	reap_done(w);
}

void streams_poll(struct watch *w, uint64_t wait_ms)
{
	curl_multi_poll(w->multi, NULL, 0, wait_ms > 0 ? wait_ms : 1, NULL);
}

void streams_wakeup(struct watch *w)
{
	curl_multi_wakeup(w->multi);
}

void streams_close_all(struct watch *w)
{
	for (int i = 0; i < CLUSTER_SOURCES; i++) {
		stream_t *s = &w->streams[i];
		if (s->easy != NULL) {
			curl_multi_remove_handle(w->multi, s->easy);
			curl_easy_cleanup(s->easy);
			s->easy = NULL;
		}
	}
}

int streams_init(struct watch *w)
{
	uint64_t now = now_ms();
	for (int i = 0; i < CLUSTER_SOURCES; i++) {
		stream_t *s = &w->streams[i];
		s->w = w;
		s->source = i;
		s->retry_at = now;
		s->backoff_ms = BACKOFF_MIN_MS;
		sse_init(&s->sse, w->conf.max_document, on_data, on_event, s);
		const char *key;
		lainlet_doc_t doc = cluster_source_doc(i, &key);
		s->reader = lainlet_reader_new(&w->cluster.ctx, doc, key, w->conf.max_document);
		if (s->reader == NULL) {
			return KNOT_ENOMEM;
		}
	}
	w->multi = curl_multi_init();
	return w->multi != NULL ? KNOT_EOK : KNOT_ERROR;
}

void streams_deinit(struct watch *w)
{
	for (int i = 0; i < CLUSTER_SOURCES; i++) {
		sse_deinit(&w->streams[i].sse);
		lainlet_reader_free(w->streams[i].reader);
	}
	if (w->multi != NULL) {
		curl_multi_cleanup(w->multi);
	}
}
