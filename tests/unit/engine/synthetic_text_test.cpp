#include "sluice/engine/synthetic_text.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace sluice::engine {
namespace {

TEST(EngineSyntheticText, DeterministicFromSeedAndPrompt) {
  const auto key = synthetic_text_key(7, "hello");
  std::string a;
  std::string b;
  append_synthetic_text(a, key, 0, 20);
  append_synthetic_text(b, synthetic_text_key(7, "hello"), 0, 20);
  EXPECT_EQ(a, b);
  EXPECT_EQ(count_words(a), 20);
  std::string other_seed;
  append_synthetic_text(other_seed, synthetic_text_key(8, "hello"), 0, 20);
  EXPECT_NE(a, other_seed);
  std::string other_prompt;
  append_synthetic_text(other_prompt, synthetic_text_key(7, "hello!"), 0, 20);
  EXPECT_NE(a, other_prompt);
}

TEST(EngineSyntheticText, ContinuationCarriesOn) {
  const auto key = synthetic_text_key(0, "conversation");
  std::string whole;
  append_synthetic_text(whole, key, 0, 30);
  std::string head;
  append_synthetic_text(head, key, 0, 12);
  std::string tail;
  append_synthetic_text(tail, key, count_words(head), 18);
  EXPECT_EQ(head + tail, whole);
}

TEST(EngineSyntheticText, WordsWithLeadingSpace) {
  std::set<std::string_view> distinct;
  for (int i = 0; i < 200; ++i) {
    const auto token = synthetic_token(99, i);
    ASSERT_FALSE(token.empty());
    EXPECT_EQ(token.front(), ' ');
    distinct.insert(token);
  }
  EXPECT_GT(distinct.size(), 8U);
  EXPECT_EQ(count_words("  a b\tc\n"), 3);
  EXPECT_EQ(count_words(""), 0);
}

}  // namespace
}  // namespace sluice::engine
