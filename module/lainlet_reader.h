/*!
 * \file
 * \brief The lainlet document reader's state and the helpers its member readers
 *        share: private to lainlet.c (the reader, tinydns_fqdns, config) and
 *        lainlet_pods.c (coreinfo, depends).
 */
#pragma once

#include <jansson.h>

#include "lainlet.h"
#include "member.h"
#include "tinydata.h"

/*! \brief Longest key or string value a reader keeps (longer ones are bad items). */
#define TEXT_MAX 256

/*! \brief Most bad items of a document kept to be logged one by one. */
#define BAD_HELD 16

/*!
 * \brief Bad items of one document: the first few are kept, and logged only
 *        once the document turns out to change what is served (an identical
 *        document, a reconnect's init, logs nothing again).
 */
typedef struct {
	const lainlet_ctx_t *ctx;
	const char *doc;              /*!< Document name for the log. */
	unsigned bad;                 /*!< Bad items seen. */
	char held[BAD_HELD][300];     /*!< The first ones, formatted. */
} bad_items_t;

/*! \brief jansson's flags for a member, a slice or a JSON text inside a string. */
#define JSON_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL)

/*! \brief Longest JSON text of a line: a line that fits, each byte a \uXXXX escape. */
#define LINE_JSON_MAX (6 * TINYDATA_LINE_MAX + 2)

typedef struct lainlet_reader reader_t;

/*! \brief Reads one member of a document (key and value). */
typedef int (*member_read_f)(reader_t *r, const char *key, json_t *value);

struct lainlet_reader {
	member_framer_t frame;     /*!< The document's members. */
	member_framer_t lines;     /*!< tinydns: the lines of the key being read. */
	const lainlet_ctx_t *ctx;  /*!< Settings. */
	lainlet_doc_t doc;         /*!< Which document. */
	member_read_f read;        /*!< Its member reader. */
	char wanted[TEXT_MAX];     /*!< config: the key asked for. */
	lainlet_data_t data;       /*!< What the document gives so far. */
	bad_items_t bad;           /*!< Its bad items. */
	int ret;                   /*!< First error of the document. */
	char why[200];             /*!< Why it does not read ("" when the framer says). */
	char key[TEXT_MAX];        /*!< tinydns: the key being read (cut for the log). */
	unsigned line;             /*!< tinydns: lines of the key seen. */
	bool lines_bad;            /*!< tinydns: the key's value is no array of lines. */
	rr_list_t before;          /*!< tinydns: the records before the key (counts only). */
	unsigned bad_before;       /*!< tinydns: bad items before the key. */
};

/*! \brief Counts a bad item of the document; the first few are kept for the log. */
__attribute__((format(printf, 2, 3)))
void lainlet_bad_item(bad_items_t *b, const char *fmt, ...);

/*!
 * \brief Copies a string into a fixed buffer, cut to fit; a NUL byte in it
 *        (\u0000) becomes '?', so the copy is never a shorter valid value.
 */
void lainlet_copy_text(char *out, size_t size, const char *text, size_t len);

/*! \brief The value of a JSON string without NUL bytes, NULL for anything else. */
const char *lainlet_text_of(const json_t *v);

/*! \brief coreinfo's member reader: a pod group, its pods (lainlet_pods.c). */
int lainlet_coreinfo_read(reader_t *r, const char *key, json_t *group);

/*! \brief depends' member reader: a portal pod, its nodes, their clients' items
 *         (lainlet_pods.c). */
int lainlet_depends_read(reader_t *r, const char *pod, json_t *nodes);
