// GgufFile::Parse on damaged and hostile input: it must return a Status
// (never crash, never read outside the buffer) and name what went wrong.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "base/half.h"
#include "format/gguf.h"
#include "format/gguf_writer.h"

namespace radixlm {
namespace {

// Parses an exact-size heap copy (so ASan builds see any overread), then
// touches every value and every tensor byte range the parser handed out.
Status ParseCopy(const std::string& bytes) {
  std::vector<uint8_t> copy(bytes.begin(), bytes.end());
  std::unique_ptr<GgufFile> g;
  Status s = GgufFile::Parse(MappedFile::FromBuffer(copy.data(), copy.size()), &g);
  if (!s.ok()) return s;
  for (const auto& [key, v] : g->metadata()) {
    (void)GgufFile::ValueToString(v);
    std::vector<int64_t> ints;
    std::vector<float> floats;
    (void)g->GetIntArray(key, &ints);
    (void)g->GetFloatArray(key, &floats);
  }
  volatile uint8_t sink = 0;
  for (const auto& t : g->tensors()) {
    EXPECT_LE(t.data + t.n_bytes, copy.data() + copy.size());
    if (t.n_bytes > 0) sink = sink + t.data[0] + t.data[t.n_bytes - 1];
  }
  return s;
}

std::string SmallValidGguf() {
  static std::vector<float> f32(16);
  static std::vector<uint16_t> f16(32);
  static std::vector<uint8_t> q8(34), q4(18);
  for (size_t i = 0; i < f32.size(); i++) f32[i] = i * 0.5f;
  for (size_t i = 0; i < f16.size(); i++) f16[i] = F32ToF16(i * 0.25f);
  GgufWriter w;
  w.AddString("general.architecture", "llama");
  w.AddU32("llama.block_count", 1);
  w.AddI32("i", -3);
  w.AddU64("u", 99);
  w.AddF32("eps", 1e-5f);
  w.AddBool("b", true);
  w.AddStringArray("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "hi"});
  w.AddF32Array("tokenizer.ggml.scores", {0, -1, -2, -3});
  w.AddI32Array("tokenizer.ggml.token_type", {2, 3, 3, 1});
  EXPECT_TRUE(w.AddTensor("a", {16}, DType::kF32, f32.data(), 64).ok());
  EXPECT_TRUE(w.AddTensor("b", {16, 2}, DType::kF16, f16.data(), 64).ok());
  EXPECT_TRUE(w.AddTensor("c", {32}, DType::kQ8_0, q8.data(), 34).ok());
  EXPECT_TRUE(w.AddTensor("d", {32, 1, 1, 1}, DType::kQ4_0, q4.data(), 18).ok());
  return w.Serialize();
}

TEST(GgufHostileTest, ValidBaseline) {
  Status s = ParseCopy(SmallValidGguf());
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(GgufHostileTest, EveryTruncation) {
  const std::string full = SmallValidGguf();
  // The last tensor's data ends before the final alignment padding.
  size_t data_end = 0;
  {
    std::unique_ptr<GgufFile> g;
    ASSERT_TRUE(GgufFile::Parse(MappedFile::FromBuffer(full.data(), full.size()), &g).ok());
    const auto& t = g->tensors().back();
    data_end = t.data + t.n_bytes - reinterpret_cast<const uint8_t*>(full.data());
  }
  for (size_t n = 0; n < full.size(); n++) {
    Status s = ParseCopy(full.substr(0, n));
    if (n < data_end) {
      EXPECT_FALSE(s.ok()) << "prefix " << n;
    } else {
      EXPECT_TRUE(s.ok()) << "prefix " << n << ": " << s.ToString();
    }
  }
}

TEST(GgufHostileTest, RandomBitFlips) {
  const std::string full = SmallValidGguf();
  std::mt19937_64 rng(12345);
  int failures = 0;
  for (int iter = 0; iter < 10000; iter++) {
    std::string bytes = full;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; f++) {
      const size_t pos = rng() % bytes.size();
      if (rng() % 2) {
        bytes[pos] ^= static_cast<char>(1u << (rng() % 8));
      } else {
        bytes[pos] = static_cast<char>(rng());
      }
    }
    if (!ParseCopy(bytes).ok()) failures++;
  }
  // Most flips land in the header and break something; many are benign.
  EXPECT_GT(failures, 500);
}

// Hand-built GGUF bytes, for layouts the writer refuses to produce.
class Raw {
 public:
  explicit Raw(uint32_t version = 3, uint64_t n_tensors = 0, uint64_t n_kv = 0) {
    s_.append("GGUF", 4);
    U32(version);
    U64(n_tensors);
    U64(n_kv);
  }
  Raw& U8(uint8_t v) { return Put(v); }
  Raw& U32(uint32_t v) { return Put(v); }
  Raw& U64(uint64_t v) { return Put(v); }
  Raw& Str(const std::string& v) {
    U64(v.size());
    s_ += v;
    return *this;
  }
  Raw& KvU32(const std::string& key, uint32_t v) { return Str(key).U32(4).U32(v); }
  Raw& Tensor(const std::string& name, std::vector<uint64_t> dims, uint32_t type, uint64_t off) {
    Str(name).U32(static_cast<uint32_t>(dims.size()));
    for (uint64_t d : dims) U64(d);
    return U32(type).U64(off);
  }
  Raw& PadTo(size_t align) {
    s_.resize((s_.size() + align - 1) / align * align, '\0');
    return *this;
  }
  Raw& Zeros(size_t n) {
    s_.append(n, '\0');
    return *this;
  }
  const std::string& str() const { return s_; }

 private:
  template <typename T>
  Raw& Put(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    s_.append(b, sizeof(T));
    return *this;
  }
  std::string s_;
};

void ExpectError(const std::string& bytes, const std::string& fragment) {
  Status s = ParseCopy(bytes);
  ASSERT_FALSE(s.ok()) << "expected an error containing: " << fragment;
  EXPECT_NE(s.message().find(fragment), std::string::npos) << s.ToString();
}

TEST(GgufHostileTest, Header) {
  ExpectError("", "magic");
  ExpectError("GGU", "magic");
  ExpectError("GGML\x03\0\0\0", "bad magic");
  ExpectError(Raw(1).str(), "unsupported GGUF version 1");
  ExpectError(Raw(4).str(), "unsupported GGUF version 4");
  ExpectError(Raw(0x03000000).str(), "big-endian");
  EXPECT_TRUE(ParseCopy(Raw(2).str()).ok());
  EXPECT_TRUE(ParseCopy(Raw(3).str()).ok());
}

TEST(GgufHostileTest, HugeCounts) {
  ExpectError(Raw(3, 0, ~uint64_t{0}).str(), "metadata count");
  ExpectError(Raw(3, uint64_t{1} << 62, 0).str(), "tensor count");
  ExpectError(Raw(3, 0, 1).str(), "metadata count 1 cannot fit");
}

TEST(GgufHostileTest, Strings) {
  ExpectError(Raw(3, 0, 1).U64(~uint64_t{0}).Zeros(16).str(), "string length");
  ExpectError(Raw(3, 0, 1).U64(1000).Zeros(16).str(), "string length 1000");
  // Value string too long.
  ExpectError(Raw(3, 0, 1).Str("k").U32(8).U64(uint64_t{1} << 40).str(), "'k'");
}

TEST(GgufHostileTest, Values) {
  ExpectError(Raw(3, 0, 1).Str("k").U32(13).U32(0).str(), "unknown value type 13");
  ExpectError(Raw(3, 0, 1).Str("k").U32(7).U8(2).Zeros(8).str(), "bool byte is 2");
  ExpectError(Raw(3, 0, 1).Str("k").U32(9).U32(9).U64(1).Zeros(16).str(), "nested arrays");
  ExpectError(Raw(3, 0, 1).Str("k").U32(9).U32(77).U64(1).Zeros(16).str(),
              "unknown array element type 77");
  ExpectError(Raw(3, 0, 1).Str("k").U32(9).U32(4).U64(uint64_t{1} << 62).Zeros(16).str(),
              "array of 4611686018427387904 elements");
  ExpectError(Raw(3, 0, 1).Str("k").U32(9).U32(8).U64(1000).Zeros(64).str(), "array of 1000");
  ExpectError(Raw(3, 0, 2).KvU32("k", 1).KvU32("k", 2).str(), "duplicate metadata key 'k'");
}

TEST(GgufHostileTest, Alignment) {
  ExpectError(Raw(3, 0, 1).KvU32("general.alignment", 0).str(), "not a power of two");
  ExpectError(Raw(3, 0, 1).KvU32("general.alignment", 48).str(), "not a power of two");
  ExpectError(Raw(3, 0, 1).Str("general.alignment").U32(8).Str("x").str(), "general.alignment");
  std::unique_ptr<GgufFile> g;
  const std::string ok = Raw(3, 1, 1)
                             .KvU32("general.alignment", 8)
                             .Tensor("t", {2}, 0, 8)
                             .PadTo(8)
                             .Zeros(16)
                             .str();
  EXPECT_TRUE(ParseCopy(ok).ok());
  ExpectError(Raw(3, 1, 1).KvU32("general.alignment", 8).Tensor("t", {2}, 0, 4).PadTo(8).Zeros(16).str(),
              "offset 4 is not a multiple of the alignment 8");
}

TEST(GgufHostileTest, Tensors) {
  auto one = [](std::vector<uint64_t> dims, uint32_t type, uint64_t off, size_t data) {
    return Raw(3, 1, 0).Tensor("blk.0.attn_q.weight", dims, type, off).PadTo(32).Zeros(data).str();
  };
  EXPECT_TRUE(ParseCopy(one({4, 2}, 0, 0, 32)).ok());
  ExpectError(one({4, 2}, 0, 0, 31), "tensor 'blk.0.attn_q.weight': data [");
  ExpectError(one({4, 2}, 0, 0, 31), "exceeds file size");
  ExpectError(one({4, 2}, 0, 32, 32), "exceeds file size");
  ExpectError(one({4, 2}, 0, ~uint64_t{0} - 31, 32), "overflows");
  ExpectError(one({1, 1, 1, 1, 1}, 0, 0, 32), "n_dims 5 exceeds 4");
  ExpectError(one({uint64_t{1} << 40, uint64_t{1} << 40}, 0, 0, 32), "element count overflows");
  ExpectError(one({~uint64_t{0}}, 0, 0, 32), "element count overflows");
  ExpectError(one({uint64_t{1} << 61}, 0, 0, 32), "exceeds file size");
  ExpectError(one({4}, 6, 0, 32), "tensor 'blk.0.attn_q.weight': unsupported tensor type id 6");
  ExpectError(one({4}, 10, 0, 32), "type id 10");
  ExpectError(one({33}, 8, 0, 64), "ne[0] = 33 is not a multiple of the q8_0 block size 32");
  // Zero-sized tensors are allowed, and the writer accepts whatever the
  // parser does (fuzzer finding: dims {2^62 + 32, 0}).
  EXPECT_TRUE(ParseCopy(one({0, 5}, 0, 0, 0)).ok());
  EXPECT_TRUE(ParseCopy(one({(uint64_t{1} << 62) + 32, 0}, 8, 0, 0)).ok());
  GgufWriter w;
  EXPECT_TRUE(w.AddTensor("z", {(uint64_t{1} << 62) + 32, 0}, DType::kQ8_0, nullptr, 0).ok());
  EXPECT_EQ(w.AddTensor("big", {uint64_t{1} << 62, 4}, DType::kF32, nullptr, 0).code(),
            Status::Code::kInvalidArgument);
  // Duplicate names.
  ExpectError(Raw(3, 2, 0).Tensor("x", {1}, 0, 0).Tensor("x", {1}, 0, 32).PadTo(32).Zeros(64).str(),
              "duplicate tensor name 'x'");
}

// The committed fuzz seeds (fuzz/make_seed_corpus) must stay valid files.
TEST(GgufHostileTest, SeedCorpusParses) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(RADIXLM_SOURCE_DIR) +
                                                           "/fuzz/corpus/gguf")) {
    std::unique_ptr<GgufFile> g;
    Status s = GgufFile::Open(e.path().string(), &g);
    EXPECT_TRUE(s.ok()) << s.ToString();
    n++;
  }
  EXPECT_GE(n, 3);
}

}  // namespace
}  // namespace radixlm
