#include "templates/liquid.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <variant>

namespace lepton::templates {

// ---------------------------------------------------------------------------------------------
// Case conversions (heck's word boundaries: non-alphanumerics separate words; inside a word, a
// boundary falls between a lowercase letter (or digits after one) and an uppercase letter, and
// before the last capital of a run of capitals followed by a lowercase letter: "HTTPServer" ->
// "HTTP" "Server"). Bytes >= 0x80 count as uncased letters so UTF-8 passes through intact.

namespace {

bool is_alnum(unsigned char c) { return c >= 0x80 || std::isalnum(c); }
bool is_lower(unsigned char c) { return c < 0x80 && std::islower(c); }
bool is_upper(unsigned char c) { return c < 0x80 && std::isupper(c); }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (is_upper(static_cast<unsigned char>(c))) c = static_cast<char>(std::tolower(c));
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (is_lower(static_cast<unsigned char>(c))) c = static_cast<char>(std::toupper(c));
  return out;
}

std::string capitalize(std::string_view s) {
  std::string out = lower(s);
  if (!out.empty() && is_lower(static_cast<unsigned char>(out[0])))
    out[0] = static_cast<char>(std::toupper(out[0]));
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

}  // namespace

std::vector<std::string> split_words(std::string_view text) {
  enum class Mode { kBoundary, kLower, kUpper };
  std::vector<std::string> words;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = start;
    while (end < text.size() && is_alnum(static_cast<unsigned char>(text[end]))) ++end;
    std::string_view word = text.substr(start, end - start);
    size_t init = 0;
    Mode mode = Mode::kBoundary;
    for (size_t i = 0; i < word.size(); ++i) {
      auto c = static_cast<unsigned char>(word[i]);
      if (i + 1 == word.size()) {
        words.emplace_back(word.substr(init));
        break;
      }
      auto next = static_cast<unsigned char>(word[i + 1]);
      Mode next_mode = is_lower(c) ? Mode::kLower : is_upper(c) ? Mode::kUpper : mode;
      if (next_mode == Mode::kLower && is_upper(next)) {
        words.emplace_back(word.substr(init, i + 1 - init));
        init = i + 1;
        mode = Mode::kBoundary;
      } else if (mode == Mode::kUpper && is_upper(c) && is_lower(next)) {
        words.emplace_back(word.substr(init, i - init));
        init = i;
        mode = Mode::kBoundary;
      } else {
        mode = next_mode;
      }
    }
    start = end + 1;
  }
  return words;
}

std::string kebab_case(std::string_view text) {
  auto words = split_words(text);
  for (auto& w : words) w = lower(w);
  return join(words, "-");
}

std::string snake_case(std::string_view text) {
  auto words = split_words(text);
  for (auto& w : words) w = lower(w);
  return join(words, "_");
}

std::string pascal_case(std::string_view text) {
  auto words = split_words(text);
  for (auto& w : words) w = capitalize(w);
  return join(words, "");
}

std::string dotted_pascal_case(std::string_view text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = text.find('.', start);
    parts.push_back(
        pascal_case(text.substr(start, dot == std::string_view::npos ? dot : dot - start)));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return join(parts, ".");
}

std::string http_wildcard(std::string_view route) {
  std::string r(route);
  if (r.ends_with("/...")) return r;
  if (r.ends_with('/')) return r + "...";
  return r + "/...";
}

// ---------------------------------------------------------------------------------------------
// Syntax tree

namespace {

struct Operand {
  enum class Kind { kVariable, kString, kNumber, kBool, kNil } kind = Kind::kNil;
  std::string text;  // variable name or literal text
  size_t offset = 0;
};

struct Filter {
  std::string name;
  std::vector<Operand> args;
  size_t offset = 0;
};

struct Output {
  Operand operand;
  std::vector<Filter> filters;
};

struct Comparison {
  Operand left;
  std::string op;  // empty: truthiness of `left`
  Operand right;
};

struct Condition {
  std::vector<Comparison> terms;
  std::vector<std::string> joins;  // "and"/"or" between terms
};

}  // namespace

struct Branch {
  Condition condition;
  std::vector<std::unique_ptr<Node>> body;
};

struct IfBlock {
  bool unless = false;
  std::vector<Branch> branches;
  bool has_else = false;
  std::vector<std::unique_ptr<Node>> else_body;
};

struct Node {
  std::variant<std::string, Output, IfBlock> value;
};

namespace {

struct Position {
  size_t line = 1;
  size_t col = 1;
};

Position position_of(std::string_view source, size_t offset) {
  Position p;
  for (size_t i = 0; i < offset && i < source.size(); ++i) {
    if (source[i] == '\n') {
      ++p.line;
      p.col = 1;
    } else {
      ++p.col;
    }
  }
  return p;
}

Error error_at(std::string_view name, std::string_view source, size_t offset,
               const std::string& message) {
  auto p = position_of(source, offset);
  return fail("{}:{}:{}: {}", name, p.line, p.col, message);
}

struct FilterSpec {
  std::string_view name;
  size_t args;
};

constexpr FilterSpec kFilters[] = {
    {"kebab_case", 0},    {"snake_case", 0}, {"pascal_case", 0}, {"dotted_pascal_case", 0},
    {"http_wildcard", 0}, {"downcase", 0},   {"upcase", 0},      {"capitalize", 0},
    {"strip", 0},         {"default", 1},    {"append", 1},      {"prepend", 1},
    {"replace", 2},
};

// Tokens of an expression inside {{ }} or {% %}.
struct Token {
  enum class Kind { kIdent, kString, kNumber, kOp, kPipe, kColon, kComma, kEnd } kind;
  std::string text;
  size_t offset;
};

class Parser {
 public:
  Parser(std::string_view source, std::string_view name) : source_(source), name_(name) {}

  Result<std::vector<std::unique_ptr<Node>>> parse() {
    std::vector<std::unique_ptr<Node>> top;
    std::vector<IfBlock*> blocks;  // open if/unless blocks, innermost last
    std::vector<size_t> block_offsets;
    auto current_body = [&]() -> std::vector<std::unique_ptr<Node>>& {
      if (blocks.empty()) return top;
      IfBlock* b = blocks.back();
      return b->has_else ? b->else_body : b->branches.back().body;
    };
    size_t pos = 0;
    bool trim_next = false;
    while (pos < source_.size()) {
      size_t open = find_open(pos);
      std::string text(source_.substr(pos, open == std::string_view::npos ? open : open - pos));
      if (trim_next)
        text.erase(0, text.find_first_not_of(" \t\r\n\f\v") == std::string::npos
                          ? text.size()
                          : text.find_first_not_of(" \t\r\n\f\v"));
      trim_next = false;
      if (open == std::string_view::npos) {
        add_text(current_body(), std::move(text));
        break;
      }
      bool trim_before = open + 2 < source_.size() && source_[open + 2] == '-';
      if (trim_before) {
        auto last = text.find_last_not_of(" \t\r\n\f\v");
        text.erase(last == std::string::npos ? 0 : last + 1);
      }
      add_text(current_body(), std::move(text));
      bool is_output = source_[open + 1] == '{';
      std::string_view close_mark = is_output ? "}}" : "%}";
      size_t close = source_.find(close_mark, open + 2);
      if (close == std::string_view::npos)
        return error_at(
            name_, source_, open,
            is_output ? "'{{' is not closed with '}}'" : "'{%' is not closed with '%}'");
      size_t inner_begin = open + 2 + (trim_before ? 1 : 0);
      size_t inner_end = close;
      if (inner_end > inner_begin && source_[inner_end - 1] == '-') {
        --inner_end;
        trim_next = true;
      }
      pos = close + 2;
      LEPTON_TRY(auto tokens, lex(inner_begin, inner_end));
      if (is_output) {
        size_t i = 0;
        LEPTON_TRY(auto output, parse_output(tokens, i, open));
        if (tokens[i].kind != Token::Kind::kEnd)
          return error_at(name_, source_, tokens[i].offset,
                          fmt::format("unexpected '{}' in output", tokens[i].text));
        auto node = std::make_unique<Node>();
        node->value = std::move(output);
        current_body().push_back(std::move(node));
        continue;
      }
      if (tokens[0].kind != Token::Kind::kIdent)
        return error_at(name_, source_, open, "expected a tag name after '{%'");
      const std::string tag = tokens[0].text;
      if (tag == "raw" || tag == "comment") {
        if (tokens[1].kind != Token::Kind::kEnd)
          return error_at(name_, source_, tokens[1].offset,
                          fmt::format("unexpected '{}' in '{}' tag", tokens[1].text, tag));
        auto [end_open, end_close] = find_end_tag(pos, "end" + tag);
        if (end_open == std::string_view::npos)
          return error_at(name_, source_, open,
                          fmt::format("'{{% {} %}}' is not closed with '{{% end{} %}}'", tag, tag));
        std::string body(source_.substr(pos, end_open - pos));
        if (trim_next) {
          auto first = body.find_first_not_of(" \t\r\n\f\v");
          body.erase(0, first == std::string::npos ? body.size() : first);
          trim_next = false;
        }
        if (source_[end_open + 2] == '-') {
          auto last = body.find_last_not_of(" \t\r\n\f\v");
          body.erase(last == std::string::npos ? 0 : last + 1);
        }
        if (tag == "raw") add_text(current_body(), std::move(body));
        trim_next = source_[end_close - 1] == '-';
        pos = end_close + 1;
        continue;
      }
      if (tag == "if" || tag == "unless") {
        size_t i = 1;
        LEPTON_TRY(auto condition, parse_condition(tokens, i, tag));
        auto node = std::make_unique<Node>();
        IfBlock block;
        block.unless = tag == "unless";
        block.branches.push_back(Branch{std::move(condition), {}});
        node->value = std::move(block);
        IfBlock* raw = &std::get<IfBlock>(node->value);
        current_body().push_back(std::move(node));
        blocks.push_back(raw);
        block_offsets.push_back(open);
        continue;
      }
      if (tag == "elsif" || tag == "else") {
        if (blocks.empty() || blocks.back()->has_else || (tag == "elsif" && blocks.back()->unless))
          return error_at(name_, source_, open,
                          fmt::format("'{{% {} %}}' without a matching '{{% if %}}'", tag));
        if (tag == "else") {
          if (tokens[1].kind != Token::Kind::kEnd)
            return error_at(name_, source_, tokens[1].offset,
                            fmt::format("unexpected '{}' in 'else' tag", tokens[1].text));
          blocks.back()->has_else = true;
        } else {
          size_t i = 1;
          LEPTON_TRY(auto condition, parse_condition(tokens, i, tag));
          blocks.back()->branches.push_back(Branch{std::move(condition), {}});
        }
        continue;
      }
      if (tag == "endif" || tag == "endunless") {
        std::string expected =
            blocks.empty() ? "" : (blocks.back()->unless ? "endunless" : "endif");
        if (tag != expected)
          return error_at(name_, source_, open,
                          fmt::format("'{{% {} %}}' without a matching '{{% {} %}}'", tag,
                                      tag == "endif" ? "if" : "unless"));
        if (tokens[1].kind != Token::Kind::kEnd)
          return error_at(name_, source_, tokens[1].offset,
                          fmt::format("unexpected '{}' in '{}' tag", tokens[1].text, tag));
        blocks.pop_back();
        block_offsets.pop_back();
        continue;
      }
      return error_at(name_, source_, open, fmt::format("unknown tag '{}'", tag));
    }
    if (!blocks.empty())
      return error_at(name_, source_, block_offsets.back(),
                      fmt::format("'{{% {} %}}' is not closed with '{{% {} %}}'",
                                  blocks.back()->unless ? "unless" : "if",
                                  blocks.back()->unless ? "endunless" : "endif"));
    return top;
  }

 private:
  size_t find_open(size_t from) const {
    size_t a = source_.find("{{", from);
    size_t b = source_.find("{%", from);
    return std::min(a, b);
  }

  static void add_text(std::vector<std::unique_ptr<Node>>& body, std::string text) {
    if (text.empty()) return;
    auto node = std::make_unique<Node>();
    node->value = std::move(text);
    body.push_back(std::move(node));
  }

  // Finds `{% <end_name> %}` (with optional '-' trims) from `from`: returns the offset of its
  // '{%' and of its final '}'.
  std::pair<size_t, size_t> find_end_tag(size_t from, const std::string& end_name) const {
    size_t at = from;
    while ((at = source_.find("{%", at)) != std::string_view::npos) {
      size_t i = at + 2;
      if (i < source_.size() && source_[i] == '-') ++i;
      while (i < source_.size() && std::isspace(static_cast<unsigned char>(source_[i]))) ++i;
      if (source_.substr(i, end_name.size()) == end_name) {
        i += end_name.size();
        while (i < source_.size() && std::isspace(static_cast<unsigned char>(source_[i]))) ++i;
        if (i < source_.size() && source_[i] == '-') ++i;
        if (source_.substr(i, 2) == "%}") return {at, i + 1};
      }
      at += 2;
    }
    return {std::string_view::npos, std::string_view::npos};
  }

  Result<std::vector<Token>> lex(size_t begin, size_t end) const {
    std::vector<Token> tokens;
    size_t i = begin;
    while (i < end) {
      char c = source_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
        continue;
      }
      size_t start = i;
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        while (i < end && (std::isalnum(static_cast<unsigned char>(source_[i])) ||
                           source_[i] == '_' || source_[i] == '-' || source_[i] == '?'))
          ++i;
        // A trailing '-' belongs to a whitespace-control marker, not the name.
        tokens.push_back(
            {Token::Kind::kIdent, std::string(source_.substr(start, i - start)), start});
      } else if (c == '"' || c == '\'') {
        size_t close = source_.find(c, i + 1);
        if (close == std::string_view::npos || close >= end)
          return error_at(name_, source_, start, "unterminated string literal");
        tokens.push_back(
            {Token::Kind::kString, std::string(source_.substr(i + 1, close - i - 1)), start});
        i = close + 1;
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 (c == '-' && i + 1 < end &&
                  std::isdigit(static_cast<unsigned char>(source_[i + 1])))) {
        ++i;
        while (i < end &&
               (std::isdigit(static_cast<unsigned char>(source_[i])) || source_[i] == '.'))
          ++i;
        tokens.push_back(
            {Token::Kind::kNumber, std::string(source_.substr(start, i - start)), start});
      } else if (c == '|') {
        tokens.push_back({Token::Kind::kPipe, "|", start});
        ++i;
      } else if (c == ':') {
        tokens.push_back({Token::Kind::kColon, ":", start});
        ++i;
      } else if (c == ',') {
        tokens.push_back({Token::Kind::kComma, ",", start});
        ++i;
      } else if (c == '=' || c == '!' || c == '<' || c == '>') {
        std::string op(1, c);
        if (i + 1 < end && (source_[i + 1] == '=' || (c == '<' && source_[i + 1] == '>')))
          op += source_[i + 1];
        if (op == "=" || op == "!")
          return error_at(name_, source_, start, fmt::format("unknown operator '{}'", op));
        tokens.push_back({Token::Kind::kOp, op, start});
        i += op.size();
      } else {
        return error_at(name_, source_, start, fmt::format("unexpected character '{}'", c));
      }
    }
    tokens.push_back({Token::Kind::kEnd, "end of tag", end});
    return tokens;
  }

  Result<Operand> parse_operand(const std::vector<Token>& t, size_t& i) const {
    const Token& tok = t[i];
    Operand op;
    op.offset = tok.offset;
    op.text = tok.text;
    switch (tok.kind) {
      case Token::Kind::kIdent:
        if (tok.text == "true" || tok.text == "false") {
          op.kind = Operand::Kind::kBool;
        } else if (tok.text == "nil" || tok.text == "null") {
          op.kind = Operand::Kind::kNil;
        } else {
          op.kind = Operand::Kind::kVariable;
        }
        break;
      case Token::Kind::kString:
        op.kind = Operand::Kind::kString;
        break;
      case Token::Kind::kNumber:
        op.kind = Operand::Kind::kNumber;
        break;
      default:
        return error_at(name_, source_, tok.offset,
                        fmt::format("expected a variable or a literal, found '{}'", tok.text));
    }
    ++i;
    return op;
  }

  Result<Output> parse_output(const std::vector<Token>& t, size_t& i, size_t open) const {
    if (t[i].kind == Token::Kind::kEnd)
      return error_at(name_, source_, open, "empty output '{{ }}'");
    Output out;
    LEPTON_TRY(out.operand, parse_operand(t, i));
    while (t[i].kind == Token::Kind::kPipe) {
      ++i;
      if (t[i].kind != Token::Kind::kIdent)
        return error_at(name_, source_, t[i].offset,
                        fmt::format("expected a filter name after '|', found '{}'", t[i].text));
      Filter f;
      f.name = t[i].text;
      f.offset = t[i].offset;
      ++i;
      auto spec = std::find_if(std::begin(kFilters), std::end(kFilters),
                               [&](const FilterSpec& s) { return s.name == f.name; });
      if (spec == std::end(kFilters))
        return error_at(name_, source_, f.offset, fmt::format("unknown filter '{}'", f.name));
      if (t[i].kind == Token::Kind::kColon) {
        ++i;
        while (true) {
          LEPTON_TRY(auto arg, parse_operand(t, i));
          f.args.push_back(std::move(arg));
          if (t[i].kind != Token::Kind::kComma) break;
          ++i;
        }
      }
      if (f.args.size() != spec->args)
        return error_at(name_, source_, f.offset,
                        fmt::format("filter '{}' takes {} argument(s), got {}", f.name, spec->args,
                                    f.args.size()));
      out.filters.push_back(std::move(f));
    }
    return out;
  }

  Result<Condition> parse_condition(const std::vector<Token>& t, size_t& i,
                                    const std::string& tag) const {
    Condition c;
    if (t[i].kind == Token::Kind::kEnd)
      return error_at(name_, source_, t[i].offset, fmt::format("'{}' needs a condition", tag));
    while (true) {
      Comparison cmp;
      LEPTON_TRY(cmp.left, parse_operand(t, i));
      if (t[i].kind == Token::Kind::kOp ||
          (t[i].kind == Token::Kind::kIdent && t[i].text == "contains")) {
        cmp.op = t[i].text;
        ++i;
        LEPTON_TRY(cmp.right, parse_operand(t, i));
      }
      c.terms.push_back(std::move(cmp));
      if (t[i].kind == Token::Kind::kIdent && (t[i].text == "and" || t[i].text == "or")) {
        c.joins.push_back(t[i].text);
        ++i;
        continue;
      }
      if (t[i].kind != Token::Kind::kEnd)
        return error_at(name_, source_, t[i].offset,
                        fmt::format("unexpected '{}' in '{}' condition", t[i].text, tag));
      return c;
    }
  }

  std::string_view source_;
  std::string_view name_;
};

// ---------------------------------------------------------------------------------------------
// Rendering

struct Evaluated {
  enum class Kind { kNil, kString, kBool, kNumber } kind = Kind::kNil;
  std::string text;

  bool truthy() const {
    if (kind == Kind::kNil) return false;
    if (kind == Kind::kBool) return text == "true";
    return true;
  }
};

std::optional<double> as_number(const std::string& s) {
  double d = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return d;
}

class Renderer {
 public:
  Renderer(std::string_view source, std::string_view name, const Values& values)
      : source_(source), name_(name), values_(values) {}

  Status render(const std::vector<std::unique_ptr<Node>>& nodes, std::string& out) const {
    for (const auto& node : nodes) {
      if (auto* text = std::get_if<std::string>(&node->value)) {
        out += *text;
      } else if (auto* output = std::get_if<Output>(&node->value)) {
        LEPTON_TRY(auto v, evaluate(*output));
        out += v.text;
      } else {
        const auto& block = std::get<IfBlock>(node->value);
        bool taken = false;
        for (const auto& branch : block.branches) {
          LEPTON_TRY(bool yes, evaluate(branch.condition));
          if (block.unless) yes = !yes;
          if (yes) {
            LEPTON_CHECK(render(branch.body, out));
            taken = true;
            break;
          }
        }
        if (!taken && block.has_else) LEPTON_CHECK(render(block.else_body, out));
      }
    }
    return {};
  }

 private:
  Result<Evaluated> operand(const Operand& op, bool missing_ok) const {
    Evaluated e;
    switch (op.kind) {
      case Operand::Kind::kNil:
        return e;
      case Operand::Kind::kString:
        e.kind = Evaluated::Kind::kString;
        e.text = op.text;
        return e;
      case Operand::Kind::kNumber:
        e.kind = Evaluated::Kind::kNumber;
        e.text = op.text;
        return e;
      case Operand::Kind::kBool:
        e.kind = Evaluated::Kind::kBool;
        e.text = op.text;
        return e;
      case Operand::Kind::kVariable: {
        auto it = values_.find(op.text);
        if (it == values_.end()) {
          if (missing_ok) return e;
          return error_at(name_, source_, op.offset, fmt::format("unknown variable '{}'", op.text));
        }
        e.kind = it->second.is_bool ? Evaluated::Kind::kBool : Evaluated::Kind::kString;
        e.text = it->second.text;
        return e;
      }
    }
    return e;
  }

  Result<Evaluated> evaluate(const Output& output) const {
    // A missing variable is tolerated only when a `default` filter follows it.
    bool has_default = std::any_of(output.filters.begin(), output.filters.end(),
                                   [](const Filter& f) { return f.name == "default"; });
    LEPTON_TRY(Evaluated v, operand(output.operand, has_default));
    for (const auto& f : output.filters) {
      std::vector<Evaluated> args;
      for (const auto& a : f.args) {
        LEPTON_TRY(auto e, operand(a, false));
        args.push_back(std::move(e));
      }
      const std::string& s = v.text;
      std::string r;
      if (f.name == "default") {
        bool empty = v.kind == Evaluated::Kind::kNil ||
                     (v.kind == Evaluated::Kind::kBool && v.text == "false") ||
                     (v.kind == Evaluated::Kind::kString && v.text.empty());
        if (empty) v = args[0];
        continue;
      }
      if (f.name == "kebab_case")
        r = kebab_case(s);
      else if (f.name == "snake_case")
        r = snake_case(s);
      else if (f.name == "pascal_case")
        r = pascal_case(s);
      else if (f.name == "dotted_pascal_case")
        r = dotted_pascal_case(s);
      else if (f.name == "http_wildcard")
        r = http_wildcard(s);
      else if (f.name == "downcase")
        r = lower(s);
      else if (f.name == "upcase")
        r = upper(s);
      else if (f.name == "capitalize") {
        r = s;
        if (!r.empty() && is_lower(static_cast<unsigned char>(r[0])))
          r[0] = static_cast<char>(std::toupper(r[0]));
      } else if (f.name == "strip") {
        auto b = s.find_first_not_of(" \t\r\n\f\v");
        auto e = s.find_last_not_of(" \t\r\n\f\v");
        r = b == std::string::npos ? "" : s.substr(b, e - b + 1);
      } else if (f.name == "append")
        r = s + args[0].text;
      else if (f.name == "prepend")
        r = args[0].text + s;
      else if (f.name == "replace") {
        const std::string& from = args[0].text;
        if (from.empty()) {
          r = s;
        } else {
          size_t at = 0;
          while (true) {
            size_t found = s.find(from, at);
            r += s.substr(at, found == std::string::npos ? found : found - at);
            if (found == std::string::npos) break;
            r += args[1].text;
            at = found + from.size();
          }
        }
      }
      v.kind = Evaluated::Kind::kString;
      v.text = std::move(r);
    }
    return v;
  }

  Result<bool> compare(const Comparison& c) const {
    LEPTON_TRY(auto left, operand(c.left, false));
    if (c.op.empty()) return left.truthy();
    LEPTON_TRY(auto right, operand(c.right, false));
    bool lnil = left.kind == Evaluated::Kind::kNil, rnil = right.kind == Evaluated::Kind::kNil;
    if (c.op == "==") return lnil || rnil ? lnil == rnil : left.text == right.text;
    if (c.op == "!=" || c.op == "<>") return lnil || rnil ? lnil != rnil : left.text != right.text;
    if (c.op == "contains")
      return !lnil && !rnil && left.text.find(right.text) != std::string::npos;
    if (lnil || rnil) return false;
    auto ln = as_number(left.text), rn = as_number(right.text);
    int order = ln && rn ? (*ln < *rn ? -1 : *ln > *rn ? 1 : 0) : left.text.compare(right.text);
    if (c.op == "<") return order < 0;
    if (c.op == ">") return order > 0;
    if (c.op == "<=") return order <= 0;
    if (c.op == ">=") return order >= 0;
    return error_at(name_, source_, c.left.offset, fmt::format("unknown operator '{}'", c.op));
  }

  // Liquid evaluates and/or right to left with no precedence: `a or b and c` = `a or (b and c)`.
  Result<bool> evaluate(const Condition& c) const {
    LEPTON_TRY(bool result, compare(c.terms.back()));
    for (size_t k = c.terms.size() - 1; k-- > 0;) {
      LEPTON_TRY(bool left, compare(c.terms[k]));
      result = c.joins[k] == "and" ? (left && result) : (left || result);
    }
    return result;
  }

  std::string_view source_;
  std::string_view name_;
  const Values& values_;
};

}  // namespace

Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::~Template() = default;

Result<Template> Template::parse(std::string_view source, std::string name) {
  Template t;
  t.name_ = std::move(name);
  t.source_ = std::string(source);
  Parser parser(t.source_, t.name_);
  LEPTON_TRY(t.nodes_, parser.parse());
  return t;
}

Result<std::string> Template::render(const Values& values) const {
  std::string out;
  Renderer renderer(source_, name_, values);
  LEPTON_CHECK(renderer.render(nodes_, out));
  return out;
}

Result<std::string> render(std::string_view source, const Values& values, std::string name) {
  LEPTON_TRY(auto t, Template::parse(source, std::move(name)));
  return t.render(values);
}

}  // namespace lepton::templates
