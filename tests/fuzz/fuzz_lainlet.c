/*!
 * \file
 * \brief libFuzzer target: a lainlet document -> members -> records -> table -> answers.
 *
 * The framing of members (member.c) and the readers (lainlet.c): a document
 * read whole and fed in two pieces reads the same at every split point.
 * The first input byte picks the source (coreinfo, depends, tinydns_fqdns,
 * domain, dns_ip); the rest is the document. It is applied on top of the
 * sample cluster, the table is built and a few names are answered into a
 * real packet, so every reader, the table and the answer writer see it.
 */
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "fuzz.h"
#include "cluster.h"

static const char *const base[CLUSTER_SOURCES] = {
	[CLUSTER_COREINFO] = "{\"hello.web.web\": {\"PodInfos\": [{\"InstanceNo\": 1, "
	                     "\"ContainerInfos\": [{\"ContainerIp\": \"172.20.1.10\", "
	                     "\"Expose\": 80}]}]}}",
	[CLUSTER_DEPENDS] = "{}",
	[CLUSTER_TINYDNS] = "{\"tinydns_fqdns/lain\": \"[\\\".lain:10.0.0.1:a:300\\\", "
	                    "\\\"+webrouter.lain:10.0.0.2\\\", \\\"+*.lain:10.0.0.3\\\"]\"}",
	[CLUSTER_DOMAIN] = "{\"domain\": \"example.com\"}",
	[CLUSTER_DNS_IP] = "{\"dns_ip\": \"10.0.0.1\"}",
};

static const char *const names[] = {
	"web-1.hello.lain", "hello.lain", "web.hello.lain", "_web._tcp.hello.lain",
	"x.y.lain", "lain", "10.1.20.172.in-addr.arpa", "a.example.com", "redis.hello.lain",
};

static const uint16_t types[] = {
	KNOT_RRTYPE_A, KNOT_RRTYPE_ANY, KNOT_RRTYPE_SRV, KNOT_RRTYPE_PTR, KNOT_RRTYPE_NS,
	KNOT_RRTYPE_SOA, KNOT_RRTYPE_TXT,
};

static void answer_all(const table_t *table)
{
	table_client_t client = { .addr = 0x0100007f, .portal_all = true };
	answer_conf_t conf = { .negative_ttl = 5 };
	knot_pkt_t *pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		uint8_t qname[KNOT_DNAME_MAXLEN];
		knot_dname_from_str(qname, names[n], sizeof(qname));
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
			knot_pkt_clear(pkt);
			knot_pkt_put_question(pkt, qname, KNOT_CLASS_IN, types[t]);
			answer_result_t res;
			answer_write(table, pkt, qname, types[t], &client, &conf, &res);
		}
	}
	knot_pkt_free(pkt);
}

/*! \brief Reads a document fed in two pieces; KNOT_EOK and the data, or the error. */
static int read_split(lainlet_reader_t *r, const char *doc, size_t len, size_t split,
                      lainlet_data_t *out)
{
	lainlet_reader_feed(r, doc, split);
	lainlet_reader_feed(r, doc + split, len - split);
	return lainlet_reader_end(r, out);
}

/*!
 * \brief The document read whole and fed in two pieces must read the same: at
 *        every split point of a short document, at 64 of a longer one.
 */
static void check_split(const lainlet_ctx_t *ctx, cluster_source_t source, const char *doc,
                        size_t len)
{
	const char *key;
	lainlet_doc_t kind = cluster_source_doc(source, &key);
	lainlet_data_t whole, pieces;
	int ret = lainlet_read(ctx, kind, key, doc, len, &whole);
	lainlet_reader_t *r = lainlet_reader_new(ctx, kind, key, len + 1);
	size_t step = len <= 512 ? 1 : len / 64;
	for (size_t split = 0; split <= len; split += step) {
		CHECK(read_split(r, doc, len, split, &pieces) == ret);
		if (ret == KNOT_EOK) {
			CHECK(lainlet_data_equal(&whole, &pieces));
			lainlet_data_clear(&pieces);
		}
		lainlet_reader_reset(r);
	}
	if (ret == KNOT_EOK) {
		lainlet_data_clear(&whole);
	}
	lainlet_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1) {
		return 0;
	}
	lainlet_ctx_t ctx = { .ttl = 60, .log = NULL, .log_max = 5 };
	check_split(&ctx, data[0] % CLUSTER_SOURCES, (const char *)data + 1, size - 1);
	cluster_guard_t guard = { .percent = 0 };
	cluster_t c;
	cluster_init(&c, &ctx, &guard);
	for (int s = 0; s < CLUSTER_SOURCES; s++) {
		cluster_apply(&c, s, base[s], strlen(base[s]), 0);
	}
	cluster_source_t source = data[0] % CLUSTER_SOURCES;
	cluster_apply(&c, source, (const char *)data + 1, size - 1, 1);
	table_t *table;
	cluster_build(&c, 1, &table);
	if (table != NULL) {
		answer_all(table);
		table_free(table);
	}
	cluster_clear(&c);
	return 0;
}
