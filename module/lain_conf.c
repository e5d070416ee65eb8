/*!
 * \file
 * \brief mod-lain's configuration items and their checks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "lain_conf.h"
#include "watch.h"

static const knot_lookup_t portal_fallbacks[] = {
	{ PORTAL_FALLBACK_ALL,  "all" },
	{ PORTAL_FALLBACK_NONE, "none" },
	{ 0, NULL }
};


/*! \brief Zones answered SERVFAIL before the first sync when none is configured. */
static const char *const default_managed[] = { "lain.", "20.172.in-addr.arpa." };

/*! \brief Checks that a lainlet URL is http:// or https://. */
static int check_url(knotd_conf_check_args_t *args)
{
	const char *url = (const char *)args->data;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		args->err_str = "lainlet must be an http:// or https:// URL";
		return KNOT_EINVAL;
	}
	return KNOT_EOK;
}

const yp_item_t lain_conf[] = {
	{ MOD_LAINLET,      YP_TSTR,   YP_VNONE, YP_FMULTI, { check_url } },
	{ MOD_TTL,          YP_TINT,   YP_VINT = { 0, 604800, 60, YP_STIME } },
	{ MOD_NEGATIVE_TTL, YP_TINT,   YP_VINT = { 0, 86400, 5, YP_STIME } },
	{ MOD_HEARTBEAT,    YP_TINT,   YP_VINT = { 1, 300, 5, YP_STIME } },
	{ MOD_MAX_DOCUMENT, YP_TINT,   YP_VINT = { 1024, 1LL << 32, 256LL << 20, YP_SSIZE } },
	{ MOD_CA_FILE,      YP_TSTR,   YP_VNONE },
	{ MOD_BACKOFF_MAX,  YP_TINT,   YP_VINT = { 1, 3600, 10, YP_STIME } },
	{ MOD_MANAGED_ZONE, YP_TDNAME, YP_VNONE, YP_FMULTI },
	{ MOD_PORTAL_FALLBACK, YP_TOPT, YP_VOPT = { portal_fallbacks, PORTAL_FALLBACK_ALL } },
	{ MOD_FORWARDER,    YP_TNET,   YP_VNONE, YP_FMULTI },
	{ MOD_SNAPSHOT,     YP_TSTR,   YP_VNONE },
	{ MOD_DROP_GUARD,   YP_TINT,   YP_VINT = { 0, 100, 50 } },
	{ MOD_DROP_HOLD,    YP_TINT,   YP_VINT = { 0, 86400, 60, YP_STIME } },
	{ MOD_FAILBACK,     YP_TINT,   YP_VINT = { 1, 86400, 60, YP_STIME } },
	{ MOD_DATA_FILE,    YP_TSTR,   YP_VNONE },
	{ MOD_STATUS_NAME,  YP_TDNAME, YP_VNONE },
	{ MOD_STATUS_ACL,   YP_TNET,   YP_VNONE, YP_FMULTI },
	{ NULL }
};

void zones_free(knot_dname_t **zones, size_t count)
{
	for (size_t i = 0; zones != NULL && i < count; i++) {
		knot_dname_free(zones[i], NULL);
	}
	free(zones);
}

knot_dname_t **managed_zones(const knotd_conf_t *conf, size_t *count)
{
	size_t n = conf->count > 0 ? conf->count : sizeof(default_managed) / sizeof(char *);
	knot_dname_t **zones = calloc(n, sizeof(*zones));
	for (size_t i = 0; zones != NULL && i < n; i++) {
		zones[i] = conf->count > 0 ? knot_dname_copy(conf->multi[i].dname, NULL) :
		           knot_dname_from_str_alloc(default_managed[i]);
		if (zones[i] == NULL) {
			zones_free(zones, i);
			return NULL;
		}
		knot_dname_to_lower(zones[i]);
	}
	*count = n;
	return zones;
}

/*!
 * \brief The zone that holds a URL's host when the host is a name, not an address.
 *
 * Such a name can only be resolved once this module answers it: with knotd as
 * the host's resolver, lainlet is never reached (a bootstrap loop).
 */
static const knot_dname_t *host_zone(const char *host, knot_dname_t *const *zones,
                                     size_t count)
{
	uint8_t name[KNOT_DNAME_MAXLEN];
	struct in_addr addr;
	if (host[0] == '[' || inet_pton(AF_INET, host, &addr) == 1 ||
	    knot_dname_from_str(name, host, sizeof(name)) == NULL) {
		return NULL;
	}
	knot_dname_to_lower(name);
	for (size_t i = 0; i < count; i++) {
		if (knot_dname_in_bailiwick(name, zones[i]) >= 0) {
			return zones[i];
		}
	}
	return NULL;
}

void urls_warn(const knotd_conf_t *urls, knot_dname_t *const *zones, size_t count,
               const lain_log_t *log)
{
	for (size_t i = 0; i < urls->count; i++) {
		const char *url = urls->multi[i].string;
		char shown[256], zone_txt[KNOT_DNAME_TXT_MAXLEN], host[KNOT_DNAME_TXT_MAXLEN + 1];
		watch_url_redact(url, shown, sizeof(shown));
		if (watch_url_host(url, host, sizeof(host)) != KNOT_EOK) {
			lain_log(log, LOG_WARNING, "lainlet %s: libcurl cannot read this URL "
			         "(write a '@', ':' or '/' in the user or password as %%40, %%3A, "
			         "%%2F)", shown);
			continue;
		}
		const knot_dname_t *zone = host_zone(host, zones, count);
		if (zone != NULL && knot_dname_to_str(zone_txt, zone, sizeof(zone_txt)) != NULL) {
			lain_log(log, LOG_WARNING, "lainlet %s: its host is a name in the zone %s "
			         "this module serves, resolvable only once the module has data (a "
			         "loop when knotd is the host's resolver); give lainlet's address",
			         shown, zone_txt);
		}
	}
}

/*! \brief knotc conf-check's warnings go to its standard error. */
static void log_stderr(void *arg, int priority, const char *line)
{
	fprintf(stderr, "warning: mod-lain: %s\n", line);
}

/*!
 * \brief knotc conf-check: warns of lainlet URLs libcurl cannot read or whose host
 *        lies in a managed zone (see urls_warn).
 *
 * Knot's check callbacks can only fail (err_str); a warning goes to stderr, in
 * knotc only: knotd logs it when the module loads (lain_watch_start).
 */
static void conf_check_urls(knotd_conf_check_args_t *args)
{
	if (strcmp(program_invocation_short_name, "knotc") != 0) {
		return;
	}
	knotd_conf_t urls = knotd_conf_check_item(args, MOD_LAINLET);
	knotd_conf_t conf = knotd_conf_check_item(args, MOD_MANAGED_ZONE);
	size_t count = 0;
	knot_dname_t **zones = managed_zones(&conf, &count);
	if (zones != NULL) {
		urls_warn(&urls, zones, count, &(lain_log_t){ .write = log_stderr });
	}
	zones_free(zones, count);
	knotd_conf_free(&conf);
	knotd_conf_free(&urls);
}

/*! \brief True when an address range of an ACL item runs backwards (a.b.c.9-a.b.c.1). */
static bool range_reversed(const knotd_conf_val_t *val)
{
	if (val->addr_max.ss_family != val->addr.ss_family) {
		return false; // a single address or a prefix
	}
	if (val->addr.ss_family == AF_INET) {
		const struct sockaddr_in *lo = (const struct sockaddr_in *)&val->addr;
		const struct sockaddr_in *hi = (const struct sockaddr_in *)&val->addr_max;
		return ntohl(lo->sin_addr.s_addr) > ntohl(hi->sin_addr.s_addr);
	}
	return val->addr.ss_family == AF_INET6 &&
	       memcmp(&((const struct sockaddr_in6 *)&val->addr)->sin6_addr,
	              &((const struct sockaddr_in6 *)&val->addr_max)->sin6_addr, 16) > 0;
}

/*! \brief Refuses an address-range item with a range that matches nothing. */
static int conf_check_ranges(knotd_conf_check_args_t *args, const yp_name_t *item,
                             const char *err)
{
	knotd_conf_t conf = knotd_conf_check_item(args, item);
	int ret = KNOT_EOK;
	for (size_t i = 0; i < conf.count && ret == KNOT_EOK; i++) {
		if (range_reversed(&conf.multi[i])) {
			args->err_str = err;
			ret = KNOT_EINVAL;
		}
	}
	knotd_conf_free(&conf);
	return ret;
}

/*! \brief A file item: what its check refuses besides a non-regular file. */
typedef struct {
	const yp_name_t *item;   /*!< The item. */
	bool missing;            /*!< A missing file is refused (else read when it appears). */
	bool unreadable;         /*!< A file knotc cannot open is refused. */
	const char *not_regular; /*!< The message for a FIFO, a directory, a device. */
	const char *cannot_read; /*!< The message for a file that cannot be opened. */
} file_item_t;

static const file_item_t file_items[] = {
	{ MOD_DATA_FILE, false, true, "data-file is not a regular file",
	  "data-file cannot be read" },
	{ MOD_CA_FILE, true, true, "ca-file is not a regular file", "ca-file cannot be read" },
	// (not the snapshot: the module's own output, ignored and not written while it is
	// no regular file, and a check here would make knotc -c fail meanwhile)
};

/*!
 * \brief Refuses file items the module could not use: a FIFO would block its reader,
 *        a directory or a device is no data.
 */
static int conf_check_files(knotd_conf_check_args_t *args)
{
	for (size_t i = 0; i < sizeof(file_items) / sizeof(file_items[0]); i++) {
		const file_item_t *f = &file_items[i];
		knotd_conf_t file = knotd_conf_check_item(args, f->item);
		int ret = file.count > 0 ? file_check(file.single.string) : KNOT_EOK;
		if (ret == FILE_ENOTREG) {
			args->err_str = f->not_regular;
			return ret;
		}
		if ((ret == KNOT_ENOENT && f->missing) ||
		    (ret != KNOT_EOK && ret != KNOT_ENOENT && f->unreadable)) {
			args->err_str = f->cannot_read;
			return ret;
		}
	}
	return KNOT_EOK;
}

int lain_conf_check(knotd_conf_check_args_t *args)
{
	knotd_conf_t urls = knotd_conf_check_item(args, MOD_LAINLET);
	knotd_conf_t file = knotd_conf_check_item(args, MOD_DATA_FILE);
	size_t count = urls.count + file.count;
	knotd_conf_free(&urls);
	if (count == 0) {
		args->err_str = "no lainlet URL and no data-file specified";
		return KNOT_EINVAL;
	}
	int ret = conf_check_files(args);
	if (ret == KNOT_EOK) {
		ret = conf_check_ranges(args, MOD_STATUS_ACL,
		                        "status-acl holds a range whose first address is above "
		                        "its last");
	}
	if (ret == KNOT_EOK) {
		ret = conf_check_ranges(args, MOD_FORWARDER,
		                        "forwarder holds a range whose first address is above "
		                        "its last");
	}
	if (ret == KNOT_EOK) {
		conf_check_urls(args);
	}
	return ret;
}
