#include "tokenizer/tokenizer.h"

#include <algorithm>

namespace radixlm {

std::string Tokenizer::Decode(const std::vector<int32_t>& tokens) const {
  std::string text;
  int32_t prev = -1;
  for (int32_t token : tokens) {
    text += DecodeToken(prev, token);
    prev = token;
  }
  return text;
}

bool Tokenizer::IsEog(int32_t token) const {
  const std::vector<int32_t>& eog = vocab().eog;
  return token >= 0 && std::find(eog.begin(), eog.end(), token) != eog.end();
}

}  // namespace radixlm
