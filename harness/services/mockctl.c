#include "harness/services/mockctl.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "common/redact.h"
#include "engine/http.h"

/* One control request with a short timeout; the body is returned in b. */
static int mockctl_request(const char *api, const char *path, int post, http_buf_t *b, char *err,
                           size_t errlen)
{
    CURL *h = curl_easy_init();
    char url[600], shown[600];
    long status = 0;
    CURLcode rc;

    if (!h) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(url, sizeof url, "%s%s", api, path);
    redact_secrets(url, shown, sizeof shown); /* for messages: an --api URL may hold one */
    rc = http_easy_setup(h, b, 5000);
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
