/*!
 * \file
 * \brief lainlet documents -> procs and records, one top-level member at a time.
 *
 * The document's members are framed as they arrive (member.h) and each is
 * read by jansson; a reader per document kind walks the member's values and
 * keeps what the DNS needs. A tinydns_fqdns value (a string holding a JSON
 * array of lines) is read in slices, and its lines framed the same way, so no
 * line longer than a record can use is ever buffered.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lainlet.h"
#include "mem.h"
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

/*! \brief Bad items logged one by one: log_max, at most BAD_HELD. */
static unsigned bad_limit(const bad_items_t *b)
{
	return b->ctx->log_max < BAD_HELD ? b->ctx->log_max : BAD_HELD;
}

__attribute__((format(printf, 2, 3)))
static void bad_item(bad_items_t *b, const char *fmt, ...)
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

/*! \brief Parses a dotted-quad IPv4 address strictly. */
static bool parse_ip4(const char *str, uint8_t out[4])
{
	struct in_addr addr;
	if (inet_pton(AF_INET, str, &addr) != 1) {
		return false;
	}
	memcpy(out, &addr, 4);
	return true;
}

/*!
 * \brief The DNS name "<label>.<app in DNS order>.lain" of an app.
 *
 * \param out    Buffer of KNOT_DNAME_MAXLEN bytes.
 * \param label  First label, or NULL for the app's own name.
 * \param app    App name as lainlet writes it (dots allowed).
 * \param app_len  Its length.
 *
 * \return Name length, or < 0 when it is not a hostname.
 */
static int app_name(uint8_t *out, const char *label, const char *app, size_t app_len)
{
	char text[KNOT_DNAME_TXT_MAXLEN + 1];
	size_t pos = 0;
	if (label != NULL) {
		pos = snprintf(text, sizeof(text), "%s.", label);
	}
	// Reverse the dot-separated parts: resource.redis.hello -> hello.redis.resource
	size_t end = app_len;
	for (;;) {
		const char *dot = memrchr(app, '.', end);
		size_t start = dot != NULL ? (size_t)(dot - app) + 1 : 0;
		size_t part = end - start;
		if (part == 0 || pos + part + 1 >= sizeof(text)) {
			return KNOT_EINVAL;
		}
		memcpy(text + pos, app + start, part);
		pos += part;
		text[pos++] = '.';
		if (dot == NULL) {
			break;
		}
		end = dot - app;
	}
	if (pos + sizeof("lain") > sizeof(text)) {
		return KNOT_EINVAL;
	}
	memcpy(text + pos, "lain", sizeof("lain"));
	return rr_hostname(out, text);
}

/*
 * Procs and instances being read.
 */

/*! \brief Appends bytes to the procs' names; returns their offset, or < 0. */
static int64_t names_add(lainlet_procs_t *p, const uint8_t *bytes, size_t len)
{
	if (p->names_len + len > UINT32_MAX ||
	    mem_grow((void **)&p->names, &p->names_cap, p->names_len, len, 1) != KNOT_EOK) {
		return KNOT_ENOMEM;
	}
	memcpy(p->names + p->names_len, bytes, len);
	p->names_len += len;
	return p->names_len - len;
}

/*
 * The reader: the document's members (member.h), each read by jansson.
 */

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
static void copy_text(char *out, size_t size, const char *text, size_t len)
{
	size_t n = len < size ? len : size - 1;
	for (size_t i = 0; i < n; i++) {
		out[i] = text[i] != '\0' ? text[i] : '?';
	}
	out[n] = '\0';
}

/*! \brief The value of a JSON string without NUL bytes, NULL for anything else. */
static const char *text_of(const json_t *v)
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
 * coreinfo: { "<app>.<proctype>.<procname>": { "PodInfos": [ { "InstanceNo": n,
 * "ContainerInfos": [ { "ContainerIp": "...", "Expose": port, ... } ] } ] } }
 */

/*! \brief A pod group whose key or value is not of the documented shape. */
static void bad_group(reader_t *r, const char *key)
{
	bad_item(&r->bad, "'%.100s' (not <app>.<proctype>.<procname> with PodInfos)", key);
}

/*!
 * \brief Adds the proc of a group.
 * \return KNOT_EOK (also when the key makes no names: a bad item), KNOT_ENOMEM.
 */
static int proc_add(reader_t *r, const char *key, bool *added)
{
	lainlet_procs_t *p = &r->data.procs;
	*added = false;
	const char *proc = strrchr(key, '.');
	const char *type_dot = proc != NULL ? memrchr(key, '.', proc - key) : NULL;
	if (strlen(key) >= TEXT_MAX || type_dot == NULL || type_dot == key) {
		bad_group(r, key);
		return KNOT_EOK;
	}
	size_t app_len = type_dot - key;
	uint8_t app[KNOT_DNAME_MAXLEN], name[KNOT_DNAME_MAXLEN], srv_name[KNOT_DNAME_MAXLEN];
	char srv[KNOT_DNAME_MAXLABELLEN + 16];
	snprintf(srv, sizeof(srv), "_%s._tcp", proc + 1);
	int len = app_name(app, NULL, key, app_len);
	if (len < 0 || app_name(name, proc + 1, key, app_len) < 0 ||
	    app_name(srv_name, srv, key, app_len) < 0) {
		bad_item(&r->bad, "'%.100s' (not a hostname)", key);
		return KNOT_EOK;
	}
	const lainlet_proc_t *last = p->count > 0 ? &p->procs[p->count - 1] : NULL;
	int64_t app_at = last != NULL && knot_dname_is_equal(p->names + last->app, app) ?
	                 last->app : names_add(p, app, len);
	int64_t proc_at = app_at < 0 ? app_at : names_add(p, name, name[0] + 1);
	if (proc_at < 0 || mem_grow((void **)&p->procs, &p->cap, p->count, 1,
	                           sizeof(*p->procs)) != KNOT_EOK) {
		return KNOT_ENOMEM;
	}
	p->procs[p->count++] = (lainlet_proc_t){ .app = app_at, .proc = proc_at,
	                                         .first = p->instance_count };
	*added = true;
	return KNOT_EOK;
}

/*! \brief Adds an instance to the last proc. */
static int instance_add(reader_t *r, uint32_t no, const uint8_t ip[4], json_int_t port)
{
	lainlet_procs_t *p = &r->data.procs;
	if (mem_grow((void **)&p->instances, &p->instance_cap, p->instance_count, 1,
	            sizeof(*p->instances)) != KNOT_EOK) {
		return KNOT_ENOMEM;
	}
	lainlet_instance_t *in = &p->instances[p->instance_count++];
	memset(in, 0, sizeof(*in)); // padding too: instances are compared as bytes
	in->no = no;
	memcpy(in->ip, ip, 4);
	in->port = port > 0 && port <= 65535 ? port : 0;
	p->procs[p->count - 1].count++;
	r->data.count += in->port > 0 ? 4 : 3;
	return KNOT_EOK;
}

/*! \brief One pod: its first container's address makes the instance. */
static int pod_read(reader_t *r, const char *key, const json_t *pod)
{
	const lainlet_procs_t *p = &r->data.procs;
	json_t *no = json_object_get(pod, "InstanceNo");
	json_t *containers = json_object_get(pod, "ContainerInfos");
	if (!json_is_integer(no) || !json_is_array(containers)) {
		bad_item(&r->bad, "pod of %s (InstanceNo or ContainerInfos missing)", key);
		return KNOT_EOK;
	}
	long long n = json_integer_value(no);
	if (n < 1 || json_array_size(containers) == 0) {
		return KNOT_EOK; // not an instance, or no container yet
	}
	json_t *first = json_array_get(containers, 0);
	json_t *ip_str = json_object_get(first, "ContainerIp");
	if (!json_is_string(ip_str)) {
		bad_item(&r->bad, "%s instance %lld (ContainerIp is not a string)", key, n);
		return KNOT_EOK;
	}
	if (json_string_length(ip_str) == 0) {
		return KNOT_EOK; // being created
	}
	uint8_t ip[4], label[KNOT_DNAME_MAXLABELLEN + 2];
	const char *ip_text = text_of(ip_str);
	if (ip_text == NULL || !parse_ip4(ip_text, ip)) {
		char shown[65];
		copy_text(shown, sizeof(shown), json_string_value(ip_str),
		          json_string_length(ip_str));
		bad_item(&r->bad, "%s instance %lld (bad ContainerIp '%s')", key, n, shown);
		return KNOT_EOK;
	}
	const lainlet_proc_t *proc = &p->procs[p->count - 1];
	size_t label_len = n <= UINT32_MAX ?
	                   lainlet_instance_label(label, p->names + proc->proc, n) : 0;
	if (label_len == 0 ||
	    label_len + knot_dname_size(p->names + proc->app) > KNOT_DNAME_MAXLEN) {
		bad_item(&r->bad, "%s instance %lld (not a hostname)", key, n);
		return KNOT_EOK;
	}
	json_t *expose = json_object_get(first, "Expose");
	return instance_add(r, n, ip, json_is_integer(expose) ? json_integer_value(expose) : 0);
}

/*! \brief coreinfo's member reader: a pod group, its pods. */
static int coreinfo_read(reader_t *r, const char *key, json_t *group)
{
	if (!json_is_object(group)) {
		bad_item(&r->bad, "'%.100s' (not an object)", key);
		return KNOT_EOK;
	}
	lainlet_procs_t *p = &r->data.procs;
	size_t names_len = p->names_len;
	bool added;
	int ret = proc_add(r, key, &added);
	if (ret != KNOT_EOK || !added) {
		return ret;
	}
	json_t *pods = json_object_get(group, "PodInfos");
	if (!json_is_array(pods)) {
		bad_group(r, key);
		p->count--;
		p->names_len = names_len;
		return KNOT_EOK;
	}
	size_t i;
	json_t *pod;
	json_array_foreach(pods, i, pod) {
		if (!json_is_object(pod)) {
			bad_item(&r->bad, "pod %zu of %.100s (not an object)", i, key);
			continue;
		}
		ret = pod_read(r, key, pod);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	return KNOT_EOK;
}

/*
 * depends: { "<portal pod>": { "<node>": { "<client app>": { "Annotation":
 * "{\"service_name\": ...}", "Containers": [ { "IP": ..., "NodeIP": ... } ] } } } }
 */

/*! \brief The service an Annotation names; NULL and why when it names none. */
static const char *annotation_service(const json_t *annotation, json_t **ann,
                                      const char **why)
{
	const char *text = json_string_value(annotation);
	*ann = json_loadb(text, json_string_length(annotation), JSON_FLAGS, NULL);
	json_t *service = json_object_get(*ann, "service_name");
	const char *name = text_of(service);
	*why = *ann == NULL ? "Annotation is not JSON" :
	       service == NULL ? "Annotation has no service_name" :
	       "service_name is not a string";
	return name != NULL && strlen(name) < TEXT_MAX ? name : NULL;
}

/*! \brief One portal item: the portal's A (for its node) and PTR. */
static int portal_read(reader_t *r, const char *pod, const char *client, const json_t *item)
{
	json_t *annotation = json_object_get(item, "Annotation");
	json_t *first = json_array_get(json_object_get(item, "Containers"), 0);
	if (!json_is_string(annotation) || !json_is_object(first)) {
		bad_item(&r->bad, "portal %.100s for %.60s (Annotation or Containers missing)",
		         pod, client);
		return KNOT_EOK;
	}
	json_t *ann;
	const char *why;
	const char *service = annotation_service(annotation, &ann, &why);
	const char *ip_text = text_of(json_object_get(first, "IP"));
	const char *node_text = text_of(json_object_get(first, "NodeIP"));
	uint8_t ip[4], node[4], owner[KNOT_DNAME_MAXLEN], ptr[KNOT_DNAME_MAXLEN];
	int ret = KNOT_EOK;
	if (service == NULL) {
		bad_item(&r->bad, "portal %.100s for %.60s (%s)", pod, client, why);
	} else if (ip_text == NULL || !parse_ip4(ip_text, ip) || node_text == NULL ||
	           !parse_ip4(node_text, node)) {
		bad_item(&r->bad, "portal %.100s for %.60s (bad IP or NodeIP)", pod, client);
	} else if (strlen(client) >= TEXT_MAX ||
	           app_name(owner, service, client, strlen(client)) < 0) {
		bad_item(&r->bad, "portal %.100s for %.60s (not a hostname)", pod, client);
	} else {
		rr_list_t *out = &r->data.records;
		rr_t *a = rr_list_add(out, owner, KNOT_RRTYPE_A, r->ctx->ttl, ip, 4);
		if (a != NULL) { // the A (not its PTR) is for the portal's node
			a->kind = RR_KIND_PORTAL;
			memcpy(&a->view.node, node, 4);
		}
		rr_ptr_owner(ptr, ip);
		rr_t *back = a == NULL ? NULL :
		             rr_list_add(out, ptr, KNOT_RRTYPE_PTR, r->ctx->ttl, owner,
		                         knot_dname_size(owner));
		if (back != NULL) {
			back->kind = RR_KIND_PORTAL;
			r->data.count += 2;
		} else {
			ret = KNOT_ENOMEM;
		}
	}
	json_decref(ann);
	return ret;
}

/*! \brief depends' member reader: a portal pod, its nodes, their clients' items. */
static int depends_read(reader_t *r, const char *pod, json_t *nodes)
{
	const char *node, *client;
	json_t *clients, *item;
	json_object_foreach(nodes, node, clients) {
		json_object_foreach(clients, client, item) {
			if (!json_is_object(item)) {
				bad_item(&r->bad, "portal %.100s for %.60s (Annotation or "
				         "Containers missing)", pod, client);
				continue;
			}
			int ret = portal_read(r, pod, client, item);
			if (ret != KNOT_EOK) {
				return ret;
			}
		}
	}
	return KNOT_EOK;
}

/*
 * tinydns_fqdns: { "<key>": "[\"<tinydns-data line>\", ...]" }
 */

/*! \brief tinydata's bad-line reports go to the document's bad items. */
static void bad_line(void *arg, const char *source, unsigned line, const char *reason)
{
	bad_item(arg, "%s line %u (%s)", source, line, reason);
}

/*! \brief A line of the key's array (a line callback of the lines framer). */
static int line_item(void *arg, const char *bytes, size_t len)
{
	reader_t *r = arg;
	const char *key = r->key;
	unsigned lineno = ++r->line;
	if (bytes == NULL) {
		bad_item(&r->bad, "%.100s line %u (longer than %u bytes)", key, lineno,
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
		bad_item(&r->bad, "%.100s line %u (%s)", key, lineno,
		         text == NULL ? "not a string" : "a NUL byte");
	} else if (text_len > TINYDATA_LINE_MAX) {
		bad_item(&r->bad, "%.100s line %u (longer than %u bytes)", key, lineno,
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
	bad_item(&r->bad, "key %.100s (not a JSON array of lines)", r->key);
}

/*! \brief tinydns_fqdns: a key's value begins; a string is read in slices. */
static int tinydns_begin(void *arg, const char *key, size_t len, char first, size_t *max)
{
	reader_t *r = arg;
	json_t *k = load(r, key, len, member_offset(&r->frame), NULL);
	if (k == NULL) {
		return r->ret;
	}
	copy_text(r->key, sizeof(r->key), json_string_value(k), json_string_length(k));
	json_decref(k);
	if (first != '"') {
		bad_item(&r->bad, "key %.100s (not a JSON array of lines)", r->key);
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
	const char *text = text_of(value);
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
	[LAINLET_COREINFO] = coreinfo_read,
	[LAINLET_DEPENDS] = depends_read,
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
		copy_text(r->wanted, sizeof(r->wanted), key, strlen(key));
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
