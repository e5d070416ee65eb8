/*!
 * \file
 * \brief Last-known-good snapshots of the records.
 *
 * Format, all integers big-endian:
 *   "MODLAIN\0" magic, u32 version, u32 serial (what a restart starts from: the
 *   table's, or more, see watch.c), u32 records, u32 locations,
 *   u64 payload length, u64 FNV-1a of the file without this field, then the payload:
 *   u16 length and the bytes of the cluster's name, then
 *   per record: u16 type, u32 ttl, u8 kind, u8 flags, u64 tai, u32 node,
 *   2 bytes loc, u8 expires, owner (wire name), u16 rdlen, rdata
 *   (flags are RR_FLAG_*: RR_FLAG_TINYDNS tells tinydns_fqdns' records from the data
 *   file's; a snapshot of a mod-lain before it has none, which gives that source's
 *   mass-drop guard no baseline after the restart);
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

#include "file.h"
#include "hash.h"
#include "snapshot.h"

#define MAGIC "MODLAIN"   /*!< 8 bytes with the NUL. */
#define SNAPSHOT_VERSION 2
#define HEADER_LEN (8 + 4 + 4 + 4 + 4 + 8 + 8)
#define RECORD_FIXED (2 + 4 + 1 + 1 + 8 + 4 + 2 + 1)
#define LOC_LEN (1 + 4 + 2)

/*! \brief Bytes gathered before they go to the file. */
#define FLUSH_LEN (64 * 1024)

/*!
 * \brief The file being written: a small buffer, flushed to the file as it
 *        fills, and the checksum of what went out so far.
 */
typedef struct {
	int fd;                   /*!< The file. */
	uint8_t data[FLUSH_LEN];  /*!< Bytes not written yet. */
	size_t len;               /*!< Their count. */
	uint64_t offset;          /*!< File offset of data[0]. */
	uint64_t hash;            /*!< FNV-1a of the file so far but the checksum field. */
	int ret;                  /*!< First write error. */
} out_t;

/*! \brief Writes all of a buffer to a file descriptor. */
static int write_all(int fd, const uint8_t *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return file_errno();
		}
		if (n == 0) {
			return KNOT_ESPACE; // no error told, nothing written: give up
		}
		data += n;
		len -= n;
	}
	return KNOT_EOK;
}

/*!
 * \brief Goes on with the FNV-1a of a file over bytes at file offset `at`,
 *        leaving out the checksum field itself.
 */
static uint64_t checksum_step(uint64_t h, const uint8_t *data, size_t len, uint64_t at)
{
	const uint64_t field = HEADER_LEN - 8; // the checksum: bytes field..HEADER_LEN-1
	if (at < field) {
		size_t n = len < field - at ? len : field - at;
		h = fnv1a_step(h, data, n);
		data += n, len -= n, at += n;
	}
	if (at < HEADER_LEN) {
		size_t n = len < HEADER_LEN - at ? len : HEADER_LEN - at;
		data += n, len -= n;
	}
	return fnv1a_step(h, data, len);
}

/*! \brief Hashes and writes the buffered bytes. */
static void flush(out_t *o)
{
	o->hash = checksum_step(o->hash, o->data, o->len, o->offset);
	if (o->ret == KNOT_EOK) {
		o->ret = write_all(o->fd, o->data, o->len);
	}
	o->offset += o->len;
	o->len = 0;
}

static void put(out_t *o, const void *data, size_t len)
{
	const uint8_t *bytes = data;
	while (len > 0) {
		if (o->len == FLUSH_LEN) {
			flush(o);
		}
		size_t n = FLUSH_LEN - o->len < len ? FLUSH_LEN - o->len : len;
		memcpy(o->data + o->len, bytes, n);
		o->len += n;
		bytes += n;
		len -= n;
	}
}

static void put_u8(out_t *o, uint8_t v)
{
	put(o, &v, 1);
}

static void put_u16(out_t *o, uint16_t v)
{
	uint8_t w[2];
	knot_wire_write_u16(w, v);
	put(o, w, 2);
}

static void put_u32(out_t *o, uint32_t v)
{
	uint8_t w[4];
	knot_wire_write_u32(w, v);
	put(o, w, 4);
}

static void put_u64(out_t *o, uint64_t v)
{
	uint8_t w[8];
	knot_wire_write_u64(w, v);
	put(o, w, 8);
}

/*! \brief FNV-1a of the whole file but the checksum field itself. */
static uint64_t checksum(const uint8_t *data, size_t len)
{
	return checksum_step(FNV1A_START, data, len, 0);
}

/*!
 * \brief A sink for the passes of a write: counting (out NULL), then the
 *        records, then the location rules (which follow all records).
 */
typedef struct {
	rr_sink_t sink;       /*!< The sink (first member). */
	out_t *out;           /*!< Where they go; NULL when counting. */
	uint32_t records;     /*!< Records seen. */
	uint32_t locs;        /*!< Rules seen. */
	uint64_t bytes;       /*!< Their bytes in the payload. */
} pass_t;

static int pass_add(rr_sink_t *sink, const rr_rec_t *rec)
{
	pass_t *p = (pass_t *)sink;
	size_t owner_len = knot_dname_size(rec->owner);
	if (p->records == UINT32_MAX) {
		return KNOT_ERANGE;
	}
	p->records++;
	p->bytes += RECORD_FIXED + owner_len + 2 + rec->rdlen;
	if (p->out == NULL) {
		return KNOT_EOK;
	}
	out_t *o = p->out;
	put_u16(o, rec->type);
	put_u32(o, rec->ttl);
	put_u8(o, rec->kind);
	put_u8(o, rec->flags);
	put_u64(o, rec->view->tai);
	put(o, &rec->view->node, 4); // network order as it is
	put(o, rec->view->loc, 2);
	put_u8(o, rec->view->expires);
	put(o, rec->owner, owner_len);
	put_u16(o, rec->rdlen);
	put(o, rec->rdata, rec->rdlen);
	return KNOT_EOK;
}

static int pass_add_loc(rr_sink_t *sink, const rr_loc_t *loc)
{
	pass_t *p = (pass_t *)sink;
	p->locs++;
	p->bytes += LOC_LEN;
	if (p->out != NULL) {
		put_u8(p->out, loc->len);
		put(p->out, loc->prefix, 4);
		put(p->out, loc->loc, 2);
	}
	return KNOT_EOK;
}

/*! \brief Ignores what this pass does not write. */
static int pass_skip(rr_sink_t *sink, const rr_rec_t *rec)
{
	return KNOT_EOK;
}

static int pass_skip_loc(rr_sink_t *sink, const rr_loc_t *loc)
{
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

/*! \brief Writes the whole file to fd: header, then the records, then the rules. */
static int write_file(out_t *o, const char *cluster, rr_emit_f emit, const void *src,
                      uint32_t serial, size_t *written)
{
	pass_t count = { .sink = { pass_add, pass_add_loc } };
	int ret = emit(src, &count.sink);
	if (ret != KNOT_EOK) {
		return ret;
	}
	size_t id_len = strnlen(cluster, UINT16_MAX);
	put(o, MAGIC, 8);
	put_u32(o, SNAPSHOT_VERSION);
	put_u32(o, serial);
	put_u32(o, count.records);
	put_u32(o, count.locs);
	put_u64(o, 2 + id_len + count.bytes);
	put_u64(o, 0); // checksum, written last
	put_u16(o, id_len);
	put(o, cluster, id_len);
	pass_t records = { .sink = { pass_add, pass_skip_loc }, .out = o };
	pass_t locs = { .sink = { pass_skip, pass_add_loc }, .out = o };
	ret = emit(src, &records.sink);
	if (ret == KNOT_EOK) {
		ret = emit(src, &locs.sink);
	}
	flush(o);
	*written = records.records;
	if (ret == KNOT_EOK && (records.records != count.records || locs.locs != count.locs)) {
		ret = KNOT_EINVAL; // the emitter handed out other records than it counted
	}
	if (ret == KNOT_EOK && o->ret == KNOT_EOK) {
		uint8_t sum[8];
		knot_wire_write_u64(sum, o->hash);
		ssize_t n = pwrite(o->fd, sum, 8, HEADER_LEN - 8);
		if (n != 8) {
			o->ret = n < 0 ? file_errno() : KNOT_ESPACE;
		}
	}
	return ret != KNOT_EOK ? ret : o->ret;
}

/*!
 * \brief Creates the temporary file, never through a link nor into a file that
 *        exists: whatever has its name (a stale one after a crash, a planted
 *        link) is removed first. unlink() removes a link, not what it points to.
 *
 * \return The descriptor, or a negative error code.
 */
static int tmp_create(const char *tmp)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = open(tmp, flags, 0640);
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0) {
		fd = open(tmp, flags, 0640); // one retry: a name planted again is refused
	}
	return fd >= 0 ? fd : file_errno();
}

int snapshot_write(const char *path, const char *cluster, rr_emit_f emit, const void *src,
                   uint32_t serial, size_t *records)
{
	*records = 0;
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		return KNOT_ERANGE;
	}
	// What the rename would replace must be what a read accepts: a regular file.
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		return FILE_ENOTREG;
	}
	out_t *o = calloc(1, sizeof(*o));
	if (o == NULL) {
		return KNOT_ENOMEM;
	}
	o->hash = FNV1A_START;
	o->fd = tmp_create(tmp);
	int ret = o->fd < 0 ? o->fd : write_file(o, cluster, emit, src, serial, records);
	if (ret == KNOT_EOK && fsync(o->fd) != 0) {
		ret = file_errno();
	}
	if (o->fd >= 0 && close(o->fd) != 0 && ret == KNOT_EOK) {
		ret = file_errno();
	}
	if (ret == KNOT_EOK && rename(tmp, path) != 0) {
		ret = file_errno();
	}
	if (ret != KNOT_EOK && o->fd >= 0) {
		unlink(tmp);
	} else if (ret == KNOT_EOK) {
		sync_dir(path);
	}
	free(o);
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
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	int ret = file_read(path, &text, &len, &st);
	if (ret != KNOT_EOK) {
		snprintf(why, why_len, "%s", file_strerror(ret));
		return ret;
	}
	*mtime = st.st_mtime;
	const uint8_t *data = (const uint8_t *)text;
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
	free(text);
	if (bad != NULL) {
		snprintf(why, why_len, "%s", bad);
		rr_list_clear(out);
		return nomem ? KNOT_ENOMEM : KNOT_EMALF;
	}
	return KNOT_EOK;
}
