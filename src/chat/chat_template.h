// ChatTemplate: renders a model's Jinja chat template (tokenizer_config.json
// "chat_template" or GGUF "tokenizer.chat_template") for a conversation,
// giving the same text as Hugging Face's apply_chat_template(tokenize=False):
// jinja2 with trim_blocks and lstrip_blocks, the loopcontrols extension,
// HF's tojson, raise_exception() and strftime_now().
//
// Supported: the Jinja subset that ChatML/Qwen2/Qwen2.5/Qwen3, Llama-2/3.x,
// Mistral, Phi-3, Gemma and DeepSeek templates use: {{ }}, {% %}, {# #},
// whitespace control, if/elif/else, for (loop.*, "for ... if", else,
// break/continue), set (block set, namespace attributes), macros, Python
// expressions and the common filters, tests and str/list/dict methods.
// Anything else fails in Parse with the line, column and construct named.
//
// Thread safety: a parsed ChatTemplate is immutable; Render may be called
// from several threads at once.
#ifndef RADIXLM_CHAT_CHAT_TEMPLATE_H_
#define RADIXLM_CHAT_CHAT_TEMPLATE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace radixlm {

namespace chat {
class Lexer;
struct Node;
}  // namespace chat

struct ChatMessage {
  std::string role;     // "system", "user", "assistant", "tool", ...
  std::string content;
  // Optional; the template sees message.name only when non-empty.
  std::string name;
};

struct ChatTemplateInputs {
  std::vector<ChatMessage> messages;
  // Whether to end with the header that starts the assistant's reply.
  bool add_generation_prompt = true;
  // The tokenizer's special tokens as text ("<s>", "<|im_end|>", ...).
  std::string bos_token;
  std::string eos_token;
  // More template variables as a JSON object text, e.g.
  // {"tools": [...], "enable_thinking": false, "date_string": "26 Jul 2024"}.
  // Empty means none. Keys here override the fields above.
  std::string extra_context_json;
  // The time strftime_now(fmt) formats, in seconds since the Unix epoch,
  // read as UTC. -1 (default) means the current local time, as HF does.
  int64_t now_unix_seconds = -1;
};

class ChatTemplate {
 public:
  ~ChatTemplate();
  ChatTemplate(const ChatTemplate&) = delete;
  ChatTemplate& operator=(const ChatTemplate&) = delete;

  // Parses a template. On success *out owns it (caller owns *out). Returns
  // InvalidArgument naming line/column and the unsupported construct or
  // syntax error.
  static Status Parse(std::string_view source, std::unique_ptr<ChatTemplate>* out);

  // Renders the conversation into *out (replaced). Returns InvalidArgument
  // on runtime errors (with line/column), bad extra_context_json, or when the
  // template calls raise_exception(msg): then the message is exactly msg.
  // ResourceExhausted when output or loops exceed the built-in limits.
  Status Render(const ChatTemplateInputs& in, std::string* out) const;

 private:
  ChatTemplate();
  std::unique_ptr<chat::Lexer> lexer_;
  std::vector<std::unique_ptr<chat::Node>> nodes_;
};

// The plain fallback for models without a template:
//   "<role>: <content>\n" for every message, in order, then "assistant: "
//   when add_generation_prompt. No BOS/EOS tokens are added; a message's
//   name, when set, replaces its role ("alice: hi\n").
// Never fails; returns a Status for symmetry with ChatTemplate::Render.
Status RenderPlainChat(const ChatTemplateInputs& in, std::string* out);

}  // namespace radixlm

#endif  // RADIXLM_CHAT_CHAT_TEMPLATE_H_
