#pragma once
// A PV forecast corrected by what the site really produced. A weather model does not know the roof: a
// chimney's shadow in the morning, modules that face a little west, an inverter that clips at noon. Per
// hour of the day, the ratio of what was produced to what had been forecast over the last weeks says how
// much to trust the next forecast at that hour.
#include <array>
#include <functional>
#include <vector>

#include "strategies/site.h"

namespace hemd {

// One past interval: what was forecast for it before it began, and the mean production measured in it.
struct PvSample {
  TimeMs start = 0;
  double forecast_w = 0;
  double produced_w = 0;
};

struct PvCorrection {
  std::array<double, 24> factor{};  // by local hour of the day; 1 where nothing is known
  std::array<int, 24> samples{};    // daylight intervals behind each factor
};

// Factors from the samples; `hour_of_day` gives the site's local hour of an instant. Each hour's factor is
// pulled towards 1 while it rests on few samples, so that one odd day (snow on the modules) does not
// halve tomorrow's forecast, and it is kept within [0.25, 2].
PvCorrection pv_correction(const std::vector<PvSample>& samples,
                           const std::function<int(TimeMs)>& hour_of_day);

}  // namespace hemd
