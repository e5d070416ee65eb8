/*!
 * \file
 * \brief Table lookups -> response packets.
 */
#include <string.h>

#include "answer.h"

/*! \brief Longest CNAME chain followed inside the table. */
#define CNAME_CHAIN_MAX 8

/*! \brief TTL of a record set for this client now (time-to-die records count down). */
static uint32_t rrset_ttl(const table_t *table, const table_rrset_t *set,
                          const table_client_t *client)
{
	const rr_view_t *v = table_view(table, set);
	if (v->tai == 0 || !v->expires) {
		return set->ttl;
	}
	uint64_t left = v->tai - client->now; // visible, so tai > now
	return left < 2 ? 2 : (left > 3600 ? 3600 : left);
}

/*! \brief Puts one table rrset under the given owner. */
static int put_rrset(const table_t *table, knot_pkt_t *pkt, const knot_dname_t *owner,
                     uint16_t hint, const table_rrset_t *set, const table_client_t *client,
                     uint16_t flags)
{
	knot_rrset_t rrset;
	knot_rrset_init(&rrset, (knot_dname_t *)owner, set->type, KNOT_CLASS_IN,
	                rrset_ttl(table, set, client));
	rrset.rrs = table_rdataset(table, set);
	return knot_pkt_put(pkt, hint, &rrset, flags);
}

/*! \brief Puts every visible rrset of the type (ANY: all) at a node. */
static int put_node(const table_t *table, knot_pkt_t *pkt, const knot_dname_t *owner,
                    uint16_t hint, const table_node_t *node, uint16_t type,
                    const table_client_t *client, int *count, uint8_t *kind)
{
	uint32_t pos = 0;
	const table_rrset_t *set;
	bool soa = false;
	while ((set = table_rrset_next(table, node, type, client, &pos)) != NULL) {
		if (set->type == KNOT_RRTYPE_SOA && soa) {
			continue; // one SOA per name: the first visible (file order)
		}
		soa |= set->type == KNOT_RRTYPE_SOA;
		int ret = put_rrset(table, pkt, owner, hint, set, client, 0);
		if (ret != KNOT_EOK) {
			return ret;
		}
		if ((*count)++ == 0) {
			*kind = set->kind;
		}
	}
	return KNOT_EOK;
}

/*! \brief The name an NS, MX or SRV rdata points to, NULL for other types. */
static const knot_dname_t *rdata_target(uint16_t type, const knot_rdata_t *rd)
{
	switch (type) {
	case KNOT_RRTYPE_NS:  return rd->data;
	case KNOT_RRTYPE_MX:  return rd->data + 2;
	case KNOT_RRTYPE_SRV: return rd->data + 6;
	default:              return NULL;
	}
}

/*! \brief Adds A and AAAA of a target name to the additional section. */
static int put_glue(const table_t *table, knot_pkt_t *pkt, const knot_dname_t *target,
                    const table_client_t *client)
{
	knot_dname_storage_t name;
	if (knot_dname_to_wire(name, target, sizeof(name)) <= 0) {
		return KNOT_EOK;
	}
	knot_dname_to_lower(name);
	const table_node_t *node = table_find(table, name);
	if (node == NULL || (node->flags & TABLE_NODE_WILDCARD)) {
		return KNOT_EOK;
	}
	static const uint16_t types[] = { KNOT_RRTYPE_A, KNOT_RRTYPE_AAAA };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		uint32_t pos = 0;
		const table_rrset_t *set;
		while ((set = table_rrset_next(table, node, types[i], client, &pos)) != NULL) {
			int ret = put_rrset(table, pkt, table_owner(table, node),
			                    KNOT_COMPR_HINT_NONE, set, client,
			                    KNOT_PF_NOTRUNC | KNOT_PF_CHECKDUP);
			if (ret != KNOT_EOK) {
				return ret;
			}
		}
	}
	return KNOT_EOK;
}

/*! \brief Adds glue for every NS, MX and SRV record written so far. */
static int put_additional(const table_t *table, knot_pkt_t *pkt,
                          const table_client_t *client)
{
	int ret = knot_pkt_begin(pkt, KNOT_ADDITIONAL);
	uint16_t written = pkt->rrset_count;
	for (uint16_t i = 0; ret == KNOT_EOK && i < written; i++) {
		const knot_rrset_t *rr = &pkt->rr[i];
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t j = 0; ret == KNOT_EOK && j < rr->rrs.count; j++) {
			const knot_dname_t *target = rdata_target(rr->type, rd);
			if (target != NULL) {
				ret = put_glue(table, pkt, target, client);
			}
			rd = knot_rdataset_next(rd);
		}
	}
	return ret;
}

/*! \brief Puts the zone's SOA in authority, its TTL capped for negative caching. */
static int put_soa(const table_t *table, knot_pkt_t *pkt, const table_node_t *apex,
                   const table_client_t *client, const answer_conf_t *conf)
{
	uint32_t pos = 0;
	const table_rrset_t *soa = table_rrset_next(table, apex, KNOT_RRTYPE_SOA, client, &pos);
	if (soa == NULL) {
		return KNOT_EOK;
	}
	knot_rrset_t rrset;
	knot_rrset_init(&rrset, (knot_dname_t *)table_owner(table, apex), KNOT_RRTYPE_SOA,
	                KNOT_CLASS_IN,
	                rrset_ttl(table, soa, client));
	rrset.rrs = table_rdataset(table, soa);
	rrset.rrs.count = 1;
	rrset.rrs.size = knot_rdata_size(rrset.rrs.rdata->len);
	if (rrset.ttl > conf->negative_ttl) {
		rrset.ttl = conf->negative_ttl;
	}
	int ret = knot_pkt_begin(pkt, KNOT_AUTHORITY);
	if (ret != KNOT_EOK) {
		return ret;
	}
	return knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &rrset,
	                    KNOT_PF_NOTRUNC | KNOT_PF_SOAMINTTL);
}

/*! \brief A referral: NS of the delegation point in authority, glue additional. */
static void write_referral(const table_t *table, knot_pkt_t *pkt, const table_node_t *cut,
                           const table_client_t *client, answer_result_t *res)
{
	res->kind = ANSWER_REFERRAL;
	int count = 0;
	res->ret = knot_pkt_begin(pkt, KNOT_AUTHORITY);
	if (res->ret == KNOT_EOK) {
		res->ret = put_node(table, pkt, table_owner(table, cut), KNOT_COMPR_HINT_NONE,
		                    cut, KNOT_RRTYPE_NS, client, &count, &res->rr_kind);
	}
	if (res->ret == KNOT_EOK) {
		res->ret = put_additional(table, pkt, client);
	}
}

/*! \brief Negative answer for a name in a zone: rcode and the zone's SOA. */
static void write_negative(const table_t *table, knot_pkt_t *pkt,
                           const table_result_t *found,
                           const table_client_t *client, const answer_conf_t *conf,
                           answer_result_t *res)
{
	bool nx = found->status == TABLE_NXDOMAIN;
	res->rcode = nx ? KNOT_RCODE_NXDOMAIN : KNOT_RCODE_NOERROR;
	res->ret = put_soa(table, pkt, found->apex, client, conf);
}

/*! \brief Whether the name owns one of the CNAMEs the chain has written. */
static bool chain_has(const knot_dname_t *const *owners, int count, const knot_dname_t *name)
{
	for (int i = 0; i < count; i++) {
		if (knot_dname_is_case_equal(owners[i], name)) {
			return true;
		}
	}
	return false;
}

/*!
 * \brief Writes the records of the name, following CNAMEs inside the table.
 *
 * The chain stops at a target whose CNAME is already in the answer (a loop: each
 * record once, as Knot's own zone answers) or after CNAME_CHAIN_MAX + 1 CNAMEs.
 *
 * \return Records written; found holds the lookup of the last name.
 */
static int write_chain(const table_t *table, knot_pkt_t *pkt, const knot_dname_t *qname,
                       uint16_t qtype, const table_client_t *client,
                       table_result_t *found, answer_result_t *res)
{
	const knot_dname_t *owner = qname;
	uint16_t hint = KNOT_COMPR_HINT_QNAME;
	const knot_dname_t *owners[CNAME_CHAIN_MAX + 1]; // of the CNAMEs written
	int count = 0;
	for (int hop = 0; hop <= CNAME_CHAIN_MAX; hop++) {
		if (found->status != TABLE_FOUND && found->status != TABLE_WILDCARD) {
			break;
		}
		const table_node_t *node = found->node;
		if (found->status == TABLE_FOUND) {
			owner = table_owner(table, node);
		}
		uint32_t pos = 0;
		const table_rrset_t *cname = NULL;
		if (qtype != KNOT_RRTYPE_CNAME && qtype != KNOT_RRTYPE_ANY &&
		    !table_has(table, node, qtype, client)) {
			cname = table_rrset_next(table, node, KNOT_RRTYPE_CNAME, client, &pos);
		}
		int before = count;
		if (cname == NULL) {
			res->ret = put_node(table, pkt, owner, hint, node, qtype, client, &count,
			                    &res->rr_kind);
			// A name with no records of the type ends the chain with NODATA.
			if (res->ret == KNOT_EOK && count == before) {
				found->status = TABLE_NODATA;
			}
			break;
		}
		// Every visible CNAME (views may give several, as tinydns); the first
		// in file order is followed.
		res->ret = put_node(table, pkt, owner, hint, node, KNOT_RRTYPE_CNAME, client,
		                    &count, &res->rr_kind);
		if (res->ret != KNOT_EOK) {
			break;
		}
		owners[hop] = owner;
		const knot_dname_t *to = table_rdataset(table, cname).rdata->data;
		if (chain_has(owners, hop + 1, to)) {
			break; // a loop: found keeps this name's lookup, the answer ends here
		}
		knot_dname_storage_t target;
		if (knot_dname_to_wire(target, to, sizeof(target)) <= 0) {
			break;
		}
		knot_dname_to_lower(target);
		table_lookup(table, target, client, found);
		owner = to;
		hint = KNOT_COMPR_HINT_NONE;
	}
	return count;
}

void answer_write(const table_t *table, knot_pkt_t *pkt, const knot_dname_t *qname,
                  uint16_t qtype, const table_client_t *client,
                  const answer_conf_t *conf, answer_result_t *res)
{
	memset(res, 0, sizeof(*res));
	table_result_t found;
	table_lookup(table, qname, client, &found);
	if (found.status == TABLE_NOT_OURS) {
		return;
	}
	if (found.status == TABLE_DELEGATION) {
		write_referral(table, pkt, found.apex, client, res);
		return;
	}
	knot_wire_set_aa(pkt->wire);
	res->ret = knot_pkt_begin(pkt, KNOT_ANSWER);
	if (res->ret != KNOT_EOK) {
		return;
	}
	int count = write_chain(table, pkt, qname, qtype, client, &found, res);
	res->kind = count > 0 ? ANSWER_HIT :
	            found.status == TABLE_NXDOMAIN ? ANSWER_NXDOMAIN : ANSWER_NODATA;
	if (res->ret != KNOT_EOK) {
		return;
	}
	// The end of the chain decides the rest (RFC 6604).
	switch (found.status) {
	case TABLE_NXDOMAIN:
	case TABLE_NODATA:
		write_negative(table, pkt, &found, client, conf, res);
		break;
	case TABLE_FOUND:
	case TABLE_WILDCARD:
		res->ret = put_additional(table, pkt, client);
		break;
	default:
		break;
	}
}
