#include "config/command_line.hpp"

#include <string_view>

namespace trellis::config {
namespace {

Error usage(std::string message) {
  return make_error("usage", message + " (see --help)");
}

}  // namespace

Result<CommandLine> parse_command_line(int argc, const char* const* argv) {
  CommandLine cl;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    // "--config=FILE" and "--config FILE" both work; the value is split off here.
    std::optional<std::string_view> inline_value;
    if (arg.starts_with("--")) {
      if (auto eq = arg.find('='); eq != std::string_view::npos) {
        inline_value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
    }
    auto take_value = [&]() -> std::optional<std::string> {
      if (inline_value) return std::string(*inline_value);
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    bool is_flag = arg == "--help" || arg == "-h" || arg == "--version" || arg == "--print-config";

    if (arg == "--config") {
      auto v = take_value();
      if (!v) return usage("option --config needs a file name");
      if (cl.config_file) return usage("option --config given twice");
      cl.config_file = std::move(*v);
    } else if (arg == "--set") {
      auto v = take_value();
      if (!v) return usage("option --set needs key=value");
      cl.sets.push_back(std::move(*v));
    } else if (is_flag && inline_value) {
      return usage("option " + std::string(arg) + " takes no value");
    } else if (arg == "--help" || arg == "-h") {
      cl.help = true;
    } else if (arg == "--version") {
      cl.version = true;
    } else if (arg == "--print-config") {
      cl.print_config = true;
    } else if (arg.starts_with("-")) {
      return usage("unknown option " + std::string(arg));
    } else {
      return usage("unexpected argument \"" + std::string(arg) + "\"");
    }
  }
  return cl;
}

}  // namespace trellis::config
