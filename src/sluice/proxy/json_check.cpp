#include "sluice/proxy/json_check.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>

#include <simdjson.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sluice/core/json_escape.h"

namespace sluice::proxy {
namespace {

/// Exponents are summed only this far: beyond it a nonzero number overflows anyway.
constexpr std::int64_t kHugeExponent = 1'000'000'000;

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Checker {
 public:
  Checker(std::string_view s, std::size_t max_depth) : s_(s), max_depth_(std::min(max_depth, kMaxJsonDepth)) {}

  JsonCheck run() {
    enum class Expect { kValue, kValueOrClose, kKey, kKeyOrClose, kColon, kCommaOrClose, kEnd };
    Expect expect = Expect::kValue;
    for (;;) {
      while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
      if (pos_ == s_.size()) break;
      const char c = s_[pos_];
      switch (expect) {
        case Expect::kEnd:
          return fail(JsonFault::kTrailing);
        case Expect::kColon:
          if (c != ':') return fail(JsonFault::kSyntax);
          ++pos_;
          expect = Expect::kValue;
          continue;
        case Expect::kKeyOrClose:
        case Expect::kKey:
          if (c == '}' && expect == Expect::kKeyOrClose) {
            ++pos_;
            --depth_;
            break;  // a value ended
          }
          if (c != '"' || !string()) return fail(JsonFault::kSyntax);
          expect = Expect::kColon;
          continue;
        case Expect::kCommaOrClose: {
          const bool in_object = stack_[depth_ - 1];
          if (c == ',') {
            ++pos_;
            expect = in_object ? Expect::kKey : Expect::kValue;
            continue;
          }
          if (c != (in_object ? '}' : ']')) return fail(JsonFault::kSyntax);
          ++pos_;
          --depth_;
          break;  // a value ended
        }
        case Expect::kValueOrClose:
        case Expect::kValue:
          if (c == ']' && expect == Expect::kValueOrClose) {
            ++pos_;
            --depth_;
            break;
          }
          if (c == '{' || c == '[') {
            if (depth_ >= max_depth_) return fail(JsonFault::kTooDeep);
            stack_[depth_++] = c == '{';
            ++pos_;
            expect = c == '{' ? Expect::kKeyOrClose : Expect::kValueOrClose;
            continue;
          }
          if (!scalar()) return fail(JsonFault::kSyntax);
          break;
      }
      expect = depth_ == 0 ? Expect::kEnd : Expect::kCommaOrClose;
    }
    if (expect != Expect::kEnd) return fail(JsonFault::kSyntax);
    return JsonCheck{};
  }

 private:
  JsonCheck fail(JsonFault fault) const { return JsonCheck{fault, pos_}; }

  bool scalar() {
    const char c = s_[pos_];
    if (c == '"') return string();
    if (c == '-' || is_digit(c)) return number();
    if (c == 't') return literal("true");
    if (c == 'f') return literal("false");
    if (c == 'n') return literal("null");
    return false;
  }

  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool digits() {
    const std::size_t start = pos_;
    while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
    return pos_ > start;
  }

  /// A number as RFC 8259 writes it, whose value is finite as a double
  /// (nlohmann, like most parsers, refuses 1e400 as an overflow).
  bool number() {
    const std::size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    if (pos_ == s_.size()) return false;
    // Decimal magnitude of the first significant digit, to find numbers
    // that may overflow a double without converting every number.
    std::int64_t magnitude = std::numeric_limits<std::int64_t>::min();
    if (s_[pos_] == '0') {
      ++pos_;
    } else {
      const std::size_t int_start = pos_;
      if (!digits()) return false;
      magnitude = static_cast<std::int64_t>(pos_ - int_start) - 1;
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      const std::size_t frac_start = pos_;
      if (!digits()) return false;
      if (magnitude == std::numeric_limits<std::int64_t>::min()) {
        const std::size_t first = s_.find_first_not_of('0', frac_start);
        if (first < pos_) magnitude = -static_cast<std::int64_t>(first - frac_start) - 1;
      }
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      bool negative = false;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) negative = s_[pos_++] == '-';
      const std::size_t exp_start = pos_;
      if (!digits()) return false;
      std::int64_t exponent = 0;
      for (std::size_t i = exp_start; i < pos_ && exponent < kHugeExponent; ++i) exponent = exponent * 10 + (s_[i] - '0');
      if (magnitude != std::numeric_limits<std::int64_t>::min()) magnitude += negative ? -exponent : exponent;
    }
    if (magnitude < 300) return true;  // well inside a double's range (about 1.8e308)
    double value = 0;
    const auto [end, ec] = std::from_chars(s_.data() + start, s_.data() + pos_, value);
    return ec == std::errc{} && end == s_.data() + pos_;
  }

  /// Four hex digits after `\u`, or -1.
  int escape_unit() {
    if (s_.size() - pos_ < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = hex_value(s_[pos_ + static_cast<std::size_t>(i)]);
      if (h < 0) return -1;
      v = v * 16 + h;
    }
    pos_ += 4;
    return v;
  }

  bool escape() {  // at the byte after the backslash
    if (pos_ == s_.size()) return false;
    const char e = s_[pos_++];
    switch (e) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't': return true;
      case 'u': break;
      default: return false;
    }
    const int unit = escape_unit();
    if (unit < 0) return false;
    if (unit >= 0xDC00 && unit <= 0xDFFF) return false;  // a low surrogate first
    if (unit < 0xD800 || unit > 0xDBFF) return true;
    // A high surrogate must be followed by an escaped low one.
    if (s_.size() - pos_ < 2 || s_[pos_] != '\\' || s_[pos_ + 1] != 'u') return false;
    pos_ += 2;
    const int low = escape_unit();
    return low >= 0xDC00 && low <= 0xDFFF;
  }

  bool string() {  // at the opening quote; the whole text is valid UTF-8 already
    ++pos_;
    for (;;) {
#if defined(__SSE2__)
      // Sixteen bytes at a time, to the first that ends the run.
      while (s_.size() - pos_ >= 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s_.data() + pos_));
        const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
        const __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
        const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1f)), _mm_set1_epi8(0x1f));  // v <= 0x1f
        const int mask = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control));
        if (mask != 0) {
          pos_ += static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
          break;
        }
        pos_ += 16;
      }
#endif
      // Eight bytes at a time while none of them ends the run.
      while (s_.size() - pos_ >= 8) {
        std::uint64_t word;
        std::memcpy(&word, s_.data() + pos_, sizeof word);
        if (ends_run(word)) break;
        pos_ += 8;
      }
      if (pos_ == s_.size()) return false;  // unterminated
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        ++pos_;
        if (!escape()) return false;
      } else if (c < 0x20) {
        return false;
      } else {
        ++pos_;
      }
    }
  }

  /// Whether a word of string bytes holds a '"', a '\\' or a control
  /// character (SWAR: exact as to whether, not as to where).
  static bool ends_run(std::uint64_t w) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
    const auto has_zero = [](std::uint64_t x) { return ((x - kOnes) & ~x & kHighs) != 0; };
    return has_zero(w ^ (kOnes * '"')) || has_zero(w ^ (kOnes * '\\')) || ((w - kOnes * 0x20) & ~w & kHighs) != 0;
  }

  std::string_view s_;
  std::size_t max_depth_;
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;
  std::array<bool, kMaxJsonDepth> stack_{};  // true = object
};

}  // namespace

JsonCheck check_json(std::string_view text, std::size_t max_depth) {
  // UTF-8 first, for the whole text (simdjson's SIMD check): strings then
  // need only look for their end, escapes and control characters, and a
  // byte >= 0x80 outside a string is a syntax error anyway.
  if (!simdjson::validate_utf8(text.data(), text.size())) {
    std::size_t at = 0;
    while (at < text.size()) {
      const std::size_t len = core::utf8_sequence_length(text.substr(at));
      if (len == 0) break;
      at += len;
    }
    return JsonCheck{JsonFault::kSyntax, at};
  }
  return Checker(text, max_depth).run();
}

}  // namespace sluice::proxy
