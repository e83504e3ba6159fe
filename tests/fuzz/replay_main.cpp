// Runs every file under the directories given through a fuzz target's LLVMFuzzerTestOneInput, the way
// libFuzzer would, without libFuzzer: the seeds and every crash ever found replay in each test build (g++,
// and under ASan/UBSan). A crash ends the process, and so fails the test.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    if (!fs::is_directory(argv[i])) continue;  // crashes/ may be empty and absent from a clean clone
    for (const auto& e : fs::recursive_directory_iterator(argv[i]))
      if (e.is_regular_file() && e.path().filename() != ".gitkeep") inputs.push_back(e.path());
  }
  std::sort(inputs.begin(), inputs.end());
  for (const auto& p : inputs) {
    std::ifstream in(p, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "no input to replay: a fuzz target needs seeds in its corpus/\n");
    return 1;
  }
  std::printf("%zu passed, 0 failed\n", inputs.size());
  return 0;
}
