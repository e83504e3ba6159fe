#pragma once
// systemd's notify protocol (Type=notify): READY, STATUS, WATCHDOG, STOPPING. Does nothing outside systemd.
#include <chrono>
#include <string>

namespace hemd::notify {

void ready();
void status(const std::string& text);
void watchdog();
void stopping();
void reloading();
// The watchdog interval systemd asked for, or zero when there is none.
std::chrono::microseconds watchdog_interval();

}  // namespace hemd::notify
