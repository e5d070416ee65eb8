/*!
 * \file
 * \brief The status name's answer: the state (ready, stale, syncing) and the TXT
 *        strings written into real knot packets, read back from the wire.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "status.h"
#include "tap.h"

/*! \brief A response packet with the question in it, as knotd hands it to the hook. */
static knot_pkt_t *response(const char *qname, uint16_t qtype, size_t max)
{
	knot_pkt_t *pkt = knot_pkt_new(NULL, max, NULL);
	uint8_t name[KNOT_DNAME_MAXLEN];
	knot_dname_from_str(name, qname, sizeof(name));
	knot_wire_set_qr(pkt->wire);
	knot_pkt_put_question(pkt, name, KNOT_CLASS_IN, qtype);
	return pkt;
}

/*! \brief What a written answer holds, read back from the wire. */
typedef struct {
	int ret;            /*!< status_write's return. */
	bool aa;            /*!< AA flag. */
	bool tc;            /*!< TC flag. */
	uint16_t answers;   /*!< Answer records. */
	bool txt_ttl0;      /*!< Every answer is TXT, class IN, TTL 0, owned by the qname. */
	char text[4][64];   /*!< The first four TXT strings. */
} written_t;

/*! \brief Writes the status for qname/qtype and parses the packet back. */
static written_t write_status(const char *qname, uint16_t qtype, const status_t *st,
                              size_t max)
{
	written_t w = { 0 };
	knot_pkt_t *pkt = response(qname, qtype, max);
	uint8_t lower[KNOT_DNAME_MAXLEN];
	knot_dname_from_str(lower, qname, sizeof(lower));
	knot_dname_to_lower(lower);
	w.ret = status_write(pkt, lower, qtype, st);
	w.aa = knot_wire_get_aa(pkt->wire);
	w.tc = knot_wire_get_tc(pkt->wire);

	knot_pkt_t *back = knot_pkt_new(pkt->wire, pkt->size, NULL);
	if (knot_pkt_parse(back, 0) != KNOT_EOK) {
		w.ret = KNOT_EMALF;
	}
	const knot_pktsection_t *ans = knot_pkt_section(back, KNOT_ANSWER);
	w.txt_ttl0 = ans->count > 0;
	for (uint16_t i = 0; i < ans->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(ans, i);
		w.txt_ttl0 = w.txt_ttl0 && rr->type == KNOT_RRTYPE_TXT &&
		             rr->rclass == KNOT_CLASS_IN && rr->ttl == 0 &&
		             knot_dname_is_equal(rr->owner, lower);
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t j = 0; j < rr->rrs.count; j++, w.answers++) {
			// one character-string per record
			size_t len = rd->len > 0 ? rd->data[0] : 0;
			w.txt_ttl0 = w.txt_ttl0 && rd->len == len + 1;
			if (w.answers < 4) {
				snprintf(w.text[w.answers], sizeof(w.text[0]), "%.*s", (int)len,
				         rd->data + 1);
			}
			rd = knot_rdataset_next(rd);
		}
	}
	knot_pkt_free(back);
	knot_pkt_free(pkt);
	return w;
}

static void test_state(void)
{
	status_t st = { .has_table = false, .sync_age = 0, .stale_after = 30 };
	ok(strcmp(status_state(&st), "syncing") == 0, "no table: syncing");
	st.sync_age = 1000;
	ok(strcmp(status_state(&st), "syncing") == 0, "no table, old sync: still syncing");
	st.has_table = true;
	st.sync_age = 0;
	ok(strcmp(status_state(&st), "ready") == 0, "a table, just synced: ready");
	st.sync_age = 30;
	ok(strcmp(status_state(&st), "ready") == 0, "sync age at the limit: ready");
	st.sync_age = 31;
	ok(strcmp(status_state(&st), "stale") == 0, "sync age past the limit: stale");
	st.sync_age = UINT64_MAX;
	ok(strcmp(status_state(&st), "stale") == 0, "sync age at its largest: stale");
	st.stale_after = UINT64_MAX;
	ok(strcmp(status_state(&st), "ready") == 0, "never stale when the limit is the largest");
}

static void test_answer(void)
{
	status_t st = { .has_table = true, .sync_age = 3, .stale_after = 30, .records = 1234,
	                .serial = 2026120801 };
	written_t w = write_status("status.mod-lain", KNOT_RRTYPE_TXT, &st,
	                           KNOT_WIRE_MAX_PKTSIZE);
	ok(w.ret == KNOT_EOK && w.aa && !w.tc, "TXT: written, AA set");
	ok(w.answers == 4 && w.txt_ttl0, "four TXT records, TTL 0, owned by the status name");
	ok(strcmp(w.text[0], "state=ready") == 0, "%s", w.text[0]);
	ok(strcmp(w.text[1], "records=1234") == 0, "%s", w.text[1]);
	ok(strcmp(w.text[2], "serial=2026120801") == 0, "%s", w.text[2]);
	ok(strcmp(w.text[3], "sync-age=3") == 0, "%s", w.text[3]);

	st.sync_age = 31;
	w = write_status("status.mod-lain", KNOT_RRTYPE_ANY, &st, KNOT_WIRE_MAX_PKTSIZE);
	ok(w.ret == KNOT_EOK && w.answers == 4 && strcmp(w.text[0], "state=stale") == 0 &&
	   strcmp(w.text[3], "sync-age=31") == 0, "ANY: the same four, stale");

	status_t none = { .has_table = false, .sync_age = 7, .stale_after = 30 };
	w = write_status("status.mod-lain", KNOT_RRTYPE_TXT, &none, KNOT_WIRE_MAX_PKTSIZE);
	ok(w.ret == KNOT_EOK && strcmp(w.text[0], "state=syncing") == 0 &&
	   strcmp(w.text[1], "records=0") == 0 && strcmp(w.text[2], "serial=0") == 0 &&
	   strcmp(w.text[3], "sync-age=7") == 0, "syncing: records=0 serial=0");

	status_t max = { .has_table = true, .sync_age = UINT64_MAX, .stale_after = UINT64_MAX,
	                 .records = UINT64_MAX, .serial = UINT32_MAX };
	w = write_status("status.mod-lain", KNOT_RRTYPE_TXT, &max, KNOT_WIRE_MAX_PKTSIZE);
	ok(w.ret == KNOT_EOK && strcmp(w.text[1], "records=18446744073709551615") == 0 &&
	   strcmp(w.text[2], "serial=4294967295") == 0 &&
	   strcmp(w.text[3], "sync-age=18446744073709551615") == 0,
	   "largest values written whole");

	w = write_status("Status.MOD-Lain", KNOT_RRTYPE_A, &st, KNOT_WIRE_MAX_PKTSIZE);
	ok(w.ret == KNOT_EOK && w.aa && w.answers == 0, "A: NODATA (AA, no answer)");
	w = write_status("status.mod-lain", KNOT_RRTYPE_AAAA, &st, KNOT_WIRE_MAX_PKTSIZE);
	ok(w.ret == KNOT_EOK && w.aa && w.answers == 0, "AAAA: NODATA");
}

static void test_case_and_space(void)
{
	status_t st = { .has_table = true, .records = 5, .serial = 9 };
	knot_pkt_t *pkt = response("StAtUs.Mod-Lain", KNOT_RRTYPE_TXT, KNOT_WIRE_MAX_PKTSIZE);
	uint8_t lower[KNOT_DNAME_MAXLEN];
	knot_dname_from_str(lower, "status.mod-lain", sizeof(lower));
	ok(status_write(pkt, lower, KNOT_RRTYPE_TXT, &st) == KNOT_EOK, "mixed-case question");
	// The answer owner is a compression pointer to the question (0x20 echo).
	size_t qend = KNOT_WIRE_HEADER_SIZE + knot_dname_size(knot_pkt_wire_qname(pkt)) + 4;
	ok(pkt->wire[qend] == 0xc0 && pkt->wire[qend + 1] == KNOT_WIRE_HEADER_SIZE,
	   "answer owner points to the question");
	knot_pkt_free(pkt);

	// Room for the question only: the answer does not fit.
	size_t question = KNOT_WIRE_HEADER_SIZE + 17 + 4;
	written_t w = write_status("status.mod-lain", KNOT_RRTYPE_TXT, &st, question + 20);
	ok(w.ret == KNOT_ESPACE && w.tc && w.answers == 0,
	   "no room: KNOT_ESPACE, TC set, nothing half written (%d)", w.ret);
}

/*! \brief A socket address from text. */
static struct sockaddr_storage addr_of(const char *text)
{
	struct sockaddr_storage ss = { 0 };
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, text, &in6->sin6_addr);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		inet_pton(AF_INET, text, &in->sin_addr);
	}
	return ss;
}

static void test_default_acl(void)
{
	diag("who may ask without status-acl: loopback only");
	static const struct { const char *addr; bool allowed; } cases[] = {
		{ "127.0.0.1", true }, { "127.255.0.9", true }, { "::1", true },
		{ "128.0.0.1", false }, { "10.0.0.127", false }, { "::2", false },
		{ "::ffff:127.0.0.1", false }, { "0.0.0.0", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_storage ss = addr_of(cases[i].addr);
		ok(status_default_allowed(&ss) == cases[i].allowed, "%s %s", cases[i].addr,
		   cases[i].allowed ? "allowed" : "refused");
	}
}

int main(void)
{
	test_state();
	test_answer();
	test_case_and_space();
	test_default_acl();
	return done_testing();
}
