/*!
 * \file
 * \brief Last-known-good snapshots of the records.
 *
 * Format, all integers big-endian:
 *   "MODLAIN\0" magic, u32 version, u32 serial, u32 records, u32 locations,
 *   u64 payload length, u64 FNV-1a of the file without this field, then the payload:
 *   u16 length and the bytes of the cluster's name, then
 *   per record: u16 type, u32 ttl, u8 kind, u8 flags, u64 tai, u32 node,
 *   2 bytes loc, u8 expires, owner (wire name), u16 rdlen, rdata;
 *   per location rule: u8 length, 4 prefix bytes, 2 bytes loc.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot.h"

#define MAGIC "MODLAIN"   /*!< 8 bytes with the NUL. */
#define SNAPSHOT_VERSION 2
#define HEADER_LEN (8 + 4 + 4 + 4 + 4 + 8 + 8)
#define RECORD_FIXED (2 + 4 + 1 + 1 + 8 + 4 + 2 + 1)
#define LOC_LEN (1 + 4 + 2)

/*! \brief A growable byte buffer. */
typedef struct {
	uint8_t *data;
	size_t len;
	size_t cap;
	bool failed;
} buf_t;

static void put(buf_t *b, const void *data, size_t len)
{
	if (b->failed) {
		return;
	}
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len) {
			cap *= 2;
		}
		uint8_t *p = realloc(b->data, cap);
		if (p == NULL) {
			b->failed = true;
			return;
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

static void put_u8(buf_t *b, uint8_t v)
{
	put(b, &v, 1);
}

static void put_u16(buf_t *b, uint16_t v)
{
	uint8_t w[2];
	knot_wire_write_u16(w, v);
	put(b, w, 2);
}

static void put_u32(buf_t *b, uint32_t v)
{
	uint8_t w[4];
	knot_wire_write_u32(w, v);
	put(b, w, 4);
}

static void put_u64(buf_t *b, uint64_t v)
{
	uint8_t w[8];
	knot_wire_write_u64(w, v);
	put(b, w, 8);
}

/*! \brief FNV-1a of the whole file but the checksum field itself. */
static uint64_t checksum(const uint8_t *data, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++) {
		if (i >= HEADER_LEN - 8 && i < HEADER_LEN) {
			continue;
		}
		h ^= data[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*! \brief Serialises the records (payload after the header). */
static void put_payload(buf_t *b, const rr_list_t *list)
{
	for (size_t i = 0; i < list->count; i++) {
		const rr_t *rr = &list->rrs[i];
		put_u16(b, rr->type);
		put_u32(b, rr->ttl);
		put_u8(b, rr->kind);
		put_u8(b, rr->flags);
		put_u64(b, rr->view.tai);
		put(b, &rr->view.node, 4); // network order as it is
		put(b, rr->view.loc, 2);
		put_u8(b, rr->view.expires);
		const knot_dname_t *owner = rr_owner(list, rr);
		put(b, owner, knot_dname_size(owner));
		put_u16(b, rr->rdlen);
		put(b, rr_rdata(list, rr), rr->rdlen);
	}
	for (size_t i = 0; i < list->loc_count; i++) {
		const rr_loc_t *loc = &list->locs[i];
		put_u8(b, loc->len);
		put(b, loc->prefix, 4);
		put(b, loc->loc, 2);
	}
}

/*! \brief Writes all of a buffer to a file descriptor. */
static int write_all(int fd, const uint8_t *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return knot_map_errno();
		}
		data += n;
		len -= n;
	}
	return KNOT_EOK;
}

/*! \brief fsync of the directory holding path, so the rename is durable. */
static void sync_dir(const char *path)
{
	char *copy = strdup(path);
	if (copy == NULL) {
		return;
	}
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(copy);
}

int snapshot_write(const char *path, const char *cluster, const rr_list_t *list,
                   uint32_t serial)
{
	buf_t b = { 0 };
	put(&b, MAGIC, 8);
	put_u32(&b, SNAPSHOT_VERSION);
	put_u32(&b, serial);
	put_u32(&b, list->count);
	put_u32(&b, list->loc_count);
	put_u64(&b, 0); // payload length, set below
	put_u64(&b, 0); // checksum, set below
	size_t id_len = strnlen(cluster, UINT16_MAX);
	put_u16(&b, id_len);
	put(&b, cluster, id_len);
	put_payload(&b, list);
	if (b.failed) {
		free(b.data);
		return KNOT_ENOMEM;
	}
	knot_wire_write_u64(b.data + 24, b.len - HEADER_LEN);
	knot_wire_write_u64(b.data + 32, checksum(b.data, b.len));

	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		free(b.data);
		return KNOT_ERANGE;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	int ret = fd < 0 ? knot_map_errno() : write_all(fd, b.data, b.len);
	if (ret == KNOT_EOK && fsync(fd) != 0) {
		ret = knot_map_errno();
	}
	if (fd >= 0 && close(fd) != 0 && ret == KNOT_EOK) {
		ret = knot_map_errno();
	}
	if (ret == KNOT_EOK && rename(tmp, path) != 0) {
		ret = knot_map_errno();
	}
	if (ret != KNOT_EOK) {
		unlink(tmp);
	} else {
		sync_dir(path);
	}
	free(b.data);
	return ret;
}

/*! \brief A bounded reader over the payload. */
typedef struct {
	const uint8_t *pos;
	const uint8_t *end;
} cursor_t;

static bool take(cursor_t *c, void *out, size_t len)
{
	if ((size_t)(c->end - c->pos) < len) {
		return false;
	}
	memcpy(out, c->pos, len);
	c->pos += len;
	return true;
}

/*! \brief Reads one record into the list; false when malformed. */
static bool read_record(cursor_t *c, rr_list_t *out, bool *nomem)
{
	uint8_t fixed[RECORD_FIXED];
	if (!take(c, fixed, sizeof(fixed))) {
		return false;
	}
	int name_len = knot_dname_wire_check(c->pos, c->end, NULL);
	if (name_len <= 0) {
		return false;
	}
	const uint8_t *owner = c->pos;
	c->pos += name_len;
	uint8_t len[2];
	if (!take(c, len, 2)) {
		return false;
	}
	uint16_t rdlen = knot_wire_read_u16(len);
	uint16_t type = knot_wire_read_u16(fixed);
	if ((size_t)(c->end - c->pos) < rdlen || rr_rdata_check(type, c->pos, rdlen) != KNOT_EOK) {
		return false;
	}
	rr_t *rr = rr_list_add(out, owner, type, knot_wire_read_u32(fixed + 2), c->pos, rdlen);
	if (rr == NULL) {
		*nomem = true;
		return false;
	}
	c->pos += rdlen;
	rr->kind = fixed[6] < RR_KIND_COUNT ? fixed[6] : RR_KIND_STATIC;
	rr->flags = fixed[7];
	rr->view.tai = knot_wire_read_u64(fixed + 8);
	memcpy(&rr->view.node, fixed + 16, 4);
	memcpy(rr->view.loc, fixed + 20, 2);
	rr->view.expires = fixed[22] != 0;
	return true;
}

/*! \brief Reads the whole file into memory. */
static int read_file(const char *path, uint8_t **data, size_t *len, int64_t *mtime)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return errno == ENOENT ? KNOT_ENOENT : knot_map_errno();
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return KNOT_EMALF;
	}
	*mtime = st.st_mtime;
	*len = st.st_size;
	*data = malloc(*len + 1);
	if (*data == NULL) {
		close(fd);
		return KNOT_ENOMEM;
	}
	size_t got = 0;
	while (got < *len) {
		ssize_t n = read(fd, *data + got, *len - got);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		got += n;
	}
	close(fd);
	*len = got;
	return KNOT_EOK;
}

/*! \brief Skips the cluster's name; other = it is not this one. False if malformed. */
static bool take_cluster(cursor_t *c, const char *cluster, bool *other)
{
	uint8_t len[2];
	if (!take(c, len, 2)) {
		return false;
	}
	size_t id_len = knot_wire_read_u16(len);
	if ((size_t)(c->end - c->pos) < id_len) {
		return false;
	}
	*other = id_len != strnlen(cluster, UINT16_MAX) || memcmp(c->pos, cluster, id_len) != 0;
	c->pos += id_len;
	return true;
}

int snapshot_read(const char *path, const char *cluster, bool *other, rr_list_t *out,
                  uint32_t *serial, int64_t *mtime, char *why, size_t why_len)
{
	rr_list_init(out);
	uint8_t *data = NULL;
	size_t len = 0;
	int ret = read_file(path, &data, &len, mtime);
	if (ret != KNOT_EOK) {
		snprintf(why, why_len, "%s", knot_strerror(ret));
		return ret;
	}
	const char *bad = NULL;
	if (len < HEADER_LEN || memcmp(data, MAGIC, 8) != 0) {
		bad = "not a mod-lain snapshot";
	} else if (knot_wire_read_u32(data + 8) != SNAPSHOT_VERSION) {
		bad = "unknown snapshot version";
	} else if (knot_wire_read_u64(data + 24) != len - HEADER_LEN) {
		bad = "truncated or oversized";
	} else if (knot_wire_read_u64(data + 32) != checksum(data, len)) {
		bad = "checksum mismatch";
	}
	uint32_t records = bad == NULL ? knot_wire_read_u32(data + 16) : 0;
	uint32_t locs = bad == NULL ? knot_wire_read_u32(data + 20) : 0;
	cursor_t c = { data + HEADER_LEN, data + len };
	bool nomem = false;
	if (bad == NULL && !take_cluster(&c, cluster, other)) {
		bad = "malformed cluster name";
	}
	for (uint32_t i = 0; bad == NULL && i < records; i++) {
		if (!read_record(&c, out, &nomem)) {
			bad = nomem ? "out of memory" : "malformed record";
		}
	}
	for (uint32_t i = 0; bad == NULL && i < locs; i++) {
		uint8_t rule[LOC_LEN];
		if (!take(&c, rule, sizeof(rule)) || rule[0] > 4 ||
		    rr_list_add_loc(out, rule + 1, rule[0], (const char *)rule + 5) != KNOT_EOK) {
			bad = "malformed location rule";
		}
	}
	if (bad == NULL && c.pos != c.end) {
		bad = "trailing data";
	}
	if (bad == NULL) {
		*serial = knot_wire_read_u32(data + 12);
	}
	free(data);
	if (bad != NULL) {
		snprintf(why, why_len, "%s", bad);
		rr_list_clear(out);
		return nomem ? KNOT_ENOMEM : KNOT_EMALF;
	}
	return KNOT_EOK;
}
