// Fuzzes what a client sends to /rd: the first byte picks the Register query
// (0), the Update query (1) or the link-format object list (anything else);
// queries are '&'-separated. Whatever parses must make sense: object links
// are objects or instances whose text reads back as the same path.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/lwm2m/registration.hpp"
#include "invariant.hpp"

using namespace trellis::lwm2m;

namespace {

using trellis::fuzz::require;

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  while (true) {
    const auto amp = text.find('&');
    out.emplace_back(text.substr(0, amp));
    if (amp == std::string_view::npos) return out;
    text.remove_prefix(amp + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] == 0 || data[0] == 1) {
    auto q = data[0] == 0 ? parse_register_query(split(text)) : parse_update_query(split(text));
    if (!q) return 0;
    require(data[0] == 1 || (q->endpoint && !q->endpoint->empty()), "Register without ep");
    if (q->lifetime) require(*q->lifetime >= 0, "negative lifetime");
    return 0;
  }
  auto list = parse_object_list(text);
  if (!list) return 0;
  require(!list->alternate_path.empty() && list->alternate_path.front() == '/',
          "alternate path without '/'");
  for (const auto& link : list->links) {
    require(link.path.depth() <= 2, "object link below an instance");
    auto again = parse_path(link.path.to_string());
    require(again.ok() && *again == link.path, "object link does not read back");
  }
  return 0;
}
