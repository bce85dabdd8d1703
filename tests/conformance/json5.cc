#include "conformance/json5.h"

#include <cctype>
#include <cstdlib>

namespace lepton::testing {

namespace {

class Converter {
 public:
  explicit Converter(std::string_view in) : in_(in) {}

  Result<std::string> run() {
    if (auto s = value(); !s) return s.error();
    if (auto s = skip_space(); !s) return s.error();
    if (pos_ != in_.size()) return error("unexpected text after the value");
    return std::move(out_);
  }

 private:
  Error error(std::string_view what) const {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < pos_ && i < in_.size(); ++i) {
      if (in_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return fail("JSON5 line {} column {}: {}", line, column, what);
  }

  bool at_end() const { return pos_ >= in_.size(); }
  char peek(size_t ahead = 0) const { return pos_ + ahead < in_.size() ? in_[pos_ + ahead] : '\0'; }

  // Whitespace and comments.
  Result<void> skip_space() {
    while (!at_end()) {
      char c = peek();
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        ++pos_;
      } else if (c == '/' && peek(1) == '/') {
        while (!at_end() && peek() != '\n') ++pos_;
      } else if (c == '/' && peek(1) == '*') {
        size_t end = in_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) return error("unterminated /* comment");
        pos_ = end + 2;
      } else if (static_cast<unsigned char>(c) == 0xC2 && peek(1) == '\xA0') {
        pos_ += 2;  // no-break space
      } else {
        break;
      }
    }
    return {};
  }

  Result<void> value() {
    if (auto s = skip_space(); !s) return s;
    if (at_end()) return error("expected a value, found the end of the text");
    char c = peek();
    if (c == '{') return object();
    if (c == '[') return array();
    if (c == '"' || c == '\'') return string();
    if (c == '-' || c == '+' || c == '.' || std::isdigit(static_cast<unsigned char>(c)))
      return number();
    for (std::string_view word : {"true", "false", "null"}) {
      if (in_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        out_ += word;
        return {};
      }
    }
    if (in_.substr(pos_, 8) == "Infinity" || in_.substr(pos_, 3) == "NaN")
      return error("Infinity and NaN have no JSON spelling");
    return error(fmt::format("unexpected character '{}'", c));
  }

  Result<void> object() {
    ++pos_;
    out_ += '{';
    bool first = true;
    while (true) {
      if (auto s = skip_space(); !s) return s;
      if (peek() == '}') {
        ++pos_;
        out_ += '}';
        return {};
      }
      if (!first) out_ += ',';
      first = false;
      char c = peek();
      if (c == '"' || c == '\'') {
        if (auto s = string(); !s) return s;
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$') {
        size_t start = pos_;
        while (!at_end() &&
               (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_' || peek() == '$'))
          ++pos_;
        out_ += '"';
        out_ += in_.substr(start, pos_ - start);
        out_ += '"';
      } else {
        return error("expected a member name");
      }
      if (auto s = skip_space(); !s) return s;
      if (peek() != ':') return error("expected ':' after a member name");
      ++pos_;
      out_ += ':';
      if (auto s = value(); !s) return s;
      if (auto s = skip_space(); !s) return s;
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != '}') {
        return error("expected ',' or '}' in an object");
      }
    }
  }

  Result<void> array() {
    ++pos_;
    out_ += '[';
    bool first = true;
    while (true) {
      if (auto s = skip_space(); !s) return s;
      if (peek() == ']') {
        ++pos_;
        out_ += ']';
        return {};
      }
      if (!first) out_ += ',';
      first = false;
      if (auto s = value(); !s) return s;
      if (auto s = skip_space(); !s) return s;
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != ']') {
        return error("expected ',' or ']' in an array");
      }
    }
  }

  // A single- or double-quoted string, written double-quoted.
  Result<void> string() {
    char quote = peek();
    ++pos_;
    out_ += '"';
    while (true) {
      if (at_end()) return error("unterminated string");
      char c = peek();
      if (c == quote) {
        ++pos_;
        out_ += '"';
        return {};
      }
      if (c == '\n' || c == '\r') return error("line break in a string");
      if (c == '"') {  // only inside a single-quoted string
        out_ += "\\\"";
        ++pos_;
        continue;
      }
      if (c != '\\') {
        out_ += c;
        ++pos_;
        continue;
      }
      char e = peek(1);
      pos_ += 2;
      switch (e) {
        case '\'':
          out_ += '\'';
          break;
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '/':
          out_ += '/';
          break;
        case 'b':
          out_ += "\\b";
          break;
        case 'f':
          out_ += "\\f";
          break;
        case 'n':
          out_ += "\\n";
          break;
        case 'r':
          out_ += "\\r";
          break;
        case 't':
          out_ += "\\t";
          break;
        case 'v':
          out_ += "\\u000b";
          break;
        case '0':
          out_ += "\\u0000";
          break;
        case 'u':
          out_ += "\\u";
          for (int i = 0; i < 4; ++i) {
            if (!std::isxdigit(static_cast<unsigned char>(peek()))) return error("bad \\u escape");
            out_ += peek();
            ++pos_;
          }
          break;
        case 'x': {
          if (!std::isxdigit(static_cast<unsigned char>(peek())) ||
              !std::isxdigit(static_cast<unsigned char>(peek(1))))
            return error("bad \\x escape");
          out_ += "\\u00";
          out_ += peek();
          out_ += peek(1);
          pos_ += 2;
          break;
        }
        case '\r':
          if (peek() == '\n') ++pos_;
          break;  // line continuation
        case '\n':
          break;
        default:
          if (e == '\0') return error("unterminated string");
          out_ += e;  // any other escaped character stands for itself
      }
    }
  }

  Result<void> number() {
    size_t start = pos_;
    bool negative = false;
    if (peek() == '+' || peek() == '-') {
      negative = peek() == '-';
      ++pos_;
    }
    if (in_.substr(pos_, 8) == "Infinity" || in_.substr(pos_, 3) == "NaN")
      return error("Infinity and NaN have no JSON spelling");
    if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'X')) {
      pos_ += 2;
      size_t digits = pos_;
      while (std::isxdigit(static_cast<unsigned char>(peek()))) ++pos_;
      if (pos_ == digits) return error("hexadecimal number without digits");
      unsigned long long v =
          std::strtoull(std::string(in_.substr(digits, pos_ - digits)).c_str(), nullptr, 16);
      out_ += negative ? "-" : "";
      out_ += std::to_string(v);
      return {};
    }
    std::string digits;
    while (std::isdigit(static_cast<unsigned char>(peek()))) digits += in_[pos_++];
    std::string fraction;
    bool point = false;
    if (peek() == '.') {
      point = true;
      ++pos_;
      while (std::isdigit(static_cast<unsigned char>(peek()))) fraction += in_[pos_++];
    }
    if (digits.empty() && fraction.empty()) {
      pos_ = start;
      return error("malformed number");
    }
    std::string exponent;
    if (peek() == 'e' || peek() == 'E') {
      exponent += in_[pos_++];
      if (peek() == '+' || peek() == '-') exponent += in_[pos_++];
      if (!std::isdigit(static_cast<unsigned char>(peek()))) return error("malformed exponent");
      while (std::isdigit(static_cast<unsigned char>(peek()))) exponent += in_[pos_++];
    }
    if (negative) out_ += '-';
    out_ += digits.empty() ? "0" : digits;
    if (point) out_ += "." + (fraction.empty() ? std::string("0") : fraction);
    out_ += exponent;
    return {};
  }

  std::string_view in_;
  size_t pos_ = 0;
  std::string out_;
};

}  // namespace

Result<std::string> json5_to_json(std::string_view json5) { return Converter(json5).run(); }

}  // namespace lepton::testing
