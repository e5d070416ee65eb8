/*!
 * \file
 * \brief What lainlet documents give: procs, instances and records, compared
 *        with what is served and emitted for a table build.
 */
#include <stdlib.h>
#include <string.h>

#include "lainlet.h"
#include "mem.h"

/*! \brief The wire name <label><app> of a proc's app and a first label. */
static size_t proc_name(uint8_t *out, const uint8_t *label, size_t label_len,
                        const uint8_t *app)
{
	memcpy(out, label, label_len);
	size_t app_len = knot_dname_size(app);
	memcpy(out + label_len, app, app_len);
	return label_len + app_len;
}

size_t lainlet_instance_label(uint8_t *out, const uint8_t *proc, uint32_t no)
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
	size_t label_len = lainlet_instance_label(label, names + proc->proc, in->no);
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

int lainlet_data_finish(lainlet_data_t *data)
{
	int ret = apps_collect(&data->procs);
	if (ret == KNOT_EOK) {
		data_shrink(data);
	}
	return ret;
}
