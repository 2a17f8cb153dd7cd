#include "cache/radix_tree.h"

#include <algorithm>
#include <utility>

#include "base/check.h"
#include "cache/radix_tree_impl.h"

namespace radixlm {

using cache_internal::NodeState;
using cache_internal::PageCount;

RadixTree::Impl::Impl(PagePool* pool, const RadixTreeOptions& options)
    : pool_(pool),
      policy_(options.policy),
      page_size_(pool->page_size()),
      root_(new RadixNode) {
  RLM_CHECK(page_size_ > 0);
  root_->id = next_id_++;
}

RadixTree::Impl::~Impl() {
  std::vector<RadixNode*> stack = {root_};
  while (!stack.empty()) {
    RadixNode* node = stack.back();
    stack.pop_back();
    for (auto& [key, child] : node->children) stack.push_back(child);
    for (PageId page : node->pages) pool_->Unref(page);
    delete node;
  }
  for (RadixNode* node : failed_) delete node;
}

// ---------------------------------------------------------------- matching

RadixTree::Impl::Walk RadixTree::Impl::MatchLocked(CacheNamespace ns,
                                                   std::span<const int32_t> tokens) {
  const uint64_t tick = ++clock_;
  Walk walk;
  walk.node = root_;
  const size_t n = tokens.size();
  while (walk.matched < n) {
    auto it = walk.node->children.find({ns, tokens[walk.matched]});
    if (it == walk.node->children.end()) break;
    RadixNode* child = it->second;
    if (child->state == NodeState::kPending) {
      walk.pending = child;
      break;
    }
    // Compare only as far as both spans go: O(tokens matched).
    const std::span<const int32_t> span = child->tokens();
    const size_t limit = std::min(span.size(), n - walk.matched);
    const int32_t* rest = tokens.data() + walk.matched;
    size_t m = 1;  // the first token matched through the key
    while (m < limit && span[m] == rest[m]) ++m;
    // A split node's upper half ends exactly here and has one child, keyed
    // by a token that differs from tokens[matched] (or tokens ran out), so
    // the walk stops on the next iteration.
    if (m < span.size()) child = SplitLocked(child, m);
    TouchLocked(child, tick);
    walk.node = child;
    walk.matched += m;
  }
  return walk;
}

RadixNode* RadixTree::Impl::SplitLocked(RadixNode* node, size_t m) {
  RLM_CHECK(node->state == NodeState::kReady);
  RLM_CHECK(m > 0 && m < node->length());
  const size_t old_start = node->start;
  const size_t mid = old_start + m;

  RadixNode* upper = new RadixNode;
  upper->id = next_id_++;
  upper->ns = node->ns;
  upper->parent = node->parent;
  upper->start = old_start;
  upper->end = mid;
  upper->token_buf = node->token_buf;
  upper->token_data = node->token_data;
  upper->lock_ref = node->lock_ref;  // every lock below node passes through upper
  upper->last_access = node->last_access;
  upper->hit_count = node->hit_count;
  upper->priority = node->priority;
  upper->state = NodeState::kReady;

  // Pages: upper takes indices old_start/P .. (mid-1)/P, node keeps
  // mid/P .. (end-1)/P. A page straddling `mid` is in both: one more ref.
  const size_t n_upper = PageCount(old_start, mid, page_size_);
  const size_t drop = mid / page_size_ - old_start / page_size_;
  upper->pages.assign(node->pages.begin(), node->pages.begin() + n_upper);
  if (mid % page_size_ != 0) pool_->Ref(node->pages[drop]);
  node->pages.erase(node->pages.begin(), node->pages.begin() + drop);

  node->start = mid;
  node->token_data += m;
  // Same (namespace, first token): upper replaces node under the parent.
  upper->parent->children[upper->key()] = upper;
  upper->children.emplace(node->key(), node);
  node->parent = upper;
  ++n_nodes_;
  return upper;
}

RadixNode* RadixTree::Impl::NewChildLocked(RadixNode* parent, CacheNamespace ns,
                                           std::span<const int32_t> tokens, size_t from,
                                           NodeState state) {
  RLM_CHECK(from < tokens.size());
  RLM_CHECK(parent->end == from);
  RadixNode* node = new RadixNode;
  node->id = next_id_++;
  node->ns = ns;
  node->parent = parent;
  node->start = from;
  node->end = tokens.size();
  auto buf = std::make_shared<const std::vector<int32_t>>(tokens.begin() + from, tokens.end());
  node->token_data = buf->data();
  node->token_buf = std::move(buf);
  node->last_access = clock_;
  node->priority = 0;
  node->state = state;
  auto [it, inserted] = parent->children.emplace(node->key(), node);
  RLM_CHECK(inserted);
  ++n_nodes_;
  RefreshLocked(parent);  // no longer a leaf
  return node;
}

// ---------------------------------------------------------------- locks

void RadixTree::Impl::LockLocked(RadixNode* node) {
  ++node->self_locks;
  for (RadixNode* n = node; n != nullptr; n = n->parent) {
    if (n->lock_ref++ == 0) RefreshLocked(n);
  }
}

void RadixTree::Impl::UnlockLocked(RadixNode* node) {
  RLM_CHECK_MSG(node->self_locks > 0, "RadixTree::Unlock without a matching Lock");
  --node->self_locks;
  for (RadixNode* n = node; n != nullptr; n = n->parent) {
    RLM_CHECK(n->lock_ref > 0);
    if (--n->lock_ref == 0) RefreshLocked(n);
  }
  if (node->state == NodeState::kFailed && node->lock_ref == 0) {
    failed_.erase(node);
    delete node;
  }
}

// ---------------------------------------------------------------- pages

void RadixTree::Impl::PagesForLocked(const RadixNode* node, size_t length,
                                     std::vector<PageId>* out) const {
  RLM_CHECK(length <= node->end);
  const size_t n_pages = (length + page_size_ - 1) / page_size_;
  out->assign(n_pages, kNoPage);
  // Walk up; indices [lo, n_pages) are filled. The deeper node's page wins
  // for an index shared across a boundary (it may be a copy-on-write page).
  size_t lo = n_pages;
  for (const RadixNode* n = node; n != root_ && lo > 0; n = n->parent) {
    RLM_CHECK_MSG(n->state == NodeState::kReady, "PagesFor on a path that is not ready");
    const size_t first = n->start / page_size_;
    const size_t stop = std::min(lo, first + n->pages.size());
    for (size_t i = first; i < stop; ++i) (*out)[i] = n->pages[i - first];
    lo = std::min(lo, first);
  }
  RLM_CHECK(lo == 0);
}

// ---------------------------------------------------------------- API

RadixTree::Lookup RadixTree::Impl::Acquire(CacheNamespace ns, std::span<const int32_t> tokens) {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t n = tokens.size();
  const Walk walk = MatchLocked(ns, tokens);
  ++lookups_;
  tokens_looked_up_ += n;
  tokens_matched_ += walk.matched;
  if (walk.matched > 0) ++hits_;

  Lookup result;
  result.prefix_len = walk.matched;
  if (walk.pending != nullptr) {
    result.kind = Lookup::Kind::kWait;
    result.node = walk.pending;
    LockLocked(walk.pending);
  } else if (walk.matched == n) {
    result.kind = Lookup::Kind::kHit;
    result.node = walk.node;
    result.logits = walk.node->logits;
    LockLocked(walk.node);
    PagesForLocked(walk.node, n, &result.pages);
  } else {
    result.kind = Lookup::Kind::kCompute;
    result.node = NewChildLocked(walk.node, ns, tokens, walk.matched, NodeState::kPending);
    LockLocked(result.node);
    PagesForLocked(walk.node, walk.matched, &result.pages);
  }
  return result;
}

RadixTree::Lookup RadixTree::Impl::Match(CacheNamespace ns, std::span<const int32_t> tokens) {
  std::lock_guard<std::mutex> lock(mu_);
  const Walk walk = MatchLocked(ns, tokens);
  ++lookups_;
  tokens_looked_up_ += tokens.size();
  tokens_matched_ += walk.matched;
  if (walk.matched > 0) ++hits_;
  Lookup result;
  result.kind = Lookup::Kind::kHit;
  result.node = walk.node;
  result.prefix_len = walk.matched;
  if (walk.matched > 0 && walk.matched == walk.node->end) result.logits = walk.node->logits;
  LockLocked(walk.node);
  PagesForLocked(walk.node, walk.matched, &result.pages);
  return result;
}

void RadixTree::Impl::Complete(RadixNode* pending, std::span<const PageId> pages,
                               Logits logits) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    RLM_CHECK_MSG(pending->state == NodeState::kPending, "Complete of a node not pending");
    RLM_CHECK_MSG(pages.size() == PageCount(pending->start, pending->end, page_size_),
                  "Complete: wrong number of pages for the node's span");
    for (PageId page : pages) pool_->Ref(page);
    pending->pages.assign(pages.begin(), pages.end());
    pending->logits = std::move(logits);
    pending->state = NodeState::kReady;
    pending->last_access = ++clock_;
    RefreshLocked(pending);
  }
  cv_.notify_all();
}

void RadixTree::Impl::Fail(RadixNode* pending, const Status& error) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    RLM_CHECK_MSG(pending->state == NodeState::kPending, "Fail of a node not pending");
    RLM_CHECK(pending->children.empty());
    pending->state = NodeState::kFailed;
    pending->error = error.ok() ? Status::Internal("cache: computation failed") : error;
    RadixNode* parent = pending->parent;
    parent->children.erase(pending->key());
    --n_nodes_;
    RefreshLocked(parent);
    if (pending->lock_ref > 0) {
      failed_.insert(pending);  // the last Unlock frees it
    } else {
      delete pending;
    }
  }
  cv_.notify_all();
}

void RadixTree::Impl::WaitLocked(std::unique_lock<std::mutex>& lock, RadixNode* node) {
  cv_.wait(lock, [node] { return node->state != NodeState::kPending; });
}

Status RadixTree::Impl::Wait(RadixNode* node) {
  std::unique_lock<std::mutex> lock(mu_);
  RLM_CHECK(node->lock_ref > 0);
  WaitLocked(lock, node);
  return node->state == NodeState::kFailed ? node->error : Status::Ok();
}

RadixNode* RadixTree::Impl::Insert(CacheNamespace ns, std::span<const int32_t> tokens,
                                   std::span<const PageId> pages, Logits logits,
                                   size_t* already_cached) {
  const size_t n = tokens.size();
  RLM_CHECK_MSG(pages.size() == PageCount(0, n, page_size_),
                "Insert: need one page per page_size tokens");
  std::unique_lock<std::mutex> lock(mu_);
  Walk walk = MatchLocked(ns, tokens);
  while (walk.pending != nullptr) {
    // Someone is computing part of this path: let them finish, then retry.
    LockLocked(walk.pending);
    WaitLocked(lock, walk.pending);
    UnlockLocked(walk.pending);
    walk = MatchLocked(ns, tokens);
  }
  *already_cached = walk.matched;
  RadixNode* node = walk.node;
  if (walk.matched < n) {
    node = NewChildLocked(walk.node, ns, tokens, walk.matched, NodeState::kReady);
    const size_t first = walk.matched / page_size_;
    node->pages.assign(pages.begin() + first, pages.end());
    for (PageId page : node->pages) pool_->Ref(page);
    node->logits = std::move(logits);
  } else if (node != root_ && node->logits == nullptr) {
    node->logits = std::move(logits);
  }
  LockLocked(node);
  return node;
}

void RadixTree::Impl::SetLogits(RadixNode* node, size_t length, Logits logits) {
  std::lock_guard<std::mutex> lock(mu_);
  if (node != root_ && node->state == NodeState::kReady && node->end == length &&
      node->logits == nullptr) {
    node->logits = std::move(logits);
  }
}

void RadixTree::Impl::Lock(RadixNode* node) {
  std::lock_guard<std::mutex> lock(mu_);
  LockLocked(node);
}

void RadixTree::Impl::Unlock(RadixNode* node) {
  std::lock_guard<std::mutex> lock(mu_);
  UnlockLocked(node);
}

RadixNode* RadixTree::Impl::LockPrefix(RadixNode* node, size_t length) {
  std::lock_guard<std::mutex> lock(mu_);
  RLM_CHECK(node->lock_ref > 0);
  RLM_CHECK(length <= node->end);
  RadixNode* n = node;
  if (length == 0) {
    n = root_;
  } else {
    while (n->start >= length) n = n->parent;  // stops where start < length <= end
  }
  LockLocked(n);
  return n;
}

void RadixTree::Impl::PagesFor(RadixNode* node, size_t length, std::vector<PageId>* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  PagesForLocked(node, length, out);
}

size_t RadixTree::Impl::NodeEnd(RadixNode* node) const {
  std::lock_guard<std::mutex> lock(mu_);
  return node->end;
}

bool RadixTree::Impl::IsReady(RadixNode* node) const {
  std::lock_guard<std::mutex> lock(mu_);
  return node->state == NodeState::kReady;
}

// ---------------------------------------------------------------- RadixTree

RadixTree::RadixTree(PagePool* pool, const RadixTreeOptions& options)
    : impl_(std::make_unique<Impl>(pool, options)) {}
RadixTree::~RadixTree() = default;

RadixNode* RadixTree::root() const { return impl_->root(); }
size_t RadixTree::page_size() const { return impl_->page_size(); }
RadixTree::Lookup RadixTree::Acquire(CacheNamespace ns, std::span<const int32_t> tokens) {
  return impl_->Acquire(ns, tokens);
}
RadixTree::Lookup RadixTree::Match(CacheNamespace ns, std::span<const int32_t> tokens) {
  return impl_->Match(ns, tokens);
}
void RadixTree::Complete(RadixNode* pending, std::span<const PageId> pages, Logits logits) {
  impl_->Complete(pending, pages, std::move(logits));
}
void RadixTree::Fail(RadixNode* pending, const Status& error) { impl_->Fail(pending, error); }
Status RadixTree::Wait(RadixNode* node) { return impl_->Wait(node); }
RadixNode* RadixTree::Insert(CacheNamespace ns, std::span<const int32_t> tokens,
                             std::span<const PageId> pages, Logits logits,
                             size_t* already_cached) {
  return impl_->Insert(ns, tokens, pages, std::move(logits), already_cached);
}
void RadixTree::SetLogits(RadixNode* node, size_t length, Logits logits) {
  impl_->SetLogits(node, length, std::move(logits));
}
void RadixTree::Lock(RadixNode* node) { impl_->Lock(node); }
void RadixTree::Unlock(RadixNode* node) { impl_->Unlock(node); }
RadixNode* RadixTree::LockPrefix(RadixNode* node, size_t length) {
  return impl_->LockPrefix(node, length);
}
void RadixTree::PagesFor(RadixNode* node, size_t length, std::vector<PageId>* out) const {
  impl_->PagesFor(node, length, out);
}
size_t RadixTree::NodeEnd(RadixNode* node) const { return impl_->NodeEnd(node); }
bool RadixTree::IsReady(RadixNode* node) const { return impl_->IsReady(node); }
EvictResult RadixTree::EvictPages(size_t pages) { return impl_->EvictPages(pages); }
EvictResult RadixTree::EvictLeaves(size_t leaves) { return impl_->EvictLeaves(leaves); }
EvictResult RadixTree::EvictAll() { return impl_->EvictAll(); }
void RadixTree::SetPriority(RadixNode* node, int32_t priority) {
  impl_->SetPriority(node, priority);
}
RadixTreeStats RadixTree::Stats() const { return impl_->Stats(); }
void RadixTree::CheckInvariants() const { impl_->CheckInvariants(); }

}  // namespace radixlm
