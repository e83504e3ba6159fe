// Prints docs/configuration.md (the target configuration_md writes it into the source tree).
#include <iostream>

#include "config/config.h"

int main() {
  std::cout << hemd::config::reference_markdown();
  return 0;
}
