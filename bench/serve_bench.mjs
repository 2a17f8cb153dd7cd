// Serving benchmark: replays shared-prefix workloads against `radixlm serve`
// with the radix cache on and off (--no-cache) and prints throughput
// (requests/s, prompt and generated tokens/s) and time to first token
// (median, p90) for each.
//
//   shared: R requests sharing a few-shot header of ~H tokens, each with its
//           own ~Q-token question, M generated tokens, C concurrent clients.
//   chat:   N conversations of K turns in parallel; every turn resends the
//           whole history (system prompt + earlier turns + the new message).
//
// usage: node bench/serve_bench.mjs [--model PATH] [--threads T]
//          [--workload shared|chat|all] [--requests R] [--header-tokens H]
//          [--question-tokens Q] [--max-tokens M] [--clients C]
//          [--conversations N] [--turns K] [--system-tokens S] [--reply-tokens P]
// RADIXLM_BIN names the binary (default build/src/cli/radixlm).
import http from 'node:http';
import { startServer, metrics } from '../tests/e2e/server.mjs';

const opt = {
  model: undefined, threads: 2, workload: 'all', requests: 64, headerTokens: 400,
  questionTokens: 50, maxTokens: 8, clients: 8, conversations: 8, turns: 4, systemTokens: 100, replyTokens: 16,
};
const names = {
  '--model': 'model', '--threads': 'threads', '--workload': 'workload', '--requests': 'requests',
  '--header-tokens': 'headerTokens', '--question-tokens': 'questionTokens', '--max-tokens': 'maxTokens',
  '--clients': 'clients', '--conversations': 'conversations', '--turns': 'turns', '--system-tokens': 'systemTokens',
  '--reply-tokens': 'replyTokens',
};
for (let i = 2; i < process.argv.length; i += 2) {
  const key = names[process.argv[i]];
  if (!key) { console.error(`unknown flag ${process.argv[i]}`); process.exit(2); }
  const v = process.argv[i + 1];
  opt[key] = ['model', 'workload'].includes(key) ? v : Number(v);
}

const sentences = [
  'Once upon a time, there was a little girl named Lily.', 'She loved to play outside in the park.',
  'One day, she saw a big red ball under a tree.', 'Tom and his dog Max lived near the forest.',
  'Every morning they went for a long walk by the river.', 'The sun was warm and the birds were singing.',
  'Mia wanted to build a sand castle at the beach.', 'Her mom gave her a blue bucket and a small shovel.',
  'Ben found a shiny stone in the garden.', 'He showed it to his sister and she smiled.',
];
const words = ['cat', 'tree', 'happy', 'jump', 'red', 'ball', 'mom', 'park', 'sun', 'fish', 'boat', 'cake',
  'friend', 'big', 'small', 'run', 'sing', 'book', 'hat', 'rain'];

// The number of tokens `text` makes on this server (POST /tokenize).
async function countTokens(url, text) {
  const r = await fetch(`${url}/tokenize`, { method: 'POST', body: JSON.stringify({ content: text }) });
  return (await r.json()).tokens.length;
}

// Text of about `tokens` tokens built from `make(i)` pieces.
async function textOfTokens(url, tokens, make) {
  let text = '';
  for (let i = 0; ; i++) {
    const next = text + make(i);
    if (await countTokens(url, next) > tokens) return text;
    text = next;
  }
}

async function header(url, tokens) {
  return textOfTokens(url, tokens, (i) => `Q: ${sentences[i % 10]} What happens next?\nA: ${sentences[(i * 7 + 3) % 10]}\n`);
}

async function question(url, tokens, seed) {
  return textOfTokens(url, tokens, (i) => `${words[(seed * 13 + i * 7) % 20]} ${words[(seed + i * 3) % 20]} `);
}

// POST with node:http (fetch gives up on a body silent for 300 s, which a
// slow model's cold prefill can be); resolves to the response stream.
function post(url, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url + path, { method: 'POST', headers: { 'Content-Type': 'application/json' } }, resolve);
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

// One streaming request: resolves to {ttft (ms), usage, text}.
async function stream(url, path, body) {
  const t0 = performance.now();
  const res = await post(url, path, { ...body, stream: true, stream_options: { include_usage: true } });
  res.setEncoding('utf8');
  if (res.statusCode !== 200) {
    let err = '';
    for await (const c of res) err += c;
    throw new Error(`HTTP ${res.statusCode}: ${err}`);
  }
  let buf = '';
  let ttft = null;
  let usage = null;
  let text = '';
  for await (const value of res) {
    buf += value;
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const event = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (!event.startsWith('data: {')) continue;
      const j = JSON.parse(event.slice(6));
      if (j.error) throw new Error(j.error.message);
      for (const c of j.choices) {
        const t = c.text ?? c.delta?.content ?? '';
        if (t && ttft === null) ttft = performance.now() - t0;
        text += t;
      }
      if (j.usage) usage = j.usage;
    }
  }
  return { ttft: ttft ?? performance.now() - t0, usage, text };
}

function summarize(name, results, seconds) {
  const ttft = results.map((r) => r.ttft).sort((a, b) => a - b);
  const q = (p) => ttft[Math.min(ttft.length - 1, Math.floor(p * ttft.length))];
  const sum = (k) => results.reduce((s, r) => s + r.usage[k], 0);
  const cached = results.reduce((s, r) => s + r.usage.prompt_tokens_details.cached_tokens, 0);
  return {
    name, requests: results.length, seconds,
    rps: results.length / seconds,
    prompt_tps: sum('prompt_tokens') / seconds,
    gen_tps: sum('completion_tokens') / seconds,
    ttft_p50: q(0.5), ttft_p90: q(0.9),
    cached_pct: (100 * cached) / sum('prompt_tokens'),
  };
}

async function sharedWorkload(url) {
  const h = await header(url, opt.headerTokens);
  const qs = [];
  for (let i = 0; i < opt.requests; i++) qs.push(await question(url, opt.questionTokens, i));
  const results = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: opt.clients }, async () => {
    while (next < opt.requests) {
      const i = next++;
      results.push(await stream(url, '/v1/completions', {
        prompt: `${h}Q: ${qs[i]}\nA:`, max_tokens: opt.maxTokens, temperature: 0, ignore_eos: true,
      }));
    }
  }));
  return { results, seconds: (performance.now() - t0) / 1000, headerTokens: await countTokens(url, h) };
}

async function chatWorkload(url) {
  const system = await header(url, opt.systemTokens);
  const results = [];
  const t0 = performance.now();
  await Promise.all(Array.from({ length: opt.conversations }, async (_, c) => {
    const messages = [{ role: 'system', content: system }];
    for (let t = 0; t < opt.turns; t++) {
      messages.push({ role: 'user', content: `${sentences[(c + t) % 10]} Tell me more about ${words[(c * 3 + t) % 20]}.` });
      const r = await stream(url, '/v1/chat/completions', {
        messages, max_tokens: opt.replyTokens, temperature: 0, ignore_eos: true,
      });
      results.push(r);
      messages.push({ role: 'assistant', content: r.text });
    }
  }));
  return { results, seconds: (performance.now() - t0) / 1000 };
}

const fmt = (x, d = 1) => x.toFixed(d).padStart(9);
const rows = [];
const workloads = opt.workload === 'all' ? ['shared', 'chat'] : [opt.workload];
for (const w of workloads) {
  for (const cache of [true, false]) {
    const server = await startServer(['-np', String(opt.clients), '-c', '0', ...(cache ? [] : ['--no-cache'])],
      { model: opt.model, threads: opt.threads });
    try {
      const run = w === 'shared' ? await sharedWorkload(server.url) : await chatWorkload(server.url);
      const s = summarize(`${w} cache ${cache ? 'on ' : 'off'}`, run.results, run.seconds);
      if (run.headerTokens) s.name += ` (header ${run.headerTokens} tok)`;
      const m = await metrics(server.url);
      s.computed = m.radixlm_engine_tokens_computed_total;
      rows.push(s);
      console.error(`${s.name}: ${s.requests} requests in ${s.seconds.toFixed(1)} s`);
    } finally {
      await server.stop();
    }
  }
}
console.log(`model ${opt.model || 'stories260K'} | threads ${opt.threads} | clients ${opt.clients} | max_tokens ${opt.maxTokens}`);
console.log('workload                              req    sec    req/s  prompt tok/s  gen tok/s  TTFT p50 ms  TTFT p90 ms  cached %');
for (const r of rows) {
  console.log(`${r.name.padEnd(34)} ${String(r.requests).padStart(5)} ${fmt(r.seconds)}${fmt(r.rps, 2)}${fmt(r.prompt_tps, 0)}    ${fmt(r.gen_tps, 1)}  ${fmt(r.ttft_p50, 0)}    ${fmt(r.ttft_p90, 0)}    ${fmt(r.cached_pct, 1)}`);
}
for (let i = 0; i + 1 < rows.length; i += 2) {
  console.log(`${rows[i].name.split(' ')[0]}: cache on / off throughput ${(rows[i].rps / rows[i + 1].rps).toFixed(1)}x, ` +
    `TTFT p50 ${(rows[i + 1].ttft_p50 / rows[i].ttft_p50).toFixed(1)}x lower`);
}
