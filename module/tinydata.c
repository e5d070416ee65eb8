/*!
 * \file
 * \brief tinydns-data lines -> records (djbdns 1.05 + Debian's S line).
 *
 * Follows tinydns-data.c: every line is split into 15 fields, names are read
 * with dns_domain_fromdot()'s rules, numbers with scan_ulong()'s, addresses
 * with ip4_scan()'s. All names of a line are read before any record is made,
 * so a bad line adds nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinydata.h"

#define FIELDS_MAX   15     /*!< Fields tinydns-data reads after the first byte. */
#define TTL_NS       259200 /*!< Default TTL of '.' and '&' records. */
#define TTL_POSITIVE 86400  /*!< Default TTL of all other records. */
#define TTL_NEGATIVE 2560   /*!< Default TTL of an SOA. */
#define TXT_CHUNK    127    /*!< tinydns' TXT character-string size. */
#define LINE_SKIP    1      /*!< Handler result: a bad line, the reason is set. */
#define SYM_ESCAPED  0x100  /*!< Flag of a byte written as an escape. */
#define RDATA_NAMES  600    /*!< Room for rdata made of names (SOA at most). */

/*! \brief Refresh, retry, expire, minimum of a default SOA (§2.1). */
static const uint32_t soa_defaults[4] = { 16384, 2048, 1048576, 2560 };

/*! \brief A piece of a line: bytes, not NUL-terminated, never NULL. */
typedef struct {
	const char *s;
	size_t len;
} field_t;

/*! \brief The line being read. */
typedef struct {
	tinydata_ctx_t *ctx;    /*!< Reading context. */
	rr_list_t *out;         /*!< List to append to. */
	char type;              /*!< First byte. */
	field_t f[FIELDS_MAX];  /*!< Fields after the first byte. */
	const char *reason;     /*!< Why the line is skipped. */
	char reason_buf[64];    /*!< Storage for a formatted reason. */
} line_t;

/*! \brief What all records of one line share. */
typedef struct {
	uint64_t ttl_raw; /*!< The ttl field as scanned (or its default), before mod 2^32. */
	uint32_t ttl;     /*!< TTL of the records. */
	rr_view_t view;   /*!< Timestamp and location. */
} meta_t;

/*! \brief Decoder of \ooo and \c escapes, fed one byte at a time. */
typedef struct {
	bool backslash;   /*!< The previous byte was an unused '\'. */
	uint8_t digits;   /*!< Octal digits read so far (0-2) of a pending escape. */
	uint8_t val;      /*!< Their value, mod 256. */
} unesc_t;

/*! \brief A name being read from text. */
typedef struct {
	uint8_t wire[KNOT_DNAME_MAXLEN];         /*!< Finished labels, then the root. */
	size_t len;                              /*!< Bytes used in wire. */
	uint8_t label[KNOT_DNAME_MAXLABELLEN];   /*!< The label being read. */
	size_t label_len;                        /*!< Its length. */
	const char *error;                       /*!< First error, NULL if none. */
} name_t;

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

/*! \brief Reads leading decimal digits, wrapping mod 2^64 like scan_ulong().
 *  \return The number of digits (0: none, val is then 0). */
static size_t scan_num(const char *s, size_t len, uint64_t *val)
{
	uint64_t v = 0;
	size_t i = 0;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*val = v;
	return i;
}

/*! \brief A numeric field, or dflt when it has no leading digit. */
static uint64_t field_num(const field_t *f, uint64_t dflt)
{
	uint64_t v;
	return scan_num(f->s, f->len, &v) > 0 ? v : dflt;
}

/*! \brief Reads "n.n.n.n" like ip4_scan(): octets mod 256, anything after ignored.
 *  \return false when the field does not start with four dotted numbers. */
static bool ip_parse(const field_t *f, uint8_t ip[4])
{
	const char *s = f->s;
	size_t len = f->len;
	for (int i = 0; i < 4; i++) {
		if (i > 0) {
			if (len == 0 || *s != '.') {
				return false;
			}
			s++;
			len--;
		}
		uint64_t v;
		size_t n = scan_num(s, len, &v);
		if (n == 0) {
			return false;
		}
		ip[i] = (uint8_t)v;
		s += n;
		len -= n;
	}
	return true;
}

/*!
 * \brief Reads a timestamp like ttdparse(): up to 16 nibbles, left-aligned;
 *        only 0-9 and lowercase a-f count, anything else is 0.
 * \return The TAI64 label, 0 for none.
 */
static uint64_t tai_parse(const field_t *f)
{
	uint64_t tai = 0;
	for (size_t i = 0; i < 16; i++) {
		char c = i < f->len ? f->s[i] : '0';
		unsigned nibble = 0;
		if (c >= '0' && c <= '9') {
			nibble = (unsigned)(c - '0');
		} else if (c >= 'a' && c <= 'f') {
			nibble = (unsigned)(c - 'a' + 10);
		}
		tai = tai << 4 | nibble;
	}
	return tai;
}

/*! \brief A location code: the first two bytes of the field, NUL-padded. */
static void loc_parse(char loc[2], const field_t *f)
{
	loc[0] = f->len > 0 ? f->s[0] : '\0';
	loc[1] = f->len > 1 ? f->s[1] : '\0';
}

/*! \brief Reads the ttl field at index i, the timestamp and location after it. */
static void meta_parse(meta_t *m, const line_t *l, int i, uint32_t ttl_default)
{
	memset(m, 0, sizeof(*m));
	m->ttl_raw = field_num(&l->f[i], ttl_default);
	m->ttl = (uint32_t)m->ttl_raw;
	m->view.tai = tai_parse(&l->f[i + 1]);
	m->view.expires = m->view.tai != 0 && m->ttl == 0;
	loc_parse(m->view.loc, &l->f[i + 2]);
}

/*!
 * \brief Feeds one byte to the escape decoder.
 *
 * Escapes as in dns_domain_fromdot() and txtparse(): '\' and 1-3 octal digits
 * is one byte (mod 256), '\' and any other byte is that byte.
 *
 * \param u    Decoder.
 * \param c    Input byte.
 * \param sym  Decoded symbols (byte, | SYM_ESCAPED when escaped), up to two.
 *
 * \return Number of symbols written.
 */
static int unesc_feed(unesc_t *u, uint8_t c, int sym[2])
{
	int n = 0;
	bool octal = c >= '0' && c <= '7';
	if (u->digits > 0) {
		if (octal) {
			u->val = (uint8_t)(u->val * 8 + (c - '0'));
			if (++u->digits == 3) {
				sym[n++] = SYM_ESCAPED | u->val;
				u->digits = 0;
			}
			return n;
		}
		// A shorter escape ends here, c is read normally.
		sym[n++] = SYM_ESCAPED | u->val;
		u->digits = 0;
	}
	if (u->backslash) {
		u->backslash = false;
		if (octal) {
			u->val = c - '0';
			u->digits = 1;
		} else {
			sym[n++] = SYM_ESCAPED | c;
		}
		return n;
	}
	if (c == '\\') {
		u->backslash = true;
		return n;
	}
	sym[n++] = c;
	return n;
}

/*! \brief Ends the input: a pending octal escape is a byte, a lone '\' is dropped.
 *  \return Number of symbols written (0 or 1). */
static int unesc_end(unesc_t *u, int sym[1])
{
	u->backslash = false;
	if (u->digits > 0) {
		u->digits = 0;
		sym[0] = SYM_ESCAPED | u->val;
		return 1;
	}
	return 0;
}

/*!
 * \brief Unescapes a field into out (room for f->len bytes); returns the
 *        length. With out NULL, only counts (to refuse before allocating).
 */
static size_t unescape(const field_t *f, uint8_t *out)
{
	unesc_t u = { 0 };
	int sym[2];
	size_t len = 0;
	for (size_t i = 0; i < f->len; i++) {
		int n = unesc_feed(&u, (uint8_t)f->s[i], sym);
		for (int k = 0; k < n; k++, len++) {
			if (out != NULL) {
				out[len] = (uint8_t)sym[k];
			}
		}
	}
	if (unesc_end(&u, sym) > 0) {
		if (out != NULL) {
			out[len] = (uint8_t)sym[0];
		}
		len++;
	}
	return len;
}

/*! \brief Closes the label being read; an empty label is dropped. */
static void name_close_label(name_t *n)
{
	if (n->label_len == 0 || n->error != NULL) {
		return;
	}
	// Room for the length byte, the label and the root label.
	if (n->len + 1 + n->label_len + 1 > KNOT_DNAME_MAXLEN) {
		n->error = "name longer than 255 bytes";
		return;
	}
	n->wire[n->len++] = (uint8_t)n->label_len;
	memcpy(n->wire + n->len, n->label, n->label_len);
	n->len += n->label_len;
	n->label_len = 0;
}

/*! \brief Adds a decoded symbol: an unescaped dot ends a label. */
static void name_add(name_t *n, int sym)
{
	if (n->error != NULL) {
		return;
	}
	if (sym == '.') {
		name_close_label(n);
	} else if (n->label_len == KNOT_DNAME_MAXLABELLEN) {
		n->error = "label longer than 63 bytes";
	} else {
		n->label[n->label_len++] = (uint8_t)sym;
	}
}

/*!
 * \brief Reads a name written as the concatenation of parts.
 * \return NULL, or the reason the name is bad.
 */
static const char *name_parse(name_t *n, const field_t *parts, size_t count)
{
	unesc_t u = { 0 };
	int sym[2];
	n->len = 0;
	n->label_len = 0;
	n->error = NULL;
	for (size_t p = 0; p < count; p++) {
		for (size_t i = 0; i < parts[p].len; i++) {
			int k = unesc_feed(&u, (uint8_t)parts[p].s[i], sym);
			for (int j = 0; j < k; j++) {
				name_add(n, sym[j]);
			}
		}
	}
	if (unesc_end(&u, sym) > 0) {
		name_add(n, sym[0]);
	}
	name_close_label(n);
	if (n->error == NULL) {
		n->wire[n->len++] = 0;
	}
	return n->error;
}

/*!
 * \brief Expands x (§2.0): x with a dot is the name itself, else x<infix>fqdn,
 *        read as one text (so "" gives infix without its leading dot + fqdn).
 */
static const char *target_parse(name_t *n, const field_t *x, const char *infix,
                                const field_t *fqdn)
{
	if (memchr(x->s, '.', x->len) != NULL) {
		return name_parse(n, x, 1);
	}
	field_t parts[3] = { *x, { infix, strlen(infix) }, *fqdn };
	return name_parse(n, parts, 3);
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
static int emit(line_t *l, const meta_t *m, const name_t *owner, uint16_t type,
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
static int emit_a(line_t *l, const meta_t *m, const name_t *owner, const field_t *ip)
{
	uint8_t addr[4];
	if (!ip_parse(ip, addr)) {
		return KNOT_EOK;
	}
	return emit(l, m, owner, KNOT_RRTYPE_A, m->ttl, addr, sizeof(addr), 0);
}

/*! \brief '.' and '&': fqdn:ip:x:ttl:timestamp:lo (§2.1, §2.2). */
static int line_ns(line_t *l)
{
	name_t fqdn, x;
	const char *err = name_parse(&fqdn, &l->f[0], 1);
	if (err == NULL) {
		err = target_parse(&x, &l->f[2], ".ns.", &l->f[0]);
	}
	if (err != NULL) {
		return skip(l, err);
	}
	meta_t m;
	meta_parse(&m, l, 3, TTL_NS);

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
	name_t fqdn;
	const char *err = name_parse(&fqdn, &l->f[0], 1);
	if (err != NULL) {
		return skip(l, err);
	}
	meta_t m;
	meta_parse(&m, l, 2, TTL_POSITIVE);

	uint8_t ip[4];
	if (!ip_parse(&l->f[1], ip)) {
		return KNOT_EOK;
	}
	int ret = emit(l, &m, &fqdn, KNOT_RRTYPE_A, m.ttl, ip, sizeof(ip), 0);
	if (ret != KNOT_EOK || l->type != '=') {
		return ret;
	}
	name_t ptr;
	rr_ptr_owner(ptr.wire, ip);
	return emit(l, &m, &ptr, KNOT_RRTYPE_PTR, m.ttl, fqdn.wire, fqdn.len, 0);
}

/*! \brief '@': fqdn:ip:x:dist:ttl:timestamp:lo (§2.4). */
static int line_mx(line_t *l)
{
	name_t fqdn, x;
	const char *err = name_parse(&fqdn, &l->f[0], 1);
	if (err == NULL) {
		err = target_parse(&x, &l->f[2], ".mx.", &l->f[0]);
	}
	if (err != NULL) {
		return skip(l, err);
	}
	meta_t m;
	meta_parse(&m, l, 4, TTL_POSITIVE);

	rdata_t rd = { .len = 0 };
	rd_u16(&rd, (uint16_t)field_num(&l->f[3], 0));
	rd_bytes(&rd, x.wire, x.len);
	int ret = emit(l, &m, &fqdn, KNOT_RRTYPE_MX, m.ttl, rd.buf, rd.len, 0);
	if (ret != KNOT_EOK) {
		return ret;
	}
	return emit_a(l, &m, &x, &l->f[1]);
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

/*! \brief '\'': fqdn:s:ttl:timestamp:lo (§2.5). */
static int line_txt(line_t *l)
{
	name_t fqdn;
	const char *err = name_parse(&fqdn, &l->f[0], 1);
	if (err != NULL) {
		return skip(l, err);
	}
	meta_t m;
	meta_parse(&m, l, 2, TTL_POSITIVE);

	// The text unescaped (at most len bytes), then its character-strings
	// (one length byte more per 127 bytes): refused before either is made
	// when they would not fit in a record.
	const field_t *s = &l->f[1];
	size_t text_len = unescape(s, NULL);
	size_t rdlen = text_len + (text_len + TXT_CHUNK - 1) / TXT_CHUNK;
	if (rdlen > RR_RDATA_MAX) {
		return skip(l, "rdata longer than 65535 bytes");
	}
	uint8_t *text = malloc(text_len + rdlen + 1);
	if (text == NULL) {
		return KNOT_ENOMEM;
	}
	uint8_t *rdata = text + text_len + 1;
	txt_chunks(text, unescape(s, text), rdata);
	int ret = emit(l, &m, &fqdn, KNOT_RRTYPE_TXT, m.ttl, rdata, rdlen, 0);
	free(text);
	return ret;
}

/*! \brief '^' and 'C': fqdn:p:ttl:timestamp:lo (§2.6). */
static int line_ptr(line_t *l)
{
	name_t fqdn, p;
	const char *err = name_parse(&fqdn, &l->f[0], 1);
	if (err == NULL) {
		err = name_parse(&p, &l->f[1], 1);
	}
	if (err != NULL) {
		return skip(l, err);
	}
	meta_t m;
	meta_parse(&m, l, 2, TTL_POSITIVE);
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
	name_t fqdn, mname, rname;
	const char *err = name_parse(&fqdn, &l->f[0], 1);
	if (err == NULL) {
		err = name_parse(&mname, &l->f[1], 1);
	}
	if (err == NULL) {
		err = name_parse(&rname, &l->f[2], 1);
	}
	if (err != NULL) {
		return skip(l, err);
	}
	meta_t m;
	meta_parse(&m, l, 8, TTL_NEGATIVE);

	rdata_t rd = { .len = 0 };
	rd_bytes(&rd, mname.wire, mname.len);
	rd_bytes(&rd, rname.wire, rname.len);
	uint64_t serial;
	uint8_t flags = 0;
	if (scan_num(l->f[3].s, l->f[3].len, &serial) == 0) {
		flags = RR_FLAG_AUTO_SERIAL;
	}
	rd_u32(&rd, (uint32_t)serial);
	for (int i = 0; i < 4; i++) {
		rd_u32(&rd, (uint32_t)field_num(&l->f[4 + i], soa_defaults[i]));
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
	name_t fqdn;
	const char *err = name_parse(&fqdn, &l->f[0], 1);
	if (err != NULL) {
		return skip(l, err);
	}
	uint64_t n;
	(void)scan_num(l->f[1].s, l->f[1].len, &n);
	uint16_t type = (uint16_t)n;
	if (type_prohibited(type)) {
		snprintf(l->reason_buf, sizeof(l->reason_buf), "type %u prohibited", type);
		return skip(l, l->reason_buf);
	}
	meta_t m;
	meta_parse(&m, l, 3, TTL_POSITIVE);

	const field_t *s = &l->f[2];
	if (unescape(s, NULL) > RR_RDATA_MAX) {
		return skip(l, "rdata longer than 65535 bytes");
	}
	uint8_t *buf = malloc(s->len + 1);
	if (buf == NULL) {
		return KNOT_ENOMEM;
	}
	size_t rdlen = unescape(s, buf);
	int ret;
	if (rr_rdata_check(type, buf, (uint16_t)rdlen) != KNOT_EOK) {
		// tinydns serves any bytes; Knot cannot write rdata that does not have
		// its type's shape (a 3-byte A, a SRV without a target name): every
		// answer at the name would fail, so the line is bad here.
		snprintf(l->reason_buf, sizeof(l->reason_buf),
		         "rdata malformed for type %u", type);
		ret = skip(l, l->reason_buf);
	} else {
		ret = emit(l, &m, &fqdn, type, m.ttl, buf, rdlen, 0);
	}
	free(buf);
	return ret;
}

/*! \brief 'S' (Debian): fqdn:ip:x:port:priority:weight:ttl:timestamp:lo (§2.9). */
static int line_srv(line_t *l)
{
	name_t fqdn, x;
	const char *err = name_parse(&fqdn, &l->f[0], 1);
	if (err == NULL) {
		err = target_parse(&x, &l->f[2], ".srv.", &l->f[0]);
	}
	if (err != NULL) {
		return skip(l, err);
	}
	uint64_t port;
	if (scan_num(l->f[3].s, l->f[3].len, &port) == 0) {
		return skip(l, "S line without port");
	}
	meta_t m;
	meta_parse(&m, l, 6, TTL_POSITIVE);

	rdata_t rd = { .len = 0 };
	rd_u16(&rd, (uint16_t)field_num(&l->f[4], 0));
	rd_u16(&rd, (uint16_t)field_num(&l->f[5], 0));
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
	loc_parse(loc, &l->f[0]);

	const field_t *f = &l->f[1];
	uint8_t prefix[4];
	size_t count = 0;
	for (size_t i = 0; i < f->len;) {
		if (f->s[i] == '.') {
			i++;
			continue;
		}
		uint64_t v;
		size_t n = scan_num(f->s + i, f->len - i, &v);
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

/*! \brief Splits the text after the first byte on every ':' (missing fields are ""). */
static void split_fields(field_t f[FIELDS_MAX], const char *s, size_t len)
{
	size_t pos = 0;
	for (int i = 0; i < FIELDS_MAX; i++) {
		if (pos >= len) {
			f[i].s = "";
			f[i].len = 0;
			continue;
		}
		const char *colon = memchr(s + pos, ':', len - pos);
		size_t k = colon != NULL ? (size_t)(colon - (s + pos)) : len - pos;
		f[i].s = s + pos;
		f[i].len = k;
		pos += k + 1;
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
	split_fields(l.f, line + 1, len - 1);

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
