/* curlerr.c - see curlerr.h. */
#include "registrator/curlerr.h"

#include <stdio.h>
#include <string.h>

#include "registrator/common.h"

static bool is_tls(CURLcode cc) {
  switch (cc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
      return true;
    default:
      return false;
  }
}

void rg_curl_classify(CURL *h, CURLcode cc, const char *curl_err, bool unix_socket, struct rg_net_error *out) {
  snprintf(out->detail, sizeof out->detail, "%s", curl_err && curl_err[0] ? curl_err : curl_easy_strerror(cc));
  long status = 0;
  curl_off_t connected = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connected);
  if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST || cc == CURLE_COULDNT_RESOLVE_PROXY ||
      (cc == CURLE_OPERATION_TIMEDOUT && status == 0 && connected == 0)) {
    long os_errno = 0;
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
    if (unix_socket && cc == CURLE_COULDNT_CONNECT && os_errno != 0)
      snprintf(out->detail, sizeof out->detail, "%s", strerror((int)os_errno));
    out->kind = RG_NET_UNREACHABLE;
    out->code = RG_ECONNECT;
    return;
  }
  out->code = RG_EIO;
  out->kind = cc == CURLE_OPERATION_TIMEDOUT ? RG_NET_TIMEOUT : is_tls(cc) ? RG_NET_TLS : RG_NET_PROTOCOL;
}

const char *rg_net_failure_name(enum rg_net_failure kind) {
  switch (kind) {
    case RG_NET_UNREACHABLE: return "unreachable";
    case RG_NET_TIMEOUT: return "timed out";
    case RG_NET_TLS: return "TLS error";
    case RG_NET_PROTOCOL: return "protocol error";
  }
  return "error";
}

CURLcode rg_curl_perform(CURLM **waiter, CURL *c, const volatile int *cancel) {
  if (cancel == NULL) return curl_easy_perform(c);
  if (*waiter == NULL && (*waiter = curl_multi_init()) == NULL) return curl_easy_perform(c);
  if (curl_multi_add_handle(*waiter, c) != CURLM_OK) return curl_easy_perform(c);
  CURLcode res = CURLE_ABORTED_BY_CALLBACK;
  for (bool done = false; !done;) {
    int still = 0, left = 0;
    if (curl_multi_perform(*waiter, &still) != CURLM_OK) {
      res = CURLE_OUT_OF_MEMORY;
      break;
    }
    for (CURLMsg *m; (m = curl_multi_info_read(*waiter, &left)) != NULL;)
      if (m->msg == CURLMSG_DONE && m->easy_handle == c) {
        res = m->data.result;
        done = true;
      }
    if (done || *cancel) break; /* cancelled: CURLE_ABORTED_BY_CALLBACK, as a callback's abort */
    if (still == 0) { /* ended without a message: not expected of libcurl */
      res = CURLE_RECV_ERROR;
      break;
    }
    curl_multi_poll(*waiter, NULL, 0, RG_CURL_CANCEL_POLL_MS, NULL);
  }
  curl_multi_remove_handle(*waiter, c);
  return res;
}
