// Cache warm-up (--warmup FILE): prompts and chat prefixes computed into the
// radix cache at start-up, before /health reports ok, so that the first
// requests that share them already hit the cache.
//
// File format: a JSON array of entries, or JSON lines (one entry per line;
// blank lines and lines starting with '#' are skipped). An entry is
//   "text"                          a completions prompt (BOS as requests get)
//   [{"role": ..., "content": ...}] a chat prefix, rendered with the chat
//                                   template without the generation prompt
//   {"prompt": "text" | [ids], ...} or {"messages": [...], ...} with options
//       "pin": true                 keep it pinned (never evicted) until exit
//       "cache_salt": "s"           compute it in that tenant's namespace
//       "add_generation_prompt": true  (chat) end with the assistant header
#ifndef RADIXLM_SERVER_WARMUP_H_
#define RADIXLM_SERVER_WARMUP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "cache/radix_tree.h"
#include "engine/engine.h"
#include "server/chat_prompt.h"

namespace radixlm {

struct WarmupEntry {
  std::vector<int32_t> tokens;
  bool pin = false;
  CacheNamespace ns = 0;
};

// Parses a warm-up file's text into tokenized entries. InvalidArgument names
// the entry (index from 0) and what is wrong.
Status ParseWarmup(const std::string& text, const Tokenizer& tokenizer, const ChatPrompt& chat,
                   std::vector<WarmupEntry>* out);

struct WarmupResult {
  size_t entries = 0;
  size_t tokens = 0;           // of all entries
  size_t computed_tokens = 0;  // not already cached
  size_t pinned_tokens = 0;
  std::vector<uint64_t> pinned_handles;  // the caller frees them at exit
};

// Computes each entry with Engine::ForwardWithCache; pinned entries keep
// their handle (returned in result->pinned_handles).
Status RunWarmup(Engine* engine, const std::vector<WarmupEntry>& entries, WarmupResult* result);

}  // namespace radixlm

#endif  // RADIXLM_SERVER_WARMUP_H_
