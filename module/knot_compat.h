/*!
 * \file knot_compat.h
 * \brief What differs between the Knot versions mod-lain builds against: 3.2 to 3.5.
 *
 * Everything else the module uses reads the same in all of them, as source:
 * - the module ABI number (400 in 3.2, 500 in 3.3, 600 in 3.4 and 3.5) is taken from
 *   knot/module.h by KNOTD_MOD_API, so a module built for one Knot loads only in that one;
 * - KNOTD_STAGE_PROTO_BEGIN was inserted before KNOTD_STAGE_BEGIN in 3.4 (the module
 *   uses the names, not the numbers);
 * - knotd_qdata_params_t gained `local` and QUIC fields in 3.3, TLS fields in 3.4 (the
 *   module reads only `thread_id`), and knotd_qdata_remote_addr() became an inline
 *   function reading params->remote in 3.3 (a knotd export in 3.2: the same call).
 * What does differ is here.
 */

#pragma once

#include <stdbool.h>

#include <libknot/libknot.h>

/*! \brief KNOT_VERSION_HEX of major.minor.patch (Knot writes the patch digits as hex). */
#define LAIN_KNOT_VERSION(major, minor, patch) \
	(((major) << 16) | ((minor) << 8) | (0x##patch))

/*!
 * \brief Knot 3.4.10 and 3.5.4 added KNOT_RDATA_WF_REMAINDER_MAYEMPTY: the final block of
 *        rdata that may be empty (unknown types, NULL, APL, NSEC, NSEC3, SVCB, HTTPS...),
 *        where KNOT_RDATA_WF_REMAINDER became "may not be empty". 3.5.0 to 3.5.3 lack it.
 *
 * The same releases gave many types a fixed minimum before the remainder (DS, DNSKEY, TLSA,
 * CAA, URI...), SVCB and HTTPS their target name, and ANY no rdata at all: rdata that Knot
 * will not write, so rr_rdata_check() refuses it there too (it follows the descriptors).
 */
#if (KNOT_VERSION_HEX >= LAIN_KNOT_VERSION(3, 4, 10) && \
     KNOT_VERSION_HEX < LAIN_KNOT_VERSION(3, 5, 0)) || \
    KNOT_VERSION_HEX >= LAIN_KNOT_VERSION(3, 5, 4)
#define LAIN_KNOT_HAS_REMAINDER_MAYEMPTY 1
#else
#define LAIN_KNOT_HAS_REMAINDER_MAYEMPTY 0
#endif

/*! \brief Whether an rdata descriptor block is "the rest of the rdata", of any length. */
static inline bool lain_knot_block_is_remainder(int block)
{
#if LAIN_KNOT_HAS_REMAINDER_MAYEMPTY
	if (block == KNOT_RDATA_WF_REMAINDER_MAYEMPTY) {
		return true;
	}
#endif
	return block == KNOT_RDATA_WF_REMAINDER;
}
