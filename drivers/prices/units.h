#pragma once
// Prices carry their unit in their type: a DKK/MWh spot price cannot be added to a DKK/kWh tariff by mistake.
namespace hemd::prices {

struct DkkPerKwh {
  double value = 0;
  constexpr DkkPerKwh operator+(DkkPerKwh o) const { return {value + o.value}; }
  constexpr DkkPerKwh operator-(DkkPerKwh o) const { return {value - o.value}; }
  constexpr DkkPerKwh operator*(double factor) const { return {value * factor}; }
  constexpr DkkPerKwh& operator+=(DkkPerKwh o) {
    value += o.value;
    return *this;
  }
  constexpr bool operator<(DkkPerKwh o) const { return value < o.value; }
  constexpr bool operator==(DkkPerKwh o) const { return value == o.value; }
};

// How spot markets quote: per MWh.
struct DkkPerMwh {
  double value = 0;
  constexpr DkkPerKwh per_kwh() const { return {value / 1000.0}; }
};

}  // namespace hemd::prices
