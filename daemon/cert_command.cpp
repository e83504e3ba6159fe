// A self-signed CA and a server certificate signed by it, for a home install: the charger trusts the CA
// (uploaded in its web UI), hemd serves the server certificate. An existing CA is reused, so re-issuing the
// server certificate (new host name, new IP) does not mean visiting every charger again.
#include "daemon/cert_command.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <grp.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "daemon/commands.h"

namespace hemd {

namespace {

struct CertOptions {
  std::string out_dir = "/etc/hemd/tls";
  std::vector<std::string> hosts;
  std::vector<std::string> ips;
  int days = 3650;
  bool new_ca = false;
};

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what);
}

Key new_key() {
  // P-256: small, fast on a Pi, and accepted by every charger that does TLS 1.2.
  EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!k) fail("cannot generate a key");
  return Key(k, EVP_PKEY_free);
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) fail("cannot build extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

Cert new_cert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key, int days) {
  Cert cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);  // chargers with a slightly slow clock
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("hemd"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509* signer = issuer ? issuer : cert.get();
  add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer) add_ext(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  (void)issuer_key;
  return cert;
}

void sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) <= 0) fail("cannot sign the certificate");
}

// group_readable: the service reads the server key as the account hemd (systemd/hemd.sysusers), so where that
// group exists the key is 0640 root:hemd; the CA key stays the owner's alone.
void write_pem(const std::string& path, const std::function<int(FILE*)>& write, mode_t mode,
               bool group_readable = false) {
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) fail(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
  if (const group* hemd = group_readable ? ::getgrnam("hemd") : nullptr;
      hemd && ::fchown(fileno(f), static_cast<uid_t>(-1), hemd->gr_gid) == 0)
    mode |= S_IRGRP;
  ::fchmod(fileno(f), mode);
  const int ok = write(f);
  if (std::fclose(f) != 0 || ok <= 0) fail("cannot write " + tmp);
  std::filesystem::rename(tmp, path);
}

Key read_key(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) fail("cannot read " + path);
  EVP_PKEY* k = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!k) fail(path + " is not a PEM private key");
  return Key(k, EVP_PKEY_free);
}

Cert read_cert(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) fail("cannot read " + path);
  X509* c = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!c) fail(path + " is not a PEM certificate");
  return Cert(c, X509_free);
}

std::string fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(cert, EVP_sha256(), md, &n);
  std::string out;
  for (unsigned int i = 0; i < n; ++i) out += fmt::format("{}{:02X}", i ? ":" : "", md[i]);
  return out;
}

int run_cert(CertOptions o) {
  namespace fs = std::filesystem;
  if (o.hosts.empty()) {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    o.hosts = {name, std::string(name) + ".local"};
  }
  for (const auto& ip : o.ips) {
    unsigned char buf[16];
    if (inet_pton(AF_INET, ip.c_str(), buf) != 1 && inet_pton(AF_INET6, ip.c_str(), buf) != 1) {
      std::cerr << fmt::format("hemd cert: --ip {}: expected an IPv4 or IPv6 address\n", ip);
      return 1;
    }
  }
  try {
    fs::create_directories(o.out_dir);
    const std::string ca_pem = o.out_dir + "/ca.pem", ca_key = o.out_dir + "/ca.key";
    Key ca_k(nullptr, EVP_PKEY_free);
    Cert ca(nullptr, X509_free);
    const bool reuse = !o.new_ca && fs::exists(ca_pem) && fs::exists(ca_key);
    if (reuse) {
      ca_k = read_key(ca_key);
      ca = read_cert(ca_pem);
      if (X509_check_private_key(ca.get(), ca_k.get()) != 1) fail(ca_key + " does not belong to " + ca_pem);
    } else {
      ca_k = new_key();
      ca = new_cert(ca_k.get(), "hemd home CA", nullptr, nullptr, std::max(o.days, 3650));
      add_ext(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
      add_ext(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
      sign(ca.get(), ca_k.get());
      write_pem(
          ca_key,
          [&](FILE* f) { return PEM_write_PrivateKey(f, ca_k.get(), nullptr, nullptr, 0, nullptr, nullptr); },
          0600);
      write_pem(
          ca_pem, [&](FILE* f) { return PEM_write_X509(f, ca.get()); }, 0644);
    }
    Key key = new_key();
    Cert server = new_cert(key.get(), o.hosts.front(), ca.get(), ca_k.get(), o.days);
    std::string san;
    for (const auto& h : o.hosts) san += (san.empty() ? "" : ",") + std::string("DNS:") + h;
    for (const auto& ip : o.ips) san += (san.empty() ? "" : ",") + std::string("IP:") + ip;
    add_ext(server.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_ext(server.get(), ca.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_ext(server.get(), ca.get(), NID_ext_key_usage, "serverAuth");
    add_ext(server.get(), ca.get(), NID_subject_alt_name, san);
    sign(server.get(), ca_k.get());
    const std::string server_pem = o.out_dir + "/server.pem", server_key = o.out_dir + "/server.key";
    write_pem(
        server_key,
        [&](FILE* f) { return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr); },
        0600, true);
    // The chain: the server certificate, then the CA, as TLS servers send it.
    write_pem(
        server_pem, [&](FILE* f) { return PEM_write_X509(f, server.get()) && PEM_write_X509(f, ca.get()); },
        0644);

    std::cout << fmt::format("{} the CA in {}\n", reuse ? "Reused" : "Created", ca_pem)
              << fmt::format("Issued {} for {} (valid {} days)\n\n", server_pem, san, o.days)
              << "In hemd.yaml:\n  ocpp:\n"
              << fmt::format("    tls_cert_file: {}\n    tls_key_file: {}\n\n", server_pem, server_key)
              << "Upload this CA certificate in each charger's web UI (OCPP / security / CA certificate),\n"
              << fmt::format(
                     "and connect the charger to wss://{}:<port>/ocpp/<id>. SHA-256 fingerprint:\n{}\n\n",
                     o.hosts.front(), fingerprint(ca.get()));
    PEM_write_X509(stdout, ca.get());
    std::fflush(stdout);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "hemd cert: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

void add_cert_command(CLI::App& cli) {
  auto o = std::make_shared<CertOptions>();
  CLI::App* sub =
      cli.add_subcommand("cert", "Create a home CA and a server certificate for OCPP over wss://");
  sub->add_option("--out", o->out_dir, "Folder for ca.pem, ca.key, server.pem, server.key")
      ->capture_default_str();
  sub->add_option("--host", o->hosts,
                  "Host name the chargers use (repeatable; default: this host and <host>.local)");
  sub->add_option("--ip", o->ips, "IP address the chargers use (repeatable)");
  sub->add_option("--days", o->days, "Server certificate validity")
      ->capture_default_str()
      ->check(CLI::Range(1, 3650));
  sub->add_flag("--new-ca", o->new_ca,
                "Make a new CA even if one exists (every charger must be given it again)");
  add_command(sub, [o] { return run_cert(*o); });
}

}  // namespace hemd
