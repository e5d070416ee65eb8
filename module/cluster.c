/*!
 * \file
 * \brief Latest documents of every source -> records -> table.
 */
#include <string.h>

#include "cluster.h"
#include "tinydata.h"

static const char *const source_names[CLUSTER_SOURCES] = {
	[CLUSTER_COREINFO] = "coreinfo",
	[CLUSTER_DEPENDS] = "depends",
	[CLUSTER_TINYDNS] = "tinydns_fqdns",
	[CLUSTER_DOMAIN] = "domain",
	[CLUSTER_DNS_IP] = "dns_ip",
};

static const char *const source_paths[CLUSTER_SOURCES] = {
	[CLUSTER_COREINFO] = "/v2/coreinfowatcher",
	[CLUSTER_DEPENDS] = "/v2/depends",
	[CLUSTER_TINYDNS] = "/v2/configwatcher?target=tinydns_fqdns",
	[CLUSTER_DOMAIN] = "/v2/configwatcher?target=domain",
	[CLUSTER_DNS_IP] = "/v2/configwatcher?target=dns_ip",
};

const char *cluster_source_name(cluster_source_t source)
{
	return source_names[source];
}

const char *cluster_source_path(cluster_source_t source)
{
	return source_paths[source];
}

void cluster_init(cluster_t *c, const lainlet_ctx_t *ctx)
{
	memset(c, 0, sizeof(*c));
	c->ctx = *ctx;
}

void cluster_clear(cluster_t *c)
{
	lainlet_coreinfo_clear(&c->coreinfo);
	rr_list_clear(&c->depends);
	rr_list_clear(&c->tinydns);
	memset(c->have, 0, sizeof(c->have));
	memset(c->digest, 0, sizeof(c->digest));
}

/*! \brief 64-bit FNV-1a of a document, to skip identical ones. */
static uint64_t digest(const char *doc, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ len;
	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)doc[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*! \brief Reads a config key that may be absent (an unset cluster setting). */
static int apply_string(cluster_t *c, cluster_source_t source, const char *doc, size_t len,
                        char *out, size_t out_len)
{
	const char *key = source_names[source];
	char value[KNOT_DNAME_TXT_MAXLEN];
	int ret = lainlet_config_string(doc, len, key, value, sizeof(value));
	if (ret == KNOT_ENOENT) {
		value[0] = '\0';
	} else if (ret != KNOT_EOK || strlen(value) >= out_len) {
		lain_log(c->ctx.log, LOG_ERR, "%s: document refused (no string '%s' key)",
		         key, key);
		return KNOT_EMALF;
	}
	strcpy(out, value);
	return KNOT_EOK;
}

int cluster_apply(cluster_t *c, cluster_source_t source, const char *doc, size_t len)
{
	uint64_t h = digest(doc, len);
	if (c->have[source] && c->digest[source] == h) {
		return KNOT_EEXIST;
	}
	int ret = KNOT_EOK;
	switch (source) {
	case CLUSTER_COREINFO: {
		lainlet_coreinfo_t ci;
		ret = lainlet_coreinfo(&c->ctx, doc, len, &ci);
		if (ret == KNOT_EOK) {
			lainlet_coreinfo_clear(&c->coreinfo);
			c->coreinfo = ci;
		}
		break;
	}
	case CLUSTER_DEPENDS:
	case CLUSTER_TINYDNS: {
		rr_list_t list;
		rr_list_t *dst = source == CLUSTER_DEPENDS ? &c->depends : &c->tinydns;
		ret = source == CLUSTER_DEPENDS ? lainlet_depends(&c->ctx, doc, len, &list) :
		                                  lainlet_tinydns(&c->ctx, doc, len, &list);
		if (ret == KNOT_EOK) {
			rr_list_clear(dst);
			*dst = list;
		}
		break;
	}
	case CLUSTER_DOMAIN:
		ret = apply_string(c, source, doc, len, c->domain, sizeof(c->domain));
		break;
	case CLUSTER_DNS_IP:
		ret = apply_string(c, source, doc, len, c->dns_ip, sizeof(c->dns_ip));
		break;
	default:
		return KNOT_EINVAL;
	}
	if (ret == KNOT_EOK) {
		c->have[source] = true;
		c->digest[source] = h;
	}
	return ret;
}

bool cluster_synced(const cluster_t *c)
{
	for (int i = 0; i < CLUSTER_SOURCES; i++) {
		if (!c->have[i]) {
			return false;
		}
	}
	return true;
}

/*! \brief True when the list has a record of the type at the owner, for everyone. */
static bool list_has(const rr_list_t *list, const knot_dname_t *owner, uint16_t type)
{
	static const rr_view_t all;
	for (size_t i = 0; i < list->count; i++) {
		const rr_t *rr = &list->rrs[i];
		if (rr->type == type && memcmp(&rr->view, &all, sizeof(all)) == 0 &&
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
	if (list_has(&c->tinydns, owner, type)) {
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

/*! \brief <app>.lain A: every web router address, for every app but webrouter. */
static int add_apps(const cluster_t *c, rr_list_t *out)
{
	static const uint8_t webrouter[] = "\x09webrouter\x04lain";
	static const rr_view_t all;
	const rr_list_t *apps = &c->coreinfo.apps;
	const rr_list_t *lines = &c->tinydns;
	for (size_t i = 0; i < lines->count; i++) {
		const rr_t *router = &lines->rrs[i];
		if (router->type != KNOT_RRTYPE_A || router->rdlen != 4 ||
		    memcmp(&router->view, &all, sizeof(all)) != 0 ||
		    !knot_dname_is_equal(rr_owner(lines, router), webrouter)) {
			continue;
		}
		for (size_t j = 0; j < apps->count; j++) {
			const rr_t *app = &apps->rrs[j];
			const knot_dname_t *owner = rr_owner(apps, app);
			if (knot_dname_is_equal(owner, webrouter)) {
				continue;
			}
			rr_t *rr = rr_list_add(out, owner, KNOT_RRTYPE_A, c->ctx.ttl,
			                       rr_rdata(lines, router), 4);
			if (rr == NULL) {
				return KNOT_ENOMEM;
			}
			rr->kind = RR_KIND_APP;
		}
	}
	return KNOT_EOK;
}

int cluster_records(const cluster_t *c, rr_list_t *out)
{
	int ret = rr_list_append(out, &c->tinydns);
	if (ret == KNOT_EOK) {
		ret = add_defaults(c, out);
	}
	if (ret == KNOT_EOK) {
		ret = rr_list_append(out, &c->coreinfo.records);
	}
	if (ret == KNOT_EOK) {
		ret = add_apps(c, out);
	}
	if (ret == KNOT_EOK) {
		ret = rr_list_append(out, &c->depends);
	}
	return ret;
}

table_t *cluster_build(const cluster_t *c, uint32_t serial)
{
	rr_list_t list;
	rr_list_init(&list);
	table_t *table = NULL;
	if (cluster_records(c, &list) == KNOT_EOK) {
		table = table_build(&list, serial);
	}
	rr_list_clear(&list);
	return table;
}
