/*!
 * \file
 * \brief Records: lists (copy, lowercase owner, order, rules), the list sink and
 *        emitter, hostnames, PTR owners and the rdata shape check, good and bad.
 */
#include <string.h>

#include "rr.h"
#include "tap.h"

/*! \brief The wire form of a presentation name (static buffer). */
static const uint8_t *wire(const char *name)
{
	static uint8_t buf[KNOT_DNAME_MAXLEN];
	return knot_dname_from_str(buf, name, sizeof(buf));
}

/*! \brief rr_hostname on str, compared with the wire name want (NULL: expect err). */
static bool hostname_is(const char *str, const char *want, int err)
{
	uint8_t out[KNOT_DNAME_MAXLEN];
	int ret = rr_hostname(out, str);
	if (want == NULL) {
		return ret == err;
	}
	const uint8_t *w = wire(want);
	return ret > 0 && (size_t)ret == knot_dname_size(w) && memcmp(out, w, ret) == 0;
}

/*! \brief n_labels labels of len letters 'a', each followed by a dot, into buf. */
static const char *labels(char *buf, size_t n_labels, size_t len)
{
	char *p = buf;
	for (size_t i = 0; i < n_labels; i++) {
		memset(p, 'a', len);
		p += len;
		*p++ = '.';
	}
	*p = '\0';
	return buf;
}

static void test_list(void)
{
	rr_list_t list;
	rr_list_init(&list);
	ok(list.count == 0 && list.len == 0 && rr_list_bytes(&list) == 0, "empty list");

	uint8_t copy[KNOT_DNAME_MAXLEN];
	memcpy(copy, wire("WWW.Hello.LAIN"), knot_dname_size(wire("WWW.Hello.LAIN")));
	rr_t *rr = rr_list_add(&list, copy, KNOT_RRTYPE_A, 60, (const uint8_t *)"\x0a\0\0\1", 4);
	ok(rr != NULL && rr->type == KNOT_RRTYPE_A && rr->ttl == 60 && rr->rdlen == 4 &&
	   rr->seq == 0, "record added");
	ok(knot_dname_is_equal(rr_owner(&list, rr), wire("www.hello.lain")),
	   "owner lowercased on the copy");
	ok(copy[1] == 'W' && copy[5] == 'H' && copy[11] == 'L', "caller's owner untouched");
	ok(rr->rdata == rr->owner + knot_dname_size(copy) &&
	   memcmp(rr_rdata(&list, rr), "\x0a\0\0\1", 4) == 0, "rdata right after the owner");
	ok(rr->kind == RR_KIND_STATIC && rr->flags == 0 && rr_view_is_all(&rr->view),
	   "new record: static, no flags, seen by all");

	rr = rr_list_add(&list, wire("empty.lain"), KNOT_RRTYPE_TXT, 0, NULL, 0);
	ok(rr != NULL && rr->rdlen == 0 && rr->seq == 1, "empty rdata from NULL");

	static uint8_t big[RR_RDATA_MAX];
	memset(big, 'x', sizeof(big));
	rr = rr_list_add(&list, wire("big.lain"), 65280, 1, big, RR_RDATA_MAX);
	ok(rr != NULL && rr->rdlen == RR_RDATA_MAX &&
	   memcmp(rr_rdata(&list, rr), big, RR_RDATA_MAX) == 0, "rdata of 65535 bytes kept");

	size_t before = list.count;
	for (int i = 0; i < 1000; i++) {
		if (rr_list_add(&list, wire("many.lain"), KNOT_RRTYPE_A, i,
		                (const uint8_t *)"\x0a\0\0\2", 4) == NULL) {
			break;
		}
	}
	bool order = list.count == before + 1000;
	for (size_t i = 0; order && i < list.count; i++) {
		order = list.rrs[i].seq == i;
	}
	ok(order, "1000 more: seq is the order of appearance (%zu records)", list.count);
	ok(list.rrs[before + 999].ttl == 999 &&
	   knot_dname_is_equal(rr_owner(&list, &list.rrs[0]), wire("www.hello.lain")),
	   "earlier records intact after growing");

	ok(rr_list_add_loc(&list, (const uint8_t *)"\x0a\x01", 2, "ab") == KNOT_EOK &&
	   rr_list_add_loc(&list, (const uint8_t *)"", 0, "\0\0") == KNOT_EOK,
	   "location rules of 2 and 0 octets");
	const rr_loc_t *loc = &list.locs[0];
	ok(list.loc_count == 2 && loc->len == 2 && loc->prefix[0] == 10 && loc->prefix[1] == 1 &&
	   loc->prefix[2] == 0 && loc->prefix[3] == 0 && memcmp(loc->loc, "ab", 2) == 0 &&
	   loc->seq == 0 && list.locs[1].seq == 1, "rule copied, rest of the prefix zero");
	ok(rr_list_add_loc(&list, (const uint8_t *)"\1\2\3\4", 4, "cd") == KNOT_EOK,
	   "rule of 4 octets");
	ok(rr_list_add_loc(&list, (const uint8_t *)"\1\2\3\4\5", 5, "cd") == KNOT_EINVAL &&
	   list.loc_count == 3, "rule of 5 octets refused, nothing added");

	rr_list_shrink(&list);
	ok(list.cap == list.count && list.data_cap == list.len && list.loc_cap == list.loc_count,
	   "shrink: arrays fit their use");
	ok(rr_list_bytes(&list) == list.count * sizeof(rr_t) + list.len +
	   list.loc_count * sizeof(rr_loc_t), "bytes held");
	ok(knot_dname_is_equal(rr_owner(&list, &list.rrs[1]), wire("empty.lain")) &&
	   memcmp(rr_rdata(&list, &list.rrs[2]), big, RR_RDATA_MAX) == 0,
	   "records intact after shrink");
	rr_list_clear(&list);
	ok(list.count == 0 && list.loc_count == 0 && list.rrs == NULL && list.data == NULL &&
	   rr_list_bytes(&list) == 0, "clear empties the list");
}

/*! \brief A sink counting records and failing at the fail-th one. */
typedef struct {
	rr_sink_t sink;
	int records;
	int locs;
	int fail;
} count_sink_t;

static int count_add(rr_sink_t *sink, const rr_rec_t *rec)
{
	count_sink_t *c = (count_sink_t *)sink;
	return ++c->records == c->fail ? KNOT_ESPACE : KNOT_EOK;
}

static int count_add_loc(rr_sink_t *sink, const rr_loc_t *loc)
{
	((count_sink_t *)sink)->locs++;
	return KNOT_EOK;
}

static void test_sink_emit(void)
{
	rr_list_t a, b;
	rr_list_init(&a);
	rr_list_init(&b);
	rr_t *rr = rr_list_add(&a, wire("web.lain"), KNOT_RRTYPE_A, 60,
	                       (const uint8_t *)"\x0a\0\0\1", 4);
	rr->kind = RR_KIND_PORTAL;
	rr->view.node = 0x0100007f;
	rr = rr_list_add(&a, wire("lain"), KNOT_RRTYPE_SOA, 300,
	                 (const uint8_t *)"\x00\x00" "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22);
	rr->kind = RR_KIND_DEFAULT;
	rr->flags = RR_FLAG_AUTO_SERIAL;
	rr->view.tai = 0x4000000012345678ULL;
	rr->view.expires = true;
	memcpy(rr->view.loc, "xy", 2);
	rr_list_add_loc(&a, (const uint8_t *)"\x0a", 1, "xy");

	rr_list_sink_t sink = rr_list_sink(&b);
	ok(rr_list_emit(&a, &sink.sink) == KNOT_EOK, "list emitted into a list sink");
	bool same = a.count == b.count && a.loc_count == b.loc_count;
	for (size_t i = 0; same && i < a.count; i++) {
		const rr_t *x = &a.rrs[i], *y = &b.rrs[i];
		same = x->type == y->type && x->ttl == y->ttl && x->kind == y->kind &&
		       x->flags == y->flags && x->seq == y->seq && x->rdlen == y->rdlen &&
		       memcmp(&x->view, &y->view, sizeof(x->view)) == 0 &&
		       knot_dname_is_equal(rr_owner(&a, x), rr_owner(&b, y)) &&
		       memcmp(rr_rdata(&a, x), rr_rdata(&b, y), x->rdlen) == 0;
	}
	ok(same && memcmp(&a.locs[0], &b.locs[0], sizeof(rr_loc_t)) == 0,
	   "copy has the same records (kind, flags, view) and rules");

	count_sink_t counter = { { count_add, count_add_loc }, 0, 0, 0 };
	ok(rr_list_emit(&a, &counter.sink) == KNOT_EOK && counter.records == 2 &&
	   counter.locs == 1, "every record, then every rule");
	count_sink_t failing = { { count_add, count_add_loc }, 0, 0, 1 };
	ok(rr_list_emit(&a, &failing.sink) == KNOT_ESPACE && failing.records == 1 &&
	   failing.locs == 0, "a sink's error stops the emitter and is returned");
	rr_list_clear(&a);
	rr_list_clear(&b);
	ok(rr_view_is_all(&rr_view_all), "rr_view_all is everyone's");
	rr_view_t v = { .loc = { 'a', 0 } };
	ok(!rr_view_is_all(&v), "a location is not everyone's");
}

static void test_hostname(void)
{
	char buf[1024];
	ok(hostname_is("Web-1.Hello_App.LAIN", "web-1.hello_app.lain", 0),
	   "hostname lowercased, '-' and '_' allowed");
	ok(hostname_is("web.lain.", "web.lain", 0), "trailing dot optional");
	ok(hostname_is("", ".", 0) && hostname_is(".", ".", 0), "empty and '.' are the root");
	ok(hostname_is("web lain", NULL, KNOT_EINVAL), "space refused");
	ok(hostname_is("web.l*in", NULL, KNOT_EINVAL) && hostname_is("*.lain", NULL, KNOT_EINVAL),
	   "'*' refused");
	ok(hostname_is("a..b", NULL, KNOT_EINVAL) && hostname_is(".a", NULL, KNOT_EINVAL) &&
	   hostname_is("a.b..", NULL, KNOT_EINVAL), "empty label refused");
	ok(hostname_is("caf\xc3\xa9.lain", NULL, KNOT_EINVAL), "non-ASCII refused");
	labels(buf, 1, 63);
	ok(hostname_is(buf, buf, 0), "label of 63 bytes");
	labels(buf, 1, 64);
	ok(hostname_is(buf, NULL, KNOT_ESPACE), "label of 64 bytes: KNOT_ESPACE");
	// 3 labels of 63 + one of 61: 4 * 64 - 2 + 1 (root) = 255 bytes, the most.
	labels(buf, 3, 63);
	memset(buf + strlen(buf), 'b', 61);
	buf[3 * 64 + 61] = '\0';
	ok(hostname_is(buf, buf, 0), "name of 255 bytes");
	buf[3 * 64 + 61] = 'b';
	buf[3 * 64 + 62] = '\0';
	ok(hostname_is(buf, NULL, KNOT_ESPACE), "name of 256 bytes: KNOT_ESPACE");
}

static void test_ptr_owner(void)
{
	uint8_t out[KNOT_DNAME_MAXLEN];
	rr_ptr_owner(out, (const uint8_t *)"\xac\x14\x00\x04");
	ok(knot_dname_is_equal(out, wire("4.0.20.172.in-addr.arpa")), "PTR owner of 172.20.0.4");
	rr_ptr_owner(out, (const uint8_t *)"\xff\xff\xff\xff");
	ok(knot_dname_is_equal(out, wire("255.255.255.255.in-addr.arpa")) &&
	   knot_dname_size(out) == 30, "PTR owner of 255.255.255.255 (30 bytes)");
}

/*! \brief rr_rdata_check on len bytes of a literal. */
#define CHECK_RD(type, lit, len) rr_rdata_check(type, (const uint8_t *)(lit), len)

static void test_rdata_check(void)
{
	ok(CHECK_RD(KNOT_RRTYPE_A, "\x0a\0\0\1", 4) == KNOT_EOK, "A of 4 bytes");
	ok(CHECK_RD(KNOT_RRTYPE_A, "\x0a\0\0", 3) == KNOT_EMALF &&
	   CHECK_RD(KNOT_RRTYPE_A, "\x0a\0\0\1\0", 5) == KNOT_EMALF &&
	   CHECK_RD(KNOT_RRTYPE_A, "", 0) == KNOT_EMALF, "A of 3, 5 or 0 bytes refused");
	ok(CHECK_RD(KNOT_RRTYPE_AAAA, "0123456789abcdef", 16) == KNOT_EOK &&
	   CHECK_RD(KNOT_RRTYPE_AAAA, "0123456789abcde", 15) == KNOT_EMALF, "AAAA: 16 bytes");

	ok(CHECK_RD(KNOT_RRTYPE_NS, "\x02ns\x04LAIN", 9) == KNOT_EOK, "NS name (case kept)");
	ok(CHECK_RD(KNOT_RRTYPE_CNAME, "", 1) == KNOT_EOK, "CNAME to the root");
	ok(CHECK_RD(KNOT_RRTYPE_NS, "", 0) == KNOT_EMALF, "NS without a name refused");
	ok(CHECK_RD(KNOT_RRTYPE_NS, "\x02ns\x04lai", 8) == KNOT_EMALF,
	   "NS name cut short refused");
	ok(CHECK_RD(KNOT_RRTYPE_PTR, "\x02ns\x04lain\0x", 10) == KNOT_EMALF,
	   "bytes after the name refused");
	ok(CHECK_RD(KNOT_RRTYPE_CNAME, "\xc0\x0c", 2) == KNOT_EMALF &&
	   CHECK_RD(KNOT_RRTYPE_CNAME, "\x01x\xc0\x0c", 4) == KNOT_EMALF,
	   "compression pointers refused");
	ok(CHECK_RD(KNOT_RRTYPE_NS, "\x40xxxx", 6) == KNOT_EMALF, "label over 63 refused");

	ok(CHECK_RD(KNOT_RRTYPE_MX, "\0\x0a\x02mx\x04lain", 11) == KNOT_EOK, "MX");
	ok(CHECK_RD(KNOT_RRTYPE_MX, "\0\x0a", 2) == KNOT_EMALF &&
	   CHECK_RD(KNOT_RRTYPE_MX, "\0", 1) == KNOT_EMALF, "MX without its name refused");
	ok(CHECK_RD(KNOT_RRTYPE_SRV, "\0\1\0\2\x1f\x90\x03web\x04lain", 16) == KNOT_EOK &&
	   CHECK_RD(KNOT_RRTYPE_SRV, "\0\1\0\2\x1f", 5) == KNOT_EMALF, "SRV");

	static const char soa[] = "\x02ns\x04lain\0\x02hm\0" "\0\0\0\1" "\0\0\0\2" "\0\0\0\3"
	                          "\0\0\0\4" "\0\0\0\5";
	size_t soa_len = sizeof(soa) - 1;
	ok(CHECK_RD(KNOT_RRTYPE_SOA, soa, soa_len) == KNOT_EOK, "SOA: two names and 20 bytes");
	ok(CHECK_RD(KNOT_RRTYPE_SOA, soa, soa_len - 1) == KNOT_EMALF &&
	   CHECK_RD(KNOT_RRTYPE_SOA, soa, 10) == KNOT_EMALF, "SOA cut short refused");

	ok(CHECK_RD(KNOT_RRTYPE_TXT, "\x05hello\x00", 7) == KNOT_EOK, "TXT: any bytes");
	ok(CHECK_RD(65280, "\xff\x00\xc0", 3) == KNOT_EOK, "unknown type: any bytes");

	// NAPTR: order, preference, flags, services, regexp, replacement.
	static const char naptr[] = "\0\x0a\0\x14" "\x01u" "\x07" "E2U+sip" "\x00" "\x04lain\0";
	size_t naptr_len = sizeof(naptr) - 1;
	ok(CHECK_RD(KNOT_RRTYPE_NAPTR, naptr, naptr_len) == KNOT_EOK, "NAPTR");
	bool cut = true;
	for (size_t len = 0; len < naptr_len; len++) {
		cut = cut && CHECK_RD(KNOT_RRTYPE_NAPTR, naptr, len) == KNOT_EMALF;
	}
	ok(cut, "NAPTR cut at every length refused");
	ok(CHECK_RD(KNOT_RRTYPE_NAPTR, "\0\x0a\0\x14\x09u", 6) == KNOT_EMALF,
	   "NAPTR string past the end refused");
}

int main(void)
{
	test_list();
	test_sink_emit();
	test_hostname();
	test_ptr_owner();
	test_rdata_check();
	return done_testing();
}
