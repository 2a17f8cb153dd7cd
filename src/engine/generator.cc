#include "engine/generator.h"

#include <algorithm>
#include <chrono>

#include "base/profiler.h"
#include "sampling/stop_strings.h"

namespace radixlm {

namespace {
double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}
}  // namespace

Status Generate(Transformer* transformer, const Model& model, std::string_view prompt,
                const GenerateOptions& options, const TextCallback& on_text,
                GenerateStats* stats) {
  std::vector<int32_t> tokens;
  RLM_RETURN_IF_ERROR(model.tokenizer().Encode(prompt, options.add_bos, options.parse_special,
                                               &tokens));
  if (tokens.empty()) {
    // Nothing to condition on: start from BOS, as llama2.c does.
    if (model.tokenizer().bos() < 0) return Status::InvalidArgument("empty prompt and no BOS token");
    tokens.push_back(model.tokenizer().bos());
  }
  return GenerateFromTokens(transformer, model, tokens, options, on_text, stats);
}

Status GenerateFromTokens(Transformer* transformer, const Model& model,
                          const std::vector<int32_t>& prompt_tokens,
                          const GenerateOptions& options, const TextCallback& on_text,
                          GenerateStats* stats) {
  using Clock = std::chrono::steady_clock;
  const ModelConfig& c = model.config();
  const Tokenizer& tok = model.tokenizer();
  if (prompt_tokens.empty()) return Status::InvalidArgument("empty prompt");
  if (options.page_size <= 0 || options.batch_size <= 0) {
    return Status::InvalidArgument("page_size and batch_size must be positive");
  }
  const size_t ctx = options.ctx_size > 0 ? options.ctx_size : c.max_seq_len;
  if (prompt_tokens.size() >= ctx) {
    return Status::InvalidArgument("prompt has " + std::to_string(prompt_tokens.size()) +
                                   " tokens; the context holds " + std::to_string(ctx));
  }
  *stats = GenerateStats();
  stats->prompt_tokens = prompt_tokens.size();

  SequenceKv kv(transformer->kv_layout(options.page_size));
  kv.Reserve(ctx);
  std::vector<float> logits(c.vocab_size);
  Sampler sampler(options.sampling, c.vocab_size);
  for (int32_t t : prompt_tokens) sampler.Accept(t);

  // Prefill, in chunks of batch_size tokens; logits of the last token only.
  const auto t0 = Clock::now();
  for (size_t begin = 0; begin < prompt_tokens.size(); begin += options.batch_size) {
    const size_t n = std::min<size_t>(options.batch_size, prompt_tokens.size() - begin);
    const bool last = begin + n == prompt_tokens.size();
    SeqChunk chunk{prompt_tokens.data() + begin, n, begin, kv.table(), logits.data(),
                   last ? size_t{1} : size_t{0}};
    RLM_RETURN_IF_ERROR(transformer->Forward({&chunk, 1}, options.page_size));
  }
  const auto t1 = Clock::now();
  stats->prompt_seconds = Seconds(t0, t1);

  StopStringMatcher stops(options.stop);
  std::string emit;
  size_t pos = prompt_tokens.size();
  int32_t prev = prompt_tokens.back();
  const size_t max_new = options.max_new_tokens < 0 ? ctx : options.max_new_tokens;
  stats->finish_reason = "length";
  while (stats->generated_tokens < max_new) {
    int32_t next;
    {
      ProfileScope scope("sampling", "sampling");
      next = sampler.Sample(logits.data());
      sampler.Accept(next);
    }
    ++stats->generated_tokens;
    if (!options.ignore_eos && tok.IsEog(next)) {
      stats->finish_reason = "stop";
      break;
    }
    emit.clear();
    const bool hit = stops.Feed(tok.DecodeToken(prev, next), &emit);
    if (!emit.empty() && !on_text(emit)) {
      stats->finish_reason = "cancelled";
      break;
    }
    if (hit) {
      stats->finish_reason = "stop";
      break;
    }
    prev = next;
    // `next` sits at position pos; stop when nothing more is wanted or the
    // context has no room for another token.
    if (stats->generated_tokens == max_new || pos + 1 >= ctx) break;
    SeqChunk chunk{&next, 1, pos, kv.table(), logits.data(), 1};
    RLM_RETURN_IF_ERROR(transformer->Forward({&chunk, 1}, options.page_size));
    ++pos;
  }
  if (stats->finish_reason != "stop" && stats->finish_reason != "cancelled") {
    emit.clear();
    stops.Flush(&emit);
    if (!emit.empty()) on_text(emit);
  }
  stats->generate_seconds = Seconds(t1, Clock::now());
  return Status::Ok();
}

}  // namespace radixlm
