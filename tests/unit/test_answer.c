/*!
 * \file
 * \brief Answers written into real knot packets: sections, flags, rcodes, case.
 */
#include <string.h>

#include "answer.h"
#include "tap.h"

static rr_t *add(rr_list_t *list, const char *owner, uint16_t type, const void *rd,
                 size_t len, uint32_t ttl)
{
	uint8_t name[KNOT_DNAME_MAXLEN];
	knot_dname_from_str(name, owner, sizeof(name));
	return rr_list_add(list, name, type, ttl, rd, len);
}

static const uint8_t soa[] = "\x02ns\x04lain\x00\x02hm\x00" "\0\0\0\7" "\0\0\0\1" "\0\0\0\1"
                             "\0\0\0\1" "\0\0\x0a\0";

static table_t *sample(void)
{
	rr_list_t list;
	rr_list_init(&list);
	add(&list, "lain", KNOT_RRTYPE_SOA, soa, sizeof(soa) - 1, 2560);
	add(&list, "lain", KNOT_RRTYPE_NS, "\x02ns\x04lain", 9, 300);
	add(&list, "ns.lain", KNOT_RRTYPE_A, "\x0a\0\0\x35", 4, 300);
	add(&list, "web-1.hello.lain", KNOT_RRTYPE_A, "\xac\x14\0\x04", 4, 60);
	add(&list, "c1.lain", KNOT_RRTYPE_CNAME, "\x02" "c2\x04lain", 9, 60);
	add(&list, "c2.lain", KNOT_RRTYPE_CNAME, "\x05web-1\x05hello\x04lain", 18, 60);
	add(&list, "loop.lain", KNOT_RRTYPE_CNAME, "\x04loop\x04lain", 11, 60);
	add(&list, "l2a.lain", KNOT_RRTYPE_CNAME, "\x03l2b\x04lain", 10, 60);
	add(&list, "l2b.lain", KNOT_RRTYPE_CNAME, "\x03L2A\x04lain", 10, 60);
	add(&list, "l3a.lain", KNOT_RRTYPE_CNAME, "\x03l3b\x04lain", 10, 60);
	add(&list, "l3b.lain", KNOT_RRTYPE_CNAME, "\x03l3c\x04lain", 10, 60);
	add(&list, "l3c.lain", KNOT_RRTYPE_CNAME, "\x03l3a\x04lain", 10, 60);
	add(&list, "into.lain", KNOT_RRTYPE_CNAME, "\x03l3b\x04lain", 10, 60);
	// ch0 -> ch1 -> ... -> ch11, which has an A: longer than the chain limit
	for (int i = 0; i < 11; i++) {
		char owner[16];
		uint8_t to[16] = "\x04" "ch";
		snprintf(owner, sizeof(owner), "ch%02d.lain", i);
		snprintf((char *)to + 3, sizeof(to) - 3, "%02d\x04lain", i + 1);
		add(&list, owner, KNOT_RRTYPE_CNAME, to, 11, 60);
	}
	add(&list, "ch11.lain", KNOT_RRTYPE_A, "\x0a\0\0\x0b", 4, 60);
	add(&list, "gone.lain", KNOT_RRTYPE_CNAME, "\x06nosuch\x04lain", 13, 60);
	add(&list, "sub.lain", KNOT_RRTYPE_NS, "\x02ns\x03sub\x04lain", 13, 300);
	add(&list, "ns.sub.lain", KNOT_RRTYPE_A, "\x0a\0\0\x36", 4, 300);
	table_t *t = table_build(&list, 42);
	rr_list_clear(&list);
	return t;
}

/*! \brief A response packet with the question in it, as knotd hands it to the hook. */
static knot_pkt_t *response(const char *qname, uint16_t qtype)
{
	knot_pkt_t *pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	uint8_t name[KNOT_DNAME_MAXLEN];
	knot_dname_from_str(name, qname, sizeof(name));
	knot_wire_set_qr(pkt->wire);
	knot_pkt_put_question(pkt, name, KNOT_CLASS_IN, qtype);
	return pkt;
}

static void ask(const table_t *t, const char *qname, uint16_t qtype, knot_pkt_t **out,
                answer_result_t *res)
{
	knot_pkt_t *pkt = response(qname, qtype);
	uint8_t lower[KNOT_DNAME_MAXLEN];
	knot_dname_from_str(lower, qname, sizeof(lower));
	knot_dname_to_lower(lower);
	table_client_t c = { 0 };
	answer_conf_t conf = { .negative_ttl = 5 };
	answer_write(t, pkt, lower, qtype, &c, &conf, res);
	*out = pkt;
}

static uint16_t count(const knot_pkt_t *pkt, knot_section_t s)
{
	return knot_pkt_section(pkt, s)->count;
}

/*! \brief Whether the answer holds CNAMEs only, each owner once, and nothing else. */
static bool cnames_once(const knot_pkt_t *pkt)
{
	const knot_pktsection_t *ans = knot_pkt_section(pkt, KNOT_ANSWER);
	for (uint16_t i = 0; i < ans->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(ans, i);
		if (rr->type != KNOT_RRTYPE_CNAME || rr->rrs.count != 1) {
			return false;
		}
		for (uint16_t j = 0; j < i; j++) {
			if (knot_dname_is_case_equal(knot_pkt_rr(ans, j)->owner, rr->owner)) {
				return false;
			}
		}
	}
	return true;
}

/*! \brief A CNAME loop: NOERROR, each CNAME of the loop once, no SOA. */
static void loop_answer(const table_t *t, const char *qname, uint16_t want, const char *what)
{
	knot_pkt_t *pkt;
	answer_result_t res;
	ask(t, qname, KNOT_RRTYPE_A, &pkt, &res);
	ok(res.ret == KNOT_EOK && res.kind == ANSWER_HIT && res.rcode == KNOT_RCODE_NOERROR &&
	   count(pkt, KNOT_ANSWER) == want && cnames_once(pkt) &&
	   count(pkt, KNOT_AUTHORITY) == 0, "%s: %u CNAMEs, each once (%u)", what, want,
	   count(pkt, KNOT_ANSWER));
	knot_pkt_free(pkt);
}

int main(void)
{
	table_t *t = sample();
	knot_pkt_t *pkt;
	answer_result_t res;

	ask(t, "WeB-1.Hello.LAIN", KNOT_RRTYPE_A, &pkt, &res);
	ok(res.kind == ANSWER_HIT && res.rcode == KNOT_RCODE_NOERROR, "hit");
	ok(knot_wire_get_aa(pkt->wire), "AA set");
	ok(count(pkt, KNOT_ANSWER) == 1 && count(pkt, KNOT_AUTHORITY) == 0, "one answer");
	// The answer owner is a compression pointer to the question (0x20 echo).
	size_t qend = KNOT_WIRE_HEADER_SIZE + knot_dname_size(knot_pkt_wire_qname(pkt)) + 4;
	ok(pkt->wire[qend] == 0xc0 && pkt->wire[qend + 1] == KNOT_WIRE_HEADER_SIZE,
	   "answer owner points to the question");
	knot_pkt_free(pkt);

	ask(t, "nosuch.lain", KNOT_RRTYPE_A, &pkt, &res);
	ok(res.kind == ANSWER_NXDOMAIN && res.rcode == KNOT_RCODE_NXDOMAIN, "NXDOMAIN");
	const knot_pktsection_t *auth = knot_pkt_section(pkt, KNOT_AUTHORITY);
	ok(auth->count == 1 && knot_pkt_rr(auth, 0)->type == KNOT_RRTYPE_SOA, "SOA in authority");
	// TTL on the wire: capped at 5 (negative-ttl) below SOA TTL 2560 and minimum 2560.
	const uint8_t *soa_wire = pkt->wire + knot_pkt_rr_offset(auth, 0);
	size_t owner_len = knot_dname_size(soa_wire) > 64 ? 2 : knot_dname_size(soa_wire);
	ok(knot_wire_read_u32(soa_wire + owner_len + 4) == 5, "SOA TTL capped to 5");
	knot_pkt_free(pkt);

	ask(t, "web-1.hello.lain", KNOT_RRTYPE_AAAA, &pkt, &res);
	ok(res.kind == ANSWER_NODATA && res.rcode == KNOT_RCODE_NOERROR &&
	   count(pkt, KNOT_AUTHORITY) == 1, "NODATA with SOA");
	knot_pkt_free(pkt);

	ask(t, "hello.lain", KNOT_RRTYPE_A, &pkt, &res);
	ok(res.kind == ANSWER_NODATA, "empty non-terminal is NODATA");
	knot_pkt_free(pkt);

	ask(t, "c1.lain", KNOT_RRTYPE_A, &pkt, &res);
	ok(res.kind == ANSWER_HIT && count(pkt, KNOT_ANSWER) == 3, "CNAME chain followed (%u)",
	   count(pkt, KNOT_ANSWER));
	knot_pkt_free(pkt);

	ask(t, "c1.lain", KNOT_RRTYPE_CNAME, &pkt, &res);
	ok(count(pkt, KNOT_ANSWER) == 1, "CNAME query: just the CNAME");
	knot_pkt_free(pkt);

	loop_answer(t, "loop.lain", 1, "self-loop");
	loop_answer(t, "l2a.lain", 2, "loop of 2");
	loop_answer(t, "L2B.lain", 2, "loop of 2 from its other name (case: L2A)");
	loop_answer(t, "l3a.lain", 3, "loop of 3");
	loop_answer(t, "into.lain", 4, "chain into a loop of 3");

	// A long chain without a loop is still followed to the limit: 9 CNAMEs.
	ask(t, "ch00.lain", KNOT_RRTYPE_A, &pkt, &res);
	ok(res.kind == ANSWER_HIT && res.rcode == KNOT_RCODE_NOERROR &&
	   count(pkt, KNOT_ANSWER) == 9 && cnames_once(pkt), "long chain: 9 CNAMEs (%u)",
	   count(pkt, KNOT_ANSWER));
	knot_pkt_free(pkt);
	ask(t, "ch03.lain", KNOT_RRTYPE_A, &pkt, &res);
	ok(count(pkt, KNOT_ANSWER) == 9, "a chain of 8 CNAMEs reaches its A (%u)",
	   count(pkt, KNOT_ANSWER));
	knot_pkt_free(pkt);

	ask(t, "gone.lain", KNOT_RRTYPE_A, &pkt, &res);
	ok(res.rcode == KNOT_RCODE_NXDOMAIN && count(pkt, KNOT_ANSWER) == 1 &&
	   count(pkt, KNOT_AUTHORITY) == 1, "CNAME to a missing name: NXDOMAIN (RFC 6604)");
	knot_pkt_free(pkt);

	ask(t, "lain", KNOT_RRTYPE_NS, &pkt, &res);
	ok(count(pkt, KNOT_ANSWER) == 1 && count(pkt, KNOT_ADDITIONAL) == 1,
	   "NS with glue in additional");
	knot_pkt_free(pkt);

	ask(t, "x.sub.lain", KNOT_RRTYPE_A, &pkt, &res);
	ok(res.kind == ANSWER_REFERRAL && !knot_wire_get_aa(pkt->wire) &&
	   count(pkt, KNOT_ANSWER) == 0 && count(pkt, KNOT_AUTHORITY) == 1 &&
	   count(pkt, KNOT_ADDITIONAL) == 1, "referral: AA clear, NS, glue");
	knot_pkt_free(pkt);

	ask(t, "example.org", KNOT_RRTYPE_A, &pkt, &res);
	ok(res.kind == ANSWER_NOT_OURS && count(pkt, KNOT_ANSWER) == 0, "not ours: untouched");
	knot_pkt_free(pkt);

	table_free(t);
	return done_testing();
}
