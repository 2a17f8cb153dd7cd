// Sampler: picks the next token from logits. Greedy when temperature <= 0;
// otherwise penalties -> top-k -> top-p -> min-p -> temperature -> draw,
// the order llama.cpp uses, seeded and reproducible.
//
// Thread safety: not thread-safe; one Sampler per sequence.
#ifndef RADIXLM_SAMPLING_SAMPLER_H_
#define RADIXLM_SAMPLING_SAMPLER_H_

#include <cstdint>
#include <deque>
#include <random>
#include <unordered_map>
#include <vector>

namespace radixlm {

struct SamplingParams {
  // Softmax temperature; <= 0 means greedy (argmax). Default 0.8.
  float temperature = 0.8f;
  // Keep the k most likely tokens; <= 0 disables. Default 40.
  int32_t top_k = 40;
  // Keep the smallest set whose probability mass >= top_p; 1 disables.
  float top_p = 0.95f;
  // Drop tokens with p < min_p * p_max; 0 disables. Default 0.05.
  float min_p = 0.05f;
  // Divide positive (multiply negative) logits of recently seen tokens; 1
  // disables. Default 1.0.
  float repeat_penalty = 1.0f;
  // How many recent tokens the penalties look at; 0 disables, -1 = all.
  int32_t repeat_last_n = 64;
  // OpenAI-style: logit -= presence * [count > 0] + frequency * count.
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  // Seed of the random draw; the same seed gives the same tokens.
  uint64_t seed = 0xC0FFEE;
};

class Sampler {
 public:
  // REQUIRES: vocab_size > 0.
  Sampler(const SamplingParams& params, int32_t vocab_size);

  // Returns the chosen token for `logits` [vocab_size] (not modified).
  int32_t Sample(const float* logits);

  // Records a token as part of the context the penalties see (prompt tokens
  // and every sampled token).
  void Accept(int32_t token);

  // Forgets the history and reseeds.
  void Reset();

  // Applies the repetition, frequency and presence penalties of the accepted
  // history to `logits` [vocab_size] in place: for each token seen `count`
  // times in the window, a positive logit is divided by repeat_penalty and a
  // negative one multiplied by it, then count * frequency_penalty +
  // presence_penalty is subtracted. Tokens outside [0, vocab_size) are
  // skipped.
  void ApplyPenalties(float* logits) const;

  const SamplingParams& params() const { return params_; }

 private:
  // True when ApplyPenalties would change something.
  bool PenaltiesActive() const;

  // Returns a uniform double in [0, 1) built from the raw 64-bit output of
  // rng_, so the value is the same with every standard library.
  double NextUniform();

  SamplingParams params_;
  int32_t vocab_size_;
  std::mt19937_64 rng_;
  std::deque<int32_t> recent_;
  std::unordered_map<int32_t, int32_t> counts_;  // over `recent_`
  std::vector<float> work_;   // [vocab_size] sanitized, penalized logits
  std::vector<int32_t> ids_;  // candidate token ids, reused across calls
};

// Returns the index of the largest logit (the lowest index on ties).
int32_t Argmax(const float* logits, int32_t n);

}  // namespace radixlm

#endif  // RADIXLM_SAMPLING_SAMPLER_H_
