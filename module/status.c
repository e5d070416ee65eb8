/*!
 * \file
 * \brief The status name's TXT answer.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "status.h"

const char *status_state(const status_t *status)
{
	if (!status->has_table) {
		return "syncing";
	}
	return status->sync_age > status->stale_after ? "stale" : "ready";
}

/*! \brief Appends one TXT rdata of one character-string to a rdata buffer. */
static size_t add_txt(uint8_t *buf, size_t pos, const char *text)
{
	size_t len = strlen(text);
	knot_rdata_t *rd = (knot_rdata_t *)(buf + pos);
	rd->len = len + 1;
	rd->data[0] = len;
	memcpy(rd->data + 1, text, len);
	return pos + knot_rdata_size(rd->len);
}

int status_write(knot_pkt_t *pkt, const knot_dname_t *qname, uint16_t qtype,
                 const status_t *status)
{
	knot_wire_set_aa(pkt->wire);
	int ret = knot_pkt_begin(pkt, KNOT_ANSWER);
	if (ret != KNOT_EOK || (qtype != KNOT_RRTYPE_TXT && qtype != KNOT_RRTYPE_ANY)) {
		return ret;
	}
	char text[4][48];
	snprintf(text[0], sizeof(text[0]), "state=%s", status_state(status));
	snprintf(text[1], sizeof(text[1]), "records=%llu", (unsigned long long)status->records);
	snprintf(text[2], sizeof(text[2]), "serial=%u", status->serial);
	snprintf(text[3], sizeof(text[3]), "sync-age=%llu",
	         (unsigned long long)status->sync_age);
	_Alignas(2) uint8_t buf[4 * 52];
	size_t pos = 0;
	for (int i = 0; i < 4; i++) {
		pos = add_txt(buf, pos, text[i]);
	}
	knot_rrset_t rrset;
	knot_rrset_init(&rrset, (knot_dname_t *)qname, KNOT_RRTYPE_TXT, KNOT_CLASS_IN, 0);
	rrset.rrs.count = 4;
	rrset.rrs.size = pos;
	rrset.rrs.rdata = (knot_rdata_t *)buf;
	return knot_pkt_put(pkt, KNOT_COMPR_HINT_QNAME, &rrset, 0);
}

bool status_default_allowed(const struct sockaddr_storage *remote)
{
	if (remote->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)remote;
		return ((const uint8_t *)&in->sin_addr)[0] == 127;
	}
	return remote->ss_family == AF_INET6 &&
	       IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)remote)->sin6_addr);
}
