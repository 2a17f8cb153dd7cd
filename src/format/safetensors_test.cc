#include "format/safetensors.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>

namespace radixlm {
namespace {

// header JSON + data bytes -> a safetensors file image.
std::string Build(const std::string& json, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = json.size();
  std::memcpy(out.data(), &n, 8);
  return out + json + data;
}

Status ParseCopy(const std::string& bytes, std::unique_ptr<SafetensorsFile>* out = nullptr) {
  // Exact-size heap copy so ASan builds catch overreads; kept alive in a
  // static because *out points into it.
  static std::vector<uint8_t> copy;
  copy.assign(bytes.begin(), bytes.end());
  std::unique_ptr<SafetensorsFile> st;
  Status s = SafetensorsFile::Parse(MappedFile::FromBuffer(copy.data(), copy.size()), &st);
  if (!s.ok()) return s;
  for (const auto& t : st->tensors()) {
    EXPECT_LE(t.data + t.n_bytes, copy.data() + copy.size());
    std::vector<float> f;
    std::vector<int64_t> i;
    (void)SafetensorsFile::ToFloat(t, &f);
    (void)SafetensorsFile::ToInt(t, &i);
  }
  if (out) *out = std::move(st);
  return s;
}

std::string SmallValid() {
  std::string data(4 * 6 + 2 * 2 + 8 * 1, '\0');
  const float f[6] = {1, 2, 3, 4, 5, 6};
  std::memcpy(data.data(), f, sizeof(f));
  const uint16_t bf[2] = {0x3f80, 0xc000};  // 1.0, -2.0
  std::memcpy(data.data() + 24, bf, 4);
  const int64_t id = -7;
  std::memcpy(data.data() + 28, &id, 8);
  return Build(
      R"({"__metadata__":{"format":"pt"},)"
      R"("w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
      R"("b":{"dtype":"BF16","shape":[2],"data_offsets":[24,28]},)"
      R"("id":{"dtype":"I64","shape":[],"data_offsets":[28,36]}}   )",
      data);
}

TEST(SafetensorsTest, SmallValid) {
  std::unique_ptr<SafetensorsFile> st;
  Status s = ParseCopy(SmallValid(), &st);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(st->metadata().at("format"), "pt");
  ASSERT_EQ(st->tensors().size(), 3u);
  const SafetensorInfo* w = st->Find("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->shape, (std::vector<uint64_t>{2, 3}));
  std::vector<float> f;
  ASSERT_TRUE(SafetensorsFile::ToFloat(*w, &f).ok());
  EXPECT_EQ(f, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  ASSERT_TRUE(SafetensorsFile::ToFloat(*st->Find("b"), &f).ok());
  EXPECT_EQ(f, (std::vector<float>{1, -2}));
  std::vector<int64_t> ids;
  ASSERT_TRUE(SafetensorsFile::ToInt(*st->Find("id"), &ids).ok());
  EXPECT_EQ(ids, (std::vector<int64_t>{-7}));
  EXPECT_EQ(SafetensorsFile::ToInt(*w, &ids).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(SafetensorsFile::ToFloat(*st->Find("id"), &f).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(st->Find("zz"), nullptr);
}

TEST(SafetensorsTest, GoldenLlama2Tiny) {
  std::unique_ptr<SafetensorsFile> st;
  Status s = SafetensorsFile::Open(
      std::string(RADIXLM_SOURCE_DIR) + "/testdata/golden/llama2-tiny/golden.safetensors", &st);
  ASSERT_TRUE(s.ok()) << s.ToString();
  for (const auto& t : st->tensors()) {
    std::printf("  %s dtype=%d shape[0]=%llu n=%llu\n", t.name.c_str(), static_cast<int>(t.dtype),
                static_cast<unsigned long long>(t.shape.empty() ? 0 : t.shape[0]),
                static_cast<unsigned long long>(t.n_elements));
  }
  const SafetensorInfo* ids = st->Find("len7.input_ids");
  ASSERT_NE(ids, nullptr);
  EXPECT_EQ(ids->dtype, StDType::kI32);
  EXPECT_EQ(ids->shape, (std::vector<uint64_t>{7}));
  const SafetensorInfo* logits = st->Find("len7.logits_tail");
  ASSERT_NE(logits, nullptr);
  EXPECT_EQ(logits->dtype, StDType::kF32);
  EXPECT_EQ(logits->shape, (std::vector<uint64_t>{4, 32000}));
  std::vector<float> l;
  ASSERT_TRUE(SafetensorsFile::ToFloat(*logits, &l).ok());
  // golden.json: len7 argmax_last = 29965, greedy16 starts with it.
  const auto last = l.begin() + 3 * 32000;
  EXPECT_EQ(std::max_element(last, l.end()) - last, 29965);
  std::vector<int64_t> argmax, greedy;
  ASSERT_TRUE(SafetensorsFile::ToInt(*st->Find("len7.argmax_all"), &argmax).ok());
  ASSERT_EQ(argmax.size(), 7u);
  EXPECT_EQ(argmax.back(), 29965);
  ASSERT_TRUE(SafetensorsFile::ToInt(*st->Find("len7.greedy16"), &greedy).ok());
  ASSERT_EQ(greedy.size(), 16u);
  EXPECT_EQ(greedy[12], 22885);
}

TEST(SafetensorsTest, EveryTruncation) {
  const std::string full = SmallValid();
  for (size_t n = 0; n < full.size(); n++) {
    EXPECT_FALSE(ParseCopy(full.substr(0, n)).ok()) << n;
  }
  EXPECT_TRUE(ParseCopy(full).ok());
}

TEST(SafetensorsTest, RandomBitFlips) {
  const std::string full = SmallValid();
  std::mt19937_64 rng(2024);
  int failures = 0;
  for (int iter = 0; iter < 10000; iter++) {
    std::string bytes = full;
    for (int f = 0, n = 1 + rng() % 3; f < n; f++) {
      bytes[rng() % bytes.size()] ^= static_cast<char>(1u << (rng() % 8));
    }
    if (!ParseCopy(bytes).ok()) failures++;
  }
  EXPECT_GT(failures, 500);
}

void ExpectError(const std::string& bytes, const std::string& fragment) {
  Status s = ParseCopy(bytes);
  ASSERT_FALSE(s.ok()) << fragment;
  EXPECT_NE(s.message().find(fragment), std::string::npos) << s.ToString();
}

TEST(SafetensorsTest, Hostile) {
  std::string huge(8, '\xff');
  ExpectError(huge + "{}", "header length");
  ExpectError("1234567", "no header length");
  ExpectError(Build("{", ""), "not valid JSON");
  ExpectError(Build("[]", ""), "not a JSON object");
  ExpectError(Build(std::string(1000, '[') + std::string(1000, ']'), ""), "nests deeper");
  ExpectError(Build(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "1234567"),
              "outside the data section");
  ExpectError(Build(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", "12345678"),
              "need 12");
  ExpectError(Build(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", "12345678"),
              "outside");
  ExpectError(Build(R"({"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})", "12"),
              "unsupported dtype \"F8_E4M3\"");
  ExpectError(Build(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", "12345678"),
              "non-negative integer");
  ExpectError(Build(R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}})", "12345678"),
              "non-negative integer");
  ExpectError(Build(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
                    "12345678"),
              "overflows");
  ExpectError(Build(R"({"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,8]}})",
                    "12345678"),
              "byte size overflows");
  ExpectError(Build(R"({"a":{"dtype":"F32","shape":[2]}})", "12345678"), "data_offsets");
  ExpectError(Build(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", "12345678"), "dtype");
  ExpectError(Build(R"({"a":5})", ""), "not an object");
  ExpectError(Build(R"({"__metadata__":{"k":1}})", ""), "'k' is not a string");
  ExpectError(Build(R"({"__metadata__":[1]})", ""), "__metadata__ is not an object");
  ExpectError(Build("{\"a\xff\":{}}", ""), "not valid JSON");
  EXPECT_TRUE(ParseCopy(Build("{}", "")).ok());
  EXPECT_TRUE(ParseCopy(Build(R"({"e":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}})", "")).ok());
}

TEST(SafetensorsTest, SeedCorpusParses) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(RADIXLM_SOURCE_DIR) +
                                                           "/fuzz/corpus/safetensors")) {
    std::unique_ptr<SafetensorsFile> st;
    Status s = SafetensorsFile::Open(e.path().string(), &st);
    EXPECT_TRUE(s.ok()) << s.ToString();
    n++;
  }
  EXPECT_GE(n, 2);
}

}  // namespace
}  // namespace radixlm
