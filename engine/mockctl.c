#include "engine/mockctl.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/redact.h"
#include "engine/http.h"

/* One control request with a short timeout; the body is returned in b. */
static int mockctl_request(const char *api, const char *path, int post, http_buf_t *b, char *err,
                           size_t errlen)
{
    CURL *h = curl_easy_init();
    http_wire_t wire = {0}; /* no outcome table: a control request is no attempt */
    char url[600], shown[600];
    long status = 0;
    CURLcode rc;

    if (!h) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(url, sizeof url, "%s%s", api, path);
    redact_secrets(url, shown, sizeof shown); /* for messages: an --api URL may hold one */
    rc = http_easy_setup(h, b, 5000, &wire);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_URL, url);
    if (rc == CURLE_OK && post)
        rc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    if (rc == CURLE_OK)
        rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s %s: %s", post ? "POST" : "GET", shown, curl_easy_strerror(rc));
        return -1;
    }
    if (status != 200) {
        snprintf(err, errlen, "%s %s: HTTP %ld (is this a concbench mockapi?)",
                 post ? "POST" : "GET", shown, status);
        return -1;
    }
    return 0;
}

int mockctl_reset(const char *api, char *err, size_t errlen)
{
    http_buf_t b = {0};
    int rc = mockctl_request(api, "/__reset", 1, &b, err, errlen);
    http_buf_free(&b);
    return rc;
}

json_t *mockctl_stats(const char *api, char *err, size_t errlen)
{
    http_buf_t b = {0};
    json_t *j = NULL;
    json_error_t je;
    if (mockctl_request(api, "/__stats", 0, &b, err, errlen) == 0) {
        j = json_loadb(b.data ? b.data : "", b.len, 0, &je);
        if (!j || !json_is_object(j)) {
            char shown[600];
            redact_secrets(api, shown, sizeof shown);
            snprintf(err, errlen, "GET %s/__stats: not a JSON object (%s)", shown, je.text);
            json_decref(j);
            j = NULL;
        }
    }
    http_buf_free(&b);
    return j;
}

int mockctl_orders_check(const char *api, uint64_t seed, int items, char *err, size_t errlen)
{
    json_t *st = mockctl_stats(api, err, errlen);
    json_t *cfg = st ? json_object_get(st, "config") : NULL;
    json_t *js = cfg ? json_object_get(cfg, "seed") : NULL;
    json_t *ji = cfg ? json_object_get(cfg, "items") : NULL;
    int rc = -1;

    if (!st)
        return -1;
    if (!json_is_integer(js) || !json_is_integer(ji)) {
        snprintf(err, errlen,
                 "GET %s/__stats has no config.seed and config.items (is this a "
                 "concbench mockapi?)",
                 api);
    } else if ((uint64_t)json_integer_value(js) != seed || json_integer_value(ji) != items) {
        snprintf(err, errlen,
                 "the mock API at %s generates orders with seed %" PRIu64 " and %d items, the "
                 "run uses seed %" PRIu64 " and %d items: start it with --seed %" PRIu64
                 " --items %d",
                 api, (uint64_t)json_integer_value(js), (int)json_integer_value(ji), seed, items,
                 seed, items);
    } else {
        rc = 0;
    }
    json_decref(st);
    return rc;
}
