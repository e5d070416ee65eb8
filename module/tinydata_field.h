/*!
 * \file
 * \brief The fields of a tinydns-data line, read with tinydns-data's rules
 *        (doc/tinydns-data.md §1): private to tinydata.c and tinydata_field.c.
 *
 * Numbers as scan_ulong() (wrapping, leading digits only), addresses as
 * ip4_scan(), names as dns_domain_fromdot() with \ooo escapes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

#define FIELDS_MAX 15 /*!< Fields tinydns-data reads after the first byte. */

/*! \brief A piece of a line: bytes, not NUL-terminated, never NULL. */
typedef struct {
	const char *s;
	size_t len;
} tinydata_field_t;

/*! \brief A name being read from text. */
typedef struct {
	uint8_t wire[KNOT_DNAME_MAXLEN];         /*!< Finished labels, then the root. */
	size_t len;                              /*!< Bytes used in wire. */
	uint8_t label[KNOT_DNAME_MAXLABELLEN];   /*!< The label being read. */
	size_t label_len;                        /*!< Its length. */
	const char *error;                       /*!< First error, NULL if none. */
} tinydata_name_t;


/*! \brief Splits the text after the first byte on every ':' (missing fields are ""). */
void tinydata_split(tinydata_field_t f[FIELDS_MAX], const char *s, size_t len);

/*! \brief Reads leading decimal digits mod 2^64; returns their count (0: none, val 0). */
size_t tinydata_scan_num(const char *s, size_t len, uint64_t *val);

/*! \brief A numeric field, or dflt when it has no leading digit. */
uint64_t tinydata_field_num(const tinydata_field_t *f, uint64_t dflt);

/*! \brief Reads "n.n.n.n"; false when the field does not start with four numbers. */
bool tinydata_ip(const tinydata_field_t *f, uint8_t ip[4]);

/*! \brief Reads a timestamp (TAI64 label, 0 for none). */
uint64_t tinydata_tai(const tinydata_field_t *f);

/*! \brief A location code: the first two bytes of the field, NUL-padded. */
void tinydata_loc(char loc[2], const tinydata_field_t *f);

/*! \brief Unescapes a field into out (room for f->len bytes, or NULL to count);
 *         returns the length. */
size_t tinydata_unescape(const tinydata_field_t *f, uint8_t *out);

/*! \brief Reads a name written as the concatenation of parts; NULL or why it is bad. */
const char *tinydata_name(tinydata_name_t *n, const tinydata_field_t *parts, size_t count);

/*! \brief Expands x: x with a dot is the name, else x<infix>fqdn; NULL or why it is bad. */
const char *tinydata_target(tinydata_name_t *n, const tinydata_field_t *x, const char *infix,
                            const tinydata_field_t *fqdn);
