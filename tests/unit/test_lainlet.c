/*!
 * \file
 * \brief lainlet documents -> records (the cluster's tests are in test_cluster.c).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "lainlet.h"
#include "records_test.h"
#include "tap.h"
#include "tinydata.h"

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
	test_pieces();
	test_bad_items();
	test_limits();
	return done_testing();
}
