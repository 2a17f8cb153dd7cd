#include "chat/chat_template.h"

#include <nlohmann/json.hpp>

#include "chat/ast.h"
#include "chat/interpreter.h"
#include "chat/json.h"
#include "chat/lexer.h"
#include "chat/parser.h"

namespace radixlm {

ChatTemplate::ChatTemplate() = default;
ChatTemplate::~ChatTemplate() = default;

Status ChatTemplate::Parse(std::string_view source, std::unique_ptr<ChatTemplate>* out) {
  std::unique_ptr<ChatTemplate> t(new ChatTemplate());
  t->lexer_ = std::make_unique<chat::Lexer>(source);
  std::vector<chat::Segment> segments;
  RLM_RETURN_IF_ERROR(t->lexer_->Lex(&segments));
  chat::Parser parser(t->lexer_.get(), std::move(segments));
  RLM_RETURN_IF_ERROR(parser.Parse(&t->nodes_));
  *out = std::move(t);
  return Status::Ok();
}

Status ChatTemplate::Render(const ChatTemplateInputs& in, std::string* out) const {
  chat::Interpreter interp(lexer_.get(), in.now_unix_seconds);
  chat::Value::List messages;
  for (const ChatMessage& m : in.messages) {
    chat::Value::Dict d = {{"role", chat::Value::String(m.role)},
                           {"content", chat::Value::String(m.content)}};
    if (!m.name.empty()) d.emplace_back("name", chat::Value::String(m.name));
    messages.push_back(chat::Value::MakeDict(std::move(d)));
  }
  interp.SetVariable("messages", chat::Value::MakeList(std::move(messages)));
  interp.SetVariable("add_generation_prompt", chat::Value::Bool(in.add_generation_prompt));
  interp.SetVariable("bos_token", chat::Value::String(in.bos_token));
  interp.SetVariable("eos_token", chat::Value::String(in.eos_token));
  if (!in.extra_context_json.empty()) {
    nlohmann::ordered_json extra = nlohmann::ordered_json::parse(in.extra_context_json, nullptr,
                                                                 /*allow_exceptions=*/false);
    if (!extra.is_object()) {
      return Status::InvalidArgument("chat template: extra_context_json is not a JSON object");
    }
    for (const auto& [k, v] : extra.items()) {
      chat::Value value;
      RLM_RETURN_IF_ERROR(chat::FromJson(v, &value));
      interp.SetVariable(k, std::move(value));
    }
  }
  std::string text;
  RLM_RETURN_IF_ERROR(interp.Render(nodes_, &text));
  *out = std::move(text);
  return Status::Ok();
}

Status RenderPlainChat(const ChatTemplateInputs& in, std::string* out) {
  out->clear();
  for (const ChatMessage& m : in.messages) {
    *out += m.name.empty() ? m.role : m.name;
    *out += ": ";
    *out += m.content;
    *out += "\n";
  }
  if (in.add_generation_prompt) *out += "assistant: ";
  return Status::Ok();
}

}  // namespace radixlm
