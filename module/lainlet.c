/*!
 * \file
 * \brief lainlet documents -> procs and records, one top-level member at a time.
 *
 * The document's members are framed as they arrive (member.h) and each is
 * read by jansson; a reader per document kind walks the member's values and
 * keeps what the DNS needs. A tinydns_fqdns value (a string holding a JSON
 * array of lines) is read in slices, and its lines framed the same way, so no
 * line longer than a record can use is ever buffered. This file holds the
 * reader, its bad items, and the tinydns_fqdns and config readers; the coreinfo
 * and depends readers are in lainlet_pods.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lainlet_reader.h"
#include "mem.h"

/*! \brief Bad items logged one by one: log_max, at most BAD_HELD. */
static unsigned bad_limit(const bad_items_t *b)
{
	return b->ctx->log_max < BAD_HELD ? b->ctx->log_max : BAD_HELD;
}

void lainlet_bad_item(bad_items_t *b, const char *fmt, ...)
{
	if (b->bad++ >= bad_limit(b)) {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b->held[b->bad - 1], sizeof(b->held[0]), fmt, ap);
	va_end(ap);
}

/*! \brief Logs the kept bad items, then how many more there were; forgets them. */
static void bad_items_log(bad_items_t *b)
{
	unsigned limit = bad_limit(b);
	for (unsigned i = 0; i < b->bad && i < limit; i++) {
		lain_log(b->ctx->log, LOG_WARNING, "%s: skipped %s", b->doc, b->held[i]);
	}
	if (b->bad > limit) {
		lain_log(b->ctx->log, LOG_WARNING, "%s: %u more bad items skipped", b->doc,
		         b->bad - limit);
	}
	b->bad = 0;
}

/*
 * The reader: the document's members (member.h), each read by jansson.
 */

/*! \brief Names of the documents (of their streams), for logs and counters. */
static const char *const doc_names[] = {
	[LAINLET_COREINFO] = "coreinfo",
	[LAINLET_DEPENDS] = "depends",
	[LAINLET_TINYDNS] = "tinydns_fqdns",
	[LAINLET_CONFIG] = "config",
};

const char *lainlet_doc_name(lainlet_doc_t doc)
{
	return doc_names[doc];
}

/*!
 * \brief Copies a string into a fixed buffer, cut to fit; a NUL byte in it
 *        (\u0000) becomes '?', so the copy is never a shorter valid value.
 */
void lainlet_copy_text(char *out, size_t size, const char *text, size_t len)
{
	size_t n = len < size ? len : size - 1;
	for (size_t i = 0; i < n; i++) {
		out[i] = text[i] != '\0' ? text[i] : '?';
	}
	out[n] = '\0';
}

/*! \brief The value of a JSON string without NUL bytes, NULL for anything else. */
const char *lainlet_text_of(const json_t *v)
{
	const char *s = json_string_value(v);
	return s != NULL && strlen(s) == json_string_length(v) ? s : NULL;
}

/*! \brief The document does not read: keeps the first reason. */
__attribute__((format(printf, 3, 4)))
static int refuse(reader_t *r, int ret, const char *fmt, ...)
{
	if (r->ret == KNOT_EOK) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->why, sizeof(r->why), fmt, ap);
		va_end(ap);
		r->ret = ret;
	}
	return ret;
}

/*! \brief A framed item read by jansson through json_load_callback. */
typedef struct {
	const char *bytes;   /*!< The item. */
	void *block;         /*!< The framer's buffer it is (a mem.h block), or NULL. */
	size_t len;          /*!< Bytes of the item. */
	size_t pos;          /*!< Bytes handed to jansson. */
	size_t discarded;    /*!< Bytes given back. */
} item_feed_t;

/*!
 * \brief Hands jansson the next bytes of an item, and gives back every MiB it
 *        has read: jansson keeps its own copy of a string as it reads it, so
 *        the item's bytes are then held once, not twice.
 */
static size_t item_feed(void *buffer, size_t size, void *arg)
{
	item_feed_t *in = arg;
	size_t n = in->len - in->pos < size ? in->len - in->pos : size;
	memcpy(buffer, in->bytes + in->pos, n);
	in->pos += n;
	if (in->block != NULL && in->pos - in->discarded >= (1 << 20)) {
		mem_discard(in->block, in->discarded, in->pos);
		in->discarded = in->pos;
	}
	return n;
}

/*!
 * \brief jansson's reading of bytes that begin at a document offset.
 * \param block  The framer's buffer when bytes are all of it (a big item is
 *               then given back as jansson reads it, see item_feed), or NULL.
 */
static json_t *load(reader_t *r, const char *bytes, size_t len, size_t offset, void *block)
{
	json_error_t err;
	item_feed_t in = { .bytes = bytes, .block = block, .len = len };
	json_t *v = len < MEM_MAP_MIN ? json_loadb(bytes, len, JSON_FLAGS, &err) :
	            json_load_callback(item_feed, &in, JSON_FLAGS, &err);
	if (v == NULL) {
		// (a member was framed with one '{' before it)
		size_t at = offset + (err.position > 0 ? err.position - 1 : 0);
		refuse(r, KNOT_EMALF, "byte %zu: %s", at, err.text);
	}
	return v;
}

/*
 * tinydns_fqdns: { "<key>": "[\"<tinydns-data line>\", ...]" }
 */

/*! \brief tinydata's bad-line reports go to the document's bad items. */
static void bad_line(void *arg, const char *source, unsigned line, const char *reason)
{
	lainlet_bad_item(arg, "%s line %u (%s)", source, line, reason);
}

/*! \brief A line of the key's array (a line callback of the lines framer). */
static int line_item(void *arg, const char *bytes, size_t len)
{
	reader_t *r = arg;
	const char *key = r->key;
	unsigned lineno = ++r->line;
	if (bytes == NULL) {
		lainlet_bad_item(&r->bad, "%.100s line %u (longer than %u bytes)", key, lineno,
		         TINYDATA_LINE_MAX);
		return KNOT_EOK;
	}
	json_t *line = json_loadb(bytes, len, JSON_FLAGS, NULL);
	if (line == NULL) {
		return KNOT_EMALF; // (the array is not JSON)
	}
	const char *text = json_string_value(line);
	size_t text_len = json_string_length(line);
	int ret = KNOT_EOK;
	if (text == NULL || strlen(text) != text_len) {
		lainlet_bad_item(&r->bad, "%.100s line %u (%s)", key, lineno,
		         text == NULL ? "not a string" : "a NUL byte");
	} else if (text_len > TINYDATA_LINE_MAX) {
		lainlet_bad_item(&r->bad, "%.100s line %u (longer than %u bytes)", key, lineno,
		         TINYDATA_LINE_MAX);
	} else {
		tinydata_ctx_t tctx = { .source = key, .log = bad_line, .log_arg = &r->bad,
		                        .kind = RR_KIND_STATIC, .flags = RR_FLAG_TINYDNS };
		ret = tinydata_line(&tctx, &r->data.records, text, text_len, lineno);
	}
	json_decref(line);
	return ret;
}

/*! \brief The key's value is no JSON array of lines: what it gave is taken back. */
static void lines_refused(reader_t *r)
{
	rr_list_t *out = &r->data.records;
	out->count = r->before.count;
	out->len = r->before.len;
	out->loc_count = r->before.loc_count;
	r->bad.bad = r->bad_before;
	r->lines_bad = true;
	lainlet_bad_item(&r->bad, "key %.100s (not a JSON array of lines)", r->key);
}

/*! \brief tinydns_fqdns: a key's value begins; a string is read in slices. */
static int tinydns_begin(void *arg, const char *key, size_t len, char first, size_t *max)
{
	reader_t *r = arg;
	json_t *k = load(r, key, len, member_offset(&r->frame), NULL);
	if (k == NULL) {
		return r->ret;
	}
	lainlet_copy_text(r->key, sizeof(r->key), json_string_value(k), json_string_length(k));
	json_decref(k);
	if (first != '"') {
		lainlet_bad_item(&r->bad, "key %.100s (not a JSON array of lines)", r->key);
		return MEMBER_SKIP;
	}
	r->before = r->data.records;
	r->bad_before = r->bad.bad;
	r->line = 0;
	r->lines_bad = false;
	member_reset(&r->lines);
	return MEMBER_SLICES;
}

/*! \brief tinydns_fqdns: a slice of a key's value, its lines framed as they come. */
static int tinydns_slice(void *arg, const char *bytes, size_t len, bool last)
{
	reader_t *r = arg;
	json_t *slice = load(r, bytes, len, member_offset(&r->frame), NULL);
	if (slice == NULL) {
		return r->ret;
	}
	int ret = KNOT_EOK;
	if (!r->lines_bad) {
		ret = member_feed(&r->lines, json_string_value(slice), json_string_length(slice));
		if (ret == KNOT_EOK && last) {
			ret = member_end(&r->lines);
		}
		if (ret == KNOT_EMALF) {
			lines_refused(r);
			ret = KNOT_EOK;
		}
	}
	json_decref(slice);
	if (ret == KNOT_EOK && last && !r->lines_bad) {
		r->data.count += r->data.records.count - r->before.count;
	}
	return ret;
}

/*
 * config: { "<key>": "<value>", ... } (other keys of the prefix ignored)
 */

/*! \brief config: only the wanted key's member is read, and only if it can fit. */
static int config_begin(void *arg, const char *key, size_t len, char first, size_t *max)
{
	reader_t *r = arg;
	json_t *k = load(r, key, len, member_offset(&r->frame), NULL);
	if (k == NULL) {
		return r->ret;
	}
	bool wanted = strcmp(json_string_value(k), r->wanted) == 0;
	json_decref(k);
	// {"key":"value"}: a value that fits is at most 6 bytes a byte (\uXXXX)
	*max = len + 4 + 6 * (LAINLET_VALUE_MAX - 1);
	return wanted ? MEMBER_WHOLE : MEMBER_SKIP;
}

/*! \brief config's member reader: the wanted key's string. */
static int config_read(reader_t *r, const char *key, json_t *value)
{
	lainlet_data_t *d = &r->data;
	const char *text = lainlet_text_of(value);
	if (d->has_value) {
		return refuse(r, KNOT_EMALF, "'%s' twice", r->wanted);
	}
	d->has_value = true;
	if (text == NULL) {
		r->ret = KNOT_EMALF;
	} else if (json_string_length(value) >= sizeof(d->value)) {
		r->ret = KNOT_ESPACE;
	} else {
		memcpy(d->value, text, json_string_length(value) + 1);
	}
	return KNOT_EOK;
}

/*
 * Members to readers.
 */

/*! \brief A whole member: jansson reads it, the document's reader takes it. */
static int member_item(void *arg, const char *bytes, size_t len)
{
	reader_t *r = arg;
	if (bytes == NULL) {
		if (r->doc == LAINLET_CONFIG) {
			r->data.has_value = true;
			r->ret = KNOT_ESPACE; // (the wanted key's value is too long)
			return KNOT_EOK;
		}
		return refuse(r, KNOT_ESPACE, "byte %zu: a member of over %zu bytes",
		              member_offset(&r->frame), r->frame.max_item);
	}
	json_t *member = load(r, bytes, len, member_offset(&r->frame), (void *)bytes);
	if (member == NULL) {
		return r->ret;
	}
	void *it = json_object_iter(member);
	int ret = r->read(r, json_object_iter_key(it), json_object_iter_value(it));
	json_decref(member);
	return ret;
}

static const member_read_f doc_readers[] = {
	[LAINLET_COREINFO] = lainlet_coreinfo_read,
	[LAINLET_DEPENDS] = lainlet_depends_read,
	[LAINLET_TINYDNS] = NULL,
	[LAINLET_CONFIG] = config_read,
};

lainlet_reader_t *lainlet_reader_new(const lainlet_ctx_t *ctx, lainlet_doc_t doc,
                                     const char *key, size_t max_document)
{
	reader_t *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		return NULL;
	}
	r->ctx = ctx;
	r->doc = doc;
	r->read = doc_readers[doc];
	if (key != NULL) {
		lainlet_copy_text(r->wanted, sizeof(r->wanted), key, strlen(key));
	}
	member_calls_t calls = { .item = member_item, .arg = r };
	if (doc == LAINLET_TINYDNS) {
		calls.begin = tinydns_begin;
		calls.slice = tinydns_slice;
	} else if (doc == LAINLET_CONFIG) {
		calls.begin = config_begin;
	}
	member_init(&r->frame, false, max_document, &calls);
	member_calls_t lines = { .item = line_item, .arg = r };
	member_init(&r->lines, true, LINE_JSON_MAX, &lines);
	lainlet_reader_reset(r);
	return r;
}

void lainlet_reader_free(lainlet_reader_t *r)
{
	if (r == NULL) {
		return;
	}
	lainlet_data_clear(&r->data);
	member_deinit(&r->frame);
	member_deinit(&r->lines);
	free(r);
}

/*! \brief Starts the next document (the last one's bad items are kept). */
static void reader_restart(reader_t *r)
{
	lainlet_data_clear(&r->data);
	r->data.ttl = r->ctx->ttl;
	r->ret = KNOT_EOK;
	r->why[0] = '\0';
	member_reset(&r->frame);
	member_reset(&r->lines);
}

void lainlet_reader_reset(lainlet_reader_t *r)
{
	reader_restart(r);
	r->bad.ctx = r->ctx;
	r->bad.doc = doc_names[r->doc];
	r->bad.bad = 0;
}

void lainlet_reader_log(lainlet_reader_t *r)
{
	bad_items_log(&r->bad);
}

int lainlet_reader_feed(lainlet_reader_t *r, const char *bytes, size_t len)
{
	if (r->ret == KNOT_EOK || r->ret == KNOT_ESPACE) {
		int ret = member_feed(&r->frame, bytes, len);
		r->ret = ret != KNOT_EOK ? ret : r->ret;
	}
	return r->ret;
}

/*! \brief Logs why a document does not read. */
static void log_refused(const reader_t *r, const char *name, int ret)
{
	const char *framing = member_error(&r->frame);
	if (r->why[0] != '\0') {
		lain_log(r->ctx->log, LOG_ERR, "%s: document refused (%s)", name, r->why);
	} else if (ret == KNOT_EMALF && framing[0] != '\0') {
		lain_log(r->ctx->log, LOG_ERR, "%s: document refused (%s)", name, framing);
	} else if ((ret == KNOT_EMALF || ret == KNOT_ESPACE) && r->doc == LAINLET_CONFIG) {
		lain_log(r->ctx->log, LOG_ERR, "%s: document refused (no string '%s' key%s)",
		         name, name, ret == KNOT_ESPACE ? " that fits" : "");
	}
}

int lainlet_reader_end(lainlet_reader_t *r, lainlet_data_t *out)
{
	const char *name = r->doc == LAINLET_CONFIG ? r->wanted : doc_names[r->doc];
	int ret = r->ret;
	if (ret == KNOT_EOK || ret == KNOT_ESPACE) {
		int end = member_end(&r->frame);
		ret = end != KNOT_EOK ? end : ret;
	}
	if (ret != KNOT_EOK) {
		log_refused(r, name, ret);
	}
	if (ret == KNOT_EOK && r->doc == LAINLET_CONFIG && !r->data.has_value) {
		ret = KNOT_ENOENT;
	}
	if (ret == KNOT_EOK) {
		ret = lainlet_data_finish(&r->data);
	}
	if (ret == KNOT_EOK) {
		*out = r->data;
		memset(&r->data, 0, sizeof(r->data));
	}
	reader_restart(r);
	return ret;
}

int lainlet_read(const lainlet_ctx_t *ctx, lainlet_doc_t doc, const char *key,
                 const char *text, size_t len, lainlet_data_t *out)
{
	lainlet_reader_t *r = lainlet_reader_new(ctx, doc, key, len + 1);
	if (r == NULL) {
		return KNOT_ENOMEM;
	}
	lainlet_reader_feed(r, text, len);
	int ret = lainlet_reader_end(r, out);
	lainlet_reader_log(r);
	lainlet_reader_free(r);
	return ret;
}
