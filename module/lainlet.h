/*!
 * \file
 * \brief lainlet documents -> records, read as the bytes arrive.
 *
 * A reader takes one document (the data of an init/update/delete event) in
 * pieces, as the stream delivers them, and never holds it whole: its
 * top-level members are framed as they arrive (member.h), each is read by
 * jansson, and only the few fields the DNS needs are kept. The
 * result is handed out only when the document as a whole is usable: a
 * document that is not JSON or not of the documented shape is refused and
 * the caller keeps the previous data. A bad item inside a good document
 * (wrong type, missing field, bad IP, a name that cannot be a hostname) is
 * skipped with a log line; the rest is read. A key repeated inside a member
 * makes the document refused (jansson's JSON_REJECT_DUPLICATES); a repeated
 * top-level key is read twice (the members are read one by one), but for a
 * config document's key, which is refused.
 *
 * coreinfo, the document that grows with the cluster (~0.7 kB a container),
 * is kept as compact procs and instances (~12 bytes an instance); its records
 * are made from them whenever a table is built (lainlet_data_emit).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "rr.h"

/*! \brief Reading settings. */
typedef struct {
	uint32_t ttl;            /*!< TTL of generated records. */
	const lain_log_t *log;   /*!< Where bad items are reported. */
	unsigned log_max;        /*!< Bad items logged one by one per document. */
} lainlet_ctx_t;

/*! \brief The documents a reader reads. */
typedef enum {
	LAINLET_COREINFO = 0, /*!< /v2/coreinfowatcher: procs and instances. */
	LAINLET_DEPENDS,      /*!< /v2/depends: portals. */
	LAINLET_TINYDNS,      /*!< configwatcher tinydns_fqdns: tinydns-data lines. */
	LAINLET_CONFIG,       /*!< configwatcher: one string key. */
} lainlet_doc_t;

/*!
 * \brief A document's name ("coreinfo", "depends", "tinydns_fqdns", "config"), for
 *        logs; also the name of its stream (cluster_source_name()), but for a
 *        configwatcher stream, which is named by its key.
 */
const char *lainlet_doc_name(lainlet_doc_t doc);

/*! \brief One proc of coreinfo (a pod group <app>.<proctype>.<procname>). */
typedef struct {
	uint32_t app;        /*!< Offset in names: <app in DNS order>.lain, wire format. */
	uint32_t proc;       /*!< Offset in names: the proc name, lowercase, as a label. */
	uint32_t first;      /*!< Its first instance. */
	uint32_t count;      /*!< Its instances. */
} lainlet_proc_t;

/*! \brief One live instance: <proc>-<no>.<app>.lain. */
typedef struct {
	uint32_t no;         /*!< InstanceNo (>= 1). */
	uint8_t ip[4];       /*!< The first container's address. */
	uint16_t port;       /*!< Its Expose port, 0 = none. */
} lainlet_instance_t;

/*! \brief What coreinfo gives, in a few flat arrays. */
typedef struct {
	lainlet_proc_t *procs;          /*!< Procs, in document order. */
	size_t count;                   /*!< Procs in use. */
	size_t cap;                     /*!< Procs allocated. */
	lainlet_instance_t *instances;  /*!< Instances, grouped by proc. */
	size_t instance_count;          /*!< Instances in use. */
	size_t instance_cap;            /*!< Instances allocated. */
	uint32_t *apps;                 /*!< Offsets of the distinct app names, sorted. */
	size_t app_count;               /*!< Apps in use. */
	size_t app_cap;                 /*!< Apps allocated. */
	uint8_t *names;                 /*!< App names (wire) and proc labels. */
	size_t names_len;               /*!< Bytes of names in use. */
	size_t names_cap;               /*!< Bytes of names allocated. */
} lainlet_procs_t;

/*! \brief Longest config value + 1 (domain and dns_ip are names and addresses). */
#define LAINLET_VALUE_MAX 256

/*! \brief webrouter.lain: its A lines are the web router, and it is no app name. */
#define LAINLET_WEBROUTER ((const uint8_t *)"\x09webrouter\x04lain")

/*! \brief What a document gives. */
typedef struct {
	rr_list_t records;      /*!< depends, tinydns_fqdns: their records. */
	lainlet_procs_t procs;  /*!< coreinfo: procs and instances. */
	size_t count;           /*!< Records it makes (records + those of procs). */
	uint32_t ttl;           /*!< TTL of the records made from procs. */
	char value[LAINLET_VALUE_MAX]; /*!< config: the key's value. */
	bool has_value;         /*!< config: the key is present. */
} lainlet_data_t;

/*! \brief Frees what the data holds and empties it. */
void lainlet_data_clear(lainlet_data_t *data);

/*! \brief Bytes the data holds (allocated). */
size_t lainlet_data_bytes(const lainlet_data_t *data);

/*! \brief True when two datas make the same records. */
bool lainlet_data_equal(const lainlet_data_t *a, const lainlet_data_t *b);

/*!
 * \brief Emits every record of a document's data (an rr_emit_f over a
 *        lainlet_data_t): coreinfo's <proc>-<n>.<app>.lain A and PTR,
 *        <proc>.<app>.lain A, _<proc>._tcp.<app>.lain SRV; the others' records.
 */
int lainlet_data_emit(const void *data, rr_sink_t *sink);

/*! \brief Emits <app>.lain A to the address for every app of coreinfo data. */
int lainlet_data_emit_apps(const lainlet_data_t *data, const uint8_t ip[4], uint32_t ttl,
                           rr_sink_t *sink);

/*! \brief Label "<proc>-<no>" (wire: length first); its size, 0 if over 63 bytes. */
size_t lainlet_instance_label(uint8_t *out, const uint8_t *proc, uint32_t no);

/*!
 * \brief Finishes a document's data: lists its distinct apps, gives back what
 *        its arrays grew past their use.
 * \return KNOT_EOK or KNOT_ENOMEM.
 */
int lainlet_data_finish(lainlet_data_t *data);

/*! \brief A document being read. */
typedef struct lainlet_reader lainlet_reader_t;

/*!
 * \brief Starts reading a document.
 *
 * \param ctx      Settings (kept by reference).
 * \param doc      Which document.
 * \param key      LAINLET_CONFIG: the key to read; NULL otherwise.
 * \param max_document  Largest document (the event's cap): a member over it
 *                      is refused as soon as it crosses it.
 *
 * \return The reader, NULL when out of memory.
 */
lainlet_reader_t *lainlet_reader_new(const lainlet_ctx_t *ctx, lainlet_doc_t doc,
                                     const char *key, size_t max_document);

/*! \brief Frees a reader (NULL is allowed). */
void lainlet_reader_free(lainlet_reader_t *r);

/*!
 * \brief Forgets the document being read (and the bad items of the last one);
 *        the reader reads a new one.
 */
void lainlet_reader_reset(lainlet_reader_t *r);

/*!
 * \brief Logs the bad items of the document last ended (the first few one by
 *        one, then a count) and forgets them. Call it when the document changed
 *        what is served; lainlet_reader_reset drops them unlogged.
 */
void lainlet_reader_log(lainlet_reader_t *r);

/*!
 * \brief Feeds the next bytes of the document.
 * \return KNOT_EOK, or the first error (then the document will be refused).
 */
int lainlet_reader_feed(lainlet_reader_t *r, const char *bytes, size_t len);

/*!
 * \brief Ends the document; hands out its data when it is usable, and logs
 *        why when it is not ("<doc>: document refused (...)"). Its bad items
 *        wait for lainlet_reader_log or lainlet_reader_reset.
 *
 * \param out  Filled on KNOT_EOK (the caller clears it).
 *
 * \return KNOT_EOK, KNOT_EMALF (not JSON, or not of the right shape),
 *         KNOT_ESPACE (a member over max_document),
 *         KNOT_ENOMEM, KNOT_ENOENT (config: key absent), KNOT_ESPACE (config:
 *         value too long). The reader is reset either way.
 */
int lainlet_reader_end(lainlet_reader_t *r, lainlet_data_t *out);

/*!
 * \brief Reads a whole document at once and logs its bad items (tests).
 * \return As lainlet_reader_end.
 */
int lainlet_read(const lainlet_ctx_t *ctx, lainlet_doc_t doc, const char *key,
                 const char *text, size_t len, lainlet_data_t *out);
