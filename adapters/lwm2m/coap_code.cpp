#include "adapters/lwm2m/coap_code.hpp"

#include <cstdio>

namespace trellis::lwm2m {

std::string code_text(uint8_t code) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%d.%02d", code >> 5, code & 0x1F);
  return buf;
}

std::string_view code_name(uint8_t code) {
  switch (code) {
    case coap_code(2, 1):
      return "created";
    case coap_code(2, 2):
      return "deleted";
    case coap_code(2, 3):
      return "valid";
    case coap_code(2, 4):
      return "changed";
    case coap_code(2, 5):
      return "content";
    case coap_code(2, 31):
      return "continue";
    case coap_code(4, 0):
      return "bad_request";
    case coap_code(4, 1):
      return "unauthorized";
    case coap_code(4, 2):
      return "bad_option";
    case coap_code(4, 3):
      return "forbidden";
    case coap_code(4, 4):
      return "not_found";
    case coap_code(4, 5):
      return "method_not_allowed";
    case coap_code(4, 6):
      return "not_acceptable";
    case coap_code(4, 8):
      return "request_entity_incomplete";
    case coap_code(4, 12):
      return "precondition_failed";
    case coap_code(4, 13):
      return "request_entity_too_large";
    case coap_code(4, 15):
      return "unsupported_content_format";
    case coap_code(5, 0):
      return "internal_server_error";
    case coap_code(5, 1):
      return "not_implemented";
    case coap_code(5, 2):
      return "bad_gateway";
    case coap_code(5, 3):
      return "service_unavailable";
    case coap_code(5, 4):
      return "gateway_timeout";
    case coap_code(5, 5):
      return "proxying_not_supported";
    default:
      return "unknown";
  }
}

}  // namespace trellis::lwm2m
