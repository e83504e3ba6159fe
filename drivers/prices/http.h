#pragma once
// One HTTP GET with libcurl: status, body and a readable error; never throws.
#include <atomic>
#include <string>

namespace hemd::prices {

struct HttpResult {
  long status = 0;  // 0 when no answer came (refused, timeout, DNS)
  std::string body;
  std::string error;  // libcurl's reason when status is 0
  bool ok() const { return status == 200; }
  std::string describe() const;  // "HTTP 429", "timeout after 20 s: ...", for the log
};

// `cancel`, when given, is watched during the transfer: once it is true the request ends at once (a stopping
// hemd does not wait for a slow service).
HttpResult http_get(const std::string& url, long timeout_s = 20, const std::atomic<bool>* cancel = nullptr);

}  // namespace hemd::prices
