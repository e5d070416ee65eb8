/*!
 * \file
 * \brief libFuzzer target: any bytes as a snapshot file -> records -> table.
 *
 * The bytes are read as a snapshot file as they are (the header's checks),
 * then, when the header's payload length or checksum does not match them,
 * once more with both set right, so the records behind the checksum are
 * fuzzed too. A snapshot that reads must hold well-formed records, build a
 * table as knotd's start does (lain.c), put every rrset of it into a packet,
 * and write back (snapshot_write) to a file that reads the same records. One
 * that does not read leaves nothing behind but its reason.
 *
 * Built by tests/fuzz/run.sh with every pure source; by hand:
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -I module \
 *       $(pkg-config --cflags libknot jansson) $(sh tests/core-sources.sh .) \
 *       tests/fuzz/fuzz_snapshot.c $(pkg-config --libs libknot jansson) -o fuzz_snapshot
 * ./fuzz_snapshot -max_total_time=60 tests/fuzz/corpus/snapshot
 *
 * The seeds are written by the module's writer. fixtures-knotd is the snapshot
 * a real knotd wrote from the test fixtures (tests/fixtures/, as in
 * test_snapshot.py); the others come from main() below: the same sources
 * built with -DFUZZ_SNAPSHOT_SEEDS and without -fsanitize=fuzzer make a
 * program that writes them: ./fuzz_snapshot_seeds tests/fuzz/corpus/snapshot
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "snapshot.h"
#include "table.h"

/*! \brief The file format's header (snapshot.c): its length, where the payload
 *         length and the checksum (FNV-1a of the file but itself) are. */
#define HEADER_LEN 40
#define PAYLOAD_LEN_AT 24
#define CHECKSUM_AT 32

/*! \brief The cluster the target reads and writes as. */
#define CLUSTER "fuzz"

/*! \brief Where a round trip's snapshot is written (a tmpfs when there is one). */
static char dir[64];

/*! \brief Removes the round trip's directory at exit. */
static void dir_remove(void)
{
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/fuzz-snapshot-XXXXXX", base);
	CHECK(mkdtemp(dir) != NULL);
	atexit(dir_remove);
	return 0;
}

/*! \brief Reads bytes as a snapshot file: they go through a memfd, read by path. */
static int read_bytes(const uint8_t *data, size_t size, rr_list_t *list, uint32_t *serial)
{
	static int fd = -1;
	if (fd < 0) {
		fd = memfd_create("fuzz-snapshot", MFD_CLOEXEC);
		CHECK(fd >= 0);
	}
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(size == 0 || pwrite(fd, data, size, 0) == (ssize_t)size);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	bool other = false;
	int64_t mtime = 0;
	char why[128] = "";
	int ret = snapshot_read(path, CLUSTER, &other, list, serial, &mtime, why, sizeof(why));
	CHECK(ret == KNOT_EOK || ret == KNOT_EMALF || ret == KNOT_ENOMEM);
	if (ret != KNOT_EOK) {
		CHECK(list->count == 0 && list->loc_count == 0 && list->rrs == NULL);
		CHECK(why[0] != '\0');
	}
	return ret;
}

/*! \brief Every record read is well-formed. */
static void check_records(const rr_list_t *list)
{
	for (size_t i = 0; i < list->count; i++) {
		const rr_t *rr = &list->rrs[i];
		CHECK(rr->seq == i);
		CHECK(rr->owner < list->len && (size_t)rr->rdata + rr->rdlen <= list->len);
		const knot_dname_t *owner = rr_owner(list, rr);
		int size = knot_dname_wire_check(owner, list->data + list->len, NULL);
		CHECK(size > 0 && (size_t)size == rr->rdata - rr->owner);
		for (int j = 0; j < size; j++) {
			CHECK(owner[j] < 'A' || owner[j] > 'Z'); // lengths <= 63: only letters
		}
		CHECK(rr_rdata_check(rr->type, rr_rdata(list, rr), rr->rdlen) == KNOT_EOK);
		CHECK(rr->kind < RR_KIND_COUNT);
	}
	for (size_t i = 0; i < list->loc_count; i++) {
		CHECK(list->locs[i].len <= 4);
	}
}

/*! \brief The table knotd would start with: every owner a node, every rrset fits a packet. */
static void check_table(const rr_list_t *list, uint32_t serial)
{
	table_t *table = table_build(list, serial);
	CHECK(table != NULL);
	table_stats_t stats = table_stats(table);
	CHECK(stats.records <= list->count);
	CHECK(table_serial(table) == serial);
	for (size_t i = 0; i < list->count; i++) {
		CHECK(table_find(table, rr_owner(list, &list->rrs[i])) != NULL);
	}
	knot_pkt_t *pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	CHECK(pkt != NULL);
	table_client_t client = { .portal_all = true };
	for (size_t n = 0; n < stats.nodes; n++) {
		const table_node_t *node = table_node(table, n);
		uint32_t pos = 0;
		const table_rrset_t *set;
		while ((set = table_rrset_next(table, node, KNOT_RRTYPE_ANY, &client,
		                               &pos)) != NULL) {
			knot_rrset_t rrset;
			knot_rrset_init(&rrset, (knot_dname_t *)table_owner(table, node), set->type,
			                KNOT_CLASS_IN, set->ttl);
			rrset.rrs = table_rdataset(table, set);
			knot_pkt_clear(pkt);
			int ret = knot_pkt_put(pkt, 0, &rrset, KNOT_PF_NOTRUNC);
			CHECK(ret == KNOT_EOK || ret == KNOT_ESPACE);
		}
	}
	knot_pkt_free(pkt);
	table_free(table);
}

/*! \brief The same records and rules. */
static bool same(const rr_list_t *a, const rr_list_t *b)
{
	if (a->count != b->count || a->loc_count != b->loc_count) {
		return false;
	}
	for (size_t i = 0; i < a->count; i++) {
		const rr_t *x = &a->rrs[i], *y = &b->rrs[i];
		if (x->type != y->type || x->ttl != y->ttl || x->kind != y->kind ||
		    x->flags != y->flags || x->view.tai != y->view.tai ||
		    x->view.node != y->view.node || x->view.expires != y->view.expires ||
		    memcmp(x->view.loc, y->view.loc, 2) != 0 || x->rdlen != y->rdlen ||
		    !knot_dname_is_equal(rr_owner(a, x), rr_owner(b, y)) ||
		    memcmp(rr_rdata(a, x), rr_rdata(b, y), x->rdlen) != 0) {
			return false;
		}
	}
	for (size_t i = 0; i < a->loc_count; i++) {
		const rr_loc_t *x = &a->locs[i], *y = &b->locs[i];
		if (x->len != y->len || memcmp(x->prefix, y->prefix, 4) != 0 ||
		    memcmp(x->loc, y->loc, 2) != 0) {
			return false;
		}
	}
	return true;
}

/*! \brief What was read writes back to a file that reads the same. */
static void check_round_trip(const rr_list_t *list, uint32_t serial)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/snap", dir);
	size_t written = 0;
	CHECK(snapshot_write(path, CLUSTER, rr_list_emit, list, serial, &written) == KNOT_EOK);
	CHECK(written == list->count);
	rr_list_t back;
	uint32_t serial_back = 0;
	bool other = true;
	int64_t mtime = 0;
	char why[128];
	int ret = snapshot_read(path, CLUSTER, &other, &back, &serial_back, &mtime, why,
	                        sizeof(why));
	CHECK(ret == KNOT_EOK || ret == KNOT_ENOMEM);
	if (ret == KNOT_EOK) {
		CHECK(!other && serial_back == serial && same(list, &back));
	}
	rr_list_clear(&back);
	unlink(path);
}

/*! \brief Reads bytes; when they read, checks what they hold. */
static void read_and_check(const uint8_t *data, size_t size)
{
	rr_list_t list;
	uint32_t serial = 0;
	if (read_bytes(data, size, &list, &serial) == KNOT_EOK) {
		check_records(&list);
		check_table(&list, serial);
		check_round_trip(&list, serial);
	}
	rr_list_clear(&list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_and_check(data, size);
	if (size < HEADER_LEN) {
		return 0;
	}
	// Once more with the payload length and the checksum right.
	uint8_t *fixed = malloc(size);
	CHECK(fixed != NULL);
	memcpy(fixed, data, size);
	knot_wire_write_u64(fixed + PAYLOAD_LEN_AT, size - HEADER_LEN);
	uint64_t sum = fnv1a_step(FNV1A_START, fixed, CHECKSUM_AT);
	sum = fnv1a_step(sum, fixed + HEADER_LEN, size - HEADER_LEN);
	knot_wire_write_u64(fixed + CHECKSUM_AT, sum);
	if (memcmp(fixed, data, size) != 0) {
		read_and_check(fixed, size);
	}
	free(fixed);
	return 0;
}

#ifdef FUZZ_SNAPSHOT_SEEDS
/*! \brief Adds a record of a presentation owner. */
static rr_t *add(rr_list_t *list, const char *owner, uint16_t type, uint32_t ttl,
                 const void *rdata, size_t rdlen)
{
	uint8_t name[KNOT_DNAME_MAXLEN];
	CHECK(knot_dname_from_str(name, owner, sizeof(name)) != NULL);
	rr_t *rr = rr_list_add(list, name, type, ttl, rdata, rdlen);
	CHECK(rr != NULL);
	return rr;
}

/*! \brief Writes one seed with the module's writer. */
static void seed(const char *out_dir, const char *name, const rr_list_t *list)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", out_dir, name);
	size_t written;
	CHECK(snapshot_write(path, CLUSTER, rr_list_emit, list, 2026120801, &written) == KNOT_EOK);
	// It reads back whole (a seed that does not read would only test the header).
	rr_list_t back;
	uint32_t serial;
	bool other;
	int64_t mtime;
	char why[128];
	CHECK(snapshot_read(path, CLUSTER, &other, &back, &serial, &mtime, why,
	                    sizeof(why)) == KNOT_EOK);
	CHECK(back.count == list->count && back.loc_count == list->loc_count);
	rr_list_clear(&back);
	printf("%s: %zu records\n", path, written);
}

/*! \brief Writes the seeds: empty, one record, every type, view and rule. */
int main(int argc, char **argv)
{
	CHECK(argc == 2);
	rr_list_t list;
	rr_list_init(&list);
	seed(argv[1], "empty", &list);

	add(&list, "web-1.hello.lain", KNOT_RRTYPE_A, 60, "\xac\x14\x01\x0a", 4)->kind =
		RR_KIND_PROC;
	seed(argv[1], "one", &list);

	static const char soa[] = "\x02ns\x04lain\0\x02hm\x04lain\0" "\0\0\0\0" "\0\0\x40\0"
	                          "\0\0\x08\0" "\0\x10\0\0" "\0\0\x0a\0";
	rr_t *rr = add(&list, "lain", KNOT_RRTYPE_SOA, 2560, soa, sizeof(soa) - 1);
	rr->flags = RR_FLAG_AUTO_SERIAL;
	rr->kind = RR_KIND_DEFAULT;
	add(&list, "lain", KNOT_RRTYPE_NS, 300, "\x02ns\x04lain", 9);
	add(&list, "ns.lain", KNOT_RRTYPE_A, 300, "\x0a\0\0\x35", 4);
	add(&list, "10.1.20.172.in-addr.arpa", KNOT_RRTYPE_PTR, 60,
	    "\x05web-1\x05hello\x04lain", 18)->kind = RR_KIND_PROC;
	add(&list, "hello.lain", KNOT_RRTYPE_A, 60, "\xc0\xa8\x0a\x50", 4)->kind = RR_KIND_APP;
	rr = add(&list, "redis.hello.lain", KNOT_RRTYPE_A, 60, "\xac\x14\x01\x28", 4);
	rr->kind = RR_KIND_PORTAL;
	rr->view.node = 0x0b0a007f; // 127.0.10.11
	add(&list, "grafana.lain", KNOT_RRTYPE_CNAME, 300, "\x07" "console\x04lain", 14);
	add(&list, "lain", KNOT_RRTYPE_MX, 300, "\0\x0a\x02mx\x04lain", 11);
	add(&list, "motd.lain", KNOT_RRTYPE_TXT, 300, "\x0bhello world", 12);
	add(&list, "v6.lain", KNOT_RRTYPE_AAAA, 300, "\xfd\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16);
	add(&list, "_http._tcp.hello.lain", KNOT_RRTYPE_SRV, 60,
	    "\0\0\0\0\0\x50\x05hello\x04lain", 18);
	add(&list, "*.example.com", KNOT_RRTYPE_A, 300, "\xc0\xa8\x0a\x50", 4);
	rr = add(&list, "then.lain", KNOT_RRTYPE_A, 0, "\x0a\0\0\1", 4);
	rr->view.tai = 0x4000000069000000ULL; // until then
	rr->view.expires = true;
	rr = add(&list, "loc.lain", KNOT_RRTYPE_A, 300, "\x0a\0\0\2", 4);
	memcpy(rr->view.loc, "in", 2);
	add(&list, "raw.lain", 65280, 300, "\x01\x02\x03", 3);
	CHECK(rr_list_add_loc(&list, (const uint8_t *)"\x0a\x01", 2, "in") == KNOT_EOK);
	CHECK(rr_list_add_loc(&list, (const uint8_t *)"", 0, "ex") == KNOT_EOK);
	seed(argv[1], "types-views-rules", &list);
	rr_list_clear(&list);
	return 0;
}
#endif
