#include "strategies/fleet_pricing.h"

#include <glpk.h>

#include <algorithm>
#include <limits>
#include <numeric>

namespace hemd::plan {

namespace {
constexpr double none = std::numeric_limits<double>::infinity();
}

bool NeedPricing::applies(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars) {
  if (cars.size() < 2 || cars.size() > max_cars) return false;
  return std::all_of(slots.begin(), slots.end(),
                     [](const PlanSlot& s) { return s.export_dkk_per_kwh <= s.import_dkk_per_kwh; });
}

NeedPricing::NeedPricing(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars)
    : n_(slots.size()), m_(cars.size()), bound_(-none), value_(n_, std::vector<double>(1u << m_, 0.0)) {
  // Every plan the search meets must fit, whether the flow made it (in whole milliwatt-hours) or a car's
  // own planner did (in watt-hours): the limits are exact, and widened by a rounding's worth.
  constexpr double slack_wh = 1e-3;
  for (const auto& s : slots)
    slots_.push_back({surplus_cap_wh(s), surplus_cap_wh(s) + grid_cap_wh(s) + slack_wh,
                      s.export_dkk_per_kwh / 1000, s.import_dkk_per_kwh / 1000});
  for (const auto& car : cars) {
    need_wh_.push_back(std::max(0.0, car.energy_wh));
    forced_wh_.push_back(forced_wh(slots, car) + slack_wh);
    for (std::size_t t = 0; t < n_; ++t) {
      const double h = usable_h(slots[t], car.departure);
      const double most = std::min(car.max_w * h, slots_[t].room_wh) + slack_wh;
      const double least = std::max(0.0, car.min_w * h - slack_wh);
      const bool can = most >= std::max(least, 1.0 - slack_wh);  // the flow's and a car's planner's rule
      min_wh_.push_back(can ? least : 0);
      max_wh_.push_back(can ? most : 0);
    }
  }
}

// The set's cheapest energies in slot t at these prices, less what they are worth to the cars: each car
// at its minimum, then energy to the car that values it most while it is worth more than the slot's price
// of the next watt-hour (surplus first).
double NeedPricing::set_value(std::size_t t, unsigned set, const std::vector<double>& price,
                              const std::vector<std::size_t>& order, std::vector<double>& wh) const {
  const Slot& s = slots_[t];
  double total = 0;
  for (std::size_t i = 0; i < m_; ++i) {
    wh[i] = 0;
    if (!(set >> i & 1u)) continue;
    if (max_wh_[i * n_ + t] <= 0) return none;
    wh[i] = min_wh_[i * n_ + t];
    total += wh[i];
  }
  if (total > s.room_wh + 1e-9) return none;
  for (std::size_t i : order) {
    if (!(set >> i & 1u)) continue;
    const double most = max_wh_[i * n_ + t];
    if (price[i] > s.export_dkk_per_wh && total < s.surplus_wh) {
      const double more = std::min(most - wh[i], s.surplus_wh - total);
      wh[i] += more, total += more;
    }
    if (price[i] > s.import_dkk_per_wh) {
      const double more = std::max(0.0, std::min(most - wh[i], s.room_wh - total));
      wh[i] += more, total += more;
    }
  }
  double value = s.export_dkk_per_wh * std::min(total, s.surplus_wh) +
                 s.import_dkk_per_wh * std::max(0.0, total - s.surplus_wh);
  for (std::size_t i = 0; i < m_; ++i) value -= price[i] * wh[i];
  return value;
}

double NeedPricing::evaluate(const std::vector<double>& price, std::vector<double>& gradient) {
  double bound = 0;
  gradient.assign(m_, 0);
  for (std::size_t i = 0; i < m_; ++i) {  // a car's shortfall and its taking more than the need
    bound += price[i] * need_wh_[i];
    gradient[i] = need_wh_[i];
    if (price[i] > shortfall_dkk_per_wh)
      bound += (shortfall_dkk_per_wh - price[i]) * need_wh_[i], gradient[i] = 0;
    if (price[i] < 0) bound += price[i] * forced_wh_[i], gradient[i] += forced_wh_[i];
  }
  std::vector<std::size_t> order(m_);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return price[a] > price[b]; });
  std::vector<std::vector<double>> values(n_, std::vector<double>(1u << m_));
  std::vector<double> wh(m_), best_wh(m_);
  for (std::size_t t = 0; t < n_; ++t) {
    double best = 0;  // no car charging
    std::fill(best_wh.begin(), best_wh.end(), 0.0);
    for (unsigned set = 1; set < (1u << m_); ++set) {
      values[t][set] = set_value(t, set, price, order, wh);
      if (values[t][set] < best) best = values[t][set], best_wh = wh;
    }
    for (double& v : values[t]) v -= best;
    bound += best;
    for (std::size_t i = 0; i < m_; ++i) gradient[i] -= best_wh[i];
  }
  bound -= 1e-9 * (1 + std::abs(bound));  // rounding must not lift it above a plan
  if (bound > bound_) bound_ = bound, value_ = std::move(values);
  return bound;
}

int NeedPricing::maximise(int evaluations) {
  const int used = maximise_with_glpk(evaluations);
  // GLPK keeps an environment per thread that outlives its problems: freed here, so that a planning
  // thread leaves nothing behind when it ends (the LP is deleted; nothing else in hemd uses GLPK).
  glp_free_env();
  return used;
}

int NeedPricing::maximise_with_glpk(int evaluations) {
  // Prices in DKK/kWh between the cheapest and the dearest energy of the day, and a margin.
  double low = 0, high = 0;
  for (const auto& s : slots_) {
    low = std::min(low, 1000 * s.export_dkk_per_wh);
    high = std::max(high, 1000 * s.import_dkk_per_wh);
  }
  // Columns 1..m: the cars' prices; column m + 1: the bound, below every plane found.
  glp_prob* lp = glp_create_prob();
  glp_set_obj_dir(lp, GLP_MAX);
  glp_add_cols(lp, static_cast<int>(m_) + 1);
  for (int c = 1; c <= static_cast<int>(m_); ++c) glp_set_col_bnds(lp, c, GLP_DB, low - 1, high + 1);
  const int z = static_cast<int>(m_) + 1;
  glp_set_col_bnds(lp, z, GLP_UP, 0, 1e9);
  glp_set_obj_coef(lp, z, 1);
  glp_smcp parm;
  glp_init_smcp(&parm);
  parm.msg_lev = GLP_MSG_OFF;
  parm.meth = GLP_DUALP;  // a new plane cuts off the last point: the basis stays dual feasible
  parm.it_lim = 1000;     // a few columns: a stalled simplex ends here, the best bound so far kept
  std::vector<double> price(m_, (low + high) / 2 / 1000), gradient;
  std::vector<int> index(m_ + 2);
  std::vector<double> coef(m_ + 2);
  int used = 0;
  while (used < evaluations) {
    const double at = evaluate(price, gradient);
    ++used;
    // The bound is concave in the prices: it lies below the plane through this point, everywhere.
    double rhs = at;
    for (std::size_t i = 0; i < m_; ++i) {
      index[i + 1] = static_cast<int>(i) + 1;
      coef[i + 1] = -gradient[i] / 1000;  // kWh per DKK/kWh
      rhs -= gradient[i] * price[i];
    }
    index[m_ + 1] = z;
    coef[m_ + 1] = 1;
    const int row = glp_add_rows(lp, 1);
    glp_set_mat_row(lp, row, static_cast<int>(m_) + 1, index.data(), coef.data());
    glp_set_row_bnds(lp, row, GLP_UP, 0, rhs);
    if (glp_simplex(lp, &parm) != 0 || glp_get_status(lp) != GLP_OPT) break;
    if (glp_get_col_prim(lp, z) - bound_ <= 1e-7 * (1 + std::abs(bound_))) break;
    for (std::size_t i = 0; i < m_; ++i) price[i] = glp_get_col_prim(lp, static_cast<int>(i) + 1) / 1000;
  }
  glp_delete_prob(lp);
  return used;
}

double NeedPricing::bound(const std::vector<Fix>& fix) const {
  double sum = bound_;
  for (std::size_t t = 0; t < n_; ++t) {
    unsigned on = 0, off = 0;
    for (std::size_t i = 0; i < m_; ++i) {
      if (fix[i * n_ + t] == Fix::on) on |= 1u << i;
      if (fix[i * n_ + t] == Fix::off) off |= 1u << i;
    }
    if (!on && !off) continue;  // the slot's best set is allowed: adds nothing
    double least = none;
    for (unsigned set = 0; set < (1u << m_); ++set)
      if ((set & on) == on && !(set & off)) least = std::min(least, value_[t][set]);
    sum += least;
  }
  return sum;
}

double NeedPricing::penalty(std::size_t k, Fix f) const {
  const std::size_t t = k % n_;
  const unsigned car = 1u << (k / n_);
  double least = none;
  for (unsigned set = 0; set < (1u << m_); ++set)
    if (((set & car) != 0) == (f == Fix::on)) least = std::min(least, value_[t][set]);
  return least;
}

}  // namespace hemd::plan
