/*!
 * \file
 * \brief Fuzz target of the push JSON tokenizer.
 *
 * The input is the document. It is parsed whole, then in pieces chosen from
 * a hash of it (two, three, small random ones, byte by byte), with a cap on
 * strings and a callback that stops the parse: every way must give the same
 * tokens, offsets, result and message. The whole parse is compared with
 * jansson's json_loadb(JSON_DECODE_ANY | JSON_ALLOW_NUL): both accept or both
 * reject, but where only jansson fails for a number out of its range or a NUL
 * in a key, or only the tokenizer for nesting deeper than JSON_DEPTH_MAX or
 * for a raw NUL byte (jansson skips one after a number or literal). If
 * jansson also reads it with JSON_REJECT_DUPLICATES, the values must match.
 *
 * Build: clang -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
 *        -I module $(pkg-config --cflags libknot jansson) tests/fuzz/fuzz_json.c \
 *        module/json.c $(pkg-config --libs libknot jansson)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libknot/libknot.h>

// json.h's token names JSON_STRING, JSON_TRUE, JSON_FALSE and JSON_NULL are
// jansson's json_type names too: ours get other names in this file.
#define JSON_STRING JSONP_STRING
#define JSON_TRUE JSONP_TRUE
#define JSON_FALSE JSONP_FALSE
#define JSON_NULL JSONP_NULL
#include "json.h"
#include "../unit/utf8_check.h"
#include "fuzz.h"
#undef JSON_STRING
#undef JSON_TRUE
#undef JSON_FALSE
#undef JSON_NULL

/*! \brief Tokens seen, as a hash. */
typedef struct {
	json_push_t *p;
	uint64_t hash;       /*!< Tokens, depths, texts and offsets. */
	uint64_t values;     /*!< Tokens and values only, as jansson_hash makes them. */
	size_t count;        /*!< Tokens seen. */
	size_t fail_at;      /*!< Stop at this token (1-based), 0 never. */
	size_t max_string;
	unsigned level;      /*!< Containers open, by the tokens seen. */
	uint64_t objects;    /*!< Bit i set: open container i is an object. */
	bool key_next;       /*!< A key or the object's end comes next. */
} rec_t;

/*! \brief Hashes a value as both recorders do: a kind byte, then its bytes. */
static uint64_t value_hash(uint64_t h, char kind, const void *data, size_t len)
{
	h = fnv(h, &kind, 1);
	h = fnv(h, &len, sizeof(len));
	return fnv(h, data, len);
}

/*! \brief Hashes a number as jansson reads it: integer if it can be, else real. */
static uint64_t number_hash(uint64_t h, const char *text)
{
	if (strpbrk(text, ".eE") == NULL) {
		errno = 0;
		long long i = strtoll(text, NULL, 10); // Out of range: jansson fails.
		return value_hash(h, 'i', &i, sizeof(i));
	}
	double d = strtod(text, NULL);
	return value_hash(h, 'r', &d, sizeof(d));
}

static int rec_token(void *arg, json_token_t token, const char *text, size_t len)
{
	rec_t *r = arg;
	unsigned depth = json_push_depth(r->p);
	bool has_text = token == JSON_KEY || token == JSONP_STRING || token == JSON_NUMBER;
	CHECK(token <= JSONP_NULL);
	CHECK(has_text == (text != NULL) && (has_text || len == 0));
	CHECK(!has_text || (text[len] == '\0' && len <= r->max_string));
	CHECK(token != JSON_NUMBER || strlen(text) == len);
	CHECK(token == JSON_NUMBER || !has_text || utf8_valid((const uint8_t *)text, len));

	// Depths, keys and ends in their places.
	bool end = (token == JSON_OBJECT_END || token == JSON_ARRAY_END);
	CHECK(r->key_next == (token == JSON_KEY || token == JSON_OBJECT_END));
	if (end) {
		CHECK(r->level > 0);
		r->level--;
		CHECK((token == JSON_OBJECT_END) == (r->objects >> r->level & 1));
	}
	CHECK(depth == r->level && depth <= JSON_DEPTH_MAX);
	if (token == JSON_OBJECT_BEGIN || token == JSON_ARRAY_BEGIN) {
		uint64_t bit = (uint64_t)1 << r->level;
		r->objects = (token == JSON_OBJECT_BEGIN) ? r->objects | bit : r->objects & ~bit;
		r->key_next = (token == JSON_OBJECT_BEGIN);
		r->level++;
	} else if (token == JSON_KEY) {
		r->key_next = false;
	} else {
		// A value is complete: a key comes next in an object.
		r->key_next = r->level > 0 && (r->objects >> (r->level - 1) & 1);
	}

	size_t offset = json_push_offset(r->p);
	r->hash = fnv(r->hash, &token, sizeof(token));
	r->hash = fnv(r->hash, &depth, sizeof(depth));
	r->hash = fnv(r->hash, &offset, sizeof(offset));
	r->hash = value_hash(r->hash, 's', text, len);
	if (token == JSON_NUMBER) {
		r->values = number_hash(r->values, text);
	} else {
		r->values = value_hash(r->values, "{}[]ksntfz"[token], text, len);
	}

	r->count++;
	return (r->count == r->fail_at) ? KNOT_ERANGE : KNOT_EOK;
}

/*! \brief What a parse gave. */
typedef struct {
	int ret;
	uint64_t hash;
	uint64_t values;
	size_t count;
	size_t offset;
	char err[128];
} result_t;

/*! \brief Piece sizes: whole, cut at two points, random small, or byte by byte. */
typedef enum { WHOLE, TWO, THREE, RANDOM, BYTES } split_t;

/*! \brief Parses the document in pieces, then ends it. */
static result_t parse(const uint8_t *in, size_t n, size_t max_string, size_t fail_at,
                      split_t split, uint64_t seed)
{
	rec_t r = { .hash = FNV_START, .values = FNV_START, .fail_at = fail_at,
	            .max_string = max_string };
	json_push_t p;
	json_push_init(&p, max_string, rec_token, &r);
	r.p = &p;
	size_t cuts[2] = { seed % (n + 1), (seed >> 32) % (n + 1) };
	if (cuts[0] > cuts[1]) {
		size_t tmp = cuts[0];
		cuts[0] = cuts[1];
		cuts[1] = tmp;
	}

	int ret = KNOT_EOK;
	size_t at = 0;
	while (ret == KNOT_EOK && at < n) {
		size_t piece = n - at;
		switch (split) {
		case WHOLE:
			break;
		case TWO:
			piece = (at < cuts[0]) ? cuts[0] - at : n - at;
			break;
		case THREE:
			piece = (at < cuts[0]) ? cuts[0] - at :
			        (at < cuts[1]) ? cuts[1] - at : n - at;
			break;
		case RANDOM:
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			piece = (seed >> 33) % 17; // Empty pieces too.
			break;
		case BYTES:
			piece = 1;
			break;
		}
		piece = (piece > n - at) ? n - at : piece;
		ret = json_push_feed(&p, (const char *)in + at, piece);
		at += piece;
		CHECK(p.cap == 0 || (p.cap - 1 <= max_string && p.len < p.cap));
	}
	if (ret == KNOT_EOK) {
		ret = json_push_end(&p);
		CHECK(ret != KNOT_EOK || r.level == 0);
	}

	result_t res = { .ret = ret, .hash = r.hash, .values = r.values, .count = r.count,
	                 .offset = json_push_offset(&p) };
	snprintf(res.err, sizeof(res.err), "%s", json_push_error(&p));
	CHECK((ret == KNOT_EMALF) == (res.err[0] != '\0'));
	CHECK(ret == KNOT_EOK || ret == KNOT_EMALF || ret == KNOT_ERANGE);
	CHECK(ret == KNOT_EOK || json_push_feed(&p, "[", 1) == ret);
	json_push_deinit(&p);
	return res;
}

static void check_same(const result_t *a, const result_t *b)
{
	CHECK(a->ret == b->ret);
	CHECK(a->hash == b->hash && a->values == b->values && a->count == b->count);
	CHECK(a->offset == b->offset);
	CHECK(strcmp(a->err, b->err) == 0);
}

/*! \brief Hashes a jansson value like rec_token hashes the tokens of it. */
static uint64_t jansson_hash(uint64_t h, json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		h = value_hash(h, '{', NULL, 0);
		json_object_foreach(v, key, item) {
			h = value_hash(h, 'k', key, strlen(key));
			h = jansson_hash(h, item);
		}
		return value_hash(h, '}', NULL, 0);
	case JSON_ARRAY:
		h = value_hash(h, '[', NULL, 0);
		json_array_foreach(v, i, item) {
			h = jansson_hash(h, item);
		}
		return value_hash(h, ']', NULL, 0);
	case JSON_STRING:
		return value_hash(h, 's', json_string_value(v), json_string_length(v));
	case JSON_INTEGER: {
		long long n = json_integer_value(v);
		return value_hash(h, 'i', &n, sizeof(n));
	}
	case JSON_REAL: {
		double d = json_real_value(v);
		return value_hash(h, 'r', &d, sizeof(d));
	}
	case JSON_TRUE:
		return value_hash(h, 't', NULL, 0);
	case JSON_FALSE:
		return value_hash(h, 'f', NULL, 0);
	default:
		return value_hash(h, 'z', NULL, 0);
	}
}

/*!
 * \brief jansson failed only where the tokenizer accepts by design.
 *
 * jansson's messages may go on with " near '<token>'".
 */
static bool jansson_exempt(const char *text)
{
	static const char *exempt[] = {
		"too big integer", "too big negative integer", "real number overflow",
		"NUL byte in object key not supported",
	};
	for (size_t i = 0; i < sizeof(exempt) / sizeof(exempt[0]); i++) {
		if (strncmp(text, exempt[i], strlen(exempt[i])) == 0) {
			return true;
		}
	}
	return false;
}

/*! \brief Compares the whole parse with jansson's. */
static void check_jansson(const uint8_t *in, size_t n, const result_t *ours)
{
	json_error_t err;
	const size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL;
	json_t *doc = json_loadb((const char *)in, n, flags, &err);
	bool deep = strstr(ours->err, "nested deeper than") != NULL;
	// jansson skips a NUL byte after a number or literal (it ungets the NUL,
	// which its stream takes for an empty buffer): "[1\0]" passes there.
	bool nul = strstr(ours->err, ", got 0x00") != NULL;
	if (doc == NULL && jansson_exempt(err.text)) {
		return;
	} else if (doc == NULL) {
		if (ours->ret != KNOT_EMALF) {
			fprintf(stderr, "jansson rejects (%s), json_push accepts\n", err.text);
			abort();
		}
		return;
	} else if (ours->ret != KNOT_EOK && !deep && !nul) {
		fprintf(stderr, "jansson accepts, json_push rejects: %s\n", ours->err);
		abort();
	}
	json_decref(doc);

	// Without duplicate keys, jansson's tree has all the values, in order.
	doc = json_loadb((const char *)in, n, flags | JSON_REJECT_DUPLICATES, &err);
	if (doc != NULL && ours->ret == KNOT_EOK) {
		CHECK(jansson_hash(FNV_START, doc) == ours->values);
	}
	json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	uint64_t seed = fnv(FNV_START, in, n);

	// Whole and split, with no cap to speak of.
	result_t whole = parse(in, n, n, 0, WHOLE, seed);
	result_t split = parse(in, n, n, 0, (split_t)(TWO + seed % 3), seed);
	check_same(&whole, &split);
	if (n <= 4096) {
		split = parse(in, n, n, 0, BYTES, seed);
		check_same(&whole, &split);
	}
	check_jansson(in, n, &whole);

	// A small cap, and a callback that stops, whole and split.
	size_t cap = seed >> 8 & 15;
	size_t fail_at = (whole.count > 0) ? (seed >> 16) % whole.count + 1 : 0;
	whole = parse(in, n, cap, 0, WHOLE, seed);
	split = parse(in, n, cap, 0, RANDOM, seed);
	check_same(&whole, &split);
	whole = parse(in, n, n, fail_at, WHOLE, seed);
	split = parse(in, n, n, fail_at, THREE, seed);
	check_same(&whole, &split);
	CHECK(fail_at == 0 || (whole.ret == KNOT_ERANGE && whole.count == fail_at));
	return 0;
}
