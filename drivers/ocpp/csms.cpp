// The listeners: websocketpp servers, plain or TLS, that carry the central system's messages.
#include "drivers/ocpp/csms.h"

#include <fmt/format.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <websocketpp/base64/base64.hpp>

#include <type_traits>
#include <websocketpp/config/asio.hpp>
#include <websocketpp/server.hpp>

#include "drivers/log/log.h"
#include "drivers/ocpp/central.h"

namespace hemd::ocpp {

namespace {

using Hdl = websocketpp::connection_hdl;

using SslContext = websocketpp::lib::asio::ssl::context;

// TLS 1.2 and later with forward-secret AEAD ciphers only; with a client CA, chargers must show a
// certificate it signed (security profile 3).
std::shared_ptr<SslContext> tls_context(const CsmsOptions::Tls& t) {
  auto ctx = std::make_shared<SslContext>(SslContext::tls_server);
  ctx->set_options(SslContext::default_workarounds | SslContext::no_sslv2 | SslContext::no_sslv3 |
                   SslContext::no_tlsv1 | SslContext::no_tlsv1_1 | SslContext::single_dh_use);
  SSL_CTX_set_cipher_list(ctx->native_handle(),
                          "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL:!MD5:!DSS:!RC4:!3DES");
  auto load = [](const char* key, const std::string& file, auto&& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("ocpp.tls.{} {}: {}", key, file, e.what()));
    }
  };
  load("certificate", t.certificate, [&] { ctx->use_certificate_chain_file(t.certificate); });
  load("private_key", t.private_key, [&] { ctx->use_private_key_file(t.private_key, SslContext::pem); });
  if (!t.client_ca.empty()) {
    ctx->set_verify_mode(websocketpp::lib::asio::ssl::verify_peer |
                         websocketpp::lib::asio::ssl::verify_fail_if_no_peer_cert);
    load("client_ca", t.client_ca, [&] { ctx->load_verify_file(t.client_ca); });
  }
  return ctx;
}

template <class Config>
struct Endpoint final : Central {
  using Server = websocketpp::server<Config>;
  static constexpr bool tls = std::is_same_v<Config, websocketpp::config::asio_tls>;

  Server server;
  std::thread thread;
  typename Server::timer_ptr ticker;
  std::map<Hdl, std::string, std::owner_less<Hdl>> ids;
  std::map<std::string, Hdl> connections;                        // the live connection of each charger
  std::map<Hdl, Version, std::owner_less<Hdl>> versions;         // chosen at the handshake
  std::map<Hdl, std::string, std::owner_less<Hdl>> unsupported;  // offered no subprotocol hemd speaks: why
  int bound_port = 0;

  bool same(Hdl a, Hdl b) const { return !a.owner_before(b) && !b.owner_before(a); }

  void send_text(const std::string& id, const std::string& text) override {
    auto it = connections.find(id);
    if (it == connections.end()) return;
    websocketpp::lib::error_code ec;
    server.send(it->second, text, websocketpp::frame::opcode::text, ec);
    if (ec) log::warning("ocpp: sending failed: {}", ec.message());
  }

  void close(const std::string& id, const std::string& why) override {
    auto it = connections.find(id);
    if (it == connections.end()) return;
    websocketpp::lib::error_code ec;
    server.close(it->second, websocketpp::close::status::going_away, why, ec);
  }

  void post(std::function<void()> fn) override {
    websocketpp::lib::asio::post(server.get_io_service(),
                                 [this, fn = std::move(fn)] { guarded("a wake-up", fn); });
  }

  void after_ms(int ms, std::function<void()> fn) override {
    server.set_timer(ms, [this, fn = std::move(fn)](const websocketpp::lib::error_code& ec) {
      if (!ec) guarded("a timer", fn);
    });
  }

  // The boundary: whatever a charger's message (or anything it set going) throws is logged and dropped
  // here; it never unwinds into the server's loop, which would end hemd and leave every charger unmanaged.
  template <class Fn>
  void guarded(const std::string& what, Fn&& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      log::error("ocpp: {}: dropped: {} (a bug in hemd)", what, log::quoted(e.what()));
    } catch (...) {
      log::error("ocpp: {}: dropped: an unknown exception (a bug in hemd)", what);
    }
  }

  void on_tick() {
    guarded("the tick", [this] { tick(); });
    ticker = server.set_timer(1000, [this](const websocketpp::lib::error_code& ec) {
      if (!ec) on_tick();
    });
  }

  // The subprotocol the charger lists first among those hemd speaks (and its config allows); 1.6 first for a
  // charger whose quirk profile says its 2.0.1 smart charging does not work.
  static std::optional<Version> chosen(const std::vector<std::string>& requested,
                                       const ChargerSetup& charger) {
    const std::string& allowed = charger.ocpp_version;
    auto offered = [&](Version v) {
      return std::find(requested.begin(), requested.end(), subprotocol(v)) != requested.end() &&
             (allowed == "auto" || std::string(subprotocol(v)) == "ocpp" + allowed);
    };
    if (charger.profile && !charger.profile->ocpp201_smart_charging && offered(Version::v16))
      return Version::v16;
    for (const auto& p : requested)
      for (Version v : {Version::v201, Version::v16})
        if (p == subprotocol(v) && offered(v)) return v;
    return std::nullopt;
  }

  bool validate(Hdl h) {
    auto con = server.get_con_from_hdl(h);
    std::string resource = con->get_resource();
    resource = resource.substr(0, resource.find('?'));
    const std::string prefix = options_.path + "/";
    const std::string id = resource.rfind(prefix, 0) == 0 ? resource.substr(prefix.size()) : "";
    auto refuse = [&](websocketpp::http::status_code::value code, const std::string& why) {
      log::warning("ocpp: connection from {} to {} refused: {}", con->get_remote_endpoint(),
                   log::quoted(resource), why);
      con->set_status(code);
      con->set_body(why + "\n");
      return false;
    };
    if (id.empty() || !knows(id))
      return refuse(websocketpp::http::status_code::not_found,
                    "unknown charge point " + log::quoted(id, 40) + ": add it to chargers in hemd.yaml");
    if constexpr (tls) {
      // Security profile 3: the certificate names the charge point it was issued to.
      if (!options_.tls->client_ca.empty()) {
        std::string cn;
        if (X509* cert = SSL_get1_peer_certificate(con->get_socket().native_handle())) {
          char buf[256] = {};
          if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf) > 0)
            cn = buf;
          X509_free(cert);
        }
        if (cn != id)
          return refuse(websocketpp::http::status_code::forbidden,
                        "the client certificate is for '" + cn + "', not for charge point " + id);
      }
    }
    const std::string& password = setup(id).password;
    if (!password.empty()) {
      const std::string auth = con->get_request_header("Authorization");
      const std::string expected = websocketpp::base64_encode(id + ":" + password);
      if (auth.rfind("Basic ", 0) != 0) {
        con->append_header("WWW-Authenticate", "Basic realm=\"hemd\"");
        return refuse(websocketpp::http::status_code::unauthorized,
                      "charge point " + id + " sent no password");
      }
      if (auth.substr(6) != expected) {
        con->append_header("WWW-Authenticate", "Basic realm=\"hemd\"");
        return refuse(websocketpp::http::status_code::unauthorized, "wrong password for charge point " + id);
      }
    }
    // OCPP-J 1.6 § 3.2 and 2.0.1 Part 4 § 3.2: a server that agrees to none of the subprotocols offered MUST
    // complete the handshake without a Sec-WebSocket-Protocol header and close the connection at once (a
    // client that offered some then fails the connection itself).
    const std::string& allowed = setup(id).ocpp_version;
    const auto version = chosen(con->get_requested_subprotocols(), setup(id));
    if (!version) {
      const std::string why =
          allowed == "auto"
              ? "the WebSocket subprotocol must be ocpp1.6 or ocpp2.0.1 (Sec-WebSocket-Protocol)"
              : "charge point " + id + " is set to OCPP " + allowed +
                    " (chargers[].ocpp_version) but did not offer ocpp" + allowed;
      log::warning("ocpp: connection from {} as {} closed: {}", con->get_remote_endpoint(), id, why);
      unsupported[h] = why;
      return true;
    }
    con->select_subprotocol(subprotocol(*version));
    ids[h] = id;
    versions[h] = *version;
    return true;
  }

  void on_open(Hdl h) {
    if (auto u = unsupported.find(h); u != unsupported.end()) {
      websocketpp::lib::error_code ec;
      server.close(h, websocketpp::close::status::protocol_error, u->second.substr(0, 120), ec);
      unsupported.erase(u);
      return;
    }
    const std::string id = ids.at(h);
    if (auto old = connections.find(id); old != connections.end()) {
      // The charger reconnected before hemd noticed the old connection die: the new one wins.
      websocketpp::lib::error_code ec;
      server.close(old->second, websocketpp::close::status::going_away, "replaced", ec);
    }
    connections[id] = h;
    const Version version = versions.at(h);
    versions.erase(h);
    opened(id, version);
  }

  void on_close(Hdl h) {
    versions.erase(h);
    unsupported.erase(h);
    auto it = ids.find(h);
    if (it == ids.end()) return;
    const std::string id = it->second;
    ids.erase(it);
    auto live = connections.find(id);
    if (live == connections.end() || !same(live->second, h)) return;  // an older, replaced connection
    connections.erase(live);
    closed(id);
  }

  void on_message(Hdl h, typename Server::message_ptr msg) {
    auto it = ids.find(h);
    if (it == ids.end()) return;
    const std::string& id = it->second;
    guarded(id, [&] { received(id, msg->get_payload()); });
  }

  Endpoint(CsmsOptions o, std::vector<ChargerSetup> chargers, config::ProfileSet p, Csms::SessionSink sink,
           Csms::WallClock clock, Csms::LearntSink learnt)
      : Central(std::move(o), std::move(chargers), std::move(p), std::move(sink), std::move(clock),
                std::move(learnt)) {
    server.clear_access_channels(websocketpp::log::alevel::all);
    server.clear_error_channels(websocketpp::log::elevel::all);
    server.init_asio();
    server.set_reuse_addr(true);
    server.set_max_message_size(options_.max_frame_bytes);
    server.set_validate_handler([this](Hdl h) {
      bool ok = false;
      guarded("a handshake", [&] { ok = validate(h); });
      return ok;
    });
    server.set_open_handler([this](Hdl h) { guarded("a new connection", [&] { on_open(h); }); });
    server.set_close_handler([this](Hdl h) { guarded("a closed connection", [&] { on_close(h); }); });
    server.set_fail_handler([this](Hdl h) {
      ids.erase(h);
      versions.erase(h);
      unsupported.erase(h);
    });
    server.set_message_handler([this](Hdl h, typename Server::message_ptr m) { on_message(h, m); });
    server.set_pong_handler([this](Hdl h, std::string) {
      auto it = ids.find(h);
      if (it == ids.end()) return true;
      std::lock_guard lock(mutex_);
      view(it->second).last_seen_ms = now();
      return true;
    });
    if constexpr (tls) {
      auto context = tls_context(*options_.tls);
      server.set_tls_init_handler([context](Hdl) { return context; });
    }
  }

  ~Endpoint() override {
    leave_cuts();  // no other listener may post here once the server is gone
    stop();
  }

  void start() override {
    websocketpp::lib::asio::error_code asio_ec;
    const auto address = websocketpp::lib::asio::ip::make_address(options_.address, asio_ec);
    if (asio_ec)
      throw std::runtime_error("ocpp.listen_address " + options_.address + ": " + asio_ec.message());
    websocketpp::lib::error_code ec;
    server.listen(
        websocketpp::lib::asio::ip::tcp::endpoint(address, static_cast<unsigned short>(options_.port)), ec);
    if (ec)
      throw std::runtime_error(
          fmt::format("cannot listen on {}:{}: {}", options_.address, options_.port, ec.message()));
    bound_port = server.get_local_endpoint(asio_ec).port();
    server.start_accept();
    on_tick();
    thread = std::thread([this] { server.run(); });
    log::notice(
        "ocpp: listening on {}://{}:{}{}/<charge point id> for OCPP 1.6J and 2.0.1{}", tls ? "wss" : "ws",
        options_.address, bound_port, options_.path,
        tls ? (options_.tls->client_ca.empty() ? " (TLS, security profile 2)"
                                               : " (TLS with client certificates, security profile 3)")
            : "");
  }

  int port() const override { return bound_port; }

  void set_limit(const std::string& id, double amps, int phases) override {
    if (!want(id, amps, phases)) return;
    // Handled on the server's thread at once, so a cut reaches the charger within the same cycle.
    websocketpp::lib::asio::post(server.get_io_service(), [this, id] { guarded(id, [&] { update(id); }); });
  }

  bool act(const std::string& id, Csms::Action action) override {
    if (!knows(id)) return false;
    websocketpp::lib::asio::post(server.get_io_service(),
                                 [this, id, action] { guarded(id, [&] { do_act(id, action); }); });
    return true;
  }

  void stop() override {
    if (!thread.joinable()) return;
    websocketpp::lib::asio::post(server.get_io_service(), [this] {
      websocketpp::lib::error_code ec;
      server.stop_listening(ec);
      if (ticker) ticker->cancel();
      for (auto& [id, h] : connections)
        server.close(h, websocketpp::close::status::going_away, "hemd stopping", ec);
    });
    // Closing handshakes get a moment; then the loop is stopped whatever remains.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    server.stop();
    thread.join();
  }
};

}  // namespace

Csms::Csms(CsmsOptions options, std::vector<ChargerSetup> chargers, config::ProfileSet profiles,
           SessionSink sink, WallClock clock, LearntSink learnt) {
  if (options.tls)
    impl_ = std::make_unique<Endpoint<websocketpp::config::asio_tls>>(std::move(options), std::move(chargers),
                                                                      std::move(profiles), std::move(sink),
                                                                      std::move(clock), std::move(learnt));
  else
    impl_ = std::make_unique<Endpoint<websocketpp::config::asio>>(std::move(options), std::move(chargers),
                                                                  std::move(profiles), std::move(sink),
                                                                  std::move(clock), std::move(learnt));
}

Csms::~Csms() = default;

void Csms::start() {
  impl_->start();
}

int Csms::port() const {
  return impl_->port();
}

std::map<std::string, ChargerView> Csms::views() const {
  return impl_->views();
}

void Csms::set_limit(const std::string& id, double amps, int phases) {
  impl_->set_limit(id, amps, phases);
}

bool Csms::act(const std::string& id, Action action) {
  return impl_->act(id, action);
}

void Csms::stop() {
  impl_->stop();
}

}  // namespace hemd::ocpp
