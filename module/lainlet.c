/*!
 * \file
 * \brief lainlet documents -> records (jansson lives here only).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jarena.h"
#include "lainlet.h"
#include "tinydata.h"

/*! \brief Counts bad items of one document and logs the first few. */
typedef struct {
	const lainlet_ctx_t *ctx;
	const char *doc;     /*!< Document name for the log. */
	unsigned bad;        /*!< Bad items seen. */
} bad_items_t;

__attribute__((format(printf, 2, 3)))
static void bad_item(bad_items_t *b, const char *fmt, ...)
{
	if (b->bad++ >= b->ctx->log_max) {
		return;
	}
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lain_log(b->ctx->log, LOG_WARNING, "%s: skipped %s", b->doc, msg);
}

/*! \brief Logs how many bad items were not logged one by one. */
static void bad_items_done(bad_items_t *b)
{
	if (b->bad > b->ctx->log_max) {
		lain_log(b->ctx->log, LOG_WARNING, "%s: %u more bad items skipped", b->doc,
		         b->bad - b->ctx->log_max);
	}
}

/*! \brief Parses a whole document that must be a JSON object. */
static json_t *load_object(const lainlet_ctx_t *ctx, const char *name, const char *doc,
                           size_t len)
{
	json_error_t err;
	json_t *root = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL) {
		lain_log(ctx->log, LOG_ERR, "%s: document refused (line %d column %d: %s)",
		         name, err.line, err.column, err.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		lain_log(ctx->log, LOG_ERR, "%s: document refused (not a JSON object)", name);
		json_decref(root);
		return NULL;
	}
	return root;
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

void lainlet_data_clear(lainlet_data_t *data)
{
	rr_list_clear(&data->records);
	rr_list_clear(&data->apps);
}

/*! \brief Appends a record of a generated kind; KNOT_ENOMEM when out of memory. */
static int add(rr_list_t *out, const knot_dname_t *owner, uint16_t type, uint32_t ttl,
               const uint8_t *rdata, uint16_t rdlen, uint8_t kind)
{
	rr_t *rr = rr_list_add(out, owner, type, ttl, rdata, rdlen);
	if (rr == NULL) {
		return KNOT_ENOMEM;
	}
	rr->kind = kind;
	return KNOT_EOK;
}

/*! \brief Adds an A record and the PTR of its address pointing back to the name. */
static int add_a_ptr(rr_list_t *out, const knot_dname_t *owner, const uint8_t ip[4],
                     uint32_t ttl, uint8_t kind)
{
	uint8_t ptr[KNOT_DNAME_MAXLEN];
	rr_ptr_owner(ptr, ip);
	int ret = add(out, owner, KNOT_RRTYPE_A, ttl, ip, 4, kind);
	if (ret == KNOT_EOK) {
		ret = add(out, ptr, KNOT_RRTYPE_PTR, ttl, owner, knot_dname_size(owner), kind);
	}
	return ret;
}

/*!
 * \brief One live instance: <proc>-<n>.<app>.lain A and PTR, the instance in
 *        <proc>.<app>.lain A, and in _<proc>._tcp.<app>.lain SRV when it exposes a port.
 */
static int add_instance(const lainlet_ctx_t *ctx, const knot_dname_t *owner,
                        const knot_dname_t *proc_set, const knot_dname_t *srv,
                        const uint8_t ip[4], json_int_t expose, rr_list_t *out)
{
	int ret = add_a_ptr(out, owner, ip, ctx->ttl, RR_KIND_PROC);
	if (ret == KNOT_EOK) {
		ret = add(out, proc_set, KNOT_RRTYPE_A, ctx->ttl, ip, 4, RR_KIND_PROC);
	}
	if (ret == KNOT_EOK && expose > 0 && expose <= 65535) {
		uint8_t rdata[6 + KNOT_DNAME_MAXLEN] = { 0, 0, 0, 0 }; // priority, weight
		knot_wire_write_u16(rdata + 4, expose);
		size_t len = knot_dname_size(owner);
		memcpy(rdata + 6, owner, len);
		ret = add(out, srv, KNOT_RRTYPE_SRV, ctx->ttl, rdata, 6 + len, RR_KIND_PROC);
	}
	return ret;
}

/*! \brief The names of one proc: <proc>.<app>.lain and _<proc>._tcp.<app>.lain. */
typedef struct {
	const char *key;       /*!< Pod group key, for the log. */
	const char *app;       /*!< App name as lainlet writes it. */
	size_t app_len;        /*!< Its length. */
	const char *proc;      /*!< Proc name. */
	uint8_t set[KNOT_DNAME_MAXLEN];  /*!< <proc>.<app>.lain */
	uint8_t srv[KNOT_DNAME_MAXLEN];  /*!< _<proc>._tcp.<app>.lain */
} proc_names_t;

/*! \brief Reads one pod: the first container's address makes the instance. */
static int read_pod(const lainlet_ctx_t *ctx, bad_items_t *bad, const proc_names_t *proc,
                    json_t *pod, lainlet_data_t *out)
{
	json_t *no = json_object_get(pod, "InstanceNo");
	json_t *containers = json_object_get(pod, "ContainerInfos");
	if (!json_is_integer(no) || !json_is_array(containers)) {
		bad_item(bad, "pod of %s (InstanceNo or ContainerInfos missing)", proc->key);
		return KNOT_EOK;
	}
	json_int_t instance = json_integer_value(no);
	if (instance < 1 || json_array_size(containers) == 0) {
		return KNOT_EOK; // not an instance, or no container yet
	}
	json_t *first = json_array_get(containers, 0);
	json_t *ip = json_object_get(first, "ContainerIp");
	if (!json_is_string(ip)) {
		bad_item(bad, "%s instance %lld (ContainerIp is not a string)", proc->key,
		         (long long)instance);
		return KNOT_EOK;
	}
	if (json_string_length(ip) == 0) {
		return KNOT_EOK; // being created
	}
	uint8_t addr[4];
	if (!parse_ip4(json_string_value(ip), addr)) {
		bad_item(bad, "%s instance %lld (bad ContainerIp '%.64s')", proc->key,
		         (long long)instance, json_string_value(ip));
		return KNOT_EOK;
	}
	char label[KNOT_DNAME_MAXLABELLEN + 2];
	uint8_t owner[KNOT_DNAME_MAXLEN];
	int len = snprintf(label, sizeof(label), "%s-%lld", proc->proc, (long long)instance);
	if (len >= (int)sizeof(label) || app_name(owner, label, proc->app, proc->app_len) < 0) {
		bad_item(bad, "%s instance %lld (not a hostname)", proc->key, (long long)instance);
		return KNOT_EOK;
	}
	json_t *expose = json_object_get(first, "Expose");
	int ret = add_instance(ctx, owner, proc->set, proc->srv, addr,
	                       json_is_integer(expose) ? json_integer_value(expose) : 0,
	                       &out->records);
	return ret;
}

/*! \brief Reads one pod group "<app>.<proctype>.<procname>". */
static int read_pod_group(const lainlet_ctx_t *ctx, bad_items_t *bad, const char *key,
                          json_t *group, lainlet_data_t *out)
{
	const char *proc = strrchr(key, '.');
	const char *type_dot = NULL;
	if (proc != NULL) {
		for (const char *p = proc - 1; p >= key; p--) {
			if (*p == '.') {
				type_dot = p;
				break;
			}
		}
	}
	json_t *pods = json_object_get(group, "PodInfos");
	if (type_dot == NULL || type_dot == key || !json_is_array(pods)) {
		bad_item(bad, "'%.100s' (not <app>.<proctype>.<procname> with PodInfos)", key);
		return KNOT_EOK;
	}
	proc_names_t names = { .key = key, .app = key, .app_len = type_dot - key,
	                        .proc = proc + 1 };
	char srv_label[KNOT_DNAME_MAXLABELLEN + 16];
	snprintf(srv_label, sizeof(srv_label), "_%s._tcp", names.proc);
	uint8_t owner[KNOT_DNAME_MAXLEN];
	if (app_name(owner, NULL, key, names.app_len) < 0 ||
	    app_name(names.set, names.proc, key, names.app_len) < 0 ||
	    app_name(names.srv, srv_label, key, names.app_len) < 0) {
		bad_item(bad, "'%.100s' (not a hostname)", key);
		return KNOT_EOK;
	}
	rr_t *app = rr_list_add(&out->apps, owner, KNOT_RRTYPE_A, ctx->ttl, NULL, 0);
	if (app == NULL) {
		return KNOT_ENOMEM;
	}
	app->kind = RR_KIND_APP;

	size_t i;
	json_t *pod;
	json_array_foreach(pods, i, pod) {
		if (!json_is_object(pod)) {
			bad_item(bad, "pod %zu of %.100s (not an object)", i, key);
			continue;
		}
		int ret = read_pod(ctx, bad, &names, pod, out);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	return KNOT_EOK;
}

/*! \brief Orders records by owner. */
static int owner_order(const void *a, const void *b, void *arg)
{
	const rr_list_t *list = arg;
	const knot_dname_t *x = rr_owner(list, a), *y = rr_owner(list, b);
	return knot_dname_cmp(x, y);
}

/*! \brief Keeps one record per app (an app has a pod group per proc). */
static void apps_unique(rr_list_t *apps)
{
	qsort_r(apps->rrs, apps->count, sizeof(rr_t), owner_order, apps);
	size_t kept = 0;
	for (size_t i = 0; i < apps->count; i++) {
		if (kept == 0 || !knot_dname_is_equal(rr_owner(apps, &apps->rrs[i]),
		                                      rr_owner(apps, &apps->rrs[kept - 1]))) {
			apps->rrs[kept++] = apps->rrs[i];
		}
	}
	apps->count = kept;
}

static int read_coreinfo(const lainlet_ctx_t *ctx, const char *doc, size_t len,
                     lainlet_data_t *out)
{
	memset(out, 0, sizeof(*out));
	json_t *root = load_object(ctx, "coreinfo", doc, len);
	if (root == NULL) {
		return KNOT_EMALF;
	}
	bad_items_t bad = { .ctx = ctx, .doc = "coreinfo" };
	int ret = KNOT_EOK;
	const char *key;
	json_t *group;
	json_object_foreach(root, key, group) {
		if (!json_is_object(group)) {
			bad_item(&bad, "'%.100s' (not an object)", key);
			continue;
		}
		ret = read_pod_group(ctx, &bad, key, group, out);
		if (ret != KNOT_EOK) {
			break;
		}
	}
	json_decref(root);
	bad_items_done(&bad);
	if (ret != KNOT_EOK) {
		lainlet_data_clear(out);
		return ret;
	}
	apps_unique(&out->apps);
	return KNOT_EOK;
}

/*! \brief Reads one portal item: node -> client app -> item. */
static int read_portal(const lainlet_ctx_t *ctx, bad_items_t *bad, const char *pod,
                       const char *client, json_t *item, rr_list_t *out)
{
	json_t *annotation = json_object_get(item, "Annotation");
	json_t *containers = json_object_get(item, "Containers");
	json_t *first = json_array_get(containers, 0);
	if (!json_is_string(annotation) || !json_is_object(first)) {
		bad_item(bad, "portal %.100s for %.60s (Annotation or Containers missing)",
		         pod, client);
		return KNOT_EOK;
	}
	json_t *ann = json_loads(json_string_value(annotation), 0, NULL);
	json_t *service = json_object_get(ann, "service_name");
	const char *why = ann == NULL ? "Annotation is not JSON" :
	                  service == NULL ? "Annotation has no service_name" :
	                  "service_name is not a string";
	uint8_t ip[4], node[4];
	json_t *ip_str = json_object_get(first, "IP");
	json_t *node_str = json_object_get(first, "NodeIP");
	uint8_t owner[KNOT_DNAME_MAXLEN];
	int ret = KNOT_EOK;
	if (!json_is_string(service)) {
		bad_item(bad, "portal %.100s for %.60s (%s)", pod, client, why);
	} else if (!json_is_string(ip_str) || !parse_ip4(json_string_value(ip_str), ip) ||
	           !json_is_string(node_str) ||
	           !parse_ip4(json_string_value(node_str), node)) {
		bad_item(bad, "portal %.100s for %.60s (bad IP or NodeIP)", pod, client);
	} else if (app_name(owner, json_string_value(service), client, strlen(client)) < 0) {
		bad_item(bad, "portal %.100s for %.60s (not a hostname)", pod, client);
	} else {
		ret = add_a_ptr(out, owner, ip, ctx->ttl, RR_KIND_PORTAL);
		if (ret == KNOT_EOK) { // the A (not its PTR) is for the portal's node
			memcpy(&out->rrs[out->count - 2].view.node, node, 4);
		}
	}
	json_decref(ann);
	return ret;
}

static int read_depends(const lainlet_ctx_t *ctx, const char *doc, size_t len,
                    lainlet_data_t *data)
{
	memset(data, 0, sizeof(*data));
	rr_list_t *out = &data->records;
	json_t *root = load_object(ctx, "depends", doc, len);
	if (root == NULL) {
		return KNOT_EMALF;
	}
	bad_items_t bad = { .ctx = ctx, .doc = "depends" };
	int ret = KNOT_EOK;
	const char *pod, *node, *client;
	json_t *nodes, *clients, *item;
	json_object_foreach(root, pod, nodes) {
		json_object_foreach(nodes, node, clients) {
			json_object_foreach(clients, client, item) {
				ret = read_portal(ctx, &bad, pod, client, item, out);
				if (ret != KNOT_EOK) {
					goto done;
				}
			}
		}
	}
done:
	json_decref(root);
	bad_items_done(&bad);
	if (ret != KNOT_EOK) {
		rr_list_clear(out);
	}
	return ret;
}

/*! \brief tinydata's bad-line reports go to the document's bad items. */
static void bad_line(void *arg, const char *source, unsigned line, const char *reason)
{
	bad_item(arg, "%s line %u (%s)", source, line, reason);
}

static int read_tinydns(const lainlet_ctx_t *ctx, const char *doc, size_t len,
                    lainlet_data_t *data)
{
	memset(data, 0, sizeof(*data));
	rr_list_t *out = &data->records;
	json_t *root = load_object(ctx, "tinydns_fqdns", doc, len);
	if (root == NULL) {
		return KNOT_EMALF;
	}
	bad_items_t bad = { .ctx = ctx, .doc = "tinydns_fqdns" };
	int ret = KNOT_EOK;
	const char *key;
	json_t *value;
	json_object_foreach(root, key, value) {
		json_t *lines = json_is_string(value) ?
		                json_loads(json_string_value(value), 0, NULL) : NULL;
		if (!json_is_array(lines)) {
			bad_item(&bad, "key %.100s (not a JSON array of lines)", key);
			json_decref(lines);
			continue;
		}
		tinydata_ctx_t tctx = { .source = key, .log = bad_line, .log_arg = &bad,
		                        .kind = RR_KIND_STATIC };
		size_t i;
		json_t *line;
		json_array_foreach(lines, i, line) {
			if (!json_is_string(line)) {
				bad_item(&bad, "%.100s line %zu (not a string)", key, i + 1);
				continue;
			}
			ret = tinydata_line(&tctx, out, json_string_value(line),
			                    json_string_length(line), i + 1);
			if (ret != KNOT_EOK) {
				break;
			}
		}
		json_decref(lines);
		if (ret != KNOT_EOK) {
			break;
		}
	}
	json_decref(root);
	bad_items_done(&bad);
	if (ret != KNOT_EOK) {
		rr_list_clear(out);
	}
	return ret;
}

static int read_string(const char *doc, size_t len, const char *key, char *out,
                       size_t out_len)
{
	json_t *root = json_loadb(doc, len, 0, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		return KNOT_EMALF;
	}
	json_t *value = json_object_get(root, key);
	int ret = KNOT_EOK;
	if (value == NULL) {
		ret = KNOT_ENOENT;
	} else if (!json_is_string(value)) {
		ret = KNOT_EMALF;
	} else if (json_string_length(value) >= out_len) {
		ret = KNOT_ESPACE;
	} else {
		memcpy(out, json_string_value(value), json_string_length(value) + 1);
	}
	json_decref(root);
	return ret;
}

/*
 * The readers' entry points: each document's jansson values live in one arena
 * (see jarena.h), made and released within the call.
 */

/*! \brief Runs a reader with its document's jansson values in an arena. */
static int in_arena(lainlet_read_f read, const lainlet_ctx_t *ctx, const char *doc,
                    size_t len, lainlet_data_t *out)
{
	jarena_begin();
	int ret = read(ctx, doc, len, out);
	jarena_end();
	return ret;
}

int lainlet_coreinfo(const lainlet_ctx_t *ctx, const char *doc, size_t len,
                     lainlet_data_t *out)
{
	return in_arena(read_coreinfo, ctx, doc, len, out);
}

int lainlet_depends(const lainlet_ctx_t *ctx, const char *doc, size_t len,
                    lainlet_data_t *out)
{
	return in_arena(read_depends, ctx, doc, len, out);
}

int lainlet_tinydns(const lainlet_ctx_t *ctx, const char *doc, size_t len,
                    lainlet_data_t *out)
{
	return in_arena(read_tinydns, ctx, doc, len, out);
}

int lainlet_config_string(const char *doc, size_t len, const char *key, char *out,
                          size_t out_len)
{
	jarena_begin();
	int ret = read_string(doc, len, key, out, out_len);
	jarena_end();
	return ret;
}

void lainlet_init(void)
{
	jarena_install();
}
