#include "server/api_response.h"

#include <gtest/gtest.h>

namespace radixlm {
namespace {

using json = nlohmann::json;

ResponseMeta Meta(ApiEndpoint ep) {
  ResponseMeta m;
  m.endpoint = ep;
  m.id = NewResponseId(ep);
  m.created = 1700000000;
  m.model = "stories260K.bin";
  return m;
}

TEST(ApiResponseTest, Ids) {
  EXPECT_EQ(NewResponseId(ApiEndpoint::kCompletions).rfind("cmpl-", 0), 0u);
  EXPECT_EQ(NewResponseId(ApiEndpoint::kChatCompletions).rfind("chatcmpl-", 0), 0u);
  EXPECT_NE(NewResponseId(ApiEndpoint::kCompletions), NewResponseId(ApiEndpoint::kCompletions));
}

TEST(ApiResponseTest, CompletionWithLogprobsAndUsage) {
  ChoiceResult c;
  c.text = "ab";
  c.finish_reason = "length";
  c.logprobs = {{"a", -0.5f, {{"a", -0.5f}, {"b", -1.5f}}}, {"b", -0.25f, {{"b", -0.25f}}}};
  UsageInfo u{5, 2, 3};
  json j = ResponseJson(Meta(ApiEndpoint::kCompletions), {c}, true, u);
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["model"], "stories260K.bin");
  EXPECT_EQ(j["created"], 1700000000);
  EXPECT_EQ(j["choices"][0]["text"], "ab");
  EXPECT_EQ(j["choices"][0]["index"], 0);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  const json& lp = j["choices"][0]["logprobs"];
  EXPECT_EQ(lp["tokens"], json({"a", "b"}));
  EXPECT_EQ(lp["token_logprobs"], json({-0.5, -0.25}));
  EXPECT_EQ(lp["top_logprobs"][0]["b"], -1.5);
  EXPECT_EQ(lp["text_offset"], json({0, 1}));
  EXPECT_EQ(j["usage"]["prompt_tokens"], 5);
  EXPECT_EQ(j["usage"]["completion_tokens"], 2);
  EXPECT_EQ(j["usage"]["total_tokens"], 7);
  EXPECT_EQ(j["usage"]["prompt_tokens_details"]["cached_tokens"], 3);
  json no_lp = ResponseJson(Meta(ApiEndpoint::kCompletions), {c}, false, u);
  EXPECT_TRUE(no_lp["choices"][0]["logprobs"].is_null());
}

TEST(ApiResponseTest, ChatShapes) {
  ChoiceResult c;
  c.text = "hi";
  c.finish_reason = "stop";
  c.logprobs = {{"hi", -0.1f, {{"hi", -0.1f}, {"yo", -3.0f}}}};
  json j = ResponseJson(Meta(ApiEndpoint::kChatCompletions), {c}, true, UsageInfo{});
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(j["choices"][0]["message"]["content"], "hi");
  const json& content = j["choices"][0]["logprobs"]["content"];
  EXPECT_EQ(content[0]["token"], "hi");
  EXPECT_EQ(content[0]["bytes"], json({104, 105}));
  EXPECT_EQ(content[0]["top_logprobs"][1]["token"], "yo");
  EXPECT_EQ(content[0]["top_logprobs"][1]["logprob"], -3.0);

  ResponseMeta m = Meta(ApiEndpoint::kChatCompletions);
  json first = ChunkJson(m, 0, "", true, false, {}, 0, "", true);
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"], json({{"role", "assistant"}, {"content", ""}}));
  EXPECT_TRUE(first["choices"][0]["finish_reason"].is_null());
  EXPECT_TRUE(first.contains("usage") && first["usage"].is_null());
  json last = ChunkJson(m, 1, "", false, false, {}, 0, "stop", false);
  EXPECT_EQ(last["choices"][0]["delta"], json::object());
  EXPECT_EQ(last["choices"][0]["index"], 1);
  EXPECT_EQ(last["choices"][0]["finish_reason"], "stop");
  EXPECT_FALSE(last.contains("usage"));
  json usage = UsageChunkJson(m, UsageInfo{3, 4, 1});
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["total_tokens"], 7);
}

TEST(ApiResponseTest, Utf8) {
  EXPECT_EQ(CompleteUtf8Prefix("abc"), 3u);
  EXPECT_EQ(CompleteUtf8Prefix("a\xC3"), 1u);          // 2-byte start
  EXPECT_EQ(CompleteUtf8Prefix("a\xC3\xA9"), 3u);      // é complete
  EXPECT_EQ(CompleteUtf8Prefix("a\xE2\x82"), 1u);      // € incomplete
  EXPECT_EQ(CompleteUtf8Prefix("\xF0\x9F\x98\x80"), 4u);
  EXPECT_EQ(CompleteUtf8Prefix("\xF0\x9F\x98"), 0u);
  // Invalid bytes are replaced, never thrown on.
  json j = {{"text", std::string("a\xC3")}};
  EXPECT_EQ(DumpJson(j), "{\"text\":\"a\xEF\xBF\xBD\"}");
  EXPECT_EQ(SseData(json{{"a", 1}}), "data: {\"a\":1}\n\n");
}

}  // namespace
}  // namespace radixlm
