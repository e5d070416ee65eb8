/*!
 * \file
 * \brief mod-lain: knotd glue. Load/unload, the query hook, counters, the
 *        instances a reload hands the table between. With lain_conf.c (the
 *        configuration), the only file that knows knotd's module API.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <knot/module.h>
#include <urcu.h>

#include "answer.h"
#include "lain_conf.h"
#include "snapshot.h"
#include "status.h"
#include "watch.h"

/*! \brief Heartbeat windows without data after which the status says stale. */
#define STALE_HEARTBEATS 3
/*! \brief Least time between two snapshot writes. */
#define SNAPSHOT_INTERVAL_MS 3000
/*! \brief Sources with fewer records are not guarded against mass drops. */
#define DROP_GUARD_MIN_RECORDS 10

/*! \brief Counters, in the order they are registered. */
enum {
	CTR_ANSWERS = 0,  /*!< Positive answers, by record kind. */
	CTR_NODATA,       /*!< NODATA answers. */
	CTR_NXDOMAIN,     /*!< NXDOMAIN answers. */
	CTR_REFERRALS,    /*!< Referrals. */
	CTR_SERVFAIL,     /*!< SERVFAIL before the first sync. */
	CTR_WATCH,        /*!< Watcher events, by watch_counter_t. */
	CTR_RECORDS,      /*!< Records in the table (gauge). */
	CTR_BUILD_US,     /*!< Last table build time in microseconds (gauge). */
	CTR_SYNC_AGE,     /*!< Seconds since every stream was up with data (gauge). */
	CTR_STREAM,       /*!< Per stream (CTR_STREAM + cluster_source_t): its events. */
};

/*! \brief Index of answers to PTR questions in the answers counter (after the kinds). */
#define ANSWERS_PTR RR_KIND_COUNT

/*! \brief Module instance. */
typedef struct lain_ctx {
	table_t *table;             /*!< Current table (RCU), NULL before the first sync. */
	watch_t *watch;             /*!< The watcher thread. */
	knotd_mod_t *mod;           /*!< Knot's handle. */
	answer_conf_t answer;       /*!< Answer settings. */
	knot_dname_t **managed;     /*!< Zones answered SERVFAIL before the first sync. */
	size_t managed_count;       /*!< Their number. */
	lain_log_t log;             /*!< Log sink of the readers and the watcher. */
	bool portal_all;            /*!< portal-fallback all. */
	knotd_conf_t forwarders;    /*!< Forwarders whose EDNS Client Subnet is trusted. */
	knot_dname_t *status_name;  /*!< The status name (lowercase). */
	knotd_conf_t status_acl;    /*!< Who may ask it; none configured = loopback only. */
	atomic_uint_fast64_t sync_age; /*!< Seconds since every stream was up with data. */
	uint64_t stale_after;       /*!< Sync age from which the status says stale. */
	char *cluster;              /*!< First lainlet URL: instances with the same one
	                                 serve the same cluster. */
	struct lain_ctx *next;      /*!< Next live instance. */
} lain_ctx_t;

/*!
 * \brief Live instances. knotd loads the new instances of a reload before it
 *        unloads the old ones; a new instance adopts the table of the old one
 *        serving the same cluster, so a reload never answers SERVFAIL.
 */
static struct {
	pthread_mutex_t lock;
	lain_ctx_t *head;
} instances = { PTHREAD_MUTEX_INITIALIZER, NULL };

/*!
 * \brief Takes a reference to the table of a live instance of the same cluster.
 *
 * \param age  The age of that table's data in seconds (output).
 */
static table_t *instances_adopt(const char *cluster, uint64_t *age)
{
	table_t *table = NULL;
	pthread_mutex_lock(&instances.lock);
	for (lain_ctx_t *it = instances.head; it != NULL && table == NULL; it = it->next) {
		if (strcmp(it->cluster, cluster) == 0) {
			rcu_read_lock(); // the owner frees a replaced table after a grace period
			table = table_ref(rcu_dereference(it->table));
			rcu_read_unlock();
			*age = atomic_load(&it->sync_age);
		}
	}
	pthread_mutex_unlock(&instances.lock);
	return table;
}

static void instances_add(lain_ctx_t *ctx)
{
	pthread_mutex_lock(&instances.lock);
	ctx->next = instances.head;
	instances.head = ctx;
	pthread_mutex_unlock(&instances.lock);
}

static void instances_remove(lain_ctx_t *ctx)
{
	pthread_mutex_lock(&instances.lock);
	for (lain_ctx_t **it = &instances.head; *it != NULL; it = &(*it)->next) {
		if (*it == ctx) {
			*it = ctx->next;
			break;
		}
	}
	pthread_mutex_unlock(&instances.lock);
}

/*! \brief True when the name is in a zone we answer SERVFAIL for before sync. */
static bool is_managed(const lain_ctx_t *ctx, const knot_dname_t *qname)
{
	for (size_t i = 0; i < ctx->managed_count; i++) {
		if (knot_dname_in_bailiwick(qname, ctx->managed[i]) >= 0) {
			return true;
		}
	}
	return false;
}

/*!
 * \brief The querying client: its node's IPv4 address (the source, or the EDNS
 *        Client Subnet address from a trusted forwarder) and the time.
 *
 * \return True when the address came from EDNS Client Subnet.
 */
static bool client_init(const lain_ctx_t *ctx, const table_t *table, knotd_qdata_t *qdata,
                        table_client_t *client)
{
	memset(client, 0, sizeof(*client));
	client->portal_all = ctx->portal_all;
	const struct sockaddr_storage *remote = knotd_qdata_remote_addr(qdata);
	struct sockaddr_storage ecs_addr;
	bool by_ecs = false;
	if (qdata->ecs != NULL && remote != NULL && ctx->forwarders.count > 0 &&
	    knotd_conf_addr_range_match(&ctx->forwarders, remote) &&
	    knot_edns_client_subnet_get_addr(&ecs_addr, qdata->ecs) == KNOT_EOK) {
		remote = &ecs_addr;
		by_ecs = true;
	}
	if (remote != NULL && remote->ss_family == AF_INET) {
		client->addr = ((const struct sockaddr_in *)remote)->sin_addr.s_addr;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME_COARSE, &now);
	client->now = 0x400000000000000aULL + now.tv_sec;
	table_client_locate(table, client);
	return by_ecs;
}

/*! \brief True when the client may ask the status name. */
static bool status_allowed(const lain_ctx_t *ctx, knotd_qdata_t *qdata)
{
	const struct sockaddr_storage *remote = knotd_qdata_remote_addr(qdata);
	if (remote == NULL) {
		return false;
	}
	return ctx->status_acl.count > 0 ?
	       knotd_conf_addr_range_match(&ctx->status_acl, remote) :
	       status_default_allowed(remote);
}

/*! \brief Answers the status name. */
static knotd_state_t answer_status(lain_ctx_t *ctx, const table_t *table, knot_pkt_t *pkt,
                                   knotd_qdata_t *qdata)
{
	status_t status = {
		.has_table = table != NULL,
		.sync_age = atomic_load(&ctx->sync_age),
		.stale_after = ctx->stale_after,
		.records = table != NULL ? table_stats(table).records : 0,
		.serial = table != NULL ? table_serial(table) : 0,
	};
	if (status_write(pkt, knot_pkt_qname(qdata->query), knot_pkt_qtype(qdata->query),
	                 &status) != KNOT_EOK) {
		qdata->rcode = KNOT_RCODE_SERVFAIL;
		return KNOTD_STATE_FAIL;
	}
	qdata->rcode = KNOT_RCODE_NOERROR;
	return KNOTD_STATE_DONE;
}

static knotd_state_t lain_begin(knotd_state_t state, knot_pkt_t *pkt, knotd_qdata_t *qdata,
                                knotd_mod_t *mod)
{
	if (state == KNOTD_STATE_DONE || state == KNOTD_STATE_FAIL ||
	    state == KNOTD_STATE_FINAL || qdata->type != KNOTD_QUERY_TYPE_NORMAL ||
	    knot_pkt_qclass(qdata->query) != KNOT_CLASS_IN ||
	    knot_pkt_has_tsig(qdata->query)) {
		return state; // Knot's business
	}
	lain_ctx_t *ctx = knotd_mod_ctx(mod);
	unsigned thread = qdata->params->thread_id;
	const knot_dname_t *qname = knot_pkt_qname(qdata->query);

	const table_t *table = rcu_dereference(ctx->table);
	if (knot_dname_is_equal(qname, ctx->status_name) && status_allowed(ctx, qdata)) {
		return answer_status(ctx, table, pkt, qdata);
	}
	if (table == NULL) {
		if (!is_managed(ctx, qname)) {
			return state;
		}
		knotd_mod_stats_incr(mod, thread, CTR_SERVFAIL, 0, 1);
		qdata->rcode = KNOT_RCODE_SERVFAIL;
		return KNOTD_STATE_FAIL;
	}

	table_client_t client;
	bool by_ecs = client_init(ctx, table, qdata, &client);
	bool scoped = false;
	client.scoped = &scoped;
	answer_result_t res;
	answer_write(table, pkt, qname, knot_pkt_qtype(qdata->query), &client, &ctx->answer,
	             &res);
	if (by_ecs) { // an answer that depended on the address holds for it only
		qdata->ecs->scope_len = scoped ? qdata->ecs->source_len : 0;
	}
	switch (res.kind) {
	case ANSWER_NOT_OURS:
		return state;
	case ANSWER_HIT:
		knotd_mod_stats_incr(mod, thread, CTR_ANSWERS,
		                     knot_pkt_qtype(qdata->query) == KNOT_RRTYPE_PTR ?
		                     ANSWERS_PTR : res.rr_kind, 1);
		break;
	case ANSWER_NODATA:
		knotd_mod_stats_incr(mod, thread, CTR_NODATA, 0, 1);
		break;
	case ANSWER_NXDOMAIN:
		knotd_mod_stats_incr(mod, thread, CTR_NXDOMAIN, 0, 1);
		break;
	case ANSWER_REFERRAL:
		knotd_mod_stats_incr(mod, thread, CTR_REFERRALS, 0, 1);
		break;
	default:
		break;
	}
	if (res.ret != KNOT_EOK && res.ret != KNOT_ESPACE) {
		qdata->rcode = KNOT_RCODE_SERVFAIL;
		return KNOTD_STATE_FAIL;
	}
	qdata->rcode = res.rcode; // on KNOT_ESPACE the packet has TC set
	return KNOTD_STATE_DONE;
}

/*! \brief The watcher's log lines go to knotd's log. */
static void log_write(void *arg, int priority, const char *line)
{
	knotd_mod_log(arg, priority, "%s", line);
}

static void on_publish(void *arg, table_t *table, const table_stats_t *stats,
                       uint64_t build_us)
{
	lain_ctx_t *ctx = arg;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	table_t *old = rcu_xchg_pointer(&ctx->table, table);
	synchronize_rcu();
	table_free(old);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long long grace_us = (t1.tv_sec - t0.tv_sec) * 1000000LL +
	                     (t1.tv_nsec - t0.tv_nsec) / 1000;
	knotd_mod_stats_store(ctx->mod, 0, CTR_RECORDS, 0, stats->records);
	knotd_mod_stats_store(ctx->mod, 0, CTR_BUILD_US, 0, build_us);
	knotd_mod_log(ctx->mod, LOG_INFO, "table published (serial %u, records %zu, names %zu, "
	              "%zu kB, build %llu us, publish %lld us)", table_serial(table),
	              stats->records, stats->nodes, stats->bytes / 1024,
	              (unsigned long long)build_us, grace_us);
}

static void on_count(void *arg, int source, watch_counter_t counter, uint64_t value)
{
	lain_ctx_t *ctx = arg;
	knotd_mod_stats_incr(ctx->mod, 0, CTR_WATCH, counter, value);
	if (source >= 0 && source < CLUSTER_SOURCES) {
		knotd_mod_stats_incr(ctx->mod, 0, CTR_STREAM + source, counter, value);
	}
}

static void on_gauge(void *arg, watch_gauge_t gauge, uint64_t value)
{
	lain_ctx_t *ctx = arg;
	if (gauge == WATCH_SYNC_AGE) {
		atomic_store(&ctx->sync_age, value);
		knotd_mod_stats_store(ctx->mod, 0, CTR_SYNC_AGE, 0, value);
	}
}

static char *kind_to_str(uint32_t idx, uint32_t count)
{
	static const char *const names[ANSWERS_PTR + 1] = {
		[RR_KIND_STATIC] = "static", [RR_KIND_PROC] = "proc", [RR_KIND_APP] = "app",
		[RR_KIND_PORTAL] = "portal", [RR_KIND_DEFAULT] = "default", [ANSWERS_PTR] = "ptr",
	};
	return idx <= ANSWERS_PTR ? strdup(names[idx]) : NULL;
}

static char *watch_to_str(uint32_t idx, uint32_t count)
{
	static const char *const names[WATCH_COUNTERS] = {
		[WATCH_CONNECTS] = "connects", [WATCH_DISCONNECTS] = "disconnects",
		[WATCH_HEARTBEAT_MISSES] = "heartbeat-misses",
		[WATCH_DOCS_APPLIED] = "documents-applied",
		[WATCH_DOCS_REFUSED] = "documents-refused", [WATCH_PUBLISHES] = "publishes",
		[WATCH_DOCS_HELD] = "documents-held",
	};
	return idx < WATCH_COUNTERS ? strdup(names[idx]) : NULL;
}

/*! \brief A counter as knotd registers it (knotd keeps the name pointer). */
typedef struct {
	const char *name;                /*!< Its name in knotc stats. */
	uint32_t count;                  /*!< Its indexes. */
	knotd_mod_idx_to_str_f idx_name; /*!< Their names, NULL for one. */
} counter_t;

/*! \brief The counters, in CTR_* order; then one per stream (stream_counter). */
static const counter_t counters[CTR_STREAM] = {
	[CTR_ANSWERS] = { "answers", ANSWERS_PTR + 1, kind_to_str },
	[CTR_NODATA] = { "nodata", 1 },
	[CTR_NXDOMAIN] = { "nxdomain", 1 },
	[CTR_REFERRALS] = { "referrals", 1 },
	[CTR_SERVFAIL] = { "servfail-unsynced", 1 },
	[CTR_WATCH] = { "lainlet", WATCH_COUNTERS, watch_to_str },
	[CTR_RECORDS] = { "records", 1 },
	[CTR_BUILD_US] = { "build-usec", 1 },
	[CTR_SYNC_AGE] = { "sync-age", 1 },
};

/*! \brief The counter of a stream: "stream-" and its source's name. */
static counter_t stream_counter(cluster_source_t source)
{
	static char names[CLUSTER_SOURCES][32]; // the same text for every instance
	snprintf(names[source], sizeof(names[source]), "stream-%s",
	         cluster_source_name(source));
	return (counter_t){ names[source], WATCH_COUNTERS, watch_to_str };
}

/*! \brief Registers the counters in CTR_* order. */
static int stats_init(knotd_mod_t *mod)
{
	for (int i = 0; i < CTR_STREAM + CLUSTER_SOURCES; i++) {
		counter_t c = i < CTR_STREAM ? counters[i] : stream_counter(i - CTR_STREAM);
		int ret = knotd_mod_stats_add(mod, c.name, c.count, c.idx_name);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	return KNOT_EOK;
}

/*! \brief Copies the managed zones (or the defaults). */
static int managed_init(lain_ctx_t *ctx, knotd_mod_t *mod)
{
	knotd_conf_t conf = knotd_conf_mod(mod, MOD_MANAGED_ZONE);
	ctx->managed = managed_zones(&conf, &ctx->managed_count);
	knotd_conf_free(&conf);
	return ctx->managed != NULL ? KNOT_EOK : KNOT_ENOMEM;
}

/*!
 * \brief The last-known-good snapshot as a table, when there is one.
 *
 * \param age  Age of the snapshot's data in seconds (output).
 */
static table_t *start_snapshot(knotd_mod_t *mod, const char *path, const char *cluster,
                               uint64_t *age)
{
	rr_list_t list;
	uint32_t serial = 0;
	int64_t mtime = 0;
	char why[128];
	bool other = false;
	int ret = snapshot_read(path, cluster, &other, &list, &serial, &mtime, why, sizeof(why));
	if (ret == KNOT_ENOENT) {
		knotd_mod_log(mod, LOG_INFO, "no snapshot %s yet", path);
		return NULL;
	}
	if (ret != KNOT_EOK) {
		knotd_mod_log(mod, LOG_WARNING, "snapshot %s ignored (%s)", path, why);
		return NULL;
	}
	if (other) {
		knotd_mod_log(mod, LOG_WARNING, "snapshot %s was written with another first "
		              "lainlet URL or data file, loaded all the same", path);
	}
	table_t *table = table_build(&list, serial);
	time_t now = time(NULL);
	*age = now > mtime ? now - mtime : 0;
	if (table != NULL) {
		knotd_mod_log(mod, LOG_NOTICE, "snapshot %s loaded (serial %u, records %zu, "
		              "written %llu s ago)", path, serial, list.count,
		              (unsigned long long)*age);
	}
	rr_list_clear(&list);
	return table;
}

/*!
 * \brief The table to start with: the one of the instance this one replaces
 *        (reload), else the last-known-good snapshot; and what it means for the
 *        watcher (serial, data age, the guard's baseline).
 */
static void start_table(lain_ctx_t *ctx, watch_conf_t *conf)
{
	ctx->table = instances_adopt(ctx->cluster, &conf->data_age_s);
	if (ctx->table == NULL && conf->snapshot != NULL) {
		ctx->table = start_snapshot(ctx->mod, conf->snapshot, ctx->cluster,
		                            &conf->data_age_s);
	}
	if (ctx->table == NULL) {
		return;
	}
	// What is served now is what a first document may not drop at once.
	table_stats_t stats = table_stats(ctx->table);
	conf->serial = table_serial(ctx->table);
	cluster_guard_baseline(&conf->guard, &stats);
	knotd_mod_stats_store(ctx->mod, 0, CTR_RECORDS, 0, stats.records);
	knotd_mod_stats_store(ctx->mod, 0, CTR_SYNC_AGE, 0, conf->data_age_s);
	atomic_store(&ctx->sync_age, conf->data_age_s);
}

/*! \brief The watcher's settings from the configuration (strings point into it). */
static watch_conf_t watch_settings(lain_ctx_t *ctx, knotd_mod_t *mod)
{
	knotd_conf_t ca = knotd_conf_mod(mod, MOD_CA_FILE);
	knotd_conf_t snapshot = knotd_conf_mod(mod, MOD_SNAPSHOT);
	knotd_conf_t data_file = knotd_conf_mod(mod, MOD_DATA_FILE);
	return (watch_conf_t){
		.heartbeat = knotd_conf_mod(mod, MOD_HEARTBEAT).single.integer,
		.max_document = knotd_conf_mod(mod, MOD_MAX_DOCUMENT).single.integer,
		.ca_file = ca.count > 0 ? ca.single.string : NULL,
		.backoff_max_ms = knotd_conf_mod(mod, MOD_BACKOFF_MAX).single.integer * 1000,
		.failback_ms = knotd_conf_mod(mod, MOD_FAILBACK).single.integer * 1000,
		.snapshot = snapshot.count > 0 ? snapshot.single.string : NULL,
		.data_file = data_file.count > 0 ? data_file.single.string : NULL,
		.snapshot_ms = SNAPSHOT_INTERVAL_MS,
		.guard = {
			.percent = knotd_conf_mod(mod, MOD_DROP_GUARD).single.integer,
			.min_records = DROP_GUARD_MIN_RECORDS,
			.hold_ms = knotd_conf_mod(mod, MOD_DROP_HOLD).single.integer * 1000,
		},
		.reader = {
			.ttl = knotd_conf_mod(mod, MOD_TTL).single.integer,
			.log = &ctx->log,
			.log_max = 10,
		},
		.log = ctx->log,
		.publish = on_publish,
		.count = on_count,
		.gauge = on_gauge,
		.arg = ctx,
	};
}

/*! \brief Starts the watcher with the configured lainlet URLs and files. */
static int start_watch(lain_ctx_t *ctx, knotd_mod_t *mod)
{
	knotd_conf_t urls = knotd_conf_mod(mod, MOD_LAINLET);
	const char **list = calloc(urls.count + 1, sizeof(char *));
	if (list == NULL) {
		knotd_conf_free(&urls);
		return KNOT_ENOMEM;
	}
	for (size_t i = 0; i < urls.count; i++) {
		list[i] = urls.multi[i].string;
	}
	urls_warn(&urls, ctx->managed, ctx->managed_count, &ctx->log);
	watch_conf_t conf = watch_settings(ctx, mod);
	conf.urls = list;
	conf.url_count = urls.count;
	ctx->cluster = strdup(list[0] != NULL ? list[0] :
	                      conf.data_file != NULL ? conf.data_file : "");
	int ret = KNOT_ENOMEM;
	if (ctx->cluster != NULL) {
		conf.cluster = ctx->cluster;
		start_table(ctx, &conf);
		ret = watch_start(&ctx->watch, &conf);
	}
	free(list);
	knotd_conf_free(&urls);
	return ret;
}

static void lain_free(lain_ctx_t *ctx)
{
	instances_remove(ctx);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	watch_stop(ctx->watch);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ctx->watch != NULL) {
		knotd_mod_log(ctx->mod, LOG_INFO, "watcher stopped in %lld ms",
		              (t1.tv_sec - t0.tv_sec) * 1000LL +
		              (t1.tv_nsec - t0.tv_nsec) / 1000000);
	}
	knotd_conf_free(&ctx->forwarders);
	knotd_conf_free(&ctx->status_acl);
	knot_dname_free(ctx->status_name, NULL);
	free(ctx->cluster);
	table_free(ctx->table);
	zones_free(ctx->managed, ctx->managed_count);
	free(ctx);
}

/*! \brief The settings the query hook reads. */
static int answer_init(lain_ctx_t *ctx, knotd_mod_t *mod)
{
	ctx->answer.negative_ttl = knotd_conf_mod(mod, MOD_NEGATIVE_TTL).single.integer;
	ctx->portal_all = knotd_conf_mod(mod, MOD_PORTAL_FALLBACK).single.option ==
	                  PORTAL_FALLBACK_ALL;
	ctx->forwarders = knotd_conf_mod(mod, MOD_FORWARDER);
	ctx->status_acl = knotd_conf_mod(mod, MOD_STATUS_ACL);
	knotd_conf_t status_name = knotd_conf_mod(mod, MOD_STATUS_NAME);
	ctx->status_name = status_name.count > 0 ? knot_dname_copy(status_name.single.dname, NULL)
	                                         : knot_dname_from_str_alloc(STATUS_NAME_DEFAULT);
	if (ctx->status_name == NULL) {
		return KNOT_ENOMEM;
	}
	knot_dname_to_lower(ctx->status_name);
	ctx->stale_after = STALE_HEARTBEATS *
	                   knotd_conf_mod(mod, MOD_HEARTBEAT).single.integer + 1;
	return managed_init(ctx, mod);
}

int lain_load(knotd_mod_t *mod)
{
	const char *why = NULL;
	if (watch_library_init(&why) != KNOT_EOK) {
		knotd_mod_log(mod, LOG_ERR, "failed to set up libcurl (%s)", why);
		return KNOT_ERROR;
	}
	lain_ctx_t *ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL) {
		watch_library_cleanup();
		return KNOT_ENOMEM;
	}
	ctx->mod = mod;
	ctx->log = (lain_log_t){ .write = log_write, .arg = mod };
	knotd_mod_ctx_set(mod, ctx);
	int ret = answer_init(ctx, mod);
	if (ret != KNOT_EOK || (ret = stats_init(mod)) != KNOT_EOK ||
	    (ret = start_watch(ctx, mod)) != KNOT_EOK ||
	    (ret = knotd_mod_hook(mod, KNOTD_STAGE_BEGIN, lain_begin)) != KNOT_EOK) {
		goto failed;
	}
	instances_add(ctx);
	return KNOT_EOK;
failed:
	knotd_mod_log(mod, LOG_ERR, "failed to load (%s)", knot_strerror(ret));
	knotd_mod_ctx_set(mod, NULL);
	lain_free(ctx);
	watch_library_cleanup();
	return ret;
}

void lain_unload(knotd_mod_t *mod)
{
	lain_ctx_t *ctx = knotd_mod_ctx(mod);
	if (ctx != NULL) {
		lain_free(ctx);
		watch_library_cleanup();
	}
}

KNOTD_MOD_API(lain, KNOTD_MOD_FLAG_SCOPE_GLOBAL, lain_load, lain_unload, lain_conf,
              lain_conf_check);
