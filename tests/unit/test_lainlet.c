/*!
 * \file
 * \brief lainlet documents -> records, and the cluster's combined records.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "tap.h"
#include "tinydata.h"

/*! \brief Collects log lines. */
typedef struct {
	char text[8192];
	unsigned lines;
} log_buf_t;

static void log_collect(void *arg, int priority, const char *line)
{
	log_buf_t *b = arg;
	size_t len = strlen(b->text);
	snprintf(b->text + len, sizeof(b->text) - len, "%s\n", line);
	b->lines++;
}

static char *read_file(const char *dir, const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	*len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc(*len + 1);
	if (fread(buf, 1, *len, f) != *len) {
		*len = 0;
	}
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/*! \brief Counts records of a type at a presentation-format owner, with this rdata. */
static int count_rr(const rr_list_t *list, const char *owner, uint16_t type,
                    const void *rdata, size_t rdlen)
{
	uint8_t name[KNOT_DNAME_MAXLEN];
	knot_dname_from_str(name, owner, sizeof(name));
	knot_dname_to_lower(name);
	int n = 0;
	for (size_t i = 0; i < list->count; i++) {
		const rr_t *rr = &list->rrs[i];
		if (rr->type == type && knot_dname_is_equal(rr_owner(list, rr), name) &&
		    (rdata == NULL || (rr->rdlen == rdlen &&
		                       memcmp(rr_rdata(list, rr), rdata, rdlen) == 0))) {
			n++;
		}
	}
	return n;
}

static const char *fixtures;

/*! \brief Reads a whole document and lists the records its data makes. */
static int read_records(const lainlet_ctx_t *ctx, lainlet_doc_t doc, const char *text,
                        size_t len, rr_list_t *list)
{
	lainlet_data_t data;
	rr_list_init(list);
	int ret = lainlet_read(ctx, doc, NULL, text, len, &data);
	if (ret == KNOT_EOK) {
		rr_list_sink_t sink = rr_list_sink(list);
		ret = lainlet_data_emit(&data, &sink.sink);
		lainlet_data_clear(&data);
	}
	return ret;
}

/*! \brief Reads a document fed in pieces of the given size. */
static int read_pieces(lainlet_reader_t *r, const char *text, size_t len, size_t piece,
                       rr_list_t *list)
{
	for (size_t pos = 0; pos < len; pos += piece) {
		lainlet_reader_feed(r, text + pos, len - pos < piece ? len - pos : piece);
	}
	lainlet_data_t data;
	rr_list_init(list);
	int ret = lainlet_reader_end(r, &data);
	if (ret == KNOT_EOK) {
		rr_list_sink_t sink = rr_list_sink(list);
		ret = lainlet_data_emit(&data, &sink.sink);
		lainlet_data_clear(&data);
	}
	return ret;
}

/*! \brief True when two lists hold the same records in the same order. */
static bool same_records(const rr_list_t *a, const rr_list_t *b)
{
	if (a->count != b->count || a->len != b->len || memcmp(a->data, b->data, a->len) != 0) {
		return false;
	}
	for (size_t i = 0; i < a->count; i++) {
		if (a->rrs[i].type != b->rrs[i].type || a->rrs[i].rdlen != b->rrs[i].rdlen ||
		    a->rrs[i].view.node != b->rrs[i].view.node) {
			return false;
		}
	}
	return true;
}

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

static void test_bad_items(void)
{
	log_buf_t log = { .lines = 0 };
	lain_log_t sink = { log_collect, &log };
	lainlet_ctx_t ctx = { .ttl = 30, .log = &sink, .log_max = 3 };
	static const char doc[] =
		"{\"a.web.web\": {\"PodInfos\": [{\"InstanceNo\": 1, \"ContainerInfos\": "
		"[{\"ContainerIp\": \"10.0.0.1\"}]}]},"
		"\"b.web.web\": {\"PodInfos\": [{\"InstanceNo\": 1, \"ContainerInfos\": "
		"[{\"ContainerIp\": \"10.0.0.300\"}]}]},"
		"\"c.web.web\": {\"PodInfos\": [{\"InstanceNo\": \"1\"}]},"
		"\"bad_name!.web.web\": {\"PodInfos\": []},"
		"\"nodots\": {\"PodInfos\": []},"
		"\"e.web.web\": 5,"
		"\"" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		".web.web\": {\"PodInfos\": []}}";
	rr_list_t ci;
	ok(read_records(&ctx, LAINLET_COREINFO, doc, sizeof(doc) - 1, &ci) == KNOT_EOK,
	   "a document with bad items reads");
	ok(count_rr(&ci, "web-1.a.lain", KNOT_RRTYPE_A, NULL, 0) == 1,
	   "the good item is served");
	ok(count_rr(&ci, "web-1.b.lain", KNOT_RRTYPE_A, NULL, 0) == 0,
	   "bad IP skipped");
	ok(log.lines == 4, "three bad items logged one by one, then a summary (%u lines)",
	   log.lines);
	ok(strstr(log.text, "bad ContainerIp '10.0.0.300'") != NULL, "the bad IP is named");
	ok(strstr(log.text, "more bad items skipped") != NULL, "summary line");
	rr_list_clear(&ci);

	static const char *const not_docs[] = { "", "[]", "null", "\"x\"", "{", "{}}" };
	for (size_t i = 0; i < sizeof(not_docs) / sizeof(not_docs[0]); i++) {
		log.text[0] = '\0';
		ok(read_records(&ctx, LAINLET_COREINFO, not_docs[i], strlen(not_docs[i]),
		                &ci) == KNOT_EMALF &&
		   strstr(log.text, "coreinfo: document refused (") != NULL,
		   "'%s' is refused, and the log says why", not_docs[i]);
		rr_list_clear(&ci);
	}

	static const char deps[] =
		"{\"p\": {\"node1\": {\"hello\": {\"Annotation\": \"not json\", "
		"\"Containers\": [{\"IP\": \"1.1.1.1\", \"NodeIP\": \"2.2.2.2\"}]}, "
		"\"ok\": {\"Annotation\": \"{\\\"service_name\\\": \\\"redis\\\"}\", "
		"\"Containers\": [{\"IP\": \"1.1.1.2\", \"NodeIP\": \"2.2.2.2\"}]}}}}";
	rr_list_t list;
	log.text[0] = '\0';
	ok(read_records(&ctx, LAINLET_DEPENDS, deps, sizeof(deps) - 1, &list) == KNOT_EOK,
	   "depends reads");
	ok(list.count == 2 && count_rr(&list, "redis.ok.lain", KNOT_RRTYPE_A, NULL, 0) == 1,
	   "bad annotation skipped, good portal kept");
	ok(list.count == 2 && list.rrs[0].view.node == htonl(0x02020202),
	   "portal is for its node");
	ok(count_rr(&list, "2.1.1.1.in-addr.arpa", KNOT_RRTYPE_PTR,
	            "\x05redis\x02ok\x04lain", 15) == 1 && list.rrs[1].view.node == 0,
	   "PTR of the portal address, for everyone");
	ok(strstr(log.text, "Annotation is not JSON") != NULL,
	   "bad annotation logged with its reason");
	rr_list_clear(&list);
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

/*! \brief Reads a document with a log, returning its code and records. */
static int read_logged(lainlet_doc_t doc, const char *key, const char *text, size_t len,
                       size_t max_document, log_buf_t *log, lainlet_data_t *data)
{
	static lain_log_t sink;
	static lainlet_ctx_t ctx;
	sink = (lain_log_t){ log_collect, log };
	ctx = (lainlet_ctx_t){ .ttl = 30, .log = &sink, .log_max = 10 };
	memset(log, 0, sizeof(*log));
	memset(data, 0, sizeof(*data));
	lainlet_reader_t *r = lainlet_reader_new(&ctx, doc, key, max_document);
	lainlet_reader_feed(r, text, len);
	int ret = lainlet_reader_end(r, data);
	lainlet_reader_log(r);
	lainlet_reader_free(r);
	return ret;
}

/*! \brief What is too big for what it feeds, or read twice, is refused early. */
static void test_limits(void)
{
	log_buf_t log;
	lainlet_data_t data;
	// A line longer than any record's is skipped unbuffered; the others are read.
	size_t big = TINYDATA_LINE_MAX * 6 + 100;
	char *doc = malloc(big + 200);
	int n = sprintf(doc, "{\"k\": \"[\\\"+a.lain:10.0.0.1\\\", \\\"'t.lain:");
	memset(doc + n, 'x', big);
	sprintf(doc + n + big, "\\\", \\\"+b.lain:10.0.0.2\\\"]\"}");
	int ret = read_logged(LAINLET_TINYDNS, NULL, doc, strlen(doc), strlen(doc) + 1, &log,
	                      &data);
	ok(ret == KNOT_EOK && data.count == 2 && strstr(log.text, "k line 2 (longer than"),
	   "tinydns_fqdns: a line of %zu bytes skipped with a log line, the others read", big);
	lainlet_data_clear(&data);
	free(doc);

	// A line that fits, but whose TXT rdata would not.
	doc = malloc(70000);
	n = sprintf(doc, "{\"k\": \"[\\\"'t.lain:");
	memset(doc + n, 'x', 65100);
	sprintf(doc + n + 65100, "\\\"]\"}");
	ret = read_logged(LAINLET_TINYDNS, NULL, doc, strlen(doc), 1 << 20, &log, &data);
	ok(ret == KNOT_EOK && data.count == 0 &&
	   strstr(log.text, "k line 1 (rdata longer than 65535 bytes)"),
	   "tinydns_fqdns: TXT rdata over 65535 bytes skipped");
	lainlet_data_clear(&data);
	free(doc);

	// A key whose value turns out no JSON array: its lines are taken back.
	static const char bad_key[] = "{\"good\": \"[\\\"+g.lain:10.0.0.1\\\"]\", "
	                              "\"bad\": \"[\\\"+b.lain:10.0.0.2\\\", tru]\", "
	                              "\"num\": 5}";
	ret = read_logged(LAINLET_TINYDNS, NULL, bad_key, sizeof(bad_key) - 1, 1 << 20, &log,
	                  &data);
	ok(ret == KNOT_EOK && data.count == 1 && data.records.count == 1 &&
	   strstr(log.text, "key bad (not a JSON array of lines)") &&
	   strstr(log.text, "key num (not a JSON array of lines)") && log.lines == 2,
	   "tinydns_fqdns: a key that is no array of lines gives nothing, the others read");
	lainlet_data_clear(&data);

	// A big member is read by jansson as the framer gives it back (item_feed).
	doc = malloc(3 << 20);
	n = sprintf(doc, "{\"a.web.web\": {\"PodInfos\": [{\"InstanceNo\": 1, "
	            "\"ContainerInfos\": [{\"ContainerIp\": \"10.0.0.1\", \"Note\": \"");
	memset(doc + n, 'x', 2 << 20);
	sprintf(doc + n + (2 << 20), "\"}]}]}, \"b.web.web\": {\"PodInfos\": []}}");
	ret = read_logged(LAINLET_COREINFO, NULL, doc, strlen(doc), 4 << 20, &log, &data);
	ok(ret == KNOT_EOK && data.procs.count == 2 && data.procs.instance_count == 1 &&
	   data.procs.instances[0].ip[3] == 1, "a member of 2 MB reads");
	lainlet_data_clear(&data);
	doc[n + (2 << 20) + 1] = ','; // "Note": "xx...x",]: for jansson to find
	ret = read_logged(LAINLET_COREINFO, NULL, doc, strlen(doc), 4 << 20, &log, &data);
	ok(ret == KNOT_EMALF && strstr(log.text, "document refused (byte 2097") &&
	   strstr(log.text, "expected a key") == NULL,
	   "and one that is no JSON inside is refused by jansson at the right byte");
	free(doc);

	// A member over max-document is refused while it is read.
	static const char over[] = "{\"a.web.web\": {\"PodInfos\": []}, \"b.web.web\": "
	                           "{\"PodInfos\": [{\"InstanceNo\": 1, \"ContainerInfos\": []}]}}";
	ret = read_logged(LAINLET_COREINFO, NULL, over, sizeof(over) - 1, 60, &log, &data);
	ok(ret == KNOT_ESPACE && strstr(log.text, "coreinfo: document refused (byte 32: "
	                                "a member of over 60 bytes)"),
	   "a member over max-document refuses the document, logged");

	// Duplicate keys inside a member (jansson's JSON_REJECT_DUPLICATES).
	static const char dup[] = "{\"a.web.web\": {\"PodInfos\": [], \"PodInfos\": []}}";
	ret = read_logged(LAINLET_COREINFO, NULL, dup, sizeof(dup) - 1, 1 << 20, &log, &data);
	ok(ret == KNOT_EMALF && strstr(log.text, "coreinfo: document refused (byte ") &&
	   strstr(log.text, "duplicate"), "a duplicate key in a member refuses the document");

	// A config key given twice, or with a value too long (refused unbuffered).
	static const char twice[] = "{\"domain\": \"a.com\", \"domain\": \"b.com\"}";
	ret = read_logged(LAINLET_CONFIG, "domain", twice, sizeof(twice) - 1, 1 << 20, &log,
	                  &data);
	ok(ret == KNOT_EMALF && strstr(log.text, "domain: document refused ('domain' twice)"),
	   "config: the key twice is refused");
	doc = malloc(5000);
	n = sprintf(doc, "{\"other\": \"");
	memset(doc + n, 'x', 2000);
	n += 2000;
	n += sprintf(doc + n, "\", \"domain\": \"");
	memset(doc + n, 'y', 2000);
	sprintf(doc + n + 2000, "\"}");
	ret = read_logged(LAINLET_CONFIG, "domain", doc, strlen(doc), 1 << 20, &log, &data);
	ok(ret == KNOT_ESPACE && strstr(log.text, "no string 'domain' key that fits"),
	   "config: a value too long is refused");
	free(doc);
}

/*! \brief Every fixture document fed in pieces reads as it does whole. */
static void test_pieces(void)
{
	lain_log_t sink = { NULL, NULL };
	lainlet_ctx_t ctx = { .ttl = 30, .log = &sink, .log_max = 3 };
	static const struct {
		const char *file;
		lainlet_doc_t doc;
	} docs[] = {
		{ "coreinfo.json", LAINLET_COREINFO },
		{ "depends.json", LAINLET_DEPENDS },
		{ "config-tinydns_fqdns.json", LAINLET_TINYDNS },
	};
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		size_t len;
		char *text = read_file(fixtures, docs[i].file, &len);
		rr_list_t whole, split;
		int ret = text != NULL ? read_records(&ctx, docs[i].doc, text, len, &whole) :
		          KNOT_ENOENT;
		ok(ret == KNOT_EOK && whole.count > 0, "%s reads whole: %zu records", docs[i].file,
		   text != NULL ? whole.count : 0);
		lainlet_reader_t *r = lainlet_reader_new(&ctx, docs[i].doc, NULL, 1 << 20);
		bool same = true;
		for (size_t piece = 1; text != NULL && piece <= 64 && same; piece++) {
			same = read_pieces(r, text, len, piece, &split) == KNOT_EOK &&
			       same_records(&whole, &split);
			rr_list_clear(&split);
		}
		ok(same, "%s fed in pieces of 1-64 bytes reads the same", docs[i].file);
		lainlet_reader_feed(r, "{\"x\": [}", 8);
		ok(lainlet_reader_end(r, &(lainlet_data_t){ 0 }) == KNOT_EMALF,
		   "%s: a broken document is refused", docs[i].file);
		ok(text != NULL && read_pieces(r, text, len, 4096, &split) == KNOT_EOK &&
		   same_records(&whole, &split), "%s: and the reader reads the next one",
		   docs[i].file);
		rr_list_clear(&split);
		lainlet_reader_free(r);
		rr_list_clear(&whole);
		free(text);
	}
}

int main(int argc, char **argv)
{
	fixtures = getenv("MOD_LAIN_FIXTURES");
	if (fixtures == NULL) {
		fixtures = argc > 1 ? argv[1] : "tests/fixtures";
	}
	test_fixture_cluster();
	test_pieces();
	test_bad_items();
	test_bad_items_once();
	test_guard();
	test_guard_baseline();
	test_limits();
	return done_testing();
}
