#include "sluice/core/json_escape.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sluice::core {
namespace {

std::string escaped(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(CoreJsonEscape, EscapesAsRfc8259Asks) {
  EXPECT_EQ(escaped("a\"b\\c\n\t\x01"), R"("a\"b\\c\n\t\u0001")");
  EXPECT_EQ(escaped("\xC3\xA9\xF0\x9F\x98\x80"), "\"\xC3\xA9\xF0\x9F\x98\x80\"");  // valid UTF-8 as it is
}

TEST(CoreJsonEscape, InvalidUtf8BecomesReplacementCharacters) {
  for (const std::string& bad : {std::string("/v1/\xff\xfe"), std::string("\xC3"), std::string("\xC0\xAF"),
                                std::string("\xED\xA0\x80"), std::string("\xF4\x90\x80\x80"), std::string("a\x80z")}) {
    const std::string out = escaped(bad);
    const auto parsed = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(parsed.is_discarded()) << out;
    EXPECT_NE(parsed.get<std::string>().find("\xEF\xBF\xBD"), std::string::npos) << out;
  }
  EXPECT_EQ(escaped("a\x80z"), "\"a\xEF\xBF\xBDz\"");
}

TEST(CoreJsonEscape, Utf8SequenceLength) {
  EXPECT_EQ(utf8_sequence_length(""), 0u);
  EXPECT_EQ(utf8_sequence_length("a"), 1u);
  EXPECT_EQ(utf8_sequence_length("\xC3\xA9"), 2u);
  EXPECT_EQ(utf8_sequence_length("\xE2\x82\xAC"), 3u);
  EXPECT_EQ(utf8_sequence_length("\xF0\x9F\x98\x80"), 4u);
  EXPECT_EQ(utf8_sequence_length("\xE2\x82"), 0u);    // cut short
  EXPECT_EQ(utf8_sequence_length("\xE0\x80\x80"), 0u);  // overlong
  EXPECT_EQ(utf8_sequence_length("\x80"), 0u);
}

}  // namespace
}  // namespace sluice::core
