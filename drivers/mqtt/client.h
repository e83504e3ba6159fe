#pragma once
// An MQTT connection that keeps itself up: Paho's async client, a last will (`<prefix>status` = offline,
// retained), `online` on every connect, re-subscription after a reconnect, and reconnects with back-off
// (1 s -> 30 s) from its own thread, so the control loop never waits for a broker.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mqtt {
class async_client;
class callback;
}  // namespace mqtt

namespace hemd::mqtt {

struct ClientOptions {
  std::string host = "localhost";
  int port = 1883;
  std::string client_id = "hemd";
  std::string username;
  std::string password;
  std::string ca_file;  // TLS when set
  std::string cert_file;
  std::string key_file;
  std::string status_topic = "hemd/status";
  std::vector<std::string> subscriptions;  // topic filters, subscribed on every connect
};

struct Message {
  std::string topic;
  std::string payload;    // as it came: any bytes, not necessarily UTF-8
  bool retained = false;  // replayed by the broker from its store (it comes back at every connect)
};

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();  // publishes offline and disconnects
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Called from the client's threads: after each (re)connect, and for each message that arrives.
  void on_connected(std::function<void()> f) { connected_handler_ = std::move(f); }
  void on_message(std::function<void(const Message&)> f) { message_handler_ = std::move(f); }
  void start();

  // Queues a publication; false (and nothing queued) while disconnected: state is re-published on connect.
  bool publish(const std::string& topic, const std::string& payload, bool retained);
  bool connected() const { return connected_; }
  std::string last_error() const;

 private:
  void run();
  bool connect_once();

  ClientOptions options_;
  // Paho keeps a plain pointer to the callback and calls it until the client is gone: it is declared first,
  // so it outlives the client.
  std::unique_ptr<::mqtt::callback> callback_;
  std::unique_ptr<::mqtt::async_client> client_;
  std::function<void()> connected_handler_;
  std::function<void(const Message&)> message_handler_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::string last_error_;
  std::thread thread_;
};

}  // namespace hemd::mqtt
