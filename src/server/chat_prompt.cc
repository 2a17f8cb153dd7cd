#include "server/chat_prompt.h"

namespace radixlm {

namespace {

std::string PieceText(const Tokenizer& tok, int32_t id) {
  if (id < 0 || id >= tok.vocab_size()) return "";
  return tok.vocab().pieces[id];
}

}  // namespace

Status ChatPrompt::Create(const std::string& template_source, const Tokenizer* tokenizer,
                          std::unique_ptr<ChatPrompt>* out) {
  std::unique_ptr<ChatPrompt> p(new ChatPrompt());
  p->tokenizer_ = tokenizer;
  p->bos_text_ = PieceText(*tokenizer, tokenizer->bos());
  p->eos_text_ = PieceText(*tokenizer, tokenizer->eos());
  if (!template_source.empty()) {
    Status s = ChatTemplate::Parse(template_source, &p->template_);
    if (!s.ok()) return Status::InvalidArgument("chat template: " + s.message());
  }
  *out = std::move(p);
  return Status::Ok();
}

Status ChatPrompt::Render(const std::vector<ApiChatMessage>& messages, bool add_generation_prompt,
                          std::string* out) const {
  ChatTemplateInputs in;
  in.messages.reserve(messages.size());
  for (const ApiChatMessage& m : messages) in.messages.push_back({m.role, m.content, ""});
  in.add_generation_prompt = add_generation_prompt;
  in.bos_token = bos_text_;
  in.eos_token = eos_text_;
  if (template_ == nullptr) return RenderPlainChat(in, out);
  return template_->Render(in, out);
}

Status ChatPrompt::Tokenize(const std::string& text, std::vector<int32_t>* out) const {
  const bool has_bos = !bos_text_.empty() && text.compare(0, bos_text_.size(), bos_text_) == 0;
  return tokenizer_->Encode(text, /*add_special=*/!has_bos, /*parse_special=*/true, out);
}

}  // namespace radixlm
