/*!
 * \file
 * \brief Snapshots: round trip, corrupt or foreign files refused whole, hostile
 *        paths (a link or a hard link planted at the temporary name, a FIFO or a
 *        directory at the path) and write errors told by their real reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
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


static bool file_is(const char *path, const char *text)
{
	char buf[64] = "";
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		return false;
	}
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strcmp(buf, text) == 0;
}

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	fputs(text, f);
	fclose(f);
}

/*! \brief True when path holds a good snapshot of list. */
static bool good_snapshot(const char *path, const rr_list_t *list)
{
	rr_list_t back;
	uint32_t serial = 0;
	int64_t mtime = 0;
	bool other = false;
	char why[128];
	bool good = snapshot_read(path, CLUSTER, &other, &back, &serial, &mtime, why,
	                          sizeof(why)) == KNOT_EOK && same(list, &back);
	rr_list_clear(&back);
	return good;
}

/*!
 * \brief A link or a hard link planted at the temporary name: the file it names
 *        is left alone, the snapshot is written all the same.
 */
static void test_planted_tmp(const char *dir, const rr_list_t *list)
{
	char path[256], tmp[256], victim[256];
	snprintf(path, sizeof(path), "%s/planted", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	size_t written;
	const char *kinds[] = { "a symbolic link", "a hard link", "a stale file" };
	for (int i = 0; i < 3; i++) {
		put_file(victim, "precious\n");
		unlink(tmp);
		int made = i == 0 ? symlink(victim, tmp) : i == 1 ? link(victim, tmp) :
		           (put_file(tmp, "stale"), 0);
		int ret = snapshot_write(path, CLUSTER, rr_list_emit, list, 78, &written);
		struct stat st;
		ok(made == 0 && ret == KNOT_EOK && file_is(victim, "precious\n") &&
		   good_snapshot(path, list) && lstat(tmp, &st) != 0,
		   "%s at <snapshot>.tmp: its target unchanged, snapshot written (%s)",
		   kinds[i], knot_strerror(ret));
	}
	unlink(victim);
	unlink(path);
}

/*!
 * \brief A FIFO or a directory at the path: refused at once (a FIFO would block
 *        open() without a writer: SIGALRM ends the test if it does), and not
 *        replaced by a write.
 */
static void test_not_regular(const char *dir, const rr_list_t *list)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/special", dir);
	rr_list_t back;
	uint32_t serial = 0;
	int64_t mtime = 0;
	bool other = false;
	char why[128] = "";
	size_t written;
	struct stat st;
	alarm(10);
	for (int i = 0; i < 2; i++) {
		const char *what = i == 0 ? "a FIFO" : "a directory";
		int made = i == 0 ? mkfifo(path, 0600) : mkdir(path, 0700);
		int ret = snapshot_read(path, CLUSTER, &other, &back, &serial, &mtime, why,
		                        sizeof(why));
		ok(made == 0 && ret == FILE_ENOTREG && strcmp(why, "not a regular file") == 0,
		   "%s as the snapshot: read refused at once (%s)", what, why);
		ret = snapshot_write(path, CLUSTER, rr_list_emit, list, 79, &written);
		ok(ret == FILE_ENOTREG && stat(path, &st) == 0 &&
		   (i == 0 ? S_ISFIFO(st.st_mode) : S_ISDIR(st.st_mode)),
		   "%s as the snapshot: not replaced by a write (%s)", what, file_strerror(ret));
		i == 0 ? unlink(path) : rmdir(path);
	}
	alarm(0);
	// A link to a regular snapshot is read through (an operator's setup).
	char real[256];
	snprintf(real, sizeof(real), "%s/real", dir);
	snapshot_write(real, CLUSTER, rr_list_emit, list, 80, &written);
	ok(symlink(real, path) == 0 && good_snapshot(path, list),
	   "a link to a regular snapshot is followed");
	unlink(path);
	unlink(real);
}

/*! \brief A file size limit: EFBIG, told as such; no temporary file left. */
static void test_efbig(const char *dir, const rr_list_t *list)
{
	char path[256], tmp[256];
	snprintf(path, sizeof(path), "%s/big", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	struct rlimit old, small;
	getrlimit(RLIMIT_FSIZE, &old);
	small = old;
	small.rlim_cur = 16;
	signal(SIGXFSZ, SIG_IGN);
	size_t written;
	int ret = setrlimit(RLIMIT_FSIZE, &small) == 0 ?
	          snapshot_write(path, CLUSTER, rr_list_emit, list, 81, &written) : KNOT_EOK;
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	ok(ret == -EFBIG && strcmp(file_strerror(ret), "File too large") == 0 &&
	   access(tmp, F_OK) != 0 && access(path, F_OK) != 0,
	   "file size limit: \"%s\", nothing left behind", file_strerror(ret));
}

/*!
 * \brief A full file system (a 4 kB tmpfs in a mount namespace of this
 *        process): ENOSPC, told as such; the previous snapshot stays.
 */
static void test_enospc(const char *dir, const rr_list_t *small)
{
	char mnt[256], path[256], tmp[256];
	snprintf(mnt, sizeof(mnt), "%s/full", dir);
	snprintf(path, sizeof(path), "%s/snap", mnt);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	mkdir(mnt, 0700);
	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", mnt, "tmpfs", 0, "size=4k") != 0) {
		ok(true, "# SKIP no mount namespace for a full file system (%s)", strerror(errno));
		rmdir(mnt);
		return;
	}
	size_t written;
	ok(snapshot_write(path, CLUSTER, rr_list_emit, small, 82, &written) == KNOT_EOK,
	   "a small snapshot fits the 4 kB file system");
	rr_list_t big;
	rr_list_init(&big);
	for (unsigned i = 0; i < 2000; i++) {
		uint8_t ip[4] = { 10, 9, i >> 8, i };
		rr_list_add(&big, (const uint8_t *)"\x03web\x04lain", KNOT_RRTYPE_A, 60, ip, 4);
	}
	int ret = snapshot_write(path, CLUSTER, rr_list_emit, &big, 83, &written);
	ok(ret == -ENOSPC && strcmp(file_strerror(ret), "No space left on device") == 0,
	   "file system full: \"%s\"", file_strerror(ret));
	ok(good_snapshot(path, small) && access(tmp, F_OK) != 0,
	   "... the previous snapshot stays, no temporary file left");
	rr_list_clear(&big);
	umount(mnt);
	rmdir(mnt);
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

	test_planted_tmp(dir, &list);
	test_not_regular(dir, &list);
	test_efbig(dir, &list);
	test_enospc(dir, &list);

	rr_list_clear(&list);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
