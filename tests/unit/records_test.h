/*!
 * \file
 * \brief Helpers shared by the unit tests of the document readers and the cluster:
 *        collected log lines, a fixture file read whole, records counted in a list.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "rr.h"

/*! \brief Collects log lines. */
typedef struct {
	char text[8192];
	unsigned lines;
} log_buf_t;

static inline void log_collect(void *arg, int priority, const char *line)
{
	log_buf_t *b = arg;
	size_t len = strlen(b->text);
	snprintf(b->text + len, sizeof(b->text) - len, "%s\n", line);
	b->lines++;
}

/*! \brief A whole file of dir, NUL-terminated (NULL when it cannot be opened). */
static inline char *read_file(const char *dir, const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	*len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc(*len + 1);
	if (fread(buf, 1, *len, f) != *len) {
		*len = 0;
	}
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/*! \brief Counts records of a type at a presentation-format owner, with this rdata. */
static inline int count_rr(const rr_list_t *list, const char *owner, uint16_t type,
                    const void *rdata, size_t rdlen)
{
	uint8_t name[KNOT_DNAME_MAXLEN];
	knot_dname_from_str(name, owner, sizeof(name));
	knot_dname_to_lower(name);
	int n = 0;
	for (size_t i = 0; i < list->count; i++) {
		const rr_t *rr = &list->rrs[i];
		if (rr->type == type && knot_dname_is_equal(rr_owner(list, rr), name) &&
		    (rdata == NULL || (rr->rdlen == rdlen &&
		                       memcmp(rr_rdata(list, rr), rdata, rdlen) == 0))) {
			n++;
		}
	}
	return n;
}
