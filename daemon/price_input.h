#pragma once
// The price service as a snapshot input: the household's import and export price from the current
// quarter-hour on. With no prices known, the snapshot's list stays empty and the planner plans on PV only.
#include <memory>
#include <vector>

#include "config/config.h"
#include "daemon/ports.h"
#include "drivers/prices/service.h"

namespace hemd {

std::vector<PricePoint> to_price_points(const std::vector<prices::ConsumerPrice>& list);

class PriceInput final : public SiteInput {
 public:
  // Throws storage::StorageError when the database cannot be opened.
  PriceInput(const config::Config& cfg, std::function<TimeMs()> now);
  void start() { service_->start(); }
  void fill(SiteSnapshot& snapshot) override;
  prices::PriceService& service() { return *service_; }

 private:
  std::unique_ptr<prices::PriceService> service_;
  std::vector<PricePoint> points_;
  TimeMs computed_at_ = 0;
  bool warned_empty_ = false;
};

}  // namespace hemd
