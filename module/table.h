/*!
 * \file
 * \brief The record table: records -> an immutable, lookup-optimised structure.
 *
 * A table is built once from the records an emitter hands out (rr_emit_f),
 * off the query path, and never changes after: query threads read it without
 * locks while the watcher builds the next one. Every ancestor of every owner
 * is a node (an empty non-terminal when it has no records), so a lookup is a
 * few hash probes and a walk up parent links. Lookups allocate nothing. Names,
 * rrsets and rdata are flat arrays addressed by 32-bit offsets: a name costs a
 * 16-byte node, its owner bytes and about 6 bytes of index; a rrset 16 bytes.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <libknot/libknot.h>

#include "rr.h"

/*!
 * \brief Records of one type and one view at one name: 16 bytes, offsets into
 *        the table (see table_rdataset, table_view).
 */
typedef struct {
	uint32_t rdata;         /*!< Offset of its first knot_rdata_t in the table. */
	uint32_t ttl;           /*!< TTL (that of the last record, as tinydns). */
	uint16_t count;         /*!< Records. */
	uint16_t type;          /*!< RR type. */
	uint16_t view;          /*!< Who may see it: index of a distinct view, 0 = all. */
	uint8_t kind;           /*!< What made it (RR_KIND_*). */
} table_rrset_t;

/*! \brief Node flags. */
enum table_node_flag {
	TABLE_NODE_DATA     = 1 << 0, /*!< Has records. */
	TABLE_NODE_CHILDREN = 1 << 1, /*!< Has child nodes. */
	TABLE_NODE_NS       = 1 << 2, /*!< Has NS records (some view). */
	TABLE_NODE_SOA      = 1 << 3, /*!< Has an SOA record (some view). */
	TABLE_NODE_VIEWS    = 1 << 4, /*!< Some rrset has a view filter. */
	TABLE_NODE_WILDCARD = 1 << 5, /*!< Owner's first label is '*'. */
	TABLE_NODE_HAS_WILD = 1 << 6, /*!< The name '*.<owner>' is a node. */
};

/*!
 * \brief One name of the table: 16 bytes, offsets into the table's arrays
 *        (see table_owner, table_rrset_next).
 */
typedef struct {
	uint32_t owner;        /*!< Offset of the lowercase wire-format name. */
	uint32_t rrsets;       /*!< Index of its first rrset (sorted by type). */
	int32_t parent;        /*!< Index of the parent node, -1 for the root. */
	uint16_t rrset_count;  /*!< Number of rrsets. */
	uint8_t owner_len;     /*!< Owner length in bytes. */
	uint8_t flags;         /*!< TABLE_NODE_*. */
} table_node_t;

/*! \brief Who is asking and when: decides which records are visible. */
typedef struct {
	uint32_t addr;    /*!< Client IPv4 address (network order), 0 if none. */
	char loc[2];      /*!< Client location from the table's rules. */
	uint64_t now;     /*!< Now as a TAI64 label. */
	bool portal_all;  /*!< A client on no portal's node sees every portal of the name. */
	bool *scoped;     /*!< If set, set to true when the client's address decided what
	                       was visible (node or location records met). */
} table_client_t;

/*! \brief Outcome of a lookup. */
typedef enum {
	TABLE_NOT_OURS = 0, /*!< No visible NS at or above the name. */
	TABLE_FOUND,        /*!< The name exists (records or children). */
	TABLE_WILDCARD,     /*!< Answered by a wildcard. */
	TABLE_NXDOMAIN,     /*!< In our zone, no such name. */
	TABLE_DELEGATION,   /*!< Below an NS without SOA: a referral. */
	TABLE_NODATA,       /*!< Not from table_lookup: a name without the asked type. */
} table_status_t;

/*! \brief A lookup result; pointers into the table. */
typedef struct {
	table_status_t status;
	const table_node_t *node;  /*!< FOUND: the name; WILDCARD: the '*' node. */
	const table_node_t *apex;  /*!< Zone apex (or delegation point). */
} table_result_t;

typedef struct table table_t;

/*! \brief Statistics of a built table. */
typedef struct {
	size_t records;   /*!< Records. */
	size_t nodes;     /*!< Names (with empty non-terminals). */
	size_t rrsets;    /*!< Rrsets. */
	size_t bytes;     /*!< Memory held. */
	size_t by_kind[RR_KIND_COUNT]; /*!< Records by what made them. */
	size_t tinydns;   /*!< Records from tinydns_fqdns (RR_FLAG_TINYDNS). */
} table_stats_t;

/*!
 * \brief Builds a table from the records an emitter hands out.
 *
 * The emitter is called twice (count, then place), so nothing but the table
 * itself and a few bytes per name are allocated: the records are never
 * gathered into a list.
 *
 * \param emit    Record source.
 * \param src     Its argument.
 * \param serial  Serial written into SOAs flagged RR_FLAG_AUTO_SERIAL.
 * \param out     The table, NULL on error.
 *
 * \return KNOT_EOK, KNOT_ENOMEM, KNOT_ERANGE (over 16M names, 65535 distinct
 *         views or 4 GiB of rdata), KNOT_EINVAL (the emitter's passes differed).
 */
int table_build_from(rr_emit_f emit, const void *src, uint32_t serial, table_t **out);

/*! \brief Builds a table from a record list (not kept); NULL on error. */
table_t *table_build(const rr_list_t *list, uint32_t serial);

/*!
 * \brief Takes one more reference to a table (a new module instance adopting
 *        the table of the one it replaces).
 */
table_t *table_ref(table_t *table);

/*! \brief Drops a reference; the last one frees the table. NULL is allowed. */
void table_free(table_t *table);

/*! \brief Statistics of a table. */
table_stats_t table_stats(const table_t *table);

/*! \brief Serial written into automatic SOAs. */
uint32_t table_serial(const table_t *table);

/*! \brief Fills the client's location from the table's '%' rules. */
void table_client_locate(const table_t *table, table_client_t *client);

/*!
 * \brief Finds a name per tinydns' rules (apex walk, then exact, then
 *        wildcards up to the apex), with records invisible to the client
 *        treated as absent.
 *
 * \param table   Table.
 * \param qname   Lowercase wire-format name.
 * \param client  Who asks.
 * \param res     Result.
 */
void table_lookup(const table_t *table, const knot_dname_t *qname,
                  const table_client_t *client, table_result_t *res);

/*! \brief Finds the node of exactly this name, NULL if none. */
const table_node_t *table_find(const table_t *table, const knot_dname_t *name);

/*! \brief The node with the given index. */
const table_node_t *table_node(const table_t *table, int32_t index);

/*! \brief The owner name of a node. */
const knot_dname_t *table_owner(const table_t *table, const table_node_t *node);

/*! \brief The records of a rrset, as Knot takes them (pointing into the table). */
knot_rdataset_t table_rdataset(const table_t *table, const table_rrset_t *set);

/*! \brief Who may see a rrset. */
const rr_view_t *table_view(const table_t *table, const table_rrset_t *set);

/*!
 * \brief Iterates the client's visible rrsets of a type at a node.
 *
 * Records for a node (portals) are seen by clients on that node; a client on
 * no node with such records at this name sees all of them with portal_all,
 * none without.
 *
 * \param table   Table.
 * \param node    Node.
 * \param type    RR type, KNOT_RRTYPE_ANY for every type.
 * \param client  Who asks.
 * \param pos     Iterator: start at 0.
 *
 * \return The next rrset, NULL at the end.
 */
const table_rrset_t *table_rrset_next(const table_t *table, const table_node_t *node,
                                      uint16_t type, const table_client_t *client,
                                      uint32_t *pos);

/*! \brief True when the node has records of the type visible to the client. */
static inline bool table_has(const table_t *table, const table_node_t *node, uint16_t type,
                             const table_client_t *client)
{
	uint32_t pos = 0;
	return table_rrset_next(table, node, type, client, &pos) != NULL;
}
