/*
 * test_hook_template.c - placeholder expansion and escaping by context
 * (SPEC §10), fed with hostile values of the kind a forged bounce carries.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "hook.h"

static const char *const event_json =
	"{\"recipient\": \"user@example.com\", \"kind\": \"hard\", \"reason\": \"userunknown\","
	" \"hard\": true, \"reply_code\": \"550\", \"attempts\": 3, \"score\": 0.5,"
	" \"status\": \"\", \"remote_mta\": null,"
	" \"original\": {\"subject\": \"Hello & welcome\", \"campaign\": \"spring/2024\"}}";

/* A bounce written by an attacker: quotes, CR/LF, braces, NUL, a placeholder. */
static const char *const hostile_json =
	"{\"recipient\": \"evil\\\"@x.com\\r\\nX-Injected: 1\","
	" \"diagnostic\": \"550 \\\"no\\\" }{ {{recipient}} \\\\ \\u0000 end\\n\","
	" \"reason\": \"a&b=c d/e?f#g%h+\","
	" \"original\": {\"subject\": \"\\u00e9t\\u00e9 \\u2603\"}}";

static json_t *load(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, JSON_ALLOW_NUL, &e);
	assert_non_null(j);
	return j;
}

static char *render(const char *tpl, enum hook_ctx ctx, const char *ev, const char *events)
{
	json_t *j = ev ? load(ev) : NULL;
	struct hook_vars v = { j, events };
	char err[256] = "";
	char *out = hook_render(tpl, ctx, &v, NULL, err, sizeof(err));
	json_decref(j);
	return out;
}

static void check(const char *tpl, enum hook_ctx ctx, const char *ev, const char *want)
{
	char *out = render(tpl, ctx, ev, NULL);
	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

static void test_json_values(void **state)
{
	(void)state;
	check("{\"email\": {{recipient}}, \"hard\": {{hard}}, \"n\": {{attempts}}, \"s\": {{score}}}",
	      HOOK_CTX_JSON, event_json,
	      "{\"email\": \"user@example.com\", \"hard\": true, \"n\": 3, \"s\": 0.5}");
	check("{\"m\": {{nosuch}}, \"r\": {{remote_mta}}, \"st\": {{status}}}", HOOK_CTX_JSON,
	      event_json, "{\"m\": null, \"r\": null, \"st\": \"\"}");
	check("{{ original.subject }}", HOOK_CTX_JSON, event_json, "\"Hello & welcome\"");
	check("{{original.nosuch.deeper}}", HOOK_CTX_JSON, event_json, "null");
	check("{{original}}", HOOK_CTX_JSON, event_json,
	      "{\"subject\":\"Hello & welcome\",\"campaign\":\"spring/2024\"}");
}

static void test_defaults(void **state)
{
	(void)state;
	check("{{reply_code|550}} {{status|5.0.0}} {{nosuch|x y}}", HOOK_CTX_URL, event_json,
	      "550 5.0.0 x%20y");
	check("{{remote_mta|unknown}}", HOOK_CTX_JSON, event_json, "\"unknown\"");
	check("{{recipient|none}}", HOOK_CTX_HEADER, event_json, "user@example.com");
}

static void test_json_hostile(void **state)
{
	(void)state;
	const char *tpl = "{\"email\": {{recipient}}, \"diag\": {{diagnostic}}, "
			  "\"why\": {{reason}}, \"subj\": {{original.subject}}}";
	char *out = render(tpl, HOOK_CTX_JSON, hostile_json, NULL);
	assert_non_null(out);
	/* The body is still one JSON object with exactly these four members ... */
	json_error_t e;
	json_t *j = json_loads(out, JSON_ALLOW_NUL, &e);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 4);
	/* ... whose values are the hostile strings, byte for byte. */
	assert_string_equal(json_string_value(json_object_get(j, "email")),
			    "evil\"@x.com\r\nX-Injected: 1");
	json_t *diag = json_object_get(j, "diag");
	assert_int_equal(json_string_length(diag), strlen("550 \"no\" }{ {{recipient}} \\ ") + 6);
	assert_memory_equal(json_string_value(diag), "550 \"no\" }{ {{recipient}} \\ \0 end\n",
			    json_string_length(diag));
	assert_string_equal(json_string_value(json_object_get(j, "subj")), "\xc3\xa9t\xc3\xa9 \xe2\x98\x83");
	/* the placeholder inside the value was not expanded again */
	assert_null(strstr(out, "evil\"@x.com\", \"diag"));
	json_decref(j);
	free(out);
}

static void test_url_and_form(void **state)
{
	(void)state;
	check("https://crm.example/api/{{recipient}}?r={{reason}}", HOOK_CTX_URL, event_json,
	      "https://crm.example/api/user%40example.com?r=userunknown");
	check("address={{recipient}}&code={{reply_code}}&error={{diagnostic}}", HOOK_CTX_FORM,
	      hostile_json,
	      "address=evil%22%40x.com%0D%0AX-Injected%3A%201&code="
	      "&error=550%20%22no%22%20%7D%7B%20%7B%7Brecipient%7D%7D%20%5C%20%00%20end%0A");
	check("/x/{{reason}}", HOOK_CTX_URL, hostile_json, "/x/a%26b%3Dc%20d%2Fe%3Ff%23g%25h%2B");
	check("{{original.subject}}", HOOK_CTX_URL, hostile_json, "%C3%A9t%C3%A9%20%E2%98%83");
	check("{{hard}}/{{attempts}}/{{remote_mta}}/{{original.campaign}}", HOOK_CTX_URL, event_json,
	      "true/3//spring%2F2024");
}

static void test_header(void **state)
{
	(void)state;
	check("X-Recipient: {{recipient}}", HOOK_CTX_HEADER, event_json,
	      "X-Recipient: user@example.com");
	check("X-Subject: {{original.subject}}", HOOK_CTX_HEADER, event_json,
	      "X-Subject: Hello & welcome");
	/* A value with CR/LF (or NUL) cannot add a header: the whole header is refused. */
	json_t *j = load(hostile_json);
	struct hook_vars v = { j, NULL };
	char err[256] = "";
	assert_null(hook_render("X-Recipient: {{recipient}}", HOOK_CTX_HEADER, &v, NULL, err,
				sizeof(err)));
	assert_non_null(strstr(err, "CR, LF"));
	assert_null(hook_render("X-Diag: {{diagnostic}}", HOOK_CTX_HEADER, &v, NULL, err,
				sizeof(err)));
	/* quotes and braces alone are fine in a header */
	char *out = hook_render("X-Reason: {{reason}}", HOOK_CTX_HEADER, &v, NULL, err, sizeof(err));
	assert_string_equal(out, "X-Reason: a&b=c d/e?f#g%h+");
	free(out);
	/* a template that itself carries a newline is refused too */
	assert_null(hook_render("X-A: 1\r\nX-B: 2", HOOK_CTX_HEADER, &v, NULL, err, sizeof(err)));
	json_decref(j);
}

static void test_payload_and_events(void **state)
{
	(void)state;
	char *out = render("{\"type\": {{kind}}, \"data\": {{payload}}}", HOOK_CTX_JSON,
			   "{\"kind\":\"hard\",\"recipient\":\"a@b\"}", NULL);
	assert_string_equal(out, "{\"type\": \"hard\", \"data\": {\"kind\":\"hard\",\"recipient\":\"a@b\"}}");
	free(out);
	out = render("{\"recipient_emails\": {{events}}}", HOOK_CTX_JSON, NULL, "[\"a@b\",\"c@d\"]");
	assert_string_equal(out, "{\"recipient_emails\": [\"a@b\",\"c@d\"]}");
	free(out);
	out = render("{{events}}", HOOK_CTX_JSON, NULL, NULL);
	assert_string_equal(out, "null");
	free(out);
}

static void test_not_placeholders(void **state)
{
	(void)state;
	/* braces that do not form a placeholder are copied as they are */
	check("{{}} {{ }} {{a b}} {{unterminated {x} }} {{{recipient}}}", HOOK_CTX_JSON, event_json,
	      "{{}} {{ }} {{a b}} {{unterminated {x} }} {\"user@example.com\"}");
	check("", HOOK_CTX_JSON, event_json, "");
	check("no placeholders at all", HOOK_CTX_URL, NULL, "no placeholders at all");
	check("{{recipient}}", HOOK_CTX_JSON, NULL, "null");
	/* a "}}" found for one "{{" serves the next ones while it stays ahead */
	check("{{a b}} {{recipient}}", HOOK_CTX_JSON, event_json, "{{a b}} \"user@example.com\"");
	check("{{x {{recipient}}", HOOK_CTX_JSON, event_json, "{{x \"user@example.com\"");
	check("{{recipient}}}} {{kind}}", HOOK_CTX_JSON, event_json, "\"user@example.com\"}} \"hard\"");
	/* braces with no "}}" after them: copied as they are */
	size_t n = 100000;
	char *braces = malloc(n + 1);
	assert_non_null(braces);
	for (size_t i = 0; i < n; i++)
		braces[i] = i % 3 == 2 ? 'x' : '{';
	braces[n] = '\0';
	check(braces, HOOK_CTX_JSON, event_json, braces);
	free(braces);
}

static void test_size_cap(void **state)
{
	(void)state;
	size_t n = 600000;
	char *big = malloc(n + 1);
	memset(big, 'a', n);
	big[n] = '\0';
	json_t *j = json_pack("{s:s}", "diagnostic", big);
	struct hook_vars v = { j, NULL };
	char err[256] = "";
	/* 600 kB of ' ' percent-encodes past 1.8 MB; eight copies pass the cap */
	memset(big, ' ', n);
	json_object_set_new(j, "diagnostic", json_string(big));
	assert_null(hook_render("{{diagnostic}}{{diagnostic}}{{diagnostic}}", HOOK_CTX_URL, &v,
				NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "larger than"));
	size_t len = 0;
	char *out = hook_render("{{diagnostic}}", HOOK_CTX_JSON, &v, &len, err, sizeof(err));
	assert_non_null(out);
	assert_int_equal(len, n + 2);
	free(out);
	json_decref(j);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_values),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_json_hostile),
		cmocka_unit_test(test_url_and_form),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_payload_and_events),
		cmocka_unit_test(test_not_placeholders),
		cmocka_unit_test(test_size_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
