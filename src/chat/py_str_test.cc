#include "chat/py_str.h"

#include <gtest/gtest.h>

namespace radixlm::chat {
namespace {

TEST(PyStrTest, FloatRepr) {
  EXPECT_EQ(PyFloatRepr(1.0), "1.0");
  EXPECT_EQ(PyFloatRepr(1.5), "1.5");
  EXPECT_EQ(PyFloatRepr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(PyFloatRepr(1e16), "1e+16");
  EXPECT_EQ(PyFloatRepr(1e15), "1000000000000000.0");
  EXPECT_EQ(PyFloatRepr(1e-5), "1e-05");
  EXPECT_EQ(PyFloatRepr(0.0001), "0.0001");
  EXPECT_EQ(PyFloatRepr(-2.5e-7), "-2.5e-07");
  EXPECT_EQ(PyFloatRepr(123456.789), "123456.789");
}

TEST(PyStrTest, StripAndSplit) {
  EXPECT_EQ(PyStrip("  a b \n\t", std::nullopt, true, true), "a b");
  EXPECT_EQ(PyStrip("\u3000a\u00a0", std::nullopt, true, true), "a");
  EXPECT_EQ(PyStrip("\n\nx\n", std::string("\n"), true, false), "x\n");
  EXPECT_EQ(PyStrip("xxhixx", std::string("x"), false, true), "xxhi");
  auto parts = PySplit(" a  b c ", std::nullopt, -1);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[2], "c");
  parts = PySplit("a</think>b</think>c", std::string("</think>"), -1);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[1], "b");
  parts = PySplit(",a,", std::string(","), -1);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], "");
}

TEST(PyStrTest, CodePointsAndRepr) {
  EXPECT_EQ(CodePointLength("héllo🌍"), 6u);
  EXPECT_EQ(PyRepr("it's"), "\"it's\"");
  EXPECT_EQ(PyRepr("a'b\"c"), "'a\\'b\"c'");
  EXPECT_EQ(PyRepr("x\ny"), "'x\\ny'");
  std::vector<int64_t> idx;
  PySliceIndices(4, std::nullopt, std::nullopt, -1, &idx);
  EXPECT_EQ(idx, (std::vector<int64_t>{3, 2, 1, 0}));
  PySliceIndices(4, 1, std::nullopt, 1, &idx);
  EXPECT_EQ(idx, (std::vector<int64_t>{1, 2, 3}));
  PySliceIndices(4, -2, 100, 1, &idx);
  EXPECT_EQ(idx, (std::vector<int64_t>{2, 3}));
}

}  // namespace
}  // namespace radixlm::chat
