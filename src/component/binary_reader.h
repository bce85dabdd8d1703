// Internal to src/component: a bounds-checked byte reader with a sticky first error. Every read
// past the current end, LEB128 overflow or malformed UTF-8 records an error (with the absolute
// byte offset and the parser's current context) and turns all later reads into no-ops returning
// zero, so parsers can read straight-line and check ok() at loop boundaries.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace lepton::component::binary::detail {

bool valid_utf8(std::string_view s);

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data), end_(data.size()) {}

  bool ok() const { return !failed_; }
  size_t pos() const { return pos_; }
  size_t end() const { return end_; }
  size_t remaining() const { return failed_ ? 0 : end_ - pos_; }
  bool at_end() const { return failed_ || pos_ >= end_; }
  std::span<const uint8_t> data() const { return data_; }

  // Narrows the readable range to [pos, new_end); returns the previous end for restore_end().
  size_t limit(size_t new_end) {
    size_t old = end_;
    end_ = new_end;
    return old;
  }
  void restore_end(size_t old_end) { end_ = old_end; }
  void seek(size_t p) {
    if (!failed_) pos_ = p;
  }

  // Where errors happen, e.g. "type section, entry 3"; a prefix names the nesting.
  void set_where(std::string where) { where_ = std::move(where); }
  const std::string& where() const { return where_; }
  void set_prefix(std::string prefix) { prefix_ = std::move(prefix); }
  // Added to every reported offset (for a buffer that starts inside a larger file).
  void set_origin(size_t origin) { origin_ = origin; }
  const std::string& prefix() const { return prefix_; }

  template <typename... Args>
  void fail_at(size_t at, fmt::format_string<Args...> format, Args&&... args) {
    if (failed_) return;
    failed_ = true;
    std::string loc = where_.empty() ? "" : where_ + ", ";
    message_ = fmt::format("{}{}at byte {:#x}: {}", prefix_, loc, at + origin_,
                           fmt::format(format, std::forward<Args>(args)...));
    pos_ = end_;
  }
  template <typename... Args>
  void fail(fmt::format_string<Args...> format, Args&&... args) {
    fail_at(pos_, format, std::forward<Args>(args)...);
  }
  const std::string& message() const { return message_; }

  uint8_t u8() {
    if (failed_) return 0;
    if (pos_ >= end_) {
      truncated();
      return 0;
    }
    return data_[pos_++];
  }
  uint8_t peek() {
    if (failed_) return 0;
    if (pos_ >= end_) {
      truncated();
      return 0;
    }
    return data_[pos_];
  }
  std::span<const uint8_t> bytes(size_t n) {
    if (failed_) return {};
    if (n > end_ - pos_) {
      fail("unexpected end: need {} bytes, {} left", n, end_ - pos_);
      return {};
    }
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

  uint32_t u32() { return static_cast<uint32_t>(uleb(32)); }
  uint64_t u64() { return uleb(64); }
  int64_t s33() { return sleb(33); }
  int32_t s32() { return static_cast<int32_t>(sleb(32)); }
  int64_t s64() { return sleb(64); }

  // A vec(...) length: fails when it exceeds the bytes left (each item takes >= min_item bytes),
  // which bounds every allocation by the input size.
  uint32_t count(std::string_view what, size_t min_item = 1) {
    size_t at = pos_;
    uint32_t n = u32();
    if (failed_) return 0;
    if (min_item > 0 && n > (end_ - pos_) / min_item) {
      fail_at(at, "{} count {} exceeds the {} bytes left", what, n, end_ - pos_);
      return 0;
    }
    return n;
  }

  // A core:name: u32 length + UTF-8 bytes.
  std::string name() {
    size_t at = pos_;
    uint32_t len = u32();
    auto b = bytes(len);
    if (failed_) return {};
    std::string s(reinterpret_cast<const char*>(b.data()), b.size());
    if (!valid_utf8(s)) {
      fail_at(at, "name is not valid UTF-8");
      return {};
    }
    return s;
  }

 private:
  void truncated() { fail("unexpected end of {}", end_ == data_.size() ? "input" : "section"); }

  uint64_t uleb(unsigned bits) {
    if (failed_) return 0;
    size_t at = pos_;
    uint64_t result = 0;
    unsigned shift = 0;
    const unsigned max_bytes = (bits + 6) / 7;
    for (unsigned i = 0;; ++i) {
      if (pos_ >= end_) {
        truncated();
        return 0;
      }
      uint8_t b = data_[pos_++];
      if (i == max_bytes - 1) {
        // Final byte: no continuation and no bits beyond `bits`.
        unsigned used = bits - shift;
        if ((b & 0x80) || (used < 7 && (b >> used) != 0)) {
          fail_at(at, "LEB128 integer too large for u{}", bits);
          return 0;
        }
      }
      result |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7;
    }
  }

  int64_t sleb(unsigned bits) {
    if (failed_) return 0;
    size_t at = pos_;
    int64_t result = 0;
    unsigned shift = 0;
    const unsigned max_bytes = (bits + 6) / 7;
    uint8_t b = 0;
    for (unsigned i = 0;; ++i) {
      if (pos_ >= end_) {
        truncated();
        return 0;
      }
      b = data_[pos_++];
      if (i == max_bytes - 1) {
        // Final byte: the unused high bits must all equal the sign bit.
        unsigned used = bits - shift;  // 1..7 payload bits in this byte
        if (b & 0x80) {
          fail_at(at, "LEB128 integer too large for s{}", bits);
          return 0;
        }
        if (used < 7) {
          int sign_and_unused = (b & 0x7f) >> (used - 1);
          int all_ones = 0x7f >> (used - 1);
          if (sign_and_unused != 0 && sign_and_unused != all_ones) {
            fail_at(at, "LEB128 integer too large for s{}", bits);
            return 0;
          }
        }
      }
      result |= static_cast<int64_t>(static_cast<uint64_t>(b & 0x7f) << shift);
      shift += 7;
      if (!(b & 0x80)) break;
    }
    if (shift < 64 && (b & 0x40)) result |= static_cast<int64_t>(~uint64_t{0} << shift);
    return result;
  }

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  size_t end_;
  bool failed_ = false;
  std::string message_;
  std::string where_;
  std::string prefix_;
  size_t origin_ = 0;
};

}  // namespace lepton::component::binary::detail
