#include "server/api_request.h"

#include <gtest/gtest.h>

#include "server/api_prepare.h"

namespace radixlm {
namespace {

bool Parse(const std::string& body, ApiEndpoint ep, ApiRequest* r, ApiError* e) {
  return ParseApiRequest(body, ep, ApiLimits{}, r, e);
}

ApiError Fails(const std::string& body, ApiEndpoint ep = ApiEndpoint::kCompletions) {
  ApiRequest r;
  ApiError e;
  EXPECT_FALSE(Parse(body, ep, &r, &e)) << body;
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.type, "invalid_request_error");
  return e;
}

TEST(ApiRequestTest, CompletionFields) {
  ApiRequest r;
  ApiError e;
  ASSERT_TRUE(Parse(R"({"model":"m","prompt":"Once","max_tokens":7,"temperature":0,
      "top_p":0.5,"top_k":3,"min_p":0.1,"stop":["a","b"],"seed":42,"n":3,"stream":true,
      "stream_options":{"include_usage":true},"presence_penalty":0.5,"frequency_penalty":-1,
      "repetition_penalty":1.1,"logprobs":2,"echo":true,"cache_salt":"t1","user":"x",
      "unknown_field":{"ignored":true}})",
                    ApiEndpoint::kCompletions, &r, &e))
      << e.message;
  ASSERT_EQ(r.prompts.size(), 1u);
  EXPECT_FALSE(r.prompts[0].is_tokens);
  EXPECT_EQ(r.prompts[0].text, "Once");
  EXPECT_EQ(r.max_tokens, 7);
  EXPECT_EQ(r.sampling.temperature, 0.0f);
  EXPECT_FLOAT_EQ(r.sampling.top_p, 0.5f);
  EXPECT_EQ(r.sampling.top_k, 3);
  EXPECT_FLOAT_EQ(r.sampling.min_p, 0.1f);
  EXPECT_EQ(r.stop, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(r.seed_given);
  EXPECT_EQ(r.sampling.seed, 42u);
  EXPECT_EQ(r.n, 3);
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_FLOAT_EQ(r.sampling.presence_penalty, 0.5f);
  EXPECT_FLOAT_EQ(r.sampling.frequency_penalty, -1.0f);
  EXPECT_FLOAT_EQ(r.sampling.repeat_penalty, 1.1f);
  EXPECT_EQ(r.logprobs, 2);
  EXPECT_TRUE(r.echo);
  EXPECT_EQ(r.cache_salt, "t1");
}

TEST(ApiRequestTest, PromptShapes) {
  ApiRequest r;
  ApiError e;
  ASSERT_TRUE(Parse(R"({"prompt":[1,403,407]})", ApiEndpoint::kCompletions, &r, &e));
  ASSERT_EQ(r.prompts.size(), 1u);
  EXPECT_TRUE(r.prompts[0].is_tokens);
  EXPECT_EQ(r.prompts[0].tokens, (std::vector<int32_t>{1, 403, 407}));
  ASSERT_TRUE(Parse(R"({"prompt":["a","b"]})", ApiEndpoint::kCompletions, &r, &e));
  EXPECT_EQ(r.prompts.size(), 2u);
  ASSERT_TRUE(Parse(R"({"prompt":[[1,2],[1,3,4]]})", ApiEndpoint::kCompletions, &r, &e));
  ASSERT_EQ(r.prompts.size(), 2u);
  EXPECT_EQ(r.prompts[1].tokens.size(), 3u);
  // Defaults: null means absent; max_completion_tokens works too.
  ASSERT_TRUE(Parse(R"({"prompt":"x","max_tokens":null,"max_completion_tokens":4,"stop":"s"})",
                    ApiEndpoint::kCompletions, &r, &e));
  EXPECT_EQ(r.max_tokens, 4);
  EXPECT_EQ(r.stop, (std::vector<std::string>{"s"}));
  EXPECT_FALSE(r.seed_given);
  EXPECT_EQ(r.logprobs, -1);
  EXPECT_EQ(r.n, 1);
}

TEST(ApiRequestTest, ChatFields) {
  ApiRequest r;
  ApiError e;
  ASSERT_TRUE(Parse(R"({"messages":[{"role":"system","content":"Be brief."},
      {"role":"user","content":[{"type":"text","text":"Hi "},{"type":"text","text":"there"}]},
      {"role":"assistant","content":null}],"logprobs":true,"top_logprobs":3})",
                    ApiEndpoint::kChatCompletions, &r, &e))
      << e.message;
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[1].content, "Hi there");
  EXPECT_EQ(r.messages[2].role, "assistant");
  EXPECT_EQ(r.logprobs, 3);
  ASSERT_TRUE(Parse(R"({"messages":[{"role":"user","content":"x"}],"logprobs":true})",
                    ApiEndpoint::kChatCompletions, &r, &e));
  EXPECT_EQ(r.logprobs, 0);
  ASSERT_TRUE(Parse(R"({"messages":[{"role":"user","content":"x"}],"logprobs":false})",
                    ApiEndpoint::kChatCompletions, &r, &e));
  EXPECT_EQ(r.logprobs, -1);
}

TEST(ApiRequestTest, BadBodiesAndFields) {
  EXPECT_EQ(Fails("{not json").code, "invalid_json");
  Fails("[1,2]");
  EXPECT_EQ(Fails(R"({"max_tokens":3})").param, "prompt");
  EXPECT_EQ(Fails(R"({"prompt":5})").param, "prompt");
  EXPECT_EQ(Fails(R"({"prompt":[]})").param, "prompt");
  EXPECT_EQ(Fails(R"({"prompt":[1,-2]})").param, "prompt");
  EXPECT_EQ(Fails(R"({"prompt":[1.5]})").param, "prompt");
  EXPECT_EQ(Fails(R"({"prompt":"x","max_tokens":"10"})").param, "max_tokens");
  EXPECT_EQ(Fails(R"({"prompt":"x","max_tokens":-1})").param, "max_tokens");
  EXPECT_EQ(Fails(R"({"prompt":"x","max_tokens":2.5})").param, "max_tokens");
  EXPECT_EQ(Fails(R"({"prompt":"x","temperature":3})").param, "temperature");
  EXPECT_EQ(Fails(R"({"prompt":"x","temperature":true})").param, "temperature");
  EXPECT_EQ(Fails(R"({"prompt":"x","top_p":0})").param, "top_p");
  EXPECT_EQ(Fails(R"({"prompt":"x","n":0})").param, "n");
  EXPECT_EQ(Fails(R"({"prompt":"x","n":1000})").param, "n");
  EXPECT_EQ(Fails(R"({"prompt":"x","stop":[1]})").param, "stop");
  EXPECT_EQ(Fails(R"({"prompt":"x","stream":"yes"})").param, "stream");
  EXPECT_EQ(Fails(R"({"prompt":"x","logprobs":21})").param, "logprobs");
  EXPECT_EQ(Fails(R"({"prompt":"x","seed":"1"})").param, "seed");
  EXPECT_EQ(Fails(R"({"prompt":"x","cache_salt":1})").param, "cache_salt");
  EXPECT_EQ(Fails(R"({"prompt":"x","presence_penalty":-3})").param, "presence_penalty");
  EXPECT_EQ(Fails(R"({"prompt":"x","stream_options":true})").param, "stream_options");
  const ApiEndpoint chat = ApiEndpoint::kChatCompletions;
  EXPECT_EQ(Fails(R"({"prompt":"x"})", chat).param, "messages");
  EXPECT_EQ(Fails(R"({"messages":[]})", chat).param, "messages");
  EXPECT_EQ(Fails(R"({"messages":["hi"]})", chat).param, "messages[0]");
  EXPECT_EQ(Fails(R"({"messages":[{"content":"hi"}]})", chat).param, "messages[0].role");
  EXPECT_EQ(Fails(R"({"messages":[{"role":"wizard","content":"hi"}]})", chat).param,
            "messages[0].role");
  EXPECT_EQ(Fails(R"({"messages":[{"role":"user"}]})", chat).param, "messages[0].content");
  EXPECT_EQ(Fails(R"({"messages":[{"role":"user","content":[{"type":"image_url"}]}]})", chat).param,
            "messages[0].content");
  EXPECT_EQ(Fails(R"({"messages":[{"role":"user","content":"x"}],"top_logprobs":2})", chat).param,
            "top_logprobs");
  EXPECT_EQ(Fails(R"({"messages":[{"role":"user","content":"x"}],"logprobs":2})", chat).param,
            "logprobs");
}

TEST(ApiRequestTest, ErrorBodyShape) {
  ApiError e = InvalidRequest("'n' must be positive", "n");
  EXPECT_EQ(ErrorBody(e),
            R"({"error":{"code":null,"message":"'n' must be positive","param":"n",)"
            R"("type":"invalid_request_error"}})");
  EXPECT_EQ(ErrorFromStatus(Status::ResourceExhausted("full")).http_status, 429);
  EXPECT_EQ(ErrorFromStatus(Status::Cancelled("bye")).http_status, 503);
  EXPECT_EQ(ErrorFromStatus(Status::InvalidArgument("bad")).http_status, 400);
}

TEST(ApiPrepareTest, GenerationRequestsAndSalt) {
  ApiRequest r;
  ApiError e;
  ASSERT_TRUE(Parse(R"({"prompt":[1,2,3],"n":2,"seed":10,"stop":"x","logprobs":1,
      "cache_salt":"a"})", ApiEndpoint::kCompletions, &r, &e));
  ServingLimits limits;
  limits.context = 10;
  PreparedPrompt p;
  p.tokens = {1, 2, 3};
  GenerationRequest g = BuildGenerationRequest(r, p, 1, 10, limits);
  EXPECT_EQ(g.prompt, p.tokens);
  EXPECT_EQ(g.sampling.seed, 11u);
  EXPECT_EQ(g.max_tokens, 7);  // what the context leaves
  EXPECT_EQ(g.stop, (std::vector<std::string>{"x"}));
  EXPECT_EQ(g.top_logprobs, 1);
  EXPECT_NE(g.ns, 0u);
  EXPECT_EQ(g.ns, CacheSaltNamespace(std::string("a")));
  EXPECT_NE(g.ns, CacheSaltNamespace(std::string("b")));
  EXPECT_EQ(CacheSaltNamespace(std::nullopt), 0u);
  EXPECT_EQ(CacheSaltNamespace(std::string("")), 0u);
  EXPECT_EQ(CacheSaltNamespace(std::string("a")) >> 63, 0u);
  limits.max_tokens_limit = 4;
  EXPECT_EQ(BuildGenerationRequest(r, p, 0, 0, limits).max_tokens, 4);
  r.max_tokens = 100;
  EXPECT_EQ(BuildGenerationRequest(r, p, 0, 0, limits).max_tokens, 7);
}

}  // namespace
}  // namespace radixlm
