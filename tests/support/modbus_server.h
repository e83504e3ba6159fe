#pragma once
// The tests' Modbus devices: tests/integration/modbus/modbus_server.py (Debian's pymodbus) laying registers
// out as each vendor documents them, changed while it serves through its stdin.
#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace hemd::test {

using namespace std::chrono_literals;

class ModbusServer {
 public:
  ModbusServer(const TempDir& dir, std::vector<std::string> args, const std::string& tag = "server") {
    std::vector<std::string> argv = {"/usr/bin/python3",
                                     HEMD_SOURCE_DIR "/tests/integration/modbus/modbus_server.py"};
    argv.insert(argv.end(), args.begin(), args.end());
    process_ = std::make_unique<Process>(argv, dir.file(tag + ".out"), dir.file(tag + ".err"));
    const bool ready = process_->wait_for_out("READY", 30s);
    if (!ready) ADD_FAILURE() << "the pymodbus server did not start: " << process_->err();
    std::smatch m;
    const std::string out = process_->out();
    if (std::regex_search(out, m, std::regex("READY (\\d+)"))) port_ = std::stoi(m[1]);
    if (port_ > 0 && !wait_for_port(port_))
      ADD_FAILURE() << "the pymodbus server does not listen on " << port_;
  }
  int port() const { return port_; }
  std::string out() const { return process_->out(); }
  pid_t pid() const { return process_->pid(); }
  // Changes what the devices hold ("a1=-3000 e_imp=4e9"), and waits until the server did.
  void set(const std::string& values) {
    const std::size_t before = sets();
    process_->send("set " + values);
    if (!Process::wait_until([&] { return sets() > before; }, 10s))
      ADD_FAILURE() << "the server did not set " << values;
  }

 private:
  std::size_t sets() const {
    const std::string out = process_->out();
    std::size_t n = 0;
    for (auto at = out.find("SET "); at != std::string::npos; at = out.find("SET ", at + 1)) ++n;
    return n;
  }
  std::unique_ptr<Process> process_;
  int port_ = 0;
};

}  // namespace hemd::test
