/*!
 * \file
 * \brief Snapshots: round trip, and corrupt or foreign files refused whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapshot.h"
#include "tap.h"

#define CLUSTER "http://lainlet.lain:9001"

static void sample(rr_list_t *list)
{
	rr_list_init(list);
	rr_t *a = rr_list_add(list, (const uint8_t *)"\x03web\x04lain", KNOT_RRTYPE_A, 60,
	                      (const uint8_t *)"\x0a\0\0\1", 4);
	a->kind = RR_KIND_PROC;
	rr_t *p = rr_list_add(list, (const uint8_t *)"\x05redis\x04lain", KNOT_RRTYPE_A, 30,
	                      (const uint8_t *)"\x0a\0\0\2", 4);
	p->kind = RR_KIND_PORTAL;
	p->view.node = 0x0100007f;
	rr_t *t = rr_list_add(list, (const uint8_t *)"\x04motd\x04lain", KNOT_RRTYPE_TXT, 300,
	                      (const uint8_t *)"\x02hi", 3);
	t->view.tai = 0x4000000012345678ULL;
	t->view.expires = true;
	memcpy(t->view.loc, "ab", 2);
	uint8_t prefix[3] = { 10, 1, 2 };
	rr_list_add_loc(list, prefix, 3, "ab");
}

static bool same(const rr_list_t *a, const rr_list_t *b)
{
	if (a->count != b->count || a->loc_count != b->loc_count) {
		return false;
	}
	for (size_t i = 0; i < a->count; i++) {
		const rr_t *x = &a->rrs[i], *y = &b->rrs[i];
		if (x->type != y->type || x->ttl != y->ttl || x->kind != y->kind ||
		    memcmp(&x->view, &y->view, sizeof(x->view)) != 0 || x->rdlen != y->rdlen ||
		    !knot_dname_is_equal(rr_owner(a, x), rr_owner(b, y)) ||
		    memcmp(rr_rdata(a, x), rr_rdata(b, y), x->rdlen) != 0) {
			return false;
		}
	}
	return memcmp(a->locs[0].prefix, b->locs[0].prefix, 4) == 0 &&
	       a->locs[0].len == b->locs[0].len && memcmp(a->locs[0].loc, "ab", 2) == 0;
}

static long file_size(const char *path)
{
	FILE *f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fclose(f);
	return len;
}

static void poke(const char *path, long offset, uint8_t xor)
{
	FILE *f = fopen(path, "r+b");
	fseek(f, offset, SEEK_SET);
	int c = fgetc(f);
	fseek(f, offset, SEEK_SET);
	fputc(c ^ xor, f);
	fclose(f);
}

int main(void)
{
	char dir[] = "/tmp/test_snapshot.XXXXXX";
	if (mkdtemp(dir) == NULL) {
		return 1;
	}
	char path[256];
	snprintf(path, sizeof(path), "%s/snap", dir);

	rr_list_t list, back;
	sample(&list);
	uint32_t serial = 0;
	int64_t mtime = 0;
	bool other = true;
	char why[128];
	ok(snapshot_read(path, CLUSTER, &other, &back, &serial, &mtime, why, sizeof(why)) ==
	   KNOT_ENOENT, "no file: ENOENT");
	size_t written;
	ok(snapshot_write(path, CLUSTER, rr_list_emit, &list, 77, &written) == KNOT_EOK &&
	   written == list.count, "written (%zu records)", written);
	ok(snapshot_read(path, CLUSTER, &other, &back, &serial, &mtime, why, sizeof(why)) ==
	   KNOT_EOK && serial == 77 && !other, "read back with its serial");
	ok(same(&list, &back), "the same records, views and locations");
	rr_list_clear(&back);

	long len = file_size(path);
	for (long off = 0; off < len; off += 7) {
		ok(snapshot_write(path, CLUSTER, rr_list_emit, &list, 77, &written) == KNOT_EOK,
		   "rewritten");
		poke(path, off, 0x20);
		int ret = snapshot_read(path, CLUSTER, &other, &back, &serial, &mtime, why,
		                        sizeof(why));
		ok(ret == KNOT_EMALF && back.count == 0,
		   "a byte changed at %ld: refused whole (%s)", off, why);
	}
	snapshot_write(path, CLUSTER, rr_list_emit, &list, 77, &written);
	if (truncate(path, len - 5) == 0) {
		ok(snapshot_read(path, CLUSTER, &other, &back, &serial, &mtime, why,
		                 sizeof(why)) == KNOT_EMALF && strstr(why, "truncated") != NULL,
		   "truncated: refused (%s)", why);
	}
	snapshot_write(path, "http://other:9001", rr_list_emit, &list, 77, &written);
	ok(snapshot_read(path, CLUSTER, &other, &back, &serial, &mtime, why, sizeof(why)) ==
	   KNOT_EOK && other && back.count == list.count,
	   "written with another cluster name: read, and told");
	rr_list_clear(&back);
	FILE *f = fopen(path, "w");
	fputs("{\"not\": \"a snapshot\"}\n", f);
	fclose(f);
	ok(snapshot_read(path, CLUSTER, &other, &back, &serial, &mtime, why, sizeof(why)) ==
	   KNOT_EMALF && strstr(why, "not a mod-lain snapshot") != NULL,
	   "foreign file refused (%s)", why);

	rr_list_clear(&list);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
