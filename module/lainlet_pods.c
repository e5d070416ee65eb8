/*!
 * \file
 * \brief The member readers of coreinfo (pod groups -> procs and instances) and
 *        depends (portal pods -> portal records), their bad items logged.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "lainlet_reader.h"
#include "mem.h"

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
 * coreinfo: { "<app>.<proctype>.<procname>": { "PodInfos": [ { "InstanceNo": n,
 * "ContainerInfos": [ { "ContainerIp": "...", "Expose": port, ... } ] } ] } }
 */

/*! \brief A pod group whose key or value is not of the documented shape. */
static void bad_group(reader_t *r, const char *key)
{
	lainlet_bad_item(&r->bad, "'%.100s' (not <app>.<proctype>.<procname> with PodInfos)", key);
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
		lainlet_bad_item(&r->bad, "'%.100s' (not a hostname)", key);
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
		lainlet_bad_item(&r->bad, "pod of %s (InstanceNo or ContainerInfos missing)", key);
		return KNOT_EOK;
	}
	long long n = json_integer_value(no);
	if (n < 1 || json_array_size(containers) == 0) {
		return KNOT_EOK; // not an instance, or no container yet
	}
	json_t *first = json_array_get(containers, 0);
	json_t *ip_str = json_object_get(first, "ContainerIp");
	if (!json_is_string(ip_str)) {
		lainlet_bad_item(&r->bad, "%s instance %lld (ContainerIp is not a string)", key, n);
		return KNOT_EOK;
	}
	if (json_string_length(ip_str) == 0) {
		return KNOT_EOK; // being created
	}
	uint8_t ip[4], label[KNOT_DNAME_MAXLABELLEN + 2];
	const char *ip_text = lainlet_text_of(ip_str);
	if (ip_text == NULL || !parse_ip4(ip_text, ip)) {
		char shown[65];
		lainlet_copy_text(shown, sizeof(shown), json_string_value(ip_str),
		          json_string_length(ip_str));
		lainlet_bad_item(&r->bad, "%s instance %lld (bad ContainerIp '%s')", key, n, shown);
		return KNOT_EOK;
	}
	const lainlet_proc_t *proc = &p->procs[p->count - 1];
	size_t label_len = n <= UINT32_MAX ?
	                   lainlet_instance_label(label, p->names + proc->proc, n) : 0;
	if (label_len == 0 ||
	    label_len + knot_dname_size(p->names + proc->app) > KNOT_DNAME_MAXLEN) {
		lainlet_bad_item(&r->bad, "%s instance %lld (not a hostname)", key, n);
		return KNOT_EOK;
	}
	json_t *expose = json_object_get(first, "Expose");
	return instance_add(r, n, ip, json_is_integer(expose) ? json_integer_value(expose) : 0);
}

/*! \brief coreinfo's member reader: a pod group, its pods. */
int lainlet_coreinfo_read(reader_t *r, const char *key, json_t *group)
{
	if (!json_is_object(group)) {
		lainlet_bad_item(&r->bad, "'%.100s' (not an object)", key);
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
			lainlet_bad_item(&r->bad, "pod %zu of %.100s (not an object)", i, key);
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
	const char *name = lainlet_text_of(service);
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
		lainlet_bad_item(&r->bad, "portal %.100s for %.60s (Annotation or Containers missing)",
		         pod, client);
		return KNOT_EOK;
	}
	json_t *ann;
	const char *why;
	const char *service = annotation_service(annotation, &ann, &why);
	const char *ip_text = lainlet_text_of(json_object_get(first, "IP"));
	const char *node_text = lainlet_text_of(json_object_get(first, "NodeIP"));
	uint8_t ip[4], node[4], owner[KNOT_DNAME_MAXLEN], ptr[KNOT_DNAME_MAXLEN];
	int ret = KNOT_EOK;
	if (service == NULL) {
		lainlet_bad_item(&r->bad, "portal %.100s for %.60s (%s)", pod, client, why);
	} else if (ip_text == NULL || !parse_ip4(ip_text, ip) || node_text == NULL ||
	           !parse_ip4(node_text, node)) {
		lainlet_bad_item(&r->bad, "portal %.100s for %.60s (bad IP or NodeIP)", pod, client);
	} else if (strlen(client) >= TEXT_MAX ||
	           app_name(owner, service, client, strlen(client)) < 0) {
		lainlet_bad_item(&r->bad, "portal %.100s for %.60s (not a hostname)", pod, client);
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
int lainlet_depends_read(reader_t *r, const char *pod, json_t *nodes)
{
	const char *node, *client;
	json_t *clients, *item;
	json_object_foreach(nodes, node, clients) {
		json_object_foreach(clients, client, item) {
			if (!json_is_object(item)) {
				lainlet_bad_item(&r->bad, "portal %.100s for %.60s (Annotation or "
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

