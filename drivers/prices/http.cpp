#include "drivers/prices/http.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <memory>
#include <mutex>

namespace hemd::prices {

namespace {

std::size_t append(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// Answers are a few hundred kB at most; a bigger one is not Energi Data Service.
constexpr curl_off_t max_body = 16 * 1024 * 1024;

int cancelled(void* flag, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(flag)->load() ? 1 : 0;
}

}  // namespace

std::string HttpResult::describe() const {
  if (status != 0) return fmt::format("HTTP {}", status);
  return error.empty() ? "no answer" : error;
}

HttpResult http_get(const std::string& url, long timeout_s, const std::atomic<bool>* cancel) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  HttpResult r;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) {
    r.error = "libcurl could not start a request";
    return r;
  }
  char message[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, message);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, timeout_s);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);  // from a worker thread
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_MAXFILESIZE_LARGE, max_body);
  curl_easy_setopt(curl.get(), CURLOPT_ACCEPT_ENCODING, "");  // gzip when offered
  curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "hemd/0.1 (home energy manager)");
  if (cancel) {
    curl_easy_setopt(curl.get(), CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl.get(), CURLOPT_XFERINFODATA, cancel);
    curl_easy_setopt(curl.get(), CURLOPT_XFERINFOFUNCTION, cancelled);
  }
  const CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    r.status = 0;
    r.error = fmt::format("{}: {}", curl_easy_strerror(rc), message[0] ? message : "");
    // A truncated transfer is still worth reporting as such; the parser names what is missing.
    return r;
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

}  // namespace hemd::prices
