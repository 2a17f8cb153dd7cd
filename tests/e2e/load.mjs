// Bounded load test of radixlm serve: a fixed number of requests (default
// 500) from a fixed number of concurrent clients (default 16) over
// loopback, a mix of completions and chat, streaming and not, shared
// prefixes, n > 1, and some clients that hang up mid-stream. The KV budget
// is small, so the cache evicts (and the scheduler may preempt) under load.
// Passes when every request succeeded and, afterwards, no page is pinned
// and free + evictable + pinned == total. Stops by itself.
//
// usage: node load.mjs [--requests N] [--clients C] [--kv-cache-bytes B]
import { metrics, pagesBalanced, startServer, waitForMetrics } from './server.mjs';

const opt = { requests: 500, clients: 16, kv: '3M' };
for (let i = 2; i < process.argv.length; i += 2) {
  const [k, v] = [process.argv[i], process.argv[i + 1]];
  if (k === '--requests') opt.requests = Number(v);
  else if (k === '--clients') opt.clients = Number(v);
  else if (k === '--kv-cache-bytes') opt.kv = v;
  else { console.error(`unknown flag ${k}`); process.exit(2); }
}

// Deterministic pseudo-random numbers (mulberry32).
function rng(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const headers = [
  'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. ',
  'Tom and his dog Max lived in a small house near the big forest. Every morning they went for a long walk. ',
  'The sun was shining and the birds were singing. Mia wanted to go to the beach with her mom and dad. ',
  'Ben had a red ball. He liked to throw it high into the sky and catch it with his two hands. ',
];
const questions = ['One day,', 'Then', 'Suddenly,', 'After that,', 'The next day,', 'At night,'];

function makeRequest(i) {
  const r = rng(i + 1);
  const header = headers[Math.floor(r() * headers.length)];
  const q = `${questions[Math.floor(r() * questions.length)]} ${i % 7 === 0 ? 'she smiled' : 'they'}`;
  const stream = r() < 0.5;
  const common = {
    model: 'm', max_tokens: 16 + Math.floor(r() * 48), stream,
    temperature: r() < 0.3 ? 0 : 0.8, seed: i,
    ...(r() < 0.15 ? { n: 2 } : {}),
    ...(r() < 0.1 ? { cache_salt: `tenant-${i % 3}` } : {}),
    ...(r() < 0.1 ? { stop: ['.'] } : {}),
    ...(stream && r() < 0.5 ? { stream_options: { include_usage: true } } : {}),
  };
  const hangUp = stream && r() < 0.08;
  if (r() < 0.6) return { path: '/v1/completions', body: { ...common, prompt: header + q }, hangUp };
  const turns = [{ role: 'system', content: header }];
  const n = 1 + Math.floor(r() * 3);
  for (let t = 0; t < n; t++) {
    turns.push({ role: 'user', content: `${questions[t]} what happened?` });
    if (t + 1 < n) turns.push({ role: 'assistant', content: 'They played all day.' });
  }
  return { path: '/v1/chat/completions', body: { ...common, messages: turns }, hangUp };
}

async function runOne(url, req, stats) {
  const t0 = performance.now();
  const controller = new AbortController();
  let res;
  try {
    res = await fetch(url + req.path, {
      method: 'POST', body: JSON.stringify(req.body), signal: controller.signal,
      headers: { 'Content-Type': 'application/json' },
    });
  } catch (e) {
    stats.errors.push(`${req.path}: ${e.cause?.code || e.message}`);
    return;
  }
  if (res.status !== 200) {
    stats.errors.push(`${req.path}: HTTP ${res.status} ${await res.text()}`);
    return;
  }
  if (!req.body.stream) {
    const j = await res.json();
    stats.tokens += j.usage.completion_tokens;
    stats.latencies.push(performance.now() - t0);
    return;
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let chunks = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (++chunks === 2 && req.hangUp) {
        controller.abort();
        stats.hungUp++;
        return;
      }
    }
  } catch (e) {
    stats.errors.push(`${req.path}: stream: ${e.message}`);
    return;
  }
  if (!text.endsWith('data: [DONE]\n\n')) {
    stats.errors.push(`${req.path}: stream did not end with [DONE]`);
    return;
  }
  for (const event of text.split('\n\n')) {
    if (!event.startsWith('data: {')) continue;
    const j = JSON.parse(event.slice(6));
    if (j.error) stats.errors.push(`${req.path}: ${j.error.message}`);
    for (const c of j.choices || []) if (c.finish_reason == null && ((c.text ?? c.delta?.content) || '')) stats.tokens += 0;
    if (j.usage) stats.tokens += j.usage.completion_tokens;
  }
  stats.latencies.push(performance.now() - t0);
}

const server = await startServer(['-np', '8', '--max-queue', '1024', '--kv-cache-bytes', opt.kv]);
const stats = { errors: [], tokens: 0, latencies: [], hungUp: 0 };
const before = await metrics(server.url);
let next = 0;
const t0 = performance.now();
await Promise.all(Array.from({ length: opt.clients }, async () => {
  while (next < opt.requests) await runOne(server.url, makeRequest(next++), stats);
}));
const seconds = (performance.now() - t0) / 1000;
const m = await waitForMetrics(server.url, (x) => x.radixlm_requests_running === 0 && x.radixlm_requests_queued === 0, 30000);
const code = await server.stop();

const lat = stats.latencies.sort((a, b) => a - b);
const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : 0).toFixed(0);
const d = (k) => m[k] - (before[k] || 0);
console.log(`load: ${opt.requests} requests, ${opt.clients} clients, ${seconds.toFixed(1)} s: ` +
  `${(opt.requests / seconds).toFixed(1)} req/s, latency p50 ${pct(0.5)} ms p90 ${pct(0.9)} ms p99 ${pct(0.99)} ms`);
console.log(`load: generations ${d('radixlm_requests_completed_total')} (cancelled ${d('radixlm_requests_cancelled_total')}, ` +
  `clients hung up ${stats.hungUp}), generated ${d('radixlm_generated_tokens_total')} tokens, ` +
  `prompt ${d('radixlm_prompt_tokens_total')} (cached ${d('radixlm_cached_prompt_tokens_total')}), ` +
  `evicted ${d('radixlm_cache_evicted_tokens_total')} tokens, preemptions ${d('radixlm_preemptions_total')}, ` +
  `max batch ${m.radixlm_engine_max_batch_sequences}`);
console.log(`load: KV pages total ${m.radixlm_kv_pages_total} = free ${m.radixlm_kv_pages_free} + evictable ` +
  `${m.radixlm_kv_pages_evictable} + pinned ${m.radixlm_kv_pages_pinned}; live handles ${m.radixlm_engine_live_handles}`);
const failures = [...stats.errors];
if (m.radixlm_kv_pages_pinned !== 0) failures.push('pages still pinned');
if (!pagesBalanced(m)) failures.push('free + evictable + pinned != total');
if (m.radixlm_engine_live_handles !== 0) failures.push('cache handles still live');
if (d('radixlm_requests_cancelled_total') > stats.hungUp * 2) failures.push('more cancellations than hang-ups');
if (code !== 0) failures.push(`server exit code ${code}`);
if (failures.length) {
  console.error(`load: FAILED (${failures.length}):\n  ${failures.slice(0, 20).join('\n  ')}`);
  process.exit(1);
}
console.log('load: ok');
