#include "drivers/mqtt/client.h"

#include <fmt/format.h>
#include <mqtt/async_client.h>

#include <algorithm>

#include "drivers/log/log.h"

namespace hemd::mqtt {

namespace {

class Callback final : public ::mqtt::callback {
 public:
  Callback(std::function<void(const std::string&)> lost,
           std::function<void(::mqtt::const_message_ptr)> arrived)
      : lost_(std::move(lost)), arrived_(std::move(arrived)) {}
  void connection_lost(const std::string& cause) override { lost_(cause); }
  void message_arrived(::mqtt::const_message_ptr msg) override { arrived_(msg); }

 private:
  std::function<void(const std::string&)> lost_;
  std::function<void(::mqtt::const_message_ptr)> arrived_;
};

// Paho's reason codes in words an installer can act on.
std::string explain(const ::mqtt::exception& e) {
  switch (e.get_return_code()) {
    case 4:
    case 5:
      return fmt::format(
          "the broker refused hemd's login: check mqtt.username and mqtt.password (MQTT return code {})",
          e.get_return_code());
    case 3:
      return "the broker is unavailable (MQTT return code 3)";
    default:
      return e.what();
  }
}

}  // namespace

Client::Client(ClientOptions options) : options_(std::move(options)) {
  const std::string scheme = options_.ca_file.empty() ? "tcp" : "ssl";
  client_ = std::make_unique<::mqtt::async_client>(
      fmt::format("{}://{}:{}", scheme, options_.host, options_.port), options_.client_id);
  callback_ = std::make_unique<Callback>(
      [this](const std::string& cause) {
        connected_ = false;
        log::warning("mqtt: connection to {}:{} lost{}; reconnecting", options_.host, options_.port,
                     cause.empty() ? "" : " (" + cause + ")");
        wake_.notify_all();
      },
      [this](::mqtt::const_message_ptr msg) {
        if (!message_handler_ || stopping_) return;
        // Paho's thread must never see an exception: whatever a message does is caught, logged and dropped.
        try {
          message_handler_({msg->get_topic(), msg->to_string(), msg->is_retained()});
        } catch (const std::exception& e) {
          log::error("mqtt: a message on {} failed: {}; dropped", log::quoted(msg->get_topic()),
                     log::quoted(e.what()));
        }
      });
  client_->set_callback(*callback_);
}

Client::~Client() {
  stopping_ = true;
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (connected_) {
    try {
      client_->publish(options_.status_topic, "offline", 7, 1, true)->wait_for(std::chrono::seconds(2));
      client_->disconnect()->wait_for(std::chrono::seconds(2));
    } catch (const ::mqtt::exception&) {
    }
  }
  client_.reset();  // before callback_, which Paho may still call until then
}

void Client::start() {
  thread_ = std::thread([this] { run(); });
}

std::string Client::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

bool Client::connect_once() {
  auto builder = ::mqtt::connect_options_builder()
                     .clean_session(true)
                     .keep_alive_interval(std::chrono::seconds(30))
                     .connect_timeout(std::chrono::seconds(5))
                     .will(::mqtt::message(options_.status_topic, "offline", 1, true));
  if (!options_.username.empty()) builder.user_name(options_.username).password(options_.password);
  if (!options_.ca_file.empty()) {
    auto ssl = ::mqtt::ssl_options_builder().trust_store(options_.ca_file).enable_server_cert_auth(true);
    if (!options_.cert_file.empty()) ssl.key_store(options_.cert_file).private_key(options_.key_file);
    ssl.error_handler([this](const std::string& msg) {
      std::lock_guard<std::mutex> lock(mutex_);
      last_error_ = "TLS: " + msg;
    });
    builder.ssl(ssl.finalize());
  }
  try {
    client_->connect(builder.finalize())->wait();
    for (const auto& topic : options_.subscriptions) client_->subscribe(topic, 1)->wait();
    client_->publish(options_.status_topic, "online", 6, 1, true);
    return true;
  } catch (const ::mqtt::exception& e) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (last_error_.rfind("TLS: ", 0) != 0 || e.get_return_code() != -1) last_error_ = explain(e);
    return false;
  }
}

void Client::run() {
  auto delay = std::chrono::seconds(1);
  while (!stopping_) {
    if (!connected_) {
      if (connect_once()) {
        connected_ = true;
        delay = std::chrono::seconds(1);
        log::notice("mqtt: connected to {}:{} as {}", options_.host, options_.port, options_.client_id);
        if (connected_handler_) connected_handler_();
      } else {
        log::warning("mqtt: cannot connect to {}:{}: {}; next try in {} s", options_.host, options_.port,
                     last_error(), delay.count());
      }
    }
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait_for(lock, connected_ ? std::chrono::seconds(1) : delay, [this] { return stopping_.load(); });
    if (!connected_) delay = std::min(delay * 2, std::chrono::seconds(30));
  }
}

bool Client::publish(const std::string& topic, const std::string& payload, bool retained) {
  // Paho's own state, not connected_: a message handler may publish while connect_once() is still
  // subscribing (the broker replays retained commands then), before connected_ is set.
  if (!client_->is_connected()) return false;
  try {
    client_->publish(topic, payload.data(), payload.size(), 1, retained);
    return true;
  } catch (const ::mqtt::exception& e) {
    log::debug("mqtt: publish to {} failed: {}", topic, e.what());
    return false;
  }
}

}  // namespace hemd::mqtt
