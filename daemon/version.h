#pragma once
#include <string>

namespace hemd {

// What `hemd --version` prints: "hemd 0.1.0 (git 61b68eed715f, arm64)" — the version, the git revision the
// binary was built from ("unknown" from a tarball) and the Debian name of the architecture it runs on.
std::string version_text();

}  // namespace hemd
