#include "engine/engine.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/check.h"
#include "base/profiler.h"

namespace radixlm {

namespace {

// Handle ids are unique process-wide, so a stale id from another engine is
// simply not found.
std::atomic<uint64_t> g_next_handle_id{1};

size_t DefaultKvBytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  const size_t ram = pages > 0 && page > 0 ? size_t(pages) * size_t(page) : size_t{8} << 30;
  return std::min(ram / 4, size_t{16} << 30);
}

// Copies slots [0, n) of every layer's K and V from page src to page dst.
void CopySlots(const KvLayout& layout, const float* src, float* dst, size_t n) {
  for (size_t l = 0; l < layout.n_layers; ++l) {
    std::memcpy(dst + layout.k_offset(l, 0), src + layout.k_offset(l, 0),
                n * layout.kv_dim * sizeof(float));
    std::memcpy(dst + layout.v_offset(l, 0), src + layout.v_offset(l, 0),
                n * layout.kv_dim * sizeof(float));
  }
}

}  // namespace

Status Engine::Open(const std::string& model_path, const EngineOptions& options,
                    std::unique_ptr<Engine>* out) {
  if (options.page_size == 0) return Status::InvalidArgument("page_size must be >= 1");
  std::unique_ptr<Engine> e(new Engine());
  ModelLoadOptions load;
  load.tokenizer_path = options.tokenizer_path;
  RLM_RETURN_IF_ERROR(Model::Load(model_path, load, &e->model_));
  e->page_size_ = options.page_size;
  e->fail_computation_ = options.fail_computation;
  e->fail_every_ = options.fail_every;
  const ModelConfig& c = e->model_->config();
  KvLayout layout{static_cast<size_t>(c.n_layers), static_cast<size_t>(c.kv_dim()),
                  options.page_size};
  const size_t budget = options.kv_cache_bytes ? options.kv_cache_bytes : DefaultKvBytes();
  RLM_RETURN_IF_ERROR(PagePool::Create(layout, budget, &e->pool_));
  RadixTreeOptions tree_options;
  tree_options.policy = options.eviction;
  e->tree_ = std::make_unique<RadixTree>(e->pool_.get(), tree_options);
  const size_t threads = options.threads ? options.threads : DefaultThreadCount();
  e->runner_ = std::make_unique<BatchRunner>(*e->model_, threads, options.page_size,
                                             options.max_step_tokens);
  *out = std::move(e);
  return Status::Ok();
}

Engine::~Engine() {
  runner_.reset();
  std::vector<RadixNode*> pinned;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, h] : handles_) pinned.push_back(h.node);
    handles_.clear();
  }
  for (RadixNode* n : pinned) tree_->Unlock(n);
  tree_.reset();
}

Status Engine::AllocatePage(PageId* out) {
  Status s = pool_->Allocate(out);
  if (s.ok()) return s;
  // Out of free pages: evict unpinned cache and retry once.
  tree_->EvictPages(16);
  s = pool_->Allocate(out);
  if (s.ok()) return s;
  const RadixTreeStats st = tree_->Stats();
  return Status::ResourceExhausted(
      "KV cache is full: " + std::to_string(st.total_pages) + " pages, " +
      std::to_string(st.pinned_pages) + " pinned by live handles and requests, none evictable");
}

Status Engine::Compute(const std::vector<int32_t>& seq, size_t begin,
                       const std::vector<PageId>& prefix_pages, std::vector<PageId>* new_pages,
                       Logits* logits) {
  const size_t P = page_size_, n = seq.size();
  const size_t j0 = begin / P, off = begin % P, last_j = (n - 1) / P;
  const KvLayout& layout = pool_->layout();
  new_pages->clear();
  auto release = [&] {
    for (PageId p : *new_pages) pool_->Unref(p);
    new_pages->clear();
  };
  for (size_t j = j0; j <= last_j; ++j) {
    const uint32_t fill = static_cast<uint32_t>(std::min(P, n - j * P));
    if (j == j0 && off != 0) {
      // The first position lands mid-page: append in place if nobody has
      // claimed the page's free slots, else copy its first `off` slots.
      const PageId shared = prefix_pages[j0];
      if (pool_->TryClaim(shared, static_cast<uint32_t>(off), fill)) {
        pool_->Ref(shared);
        new_pages->push_back(shared);
        continue;
      }
      PageId copy;
      Status s = AllocatePage(&copy);
      if (!s.ok()) {
        release();
        return s;
      }
      CopySlots(layout, pool_->data(shared), pool_->data(copy), off);
      pool_->SetFill(copy, fill);
      new_pages->push_back(copy);
      continue;
    }
    PageId page;
    Status s = AllocatePage(&page);
    if (!s.ok()) {
      release();
      return s;
    }
    pool_->SetFill(page, fill);
    new_pages->push_back(page);
  }

  ForwardJob job;
  job.tokens = seq.data();
  job.begin = begin;
  job.end = n;
  for (size_t j = 0; j < j0; ++j) job.pages.push_back(pool_->data(prefix_pages[j]));
  for (PageId p : *new_pages) job.pages.push_back(pool_->data(p));
  auto out = std::make_shared<std::vector<float>>();
  job.logits = out.get();
  const uint64_t nth = ++computations_;
  const bool inject = fail_computation_ > 0 &&
                      (nth == fail_computation_ ||
                       (fail_every_ > 0 && nth > fail_computation_ &&
                        (nth - fail_computation_) % fail_every_ == 0));
  Status s = inject ? Status::Internal("injected computation failure (testing)")
                    : runner_->Run(&job);
  if (!s.ok()) {
    release();
    return s;
  }
  *logits = std::move(out);
  return Status::Ok();
}

Status Engine::ForwardWithCache(uint64_t base, std::span<const int32_t> tokens, float* logits,
                                size_t logits_size, uint64_t* out_handle, CacheNamespace ns,
                                ForwardInfo* info) {
  const int32_t vocab = vocab_size();
  if (tokens.empty()) return Status::InvalidArgument("no tokens to run");
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || tokens[i] >= vocab) {
      return Status::InvalidArgument("token " + std::to_string(tokens[i]) + " at index " +
                                     std::to_string(i) + " is outside the vocabulary [0, " +
                                     std::to_string(vocab) + ")");
    }
  }
  if (logits != nullptr && logits_size < static_cast<size_t>(vocab)) {
    return Status::InvalidArgument("logits buffer holds " + std::to_string(logits_size) +
                                   " floats; the vocabulary has " + std::to_string(vocab));
  }
  std::vector<int32_t> seq;
  if (base != 0) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = handles_.find(base);
    if (it == handles_.end()) {
      return Status::NotFound("cache handle " + std::to_string(base) + " does not exist");
    }
    seq.assign(it->second.tokens->begin(), it->second.tokens->begin() + it->second.length);
  }
  seq.insert(seq.end(), tokens.begin(), tokens.end());
  const size_t n = seq.size();
  const size_t max_ctx = static_cast<size_t>(model_->config().max_seq_len);
  if (max_ctx > 0 && n > max_ctx) {
    return Status::InvalidArgument("sequence of " + std::to_string(n) +
                                   " tokens exceeds the model's context of " +
                                   std::to_string(max_ctx));
  }

  Handle h;
  size_t computed = 0;
  for (;;) {
    RadixTree::Lookup lk;
    {
      ProfileScope scope("cache.acquire", "cache", -1, static_cast<int64_t>(n));
      lk = tree_->Acquire(ns, seq);
    }
    if (lk.kind == RadixTree::Lookup::Kind::kWait) {
      Status s = tree_->Wait(lk.node);
      tree_->Unlock(lk.node);
      if (!s.ok()) return s;
      continue;  // the pending tokens are cached now: match again
    }
    std::vector<PageId> new_pages;
    if (lk.kind == RadixTree::Lookup::Kind::kHit) {
      h.logits = lk.logits;
      if (!h.logits) {
        // Cached without logits (e.g. the end of a slice): recompute only
        // the last position, on a private copy of its page.
        std::vector<PageId> prefix(lk.pages.begin(), lk.pages.begin() + (n - 1 + page_size_ - 1) / page_size_);
        Status s = Compute(seq, n - 1, prefix, &new_pages, &h.logits);
        if (!s.ok()) {
          tree_->Unlock(lk.node);
          return s;
        }
        for (PageId p : new_pages) pool_->Unref(p);
        tree_->SetLogits(lk.node, n, h.logits);
        computed = 1;
      } else {
        full_hits_++;
      }
    } else {  // kCompute
      Status s = Compute(seq, lk.prefix_len, lk.pages, &new_pages, &h.logits);
      if (!s.ok()) {
        tree_->Fail(lk.node, s);
        tree_->Unlock(lk.node);
        return s;
      }
      tree_->Complete(lk.node, new_pages, h.logits);
      for (PageId p : new_pages) pool_->Unref(p);
      computed = n - lk.prefix_len;
    }
    h.node = lk.node;
    break;
  }
  forwards_++;
  tokens_requested_ += n;
  tokens_computed_ += computed;
  if (info != nullptr) {
    info->computed_tokens = computed;
    info->cached_tokens = n - computed;
  }
  if (logits != nullptr) std::copy(h.logits->begin(), h.logits->end(), logits);
  h.length = n;
  h.tokens = std::make_shared<const std::vector<int32_t>>(std::move(seq));
  *out_handle = AddHandle(std::move(h));
  return Status::Ok();
}

Status Engine::MatchPrefix(std::span<const int32_t> tokens, uint64_t* out_handle,
                           size_t* out_length, CacheNamespace ns) {
  RadixTree::Lookup lk = tree_->Match(ns, tokens);
  *out_length = lk.prefix_len;
  if (lk.prefix_len == 0) {
    tree_->Unlock(lk.node);
    *out_handle = 0;
    return Status::Ok();
  }
  Handle h;
  h.tokens = std::make_shared<const std::vector<int32_t>>(tokens.begin(),
                                                          tokens.begin() + lk.prefix_len);
  h.length = lk.prefix_len;
  h.node = lk.node;
  h.logits = lk.logits;
  *out_handle = AddHandle(std::move(h));
  return Status::Ok();
}

size_t Engine::CachedPrefixLength(std::span<const int32_t> tokens, CacheNamespace ns) {
  RadixTree::Lookup lk = tree_->Match(ns, tokens);
  tree_->Unlock(lk.node);
  return lk.prefix_len;
}

uint64_t Engine::AddHandle(Handle h) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t id = g_next_handle_id.fetch_add(1);
  handles_.emplace(id, std::move(h));
  return id;
}

Status Engine::SliceCache(uint64_t handle, size_t keep_tokens, uint64_t* out_handle) {
  if (handle == 0) {
    if (keep_tokens != 0) return Status::InvalidArgument("the root handle 0 holds no tokens");
    *out_handle = 0;
    return Status::Ok();
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = handles_.find(handle);
  if (it == handles_.end()) {
    return Status::NotFound("cache handle " + std::to_string(handle) + " does not exist");
  }
  const Handle& src = it->second;
  if (keep_tokens > src.length) {
    return Status::InvalidArgument("cannot keep " + std::to_string(keep_tokens) +
                                   " tokens of a handle holding " + std::to_string(src.length));
  }
  if (keep_tokens == 0) {
    *out_handle = 0;
    return Status::Ok();
  }
  Handle h;
  h.tokens = src.tokens;
  h.length = keep_tokens;
  h.node = tree_->LockPrefix(src.node, keep_tokens);
  if (keep_tokens == src.length) h.logits = src.logits;
  const uint64_t id = g_next_handle_id.fetch_add(1);
  handles_.emplace(id, std::move(h));
  *out_handle = id;
  return Status::Ok();
}

void Engine::FreeCache(uint64_t handle) {
  if (handle == 0) return;
  RadixNode* node = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = handles_.find(handle);
    if (it == handles_.end()) return;
    if (--it->second.refs > 0) return;
    node = it->second.node;
    handles_.erase(it);
  }
  tree_->Unlock(node);
}

Status Engine::RetainCache(uint64_t handle) {
  if (handle == 0) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = handles_.find(handle);
  if (it == handles_.end()) {
    return Status::NotFound("cache handle " + std::to_string(handle) + " does not exist");
  }
  it->second.refs++;
  return Status::Ok();
}

Status Engine::HandleInfo(uint64_t handle, size_t* length, std::vector<int32_t>* tokens,
                          std::vector<float>* logits) const {
  if (handle == 0) {
    if (length) *length = 0;
    if (tokens) tokens->clear();
    if (logits) logits->clear();
    return Status::Ok();
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = handles_.find(handle);
  if (it == handles_.end()) {
    return Status::NotFound("cache handle " + std::to_string(handle) + " does not exist");
  }
  const Handle& h = it->second;
  if (length) *length = h.length;
  if (tokens) tokens->assign(h.tokens->begin(), h.tokens->begin() + h.length);
  if (logits) {
    if (h.logits) {
      *logits = *h.logits;
    } else {
      logits->clear();
    }
  }
  return Status::Ok();
}

EvictResult Engine::EvictPages(size_t pages) { return tree_->EvictPages(pages); }
EvictResult Engine::EvictLeaves(size_t leaves) { return tree_->EvictLeaves(leaves); }

EngineStats Engine::Stats() const {
  EngineStats s;
  s.cache = tree_->Stats();
  s.runner = runner_->stats();
  s.forwards = forwards_.load();
  s.tokens_requested = tokens_requested_.load();
  s.tokens_computed = tokens_computed_.load();
  s.full_hits = full_hits_.load();
  std::lock_guard<std::mutex> lock(mu_);
  s.live_handles = handles_.size();
  return s;
}

void Engine::CheckInvariants() const { tree_->CheckInvariants(); }

}  // namespace radixlm
