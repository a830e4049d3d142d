#pragma once
// Text generated from the schema: --help, the README's key table, the example
// config file and the version line. Generated, so it cannot drift from the code.
#include <string>
#include <string_view>

#include "config/schema.hpp"

namespace trellis::config {

// The default as docs show it: JSON ("./data", 1883, []) or, for a derived
// default, how it is worked out.
std::string default_text(const KeySpec& spec);

// What values are allowed, in a few words ("0..65535", "trace, debug, ..."); may be empty.
std::string allowed_text(const KeySpec& spec);

// --help: usage, options, the environment rule and every key.
std::string help_text(std::string_view program);

// A markdown table with one row per key: key, type, default, allowed, description.
std::string markdown_table();

// config/trellis.jsonc: every key at its default, each with its help as a comment.
std::string example_jsonc();

// "trellis 0.1.0\n", for --version.
std::string version_text();

}  // namespace trellis::config
