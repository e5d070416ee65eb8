/*!
 * \file
 * \brief The cluster: every stream's latest document, the records they make together,
 *        the mass-drop guard and its baselines.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "records_test.h"
#include "tap.h"

static const char *fixtures;

static int apply(cluster_t *c, cluster_source_t src, const char *file)
{
	size_t len;
	char *doc = read_file(fixtures, file, &len);
	if (doc == NULL) {
		return KNOT_ENOENT;
	}
	int ret = cluster_apply(c, src, doc, len, 0);
	free(doc);
	return ret;
}

static void test_fixture_cluster(void)
{
	log_buf_t log = { .lines = 0 };
	lain_log_t sink = { log_collect, &log };
	lainlet_ctx_t ctx = { .ttl = 60, .log = &sink, .log_max = 10 };
	cluster_t c;
	cluster_guard_t guard = { .percent = 50, .min_records = 10, .hold_ms = 1000 };
	cluster_init(&c, &ctx, &guard);

	ok(apply(&c, CLUSTER_COREINFO, "coreinfo.json") == KNOT_EOK, "coreinfo reads");
	ok(!cluster_synced(&c), "not synced with one source");
	ok(apply(&c, CLUSTER_DEPENDS, "depends.json") == KNOT_EOK, "depends reads");
	ok(apply(&c, CLUSTER_TINYDNS, "config-tinydns_fqdns.json") == KNOT_EOK,
	   "tinydns_fqdns reads");
	ok(apply(&c, CLUSTER_DOMAIN, "config-domain.json") == KNOT_EOK, "domain reads");
	ok(apply(&c, CLUSTER_DNS_IP, "config-dns_ip.json") == KNOT_EOK, "dns_ip reads");
	ok(cluster_synced(&c), "synced with every source");
	ok(strcmp(c.domain, "example.com") == 0, "domain is example.com (domains/ key ignored)");
	ok(apply(&c, CLUSTER_COREINFO, "coreinfo.json") == KNOT_EEXIST,
	   "identical document changes nothing");
	ok(apply(&c, CLUSTER_DOMAIN, "config-domain.json") == KNOT_EEXIST &&
	   apply(&c, CLUSTER_DNS_IP, "config-dns_ip.json") == KNOT_EEXIST,
	   "identical config documents change nothing (regression: held[] overrun)");

	rr_list_t all;
	rr_list_init(&all);
	ok(cluster_records(&c, &all) == KNOT_EOK, "records build");
	ok(count_rr(&all, "web-1.console.lain", KNOT_RRTYPE_A, "\xac\x14\x01\x04", 4) == 1,
	   "web-1.console.lain A 172.20.1.4");
	ok(count_rr(&all, "redis-2.hello.redis.resource.lain", KNOT_RRTYPE_A,
	            "\xac\x14\x03\x14", 4) == 1, "resource app in DNS order");
	ok(count_rr(&all, "api-2.billing.lain", KNOT_RRTYPE_A, NULL, 0) == 0,
	   "no record for a container without IP");
	ok(count_rr(&all, "api-0.billing.lain", KNOT_RRTYPE_A, NULL, 0) == 0,
	   "no record for instance 0");
	ok(count_rr(&all, "10.1.20.172.in-addr.arpa", KNOT_RRTYPE_PTR,
	            "\x05web-1\x05hello\x04lain", 18) == 1, "PTR of web-1.hello.lain");
	ok(count_rr(&all, "hello.lain", KNOT_RRTYPE_A, "\xc0\xa8\x0a\x50", 4) == 1,
	   "hello.lain A web router, once although hello has two procs");
	ok(count_rr(&all, "empty.lain", KNOT_RRTYPE_A, "\xc0\xa8\x0a\x50", 4) == 1,
	   "an app without pods gets the web router");
	ok(count_rr(&all, "webrouter.lain", KNOT_RRTYPE_A, NULL, 0) == 1,
	   "webrouter.lain only from its own line");
	ok(count_rr(&all, "redis.hello.lain", KNOT_RRTYPE_A, NULL, 0) == 2,
	   "two portals of redis.hello.lain (node1, node2)");
	ok(count_rr(&all, "web.hello.lain", KNOT_RRTYPE_A, NULL, 0) == 3,
	   "web.hello.lain: every live instance of the proc");
	ok(count_rr(&all, "_web._tcp.hello.lain", KNOT_RRTYPE_SRV,
	            "\0\0\0\0\x1f\x40\x05web-1\x05hello\x04lain", 24) == 1,
	   "SRV of web-1.hello.lain port 8000");
	ok(count_rr(&all, "_api._tcp.billing.lain", KNOT_RRTYPE_SRV, NULL, 0) == 1,
	   "SRV only for live instances (api-1, not api-2 without IP)");
	ok(count_rr(&all, "lain", KNOT_RRTYPE_SOA, NULL, 0) == 1,
	   "lain SOA from its line; the default does not double it");
	ok(count_rr(&all, "*.example.com", KNOT_RRTYPE_A, NULL, 0) == 1,
	   "one *.example.com wildcard");
	rr_list_clear(&all);

	// A document that does not parse keeps the previous data.
	ok(cluster_apply(&c, CLUSTER_COREINFO, "{\"x\": ", 6, 0) == KNOT_EMALF,
	   "cut JSON is refused");
	ok(strstr(log.text, "coreinfo: document refused") != NULL, "and logged");
	rr_list_init(&all);
	cluster_records(&c, &all);
	ok(count_rr(&all, "web-1.console.lain", KNOT_RRTYPE_A, NULL, 0) == 1,
	   "previous coreinfo still served");
	rr_list_clear(&all);
	cluster_clear(&c);
}

/*! \brief Bad items are logged when a document changes what is served, not again. */
static void test_bad_items_once(void)
{
	log_buf_t log = { .lines = 0 };
	lain_log_t sink = { log_collect, &log };
	lainlet_ctx_t ctx = { .ttl = 30, .log = &sink, .log_max = 10 };
	cluster_guard_t guard = { .percent = 0 };
	cluster_t c;
	cluster_init(&c, &ctx, &guard);
	static const char doc[] =
		"{\"a.web.web\": {\"PodInfos\": [{\"InstanceNo\": 1, \"ContainerInfos\": "
		"[{\"ContainerIp\": \"10.0.0.1\"}]}, {\"InstanceNo\": 2, \"ContainerInfos\": "
		"[{\"ContainerIp\": \"10.0.0.2\\u0000x\"}]}]}}";
	ok(cluster_apply(&c, CLUSTER_COREINFO, doc, sizeof(doc) - 1, 0) == KNOT_EOK &&
	   log.lines == 1 && strstr(log.text, "instance 2 (bad ContainerIp '10.0.0.2?x')"),
	   "a NUL in an address is a bad item, logged once");
	log.text[0] = '\0';
	log.lines = 0;
	ok(cluster_apply(&c, CLUSTER_COREINFO, doc, sizeof(doc) - 1, 1) == KNOT_EEXIST &&
	   log.lines == 0, "the same document again: nothing logged (%u lines)", log.lines);
	ok(cluster_apply(&c, CLUSTER_DOMAIN, "{\"domain\": 5}", 13, 2) == KNOT_EMALF &&
	   log.lines == 1 && strstr(log.text, "domain: document refused (no string 'domain'"),
	   "a config key that is no string: one log line (%u)", log.lines);
	cluster_clear(&c);
}

/*! \brief A coreinfo document of n instances of one proc. */
static char *instances(int n)
{
	char *doc = malloc(64 + n * 96);
	size_t len = sprintf(doc, "{\"app.web.web\": {\"PodInfos\": [");
	for (int i = 1; i <= n; i++) {
		len += sprintf(doc + len, "%s{\"InstanceNo\": %d, \"ContainerInfos\": "
		               "[{\"ContainerIp\": \"10.0.%d.%d\"}]}", i > 1 ? "," : "", i,
		               i / 256, i % 256);
	}
	strcpy(doc + len, "]}}");
	return doc;
}

static void test_guard(void)
{
	log_buf_t log = { .lines = 0 };
	lain_log_t sink = { log_collect, &log };
	lainlet_ctx_t ctx = { .ttl = 30, .log = &sink, .log_max = 3 };
	cluster_guard_t guard = { .percent = 50, .min_records = 10, .hold_ms = 1000 };
	cluster_t c;
	cluster_init(&c, &ctx, &guard);
	char *d100 = instances(100), *d40 = instances(40), *d60 = instances(60);
	char *d30 = instances(30);
	ok(cluster_apply(&c, CLUSTER_COREINFO, d100, strlen(d100), 0) == KNOT_EOK,
	   "100 instances applied");
	size_t full = cluster_source_records(&c, CLUSTER_COREINFO);
	ok(cluster_apply(&c, CLUSTER_COREINFO, d40, strlen(d40), 100) == KNOT_EBUSY,
	   "dropping 60%% of the records is held back");
	ok(strstr(log.text, "held back for 1 s") != NULL, "and logged");
	ok(cluster_source_records(&c, CLUSTER_COREINFO) == full, "the served data is unchanged");
	ok(!cluster_tick(&c, 900), "not applied before the hold time");
	ok(cluster_apply(&c, CLUSTER_COREINFO, d30, strlen(d30), 1000) == KNOT_EBUSY,
	   "a further drop keeps being held");
	ok(cluster_tick(&c, 1100), "applied once the hold time passed");
	ok(cluster_source_records(&c, CLUSTER_COREINFO) < full / 2,
	   "the held (latest) data served");
	ok(cluster_apply(&c, CLUSTER_COREINFO, d100, strlen(d100), 2000) == KNOT_EOK,
	   "growing is never held");
	ok(cluster_apply(&c, CLUSTER_COREINFO, d40, strlen(d40), 3000) == KNOT_EBUSY,
	   "held again");
	ok(cluster_apply(&c, CLUSTER_COREINFO, d60, strlen(d60), 3100) == KNOT_EOK,
	   "a 40%% drop is normal and cancels the held one");
	ok(!cluster_tick(&c, 10000), "nothing left to apply");
	free(d100);
	free(d40);
	free(d60);
	free(d30);
	cluster_clear(&c);
}

/*! \brief A tinydns_fqdns document of one key with n A lines. */
static char *tinydns_lines(int n)
{
	char *doc = malloc(64 + n * 40);
	size_t len = sprintf(doc, "{\"tinydns_fqdns/bulk\": \"[");
	for (int i = 1; i <= n; i++) {
		len += sprintf(doc + len, "%s\\\"+h%d.ops.lain:10.9.0.%d\\\"", i > 1 ? ", " : "",
		               i, i);
	}
	strcpy(doc + len, "]\"}");
	return doc;
}

/*!
 * \brief The baselines a table gives each source's guard count that source's records
 *        only: the data file's are not tinydns_fqdns'.
 */
static void test_guard_baseline(void)
{
	lain_log_t sink = { NULL, NULL };
	lainlet_ctx_t ctx = { .ttl = 30, .log = &sink, .log_max = 3 };
	cluster_guard_t guard = { .percent = 50, .min_records = 10, .hold_ms = 1000 };
	cluster_t c;
	cluster_init(&c, &ctx, &guard);
	c.want_file = true;
	char file[30 * 32] = "";
	for (int i = 1; i <= 30; i++) {
		sprintf(file + strlen(file), "+f%d.example.org:192.0.2.%d\n", i, i);
	}
	char *d12 = tinydns_lines(12), *d3 = tinydns_lines(3), *core = instances(20);
	table_t *table = NULL;
	ok(cluster_apply_file(&c, "data", file, strlen(file)) == KNOT_EOK &&
	   cluster_apply(&c, CLUSTER_TINYDNS, d12, strlen(d12), 0) == KNOT_EOK &&
	   cluster_apply(&c, CLUSTER_COREINFO, core, strlen(core), 0) == KNOT_EOK &&
	   cluster_build(&c, 1, &table) == KNOT_EOK, "30 file lines, 12 tinydns_fqdns lines, "
	   "20 instances: built");
	table_stats_t stats = table != NULL ? table_stats(table) : (table_stats_t){ 0 };
	cluster_guard_t next = guard;
	cluster_guard_baseline(&next, &stats);
	ok(next.baseline[CLUSTER_TINYDNS] == 12 &&
	   next.baseline[CLUSTER_COREINFO] == cluster_source_records(&c, CLUSTER_COREINFO) &&
	   next.baseline[CLUSTER_DEPENDS] == 0, "baselines: tinydns_fqdns %zu (its own of %zu "
	   "static records), coreinfo %zu", next.baseline[CLUSTER_TINYDNS],
	   stats.by_kind[RR_KIND_STATIC], next.baseline[CLUSTER_COREINFO]);
	cluster_t after; // the next instance (reload) or a restart from this table
	cluster_init(&after, &ctx, &next);
	ok(cluster_apply(&after, CLUSTER_TINYDNS, d12, strlen(d12), 0) == KNOT_EOK,
	   "its first tinydns_fqdns document, the same 12 lines, is not held back");
	cluster_clear(&after);
	cluster_init(&after, &ctx, &next);
	ok(cluster_apply(&after, CLUSTER_TINYDNS, d3, strlen(d3), 0) == KNOT_EBUSY,
	   "a first document of 3 lines is held back");
	cluster_clear(&after);
	table_free(table);
	free(d12);
	free(d3);
	free(core);
	cluster_clear(&c);
}

int main(int argc, char **argv)
{
	fixtures = getenv("MOD_LAIN_FIXTURES");
	if (fixtures == NULL) {
		fixtures = argc > 1 ? argv[1] : "tests/fixtures";
	}
	test_fixture_cluster();
	test_bad_items_once();
	test_guard();
	test_guard_baseline();
	return done_testing();
}
