#pragma once
// The command line trellis accepts. Parsing only records what was asked;
// load() does the work, so a bad --set is reported with every other config error.
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace trellis::config {

struct CommandLine {
  bool help = false;
  bool version = false;
  bool print_config = false;
  std::optional<std::string> config_file;
  std::vector<std::string> sets;  // "key.path=value", in the order given
};

// Accepts --config FILE, --set KEY=VALUE (repeatable), --print-config, --help
// (-h), --version, and the --option=value spelling of the first two. Unknown
// options, stray arguments and a second --config are errors (code "usage").
Result<CommandLine> parse_command_line(int argc, const char* const* argv);

}  // namespace trellis::config
