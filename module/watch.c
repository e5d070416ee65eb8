/*!
 * \file
 * \brief The watcher thread: its loop, the data file's checks, when to build and
 *        publish (serials) and write snapshots, how old the data is, start and stop.
 *
 * The streams it drives are in watch_stream.c, the one file that knows libcurl.
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <urcu.h>

#include "file.h"
#include "snapshot.h"
#include "watch_impl.h"

/*! \brief How often the data file is looked at. */
#define FILE_CHECK_MS 1000
/*!
 * \brief Serials a snapshot covers ahead of its table's while the serials run
 *        ahead of the clock (see serial_store).
 */
#define SERIAL_RESERVE 64

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
	watch_count(w, -1, WATCH_PUBLISHES);
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
		uint64_t wait = streams_tend(w);
		streams_perform(w);
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
		streams_poll(w, wait);
	}

	streams_close_all(w);
	write_snapshot(w, true, true);
	rcu_unregister_thread();
	return NULL;
}

/*! \brief Frees a watcher that has no running thread. */
static void watch_free(struct watch *w)
{
	streams_deinit(w);
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
	int ret = streams_init(w);
	if (ret != KNOT_EOK) {
		watch_free(w);
		return ret;
	}
	if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
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
	streams_wakeup(w);
	pthread_join(w->thread, NULL);
	watch_free(w);
}