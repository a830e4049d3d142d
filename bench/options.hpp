#pragma once
// Command lines of the benchmark programs: "--key=value" or "--key value".
// A program's options struct reads each field from Args where it declares
// it, so key, type and default stand on one line:
//
//   struct Options {
//     Args args;
//     uint16_t port = args.number<uint16_t>("port", 1883);
//   };
//   Options o{Args(argc, argv, usage)};
//   o.args.finish();
//
// A wrong argument ends the program with its usage and exit status 2 before
// any connection is opened, so a driver script's typo never yields a result.
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <vector>

namespace trellis::bench {

// Called as usage("why"): prints "<program>: why" and the usage text, exits with 2.
struct Usage {
  const char* program;
  const char* text;           // whole lines, each ending in '\n'
  bool answers_help = false;  // "-h" and "--help" print the usage too

  [[noreturn]] void operator()(const std::string& why) const {
    std::fprintf(stderr, "%s: %s\n%s", program, why.c_str(), text);
    std::exit(2);
  }
};

class Args {
 public:
  Args(int argc, char** argv, const Usage& usage) : usage_(usage) {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (usage.answers_help && (arg == "-h" || arg == "--help")) {
        stop("help");
        return;
      }
      if (arg.rfind("--", 0) != 0) {
        stop("unexpected argument " + arg);
        return;
      }
      std::string key = arg.substr(2);
      std::string value;
      if (auto eq = key.find('='); eq != std::string::npos) {
        value = key.substr(eq + 1);
        key.resize(eq);
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        stop("missing value for " + arg);
        return;
      }
      entries_.push_back({std::move(key), std::move(value)});
    }
  }

  std::string text(const char* key, std::string fallback = {}) {
    for (auto& e : entries_) {
      if (e.key != key) continue;
      e.known = true;
      fallback = e.value;
    }
    return fallback;
  }

  // Plain and not negative, converted to the field's type as given; the last
  // of repeated keys wins.
  template <typename Number>
  requires std::is_arithmetic_v<Number> Number number(const char* key, Number fallback) {
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      Entry& e = entries_[i];
      if (e.key != key) continue;
      e.known = true;
      char* end = nullptr;
      const double v = std::strtod(e.value.c_str(), &end);
      if (end == e.value.c_str() || *end != '\0' || v < 0) {
        wrong(i, "bad number for --" + e.key);
      } else {
        fallback = static_cast<Number>(v);
      }
    }
    return fallback;
  }

  // After every field has been read: reports the wrong argument that comes
  // first on the command line, as a left-to-right reading would have.
  void finish() {
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (!entries_[i].known) wrong(i, "unknown option --" + entries_[i].key);
    }
    if (!why_.empty()) usage_(why_);
  }

 private:
  struct Entry {
    std::string key, value;
    bool known = false;
  };

  // Nothing after a malformed argument is read, so its error comes after
  // those of every option before it.
  void stop(std::string why) { wrong(entries_.size(), std::move(why)); }

  void wrong(std::size_t at, std::string why) {
    if (!why_.empty() && at >= wrong_at_) return;
    wrong_at_ = at;
    why_ = std::move(why);
  }

  Usage usage_;
  std::vector<Entry> entries_;
  std::size_t wrong_at_ = 0;
  std::string why_;
};

}  // namespace trellis::bench
