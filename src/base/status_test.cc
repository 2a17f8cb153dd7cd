#include "base/status.h"

#include <gtest/gtest.h>

namespace radixlm {
namespace {

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_EQ(s.message(), "");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s = Status::Corruption("bad magic");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(s.ToString(), "Corruption: bad magic");
  Status copy = s;
  EXPECT_EQ(copy.ToString(), s.ToString());
  EXPECT_EQ(s.WithContext("model.gguf").message(), "model.gguf: bad magic");
  EXPECT_TRUE(Status::Ok().WithContext("x").ok());
}

Status Fails() { return Status::NotFound("x"); }
Status Propagates() {
  RLM_RETURN_IF_ERROR(Fails());
  return Status::Ok();
}

TEST(StatusTest, ReturnIfError) { EXPECT_EQ(Propagates().code(), Status::Code::kNotFound); }

}  // namespace
}  // namespace radixlm
