#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include "strategies/fleet_flow.h"
#include "strategies/fleet_moves.h"
#include "strategies/fleet_pricing.h"

namespace hemd::plan {

namespace {

// The search's tuning, each number named once. What they were measured to buy is in docs/planner.md.
//
// Windows of 2, 3 and 4 hours slide over the plan, half a window at a time; a wider pass only while the
// narrower one paid: a sunny morning's trades between cars fit in a few hours.
constexpr std::array<std::size_t, 3> window_hours = {2, 3, 4};
constexpr std::size_t quarters_per_hour = 4;
// Of the neighbourhoods' budget, a pass of windows or a neighbourhood of ties gets a sixth and each pair of
// cars a twelfth: a pass visits every part of the day, a pair searches the whole day for two cars.
constexpr int window_pass_share = 6;
constexpr int car_pair_share = 12;
// A window is searched with at least this many relaxations, any other neighbourhood and the proof with at
// least twice that: fewer cannot reach a plan.
constexpr int least_window_relaxations = 4;
constexpr int least_search_relaxations = 8;
// Among the second relaxation's choices, those within a hundredth of the tolerance of each other are ties.
constexpr double tie_share_of_tolerance = 0.01;
// Then the ties are widened in steps of the plan's gap to the bound: over more than a day the better plans
// take choices that cost a little more at the best prices, and no plan takes more than the gap.
constexpr std::array<double, 3> tie_shares_of_gap = {0.03, 0.1, 0.3};
// Kelley's cutting planes for the cars' prices, per car: each costs a fraction of a flow's solve.
constexpr int pricing_planes_per_car = 20;
// A search asks whether it must stop every this many relaxations: often enough to stop within a second,
// rarely enough to cost nothing.
constexpr int stop_check_every = 64;
// The proof rounds every this many nodes it takes to a plan: its least bound nears the optimum, where plans
// lie that no dive from the best plan reaches, but a plan per node would eat its budget.
constexpr int proof_rounds_every = 4;
// Every search gets at least this many relaxations, however large its flow.
constexpr int least_relaxations = 16;
// Fleets up to this many (car, slot) arcs count as small: their flows solve in microseconds.
constexpr double small_fleet_arcs = 100;
// Slots in a day: the priced budget is per day of quarter-hours.
constexpr double slots_per_day = 96;
// improve() and re-planning cars alone alternate at most this often: later passes rarely pay.
constexpr int improve_passes = 4;

// Branch and bound on the flow: a car below its minimum in some slot is tried there once at its minimum
// and once off; branches whose relaxation cannot beat the best plan by more than the tolerance are cut.
// In small fleets a second relaxation (the cars' needs priced, fleet_pricing.h) cuts more, and holds the
// cars and slots that no cheaper plan can change.
// Neighbourhoods of the best plan go depth first towards the nearer of the two (among the priced ties,
// towards the lower bound); the proof takes the least bound first, and branches where that raises the
// bound most.
class FleetSearch {
 public:
  FleetSearch(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars, Relaxation& relaxation,
              const PlanOptions& options, Search& s)
      : slots_(slots),
        cars_(cars),
        relaxation_(relaxation),
        options_(options),
        s_(s),
        n_(slots.size()),
        budget_(
            relaxations(flow_budget(slots, cars, options), options, static_cast<double>(relaxation.arcs()))),
        proof_extension_(static_cast<int>(options.small_fleet_proof * proof_share(relaxation.arcs()))) {}

  // Where the second relaxation applies, its prices, before any search uses its bounds.
  void price() {
    if (!NeedPricing::applies(slots_, cars_)) return;
    pricing_.emplace(slots_, cars_);
    // Kelley's planes in as many dimensions as cars; an evaluation costs a fraction of a flow's solve.
    pricing_->maximise(static_cast<int>(pricing_planes_per_car * cars_.size()));
  }

  // From the best plan: the best energies for its pattern of slots (two cars sharing a slot may split it
  // in a way neither planned alone would choose), quarter-hours moved and swapped, then its
  // neighbourhoods: a few hours opened to every car, the second relaxation's, or the whole day to two cars,
  // the rest held. Uses up to neighbourhoods_budget() over all calls.
  void improve() {
    const int for_neighbourhoods = neighbourhoods_budget();
    if (solved_ >= for_neighbourhoods || stopped_) return;
    keep_if_better(pattern(n_, n_));
    shift(std::min(for_neighbourhoods, solved_ + moves_budget()));
    for (const std::size_t hours : window_hours) {
      const std::size_t width = std::min<std::size_t>(n_, quarters_per_hour * hours);
      const int windows = static_cast<int>(2 * n_ / width + 1);
      const double before = s_.cost;
      for (std::size_t from = 0; from + 1 < n_ && solved_ < for_neighbourhoods; from += width / 2)
        search(
            pattern(from, from + width),
            solved_ + std::max(least_window_relaxations, for_neighbourhoods / window_pass_share / windows));
      if (s_.cost >= before && hours > window_hours.front()) break;
    }
    priced_neighbourhood(for_neighbourhoods);
    for (std::size_t i = 0; i < cars_.size() && solved_ < for_neighbourhoods; ++i)
      for (std::size_t j = i + 1; j < cars_.size() && solved_ < for_neighbourhoods; ++j)
        search(pattern([&](std::size_t car, std::size_t) { return car == i || car == j; }),
               solved_ + std::max(least_search_relaxations, for_neighbourhoods / car_pair_share));
  }

  // The second relaxation's own idea of a plan: each car and slot held as the slot's cheapest set of cars
  // at the best prices has it, except where the other choice costs next to nothing more
  // (tie_share_of_tolerance). Those ties are what the plan must settle: on a sunny day whose surplus is below
  // the cars' minimums, which car takes a quarter-hour's surplus is often worth the same at the best prices,
  // and the best plans differ from a good one in dozens of such choices across every car and the whole day,
  // which no move, window of hours nor pair of cars contains. Over a horizon of more than a day the best plan
  // may also take choices that cost a little more at those prices; no plan can take more than the gap to the
  // bound, so the neighbourhood is widened in steps towards it.
  void priced_neighbourhood(int limit) {
    if (!pricing_) return;
    double tie = tie_share_of_tolerance * tolerance_dkk();
    ties_open(limit, tie);
    for (const double share_of_gap : tie_shares_of_gap) {
      const double wider = share_of_gap * (s_.cost - pricing_->bound());
      if (wider > tie) ties_open(limit, tie = wider);
    }
  }
  // One such neighbourhood: open where the other choice costs at most `tie` more.
  void ties_open(int limit, double tie) {
    if (solved_ >= limit) return;
    std::vector<Fix> fix(relaxation_.arcs(), Fix::open);
    for (std::size_t k = 0; k < fix.size(); ++k) {
      const double on = pricing_->penalty(k, Fix::on), off = pricing_->penalty(k, Fix::off);
      if (relaxation_.max_wh(k) == 0)
        fix[k] = Fix::off;
      else if (std::max(on, off) > tie)
        fix[k] = on > off ? Fix::off : Fix::on;
    }
    hold(fix);
    search(fix, solved_ + std::max(least_search_relaxations, limit / window_pass_share),
           Order::lower_bound_first);
  }

  // One car's charging moved from a quarter-hour it uses to one it does not (or one dropped, or one added),
  // or two cars swapping a quarter-hour each; every car's energies then set by the flow. Cars sharing a
  // sunny day's surplus trade quarter-hours this way, which none finds re-planning alone. The moves are
  // ranked by an estimate from the flow's prices (fleet_moves.h) and the first few solved; the first that
  // pays is taken, until none of them does or `limit` is reached.
  void shift(int limit) {
    while (solved_ < limit && !stopped_) {
      const auto fix = pattern(n_, n_);
      const auto now = solve(fix);
      if (!now) return;
      bool moved = false;
      for (const Move& move : ranked_moves(slots_, relaxation_, energies(now->flow), now->car_dkk_per_wh,
                                           options_.moves_solved)) {
        if (solved_ >= limit) return;
        if ((moved = keep_if_better(apply(move, fix, n_)))) break;
      }
      if (!moved) return;
    }
  }

  // Branch and bound on the whole problem, least bound first, with what is left of the budget (and, with
  // the second relaxation, its extension for small fleets): the bound on how far the plan can be from the
  // optimum. What the holds set aside costs at least `held`, and every plan at least the prices' bound.
  void prove() {
    std::vector<Fix> root(relaxation_.arcs(), Fix::open);
    const double held = hold(root);
    const double left = search(
        root, std::max(budget_, solved_ + least_search_relaxations) + (pricing_ ? proof_extension_ : 0),
        Order::least_bound_first);
    s_.bound = std::min(held, pricing_ ? std::max(left, pricing_->bound()) : left);
    s_.nodes += solved_;
  }

 private:
  // The flow budget in relaxations for a flow of this many (car, slot) arcs: a relaxation's time grows
  // with the arcs. Small fleets get more, fading out above about a hundred arcs (see PlanOptions).
  static int relaxations(double flow_budget, const PlanOptions& options, double arcs) {
    return std::max(
        least_relaxations,
        static_cast<int>(std::max(flow_budget / arcs, options.small_fleet_relaxations * small_share(arcs))));
  }
  // Fleets with the second relaxation plan a horizon longer than a day with as many relaxations as a day:
  // each sunny day in it holds as many choices again.
  static double flow_budget(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars,
                            const PlanOptions& options) {
    if (!NeedPricing::applies(slots, cars)) return options.flow_budget;
    return options.priced_flow_budget * std::max(1.0, static_cast<double>(slots.size()) / slots_per_day);
  }
  // How much of the small fleets' extra relaxations a flow of this size gets: all up to small_fleet_arcs,
  // then fading with the square of the size, and faster still for the proof's extension.
  static double small_share(double arcs) {
    return std::min(1.0, (small_fleet_arcs / arcs) * (small_fleet_arcs / arcs));
  }
  static double proof_share(double arcs) { return std::pow(small_share(arcs), 1.5); }

  // The neighbourhoods may spend three quarters of the budget, so that the proof keeps at least the last
  // quarter: its bound is what tells the daemon a plan needs no deeper search.
  int neighbourhoods_budget() const { return budget_ * 3 / 4; }
  // Of that, the moves and swaps of quarter-hours get a quarter of the budget; the windows and pairs the
  // rest.
  int moves_budget() const { return budget_ / 4; }

  // The best plan's slots held as they are, except where `open(car, slot)`.
  template <typename Open>
  std::vector<Fix> pattern(Open open) const {
    std::vector<Fix> fix(relaxation_.arcs());
    for (std::size_t k = 0; k < fix.size(); ++k) {
      const std::size_t i = k / n_, t = k % n_;
      fix[k] = open(i, t) ? Fix::open : s_.energy[i][t] > 0.5 ? Fix::on : Fix::off;
    }
    hold(fix);
    return fix;
  }
  std::vector<Fix> pattern(std::size_t from, std::size_t to) const {
    return pattern([&](std::size_t, std::size_t t) { return t >= from && t < to; });
  }

  // Each open car and slot of `fix` held on where the flow gives it at least half its minimum, else off.
  std::vector<Fix> rounded(std::vector<Fix> fix, const std::vector<Energy>& flow) const {
    for (std::size_t k = 0; k < fix.size(); ++k)
      if (fix[k] == Fix::open)
        fix[k] = flow[k] > 0 && 2 * flow[k] >= relaxation_.min_wh(k) ? Fix::on : Fix::off;
    return fix;
  }

  // Holds each open car and slot that no plan cheaper than the best (by more than the tolerance) can use,
  // or leave; returns the least bound of the plans that this excludes.
  double hold(std::vector<Fix>& fix) const {
    double excluded = std::numeric_limits<double>::infinity();
    if (!pricing_) return excluded;
    for (std::size_t k = 0; k < fix.size(); ++k) {
      if (fix[k] != Fix::open || relaxation_.max_wh(k) == 0) continue;
      const double on = pricing_->bound() + pricing_->penalty(k, Fix::on);
      const double off = pricing_->bound() + pricing_->penalty(k, Fix::off);
      if (good_enough(on)) {
        fix[k] = Fix::off;
        excluded = std::min(excluded, on);
      } else if (good_enough(off)) {
        fix[k] = Fix::on;
        excluded = std::min(excluded, off);
      }
    }
    return excluded;
  }

  // The second relaxation's bound for these fixes, once it has its prices.
  double priced(const std::vector<Fix>& fix) const {
    return pricing_ ? pricing_->bound(fix) : -std::numeric_limits<double>::infinity();
  }

  // The tolerance applies to what the energy costs, not to the shortfall's penalty.
  double tolerance_dkk() const {
    return options_.tolerance * std::abs(s_.cost - shortfall_of(cars_, s_.energy) * shortfall_dkk_per_wh);
  }
  bool good_enough(double bound) const { return bound >= s_.cost - tolerance_dkk() - 1e-6; }

  // The flow's plan for a pattern in which every car is held on or off, kept if it is the cheapest yet.
  bool keep_if_better(const std::vector<Fix>& fix) {
    const auto r = solve(fix);
    return r && consider(r->flow);
  }

  // A flow's energies per car and slot, in watt-hours.
  std::vector<std::vector<double>> energies(const std::vector<Energy>& flow) const {
    std::vector<std::vector<double>> energy(cars_.size(), std::vector<double>(n_));
    for (std::size_t k = 0; k < flow.size(); ++k)
      energy[k / n_][k % n_] = static_cast<double>(flow[k]) / units_per_wh;
    return energy;
  }

  // Every relaxation the search solves, counted against its budget.
  std::optional<Relaxation::Solution> solve(const std::vector<Fix>& fix) {
    if (++solved_ % stop_check_every == 0 && options_.stop_requested)
      stopped_ = stopped_ || options_.stop_requested();
    return relaxation_.solve(fix);
  }

  // Keeps the flow's plan if it is the cheapest yet.
  bool consider(const std::vector<Energy>& flow) {
    auto energy = energies(flow);
    const double c = objective(slots_, cars_, energy);
    if (c >= s_.cost - 1e-9) return false;
    s_.cost = c, s_.energy = std::move(energy);
    return true;
  }

  // Depth first finds plans soon (a neighbourhood's job); the least bound first raises the bound soonest
  // (the proof's job, once a good plan is known). Among ties the nearer side tells nothing: depth first,
  // but each branch chosen by its children's bounds, the lower one first.
  enum class Order { depth_first, lower_bound_first, least_bound_first };
  struct Node {
    std::vector<Fix> fix;
    double bound;
    std::optional<Relaxation::Solution> relaxed;  // already solved when branching tried it
    bool operator<(const Node& other) const { return bound > other.bound; }  // a heap of the least bound
  };

  // The cars and slots below their minimum in a relaxed flow, furthest from both sides first.
  std::vector<std::size_t> below_minimum(const std::vector<Energy>& flow) const {
    std::vector<std::pair<Energy, std::size_t>> by_distance;
    for (std::size_t k = 0; k < flow.size(); ++k) {
      const Energy x = flow[k], lo = relaxation_.min_wh(k);
      if (x > 0 && x < lo) by_distance.emplace_back(std::min(x, lo - x), k);
    }
    std::sort(by_distance.begin(), by_distance.end(), std::greater<>());
    std::vector<std::size_t> picks;
    for (const auto& d : by_distance) picks.push_back(d.second);
    return picks;
  }

  // The two children of `node` for one car and slot: held on at its minimum, and off.
  struct Children {
    Node on, off;
    std::size_t arc;
    double score = 0;  // how far the weaker child raises the bound, times the stronger one's rise
  };
  static Children children(const Node& node, std::size_t k) {
    Children c{{node.fix, node.bound, std::nullopt}, {node.fix, node.bound, std::nullopt}, k};
    c.on.fix[k] = Fix::on;
    c.off.fix[k] = Fix::off;
    return c;
  }
  // The same, each solved.
  Children branch(const Node& node, std::size_t k) {
    Children c = children(node, k);
    auto rise = [&](Node& child) {
      child.bound = std::max(node.bound, priced(child.fix));
      if (good_enough(child.bound)) return std::max(1e-9, child.bound - node.bound);  // no flow needed
      child.relaxed = solve(child.fix);
      child.bound = child.relaxed ? std::max(child.bound, child.relaxed->objective)
                                  : std::numeric_limits<double>::infinity();
      return std::max(1e-9, child.bound - node.bound);
    };
    c.score = rise(c.on) * rise(c.off);
    return c;
  }

  // Below `root` until `limit` relaxations are solved in all; returns the least bound of what was cut or
  // left (the best plan's cost if nothing was).
  //
  // A flow relaxation is degenerate: cut one car's fraction and the flow moves it to another car at the
  // same cost, so the bound does not rise. Branching therefore tries the few cars and slots furthest below
  // their minimum and takes the one whose both children raise the bound most (strong branching).
  double search(std::vector<Fix> root, int limit, Order order = Order::depth_first) {
    std::vector<Node> stack;
    stack.push_back({std::move(root), -std::numeric_limits<double>::infinity(), std::nullopt});
    double pruned = std::numeric_limits<double>::infinity();
    auto push = [&](Node node) {
      if (good_enough(node.bound)) {
        pruned = std::min(pruned, node.bound);
        return;
      }
      stack.push_back(std::move(node));
      if (order == Order::least_bound_first) std::push_heap(stack.begin(), stack.end());
    };
    while (!stack.empty() && solved_ < limit && !stopped_) {
      if (order == Order::least_bound_first) std::pop_heap(stack.begin(), stack.end());
      Node node = std::move(stack.back());
      stack.pop_back();
      if (good_enough(node.bound)) {
        pruned = std::min(pruned, node.bound);
        continue;
      }
      if (!node.relaxed) {
        node.bound = std::max(node.bound, priced(node.fix));
        if (good_enough(node.bound)) {
          pruned = std::min(pruned, node.bound);
          continue;
        }
        node.relaxed = solve(node.fix);
      }
      if (!node.relaxed) continue;
      const Relaxation::Solution& r = *node.relaxed;
      node.bound = std::max(node.bound, r.objective);
      if (good_enough(node.bound)) {
        pruned = std::min(pruned, node.bound);
        continue;
      }
      const auto picks = below_minimum(r.flow);
      if (picks.empty()) {  // every car at zero or at least its minimum: a plan
        consider(r.flow);
        continue;
      }
      // A neighbourhood wants a plan soon. Over a long horizon a dive meets more cars and slots below their
      // minimum than it has relaxations to fix them one at a time, so each node's flow is also rounded
      // whole, to the nearer side: a plan for one relaxation. The proof, too, rounds some of the nodes it
      // takes (proof_rounds_every).
      if (order != Order::least_bound_first || ++proof_nodes_ % proof_rounds_every == 0)
        keep_if_better(rounded(node.fix, r.flow));
      // It branches at once, and solves a child only if it gets there.
      std::optional<Children> best;
      if (order == Order::depth_first) best = children(node, picks[0]);
      // A dive through dozens of ties cannot afford the proof's pairs of children at every level: with half
      // as many it reaches a plan within its budget.
      const std::size_t strong =
          order == Order::lower_bound_first ? options_.strong_branching / 2 : options_.strong_branching;
      const std::size_t tries = best ? 0 : std::min(picks.size(), strong);
      for (std::size_t i = 0; i < tries && (i == 0 || solved_ + 2 <= limit); ++i) {  // one at least
        Children c = branch(node, picks[i]);
        if (!best || c.score > best->score) best = std::move(c);
      }
      for (Node* child : {&best->on, &best->off})
        if (child->relaxed && below_minimum(child->relaxed->flow).empty()) consider(child->relaxed->flow);
      const bool on_first = order == Order::lower_bound_first
                                ? best->on.bound <= best->off.bound
                                : 2 * r.flow[best->arc] >= relaxation_.min_wh(best->arc);  // the nearer
      push(on_first ? std::move(best->off) : std::move(best->on));
      push(on_first ? std::move(best->on) : std::move(best->off));
    }
    double bound = std::min(s_.cost, pruned);
    for (const auto& node : stack) bound = std::min(bound, node.bound);
    return bound;
  }

  const std::vector<PlanSlot>& slots_;
  const std::vector<CarNeed>& cars_;
  Relaxation& relaxation_;
  const PlanOptions& options_;
  Search& s_;
  std::size_t n_;
  std::optional<NeedPricing> pricing_;  // the second relaxation, in fleets small enough for it
  int budget_;           // relaxations: the flow's size sets how many fit the time a plan may take
  int proof_extension_;  // and how many more the proof may take while it has not closed
  int solved_ = 0;
  int proof_nodes_ = 0;   // the nodes the proof has taken
  bool stopped_ = false;  // asked to stop: as if the budget were spent
};

}  // namespace

void search_fleet(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars,
                  const PlanOptions& options, Search& s, const std::function<void()>& between) {
  Relaxation relaxation(slots, cars);
  FleetSearch fleet(slots, cars, relaxation, options, s);
  fleet.price();
  for (int pass = 0; pass < improve_passes; ++pass) {
    const double before = s.cost;
    fleet.improve();
    between();
    if (s.cost >= before - 1e-9) break;
  }
  fleet.prove();
}

}  // namespace hemd::plan
