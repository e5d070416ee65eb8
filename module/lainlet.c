/*!
 * \file
 * \brief lainlet documents -> procs and records, token by token.
 *
 * Each reader is a small state machine over the tokens of json.h: the depth
 * of a token and the key it belongs to say what it is; values the DNS does
 * not need are skipped whole (skip_value), so the state is a few fields, not
 * a tree.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lainlet.h"
#include "mem.h"
#include "tinydata.h"

/*! \brief Longest key or string value a reader keeps (longer ones are bad items). */
#define TEXT_MAX 256

/*! \brief Deepest token a reader looks at (deeper ones are always skipped). */
#define DEPTH_MAX 7

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

/*! \brief A JSON number that is an integer (no fraction, no exponent, 64 bits). */
static bool number_int(const char *text, int64_t *out)
{
	if (strpbrk(text, ".eE") != NULL) {
		return false;
	}
	errno = 0;
	char *end;
	long long v = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0') {
		return false;
	}
	*out = v;
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
 * Procs and instances (coreinfo's data) and the records they make.
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

/*! \brief The wire name <label><app> of a proc's app and a first label. */
static size_t proc_name(uint8_t *out, const uint8_t *label, size_t label_len,
                        const uint8_t *app)
{
	memcpy(out, label, label_len);
	size_t app_len = knot_dname_size(app);
	memcpy(out + label_len, app, app_len);
	return label_len + app_len;
}

/*! \brief Label "<proc>-<no>" (wire: length first); its size, 0 if over 63 bytes. */
static size_t instance_label(uint8_t *out, const uint8_t *proc, uint32_t no)
{
	int len = snprintf((char *)out + 1, KNOT_DNAME_MAXLABELLEN + 1, "%.*s-%u", proc[0],
	                   (const char *)proc + 1, no);
	if (len > KNOT_DNAME_MAXLABELLEN) {
		return 0;
	}
	out[0] = len;
	return len + 1;
}

/*! \brief Emits the records of one instance of a proc. */
static int emit_instance(const lainlet_data_t *data, const lainlet_proc_t *proc,
                         const lainlet_instance_t *in, const uint8_t *set,
                         const uint8_t *srv, rr_sink_t *sink)
{
	const rr_view_t *all = &rr_view_all;
	const uint8_t *names = data->procs.names;
	uint8_t label[KNOT_DNAME_MAXLABELLEN + 2], owner[KNOT_DNAME_MAXLEN];
	uint8_t ptr[KNOT_DNAME_MAXLEN], srv_rdata[6 + KNOT_DNAME_MAXLEN] = { 0 };
	size_t label_len = instance_label(label, names + proc->proc, in->no);
	size_t owner_len = proc_name(owner, label, label_len, names + proc->app);
	rr_ptr_owner(ptr, in->ip);
	rr_rec_t recs[] = {
		{ .owner = owner, .rdata = in->ip, .rdlen = 4, .type = KNOT_RRTYPE_A },
		{ .owner = ptr, .rdata = owner, .rdlen = owner_len, .type = KNOT_RRTYPE_PTR },
		{ .owner = set, .rdata = in->ip, .rdlen = 4, .type = KNOT_RRTYPE_A },
		{ .owner = srv, .rdata = srv_rdata, .rdlen = 6 + owner_len,
		  .type = KNOT_RRTYPE_SRV },
	};
	knot_wire_write_u16(srv_rdata + 4, in->port); // priority, weight 0
	memcpy(srv_rdata + 6, owner, owner_len);
	size_t count = in->port > 0 ? 4 : 3;
	for (size_t i = 0; i < count; i++) {
		recs[i].ttl = data->ttl;
		recs[i].kind = RR_KIND_PROC;
		recs[i].view = all;
		int ret = sink->add(sink, &recs[i]);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	return KNOT_EOK;
}

/*! \brief Emits the records of every instance of every proc. */
static int emit_procs(const lainlet_data_t *data, rr_sink_t *sink)
{
	const lainlet_procs_t *p = &data->procs;
	for (size_t i = 0; i < p->count; i++) {
		const lainlet_proc_t *proc = &p->procs[i];
		const uint8_t *label = p->names + proc->proc;
		uint8_t set[KNOT_DNAME_MAXLEN], srv[KNOT_DNAME_MAXLEN];
		uint8_t srv_labels[KNOT_DNAME_MAXLABELLEN + 8] = { label[0] + 1, '_' };
		memcpy(srv_labels + 2, label + 1, label[0]);
		memcpy(srv_labels + 2 + label[0], "\x04_tcp", 5);
		proc_name(set, label, label[0] + 1, p->names + proc->app);
		proc_name(srv, srv_labels, label[0] + 7, p->names + proc->app);
		for (uint32_t j = 0; j < proc->count; j++) {
			const lainlet_instance_t *in = &p->instances[proc->first + j];
			int ret = emit_instance(data, proc, in, set, srv, sink);
			if (ret != KNOT_EOK) {
				return ret;
			}
		}
	}
	return KNOT_EOK;
}

int lainlet_data_emit(const void *src, rr_sink_t *sink)
{
	const lainlet_data_t *data = src;
	int ret = emit_procs(data, sink);
	return ret == KNOT_EOK ? rr_list_emit(&data->records, sink) : ret;
}

int lainlet_data_emit_apps(const lainlet_data_t *data, const uint8_t ip[4], uint32_t ttl,
                           rr_sink_t *sink)
{
	rr_rec_t rec = { .rdata = ip, .rdlen = 4, .type = KNOT_RRTYPE_A, .ttl = ttl,
	                 .kind = RR_KIND_APP, .view = &rr_view_all };
	for (size_t i = 0; i < data->procs.app_count; i++) {
		rec.owner = data->procs.names + data->procs.apps[i];
		if (knot_dname_is_equal(rec.owner, LAINLET_WEBROUTER)) {
			continue;
		}
		int ret = sink->add(sink, &rec);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	return KNOT_EOK;
}

void lainlet_data_clear(lainlet_data_t *data)
{
	rr_list_clear(&data->records);
	mem_free(data->procs.procs);
	mem_free(data->procs.instances);
	mem_free(data->procs.apps);
	mem_free(data->procs.names);
	memset(data, 0, sizeof(*data));
}

size_t lainlet_data_bytes(const lainlet_data_t *data)
{
	const lainlet_procs_t *p = &data->procs;
	return rr_list_bytes(&data->records) + p->cap * sizeof(*p->procs) +
	       p->instance_cap * sizeof(*p->instances) + p->app_cap * sizeof(*p->apps) +
	       p->names_cap;
}

/*! \brief memcmp of two arrays of n items that may both be NULL. */
static bool array_equal(const void *a, const void *b, size_t n, size_t size)
{
	return n == 0 || memcmp(a, b, n * size) == 0;
}

/*! \brief True when two lists hold the same records and rules. */
static bool list_equal(const rr_list_t *a, const rr_list_t *b)
{
	if (a->count != b->count || a->len != b->len || a->loc_count != b->loc_count ||
	    !array_equal(a->data, b->data, a->len, 1)) {
		return false;
	}
	for (size_t i = 0; i < a->count; i++) {
		const rr_t *x = &a->rrs[i], *y = &b->rrs[i];
		if (x->owner != y->owner || x->rdlen != y->rdlen || x->type != y->type ||
		    x->ttl != y->ttl || x->kind != y->kind || x->flags != y->flags ||
		    x->view.tai != y->view.tai || x->view.node != y->view.node ||
		    memcmp(x->view.loc, y->view.loc, 2) != 0 ||
		    x->view.expires != y->view.expires) {
			return false;
		}
	}
	for (size_t i = 0; i < a->loc_count; i++) {
		const rr_loc_t *x = &a->locs[i], *y = &b->locs[i];
		if (x->len != y->len || memcmp(x->prefix, y->prefix, x->len) != 0 ||
		    memcmp(x->loc, y->loc, 2) != 0) {
			return false;
		}
	}
	return true;
}

bool lainlet_data_equal(const lainlet_data_t *a, const lainlet_data_t *b)
{
	const lainlet_procs_t *x = &a->procs, *y = &b->procs;
	return a->count == b->count && a->ttl == b->ttl && a->has_value == b->has_value &&
	       strcmp(a->value, b->value) == 0 && list_equal(&a->records, &b->records) &&
	       x->count == y->count && x->instance_count == y->instance_count &&
	       x->app_count == y->app_count && x->names_len == y->names_len &&
	       array_equal(x->procs, y->procs, x->count, sizeof(*x->procs)) &&
	       array_equal(x->instances, y->instances, x->instance_count,
	                   sizeof(*x->instances)) &&
	       array_equal(x->apps, y->apps, x->app_count, sizeof(*x->apps)) &&
	       array_equal(x->names, y->names, x->names_len, 1);
}

/*
 * The reader.
 */

/*! \brief Keys a reader looks for; the key of each open object is kept as one. */
typedef enum {
	FIELD_OTHER = 0,
	FIELD_POD_INFOS,       /*!< coreinfo group: PodInfos */
	FIELD_INSTANCE_NO,     /*!< coreinfo pod: InstanceNo */
	FIELD_LIST,            /*!< coreinfo pod: ContainerInfos; depends item: Containers */
	FIELD_IP,              /*!< coreinfo container: ContainerIp; depends container: IP */
	FIELD_EXPOSE,          /*!< coreinfo container: Expose */
	FIELD_NODE_IP,         /*!< depends container: NodeIP */
	FIELD_ANNOTATION,      /*!< depends item: Annotation */
	FIELD_WANTED,          /*!< config: the key asked for */
} field_t;

/*! \brief A pod (coreinfo) or a portal item (depends) being read. */
typedef struct {
	int64_t no;              /*!< InstanceNo. */
	int64_t port;            /*!< Expose (0 if absent or not an integer). */
	bool no_ok;              /*!< InstanceNo is an integer. */
	bool list_ok;            /*!< ContainerInfos / Containers is an array. */
	unsigned elements;       /*!< Its elements seen. */
	bool first_ok;           /*!< Its first element is an object. */
	bool ip_ok;              /*!< ContainerIp / IP is a string. */
	bool node_ok;            /*!< NodeIP is a string. */
	bool ann_str;            /*!< Annotation is a string. */
	bool ann_ok;             /*!< It gives a service. */
	const char *ann_why;     /*!< Why it does not. */
	char ip[64];             /*!< ContainerIp / IP (cut). */
	char node[64];           /*!< NodeIP (cut). */
	char service[TEXT_MAX];  /*!< service_name. */
} item_t;

/*! \brief Reads the tokens of one kind of document. */
typedef int (*doc_token_f)(lainlet_reader_t *r, json_token_t tok, unsigned depth,
                           const char *text, size_t len);

struct lainlet_reader {
	json_push_t json;          /*!< The document's tokenizer. */
	json_push_t inner;         /*!< JSON inside a string (Annotation, tinydns lines). */
	const lainlet_ctx_t *ctx;  /*!< Settings. */
	lainlet_doc_t doc;         /*!< Which document. */
	doc_token_f on_token;      /*!< Its token reader. */
	char wanted[TEXT_MAX];     /*!< config: the key asked for. */
	lainlet_data_t data;       /*!< What the document gives so far. */
	bad_items_t bad;           /*!< Its bad items. */
	int ret;                   /*!< First error of the document. */
	bool shape;                /*!< The document is not a JSON object. */
	unsigned skip;             /*!< Tokens at this depth or deeper are skipped; 0 = none. */
	uint8_t field[DEPTH_MAX + 1];     /*!< Key of the open object at each depth. */
	char keys[4][TEXT_MAX];    /*!< Keys at depths 1-3, for logs and names. */
	bool key_cut[4];           /*!< A key at depth 1-3 was longer than TEXT_MAX - 1. */
	bool group_ok;             /*!< coreinfo: the group's proc was added. */
	bool pods_ok;              /*!< coreinfo: the group has a PodInfos array. */
	size_t pods;               /*!< coreinfo: pods of the group seen. */
	size_t group_names;        /*!< coreinfo: names length before the group. */
	item_t item;               /*!< The pod or portal item being read. */
	unsigned line;             /*!< tinydns: lines of the key's array seen. */
	bool lines_apply;          /*!< tinydns: the second run, reading the lines. */
	bool service_next;         /*!< Annotation: the next value is service_name's. */
};

/*! \brief Names of the documents, for logs. */
static const char *const doc_names[] = {
	[LAINLET_COREINFO] = "coreinfo",
	[LAINLET_DEPENDS] = "depends",
	[LAINLET_TINYDNS] = "tinydns_fqdns",
	[LAINLET_CONFIG] = "config",
};

/*! \brief Skips the value a token begins, if it is a container. */
static int skip_value(lainlet_reader_t *r, json_token_t tok, unsigned depth)
{
	if (tok == JSON_OBJECT_BEGIN || tok == JSON_ARRAY_BEGIN) {
		r->skip = depth + 1;
	}
	return KNOT_EOK;
}

/*! \brief True for the end token of a container. */
static bool is_end(json_token_t tok)
{
	return tok == JSON_OBJECT_END || tok == JSON_ARRAY_END;
}

/*!
 * \brief Copies a string token into a fixed buffer, cut to fit; a NUL byte in
 *        it (\u0000) becomes '?', so the copy is never a shorter valid value.
 */
static void copy_text(char *out, size_t size, const char *text, size_t len)
{
	size_t n = len < size ? len : size - 1;
	for (size_t i = 0; i < n; i++) {
		out[i] = text[i] != '\0' ? text[i] : '?';
	}
	out[n] = '\0';
}

/*! \brief What a key at a depth is, for the document being read. */
static field_t key_field(const lainlet_reader_t *r, unsigned depth, const char *key)
{
	static const struct {
		lainlet_doc_t doc;
		unsigned depth;
		const char *key;
		field_t field;
	} fields[] = {
		{ LAINLET_COREINFO, 2, "PodInfos", FIELD_POD_INFOS },
		{ LAINLET_COREINFO, 4, "InstanceNo", FIELD_INSTANCE_NO },
		{ LAINLET_COREINFO, 4, "ContainerInfos", FIELD_LIST },
		{ LAINLET_COREINFO, 6, "ContainerIp", FIELD_IP },
		{ LAINLET_COREINFO, 6, "Expose", FIELD_EXPOSE },
		{ LAINLET_DEPENDS, 4, "Annotation", FIELD_ANNOTATION },
		{ LAINLET_DEPENDS, 4, "Containers", FIELD_LIST },
		{ LAINLET_DEPENDS, 6, "IP", FIELD_IP },
		{ LAINLET_DEPENDS, 6, "NodeIP", FIELD_NODE_IP },
	};
	if (r->doc == LAINLET_CONFIG) {
		return depth == 1 && strcmp(key, r->wanted) == 0 ? FIELD_WANTED : FIELD_OTHER;
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (fields[i].doc == r->doc && fields[i].depth == depth &&
		    strcmp(fields[i].key, key) == 0) {
			return fields[i].field;
		}
	}
	return FIELD_OTHER;
}

/*! \brief A key: remembered as the field of its depth (and its text at 1-3). */
static void key_set(lainlet_reader_t *r, unsigned depth, const char *text, size_t len)
{
	if (depth <= 3) {
		copy_text(r->keys[depth], TEXT_MAX, text, len);
		r->key_cut[depth] = len >= TEXT_MAX || strlen(text) != len;
	}
	if (depth <= DEPTH_MAX) {
		r->field[depth] = key_field(r, depth, text);
	}
}

/*! \brief An array of containers (ContainerInfos, Containers) and its first element. */
static int container_list(lainlet_reader_t *r, json_token_t tok, unsigned depth)
{
	if (is_end(tok)) {
		return KNOT_EOK; // the end of the first element (the others are skipped)
	}
	if (r->item.elements++ == 0 && tok == JSON_OBJECT_BEGIN) {
		r->item.first_ok = true;
		return KNOT_EOK;
	}
	return skip_value(r, tok, depth);
}

/*! \brief A string value of a container's field (ContainerIp, IP, NodeIP). */
static int container_field(lainlet_reader_t *r, json_token_t tok, unsigned depth,
                           const char *text, size_t len)
{
	item_t *it = &r->item;
	if (tok == JSON_STRING && r->field[depth] == FIELD_IP) {
		it->ip_ok = true;
		copy_text(it->ip, sizeof(it->ip), text, len);
	} else if (tok == JSON_STRING && r->field[depth] == FIELD_NODE_IP) {
		it->node_ok = true;
		copy_text(it->node, sizeof(it->node), text, len);
	} else if (tok == JSON_NUMBER && r->field[depth] == FIELD_EXPOSE) {
		if (!number_int(text, &it->port)) {
			it->port = 0;
		}
	}
	return skip_value(r, tok, depth);
}

/*
 * coreinfo: { "<app>.<proctype>.<procname>": { "PodInfos": [ { "InstanceNo": n,
 * "ContainerInfos": [ { "ContainerIp": "...", "Expose": port, ... } ] } ] } }
 */

/*! \brief A pod group whose key or value is not of the documented shape. */
static void bad_group(lainlet_reader_t *r)
{
	bad_item(&r->bad, "'%.100s' (not <app>.<proctype>.<procname> with PodInfos)",
	         r->keys[1]);
}

/*!
 * \brief Adds the proc of the group whose key is keys[1].
 * \param valid  Set when the key makes names (else the group is a bad item).
 * \return KNOT_EOK or KNOT_ENOMEM.
 */
static int group_begin(lainlet_reader_t *r, bool *valid)
{
	const char *key = r->keys[1];
	lainlet_procs_t *p = &r->data.procs;
	*valid = false;
	const char *proc = strrchr(key, '.');
	const char *type_dot = proc != NULL ? memrchr(key, '.', proc - key) : NULL;
	if (r->key_cut[1] || type_dot == NULL || type_dot == key) {
		bad_group(r);
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
	r->group_names = p->names_len;
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
	*valid = true;
	return KNOT_EOK;
}

/*! \brief The end of a group: a group without PodInfos is a bad item. */
static void group_end(lainlet_reader_t *r)
{
	if (r->pods_ok) {
		return;
	}
	bad_group(r);
	r->data.procs.count--;
	r->data.procs.names_len = r->group_names;
}

/*! \brief Adds an instance to the group's proc. */
static int instance_add(lainlet_reader_t *r, uint32_t no, const uint8_t ip[4],
                        int64_t port)
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

/*! \brief The end of a pod: its first container's address makes the instance. */
static int pod_end(lainlet_reader_t *r)
{
	const item_t *it = &r->item;
	const char *key = r->keys[1];
	lainlet_procs_t *p = &r->data.procs;
	if (!it->no_ok || !it->list_ok) {
		bad_item(&r->bad, "pod of %s (InstanceNo or ContainerInfos missing)", key);
		return KNOT_EOK;
	}
	if (it->no < 1 || it->elements == 0) {
		return KNOT_EOK; // not an instance, or no container yet
	}
	if (!it->first_ok || !it->ip_ok) {
		bad_item(&r->bad, "%s instance %lld (ContainerIp is not a string)", key,
		         (long long)it->no);
		return KNOT_EOK;
	}
	if (it->ip[0] == '\0') {
		return KNOT_EOK; // being created
	}
	uint8_t ip[4], label[KNOT_DNAME_MAXLABELLEN + 2];
	if (!parse_ip4(it->ip, ip)) {
		bad_item(&r->bad, "%s instance %lld (bad ContainerIp '%.64s')", key,
		         (long long)it->no, it->ip);
		return KNOT_EOK;
	}
	const lainlet_proc_t *proc = &p->procs[p->count - 1];
	size_t label_len = it->no <= UINT32_MAX ?
	                   instance_label(label, p->names + proc->proc, it->no) : 0;
	if (label_len == 0 || label_len + knot_dname_size(p->names + proc->app) >
	                      KNOT_DNAME_MAXLEN) {
		bad_item(&r->bad, "%s instance %lld (not a hostname)", key, (long long)it->no);
		return KNOT_EOK;
	}
	return instance_add(r, it->no, ip, it->port);
}

/*! \brief coreinfo's reader (a doc_token_f): groups, pods, their first container. */
static int coreinfo_token(lainlet_reader_t *r, json_token_t tok, unsigned depth,
                          const char *text, size_t len)
{
	uint8_t field = depth <= DEPTH_MAX ? r->field[depth] : FIELD_OTHER;
	switch (depth) {
	case 1: // a pod group
		if (tok == JSON_OBJECT_BEGIN) {
			r->pods_ok = false;
			r->pods = 0;
			int ret = group_begin(r, &r->group_ok);
			if (ret != KNOT_EOK || r->group_ok) {
				return ret;
			}
			return skip_value(r, tok, depth);
		} else if (tok == JSON_OBJECT_END) {
			group_end(r);
			return KNOT_EOK;
		}
		bad_item(&r->bad, "'%.100s' (not an object)", r->keys[1]);
		return skip_value(r, tok, depth);
	case 2: // a field of the group
		if (field == FIELD_POD_INFOS && tok == JSON_ARRAY_BEGIN) {
			r->pods_ok = true;
			return KNOT_EOK;
		}
		return tok == JSON_ARRAY_END ? KNOT_EOK : skip_value(r, tok, depth);
	case 3: // a pod
		if (tok == JSON_OBJECT_BEGIN) {
			memset(&r->item, 0, sizeof(r->item));
			return KNOT_EOK;
		} else if (tok == JSON_OBJECT_END) {
			r->pods++;
			return pod_end(r);
		}
		bad_item(&r->bad, "pod %zu of %.100s (not an object)", r->pods++, r->keys[1]);
		return skip_value(r, tok, depth);
	case 4: // a field of the pod
		if (field == FIELD_INSTANCE_NO) {
			r->item.no_ok = tok == JSON_NUMBER && number_int(text, &r->item.no);
		} else if (field == FIELD_LIST && tok == JSON_ARRAY_BEGIN) {
			r->item.list_ok = true;
			return KNOT_EOK;
		}
		return tok == JSON_ARRAY_END ? KNOT_EOK : skip_value(r, tok, depth);
	case 5: // a container
		return container_list(r, tok, depth);
	case 6: // a field of the first container
		return container_field(r, tok, depth, text, len);
	default:
		return skip_value(r, tok, depth);
	}
}

/*
 * depends: { "<portal pod>": { "<node>": { "<client app>": { "Annotation":
 * "{\"service_name\": ...}", "Containers": [ { "IP": ..., "NodeIP": ... } ] } } } }
 */

/*! \brief A token of an Annotation's JSON: looks for service_name at the top. */
static int annotation_token(void *arg, json_token_t tok, const char *text, size_t len)
{
	lainlet_reader_t *r = arg;
	item_t *it = &r->item;
	unsigned depth = json_push_depth(&r->inner);
	if (depth == 1 && tok == JSON_KEY) {
		r->service_next = strcmp(text, "service_name") == 0;
	} else if (depth == 1 && r->service_next) {
		r->service_next = false;
		if (tok != JSON_STRING || len >= sizeof(it->service) || strlen(text) != len) {
			it->ann_why = "service_name is not a string";
		} else {
			copy_text(it->service, sizeof(it->service), text, len);
			it->ann_ok = true;
		}
	}
	return KNOT_EOK;
}

/*! \brief Runs the inner tokenizer over a whole string. */
static int inner_read(lainlet_reader_t *r, json_token_f on_token, const char *text,
                      size_t len)
{
	r->inner.on_token = on_token;
	json_push_reset(&r->inner);
	int ret = json_push_feed(&r->inner, text, len);
	return ret == KNOT_EOK ? json_push_end(&r->inner) : ret;
}

/*! \brief Reads an Annotation string: item.ann_ok and service, or ann_why. */
static void annotation_read(lainlet_reader_t *r, const char *text, size_t len)
{
	item_t *it = &r->item;
	it->ann_str = true;
	it->ann_why = "Annotation has no service_name";
	r->service_next = false;
	if (inner_read(r, annotation_token, text, len) != KNOT_EOK) {
		it->ann_ok = false;
		it->ann_why = "Annotation is not JSON";
	}
}

/*! \brief The end of a portal item: the portal's A (for its node) and PTR. */
static int portal_end(lainlet_reader_t *r)
{
	const item_t *it = &r->item;
	const char *pod = r->keys[1], *client = r->keys[3];
	uint8_t ip[4], node[4], owner[KNOT_DNAME_MAXLEN], ptr[KNOT_DNAME_MAXLEN];
	if (!it->first_ok || !it->ann_str) {
		bad_item(&r->bad, "portal %.100s for %.60s (Annotation or Containers missing)",
		         pod, client);
	} else if (!it->ann_ok) {
		bad_item(&r->bad, "portal %.100s for %.60s (%s)", pod, client, it->ann_why);
	} else if (!it->ip_ok || !parse_ip4(it->ip, ip) || !it->node_ok ||
	           !parse_ip4(it->node, node)) {
		bad_item(&r->bad, "portal %.100s for %.60s (bad IP or NodeIP)", pod, client);
	} else if (r->key_cut[3] ||
	           app_name(owner, it->service, client, strlen(client)) < 0) {
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
		if (back == NULL) {
			return KNOT_ENOMEM;
		}
		back->kind = RR_KIND_PORTAL;
		r->data.count += 2;
	}
	return KNOT_EOK;
}

/*! \brief depends' reader (a doc_token_f): portal items and their first container. */
static int depends_token(lainlet_reader_t *r, json_token_t tok, unsigned depth,
                         const char *text, size_t len)
{
	uint8_t field = depth <= DEPTH_MAX ? r->field[depth] : FIELD_OTHER;
	switch (depth) {
	case 1: // portal pod -> nodes
	case 2: // node -> client apps
		return tok == JSON_OBJECT_BEGIN || is_end(tok) ? KNOT_EOK :
		       skip_value(r, tok, depth);
	case 3: // client app -> item
		if (tok == JSON_OBJECT_BEGIN) {
			memset(&r->item, 0, sizeof(r->item));
			return KNOT_EOK;
		} else if (tok == JSON_OBJECT_END) {
			return portal_end(r);
		}
		bad_item(&r->bad, "portal %.100s for %.60s (Annotation or Containers missing)",
		         r->keys[1], r->keys[3]);
		return skip_value(r, tok, depth);
	case 4: // a field of the item
		if (field == FIELD_ANNOTATION && tok == JSON_STRING) {
			annotation_read(r, text, len);
		} else if (field == FIELD_LIST && tok == JSON_ARRAY_BEGIN) {
			r->item.list_ok = true;
			return KNOT_EOK;
		}
		return tok == JSON_ARRAY_END ? KNOT_EOK : skip_value(r, tok, depth);
	case 5:
		return container_list(r, tok, depth);
	case 6:
		return container_field(r, tok, depth, text, len);
	default:
		return skip_value(r, tok, depth);
	}
}

/*
 * tinydns_fqdns: { "<key>": "[\"<tinydns-data line>\", ...]" }
 */

/*! \brief tinydata's bad-line reports go to the document's bad items. */
static void bad_line(void *arg, const char *source, unsigned line, const char *reason)
{
	bad_item(arg, "%s line %u (%s)", source, line, reason);
}

/*! \brief A token of a key's array of lines; with lines set, reads the lines. */
static int lines_token(void *arg, json_token_t tok, const char *text, size_t len)
{
	lainlet_reader_t *r = arg;
	unsigned depth = json_push_depth(&r->inner);
	if (depth == 0) {
		return tok == JSON_ARRAY_BEGIN || tok == JSON_ARRAY_END ? KNOT_EOK : KNOT_EMALF;
	} else if (depth > 1 || is_end(tok) || !r->lines_apply) {
		return KNOT_EOK; // (the first run checks the syntax only)
	}
	const char *key = r->keys[1];
	unsigned lineno = ++r->line;
	if (tok != JSON_STRING || strlen(text) != len) {
		bad_item(&r->bad, "%.100s line %u (%s)", key, lineno,
		         tok != JSON_STRING ? "not a string" : "a NUL byte");
		return KNOT_EOK;
	}
	tinydata_ctx_t tctx = { .source = key, .log = bad_line, .log_arg = &r->bad,
	                        .kind = RR_KIND_STATIC, .flags = RR_FLAG_TINYDNS };
	return tinydata_line(&tctx, &r->data.records, text, len, lineno);
}

/*! \brief A key's value: checked to be an array of lines, then its lines read. */
static int lines_read(lainlet_reader_t *r, const char *text, size_t len)
{
	size_t before = r->data.records.count;
	r->lines_apply = false;
	r->line = 0;
	int ret = inner_read(r, lines_token, text, len);
	if (ret == KNOT_EMALF) {
		bad_item(&r->bad, "key %.100s (not a JSON array of lines)", r->keys[1]);
		return KNOT_EOK;
	}
	r->lines_apply = true;
	r->line = 0;
	ret = ret == KNOT_EOK ? inner_read(r, lines_token, text, len) : ret;
	r->data.count += r->data.records.count - before;
	return ret;
}

/*! \brief tinydns_fqdns' reader (a doc_token_f): every key's array of lines. */
static int tinydns_token(lainlet_reader_t *r, json_token_t tok, unsigned depth,
                         const char *text, size_t len)
{
	if (depth == 1 && tok == JSON_STRING) {
		return lines_read(r, text, len);
	} else if (depth == 1) {
		bad_item(&r->bad, "key %.100s (not a JSON array of lines)", r->keys[1]);
	}
	return skip_value(r, tok, depth);
}

/*
 * config: { "<key>": "<value>", ... } (other keys of the prefix ignored)
 */

/*! \brief A config document's reader (a doc_token_f): the wanted key's string. */
static int config_token(lainlet_reader_t *r, json_token_t tok, unsigned depth,
                        const char *text, size_t len)
{
	if (depth == 1 && r->field[1] == FIELD_WANTED) {
		lainlet_data_t *d = &r->data;
		d->has_value = true;
		if (tok != JSON_STRING || strlen(text) != len) {
			r->ret = KNOT_EMALF;
		} else if (len >= sizeof(d->value)) {
			r->ret = KNOT_ESPACE;
		} else {
			memcpy(d->value, text, len + 1);
		}
	}
	return skip_value(r, tok, depth);
}

static const doc_token_f doc_readers[] = {
	[LAINLET_COREINFO] = coreinfo_token,
	[LAINLET_DEPENDS] = depends_token,
	[LAINLET_TINYDNS] = tinydns_token,
	[LAINLET_CONFIG] = config_token,
};

/*! \brief Every token of the document: the top object, keys, then the reader. */
static int on_token(void *arg, json_token_t tok, const char *text, size_t len)
{
	lainlet_reader_t *r = arg;
	unsigned depth = json_push_depth(&r->json);
	if (r->skip != 0) {
		if (depth < r->skip) {
			r->skip = 0; // the end of the skipped value
		}
		return KNOT_EOK;
	}
	if (depth == 0) {
		r->shape |= tok != JSON_OBJECT_BEGIN && tok != JSON_OBJECT_END;
		return r->shape ? KNOT_EMALF : KNOT_EOK;
	}
	if (tok == JSON_KEY) {
		key_set(r, depth, text, len);
		return KNOT_EOK;
	}
	return r->on_token(r, tok, depth, text, len);
}

lainlet_reader_t *lainlet_reader_new(const lainlet_ctx_t *ctx, lainlet_doc_t doc,
                                     const char *key, size_t max_string)
{
	lainlet_reader_t *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		return NULL;
	}
	r->ctx = ctx;
	r->doc = doc;
	r->on_token = doc_readers[doc];
	if (key != NULL) {
		copy_text(r->wanted, sizeof(r->wanted), key, strlen(key));
	}
	json_push_init(&r->json, max_string, on_token, r);
	json_push_init(&r->inner, max_string, lines_token, r);
	lainlet_reader_reset(r);
	return r;
}

void lainlet_reader_free(lainlet_reader_t *r)
{
	if (r == NULL) {
		return;
	}
	lainlet_data_clear(&r->data);
	json_push_deinit(&r->json);
	json_push_deinit(&r->inner);
	free(r);
}

/*! \brief Starts the next document (the last one's bad items are kept). */
static void reader_restart(lainlet_reader_t *r)
{
	lainlet_data_clear(&r->data);
	r->data.ttl = r->ctx->ttl;
	r->ret = KNOT_EOK;
	r->shape = false;
	r->skip = 0;
	memset(r->field, 0, sizeof(r->field));
	json_push_reset(&r->json);
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
		int ret = json_push_feed(&r->json, bytes, len);
		r->ret = ret != KNOT_EOK ? ret : r->ret;
	}
	return r->ret;
}

/*! \brief Gives back what the data's arrays grew past their use (kept until the next). */
static void data_shrink(lainlet_data_t *data)
{
	lainlet_procs_t *p = &data->procs;
	rr_list_shrink(&data->records);
	mem_shrink((void **)&p->procs, &p->cap, p->count, sizeof(*p->procs));
	mem_shrink((void **)&p->instances, &p->instance_cap, p->instance_count,
	           sizeof(*p->instances));
	mem_shrink((void **)&p->apps, &p->app_cap, p->app_count, sizeof(*p->apps));
	mem_shrink((void **)&p->names, &p->names_cap, p->names_len, 1);
}

/*! \brief Orders app names (offsets into the names). */
static int app_order(const void *a, const void *b, void *arg)
{
	const uint8_t *names = arg;
	return knot_dname_cmp(names + *(const uint32_t *)a, names + *(const uint32_t *)b);
}

/*! \brief Lists the distinct apps of the procs. */
static int apps_collect(lainlet_procs_t *p)
{
	for (size_t i = 0; i < p->count; i++) {
		if (mem_grow((void **)&p->apps, &p->app_cap, p->app_count, 1,
		            sizeof(*p->apps)) != KNOT_EOK) {
			return KNOT_ENOMEM;
		}
		p->apps[p->app_count++] = p->procs[i].app;
	}
	if (p->app_count == 0) {
		return KNOT_EOK;
	}
	qsort_r(p->apps, p->app_count, sizeof(*p->apps), app_order, p->names);
	size_t kept = 1;
	for (size_t i = 1; i < p->app_count; i++) {
		if (!knot_dname_is_equal(p->names + p->apps[i], p->names + p->apps[kept - 1])) {
			p->apps[kept++] = p->apps[i];
		}
	}
	p->app_count = kept;
	return KNOT_EOK;
}

int lainlet_reader_end(lainlet_reader_t *r, lainlet_data_t *out)
{
	const char *name = r->doc == LAINLET_CONFIG ? r->wanted : doc_names[r->doc];
	int ret = r->ret;
	if (ret == KNOT_EOK || ret == KNOT_ESPACE) {
		int end = json_push_end(&r->json);
		ret = end != KNOT_EOK ? end : ret;
	}
	if (ret == KNOT_EMALF && r->shape) {
		lain_log(r->ctx->log, LOG_ERR, "%s: document refused (not a JSON object)", name);
	} else if (ret == KNOT_EMALF && json_push_error(&r->json)[0] != '\0') {
		lain_log(r->ctx->log, LOG_ERR, "%s: document refused (%s)", name,
		         json_push_error(&r->json));
	} else if ((ret == KNOT_EMALF || ret == KNOT_ESPACE) && r->doc == LAINLET_CONFIG) {
		lain_log(r->ctx->log, LOG_ERR, "%s: document refused (no string '%s' key%s)",
		         name, name, ret == KNOT_ESPACE ? " that fits" : "");
	}
	if (ret == KNOT_EOK && r->doc == LAINLET_CONFIG && !r->data.has_value) {
		ret = KNOT_ENOENT;
	}
	if (ret == KNOT_EOK) {
		ret = apps_collect(&r->data.procs);
	}
	if (ret == KNOT_EOK) {
		data_shrink(&r->data);
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
