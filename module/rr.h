/*!
 * \file
 * \brief Records: the one currency between the readers (lainlet documents,
 *        tinydns-data lines) and the table.
 *
 * A reader appends records to an rr_list_t; the table is built from one list.
 * Owners are lowercase wire-format names; a wildcard owner starts with the
 * label '*'. Rdata is uncompressed wire format, names in it keep their case.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

/*! \brief Largest rdata a record may hold. */
#define RR_RDATA_MAX 65535

/*! \brief Who may see a record; all zero = everyone, always. */
typedef struct {
	uint64_t tai;    /*!< TAI64 label of the timestamp, 0 = none. */
	uint32_t node;   /*!< Only for clients on this IPv4 node (network order), 0 = any. */
	char loc[2];     /*!< tinydns location code, both bytes 0 = none. */
	bool expires;    /*!< With tai: true = visible until tai, false = from tai on. */
} rr_view_t;

/*! \brief The view of records everyone sees, always (all zero). */
extern const rr_view_t rr_view_all;

/*! \brief True when a view lets everyone see, always. */
static inline bool rr_view_is_all(const rr_view_t *view)
{
	return view->tai == 0 && view->node == 0 && view->loc[0] == 0 && view->loc[1] == 0;
}

/*! \brief One resource record in a list. */
typedef struct {
	uint32_t owner;  /*!< Offset of the owner name in the list's data. */
	uint32_t rdata;  /*!< Offset of the rdata in the list's data, right after the owner. */
	uint16_t rdlen;  /*!< Rdata length. */
	uint16_t type;   /*!< RR type. */
	uint32_t ttl;    /*!< TTL in seconds. */
	uint32_t seq;    /*!< Order of appearance (file order for tinydns lines). */
	uint8_t kind;    /*!< What made it (enum rr_kind), for answer counters. */
	uint8_t flags;   /*!< RR_FLAG_*. */
	rr_view_t view;  /*!< Visibility filter. */
} rr_t;

/*! \brief Record flags. */
enum rr_flag {
	RR_FLAG_AUTO_SERIAL = 1 << 0, /*!< SOA whose serial the table sets (publish time). */
	RR_FLAG_TINYDNS     = 1 << 1, /*!< From tinydns_fqdns, not the data file (both are
	                                   RR_KIND_STATIC): what its mass-drop guard counts. */
};

/*! \brief A client location rule (tinydns-data '%' line). */
typedef struct {
	uint8_t prefix[4]; /*!< Address prefix octets. */
	uint8_t len;       /*!< Prefix length in octets, 0..4. */
	char loc[2];       /*!< Location code; both 0 = "no location". */
	uint32_t seq;      /*!< Order of appearance (first of equal prefixes wins). */
} rr_loc_t;

/*! \brief What made a record; answers are counted by kind. */
enum rr_kind {
	RR_KIND_STATIC = 0, /*!< An operator's tinydns-data line. */
	RR_KIND_PROC,       /*!< <proc>-<n>.<app>.lain and its PTR. */
	RR_KIND_APP,        /*!< <app>.lain, the web router. */
	RR_KIND_PORTAL,     /*!< <service>.<app>.lain, per node. */
	RR_KIND_DEFAULT,    /*!< A default line made from domain / dns_ip. */
	RR_KIND_COUNT
};

/*! \brief A growable list of records with their names and rdata. */
typedef struct {
	rr_t *rrs;        /*!< The records. */
	size_t count;     /*!< Records in use. */
	size_t cap;       /*!< Records allocated. */
	uint8_t *data;    /*!< Owner names and rdata. */
	size_t len;       /*!< Bytes of data in use. */
	size_t data_cap;  /*!< Bytes of data allocated. */
	rr_loc_t *locs;   /*!< Client location rules. */
	size_t loc_count; /*!< Rules in use. */
	size_t loc_cap;   /*!< Rules allocated. */
} rr_list_t;

/*! \brief One record handed to a sink; pointers are valid during the call only. */
typedef struct {
	const knot_dname_t *owner; /*!< Lowercase wire-format owner. */
	const uint8_t *rdata;      /*!< Rdata (uncompressed wire format). */
	uint16_t rdlen;            /*!< Rdata length. */
	uint16_t type;             /*!< RR type. */
	uint32_t ttl;              /*!< TTL. */
	uint8_t kind;              /*!< RR_KIND_*. */
	uint8_t flags;             /*!< RR_FLAG_*. */
	const rr_view_t *view;     /*!< Who may see it. */
} rr_rec_t;

/*!
 * \brief Where records go: a list, or a table being built. Records come in
 *        their order of appearance (file order for tinydns lines).
 */
typedef struct rr_sink {
	int (*add)(struct rr_sink *sink, const rr_rec_t *rec);      /*!< One record. */
	int (*add_loc)(struct rr_sink *sink, const rr_loc_t *loc);  /*!< One '%' rule. */
} rr_sink_t;

/*!
 * \brief Hands a set of records to a sink: the same records in the same order
 *        every call (a table build calls it twice).
 * \return KNOT_EOK or the sink's error.
 */
typedef int (*rr_emit_f)(const void *src, rr_sink_t *sink);

/*! \brief A sink appending to a list. */
typedef struct {
	rr_sink_t sink;     /*!< The sink (first: a rr_sink_t * is a rr_list_sink_t *). */
	rr_list_t *list;    /*!< Where records go. */
} rr_list_sink_t;

/*! \brief Makes a sink appending to the list. */
rr_list_sink_t rr_list_sink(rr_list_t *list);

/*! \brief Emits every record and rule of a list (an rr_emit_f over an rr_list_t). */
int rr_list_emit(const void *list, rr_sink_t *sink);

/*! \brief Initialises an empty list. */
void rr_list_init(rr_list_t *list);

/*! \brief Frees what the list holds (not the list itself) and empties it. */
void rr_list_clear(rr_list_t *list);

/*! \brief Gives back what the list's arrays grew past their use. */
void rr_list_shrink(rr_list_t *list);

/*!
 * \brief Appends a record, copying owner and rdata.
 *
 * \param list   List.
 * \param owner  Owner, wire format (lowercased on the copy).
 * \param type   RR type.
 * \param ttl    TTL.
 * \param rdata  Rdata (may be NULL when rdlen is 0).
 * \param rdlen  Rdata length.
 *
 * \return The new record (to set view, kind), NULL when out of memory.
 */
rr_t *rr_list_add(rr_list_t *list, const knot_dname_t *owner, uint16_t type,
                  uint32_t ttl, const uint8_t *rdata, uint16_t rdlen);

/*! \brief Appends a location rule; KNOT_EOK or KNOT_ENOMEM. */
int rr_list_add_loc(rr_list_t *list, const uint8_t *prefix, uint8_t len, const char loc[2]);

/*! \brief Bytes the list holds (allocated). */
size_t rr_list_bytes(const rr_list_t *list);


/*! \brief The owner of a record in a list. */
static inline const knot_dname_t *rr_owner(const rr_list_t *list, const rr_t *rr)
{
	return list->data + rr->owner;
}

/*! \brief The rdata of a record in a list. */
static inline const uint8_t *rr_rdata(const rr_list_t *list, const rr_t *rr)
{
	return list->data + rr->rdata;
}

/*!
 * \brief Makes a wire-format name from a presentation name of hostname
 *        labels: letters, digits, '-' and '_', lowercased.
 *
 * \param out  Buffer of KNOT_DNAME_MAXLEN bytes.
 * \param str  Dotted name; a trailing dot is optional. Empty labels are errors.
 *
 * \return Name length, or KNOT_EINVAL (bad character, empty label),
 *         KNOT_ESPACE (label over 63, name over 255 bytes).
 */
int rr_hostname(uint8_t *out, const char *str);

/*!
 * \brief Appends a reversed IPv4 PTR owner (d.c.b.a.in-addr.arpa).
 *
 * \param out   Buffer of KNOT_DNAME_MAXLEN bytes.
 * \param ip4   Address, network order (4 bytes).
 */
void rr_ptr_owner(uint8_t *out, const uint8_t ip4[4]);

/*!
 * \brief Checks that rdata has the shape its type's descriptor says (names
 *        well-formed and uncompressed, fixed fields present), so writing it
 *        to a packet never reads past its end.
 *
 * \return KNOT_EOK or KNOT_EMALF.
 */
int rr_rdata_check(uint16_t type, const uint8_t *rdata, uint16_t rdlen);
