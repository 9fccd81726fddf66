/*
 * test_util.c - the case-insensitive search against a plain reference on
 * random text, and the bounded buffer.
 */
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
		cmocka_unit_test(test_buf_limit),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
