// Figures, not a test: N charge points (ocpp-rpc clients in a separate Node process) each send MeterValues
// every second to a central system, and every round trip is timed. The same load runs against the real
// hemd binary and against an ocpp-rpc server (Node, strict mode like hemd) in the same run.
// Goal from issue 4: 500 charge points, p99 <= 20 ms, less CPU than the Node server.
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench/support/proc_sample.h"
#include "tests/support/process.h"

namespace {

using hemd::bench::sample;

using hemd::test::free_port;
using hemd::test::wait_for_port;

pid_t spawn(const std::vector<std::string>& argv, const std::string& out) {
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid == 0) {
    freopen(out.c_str(), "w", stdout);
    freopen("/dev/null", "w", stderr);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

struct Server {
  pid_t pid = -1;
  int port = 0;
};

Server start_hemd(const std::string& dir, int n) {
  Server s;
  s.port = free_port();
  std::ofstream cfg(dir + "/hemd.yaml");
  cfg << "site: {name: bench, main_fuse_a: 250, safe_current_a: 0}\nchargers:\n";
  for (int i = 0; i < n; ++i) cfg << "  - {id: cp" << i << ", mode: off}\n";
  cfg << "ocpp: {listen_address: 127.0.0.1, port: " << s.port << "}\nprices: {enabled: false}\n"
      << "storage: {path: " << dir << "/hemd.db}\nlog_level: warning\n";
  cfg.close();
  s.pid = spawn({HEMD_BINARY, "--config", dir + "/hemd.yaml"}, "/dev/null");
  wait_for_port(s.port, std::chrono::seconds(10));
  return s;
}

Server start_node(const std::string& dir) {
  Server s;
  const std::string out = dir + "/node.out";
  s.pid = spawn({"/usr/bin/node", std::string(BENCH_DIR) + "/node_server.js"}, out);
  for (int i = 0; i < 100 && s.port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::ifstream in(out);
    std::string word;
    if (in >> word >> s.port && word != "READY") s.port = 0;
  }
  return s;
}

void measure(const char* name, const Server& server, int n, int seconds) {
  if (server.port == 0 || !wait_for_port(server.port, std::chrono::seconds(1))) {
    fmt::print("{:>4}  {:<22} did not start\n", n, name);
    return;
  }
  const std::string cmd = fmt::format("/usr/bin/node {}/load.js ws://127.0.0.1:{}/ocpp {} {}", BENCH_DIR,
                                      server.port, n, seconds);
  FILE* load = popen(cmd.c_str(), "r");
  char line[4096];
  hemd::bench::Sample a, b;
  nlohmann::json figures;
  while (load && std::fgets(line, sizeof line, load)) {
    const std::string text = line;
    if (text.rfind("MEASURING", 0) == 0) {
      a = sample(server.pid);
    } else if (text[0] == '{') {
      b = sample(server.pid);
      figures = nlohmann::json::parse(text, nullptr, false);
    }
  }
  if (load) pclose(load);
  if (!figures.is_object() || figures.contains("error")) {
    fmt::print("{:>4}  {:<22} load failed: {}\n", n, name, figures.dump());
    return;
  }
  const double cpu = b.cpu_s - a.cpu_s;
  const double answered = figures.value("answered", 0.0);
  fmt::print(
      "{:>4}  {:<22} {:>8.0f} {:>6} {:>7.2f} {:>7.2f} {:>7.1f}   {:>7.2f} %   {:>6.0f} µs   {:>6.1f} MB  "
      "{:>5.1f} MB\n",
      n, name, answered, figures.value("failed", 0), figures.value("p50_ms", 0.0),
      figures.value("p99_ms", 0.0), figures.value("max_ms", 0.0), 100 * cpu / seconds,
      answered > 0 ? 1e6 * cpu / answered : 0.0, b.rss_kb / 1024, b.private_kb / 1024);
  std::fflush(stdout);
}

void stop(const Server& s) {
  if (s.pid <= 0) return;
  kill(s.pid, SIGTERM);
  waitpid(s.pid, nullptr, 0);
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 20;
  std::vector<int> sizes = {10, 100, 500};
  if (argc > 2) sizes = {std::atoi(argv[2])};
  fmt::print(
      "OCPP 1.6J central system under load: N charge points, MeterValues every second each, {} s timed\n"
      "(goal: 500 charge points, p99 <= 20 ms, less CPU than the Node server)\n"
      "   N  server                 answered failed  p50 ms  p99 ms  max ms   CPU of a core  CPU per msg  "
      "RSS   "
      "     private\n",
      seconds);
  for (int n : sizes) {
    char tmpl[] = "/tmp/hemd-bench-ocpp-XXXXXX";
    const std::string dir = mkdtemp(tmpl);
    const Server hemd = start_hemd(dir, n);
    measure("hemd (C++)", hemd, n, seconds);
    stop(hemd);
    const Server node = start_node(dir);
    measure("ocpp-rpc server (Node)", node, n, seconds);
    stop(node);
    std::system(("rm -rf " + dir).c_str());
  }
  return 0;
}
