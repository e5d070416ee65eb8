/*!
 * \file
 * \brief The fields of a tinydns-data line: splitting, numbers, addresses,
 *        timestamps, locations, escapes and names, read as tinydns-data reads them.
 */
#include <string.h>

#include "tinydata_field.h"

#define SYM_ESCAPED  0x100  /*!< Flag of a byte written as an escape. */

/*! \brief Reads leading decimal digits, wrapping mod 2^64 like scan_ulong().
 *  \return The number of digits (0: none, val is then 0). */
size_t tinydata_scan_num(const char *s, size_t len, uint64_t *val)
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
uint64_t tinydata_field_num(const tinydata_field_t *f, uint64_t dflt)
{
	uint64_t v;
	return tinydata_scan_num(f->s, f->len, &v) > 0 ? v : dflt;
}

/*! \brief Reads "n.n.n.n" like ip4_scan(): octets mod 256, anything after ignored.
 *  \return false when the field does not start with four dotted numbers. */
bool tinydata_ip(const tinydata_field_t *f, uint8_t ip[4])
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
		size_t n = tinydata_scan_num(s, len, &v);
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
uint64_t tinydata_tai(const tinydata_field_t *f)
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
void tinydata_loc(char loc[2], const tinydata_field_t *f)
{
	loc[0] = f->len > 0 ? f->s[0] : '\0';
	loc[1] = f->len > 1 ? f->s[1] : '\0';
}

/*! \brief Decoder of \ooo and \c escapes, fed one byte at a time. */
typedef struct {
	bool backslash;   /*!< The previous byte was an unused '\'. */
	uint8_t digits;   /*!< Octal digits read so far (0-2) of a pending escape. */
	uint8_t val;      /*!< Their value, mod 256. */
} unesc_t;

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
size_t tinydata_unescape(const tinydata_field_t *f, uint8_t *out)
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
static void name_close_label(tinydata_name_t *n)
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
static void name_add(tinydata_name_t *n, int sym)
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
const char *tinydata_name(tinydata_name_t *n, const tinydata_field_t *parts, size_t count)
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
const char *tinydata_target(tinydata_name_t *n, const tinydata_field_t *x, const char *infix,
                            const tinydata_field_t *fqdn)
{
	if (memchr(x->s, '.', x->len) != NULL) {
		return tinydata_name(n, x, 1);
	}
	tinydata_field_t parts[3] = { *x, { infix, strlen(infix) }, *fqdn };
	return tinydata_name(n, parts, 3);
}

/*! \brief Splits the text after the first byte on every ':' (missing fields are ""). */
void tinydata_split(tinydata_field_t f[FIELDS_MAX], const char *s, size_t len)
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

