#include "objects/operations.hpp"

namespace trellis::objects {

std::optional<Operations> parse_operations(std::string_view text) {
  if (text.empty()) return kNoOperations;
  if (text == "R") return kRead;
  if (text == "W") return kWrite;
  if (text == "RW") return kReadWrite;
  if (text == "E") return kExecute;
  return std::nullopt;
}

std::string operations_name(Operations ops) {
  std::string name;
  if (ops.read) name += 'R';
  if (ops.write) name += 'W';
  if (ops.execute) name += 'E';
  return name;
}

}  // namespace trellis::objects
