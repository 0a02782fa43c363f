/*
 * test_http_parse.c — the HTTP request head parser (src/ctl/http_parse.c): good requests,
 * incomplete ones, and each kind of bad request with the status it earns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/http_parse.h"

static struct http_request req;

static enum http_parse_result parse(const char *text)
{
	return http_parse_request(text, strlen(text), &req);
}

static void test_good(void **state)
{
	const char *text = "GET /services/web%2Eservice?x=1 HTTP/1.1\r\nHost: a\r\n"
			   "User-Agent: curl\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(parse(text), HTTP_PARSE_OK);
	assert_string_equal(req.method, "GET");
	assert_string_equal(req.path, "/services/web.service");
	assert_true(req.has_query);
	assert_int_equal(req.version_minor, 1);
	assert_false(req.has_body);
	assert_int_equal(req.head_len, strlen(text));
	/* HTTP/1.0 needs no Host; bare LF line ends; leading blank line */
	assert_int_equal(parse("\r\nHEAD /healthz HTTP/1.0\n\n"), HTTP_PARSE_OK);
	assert_string_equal(req.method, "HEAD");
	assert_string_equal(req.path, "/healthz");
	assert_int_equal(
	    parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Close\r\n\r\n"),
	    HTTP_PARSE_OK);
	assert_true(req.connection_close);
	assert_int_equal(parse("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n"),
			 HTTP_PARSE_OK);
	assert_true(req.has_body);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"),
			 HTTP_PARSE_OK);
	assert_true(req.has_body);
}

static void test_incomplete(void **state)
{
	assert_int_equal(parse(""), HTTP_PARSE_INCOMPLETE);
	assert_int_equal(parse("GET / HT"), HTTP_PARSE_INCOMPLETE);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\n"), HTTP_PARSE_INCOMPLETE);
	/* a bad request line is refused without waiting for the rest */
	assert_int_equal(parse("GARBAGE\r\n"), HTTP_PARSE_BAD);
}

static void test_bad(void **state)
{
	static const char *const bad[] = {
	    "GARBAGE\r\n\r\n",
	    "GET\r\n\r\n",
	    "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET / HTTP/1.1 \r\nHost: x\r\n\r\n",
	    "G(T / HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET / HTTP/1.1\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n",
	    "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET /%00 HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET /a%2fb HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET /\x80 HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET /#frag HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET / HTTP/1\r\nHost: x\r\n\r\n",
	    "GET / FTP/1.1\r\nHost: x\r\n\r\n",
	    "GET / HTTP/1.1\rX\r\nHost: x\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum http_parse_result r = parse(bad[i]);
		if (r != HTTP_PARSE_BAD)
			fail_msg("case %zu: %d, wanted BAD", i, (int)r);
		assert_non_null(req.error);
		assert_int_equal(http_parse_status_code(r), 400);
	}
}

static void test_limits(void **state)
{
	static char text[HTTP_HEAD_MAX + 100];
	/* a head that never ends: 413 once it fills the buffer */
	memset(text, 'a', sizeof(text) - 1);
	memcpy(text, "GET /", 5);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(parse(text), HTTP_PARSE_TOO_LARGE);
	assert_int_equal(http_parse_status_code(HTTP_PARSE_TOO_LARGE), 413);
	/* long target */
	size_t n = (size_t)sprintf(text, "GET /");
	memset(text + n, 'p', HTTP_PATH_MAX + 10);
	n += HTTP_PATH_MAX + 10;
	n += (size_t)sprintf(text + n, " HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(parse(text), HTTP_PARSE_URI_TOO_LONG);
	/* too many headers */
	n = (size_t)sprintf(text, "GET / HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < HTTP_HEADERS_MAX + 1; i++)
		n += (size_t)sprintf(text + n, "X-%d: y\r\n", i);
	sprintf(text + n, "\r\n");
	assert_int_equal(parse(text), HTTP_PARSE_HEADERS_TOO_MANY);
	assert_int_equal(parse("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), HTTP_PARSE_BAD_VERSION);
	assert_int_equal(http_parse_status_code(HTTP_PARSE_BAD_VERSION), 505);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_incomplete),
	    cmocka_unit_test(test_bad),
	    cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
