// ChatPrompt: turns a chat request's messages into prompt text and tokens:
// through the model's Jinja chat template (or one given with
// --chat-template-file) when there is one, else through the plain fallback
// (RenderPlainChat: "<role>: <content>\n" per message, then "assistant: ").
//
// Tokens: the rendered text is tokenized with special-token texts parsed
// (templates spell out "<|im_start|>" and the like); BOS is prepended as the
// tokenizer says unless the text already starts with it.
//
// Thread safety: immutable after Create; Render/Tokenize may run
// concurrently.
#ifndef RADIXLM_SERVER_CHAT_PROMPT_H_
#define RADIXLM_SERVER_CHAT_PROMPT_H_

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "chat/chat_template.h"
#include "server/api_request.h"
#include "tokenizer/tokenizer.h"

namespace radixlm {

class ChatPrompt {
 public:
  // template_source: Jinja text, or empty for the plain fallback.
  // InvalidArgument when the template does not parse.
  // REQUIRES: tokenizer outlives the ChatPrompt.
  static Status Create(const std::string& template_source, const Tokenizer* tokenizer,
                       std::unique_ptr<ChatPrompt>* out);
  ChatPrompt(const ChatPrompt&) = delete;
  ChatPrompt& operator=(const ChatPrompt&) = delete;

  // The conversation as text; add_generation_prompt ends it with the header
  // of the assistant's reply.
  Status Render(const std::vector<ApiChatMessage>& messages, bool add_generation_prompt,
                std::string* out) const;

  // Tokens of rendered text (BOS as described above).
  Status Tokenize(const std::string& text, std::vector<int32_t>* out) const;

  // "template" or "plain".
  const char* kind() const { return template_ ? "template" : "plain"; }

 private:
  ChatPrompt() = default;
  const Tokenizer* tokenizer_ = nullptr;
  std::unique_ptr<ChatTemplate> template_;  // null: plain fallback
  std::string bos_text_;
  std::string eos_text_;
};

}  // namespace radixlm

#endif  // RADIXLM_SERVER_CHAT_PROMPT_H_
