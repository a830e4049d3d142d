#include "adapters/lwm2m/content/link_format.hpp"

namespace trellis::lwm2m {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// RFC 6690, 2: ptokenchar.
bool is_ptoken_char(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'()*+-./:<=>?@[]^_`{|}~").find(c) != std::string_view::npos;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Result<std::vector<Link>> run() {
    std::vector<Link> links;
    skip_space();
    if (at_end()) return links;
    while (true) {
      auto link = one_link();
      if (!link) return link.error();
      links.push_back(std::move(*link));
      skip_space();
      if (at_end()) return links;
      if (s_[pos_] != ',') {
        return make_error("link_unexpected_char",
                          "unexpected '" + std::string(1, s_[pos_]) + "' after a link");
      }
      ++pos_;
      skip_space();
    }
  }

 private:
  bool at_end() const { return pos_ >= s_.size(); }
  void skip_space() {
    while (!at_end() && is_space(s_[pos_])) ++pos_;
  }

  Result<Link> one_link() {
    if (at_end() || s_[pos_] != '<') return make_error("link_expected_uri", "link without '<'");
    const auto close = s_.find('>', pos_ + 1);
    if (close == std::string_view::npos) {
      return make_error("link_unterminated_uri", "link URI without '>'");
    }
    Link link;
    link.uri = std::string(s_.substr(pos_ + 1, close - pos_ - 1));
    pos_ = close + 1;
    skip_space();
    while (!at_end() && s_[pos_] == ';') {
      ++pos_;
      skip_space();
      auto param = one_param();
      if (!param) return param.error();
      link.params.push_back(std::move(*param));
      skip_space();
    }
    return link;
  }

  Result<std::pair<std::string, std::string>> one_param() {
    const std::size_t start = pos_;
    while (!at_end() && std::string_view("=;,\"<>").find(s_[pos_]) == std::string_view::npos &&
           !is_space(s_[pos_])) {
      ++pos_;
    }
    if (pos_ == start) return make_error("link_bad_param", "link parameter without a name");
    std::pair<std::string, std::string> param{std::string(s_.substr(start, pos_ - start)), ""};
    skip_space();
    if (at_end() || s_[pos_] != '=') return param;
    ++pos_;
    skip_space();
    if (!at_end() && s_[pos_] == '"') {
      ++pos_;
      while (true) {
        if (at_end()) return make_error("link_unterminated_quote", "quoted value without '\"'");
        const char c = s_[pos_++];
        if (c == '"') break;
        if (c == '\\') {  // quoted-pair
          if (at_end()) return make_error("link_unterminated_quote", "quoted value ends in '\\'");
          param.second += s_[pos_++];
        } else {
          param.second += c;
        }
      }
      return param;
    }
    const std::size_t value_start = pos_;
    while (!at_end() && s_[pos_] != ',' && s_[pos_] != ';' && s_[pos_] != '"' &&
           !is_space(s_[pos_])) {
      ++pos_;
    }
    param.second = std::string(s_.substr(value_start, pos_ - value_start));
    return param;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

bool needs_quotes(const std::string& name, const std::string& value) {
  if (name == "rt" || name == "if" || name == "title" || name == "anchor") return true;
  for (const char c : value) {
    if (!is_ptoken_char(c)) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string_view> Link::param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

Result<std::vector<Link>> parse_link_format(std::string_view text) {
  return Parser(text).run();
}

std::string format_link_format(const std::vector<Link>& links) {
  std::string out;
  for (const auto& link : links) {
    if (!out.empty()) out += ',';
    out += '<' + link.uri + '>';
    for (const auto& [name, value] : link.params) {
      out += ';' + name;
      if (value.empty()) continue;
      out += '=';
      if (!needs_quotes(name, value)) {
        out += value;
        continue;
      }
      out += '"';
      for (const char c : value) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    }
  }
  return out;
}

}  // namespace trellis::lwm2m
