#include "daemon/price_input.h"

#include "drivers/log/log.h"

namespace hemd {

namespace {
// Prices change at most when a fetch lands; a minute's delay is invisible next to day-ahead publication.
constexpr TimeMs recompute_ms = 60'000;
constexpr TimeMs horizon_ms = 48 * 3'600'000LL;
}  // namespace

std::vector<PricePoint> to_price_points(const std::vector<prices::ConsumerPrice>& list) {
  std::vector<PricePoint> out;
  out.reserve(list.size());
  for (const auto& c : list) out.push_back({c.start, c.end(), c.total().value, c.export_price.value});
  return out;
}

PriceInput::PriceInput(const config::Config& cfg, std::function<TimeMs()> now)
    : service_(std::make_unique<prices::PriceService>(cfg.prices, cfg.storage.path, std::move(now))) {}

void PriceInput::fill(SiteSnapshot& snapshot) {
  const TimeMs now = snapshot.now;
  const bool stale = points_.empty() || now - computed_at_ >= recompute_ms || now >= points_.front().end ||
                     now < computed_at_;
  if (stale) {
    points_ = to_price_points(service_->prices(now, now + horizon_ms));
    computed_at_ = now;
    if (points_.empty() && !warned_empty_) {
      const auto st = service_->status();
      log::warning("prices: none known for now ({}); planning on PV only",
                   !st.last_error.empty()    ? st.last_error
                   : !st.last_answer.empty() ? st.last_answer
                   : st.last_success == 0    ? "not fetched yet"
                                             : "the answers held none for now");
      warned_empty_ = true;
    } else if (!points_.empty() && warned_empty_) {
      log::notice("prices: {} intervals known; planning with prices again", points_.size());
      warned_empty_ = false;
    }
  }
  snapshot.prices = points_;
}

}  // namespace hemd
