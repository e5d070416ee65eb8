/*!
 * \file
 * \brief Table build and lookups: apex walk, exact names, empty non-terminals,
 *        wildcards, delegations, views.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "tap.h"

/*! \brief Adds a record from presentation-format owner and raw rdata. */
static rr_t *add(rr_list_t *list, const char *owner, uint16_t type, const void *rd,
                 size_t len)
{
	uint8_t name[KNOT_DNAME_MAXLEN];
	knot_dname_from_str(name, owner, sizeof(name));
	return rr_list_add(list, name, type, 300, rd, len);
}

static const uint8_t ip1[4] = { 10, 0, 0, 1 }, ip2[4] = { 10, 0, 0, 2 };
static const uint8_t soa[] = "\x02ns\x00\x02hm\x00" "\0\0\0\0" "\0\0\0\1" "\0\0\0\1"
                             "\0\0\0\1" "\0\0\0\1";

/*! \brief A zone "test" with a delegation, a wildcard, an ENT and views. */
static void zone(rr_list_t *list)
{
	rr_t *s = add(list, "test", KNOT_RRTYPE_SOA, soa, sizeof(soa) - 1);
	s->flags = RR_FLAG_AUTO_SERIAL;
	add(list, "test", KNOT_RRTYPE_SOA, soa, sizeof(soa) - 1); // second SOA: ignored
	add(list, "test", KNOT_RRTYPE_NS, "\x02ns\x04test", 9);
	add(list, "ns.test", KNOT_RRTYPE_A, ip1, 4);
	add(list, "a.test", KNOT_RRTYPE_A, ip1, 4);
	add(list, "a.test", KNOT_RRTYPE_A, ip2, 4);
	add(list, "deep.ent.test", KNOT_RRTYPE_A, ip1, 4);
	add(list, "*.wild.test", KNOT_RRTYPE_A, ip2, 4);
	add(list, "exists.wild.test", KNOT_RRTYPE_TXT, "\x01x", 2);
	add(list, "sub.test", KNOT_RRTYPE_NS, "\x02ns\x05other", 10);
	add(list, "www.sub.test", KNOT_RRTYPE_A, ip1, 4);
	rr_t *n = add(list, "node.test", KNOT_RRTYPE_A, ip1, 4);
	n->view.node = 0x01020304;
	rr_t *l = add(list, "loc.test", KNOT_RRTYPE_A, ip2, 4);
	memcpy(l->view.loc, "ab", 2);
	uint8_t prefix[2] = { 192, 168 };
	rr_list_add_loc(list, prefix, 2, "ab");
}

static table_status_t lookup(const table_t *t, const char *name, const table_client_t *c,
                             const char **node_owner)
{
	uint8_t q[KNOT_DNAME_MAXLEN];
	knot_dname_from_str(q, name, sizeof(q));
	table_result_t res;
	table_lookup(t, q, c, &res);
	static char buf[KNOT_DNAME_TXT_MAXLEN];
	buf[0] = '\0';
	if (res.node != NULL) {
		knot_dname_to_str(buf, table_owner(t, res.node), sizeof(buf));
	}
	if (node_owner != NULL) {
		*node_owner = buf;
	}
	return res.status;
}

static void test_lookups(void)
{
	rr_list_t list;
	rr_list_init(&list);
	zone(&list);
	table_t *t = table_build(&list, 1234);
	rr_list_clear(&list);
	ok(t != NULL, "table builds");
	table_stats_t st = table_stats(t);
	ok(st.records == 12, "12 records kept (second SOA dropped): %zu", st.records);

	table_client_t c = { 0 };
	const char *owner;
	ok(lookup(t, "a.test", &c, &owner) == TABLE_FOUND && strcmp(owner, "a.test.") == 0,
	   "exact name");
	const table_node_t *a = table_find(t, (const uint8_t *)"\x01" "a\x04test");
	uint32_t pos = 0;
	const table_rrset_t *set = table_rrset_next(t, a, KNOT_RRTYPE_A, &c, &pos);
	ok(set != NULL && set->count == 2, "two A in one rrset");
	const table_node_t *apex = table_find(t, (const uint8_t *)"\x04test");
	pos = 0;
	set = table_rrset_next(t, apex, KNOT_RRTYPE_SOA, &c, &pos);
	ok(set != NULL && set->count == 1 &&
	   knot_wire_read_u32(table_rdataset(t, set).rdata->data + 8) == 1234,
	   "auto serial written");
	ok(lookup(t, "nosuch.test", &c, NULL) == TABLE_NXDOMAIN, "NXDOMAIN");
	ok(lookup(t, "ent.test", &c, NULL) == TABLE_FOUND, "empty non-terminal exists");
	ok(lookup(t, "x.ent.test", &c, NULL) == TABLE_NXDOMAIN, "below an ENT: NXDOMAIN");
	ok(lookup(t, "q.wild.test", &c, &owner) == TABLE_WILDCARD &&
	   strcmp(owner, "*.wild.test.") == 0, "wildcard");
	ok(lookup(t, "a.b.c.wild.test", &c, NULL) == TABLE_WILDCARD, "wildcard at any depth");
	ok(lookup(t, "exists.wild.test", &c, NULL) == TABLE_FOUND, "existing name blocks it");
	ok(lookup(t, "x.exists.wild.test", &c, NULL) == TABLE_WILDCARD,
	   "but only for itself (tinydns)");
	ok(lookup(t, "wild.test", &c, NULL) == TABLE_FOUND, "wildcard parent is an ENT");
	ok(lookup(t, "sub.test", &c, NULL) == TABLE_DELEGATION, "NS without SOA: delegation");
	ok(lookup(t, "www.sub.test", &c, NULL) == TABLE_DELEGATION, "below it too");
	ok(lookup(t, "other.org", &c, NULL) == TABLE_NOT_OURS, "outside: not ours");
	ok(lookup(t, "node.test", &c, NULL) == TABLE_NXDOMAIN, "node view hides from others");
	c.addr = 0x01020304;
	ok(lookup(t, "node.test", &c, NULL) == TABLE_FOUND, "node view shows to its node");
	c.addr = htonl(0xc0a80101);
	table_client_locate(t, &c);
	ok(memcmp(c.loc, "ab", 2) == 0, "client located by prefix");
	ok(lookup(t, "loc.test", &c, NULL) == TABLE_FOUND, "location view");
	table_free(t);
}

static void test_build_many(void)
{
	// A larger table: many names, every lookup finds its own.
	rr_list_t list;
	rr_list_init(&list);
	char name[64];
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "web-%d.app%d.lain", i % 7 + 1, i);
		uint8_t ip[4] = { 172, 20, i >> 8, i & 0xff };
		add(&list, name, KNOT_RRTYPE_A, ip, 4);
	}
	add(&list, "lain", KNOT_RRTYPE_SOA, soa, sizeof(soa) - 1);
	add(&list, "lain", KNOT_RRTYPE_NS, "\x02ns\x04lain", 9);
	table_t *t = table_build(&list, 1);
	rr_list_clear(&list);
	table_client_t c = { 0 };
	int found = 0;
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "web-%d.app%d.lain", i % 7 + 1, i);
		found += lookup(t, name, &c, NULL) == TABLE_FOUND;
	}
	ok(found == 20000, "20000 names found (%d)", found);
	ok(table_stats(t).nodes == 40002, "names + apps + lain + root: %zu",
	   table_stats(t).nodes);
	table_free(t);
}

int main(void)
{
	test_lookups();
	test_build_many();
	return done_testing();
}
