/*!
 * \file
 * \brief Latest documents of every source -> records -> table.
 */
#include <string.h>

#include "cluster.h"
#include "hash.h"
#include "tinydata.h"

/*!
 * \brief The one list of streams: the document each reads, the configwatcher key
 *        (which is then also the source's name), the request. The other sources
 *        are named by their document (lainlet_doc_name()).
 */
static const struct {
	lainlet_doc_t doc;  /*!< The document's reader. */
	const char *key;    /*!< LAINLET_CONFIG: the key read; NULL for the others. */
	const char *path;   /*!< The request, after the lainlet URL. */
} streams[CLUSTER_SOURCES] = {
	[CLUSTER_COREINFO] = { LAINLET_COREINFO, NULL, "/v2/coreinfowatcher" },
	[CLUSTER_DEPENDS] = { LAINLET_DEPENDS, NULL, "/v2/depends" },
	[CLUSTER_TINYDNS] = { LAINLET_TINYDNS, NULL, "/v2/configwatcher?target=tinydns_fqdns" },
	[CLUSTER_DOMAIN] = { LAINLET_CONFIG, "domain", "/v2/configwatcher?target=domain" },
	[CLUSTER_DNS_IP] = { LAINLET_CONFIG, "dns_ip", "/v2/configwatcher?target=dns_ip" },
};

const char *cluster_source_name(cluster_source_t source)
{
	const char *key = streams[source].key;
	return key != NULL ? key : lainlet_doc_name(streams[source].doc);
}

const char *cluster_source_path(cluster_source_t source)
{
	return streams[source].path;
}

lainlet_doc_t cluster_source_doc(cluster_source_t source, const char **key)
{
	*key = streams[source].key;
	return streams[source].doc;
}

void cluster_init(cluster_t *c, const lainlet_ctx_t *ctx, const cluster_guard_t *guard)
{
	memset(c, 0, sizeof(*c));
	c->ctx = *ctx;
	c->guard = *guard;
	c->want_lainlet = true;
}

void cluster_clear(cluster_t *c)
{
	for (int i = 0; i <= CLUSTER_TINYDNS; i++) {
		lainlet_data_clear(&c->data[i]);
		lainlet_data_clear(&c->held[i].data);
		c->held[i].active = false;
	}
	lainlet_data_clear(&c->file);
	c->have_file = false;
	memset(c->have, 0, sizeof(c->have));
}

size_t cluster_bytes(const cluster_t *c)
{
	size_t bytes = lainlet_data_bytes(&c->file);
	for (int i = 0; i <= CLUSTER_TINYDNS; i++) {
		bytes += lainlet_data_bytes(&c->data[i]);
	}
	return bytes;
}

void cluster_guard_baseline(cluster_guard_t *guard, const table_stats_t *stats)
{
	guard->baseline[CLUSTER_COREINFO] = stats->by_kind[RR_KIND_PROC];
	guard->baseline[CLUSTER_DEPENDS] = stats->by_kind[RR_KIND_PORTAL];
	guard->baseline[CLUSTER_TINYDNS] = stats->tinydns;
}

size_t cluster_source_records(const cluster_t *c, cluster_source_t source)
{
	if (source > CLUSTER_TINYDNS) {
		return 0;
	}
	return c->have[source] ? c->data[source].count : c->guard.baseline[source];
}

/*! \brief A config key's value; absent is an unset cluster setting (""). */
static int apply_string(cluster_t *c, cluster_source_t source, const lainlet_data_t *data,
                        char *out, size_t out_len)
{
	const char *value = data->has_value ? data->value : "";
	if (c->have[source] && strcmp(out, value) == 0) {
		return KNOT_EEXIST;
	}
	if (strlen(value) >= out_len) {
		lain_log(c->ctx.log, LOG_ERR, "%s: document refused (no string '%s' key)",
		         cluster_source_name(source), cluster_source_name(source));
		return KNOT_EMALF;
	}
	strcpy(out, value);
	c->have[source] = true;
	return KNOT_EOK;
}

/*! \brief Replaces a source's data (the old data is freed). */
static void replace(cluster_t *c, cluster_source_t source, lainlet_data_t *data)
{
	lainlet_data_clear(&c->data[source]);
	c->data[source] = *data;
	memset(data, 0, sizeof(*data));
}

/*! \brief True when going from old to new records is a mass drop. */
static bool mass_drop(const cluster_guard_t *guard, size_t old, size_t new)
{
	return guard->percent > 0 && old >= guard->min_records && new < old &&
	       (old - new) * 100 > (uint64_t)old * guard->percent;
}

/*! \brief Holds a mass-dropping document back, or keeps holding. */
static void hold(cluster_t *c, cluster_source_t source, lainlet_data_t *data, uint64_t now)
{
	cluster_held_t *held = &c->held[source];
	size_t old = cluster_source_records(c, source);
	size_t new = data->count;
	if (!held->active) {
		held->since = now;
		held->active = true;
		lain_log(c->ctx.log, LOG_WARNING, "%s: document would remove %zu of %zu records, "
		         "held back for %llu s", cluster_source_name(source), old - new, old,
		         (unsigned long long)(c->guard.hold_ms / 1000));
	}
	lainlet_data_clear(&held->data);
	held->data = *data;
	memset(data, 0, sizeof(*data));
}

/*! \brief Drops what the guard holds back for a source, if anything. */
static void unhold(cluster_t *c, cluster_source_t source)
{
	if (source <= CLUSTER_TINYDNS && c->held[source].active) {
		lainlet_data_clear(&c->held[source].data);
		c->held[source].active = false;
	}
}

/*! \brief cluster_apply_read's work; data is left to the caller to clear. */
static int apply_data(cluster_t *c, cluster_source_t source, lainlet_data_t *data,
                      uint64_t now)
{
	if (source == CLUSTER_DOMAIN) {
		return apply_string(c, source, data, c->domain, sizeof(c->domain));
	} else if (source == CLUSTER_DNS_IP) {
		return apply_string(c, source, data, c->dns_ip, sizeof(c->dns_ip));
	} else if (source > CLUSTER_TINYDNS) {
		return KNOT_EINVAL;
	}
	if (c->have[source] && lainlet_data_equal(&c->data[source], data)) {
		unhold(c, source); // back to what is served
		return KNOT_EEXIST;
	}
	if (mass_drop(&c->guard, cluster_source_records(c, source), data->count)) {
		hold(c, source, data, now);
		return KNOT_EBUSY;
	}
	if (c->held[source].active) {
		lain_log(c->ctx.log, LOG_NOTICE, "%s: held document dropped, a normal one came",
		         cluster_source_name(source));
		unhold(c, source);
	}
	replace(c, source, data);
	c->have[source] = true;
	return KNOT_EOK;
}

int cluster_apply_read(cluster_t *c, cluster_source_t source, int read,
                       lainlet_data_t *data, uint64_t now)
{
	const char *key;
	if (read == KNOT_ENOENT && cluster_source_doc(source, &key) == LAINLET_CONFIG) {
		memset(data, 0, sizeof(*data)); // an unset key
	} else if (read != KNOT_EOK) {
		return read;
	}
	int ret = apply_data(c, source, data, now);
	lainlet_data_clear(data);
	return ret;
}

int cluster_apply_doc(cluster_t *c, cluster_source_t source, lainlet_reader_t *r,
                      uint64_t now)
{
	lainlet_data_t data;
	int ret = lainlet_reader_end(r, &data);
	ret = cluster_apply_read(c, source, ret, &data, now);
	if (ret == KNOT_EOK || ret == KNOT_EBUSY) {
		lainlet_reader_log(r); // it changes (or would change) what is served
	} else {
		lainlet_reader_reset(r);
	}
	return ret;
}

int cluster_apply(cluster_t *c, cluster_source_t source, const char *doc, size_t len,
                  uint64_t now)
{
	const char *key;
	lainlet_doc_t kind = cluster_source_doc(source, &key);
	lainlet_reader_t *r = lainlet_reader_new(&c->ctx, kind, key, len + 1);
	if (r == NULL) {
		return KNOT_ENOMEM;
	}
	lainlet_reader_feed(r, doc, len);
	int ret = cluster_apply_doc(c, source, r, now);
	lainlet_reader_free(r);
	return ret;
}

bool cluster_tick(cluster_t *c, uint64_t now)
{
	bool changed = false;
	for (int i = 0; i <= CLUSTER_TINYDNS; i++) {
		cluster_held_t *held = &c->held[i];
		if (!held->active || now - held->since < c->guard.hold_ms) {
			continue;
		}
		lain_log(c->ctx.log, LOG_WARNING, "%s: held document applied after %llu s "
		         "(%zu -> %zu records)", cluster_source_name(i),
		         (unsigned long long)((now - held->since) / 1000),
		         cluster_source_records(c, i), held->data.count);
		replace(c, i, &held->data);
		c->have[i] = true;
		held->active = false;
		changed = true;
	}
	return changed;
}

bool cluster_synced(const cluster_t *c)
{
	for (int i = 0; c->want_lainlet && i < CLUSTER_SOURCES; i++) {
		if (!c->have[i]) {
			return false;
		}
	}
	return !c->want_file || c->have_file;
}

/*! \brief Bad lines of the data file are logged, the first ones one by one. */
static void file_bad_line(void *arg, const char *source, unsigned line, const char *reason)
{
	cluster_t *c = arg;
	lain_log(c->ctx.log, LOG_WARNING, "%s line %u skipped (%s)", source, line, reason);
}

int cluster_apply_file(cluster_t *c, const char *path, const char *text, size_t len)
{
	uint64_t h = fnv1a_words(text, len);
	if (c->have_file && c->file_digest == h) {
		return KNOT_EEXIST;
	}
	lainlet_data_t data;
	memset(&data, 0, sizeof(data));
	tinydata_ctx_t ctx = { .source = path, .log = file_bad_line, .log_arg = c,
	                       .kind = RR_KIND_STATIC };
	int ret = tinydata_text(&ctx, &data.records, text, len);
	if (ret != KNOT_EOK) {
		lainlet_data_clear(&data);
		return ret;
	}
	if (ctx.skipped > 0) {
		lain_log(c->ctx.log, LOG_WARNING, "%s: %u bad lines skipped, %zu records read",
		         path, ctx.skipped, data.records.count);
	}
	data.count = data.records.count;
	lainlet_data_clear(&c->file);
	c->file = data;
	c->file_digest = h;
	c->have_file = true;
	return KNOT_EOK;
}

/*! \brief True when the list has a record of the type at the owner, for everyone. */
static bool list_has(const rr_list_t *list, const knot_dname_t *owner, uint16_t type)
{
	for (size_t i = 0; i < list->count; i++) {
		const rr_t *rr = &list->rrs[i];
		if (rr->type == type && rr_view_is_all(&rr->view) &&
		    knot_dname_is_equal(rr_owner(list, rr), owner)) {
			return true;
		}
	}
	return false;
}

/*!
 * \brief Adds one default line unless tinydns_fqdns has its kind at its owner
 *        ('.' = an SOA, '+' = an A).
 */
static int add_default(const cluster_t *c, rr_list_t *out, const char *line)
{
	uint8_t owner[KNOT_DNAME_MAXLEN];
	char name[KNOT_DNAME_TXT_MAXLEN];
	size_t len = strcspn(line + 1, ":");
	snprintf(name, sizeof(name), "%.*s", (int)len, line + 1);
	if (knot_dname_from_str(owner, name, sizeof(owner)) == NULL) {
		return KNOT_EOK;
	}
	knot_dname_to_lower(owner);
	uint16_t type = line[0] == '.' ? KNOT_RRTYPE_SOA : KNOT_RRTYPE_A;
	if (list_has(&c->data[CLUSTER_TINYDNS].records, owner, type)) {
		return KNOT_EOK;
	}
	tinydata_ctx_t ctx = { .source = "default", .kind = RR_KIND_DEFAULT };
	return tinydata_line(&ctx, out, line, strlen(line), 1);
}

/*! \brief The defaults the original generator made from domain and dns_ip. */
static int add_defaults(const cluster_t *c, rr_list_t *out)
{
	char line[KNOT_DNAME_TXT_MAXLEN + 128];
	const char *ip = c->dns_ip;
	static const char *const zones[] = { "lain", "20.172.in-addr.arpa" };
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		snprintf(line, sizeof(line), ".%s:%s:a:300", zones[i], ip);
		int ret = add_default(c, out, line);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	if (c->domain[0] == '\0') {
		return KNOT_EOK;
	}
	snprintf(line, sizeof(line), ".%s:%s:a:300", c->domain, ip);
	int ret = add_default(c, out, line);
	if (ret != KNOT_EOK) {
		return ret;
	}
	snprintf(line, sizeof(line), "+*.%s:%s:300", c->domain, ip);
	return add_default(c, out, line);
}

/*! \brief Emits the defaults (a handful of records, made for each call). */
static int emit_defaults(const cluster_t *c, rr_sink_t *sink)
{
	rr_list_t list;
	rr_list_init(&list);
	int ret = add_defaults(c, &list);
	if (ret == KNOT_EOK) {
		ret = rr_list_emit(&list, sink);
	}
	rr_list_clear(&list);
	return ret;
}

/*! \brief <app>.lain A: every web router address, for every app but webrouter. */
static int emit_apps(const cluster_t *c, rr_sink_t *sink)
{
	const rr_list_t *lines = &c->data[CLUSTER_TINYDNS].records;
	for (size_t i = 0; i < lines->count; i++) {
		const rr_t *router = &lines->rrs[i];
		if (router->type != KNOT_RRTYPE_A || router->rdlen != 4 ||
		    !rr_view_is_all(&router->view) ||
		    !knot_dname_is_equal(rr_owner(lines, router), LAINLET_WEBROUTER)) {
			continue;
		}
		int ret = lainlet_data_emit_apps(&c->data[CLUSTER_COREINFO],
		                                 rr_rdata(lines, router), c->ctx.ttl, sink);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	return KNOT_EOK;
}

int cluster_emit(const void *src, rr_sink_t *sink)
{
	const cluster_t *c = src;
	int ret = lainlet_data_emit(&c->data[CLUSTER_TINYDNS], sink);
	if (ret == KNOT_EOK && c->want_lainlet) {
		ret = emit_defaults(c, sink);
	}
	if (ret == KNOT_EOK) {
		ret = lainlet_data_emit(&c->data[CLUSTER_COREINFO], sink);
	}
	if (ret == KNOT_EOK) {
		ret = emit_apps(c, sink);
	}
	if (ret == KNOT_EOK) {
		ret = lainlet_data_emit(&c->data[CLUSTER_DEPENDS], sink);
	}
	if (ret == KNOT_EOK) {
		ret = lainlet_data_emit(&c->file, sink);
	}
	return ret;
}

int cluster_records(const cluster_t *c, rr_list_t *out)
{
	rr_list_sink_t sink = rr_list_sink(out);
	return cluster_emit(c, &sink.sink);
}

int cluster_build(const cluster_t *c, uint32_t serial, table_t **out)
{
	return table_build_from(cluster_emit, c, serial, out);
}
