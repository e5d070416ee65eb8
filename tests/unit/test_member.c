/*!
 * \file
 * \brief The framing of top-level members: split at any byte, strings,
 *        escapes, nesting, punctuation, caps, skipped members and slices.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libknot/libknot.h>

#include "member.h"
#include "tap.h"

/*! \brief What a framing handed out, one line per item ("-" for a dropped one). */
typedef struct {
	char out[1 << 20];
	size_t len;
	int take;              /*!< What begin returns (-1: no begin callback). */
	size_t max;            /*!< Cap begin sets (0: leave it). */
	char keys[1024];       /*!< Keys begin saw, one a line. */
} sink_t;

static void sink_put(sink_t *s, const char *bytes, size_t len)
{
	if (s->len + len + 1 < sizeof(s->out)) {
		memcpy(s->out + s->len, bytes, len);
		s->len += len;
		s->out[s->len++] = '\n';
		s->out[s->len] = '\0';
	}
}

static int on_begin(void *arg, const char *key, size_t len, char first, size_t *max)
{
	sink_t *s = arg;
	size_t at = strlen(s->keys);
	snprintf(s->keys + at, sizeof(s->keys) - at, "%.*s%c\n", (int)len, key, first);
	if (s->max != 0) {
		*max = s->max;
	}
	return s->take;
}

static int on_item(void *arg, const char *bytes, size_t len)
{
	sink_put(arg, bytes != NULL ? bytes : "-", bytes != NULL ? len : 1);
	return KNOT_EOK;
}

/*! \brief Slices are decoded by jansson and put together as one line. */
static int on_slice(void *arg, const char *bytes, size_t len, bool last)
{
	sink_t *s = arg;
	json_t *v = json_loadb(bytes, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (!json_is_string(v)) {
		json_decref(v);
		return KNOT_EMALF;
	}
	memcpy(s->out + s->len, json_string_value(v), json_string_length(v));
	s->len += json_string_length(v);
	json_decref(v);
	if (last) {
		s->out[s->len++] = '\n';
	}
	s->out[s->len] = '\0';
	return KNOT_EOK;
}

/*! \brief Frames a document fed in the given pieces; returns member_end's code. */
static int frame(sink_t *s, bool array, size_t max, const char *doc, size_t len,
                 const size_t *cuts, size_t ncuts, member_framer_t *keep)
{
	member_calls_t calls = { .begin = s->take >= 0 ? on_begin : NULL, .item = on_item,
	                         .slice = on_slice, .arg = s };
	member_framer_t f;
	member_init(&f, array, max, &calls);
	member_reset(&f);
	s->len = 0;
	s->out[0] = '\0';
	s->keys[0] = '\0';
	size_t at = 0;
	int ret = KNOT_EOK;
	for (size_t i = 0; i <= ncuts && ret == KNOT_EOK; i++) {
		size_t end = i < ncuts ? cuts[i] : len;
		ret = member_feed(&f, doc + at, end - at);
		at = end;
	}
	ret = member_end(&f);
	if (keep != NULL) {
		*keep = f;
	} else {
		member_deinit(&f);
	}
	return ret;
}

/*! \brief Frames whole, at every split point in two, and one byte at a time: the same. */
static bool same_at_every_split(bool array, const char *doc, const char *expected,
                                int expected_ret)
{
	static sink_t whole, split;
	size_t len = strlen(doc);
	whole.take = split.take = -1;
	int ret = frame(&whole, array, 1 << 20, doc, len, NULL, 0, NULL);
	if (ret != expected_ret || (expected != NULL && strcmp(whole.out, expected) != 0)) {
		diag("whole: %d '%s'", ret, whole.out);
		return false;
	}
	for (size_t cut = 0; cut <= len; cut++) {
		if (frame(&split, array, 1 << 20, doc, len, &cut, 1, NULL) != ret ||
		    strcmp(split.out, whole.out) != 0) {
			diag("split at %zu: '%s'", cut, split.out);
			return false;
		}
	}
	size_t *cuts = malloc(len * sizeof(*cuts));
	for (size_t i = 0; i < len; i++) {
		cuts[i] = i;
	}
	bool same = frame(&split, array, 1 << 20, doc, len, cuts, len, NULL) == ret &&
	            strcmp(split.out, whole.out) == 0;
	free(cuts);
	return same;
}

static void test_members(void)
{
	diag("members, strings, escapes, nesting");
	ok(same_at_every_split(false, "{}", "", KNOT_EOK), "an empty object");
	ok(same_at_every_split(false, " \t\r\n{ \n} \n", "", KNOT_EOK),
	   "whitespace around and inside");
	ok(same_at_every_split(false, "{\"a\": 1, \"b\" :true ,\"c\":null}",
	                       "{\"a\":1}\n{\"b\":true}\n{\"c\":null}\n", KNOT_EOK),
	   "scalars, whitespace between key, ':' and value dropped");
	ok(same_at_every_split(false, "{\"k\\\"}{\": \"v\\\\\\\"}]{[\", \"n\": -1.5e+3}",
	                       "{\"k\\\"}{\":\"v\\\\\\\"}]{[\"}\n{\"n\":-1.5e+3}\n", KNOT_EOK),
	   "escaped quotes and braces in a key and a value");
	ok(same_at_every_split(false, "{\"a\": [[{\"b\": [1, {\"c\": {}}]}], \"]}\"], "
	                       "\"d\": {\"e\": {\"f\": \"\\u007d\"}}}",
	                       "{\"a\":[[{\"b\": [1, {\"c\": {}}]}], \"]}\"]}\n"
	                       "{\"d\":{\"e\": {\"f\": \"\\u007d\"}}}\n", KNOT_EOK),
	   "nesting kept whole, a close inside a string is no close");
	ok(same_at_every_split(true, "[1, \"two\", [3], {\"4\": 4}]",
	                       "1\n\"two\"\n[3]\n{\"4\": 4}\n", KNOT_EOK),
	   "an array's elements");
	ok(same_at_every_split(false, "{\"h\": \"h\xc3\xa9llo\", \"u\": \"\\ud83d\\ude00\"}",
	                       "{\"h\":\"h\xc3\xa9llo\"}\n{\"u\":\"\\ud83d\\ude00\"}\n",
	                       KNOT_EOK),
	   "UTF-8 and surrogate escapes pass through untouched");
}

static void test_punctuation(void)
{
	diag("top-level punctuation");
	static const struct {
		const char *doc;
		const char *error;
	} bad[] = {
		{ "", "not a JSON object" },
		{ "  ", "not a JSON object" },
		{ "[1]", "not a JSON object" },
		{ "\"a\"", "not a JSON object" },
		{ "{\"a\" 1}", "byte 5: expected ':' after a key, got '1'" },
		{ "{\"a\": 1 \"b\": 2}", "byte 8: expected ',' or '}', got '\"'" },
		{ "{\"a\": 1,}", "byte 8: expected a key, got '}'" },
		{ "{\"a\": }", "byte 6: expected a value, got '}'" },
		{ "{,}", "byte 1: expected a key, got ','" },
		{ "{a: 1}", "byte 1: expected a key, got 'a'" },
		{ "{} x", "byte 3: expected nothing after the close, got 'x'" },
		{ "{}}", "byte 2: expected nothing after the close, got '}'" },
		{ "{\"a\": 1", "byte 7: the document ends before its close" },
		{ "{\"a\": \"1}", "byte 9: the document ends before its close" },
		{ "{\"a\": [1}", "byte 9: the document ends before its close" },
		{ "{\x01}", "byte 1: expected a key, got byte 0x01" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool same = same_at_every_split(false, bad[i].doc, NULL, KNOT_EMALF);
		sink_t *s = calloc(1, sizeof(*s));
		s->take = -1;
		member_framer_t f;
		frame(s, false, 1 << 20, bad[i].doc, strlen(bad[i].doc), NULL, 0, &f);
		ok(same && strcmp(member_error(&f), bad[i].error) == 0,
		   "'%s' refused at every split (%s)", bad[i].doc, member_error(&f));
		member_deinit(&f);
		free(s);
	}
	ok(same_at_every_split(true, "[1,]", NULL, KNOT_EMALF), "an array's trailing ','");
	// What is wrong inside a member is jansson's to find: framed as it is.
	ok(same_at_every_split(false, "{\"a\": [1}, \"b\": tru}", "{\"a\":[1}}\n{\"b\":tru}\n",
	                       KNOT_EOK), "inside a member, only the nesting is followed");
}

static void test_caps(void)
{
	diag("caps: refused while framing, never buffered");
	sink_t *s = calloc(1, sizeof(*s));
	s->take = -1;
	char doc[8192];
	int n = snprintf(doc, sizeof(doc), "{\"small\": 1, \"big\": \"");
	memset(doc + n, 'x', 4000);
	snprintf(doc + n + 4000, sizeof(doc) - n - 4000, "\", \"after\": [2]}");
	member_framer_t f;
	int ret = frame(s, false, 100, doc, strlen(doc), NULL, 0, &f);
	ok(ret == KNOT_EOK && strcmp(s->out, "{\"small\":1}\n-\n{\"after\":[2]}\n") == 0,
	   "a member over its cap is refused once, the next ones read");
	ok(f.cap <= 256, "and it was never buffered (%zu bytes allocated)", f.cap);
	member_deinit(&f);

	// begin lowers the cap of one member, or skips it.
	s->take = MEMBER_WHOLE;
	s->max = 14;
	ret = frame(s, false, 1 << 20, "{\"a\": \"1234567\", \"b\": \"12345678\"}", 33, NULL, 0,
	            NULL);
	ok(ret == KNOT_EOK && strcmp(s->out, "{\"a\":\"1234567\"}\n-\n") == 0,
	   "a cap set by begin counts the member's key and value");
	ok(strcmp(s->keys, "\"a\"\"\n\"b\"\"\n") == 0, "begin sees each key and its first byte");
	s->take = MEMBER_SKIP;
	s->max = 0;
	ret = frame(s, false, 10, doc, strlen(doc), NULL, 0, &f);
	ok(ret == KNOT_EOK && s->len == 0 && f.cap <= 256,
	   "skipped members are checked, not handed out nor buffered");
	member_deinit(&f);
	ok(frame(s, false, 10, "{\"a\": [1, \"]\"], \"b\" 2}", 21, NULL, 0, NULL) == KNOT_EMALF,
	   "the punctuation after a skipped member is still checked");
	free(s);
}

/*! \brief A string value in slices decodes to what jansson makes of it whole. */
static void test_slices(void)
{
	diag("string values in slices");
	size_t body = 8 * MEMBER_SLICE + 100;
	char *doc = malloc(body + 64);
	size_t n = (size_t)sprintf(doc, "{\"k\": \"");
	static const char *const pieces[] = { "ab", "\\\"", "\\u00e9", "\xc3\xa9", "\\\\",
	                                      "\\ud83d\\ude00", "\\n", "}" };
	for (size_t i = 0; n < body; i++) {
		const char *p = pieces[i % (sizeof(pieces) / sizeof(pieces[0]))];
		memcpy(doc + n, p, strlen(p));
		n += strlen(p);
	}
	n += sprintf(doc + n, "\", \"z\": \"end\"}");
	json_t *whole = json_loadb(doc, n, 0, NULL);
	const char *k = json_string_value(json_object_get(whole, "k"));
	size_t k_len = json_string_length(json_object_get(whole, "k"));
	sink_t *s = calloc(1, sizeof(*s));
	s->take = MEMBER_SLICES;
	member_framer_t f;
	int ret = frame(s, false, 1024, doc, n, NULL, 0, &f);
	ok(ret == KNOT_EOK && s->len == k_len + 5 && memcmp(s->out, k, k_len) == 0 &&
	   strcmp(s->out + k_len, "\nend\n") == 0,
	   "slices of %zu bytes decode to the value, with a cap of 1024 bytes", n);
	ok(f.cap <= 2 * MEMBER_SLICE, "the slice is all that is buffered (%zu bytes)", f.cap);
	member_deinit(&f);
	bool same = true;
	for (size_t cut = 1; cut < n && same; cut++) {
		same = frame(s, false, 1024, doc, n, &cut, 1, NULL) == KNOT_EOK &&
		       s->len == k_len + 5 && memcmp(s->out, k, k_len) == 0;
		// byte by byte only around the first cut and the end
		if (cut + 4093 < MEMBER_SLICE - 20) {
			cut += 4092;
		} else if (cut == MEMBER_SLICE + 40) {
			cut = n - 100;
		}
	}
	ok(same, "the same split anywhere, and around the first cut byte by byte");
	json_decref(whole);
	s->take = MEMBER_SLICES;
	ok(frame(s, false, 1024, "{\"n\": [\"x\"]}", 12, NULL, 0, NULL) == KNOT_EOK &&
	   strcmp(s->out, "{\"n\":[\"x\"]}\n") == 0, "a value that is no string comes whole");
	free(doc);
	free(s);
}

int main(void)
{
	test_members();
	test_punctuation();
	test_caps();
	test_slices();
	return done_testing();
}
