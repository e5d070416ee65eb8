/*
 * Parse floor: how long the JSON libraries take to read a lainlet document.
 *
 *   parse_bench FILE [REPEATS]
 *
 * Prints one line per measurement, "name min_us median_us", each the best and the
 * median of REPEATS runs (default 5) over the whole file held in memory:
 *   fnv1a          64-bit FNV-1a over every byte, one at a time (touching each byte)
 *   jansson        json_loadb(JSON_REJECT_DUPLICATES) + json_decref, as the module does
 *   jansson_nodup  json_loadb(0) + json_decref
 *   jansson_fields jansson parse + walking to every pod's InstanceNo and first
 *                  ContainerIp (what the module reads), + decref
 *   cjson          cJSON_ParseWithLength + cJSON_Delete
 *   json_members   mod-lain's member framing (module/member.c) over the document in
 *                  16 KiB pieces, as the stream delivers it, each member read by
 *                  jansson (json_loadb + decref); members counted
 *   lainlet_read   mod-lain's coreinfo reader (module/lainlet.c): the framing, jansson,
 *                  and the procs and instances it keeps, in 16 KiB pieces
 * Build (bench/run.sh): cc -O2 -Imodule parse_bench.c parse_module.c
 *                       module/{member,lainlet,lainlet_data,rr,mem,tinydata}.c
 *                       -ljansson -lcjson $(pkg-config --cflags --libs libknot)
 */
#include <cjson/cJSON.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hash.h"

/* mod-lain's readers (bench/parse_module.c) */
long module_members(const char *doc, long len);
long module_read(const char *doc, long len);

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *name, double *t, int n, long checksum)
{
	qsort(t, n, sizeof(*t), cmp);
	printf("%s %.0f %.0f %ld\n", name, t[0], t[n / 2], checksum);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE [REPEATS]\n", argv[0]);
		return 2;
	}
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	if (reps < 1 || reps > 1000) {
		reps = 5;
	}
	FILE *f = fopen(argv[1], "rb");
	if (f == NULL) {
		perror(argv[1]);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *doc = malloc(len + 1);
	if (doc == NULL || fread(doc, 1, len, f) != (size_t)len) {
		fprintf(stderr, "read failed\n");
		return 1;
	}
	doc[len] = '\0';
	fclose(f);
	printf("bytes %ld %d\n", len, reps);
	double *t = calloc(reps, sizeof(*t));

	long sum = 0;
	for (int r = 0; r < reps; r++) {
		double s = now_us();
		uint64_t h = fnv1a_step(FNV1A_START ^ (uint64_t)len, doc, len);
		t[r] = now_us() - s;
		sum = (long)(h & 0xffff);
	}
	report("fnv1a", t, reps, sum);

	int flags[2] = { JSON_REJECT_DUPLICATES, 0 };
	const char *names[2] = { "jansson", "jansson_nodup" };
	for (int k = 0; k < 2; k++) {
		for (int r = 0; r < reps; r++) {
			json_error_t err;
			double s = now_us();
			json_t *root = json_loadb(doc, len, flags[k], &err);
			if (root == NULL) {
				fprintf(stderr, "jansson: %s\n", err.text);
				return 1;
			}
			sum = (long)json_object_size(root);
			json_decref(root);
			t[r] = now_us() - s;
		}
		report(names[k], t, reps, sum);
	}

	for (int r = 0; r < reps; r++) {
		json_error_t err;
		double s = now_us();
		json_t *root = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &err);
		if (root == NULL) {
			return 1;
		}
		const char *key;
		json_t *group;
		long n = 0;
		json_object_foreach(root, key, group) {
			json_t *pods = json_object_get(group, "PodInfos");
			size_t i;
			json_t *pod;
			json_array_foreach(pods, i, pod) {
				json_t *no = json_object_get(pod, "InstanceNo");
				json_t *c = json_array_get(json_object_get(pod, "ContainerInfos"), 0);
				json_t *ip = json_object_get(c, "ContainerIp");
				if (json_is_integer(no) && json_is_string(ip)) {
					n += json_string_length(ip) > 0;
				}
			}
		}
		json_decref(root);
		t[r] = now_us() - s;
		sum = n;
	}
	report("jansson_fields", t, reps, sum);

	for (int r = 0; r < reps; r++) {
		double s = now_us();
		cJSON *root = cJSON_ParseWithLength(doc, len);
		if (root == NULL) {
			fprintf(stderr, "cjson: parse failed\n");
			return 1;
		}
		sum = cJSON_GetArraySize(root);
		cJSON_Delete(root);
		t[r] = now_us() - s;
	}
	report("cjson", t, reps, sum);

	for (int r = 0; r < reps; r++) {
		double s = now_us();
		sum = module_members(doc, len);
		t[r] = now_us() - s;
		if (sum < 0) {
			return 1;
		}
	}
	report("json_members", t, reps, sum);
	for (int r = 0; r < reps; r++) {
		double s = now_us();
		sum = module_read(doc, len);
		t[r] = now_us() - s;
		if (sum < 0) {
			return 1;
		}
	}
	report("lainlet_read", t, reps, sum);
	free(t);
	free(doc);
	return 0;
}
