/*!
 * \file
 * \brief tinydns-data lines -> records (djbdns 1.05 + Debian's S line).
 *
 * Follows tinydns-data.c: every line is split into 15 fields, read by
 * tinydata_field.c (names with dns_domain_fromdot()'s rules, numbers with
 * scan_ulong()'s, addresses with ip4_scan()'s). Each line type's handler opens
 * the same way (line_open: owner, ttl, timestamp, location); all names of a
 * line are read before any record is made, so a bad line adds nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinydata.h"
#include "tinydata_field.h"

#define TTL_NS       259200 /*!< Default TTL of '.' and '&' records. */
#define TTL_POSITIVE 86400  /*!< Default TTL of all other records. */
#define TTL_NEGATIVE 2560   /*!< Default TTL of an SOA. */
#define TXT_CHUNK    127    /*!< tinydns' TXT character-string size. */
#define LINE_SKIP    1      /*!< Handler result: a bad line, the reason is set. */
#define RDATA_NAMES  600    /*!< Room for rdata made of names (SOA at most). */

/*! \brief Refresh, retry, expire, minimum of a default SOA (§2.1). */
static const uint32_t soa_defaults[4] = { 16384, 2048, 1048576, 2560 };

/*! \brief The line being read. */
typedef struct {
	tinydata_ctx_t *ctx;    /*!< Reading context. */
	rr_list_t *out;         /*!< List to append to. */
	char type;              /*!< First byte. */
	tinydata_field_t f[FIELDS_MAX];  /*!< Fields after the first byte. */
	const char *reason;     /*!< Why the line is skipped. */
	char reason_buf[64];    /*!< Storage for a formatted reason. */
} line_t;

/*! \brief What all records of one line share. */
typedef struct {
	uint64_t ttl_raw; /*!< The ttl field as scanned (or its default), before mod 2^32. */
	uint32_t ttl;     /*!< TTL of the records. */
	rr_view_t view;   /*!< Timestamp and location. */
} meta_t;

/*! \brief Rdata made of numbers and names. */
typedef struct {
	uint8_t buf[RDATA_NAMES];
	size_t len;
} rdata_t;

/*! \brief Marks the line bad; returns LINE_SKIP. */
static int skip(line_t *l, const char *reason)
{
	l->reason = reason;
	return LINE_SKIP;
}

/*!
 * \brief The opening step of every record line: reads the owner (the first
 *        field), then the ttl field at index meta_at (ttl_default when it has no
 *        digit) and the timestamp and location fields after it.
 * \return NULL, or why the owner is bad.
 */
static const char *line_open(const line_t *l, tinydata_name_t *fqdn, meta_t *m, int meta_at,
                             uint32_t ttl_default)
{
	memset(m, 0, sizeof(*m));
	m->ttl_raw = tinydata_field_num(&l->f[meta_at], ttl_default);
	m->ttl = (uint32_t)m->ttl_raw;
	m->view.tai = tinydata_tai(&l->f[meta_at + 1]);
	m->view.expires = m->view.tai != 0 && m->ttl == 0;
	tinydata_loc(m->view.loc, &l->f[meta_at + 2]);
	return tinydata_name(fqdn, &l->f[0], 1);
}

/*! \brief Appends a 16-bit number, network order. */
static void rd_u16(rdata_t *rd, uint16_t v)
{
	rd->buf[rd->len++] = v >> 8;
	rd->buf[rd->len++] = v & 0xff;
}

/*! \brief Appends a 32-bit number, network order. */
static void rd_u32(rdata_t *rd, uint32_t v)
{
	rd_u16(rd, v >> 16);
	rd_u16(rd, v & 0xffff);
}

/*! \brief Appends bytes (a wire name). */
static void rd_bytes(rdata_t *rd, const void *data, size_t len)
{
	memcpy(rd->buf + rd->len, data, len);
	rd->len += len;
}

/*! \brief Appends one record of the line. */
static int emit(line_t *l, const meta_t *m, const tinydata_name_t *owner, uint16_t type,
                uint32_t ttl, const uint8_t *rdata, size_t rdlen, uint8_t flags)
{
	rr_t *rr = rr_list_add(l->out, owner->wire, type, ttl, rdata, (uint16_t)rdlen);
	if (rr == NULL) {
		return KNOT_ENOMEM;
	}
	rr->kind = l->ctx->kind;
	rr->flags = flags | l->ctx->flags;
	rr->view = m->view;
	return KNOT_EOK;
}

/*! \brief Appends the A record of a line when ip parses. */
static int emit_a(line_t *l, const meta_t *m, const tinydata_name_t *owner,
                  const tinydata_field_t *ip)
{
	uint8_t addr[4];
	if (!tinydata_ip(ip, addr)) {
		return KNOT_EOK;
	}
	return emit(l, m, owner, KNOT_RRTYPE_A, m->ttl, addr, sizeof(addr), 0);
}

/*! \brief Cuts text into 127-byte character-strings; returns the rdata length. */
static size_t txt_chunks(const uint8_t *text, size_t len, uint8_t *out)
{
	size_t pos = 0;
	for (size_t i = 0; i < len; i += TXT_CHUNK) {
		size_t k = len - i < TXT_CHUNK ? len - i : TXT_CHUNK;
		out[pos++] = (uint8_t)k;
		memcpy(out + pos, text + i, k);
		pos += k;
	}
	return pos;
}

/*!
 * \brief Appends the record whose rdata is an escaped field: a TXT's text
 *        (txt: cut into character-strings) or a ':' line's bytes (checked to
 *        have their type's shape).
 *
 * The rdata's length is counted first and the line refused before anything is
 * allocated when it would not fit in a record.
 */
static int emit_escaped(line_t *l, const meta_t *m, const tinydata_name_t *owner,
                        uint16_t type, const tinydata_field_t *s, bool txt)
{
	size_t len = tinydata_unescape(s, NULL);
	size_t rdlen = txt ? len + (len + TXT_CHUNK - 1) / TXT_CHUNK : len;
	if (rdlen > RR_RDATA_MAX) {
		return skip(l, "rdata longer than 65535 bytes");
	}
	uint8_t *buf = malloc(len + 1 + (txt ? rdlen : 0));
	if (buf == NULL) {
		return KNOT_ENOMEM;
	}
	uint8_t *rdata = txt ? buf + len + 1 : buf;
	if (txt) {
		txt_chunks(buf, tinydata_unescape(s, buf), rdata);
	} else {
		(void)tinydata_unescape(s, buf);
	}
	int ret;
	if (!txt && rr_rdata_check(type, rdata, (uint16_t)rdlen) != KNOT_EOK) {
		// tinydns serves any bytes; Knot cannot write rdata that does not have
		// its type's shape (a 3-byte A, a SRV without a target name): every
		// answer at the name would fail, so the line is bad here.
		snprintf(l->reason_buf, sizeof(l->reason_buf),
		         "rdata malformed for type %u", type);
		ret = skip(l, l->reason_buf);
	} else {
		ret = emit(l, m, owner, type, m->ttl, rdata, rdlen, 0);
	}
	free(buf);
	return ret;
}

/*! \brief '.' and '&': fqdn:ip:x:ttl:timestamp:lo (§2.1, §2.2). */
static int line_ns(line_t *l)
{
	tinydata_name_t fqdn, x;
	meta_t m;
	const char *err = line_open(l, &fqdn, &m, 3, TTL_NS);
	if (err == NULL) {
		err = tinydata_target(&x, &l->f[2], ".ns.", &l->f[0]);
	}
	if (err != NULL) {
		return skip(l, err);
	}

	if (l->type == '.') {
		static const uint8_t hostmaster[] = "\x0a" "hostmaster";
		if (fqdn.len + sizeof(hostmaster) - 1 > KNOT_DNAME_MAXLEN) {
			return skip(l, "hostmaster name longer than 255 bytes");
		}
		rdata_t rd = { .len = 0 };
		rd_bytes(&rd, x.wire, x.len);
		rd_bytes(&rd, hostmaster, sizeof(hostmaster) - 1);
		rd_bytes(&rd, fqdn.wire, fqdn.len);
		rd_u32(&rd, 0); // serial: set by the table
		for (int i = 0; i < 4; i++) {
			rd_u32(&rd, soa_defaults[i]);
		}
		// tinydns: ttl ? TTL_NEGATIVE : 0, on the unwrapped ttl.
		uint32_t soa_ttl = m.ttl_raw != 0 ? TTL_NEGATIVE : 0;
		int ret = emit(l, &m, &fqdn, KNOT_RRTYPE_SOA, soa_ttl, rd.buf, rd.len,
		               RR_FLAG_AUTO_SERIAL);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}

	int ret = emit(l, &m, &fqdn, KNOT_RRTYPE_NS, m.ttl, x.wire, x.len, 0);
	if (ret != KNOT_EOK) {
		return ret;
	}
	return emit_a(l, &m, &x, &l->f[1]);
}

/*! \brief '+' and '=': fqdn:ip:ttl:timestamp:lo (§2.3). */
static int line_addr(line_t *l)
{
	tinydata_name_t fqdn;
	meta_t m;
	const char *err = line_open(l, &fqdn, &m, 2, TTL_POSITIVE);
	if (err != NULL) {
		return skip(l, err);
	}

	uint8_t ip[4];
	if (!tinydata_ip(&l->f[1], ip)) {
		return KNOT_EOK;
	}
	int ret = emit(l, &m, &fqdn, KNOT_RRTYPE_A, m.ttl, ip, sizeof(ip), 0);
	if (ret != KNOT_EOK || l->type != '=') {
		return ret;
	}
	tinydata_name_t ptr;
	rr_ptr_owner(ptr.wire, ip);
	return emit(l, &m, &ptr, KNOT_RRTYPE_PTR, m.ttl, fqdn.wire, fqdn.len, 0);
}

/*! \brief '@': fqdn:ip:x:dist:ttl:timestamp:lo (§2.4). */
static int line_mx(line_t *l)
{
	tinydata_name_t fqdn, x;
	meta_t m;
	const char *err = line_open(l, &fqdn, &m, 4, TTL_POSITIVE);
	if (err == NULL) {
		err = tinydata_target(&x, &l->f[2], ".mx.", &l->f[0]);
	}
	if (err != NULL) {
		return skip(l, err);
	}

	rdata_t rd = { .len = 0 };
	rd_u16(&rd, (uint16_t)tinydata_field_num(&l->f[3], 0));
	rd_bytes(&rd, x.wire, x.len);
	int ret = emit(l, &m, &fqdn, KNOT_RRTYPE_MX, m.ttl, rd.buf, rd.len, 0);
	if (ret != KNOT_EOK) {
		return ret;
	}
	return emit_a(l, &m, &x, &l->f[1]);
}

/*! \brief '\'': fqdn:s:ttl:timestamp:lo (§2.5). */
static int line_txt(line_t *l)
{
	tinydata_name_t fqdn;
	meta_t m;
	const char *err = line_open(l, &fqdn, &m, 2, TTL_POSITIVE);
	if (err != NULL) {
		return skip(l, err);
	}
	return emit_escaped(l, &m, &fqdn, KNOT_RRTYPE_TXT, &l->f[1], true);
}

/*! \brief '^' and 'C': fqdn:p:ttl:timestamp:lo (§2.6). */
static int line_ptr(line_t *l)
{
	tinydata_name_t fqdn, p;
	meta_t m;
	const char *err = line_open(l, &fqdn, &m, 2, TTL_POSITIVE);
	if (err == NULL) {
		err = tinydata_name(&p, &l->f[1], 1);
	}
	if (err != NULL) {
		return skip(l, err);
	}
	uint16_t type = l->type == 'C' ? KNOT_RRTYPE_CNAME : KNOT_RRTYPE_PTR;
	return emit(l, &m, &fqdn, type, m.ttl, p.wire, p.len, 0);
}

/*!
 * \brief 'Z': fqdn:mname:rname:ser:ref:ret:exp:min:ttl:timestamp:lo (§2.7).
 *
 * A serial with no digit is tinydns' default serial (the data file's mtime);
 * here the SOA is flagged for the table to set it, as for a '.' line.
 */
static int line_soa(line_t *l)
{
	tinydata_name_t fqdn, mname, rname;
	meta_t m;
	const char *err = line_open(l, &fqdn, &m, 8, TTL_NEGATIVE);
	if (err == NULL) {
		err = tinydata_name(&mname, &l->f[1], 1);
	}
	if (err == NULL) {
		err = tinydata_name(&rname, &l->f[2], 1);
	}
	if (err != NULL) {
		return skip(l, err);
	}

	rdata_t rd = { .len = 0 };
	rd_bytes(&rd, mname.wire, mname.len);
	rd_bytes(&rd, rname.wire, rname.len);
	uint64_t serial;
	uint8_t flags = 0;
	if (tinydata_scan_num(l->f[3].s, l->f[3].len, &serial) == 0) {
		flags = RR_FLAG_AUTO_SERIAL;
	}
	rd_u32(&rd, (uint32_t)serial);
	for (int i = 0; i < 4; i++) {
		rd_u32(&rd, (uint32_t)tinydata_field_num(&l->f[4 + i], soa_defaults[i]));
	}
	return emit(l, &m, &fqdn, KNOT_RRTYPE_SOA, m.ttl, rd.buf, rd.len, flags);
}

/*! \brief Types a ':' line may not make (tinydns-data's list). */
static bool type_prohibited(uint16_t type)
{
	switch (type) {
	case 0:
	case KNOT_RRTYPE_NS:
	case KNOT_RRTYPE_CNAME:
	case KNOT_RRTYPE_SOA:
	case KNOT_RRTYPE_PTR:
	case KNOT_RRTYPE_MX:
	case KNOT_RRTYPE_AXFR:
		return true;
	default:
		return false;
	}
}

/*! \brief ':': fqdn:n:rdata:ttl:timestamp:lo (§2.8). */
static int line_generic(line_t *l)
{
	tinydata_name_t fqdn;
	meta_t m;
	const char *err = line_open(l, &fqdn, &m, 3, TTL_POSITIVE);
	if (err != NULL) {
		return skip(l, err);
	}
	uint64_t n;
	(void)tinydata_scan_num(l->f[1].s, l->f[1].len, &n);
	uint16_t type = (uint16_t)n;
	if (type_prohibited(type)) {
		snprintf(l->reason_buf, sizeof(l->reason_buf), "type %u prohibited", type);
		return skip(l, l->reason_buf);
	}
	return emit_escaped(l, &m, &fqdn, type, &l->f[2], false);
}

/*! \brief 'S' (Debian): fqdn:ip:x:port:priority:weight:ttl:timestamp:lo (§2.9). */
static int line_srv(line_t *l)
{
	tinydata_name_t fqdn, x;
	meta_t m;
	const char *err = line_open(l, &fqdn, &m, 6, TTL_POSITIVE);
	if (err == NULL) {
		err = tinydata_target(&x, &l->f[2], ".srv.", &l->f[0]);
	}
	if (err != NULL) {
		return skip(l, err);
	}
	uint64_t port;
	if (tinydata_scan_num(l->f[3].s, l->f[3].len, &port) == 0) {
		return skip(l, "S line without port");
	}

	rdata_t rd = { .len = 0 };
	rd_u16(&rd, (uint16_t)tinydata_field_num(&l->f[4], 0));
	rd_u16(&rd, (uint16_t)tinydata_field_num(&l->f[5], 0));
	rd_u16(&rd, (uint16_t)port);
	rd_bytes(&rd, x.wire, x.len);
	int ret = emit(l, &m, &fqdn, KNOT_RRTYPE_SRV, m.ttl, rd.buf, rd.len, 0);
	if (ret != KNOT_EOK) {
		return ret;
	}
	return emit_a(l, &m, &x, &l->f[1]);
}

/*!
 * \brief '%': lo:ipprefix (§2.10).
 *
 * Like ipprefix_cat(): dots are skipped, each number is an octet (mod 256),
 * reading stops at any other byte. tinydns stores a longer prefix too, but
 * only looks up 0 to 4 octets: such a rule never matches and is left out.
 */
static int line_loc(line_t *l)
{
	char loc[2];
	tinydata_loc(loc, &l->f[0]);

	const tinydata_field_t *f = &l->f[1];
	uint8_t prefix[4];
	size_t count = 0;
	for (size_t i = 0; i < f->len;) {
		if (f->s[i] == '.') {
			i++;
			continue;
		}
		uint64_t v;
		size_t n = tinydata_scan_num(f->s + i, f->len - i, &v);
		if (n == 0) {
			break;
		}
		if (count < sizeof(prefix)) {
			prefix[count] = (uint8_t)v;
		}
		count++;
		i += n;
	}
	if (count > sizeof(prefix)) {
		return KNOT_EOK;
	}
	return rr_list_add_loc(l->out, prefix, (uint8_t)count, loc);
}

/*! \brief Reports an unknown first byte, escaped when not printable. */
static int line_unknown(line_t *l)
{
	uint8_t c = (uint8_t)l->type;
	if (c >= 0x20 && c < 0x7f) {
		snprintf(l->reason_buf, sizeof(l->reason_buf),
		         "unrecognized leading character '%c'", c);
	} else {
		snprintf(l->reason_buf, sizeof(l->reason_buf),
		         "unrecognized leading character '\\%03o'", c);
	}
	return skip(l, l->reason_buf);
}

/*! \brief Reads the line by its first byte. */
static int line_dispatch(line_t *l)
{
	switch (l->type) {
	case '.':
	case '&':
		return line_ns(l);
	case '=':
	case '+':
		return line_addr(l);
	case '@':
		return line_mx(l);
	case '\'':
		return line_txt(l);
	case '^':
	case 'C':
		return line_ptr(l);
	case 'Z':
		return line_soa(l);
	case ':':
		return line_generic(l);
	case 'S':
		return line_srv(l);
	case '%':
		return line_loc(l);
	default:
		return line_unknown(l);
	}
}

int tinydata_line(tinydata_ctx_t *ctx, rr_list_t *out, const char *line, size_t len,
                  unsigned lineno)
{
	// Only space, tab and LF are stripped; CR stays (§1.1).
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' ||
	                   line[len - 1] == '\n')) {
		len--;
	}
	if (len == 0 || line[0] == '#' || line[0] == '-') {
		return KNOT_EOK;
	}

	line_t l = { .ctx = ctx, .out = out, .type = line[0] };
	tinydata_split(l.f, line + 1, len - 1);

	size_t count = out->count, data_len = out->len, loc_count = out->loc_count;
	int ret = line_dispatch(&l);
	if (ret == KNOT_EOK) {
		return KNOT_EOK;
	}
	// Nothing of a failed line stays in the list.
	out->count = count;
	out->len = data_len;
	out->loc_count = loc_count;
	if (ret != LINE_SKIP) {
		return ret;
	}
	ctx->skipped++;
	if (ctx->log != NULL) {
		ctx->log(ctx->log_arg, ctx->source, lineno, l.reason);
	}
	return KNOT_EOK;
}

int tinydata_text(tinydata_ctx_t *ctx, rr_list_t *out, const char *text, size_t len)
{
	unsigned lineno = 0;
	size_t pos = 0;
	while (pos < len) {
		const char *lf = memchr(text + pos, '\n', len - pos);
		size_t k = lf != NULL ? (size_t)(lf - (text + pos)) : len - pos;
		int ret = tinydata_line(ctx, out, text + pos, k, ++lineno);
		if (ret != KNOT_EOK) {
			return ret;
		}
		pos += k + 1;
	}
	return KNOT_EOK;
}
