/*
 * http.c — Engine API transport: one curl easy handle per request, all on the evloop's multi
 * handle, talking HTTP/1.1 over AF_UNIX (CURLOPT_UNIX_SOCKET_PATH). curl decodes chunked
 * bodies; the hijacked exec stream is a plain body that ends when the daemon closes it.
 */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct http {
	struct evloop *loop;
	char *socket_path;
	char version_prefix[24];
	struct http_req *live; /* every request in flight, so shutdown can end them */
	bool closing;
};

struct http_req {
	struct http *http;
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	size_t len, limit;
	http_data_fn *on_data;
	http_done_fn *on_done;
	void *arg;
	char *api_version_header;
	char error[CURL_ERROR_SIZE];
	struct http_req *prev, *next; /* in http.live */
};

struct http *http_new(struct evloop *loop, const char *socket_path)
{
	struct http *http = calloc(1, sizeof(*http));
	if (!http)
		return NULL;
	http->loop = loop;
	http->socket_path = strdup(socket_path);
	if (!http->socket_path) {
		free(http);
		return NULL;
	}
	return http;
}

void http_free(struct http *http)
{
	if (!http)
		return;
	free(http->socket_path);
	free(http);
}

void http_set_version(struct http *http, const char *version)
{
	snprintf(http->version_prefix, sizeof(http->version_prefix), "/v%s", version);
}

const char *http_version(const struct http *http)
{
	return http->version_prefix[0] ? http->version_prefix + 2 : "";
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct http_req *req = userdata;
	size_t n = size * nmemb;
	if (req->on_data)
		return req->on_data(req->arg, data, n) ? n : 0;
	size_t room = req->limit > req->len ? req->limit - req->len : 0;
	size_t take = n < room ? n : room;
	if (take > 0) {
		char *grown = realloc(req->body, req->len + take + 1);
		if (!grown)
			return 0;
		req->body = grown;
		memcpy(req->body + req->len, data, take);
		req->len += take;
		req->body[req->len] = '\0';
	}
	return n; /* the excess is dropped, not an error: the caller set the bound */
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct http_req *req = userdata;
	size_t n = size * nmemb;
	static const char name[] = "Api-Version:";
	if (req->api_version_header && n > sizeof(name) - 1 &&
	    strncasecmp(data, name, sizeof(name) - 1) == 0) {
		const char *v = data + sizeof(name) - 1;
		size_t vn = n - (sizeof(name) - 1);
		while (vn > 0 && (*v == ' ' || *v == '\t'))
			v++, vn--;
		while (vn > 0 && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
			vn--;
		if (vn < 16) {
			memcpy(req->api_version_header, v, vn);
			req->api_version_header[vn] = '\0';
		}
	}
	return n;
}

static void req_free(struct http_req *req)
{
	if (req->prev)
		req->prev->next = req->next;
	else if (req->http->live == req)
		req->http->live = req->next;
	if (req->next)
		req->next->prev = req->prev;
	if (req->easy) {
		curl_multi_remove_handle(evloop_multi(req->http->loop), req->easy);
		curl_easy_cleanup(req->easy);
	}
	curl_slist_free_all(req->headers);
	free(req->body);
	free(req);
}

struct http_req *http_request(struct http *http, const char *path, const struct http_options *opt,
			      http_done_fn *on_done, void *arg)
{
	if (http->closing)
		return NULL;
	struct http_req *req = calloc(1, sizeof(*req));
	if (!req)
		return NULL;
	req->http = http;
	req->on_done = on_done;
	req->arg = arg;
	req->on_data = opt->on_data;
	req->limit = opt->body_limit;
	req->api_version_header = opt->api_version_header;
	req->easy = curl_easy_init();
	char *url = NULL;
	size_t url_len = strlen(http->version_prefix) + strlen(path) + 16;
	url = malloc(url_len);
	if (!req->easy || !url) {
		free(url);
		req_free(req);
		return NULL;
	}
	/* the host name is never resolved over a unix socket, but Go servers want one */
	snprintf(url, url_len, "http://docker%s%s", http->version_prefix, path);
	CURL *e = req->easy;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, http->socket_path);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, req);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->error);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	if (opt->timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, opt->timeout_ms);
	req->headers = curl_slist_append(NULL, "Expect:"); /* no 100-continue round trip */
	if (opt->json_body) {
		struct curl_slist *h =
		    curl_slist_append(req->headers, "Content-Type: application/json");
		if (h)
			req->headers = h;
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(opt->json_body));
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, opt->json_body);
	}
	if (opt->method && strcmp(opt->method, "POST") == 0 && !opt->json_body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, "");
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->headers);
	free(url);
	if (curl_multi_add_handle(evloop_multi(http->loop), e) != CURLM_OK) {
		curl_easy_cleanup(e);
		req->easy = NULL;
		req_free(req);
		return NULL;
	}
	req->next = http->live;
	if (http->live)
		http->live->prev = req;
	http->live = req;
	evloop_kick(http->loop);
	return req;
}

void http_shutdown(struct http *http)
{
	http->closing = true;
	while (http->live) {
		struct http_req *req = http->live;
		req->on_done(req->arg, 0, "", 0, "shutting down");
		req_free(req);
	}
}

void http_cancel(struct http_req *req)
{
	if (req)
		req_free(req);
}

void http_transfer_done(CURL *easy, CURLcode result)
{
	struct http_req *req = NULL;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&req);
	if (!req)
		return;
	long status = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	const char *error = NULL;
	if (result != CURLE_OK)
		error = req->error[0] ? req->error : curl_easy_strerror(result);
	req->on_done(req->arg, status, req->body ? req->body : "", req->len, error);
	req_free(req);
}
