// Golden tests: real chat templates (testdata/chat_templates/*.jinja) render
// every conversation in cases.json exactly as Python's jinja2 does under
// Hugging Face's settings. The expected files come from
// scripts/gen_chat_template_expected.py.
#include "chat/chat_template.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace radixlm {
namespace {

std::string DataDir() {
  const char* env = std::getenv("RADIXLM_SOURCE_DIR");
  return std::string(env ? env : RADIXLM_SOURCE_DIR) + "/testdata/chat_templates/";
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

TEST(ChatTemplateGoldenTest, MatchesJinja2ByteForByte) {
  std::string text;
  ASSERT_TRUE(ReadFile(DataDir() + "cases.json", &text));
  nlohmann::ordered_json cases = nlohmann::ordered_json::parse(text);
  int compared = 0, errors = 0;
  for (const auto& [tname, tconf] : cases["templates"].items()) {
    std::string source;
    ASSERT_TRUE(ReadFile(DataDir() + tname + ".jinja", &source)) << tname;
    std::unique_ptr<ChatTemplate> tmpl;
    Status s = ChatTemplate::Parse(source, &tmpl);
    ASSERT_TRUE(s.ok()) << tname << ": " << s.ToString();
    for (const auto& [cname, conv] : cases["conversations"].items()) {
      SCOPED_TRACE(tname + " x " + cname);
      ChatTemplateInputs in;
      for (const auto& m : conv["messages"]) {
        in.messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>(), ""});
      }
      in.add_generation_prompt = conv["add_generation_prompt"].get<bool>();
      in.bos_token = tconf["bos_token"].get<std::string>();
      in.eos_token = tconf["eos_token"].get<std::string>();
      if (conv.contains("extra")) in.extra_context_json = conv["extra"].dump();
      in.now_unix_seconds = cases["now_unix_seconds"].get<int64_t>();

      std::string base = DataDir() + "expected/" + tname + "__" + cname;
      std::string expected, got;
      Status r = tmpl->Render(in, &got);
      if (ReadFile(base + ".txt", &expected)) {
        ASSERT_TRUE(r.ok()) << r.ToString();
        EXPECT_EQ(got, expected);
      } else {
        ASSERT_TRUE(ReadFile(base + ".error", &expected)) << "no expected file for " << base;
        ASSERT_FALSE(r.ok()) << "rendered:\n" << got;
        EXPECT_EQ(r.code(), Status::Code::kInvalidArgument);
        EXPECT_EQ(r.message(), expected);
        errors++;
      }
      compared++;
    }
  }
  EXPECT_EQ(compared, static_cast<int>(cases["templates"].size() * cases["conversations"].size()));
  EXPECT_GT(errors, 0);
  std::printf("compared %d renders (%d raise_exception) with jinja2\n", compared, errors);
}

TEST(ChatTemplateTest, PlainChat) {
  ChatTemplateInputs in;
  in.messages = {{"system", "Be nice.", ""}, {"user", "Hi", "alice"}, {"assistant", "Hello", ""}};
  std::string out;
  ASSERT_TRUE(RenderPlainChat(in, &out).ok());
  EXPECT_EQ(out, "system: Be nice.\nalice: Hi\nassistant: Hello\nassistant: ");
  in.add_generation_prompt = false;
  ASSERT_TRUE(RenderPlainChat(in, &out).ok());
  EXPECT_EQ(out, "system: Be nice.\nalice: Hi\nassistant: Hello\n");
}

TEST(ChatTemplateTest, MessageNameVisibleOnlyWhenSet) {
  std::unique_ptr<ChatTemplate> t;
  ASSERT_TRUE(ChatTemplate::Parse("{% for m in messages %}{{ m.name is defined }}{{ m.name }};{% endfor %}", &t).ok());
  ChatTemplateInputs in;
  in.messages = {{"user", "a", "bob"}, {"user", "b", ""}};
  std::string out;
  ASSERT_TRUE(t->Render(in, &out).ok());
  EXPECT_EQ(out, "Truebob;False;");
}

TEST(ChatTemplateTest, BadExtraContext) {
  std::unique_ptr<ChatTemplate> t;
  ASSERT_TRUE(ChatTemplate::Parse("x", &t).ok());
  ChatTemplateInputs in;
  in.extra_context_json = "[1, 2";
  std::string out;
  EXPECT_EQ(t->Render(in, &out).code(), Status::Code::kInvalidArgument);
  in.extra_context_json = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(t->Render(in, &out).code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace radixlm
