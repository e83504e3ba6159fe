#pragma once
// The MQTT side of Home Assistant for the tests: a real mosquitto (Broker) and a client that sees every
// message and publishes commands (Listener).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mqtt/async_client.h>
#include <pwd.h>
#include <signal.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.h"

namespace hemd::test {

using namespace std::chrono_literals;

class Broker {
 public:
  Broker(const TempDir& dir, int port, const std::string& extra = "", int plain_port = 0)
      : dir_(dir), port_(port), plain_port_(plain_port) {
    // As root mosquitto would drop to its own user, who cannot read the test's private temp directory.
    const passwd* me = getpwuid(getuid());
    std::string conf =
        fmt::format("persistence false\nlog_dest stderr\nuser {}\n", me ? me->pw_name : "root");
    conf += fmt::format("listener {} 127.0.0.1\n", port);
    conf += extra;
    if (plain_port) conf += fmt::format("listener {} 127.0.0.1\n", plain_port);
    if (extra.find("password_file") == std::string::npos) conf += "allow_anonymous true\n";
    config_ = dir.write(fmt::format("mosquitto-{}.conf", port), conf);
    start();
  }
  void start() {
    process_ = std::make_unique<Process>(std::vector<std::string>{"/usr/sbin/mosquitto", "-c", config_},
                                         dir_.file("mosquitto.out"), dir_.file("mosquitto.err"));
    // Every listener: mosquitto opens them one after the other.
    if (!wait_for_port(port_) || (plain_port_ && !wait_for_port(plain_port_)))
      ADD_FAILURE() << "mosquitto did not start: " << process_->err();
  }
  void kill() {
    ::kill(process_->pid(), SIGKILL);
    process_->wait_exit();
  }
  int port() const { return port_; }

 private:
  const TempDir& dir_;
  int port_, plain_port_;
  std::string config_;
  std::unique_ptr<Process> process_;
};

// Home Assistant's side: sees every message, publishes commands.
class Listener {
 public:
  explicit Listener(int port, const std::string& user = "", const std::string& password = "")
      : client_(fmt::format("tcp://127.0.0.1:{}", port), fmt::format("test-{}-{}", getpid(), counter()++)) {
    client_.start_consuming();
    auto opts = mqtt::connect_options_builder().clean_session(true);
    if (!user.empty()) opts.user_name(user).password(password);
    client_.connect(opts.finalize())->wait();
    client_.subscribe("#", 1)->wait();
    thread_ = std::thread([this] {
      while (!stop_) {
        mqtt::const_message_ptr m;
        if (!client_.try_consume_message_for(&m, 100ms) || !m) continue;
        std::lock_guard<std::mutex> lock(mutex_);
        latest_[m->get_topic()] = m->to_string();
        log_.push_back(m->get_topic() + " " + m->to_string());
      }
    });
  }
  ~Listener() {
    stop_ = true;
    thread_.join();
    try {
      client_.disconnect()->wait();
    } catch (...) {
    }
  }
  std::optional<std::string> latest(const std::string& topic) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = latest_.find(topic);
    if (it == latest_.end()) return std::nullopt;
    return it->second;
  }
  bool wait(const std::string& topic, const std::function<bool(const std::string&)>& ok,
            std::chrono::seconds deadline = 30s) {
    return Process::wait_until(
        [&] {
          auto v = latest(topic);
          return v && ok(*v);
        },
        deadline);
  }
  bool wait_json(const std::string& topic, const std::function<bool(const nlohmann::json&)>& ok,
                 std::chrono::seconds deadline = 30s) {
    return wait(
        topic,
        [&](const std::string& v) {
          auto j = nlohmann::json::parse(v, nullptr, false);
          return !j.is_discarded() && ok(j);
        },
        deadline);
  }
  void forget(const std::string& topic) {
    std::lock_guard<std::mutex> lock(mutex_);
    latest_.erase(topic);
  }
  void publish(const std::string& topic, const std::string& payload, bool retained = false) {
    client_.publish(topic, payload.data(), payload.size(), 1, retained)->wait();
  }
  // Every payload published on `topic` since the listener started, in order.
  std::vector<std::string> history(const std::string& topic) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> out;
    for (const auto& l : log_)
      if (l.compare(0, topic.size() + 1, topic + " ") == 0) out.push_back(l.substr(topic.size() + 1));
    return out;
  }
  std::string log() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string out;
    for (const auto& l : log_) out += l.substr(0, 200) + "\n";
    return out;
  }

 private:
  static std::atomic<int>& counter() {
    static std::atomic<int> c{0};
    return c;
  }
  mqtt::async_client client_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::map<std::string, std::string> latest_;
  std::vector<std::string> log_;
  std::thread thread_;
};

}  // namespace hemd::test
