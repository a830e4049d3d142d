// Feeds arbitrary text to every config key as --set or the environment gives
// it, and as JSON as the config file gives it. Nothing may throw; a refusal
// names what the key expects; what the text form accepts, the file form
// accepts too, so a value means the same wherever it is set.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "config/schema.hpp"
#include "config/value.hpp"
#include "invariant.hpp"

using namespace trellis::config;
using trellis::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One byte picks the key, so each run stays short and every key is reached.
  if (size == 0) return 0;
  const auto& keys = schema();
  const KeySpec& spec = keys[data[0] % keys.size()];
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

  auto parsed = parse_text(spec, text);
  if (parsed.problem) {
    require(!parsed.problem->expected.empty(), "a refused text value names no expectation");
  } else {
    nlohmann::json again = parsed.value;
    require(!check_json(spec, again), "a value accepted as text is refused as JSON");
    (void)show(parsed.value);
  }

  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false,
                                   /*ignore_comments=*/true);
  if (!doc.is_discarded()) {
    if (auto problem = check_json(spec, doc)) {
      require(!problem->expected.empty(), "a refused JSON value names no expectation");
      if (problem->got) (void)show(*problem->got);
    }
  }
  return 0;
}
