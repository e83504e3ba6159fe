#include "drivers/prices/local_time.h"

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>

namespace hemd::prices {

namespace {

using namespace std::chrono;

const date::time_zone* copenhagen() {
  static const date::time_zone* zone = date::locate_zone("Europe/Copenhagen");
  return zone;
}

struct Fields {
  int year, month, day, hour, minute, second;
};

std::optional<Fields> parse_fields(const std::string& iso) {
  Fields f{0, 0, 0, 0, 0, 0};
  int consumed = 0;
  const int n = std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d%n:%2d%n", &f.year, &f.month, &f.day, &f.hour,
                            &f.minute, &consumed, &f.second, &consumed);
  if (n < 5 || f.month < 1 || f.month > 12 || f.day < 1 || f.day > 31 || f.hour > 23 || f.minute > 59 ||
      f.second > 59)
    return std::nullopt;
  std::string rest = iso.substr(static_cast<std::size_t>(consumed));
  if (!rest.empty() && rest != "Z" && rest != ".000" && rest != "+00:00") return std::nullopt;
  return f;
}

date::local_seconds local_of(const Fields& f) {
  return date::local_days{date::year{f.year} / f.month / f.day} + hours{f.hour} + minutes{f.minute} +
         seconds{f.second};
}

}  // namespace

std::optional<TimeMs> parse_utc(const std::string& iso) {
  auto f = parse_fields(iso);
  if (!f) return std::nullopt;
  const auto days = date::sys_days{date::year{f->year} / f->month / f->day};
  if (!date::year_month_day{days}.ok()) return std::nullopt;
  const auto t = days + hours{f->hour} + minutes{f->minute} + seconds{f->second};
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

std::optional<TimeMs> parse_danish(const std::string& iso) {
  auto f = parse_fields(iso);
  if (!f) return std::nullopt;
  const auto t = copenhagen()->to_sys(local_of(*f), date::choose::earliest);
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

std::optional<LocalDate> parse_date(const std::string& text) {
  auto f = parse_fields(text + "T00:00");
  if (!f || text.size() != 10) return std::nullopt;
  if (!date::year_month_day{date::year{f->year} / f->month / f->day}.ok()) return std::nullopt;
  return LocalDate{f->year, f->month, f->day};
}

LocalTime danish(TimeMs utc) {
  const date::sys_time<milliseconds> t{milliseconds{utc}};
  const auto local = copenhagen()->to_local(t);
  const auto day = date::floor<date::days>(local);
  const date::year_month_day ymd{day};
  const auto in_day = duration_cast<minutes>(local - day).count();
  return {{int(ymd.year()), int(unsigned(ymd.month())), int(unsigned(ymd.day()))},
          static_cast<int>(in_day / 60),
          static_cast<int>(in_day % 60)};
}

TimeMs danish_midnight(const LocalDate& d) {
  const date::local_seconds local = date::local_days{date::year{d.year} / d.month / d.day};
  const auto t = copenhagen()->to_sys(local, date::choose::earliest);
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

LocalDate next_day(const LocalDate& d, int days) {
  const date::year_month_day ymd{date::sys_days{date::year{d.year} / d.month / d.day} + date::days{days}};
  return {int(ymd.year()), int(unsigned(ymd.month())), int(unsigned(ymd.day()))};
}

std::string to_string(const LocalDate& d) {
  return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day);
}

std::string hhmm(TimeMs utc) {
  const auto t = danish(utc);
  return fmt::format("{:02}:{:02}", t.hour, t.minute);
}

std::string utc_iso(TimeMs utc) {
  const date::sys_time<milliseconds> t{milliseconds{utc}};
  return date::format("%Y-%m-%dT%H:%M:%SZ", date::floor<seconds>(t));
}

}  // namespace hemd::prices
