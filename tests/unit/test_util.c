/*
 * test_util.c - the case-insensitive search and the pattern sets against
 * plain references on random text, and the bounded buffer.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *reference(const char *hay, size_t len, const char *needle)
{
	size_t nl = strlen(needle);
	for (size_t i = 0; i + nl <= len; i++) {
		size_t k = 0;
		while (k < nl && bw_lower((unsigned char)hay[i + k]) == bw_lower((unsigned char)needle[k]))
			k++;
		if (k == nl)
			return hay + i;
	}
	return NULL;
}

static void test_memcasemem_examples(void **state)
{
	(void)state;
	const char *t = "550 5.1.1 <a@b.c>: Recipient address rejected: User Unknown in table";
	assert_ptr_equal(bw_memcasemem(t, strlen(t), "user unknown"), strstr(t, "User Unknown"));
	assert_null(bw_memcasemem(t, strlen(t), "mailbox full"));
	assert_ptr_equal(bw_memcasemem(t, strlen(t), ""), t);
	assert_ptr_equal(bw_memcasemem(t, strlen(t), "550"), t);
	assert_ptr_equal(bw_memcasemem(t, strlen(t), "TABLE"), t + strlen(t) - 5);
	/* the length bounds the search: no match across it */
	assert_null(bw_memcasemem(t, 10, "5.1.1 <"));
	/* bytes that fold alike under OR 0x20 but are not letters */
	assert_null(bw_memcasemem("@@@", 3, "```"));
	assert_null(bw_memcasemem("[x]", 3, "{x}"));
}

static void test_memcasemem_random(void **state)
{
	(void)state;
	static const char alphabet[] = "aAbBeE@`[{ -.05\n\xc3\xa9";
	char hay[300], needle[8];
	srand(12345);
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(rand() % 290);
		for (size_t i = 0; i < len; i++)
			hay[i] = alphabet[rand() % (sizeof(alphabet) - 1)];
		size_t nl = 1 + (size_t)(rand() % 5);
		for (size_t i = 0; i < nl; i++)
			needle[i] = alphabet[rand() % (sizeof(alphabet) - 1)];
		needle[nl] = '\0';
		assert_ptr_equal(bw_memcasemem(hay, len, needle), reference(hay, len, needle));
	}
}

/* --- pattern sets: each pattern tried at each position, the plain way --- */

static bool ref_blank(unsigned char c)
{
	return bw_isspace(c);
}

/* Does pat occur at text[i..)?  With blanks, a space in pat matches a run
 * of one or more blanks (all of it: the run is taken whole). */
static bool ref_at(const char *text, size_t len, size_t i, const char *pat, bool blanks)
{
	size_t j = i;
	for (const char *p = pat; *p; p++) {
		if (blanks && ref_blank((unsigned char)*p)) {
			if (j >= len || !ref_blank((unsigned char)text[j]))
				return false;
			while (j < len && ref_blank((unsigned char)text[j]))
				j++;
			continue;
		}
		if (j >= len || bw_lower((unsigned char)text[j]) != bw_lower((unsigned char)*p))
			return false;
		j++;
	}
	return true;
}

static size_t ref_first(const char *text, size_t len, const char *pat, bool blanks)
{
	if (!pat[0])
		return SIZE_MAX;
	for (size_t i = 0; i < len; i++)
		if (ref_at(text, len, i, pat, blanks))
			return i;
	return SIZE_MAX;
}

static void random_word(char *w, size_t max, const char *alphabet, size_t na, bool blanks)
{
	size_t n = (size_t)(rand() % (int)max);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = alphabet[rand() % (int)na];
		/* a set with blanks takes no pattern that begins with a blank, and
		 * a run of blanks in a pattern is one space */
		if (blanks && ref_blank((unsigned char)c) && (o == 0 || w[o - 1] == ' '))
			continue;
		w[o++] = blanks && ref_blank((unsigned char)c) ? ' ' : c;
	}
	w[o] = '\0';
}

/* The bytes of pat that match one text byte each: all of it, or with
 * blanks up to and with its first space. */
static size_t ref_fixed_len(const char *pat, bool blanks)
{
	const char *sp = blanks ? strchr(pat, ' ') : NULL;
	return sp ? (size_t)(sp - pat) + 1 : strlen(pat);
}

/* One random set against the reference on many random texts.  Every
 * pattern's fixed part is at least minfixed bytes long (long patterns make
 * the set skip: see pset_skip). */
static void pset_round_min(const char *alphabet, size_t npats, size_t minfixed, size_t maxpat, bool blanks)
{
	size_t na = strlen(alphabet);
	char pats[64][48];
	const char *pp[64] = { 0 };
	assert_true(maxpat <= sizeof(pats[0]) && minfixed < maxpat);
	for (size_t k = 0; k < npats; k++) {
		do
			random_word(pats[k], maxpat, alphabet, na, blanks);
		while (ref_fixed_len(pats[k], blanks) < minfixed);
		pp[k] = pats[k];
	}
	struct bw_pset *s = bw_pset_new(pp, npats, blanks ? BW_PSET_BLANKS : 0);
	/* each pattern alone: where its first occurrence begins */
	struct bw_pset *one[64];
	for (size_t k = 0; k < npats; k++) {
		const char *pk = pats[k];
		one[k] = bw_pset_new(&pk, 1, blanks ? BW_PSET_BLANKS : 0);
	}
	char text[200];
	for (int t = 0; t < 40; t++) {
		size_t len = (size_t)(rand() % (int)sizeof(text));
		for (size_t i = 0; i < len; i++)
			text[i] = alphabet[rand() % (int)na];
		/* plant a pattern now and then so that matches are not all short,
		 * at times where it ends the text */
		const char *w = pats[rand() % (int)npats];
		size_t wl = strlen(w);
		if (len > wl && rand() % 2) {
			size_t at = rand() % 4 ? (size_t)rand() % (len - wl + 1) : len - wl;
			memcpy(text + at, w, wl);
		}
		int best = -1;
		size_t earliest = SIZE_MAX;
		for (size_t k = 0; k < npats; k++) {
			size_t want = ref_first(text, len, pats[k], blanks);
			assert_int_equal(bw_pset_earliest(one[k], text, len), want);
			if (want != SIZE_MAX && best < 0)
				best = (int)k;
			if (want < earliest)
				earliest = want;
		}
		assert_int_equal(bw_pset_best(s, text, len), best);
		assert_int_equal(bw_pset_earliest(s, text, len), earliest);
	}
	for (size_t k = 0; k < npats; k++)
		bw_pset_free(one[k]);
	bw_pset_free(s);
}

static void pset_round(const char *alphabet, size_t npats, size_t maxpat, bool blanks)
{
	pset_round_min(alphabet, npats, 0, maxpat, blanks);
}

static void test_pset_examples(void **state)
{
	(void)state;
	const char *pats[] = { "user unknown", "unknown", "end of data", "x" };
	struct bw_pset *s = bw_pset_new(pats, 3, BW_PSET_BLANKS);
	const char *t = "550 User\n  Unknown after END OF\r\n\tdata";
	const size_t first[3] = { 4, 11, 25 };
	for (size_t k = 0; k < 3; k++) {
		struct bw_pset *one = bw_pset_new(&pats[k], 1, BW_PSET_BLANKS);
		assert_int_equal(bw_pset_earliest(one, t, strlen(t)), first[k]);
		bw_pset_free(one);
	}
	assert_int_equal(bw_pset_best(s, t, strlen(t)), 0);
	assert_int_equal(bw_pset_best(s, t + 5, strlen(t) - 5), 1);
	assert_int_equal(bw_pset_best(s, "nothing", 7), -1);
	assert_int_equal(bw_pset_earliest(s, t, strlen(t)), 4);
	assert_int_equal(bw_pset_earliest(s, t + 5, strlen(t) - 5), 6);
	assert_int_equal(bw_pset_earliest(s, "nothing", 7), SIZE_MAX);
	bw_pset_free(s);
	/* without BW_PSET_BLANKS a space is a space */
	s = bw_pset_new(pats, 4, 0);
	assert_int_equal(bw_pset_best(s, "user\nunknown", 12), 1);
	assert_int_equal(bw_pset_best(s, "X", 1), 3);
	bw_pset_free(s);
}

static void test_pset_random(void **state)
{
	(void)state;
	srand(4242);
	for (int round = 0; round < 300; round++) {
		/* few patterns (the vector filter), many (none), one-byte ones, blanks */
		pset_round("abAB -\n", 1 + (size_t)(rand() % 4), 6, false);
		pset_round("aAbBeE@`[{ -.05\n\xc3\xa9", 1 + (size_t)(rand() % 8), 8, false);
		pset_round("abcdefghijklmnopqrstuvwxyz", 40 + (size_t)(rand() % 24), 6, false);
		pset_round("abAB \t\n\r-", 1 + (size_t)(rand() % 12), 9, true);
		pset_round("ab --\n", 2 + (size_t)(rand() % 20), 15, rand() % 2);
	}
}

/* Sets whose patterns are all 3 bytes or more (the three-byte filter, the
 * skip from 6, some longer than the longest window), few letters so that
 * patterns overlap. */
static void test_pset_skip_random(void **state)
{
	(void)state;
	srand(4343);
	for (int round = 0; round < 300; round++) {
		pset_round_min("abAB", 1 + (size_t)(rand() % 6), 3 + (size_t)(rand() % 6), 12, false);
		pset_round_min("abcAB -\n", 1 + (size_t)(rand() % 30), 3 + (size_t)(rand() % 4), 16, false);
		pset_round_min("abAB \t\n\r-", 1 + (size_t)(rand() % 12), 3 + (size_t)(rand() % 5), 14, true);
		pset_round_min("aAbB-\xc3\xa9", 1 + (size_t)(rand() % 4), 30 + (size_t)(rand() % 8), 46, false);
		pset_round_min("abcdefghijklmnopqrstuvwxyz", 40 + (size_t)(rand() % 24), 3 + (size_t)(rand() % 8), 20, false);
		/* more first byte pairs than the vector filter takes: the
		 * three-byte filter, blanks in the third byte */
		pset_round_min("abcdefgh \t\n", 30 + (size_t)(rand() % 34), 3, 10, true);
		pset_round_min("abcdefgh-\n", 30 + (size_t)(rand() % 34), 3 + (size_t)(rand() % 3), 10, false);
	}
}

/* Large sets (hundreds of patterns, as the phrase table: the double array
 * with many nodes and dense fan-outs, high bytes among them) and texts of
 * up to 700 bytes (many 16-byte blocks, every length around the last
 * block), best and earliest against the reference. */
static void test_pset_large_random(void **state)
{
	(void)state;
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABC -.@:\n\t\xc3\xa9\xe3\x81\x82";
	const size_t na = sizeof(alphabet) - 1;
	static char pats[400][24];
	const char *pp[400];
	static char text[700];
	srand(777);
	for (int round = 0; round < 12; round++) {
		size_t npats = 50 + (size_t)(rand() % 350);
		bool blanks = round % 3 == 2;
		size_t minfixed = round % 4 == 1 ? 6 : round % 4 == 3 ? 3 : 0;
		for (size_t k = 0; k < npats; k++) {
			do
				random_word(pats[k], sizeof(pats[0]), alphabet, round % 2 ? 12 : na, blanks);
			while (ref_fixed_len(pats[k], blanks) < minfixed || (minfixed && ref_fixed_len(pats[k], blanks) < 2));
			pp[k] = pats[k];
		}
		struct bw_pset *s = bw_pset_new(pp, npats, blanks ? BW_PSET_BLANKS : 0);
		for (int t = 0; t < 40; t++) {
			size_t len = (size_t)(rand() % (int)sizeof(text));
			for (size_t i = 0; i < len; i++)
				text[i] = alphabet[rand() % (int)(round % 2 ? 12 : na)];
			for (int plant = rand() % 4; plant > 0; plant--) {
				const char *w = pats[rand() % (int)npats];
				size_t wl = strlen(w);
				if (len > wl)
					memcpy(text + (size_t)rand() % (len - wl + 1), w, wl);
			}
			int best = -1;
			size_t earliest = SIZE_MAX;
			for (size_t k = 0; k < npats; k++) {
				size_t at = ref_first(text, len, pats[k], blanks);
				if (at != SIZE_MAX && best < 0)
					best = (int)k;
				if (at < earliest)
					earliest = at;
			}
			assert_int_equal(bw_pset_best(s, text, len), best);
			assert_int_equal(bw_pset_earliest(s, text, len), earliest);
		}
		bw_pset_free(s);
	}
}

/* bw_memmem against memmem, needles of 1 to 40 bytes from a small alphabet
 * (many near misses), hays up to 300 bytes. */
static void test_memmem_random(void **state)
{
	(void)state;
	static const char alphabet[] = "--\nab\n-";
	char hay[300], needle[40];
	srand(999);
	for (int round = 0; round < 50000; round++) {
		size_t len = (size_t)(rand() % 300);
		for (size_t i = 0; i < len; i++)
			hay[i] = alphabet[rand() % (sizeof(alphabet) - 1)];
		size_t nl = 1 + (size_t)(rand() % (round % 2 ? 6 : 40));
		for (size_t i = 0; i < nl; i++)
			needle[i] = alphabet[rand() % (sizeof(alphabet) - 1)];
		if (len > nl && rand() % 2)        /* plant it, sometimes more than once */
			memcpy(hay + rand() % (len - nl), needle, nl);
		assert_ptr_equal(bw_memmem(hay, len, needle, nl), memmem(hay, len, needle, nl));
	}
	const char *abc = "abc";
	assert_ptr_equal(bw_memmem(abc, 3, "", 0), abc);
	assert_ptr_equal(bw_memmem(abc, 3, "bc", 2), abc + 1);
	assert_null(bw_memmem(abc, 2, "abc", 3));
}

/* bw_eol against memchr: line ends at every place around the 16- and
 * 32-byte steps, and none. */
static void test_eol_random(void **state)
{
	(void)state;
	char text[200];
	srand(31337);
	for (int round = 0; round < 50000; round++) {
		size_t len = (size_t)(rand() % 200);
		for (size_t i = 0; i < len; i++)
			text[i] = rand() % (round % 3 ? 90 : 4) ? 'x' : '\n';
		const char *nl = memchr(text, '\n', len);
		assert_ptr_equal(bw_eol(text, text + len), nl ? nl : text + len);
	}
}

/* bw_find2 against the byte loop, the two bytes at every place around the
 * 16-byte steps, and neither. */
static void test_find2_random(void **state)
{
	(void)state;
	char text[120];
	srand(4711);
	for (int round = 0; round < 50000; round++) {
		size_t len = (size_t)(rand() % 120);
		for (size_t i = 0; i < len; i++) {
			int r = rand() % (round % 2 ? 60 : 6);
			text[i] = r == 0 ? '<' : r == 1 ? '&' : 'x';
		}
		const char *want = text;
		while (want < text + len && *want != '<' && *want != '&')
			want++;
		assert_ptr_equal(bw_find2(text, text + len, '<', '&'), want);
	}
}

/* bw_strlcpy: whole, cut to the buffer, exact fit, empty, no room, and a
 * source inside the destination (a value moved to the front). */
static void test_strlcpy(void **state)
{
	(void)state;
	char buf[8];
	memset(buf, 'x', sizeof(buf));
	bw_strlcpy(buf, "abc", sizeof(buf));
	assert_string_equal(buf, "abc");
	bw_strlcpy(buf, "abcdefghij", sizeof(buf));
	assert_string_equal(buf, "abcdefg");
	bw_strlcpy(buf, "1234567", sizeof(buf));
	assert_string_equal(buf, "1234567");
	bw_strlcpy(buf, "", sizeof(buf));
	assert_string_equal(buf, "");
	buf[0] = 'q';
	bw_strlcpy(buf, "abc", 0);
	assert_int_equal(buf[0], 'q');
	bw_strlcpy(buf, "abc", 1);
	assert_string_equal(buf, "");
	char move[16] = "  value";
	bw_strlcpy(move, move + 2, sizeof(move));
	assert_string_equal(move, "value");
}

/* bw_mempair against the byte loop, on texts made mostly of the two bytes
 * and at every length around the 32-byte steps. */
static void test_mempair_random(void **state)
{
	(void)state;
	static const char alphabet[] = "\nFFrom \n\nx";
	char text[200];
	srand(777);
	for (int round = 0; round < 50000; round++) {
		size_t len = (size_t)(rand() % 200);
		for (size_t i = 0; i < len; i++)
			text[i] = alphabet[rand() % (sizeof(alphabet) - 1)];
		const char *want = NULL;
		for (size_t i = 0; i + 1 < len && !want; i++)
			if (text[i] == '\n' && text[i + 1] == 'F')
				want = text + i;
		assert_ptr_equal(bw_mempair(text, len, '\n', 'F'), want);
	}
	/* the pair must lie wholly inside the length */
	const char *t = "ab\nF";
	assert_null(bw_mempair(t, 3, '\n', 'F'));
	assert_ptr_equal(bw_mempair(t, 4, '\n', 'F'), t + 2);
	assert_null(bw_mempair("", 0, 'a', 'b'));
	assert_null(bw_mempair("a", 1, 'a', 'a'));
}

static void test_buf_limit(void **state)
{
	(void)state;
	struct bw_buf b = { NULL, 0, 0, 10 };
	assert_true(bw_buf_append(&b, "hello", 5));
	assert_true(bw_buf_printf(&b, "%d", 1234));
	assert_false(bw_buf_append(&b, "xx", 2));
	assert_string_equal(b.data, "hello1234");
	bw_buf_free(&b);
	assert_null(b.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memcasemem_examples),
		cmocka_unit_test(test_memcasemem_random),
		cmocka_unit_test(test_pset_examples),
		cmocka_unit_test(test_pset_random),
		cmocka_unit_test(test_pset_skip_random),
		cmocka_unit_test(test_pset_large_random),
		cmocka_unit_test(test_memmem_random),
		cmocka_unit_test(test_eol_random),
		cmocka_unit_test(test_find2_random),
		cmocka_unit_test(test_strlcpy),
		cmocka_unit_test(test_mempair_random),
		cmocka_unit_test(test_buf_limit),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
