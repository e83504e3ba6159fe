#pragma once
// One HTTP GET with libcurl: status, body and a readable error; never throws.
#include <string>

namespace hemd::prices {

struct HttpResult {
  long status = 0;  // 0 when no answer came (refused, timeout, DNS)
  std::string body;
  std::string error;  // libcurl's reason when status is 0
  bool ok() const { return status == 200; }
  std::string describe() const;  // "HTTP 429", "timeout after 20 s: ...", for the log
};

HttpResult http_get(const std::string& url, long timeout_s = 20);

}  // namespace hemd::prices
