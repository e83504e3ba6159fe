#include "daemon/version.h"

#include <fmt/format.h>

#include "build_info.h"

namespace hemd {

namespace {
// Taken from the compiler, not the build machine, so a cross-built binary names its own architecture.
constexpr const char* architecture() {
#if defined(__x86_64__) && !defined(__ILP32__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__arm__) && defined(__ARM_PCS_VFP)
  return "armhf";
#elif defined(__arm__)
  return "armel";
#elif defined(__i386__)
  return "i386";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  return "unknown architecture";
#endif
}
}  // namespace

std::string version_text() {
  return fmt::format("hemd {} (git {}, {})", build::version, build::revision, architecture());
}

}  // namespace hemd
