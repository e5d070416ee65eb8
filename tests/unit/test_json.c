/*!
 * \file
 * \brief Unit tests of the push JSON tokenizer (module/json.c).
 *
 * Tokens are recorded as a string: "{0" "}0" "[1" "]1" (begin and end tokens),
 * "k1:name" (key), "s1:text" (string), "n1:12" (number), "t1" "f1" "z1" (true,
 * false, null), each with its depth, separated by spaces; text bytes outside
 * '!'..'~' and '\\' are written "\xHH". Every case is parsed whole, in two
 * pieces at every split point, one byte at a time, and (if short) in three
 * pieces at every pair of split points: all must give the same tokens, token
 * offsets, result and error message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libknot/libknot.h>

#include "json.h"
#include "tap.h"
#include "utf8_check.h"

/*! \brief A string literal as (bytes, length), without its NUL. */
#define LIT(s) (s), (sizeof(s) - 1)

/*! \brief Number of elements of an array. */
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/*! \brief No cap on strings worth speaking of. */
#define NO_CAP (1 << 20)

/*! \brief Inputs up to this long are also parsed at every pair of split points. */
#define PAIRS_MAX 48

/*! \brief A growing NUL-terminated string. */
typedef struct {
	char *s;
	size_t len;
	size_t cap;
} str_t;

__attribute__((format(printf, 2, 3)))
static void str_printf(str_t *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (b->s == NULL) {
			abort();
		}
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += n;
}

static void str_clear(str_t *b)
{
	b->len = 0;
	str_printf(b, "%s", "");
}

static void str_free(str_t *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

/*! \brief Tokens seen. */
typedef struct {
	json_push_t *p;
	str_t tokens;      /*!< The tokens, as described at the top. */
	str_t offsets;     /*!< json_push_offset at every token. */
	str_t err;         /*!< json_push_error after the parse. */
	size_t count;      /*!< Tokens seen. */
	size_t fail_at;    /*!< Return fail_ret at this token (1-based), 0 never. */
	int fail_ret;
	size_t max_string;
	bool bad;          /*!< A token broke an invariant. */
} rec_t;

/*! \brief Records a token (json_token_f). */
static int rec_token(void *arg, json_token_t token, const char *text, size_t len)
{
	static const char marks[] = "{}[]ksntfz";
	rec_t *r = arg;
	bool has_text = (token == JSON_KEY || token == JSON_STRING ||
	                 token == JSON_NUMBER);
	if ((unsigned)token >= sizeof(marks) - 1 || has_text != (text != NULL) ||
	    (!has_text && len != 0) || (has_text && text[len] != '\0') ||
	    len > r->max_string || (token == JSON_NUMBER && strlen(text) != len) ||
	    (has_text && !utf8_valid((const uint8_t *)text, len)) ||
	    json_push_depth(r->p) > JSON_DEPTH_MAX) {
		r->bad = true;
		return KNOT_EOK;
	}

	str_printf(&r->tokens, "%s%c%u", r->tokens.len > 0 ? " " : "", marks[token],
	           json_push_depth(r->p));
	if (has_text) {
		str_printf(&r->tokens, ":");
		for (size_t i = 0; i < len; i++) {
			uint8_t c = text[i];
			if (c <= ' ' || c >= 0x7f || c == '\\') {
				str_printf(&r->tokens, "\\x%02x", c);
			} else {
				str_printf(&r->tokens, "%c", c);
			}
		}
	}
	str_printf(&r->offsets, "%zu ", json_push_offset(r->p));

	r->count++;
	return (r->count == r->fail_at) ? r->fail_ret : KNOT_EOK;
}

/*!
 * \brief Parses in[0..len) fed in pieces cut at cuts, then ends it.
 *
 * Checks that an error sticks (a further feed and the end return it) and
 * that the buffer keeps within the cap.
 */
static int parse(rec_t *r, size_t max_string, const char *in, size_t len,
                 const size_t *cuts, size_t ncuts)
{
	str_clear(&r->tokens);
	str_clear(&r->offsets);
	str_clear(&r->err);
	r->count = 0;
	r->bad = false;
	r->max_string = max_string;

	json_push_t p;
	json_push_init(&p, max_string, rec_token, r);
	r->p = &p;
	int ret = KNOT_EOK;
	size_t from = 0;
	for (size_t i = 0; i <= ncuts && ret == KNOT_EOK; i++) {
		size_t to = (i < ncuts) ? cuts[i] : len;
		ret = json_push_feed(&p, in + from, to - from);
		from = to;
	}
	if (ret == KNOT_EOK) {
		ret = json_push_end(&p);
	}
	str_printf(&r->err, "%s", json_push_error(&p));
	if (ret != KNOT_EOK) {
		size_t count = r->count;
		if (json_push_feed(&p, "1", 1) != ret || json_push_end(&p) != ret ||
		    r->count != count || strcmp(json_push_error(&p), r->err.s) != 0) {
			r->bad = true;
		}
	} else if (r->err.len != 0) {
		r->bad = true;
	}
	if (p.cap > 0 && (p.cap - 1 > max_string || p.len >= p.cap)) {
		r->bad = true;
	}
	json_push_deinit(&p);
	return ret;
}

static void rec_free(rec_t *r)
{
	str_free(&r->tokens);
	str_free(&r->offsets);
	str_free(&r->err);
}

/*! \brief The same outcome of two parses. */
static bool same(const rec_t *a, int ret_a, const rec_t *b, int ret_b)
{
	return ret_a == ret_b && !a->bad && !b->bad && a->count == b->count &&
	       strcmp(a->tokens.s, b->tokens.s) == 0 &&
	       strcmp(a->offsets.s, b->offsets.s) == 0 && strcmp(a->err.s, b->err.s) == 0;
}

/*!
 * \brief Parses in whole into whole, then split in all the ways described at
 *        the top: all must agree with the whole parse.
 *
 * \return The whole parse's result; *split_ok says if all agreed.
 */
static int parse_all(rec_t *whole, size_t max_string, const char *in, size_t len,
                     bool *split_ok)
{
	rec_t r = { .fail_at = whole->fail_at, .fail_ret = whole->fail_ret };
	int ret = parse(whole, max_string, in, len, NULL, 0);
	bool good = true;

	for (size_t i = 0; i <= len && good; i++) {
		good = same(whole, ret, &r, parse(&r, max_string, in, len, &i, 1));
		if (!good) {
			diag("split at %zu: %s / %s", i, r.tokens.s, r.err.s);
		}
	}
	size_t *cuts = malloc((len + 1) * sizeof(*cuts));
	for (size_t i = 0; i < len; i++) {
		cuts[i] = i + 1;
	}
	if (good && len > 0) {
		good = same(whole, ret, &r, parse(&r, max_string, in, len, cuts, len - 1));
		if (!good) {
			diag("byte by byte: %s / %s", r.tokens.s, r.err.s);
		}
	}
	for (size_t i = 0; i <= len && len <= PAIRS_MAX && good; i++) {
		for (size_t j = i; j <= len && good; j++) {
			size_t pair[2] = { i, j };
			good = same(whole, ret, &r, parse(&r, max_string, in, len, pair, 2));
			if (!good) {
				diag("split at %zu and %zu: %s / %s", i, j, r.tokens.s, r.err.s);
			}
		}
	}
	free(cuts);
	rec_free(&r);
	*split_ok = good;
	return ret;
}

/*! \brief A test input and what it must give. */
typedef struct {
	const char *in;
	size_t len;
	const char *expect;  /*!< Tokens if valid, a part of the error message if not. */
} case_t;

/*! \brief Runs a table of cases that must pass. */
static void run_valid(const char *what, const case_t *cases, size_t count, size_t max)
{
	rec_t r = { 0 };
	for (size_t i = 0; i < count; i++) {
		const case_t *c = &cases[i];
		bool split_ok;
		int ret = parse_all(&r, max, c->in, c->len, &split_ok);
		bool good = ret == KNOT_EOK && strcmp(r.tokens.s, c->expect) == 0;
		ok(good && split_ok, "%s %zu: %s", what, i, c->expect);
		if (!good) {
			diag("got %d: %s (%s)", ret, r.tokens.s, r.err.s);
		}
	}
	rec_free(&r);
}

/*! \brief Runs a table of cases that must fail with a syntax error. */
static void run_invalid(const char *what, const case_t *cases, size_t count, size_t max)
{
	rec_t r = { 0 };
	for (size_t i = 0; i < count; i++) {
		const case_t *c = &cases[i];
		bool split_ok;
		int ret = parse_all(&r, max, c->in, c->len, &split_ok);
		bool good = ret == KNOT_EMALF && strstr(r.err.s, c->expect) != NULL;
		ok(good && split_ok, "%s %zu: %s", what, i, c->expect);
		if (!good) {
			diag("got %d: %s (tokens %s)", ret, r.err.s, r.tokens.s);
		}
	}
	rec_free(&r);
}

/*! \brief Documents of every shape. */
static const case_t valid_docs[] = {
	{ LIT("{}"), "{0 }0" },
	{ LIT("[]"), "[0 ]0" },
	{ LIT(" \t\r\n[ \t\r\n] \t\r\n"), "[0 ]0" },
	{ LIT("{ }"), "{0 }0" },
	{ LIT("\"\""), "s0:" },
	{ LIT("\"abc\""), "s0:abc" },
	{ LIT("true"), "t0" },
	{ LIT("false"), "f0" },
	{ LIT("null"), "z0" },
	{ LIT(" null "), "z0" },
	{ LIT("[true,false,null]"), "[0 t1 f1 z1 ]0" },
	{ LIT("{\"a\":1}"), "{0 k1:a n1:1 }0" },
	{ LIT("{\"a\" : 1 , \"b\" :\"x\"}"), "{0 k1:a n1:1 k1:b s1:x }0" },
	{ LIT("{\"\":\"\"}"), "{0 k1: s1: }0" },
	{ LIT("{\"a\":1,\"a\":2}"), "{0 k1:a n1:1 k1:a n1:2 }0" },
	{ LIT("[[],{},[[]]]"), "[0 [1 ]1 {1 }1 [1 [2 ]2 ]1 ]0" },
	{ LIT("{\"a\":{\"b\":[1,true,null,\"c\"]},\"d\":[]}"),
	  "{0 k1:a {1 k2:b [2 n3:1 t3 z3 s3:c ]2 }1 k1:d [1 ]1 }0" },
	{ LIT("[{\"k\":[{}]}]"), "[0 {1 k2:k [2 {3 }3 ]2 }1 ]0" },
	{ LIT("[\"x\",-1.5,{}]"), "[0 s1:x n1:-1.5 {1 }1 ]0" },
	{ LIT("{\"PodInfos\":[{\"InstanceNo\":1,\"ContainerIp\":\"172.20.0.1\"}]}"),
	  "{0 k1:PodInfos [1 {2 k3:InstanceNo n3:1 k3:ContainerIp s3:172.20.0.1 }2 ]1 }0" },
	{ LIT("\"a b\""), "s0:a\\x20b" },
	{ LIT("\"\x7f\""), "s0:\\x7f" },
	{ LIT("[ 1 , 2 ]"), "[0 n1:1 n1:2 ]0" },
	{ LIT("[1]"), "[0 n1:1 ]0" },
	{ LIT("{\"a\":-0}"), "{0 k1:a n1:-0 }0" },
};

/*! \brief Numbers: valid ones, as top-level values and in an array. */
static const case_t valid_numbers[] = {
	{ LIT("0"), "n0:0" },
	{ LIT("-0"), "n0:-0" },
	{ LIT("12"), "n0:12" },
	{ LIT("-12"), "n0:-12" },
	{ LIT("10"), "n0:10" },
	{ LIT("0.5"), "n0:0.5" },
	{ LIT("-0.0"), "n0:-0.0" },
	{ LIT("1e5"), "n0:1e5" },
	{ LIT("1E5"), "n0:1E5" },
	{ LIT("1e+5"), "n0:1e+5" },
	{ LIT("1e-5"), "n0:1e-5" },
	{ LIT("0e0"), "n0:0e0" },
	{ LIT("-12.5e+3"), "n0:-12.5e+3" },
	{ LIT("1.25E-10"), "n0:1.25E-10" },
	{ LIT("123456789012345678901234567890"), "n0:123456789012345678901234567890" },
	{ LIT("1e999999"), "n0:1e999999" },
	{ LIT(" 7 "), "n0:7" },
	{ LIT("7\n"), "n0:7" },
	{ LIT("[0,-1,2.5e3,0.0]"), "[0 n1:0 n1:-1 n1:2.5e3 n1:0.0 ]0" },
	{ LIT("{\"a\":0.5e-1}"), "{0 k1:a n1:0.5e-1 }0" },
};

/*! \brief Escapes. */
static const case_t valid_escapes[] = {
	{ LIT("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""), "s0:\"\\x5c/\\x08\\x0c\\x0a\\x0d\\x09" },
	{ LIT("\"\\u0041\\u00e9\\u20AC\""), "s0:A\\xc3\\xa9\\xe2\\x82\\xac" },
	{ LIT("\"\\u0000\""), "s0:\\x00" },
	{ LIT("\"a\\u0000b\""), "s0:a\\x00b" },
	{ LIT("{\"\\u0000\":\"\\u0000\"}"), "{0 k1:\\x00 s1:\\x00 }0" },
	{ LIT("\"\\u007f\\u0080\\u07ff\""), "s0:\\x7f\\xc2\\x80\\xdf\\xbf" },
	{ LIT("\"\\u0800\\uFFFF\\uffff\""), "s0:\\xe0\\xa0\\x80\\xef\\xbf\\xbf\\xef\\xbf\\xbf" },
	{ LIT("\"\\uD7FF\\uE000\""), "s0:\\xed\\x9f\\xbf\\xee\\x80\\x80" },
	{ LIT("\"\\uD83D\\uDE00\""), "s0:\\xf0\\x9f\\x98\\x80" },
	{ LIT("\"\\ud83d\\ude00\""), "s0:\\xf0\\x9f\\x98\\x80" },
	{ LIT("\"\\uD800\\uDC00\""), "s0:\\xf0\\x90\\x80\\x80" },
	{ LIT("\"\\uDBFF\\uDFFF\""), "s0:\\xf4\\x8f\\xbf\\xbf" },
	{ LIT("\"x\\uD83D\\uDE00y\\n\""), "s0:x\\xf0\\x9f\\x98\\x80y\\x0a" },
	{ LIT("{\"a\\\"b\":\"{\\\"mountpoint\\\": []}\"}"),
	  "{0 k1:a\"b s1:{\"mountpoint\":\\x20[]} }0" },
};

/*! \brief Raw UTF-8 at the edges of validity. */
static const case_t valid_utf8[] = {
	{ LIT("\"\xc2\x80\""), "s0:\\xc2\\x80" },
	{ LIT("\"\xdf\xbf\""), "s0:\\xdf\\xbf" },
	{ LIT("\"\xe0\xa0\x80\""), "s0:\\xe0\\xa0\\x80" },
	{ LIT("\"\xed\x9f\xbf\""), "s0:\\xed\\x9f\\xbf" },
	{ LIT("\"\xee\x80\x80\""), "s0:\\xee\\x80\\x80" },
	{ LIT("\"\xef\xbf\xbf\""), "s0:\\xef\\xbf\\xbf" },
	{ LIT("\"\xf0\x90\x80\x80\""), "s0:\\xf0\\x90\\x80\\x80" },
	{ LIT("\"\xf4\x8f\xbf\xbf\""), "s0:\\xf4\\x8f\\xbf\\xbf" },
	{ LIT("\"a\xc3\xa9z\xe2\x82\xac\""), "s0:a\\xc3\\xa9z\\xe2\\x82\\xac" },
	{ LIT("{\"\xe4\xb8\xad\":\"\xf0\x9f\x98\x80\"}"),
	  "{0 k1:\\xe4\\xb8\\xad s1:\\xf0\\x9f\\x98\\x80 }0" },
};

/*! \brief Grammar errors. */
static const case_t invalid_docs[] = {
	{ LIT("[1,]"), "byte 3: expected a value, got ']'" },
	{ LIT("{\"a\":1,}"), "byte 7: expected a string key, got '}'" },
	{ LIT("[,1]"), "byte 1: expected a value or ']', got ','" },
	{ LIT("{,}"), "byte 1: expected a string key or '}', got ','" },
	{ LIT("{1:2}"), "byte 1: expected a string key or '}', got '1'" },
	{ LIT("{null:2}"), "byte 1: expected a string key or '}', got 'n'" },
	{ LIT("{\"a\" 1}"), "byte 5: expected ':' after an object key, got '1'" },
	{ LIT("{\"a\",1}"), "byte 4: expected ':' after an object key, got ','" },
	{ LIT("{\"a\":1 \"b\":2}"),
	  "byte 7: expected ',' or '}' after an object member, got '\"'" },
	{ LIT("{\"a\":1]"), "byte 6: expected ',' or '}' after an object member, got ']'" },
	{ LIT("[1 2]"), "byte 3: expected ',' or ']' after an array element, got '2'" },
	{ LIT("[1}"), "byte 2: expected ',' or ']' after an array element, got '}'" },
	{ LIT("[\"a\":1]"), "byte 4: expected ',' or ']' after an array element, got ':'" },
	{ LIT("1 2"), "byte 2: expected the end after the top-level value, got '2'" },
	{ LIT("{}{}"), "byte 2: expected the end after the top-level value, got '{'" },
	{ LIT("[]]"), "byte 2: expected the end after the top-level value, got ']'" },
	{ LIT("\"a\"\"b\""), "byte 3: expected the end after the top-level value, got '\"'" },
	{ LIT("truefalse"), "byte 4: expected the end after the top-level value, got 'f'" },
	{ LIT("nulx"), "byte 3: expected null, got 'x'" },
	{ LIT("[tru]"), "byte 4: expected true, got ']'" },
	{ LIT("fals "), "byte 4: expected false, got 0x20" },
	{ LIT("True"), "byte 0: expected a value, got 'T'" },
	{ LIT("]"), "byte 0: expected a value, got ']'" },
	{ LIT(":"), "byte 0: expected a value, got ':'" },
	{ LIT("'a'"), "byte 0: expected a value, got '''" },
	{ LIT("\f1"), "byte 0: expected a value, got 0x0c" },
	{ LIT("\v1"), "byte 0: expected a value, got 0x0b" },
	{ LIT("\0"), "byte 0: expected a value, got 0x00" },
	{ LIT("1\0"), "byte 1: expected the end after the top-level value, got 0x00" },
	{ LIT("\xc2\xa0 1"), "byte 0: expected a value, got 0xc2" },
	{ LIT("\xef\xbb\xbf{}"), "byte 0: expected a value, got 0xef" },
	{ LIT("/* c */ 1"), "byte 0: expected a value, got '/'" },
	{ LIT("1 // c"), "byte 2: expected the end after the top-level value, got '/'" },
	{ LIT("# c\n1"), "byte 0: expected a value, got '#'" },
	{ LIT("{\"a\":1,\"b\"}"), "byte 10: expected ':' after an object key, got '}'" },
	{ LIT("[\n\n  x]"), "byte 5: expected a value or ']', got 'x'" },
};

/*! \brief Input ending too soon (json_push_end's checks). */
static const case_t invalid_end[] = {
	{ LIT(""), "byte 0: unexpected end of input, expected a value" },
	{ LIT(" \n\t\r "), "byte 5: unexpected end of input, expected a value" },
	{ LIT("["), "byte 1: unexpected end of input inside an array" },
	{ LIT("[1"), "byte 2: unexpected end of input inside an array" },
	{ LIT("[1,"), "byte 3: unexpected end of input inside an array" },
	{ LIT("[[]"), "byte 3: unexpected end of input inside an array" },
	{ LIT("{"), "byte 1: unexpected end of input inside an object" },
	{ LIT("{\"a\""), "byte 4: unexpected end of input inside an object" },
	{ LIT("{\"a\":"), "byte 5: unexpected end of input inside an object" },
	{ LIT("{\"a\":-1.5"), "byte 9: unexpected end of input inside an object" },
	{ LIT("{\"a\":[]"), "byte 7: unexpected end of input inside an object" },
	{ LIT("\"abc"), "byte 4: unexpected end of input inside a string" },
	{ LIT("\"ab\\"), "byte 4: unexpected end of input inside a string" },
	{ LIT("\"ab\\u00"), "byte 7: unexpected end of input inside a string" },
	{ LIT("\"\\uD83D"), "byte 7: unexpected end of input inside a string" },
	{ LIT("\"\\uD83D\\"), "byte 8: unexpected end of input inside a string" },
	{ LIT("\"\\uD83D\\uDE0"), "byte 12: unexpected end of input inside a string" },
	{ LIT("\"\xe2\x82"), "byte 3: unexpected end of input inside a string" },
	{ LIT("[\"a"), "byte 3: unexpected end of input inside a string" },
	{ LIT("tru"), "byte 3: unexpected end of input inside a literal" },
	{ LIT("[nul"), "byte 4: unexpected end of input inside a literal" },
	{ LIT("-"), "byte 1: unexpected end of input inside a number" },
	{ LIT("1."), "byte 2: unexpected end of input inside a number" },
	{ LIT("1e"), "byte 2: unexpected end of input inside a number" },
	{ LIT("1e+"), "byte 3: unexpected end of input inside a number" },
};

/*! \brief Invalid numbers. */
static const case_t invalid_numbers[] = {
	{ LIT("01"), "byte 1: a number can't have a leading zero, got '1'" },
	{ LIT("-01"), "byte 2: a number can't have a leading zero, got '1'" },
	{ LIT("00"), "byte 1: a number can't have a leading zero, got '0'" },
	{ LIT("[1.]"), "byte 3: expected a digit after '.', got ']'" },
	{ LIT("1.e5"), "byte 2: expected a digit after '.', got 'e'" },
	{ LIT(".5"), "byte 0: expected a value, got '.'" },
	{ LIT("+1"), "byte 0: expected a value, got '+'" },
	{ LIT("--1"), "byte 1: expected a digit after '-', got '-'" },
	{ LIT("- 1"), "byte 1: expected a digit after '-', got 0x20" },
	{ LIT("-Infinity"), "byte 1: expected a digit after '-', got 'I'" },
	{ LIT("Infinity"), "byte 0: expected a value, got 'I'" },
	{ LIT("NaN"), "byte 0: expected a value, got 'N'" },
	{ LIT("1ee"), "byte 2: expected a digit or a sign in an exponent, got 'e'" },
	{ LIT("1e+-1"), "byte 3: expected a digit in an exponent, got '-'" },
	{ LIT("[1e]"), "byte 3: expected a digit or a sign in an exponent, got ']'" },
	{ LIT("1e5.0"), "byte 3: invalid number, got '.'" },
	{ LIT("1.5.3"), "byte 3: invalid number, got '.'" },
	{ LIT("1.5e3e"), "byte 5: invalid number, got 'e'" },
	{ LIT("0-1"), "byte 1: invalid number, got '-'" },
	{ LIT("12+"), "byte 2: invalid number, got '+'" },
	{ LIT("0x10"), "byte 1: expected the end after the top-level value, got 'x'" },
	{ LIT("[1a]"), "byte 2: expected ',' or ']' after an array element, got 'a'" },
	{ LIT("{\"a\":01}"), "byte 6: a number can't have a leading zero, got '1'" },
};

/*! \brief Invalid strings: escapes and control bytes. */
static const case_t invalid_strings[] = {
	{ LIT("\"a\x01z\""), "byte 2: control byte 0x01 in a string" },
	{ LIT("\"\t\""), "byte 1: control byte 0x09 in a string" },
	{ LIT("\"\n\""), "byte 1: control byte 0x0a in a string" },
	{ LIT("\"\x1f\""), "byte 1: control byte 0x1f in a string" },
	{ LIT("\"\0\""), "byte 1: control byte 0x00 in a string" },
	{ LIT("{\"k\x0d\":1}"), "byte 3: control byte 0x0d in a string" },
	{ LIT("\"\\x41\""), "byte 2: invalid escape in a string" },
	{ LIT("\"\\U0041\""), "byte 2: invalid escape in a string" },
	{ LIT("\"\\'\""), "byte 2: invalid escape in a string" },
	{ LIT("\"\\\x00\""), "byte 2: invalid escape in a string" },
	{ LIT("\"\\u12G4\""), "byte 5: invalid \\u escape in a string" },
	{ LIT("\"\\u\""), "byte 3: invalid \\u escape in a string" },
	{ LIT("\"\\u-123\""), "byte 3: invalid \\u escape in a string" },
	{ LIT("\"\\uD800\""), "byte 1: unpaired surrogate \\uD800 in a string" },
	{ LIT("\"\\uDC00\""), "byte 1: unpaired surrogate \\uDC00 in a string" },
	{ LIT("\"\\udfff\\ud800\""), "byte 1: unpaired surrogate \\uDFFF in a string" },
	{ LIT("\"\\uD800\\u0041\""), "byte 1: unpaired surrogate \\uD800 in a string" },
	{ LIT("\"\\uDBFF\\uE000\""), "byte 1: unpaired surrogate \\uDBFF in a string" },
	{ LIT("\"\\uD800\\uD800\""), "byte 1: unpaired surrogate \\uD800 in a string" },
	{ LIT("\"\\uD800\\n\""), "byte 1: unpaired surrogate \\uD800 in a string" },
	{ LIT("\"\\uD800x\""), "byte 1: unpaired surrogate \\uD800 in a string" },
	{ LIT("\"\\uD800\\uDC0x\""), "byte 12: invalid \\u escape in a string" },
};

/*! \brief Invalid raw UTF-8 in strings. */
static const case_t invalid_utf8[] = {
	{ LIT("\"\x80\""), "byte 1: invalid UTF-8 in a string" },
	{ LIT("\"a\xbf\""), "byte 2: invalid UTF-8 in a string" },
	{ LIT("\"\xc0\x80\""), "byte 1: invalid UTF-8 in a string" },
	{ LIT("\"\xc1\xbf\""), "byte 1: invalid UTF-8 in a string" },
	{ LIT("\"\xe0\x80\x80\""), "byte 2: invalid UTF-8 in a string" },
	{ LIT("\"\xe0\x9f\xbf\""), "byte 2: invalid UTF-8 in a string" },
	{ LIT("\"\xed\xa0\x80\""), "byte 2: invalid UTF-8 in a string" },
	{ LIT("\"\xed\xbf\xbf\""), "byte 2: invalid UTF-8 in a string" },
	{ LIT("\"\xf0\x80\x80\x80\""), "byte 2: invalid UTF-8 in a string" },
	{ LIT("\"\xf0\x8f\xbf\xbf\""), "byte 2: invalid UTF-8 in a string" },
	{ LIT("\"\xf4\x90\x80\x80\""), "byte 2: invalid UTF-8 in a string" },
	{ LIT("\"\xf5\x80\x80\x80\""), "byte 1: invalid UTF-8 in a string" },
	{ LIT("\"\xf8\x88\x80\x80\x80\""), "byte 1: invalid UTF-8 in a string" },
	{ LIT("\"\xfe\""), "byte 1: invalid UTF-8 in a string" },
	{ LIT("\"\xff\""), "byte 1: invalid UTF-8 in a string" },
	{ LIT("\"\xc2\""), "byte 2: invalid UTF-8 in a string" },
	{ LIT("\"\xc2\x41\""), "byte 2: invalid UTF-8 in a string" },
	{ LIT("\"\xe2\x82\""), "byte 3: invalid UTF-8 in a string" },
	{ LIT("\"\xe2\x82\xac\xac\""), "byte 4: invalid UTF-8 in a string" },
	{ LIT("\"\xf0\x9f\x98\""), "byte 4: invalid UTF-8 in a string" },
	{ LIT("\"\xf0\x9f\x98\x80\x80\""), "byte 5: invalid UTF-8 in a string" },
	{ LIT("{\"\xc3\":1}"), "byte 3: invalid UTF-8 in a string" },
};

static void test_tables(void)
{
	run_valid("valid", valid_docs, COUNT(valid_docs), NO_CAP);
	run_valid("number", valid_numbers, COUNT(valid_numbers), NO_CAP);
	run_valid("escape", valid_escapes, COUNT(valid_escapes), NO_CAP);
	run_valid("utf-8", valid_utf8, COUNT(valid_utf8), NO_CAP);
	run_invalid("invalid", invalid_docs, COUNT(invalid_docs), NO_CAP);
	run_invalid("end", invalid_end, COUNT(invalid_end), NO_CAP);
	run_invalid("bad number", invalid_numbers, COUNT(invalid_numbers), NO_CAP);
	run_invalid("bad string", invalid_strings, COUNT(invalid_strings), NO_CAP);
	run_invalid("bad utf-8", invalid_utf8, COUNT(invalid_utf8), NO_CAP);
}

/*! \brief A case with a cap on strings. */
typedef struct {
	size_t max;
	case_t c;
	bool valid;
} cap_case_t;

static const cap_case_t cap_cases[] = {
	{ 3, { LIT("\"abc\""), "s0:abc" }, true },
	{ 3, { LIT("\"abcd\""), "byte 0: string longer than 3 bytes" }, false },
	{ 3, { LIT("\"\\n\\n\\n\""), "s0:\\x0a\\x0a\\x0a" }, true },
	{ 3, { LIT("\"\\u00e9\\u00e9\""), "byte 0: string longer than 3 bytes" }, false },
	{ 4, { LIT("\"\\u00e9\\u00e9\""), "s0:\\xc3\\xa9\\xc3\\xa9" }, true },
	{ 3, { LIT("\"\\uD83D\\uDE00\""), "byte 0: string longer than 3 bytes" }, false },
	{ 4, { LIT("\"\\uD83D\\uDE00\""), "s0:\\xf0\\x9f\\x98\\x80" }, true },
	{ 3, { LIT("\"ab\xe2\x82\xac\""), "byte 0: string longer than 3 bytes" }, false },
	{ 3, { LIT("123"), "n0:123" }, true },
	{ 3, { LIT("1234"), "byte 0: number longer than 3 bytes" }, false },
	{ 3, { LIT("[1,-1.5]"), "byte 3: number longer than 3 bytes" }, false },
	{ 4, { LIT("-1.5e\xff"), "byte 0: number longer than 4 bytes" }, false },
	{ 5, { LIT("-1.5e\xff"), "byte 5: expected a digit or a sign in an exponent, got 0xff" },
	  false },
	{ 3, { LIT("-1.x"), "byte 3: expected a digit after '.', got 'x'" }, false },
	{ 2, { LIT("12a"), "byte 2: expected the end after the top-level value, got 'a'" },
	  false },
	{ 3, { LIT("\"ab\\x\""), "byte 4: invalid escape in a string" }, false },
	{ 2, { LIT("\"ab\\x\""), "byte 4: invalid escape in a string" }, false },
	{ 1, { LIT("\"ab\\x\""), "byte 0: string longer than 1 bytes" }, false },
	{ 2, { LIT("[\"ab\",\"abc\"]"), "byte 6: string longer than 2 bytes" }, false },
	{ 2, { LIT("{\"abc\":1}"), "byte 1: string longer than 2 bytes" }, false },
	{ 2, { LIT("{\"ab\":\"cd\"}"), "{0 k1:ab s1:cd }0" }, true },
	{ 0, { LIT("[\"\",true,{\"\":null}]"), "[0 s1: t1 {1 k2: z2 }1 ]0" }, true },
	{ 0, { LIT("0"), "byte 0: number longer than 0 bytes" }, false },
	{ 0, { LIT("\"a\""), "byte 0: string longer than 0 bytes" }, false },
	{ SIZE_MAX, { LIT("[\"abc\",12]"), "[0 s1:abc n1:12 ]0" }, true },
};

static void test_max_string(void)
{
	for (size_t i = 0; i < COUNT(cap_cases); i++) {
		const cap_case_t *c = &cap_cases[i];
		char what[32];
		snprintf(what, sizeof(what), "cap %zu, case", c->max);
		if (c->valid) {
			run_valid(what, &c->c, 1, c->max);
		} else {
			run_invalid(what, &c->c, 1, c->max);
		}
	}

	// A long string grows the buffer to the cap, never over it.
	const size_t len = 300000;
	char *in = malloc(len + 2);
	in[0] = in[len + 1] = '"';
	memset(in + 1, 'x', len);
	const size_t caps[] = { len, len - 1, 1000, 4097 };
	for (size_t i = 0; i < COUNT(caps); i++) {
		rec_t r = { 0 };
		size_t cuts[] = { 1, 100, 5000, 70000, 200000 };
		int ret = parse(&r, caps[i], in, len + 2, cuts, COUNT(cuts));
		bool fits = caps[i] >= len;
		ok(!r.bad && (fits ? (ret == KNOT_EOK && r.count == 1) :
		              (ret == KNOT_EMALF && r.count == 0)),
		   "string of %zu bytes, cap %zu: %s", len, caps[i], fits ? "fits" : "too long");
		rec_free(&r);
	}
	free(in);
}

/*! \brief Writes n nested containers (objects with key "k" if objects) into s. */
static size_t nest(char *s, size_t n, bool objects)
{
	const char *open = objects ? "{\"k\":" : "[";
	size_t len = 0, open_len = strlen(open);
	for (size_t i = 0; i < n; i++) {
		memcpy(s + len, open, open_len);
		len += open_len;
	}
	s[len++] = '0';
	for (size_t i = 0; i < n; i++) {
		s[len++] = objects ? '}' : ']';
	}
	s[len] = '\0';
	return len;
}

static void test_depth(void)
{
	char in[4096];
	rec_t r = { 0 };
	for (int objects = 0; objects <= 1; objects++) {
		const char *kind = objects ? "objects" : "arrays";
		size_t len = nest(in, JSON_DEPTH_MAX, objects);
		bool split_ok;
		int ret = parse_all(&r, NO_CAP, in, len, &split_ok);
		const char *last = strrchr(r.tokens.s, ' ');
		const char *head = objects ? "{0 k1:k {1 k2:k {2 " : "[0 [1 [2 ";
		ok(ret == KNOT_EOK && split_ok && r.count == (objects ? 3 : 2) * 64 + 1 &&
		   strncmp(r.tokens.s, head, strlen(head)) == 0 &&
		   strstr(r.tokens.s, objects ? "k64:k n64:0 }63" : "[63 n64:0 ]63") != NULL &&
		   last != NULL && strcmp(last, objects ? " }0" : " ]0") == 0,
		   "%d nested %s pass, with their depths", JSON_DEPTH_MAX, kind);

		len = nest(in, JSON_DEPTH_MAX + 1, objects);
		ret = parse_all(&r, NO_CAP, in, len, &split_ok);
		char expect[64];
		snprintf(expect, sizeof(expect), "byte %d: nested deeper than 64",
		         objects ? 5 * JSON_DEPTH_MAX : JSON_DEPTH_MAX);
		ok(ret == KNOT_EMALF && split_ok && strcmp(r.err.s, expect) == 0,
		   "%d nested %s fail: %s", JSON_DEPTH_MAX + 1, kind, r.err.s);
	}

	// Back down and up again: only the depth at a time counts.
	size_t len = 0;
	for (int round = 0; round < 3; round++) {
		len += nest(in + len, JSON_DEPTH_MAX - 1, round % 2);
		in[len++] = ',';
	}
	memmove(in + 1, in, len - 1);
	in[0] = '[';
	in[len++] = ']';
	bool split_ok;
	int ret = parse_all(&r, NO_CAP, in, len, &split_ok);
	ok(ret == KNOT_EOK && split_ok, "three values nested 63 deep in an array");
	rec_free(&r);
}

/*! \brief A small document with every kind of token. */
static const char sample[] =
	"{\"a\":[1,-2.5e3,\"x\\u00e9\\n\",true,false,null,{}],\"b\":{\"c\":[[]]},\"d\":\"\"}";

static const char sample_tokens[] =
	"{0 k1:a [1 n2:1 n2:-2.5e3 s2:x\\xc3\\xa9\\x0a t2 f2 z2 {2 }2 ]1 "
	"k1:b {1 k2:c [2 [3 ]3 ]2 }1 k1:d s1: }0";

static void test_callback_stop(void)
{
	rec_t whole = { 0 }, r = { 0 };
	size_t len = sizeof(sample) - 1;
	bool split_ok;
	int ret = parse_all(&whole, NO_CAP, sample, len, &split_ok);
	ok(ret == KNOT_EOK && split_ok && strcmp(whole.tokens.s, sample_tokens) == 0,
	   "sample document");

	// Stopping at every token, with any code: nothing after it is reported.
	size_t bad = 0;
	const int codes[] = { KNOT_ERANGE, 1, KNOT_EMALF };
	for (size_t i = 1; i <= whole.count; i++) {
		r.fail_at = i;
		r.fail_ret = codes[i % COUNT(codes)];
		ret = parse_all(&r, NO_CAP, sample, len, &split_ok);
		bool good = ret == r.fail_ret && split_ok && r.count == i &&
		            strncmp(r.tokens.s, whole.tokens.s, r.tokens.len) == 0 &&
		            strcmp(r.err.s, "") == 0;
		if (!good && bad++ == 0) {
			diag("stop at %zu: %d, %s", i, ret, r.tokens.s);
		}
	}
	ok(bad == 0, "callback stopping at each of %zu tokens", whole.count);

	// A top-level number is emitted by json_push_end, which returns the code.
	r.fail_at = 1;
	r.fail_ret = KNOT_ERANGE;
	ret = parse_all(&r, NO_CAP, LIT("12"), &split_ok);
	ok(ret == KNOT_ERANGE && split_ok && r.count == 1, "callback stopping at the end");

	rec_free(&whole);
	rec_free(&r);
}

/*! \brief A feed of a string literal. */
#define FEED(p, s) json_push_feed((p), (s), sizeof(s) - 1)

static void test_end_and_reset(void)
{
	rec_t r = { 0 };
	r.max_string = NO_CAP;
	json_push_t p;
	json_push_init(&p, NO_CAP, rec_token, &r);
	r.p = &p;

	// A top-level number is complete at the end only.
	int ret = FEED(&p, "1");
	ret += FEED(&p, "2");
	ok(ret == KNOT_EOK && r.count == 0, "top-level number pending before the end");
	ret = json_push_end(&p);
	ok(ret == KNOT_EOK && r.count == 1 && strcmp(r.tokens.s, "n0:12") == 0 &&
	   json_push_offset(&p) == 2, "... completed by json_push_end");
	ok(json_push_end(&p) == KNOT_EOK && r.count == 1, "... a second end is fine");
	ok(FEED(&p, " \n") == KNOT_EOK, "... whitespace after the end is fine");
	ok(FEED(&p, "3") == KNOT_EMALF && r.count == 1 && json_push_offset(&p) == 4 &&
	   strcmp(json_push_error(&p),
	          "byte 4: expected the end after the top-level value, got '3'") == 0,
	   "... a value after it is not");

	// Reset after an error: a clean start.
	json_push_reset(&p);
	ok(strcmp(json_push_error(&p), "") == 0 && json_push_offset(&p) == 0 &&
	   json_push_depth(&p) == 0, "reset: error, offset and depth cleared");
	str_clear(&r.tokens);
	ret = FEED(&p, "[\"a");
	ret += FEED(&p, "b\",tr");
	ok(ret == KNOT_EOK && strcmp(r.tokens.s, "[0 s1:ab") == 0 &&
	   json_push_depth(&p) == 1 && json_push_offset(&p) == 8, "reset: next document read");

	// Reset in the middle of a string, an escape, a literal and a number.
	const char *parts[] = { "[\"ab", "[\"a\\u00", "[\"\xe2\x82", "{\"a\":nu", "-1.5e" };
	for (size_t i = 0; i < COUNT(parts); i++) {
		json_push_reset(&p);
		ret = json_push_feed(&p, parts[i], strlen(parts[i]));
		json_push_reset(&p);
		str_clear(&r.tokens);
		ret += FEED(&p, "{\"x\":\"y\"}");
		ret += json_push_end(&p);
		ok(ret == KNOT_EOK && strcmp(r.tokens.s, "{0 k1:x s1:y }0") == 0,
		   "reset after part %zu of a document: next document read", i);
	}

	// Reset keeps a small buffer and frees a big one.
	size_t len = 100000;
	char *big = malloc(len + 2);
	big[0] = big[len + 1] = '"';
	memset(big + 1, 'x', len);
	const size_t sizes[] = { 1000, len };
	for (size_t i = 0; i < COUNT(sizes); i++) {
		json_push_reset(&p);
		big[sizes[i] + 1] = '"';
		ret = json_push_feed(&p, big, sizes[i] + 2);
		size_t cap = p.cap;
		json_push_reset(&p);
		bool kept = sizes[i] < 64 * 1024;
		ok(ret == KNOT_EOK && cap > sizes[i] &&
		   (kept ? (p.cap == cap && p.buf != NULL) : (p.cap == 0 && p.buf == NULL)),
		   "reset after a string of %zu bytes: buffer of %zu %s", sizes[i], cap,
		   kept ? "kept" : "freed");
		big[sizes[i] + 1] = 'x';
	}
	free(big);

	// Empty feeds change nothing, also in the middle of a token.
	json_push_reset(&p);
	str_clear(&r.tokens);
	ret = FEED(&p, "[\"\\u");
	ret += json_push_feed(&p, NULL, 0);
	ret += FEED(&p, "0041\",1");
	ret += json_push_feed(&p, "", 0);
	ret += FEED(&p, "0]");
	ret += json_push_end(&p);
	ok(ret == KNOT_EOK && strcmp(r.tokens.s, "[0 s1:A n1:10 ]0") == 0, "empty feeds");

	json_push_deinit(&p);
	rec_free(&r);
}

static void test_offsets(void)
{
	// During a callback: bytes up to the end of the token (a number ends
	// when the byte after it is read).
	rec_t r = { 0 };
	static const char in[] = " [12, \"ab\", {\"k\" :true}] ";
	int ret = parse(&r, NO_CAP, LIT(in), NULL, 0);
	ok(ret == KNOT_EOK && strcmp(r.offsets.s, "2 4 10 13 16 22 23 24 ") == 0,
	   "offsets at tokens: %s", r.offsets.s);

	// After an error: the bytes before the offending one.
	json_push_t p;
	json_push_init(&p, NO_CAP, rec_token, &r);
	r.p = &p;
	ret = FEED(&p, "[1,");
	ret += FEED(&p, "2 ");
	ok(ret == KNOT_EOK && json_push_offset(&p) == 5, "offset after feeds");
	ok(FEED(&p, "  x") == KNOT_EMALF && json_push_offset(&p) == 7,
	   "offset after an error");
	json_push_deinit(&p);
	rec_free(&r);
}

/*! \brief Makes a lainlet-like document of about size bytes (with escapes and UTF-8). */
static size_t make_doc(char *doc, size_t size)
{
	size_t len = sprintf(doc, "{");
	for (unsigned i = 0; len < size - 400; i++) {
		len += sprintf(doc + len,
			"%s\"app%u.web.web\":{\"PodInfos\":[{\"Annotation\":"
			"\"{\\\"mountpoint\\\": [\\\"a%u.example.com\\\"]}\","
			"\"ContainerInfos\":[{\"ContainerIp\":\"172.20.%u.%u\",\"Memory\":%u,"
			"\"Cpu\":0.5e1,\"Env\":[\"N=\xc3\xa9\\u00e9\"],"
			"\"Up\":true,\"Dn\":null}],\"InstanceNo\":%u}]}",
			i > 0 ? "," : "", i, i, i / 256 % 256, i % 256, i * 1024, i);
	}
	len += sprintf(doc + len, "}");
	return len;
}

static void test_big(void)
{
	const size_t size = 8 << 20;
	char *doc = malloc(size);
	size_t len = make_doc(doc, size);
	rec_t whole = { 0 }, r = { 0 };
	int ret = parse(&whole, 4096, doc, len, NULL, 0);
	ok(ret == KNOT_EOK && !whole.bad && whole.count > 100000,
	   "document of %zu bytes: %zu tokens", len, whole.count);

	const size_t pieces[] = { 16384, 4093, 1 };
	for (size_t k = 0; k < COUNT(pieces); k++) {
		size_t n = (len - 1) / pieces[k];
		size_t *cuts = malloc(n * sizeof(*cuts));
		for (size_t i = 0; i < n; i++) {
			cuts[i] = (i + 1) * pieces[k];
		}
		clock_t start = clock();
		ret = parse(&r, 4096, doc, len, cuts, n);
		double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
		ok(same(&whole, KNOT_EOK, &r, ret), "... in pieces of %zu: same tokens, %.3f s",
		   pieces[k], secs);
		free(cuts);
	}
	free(doc);
	rec_free(&whole);
	rec_free(&r);
}

int main(void)
{
	test_tables();
	test_max_string();
	test_depth();
	test_callback_stop();
	test_end_and_reset();
	test_offsets();
	test_big();
	return done_testing();
}
