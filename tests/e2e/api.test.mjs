// End-to-end tests of radixlm serve through the official OpenAI client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { metrics, pagesBalanced, startServer, waitForMetrics } from './server.mjs';

let server;
let client;

before(async () => {
  server = await startServer(['-np', '8', '--max-body-bytes', '64K', '--max-tokens-limit', '480']);
  client = new OpenAI({ apiKey: 'unused', baseURL: server.baseURL, maxRetries: 0 });
});

after(async () => {
  const code = await server.stop();
  assert.equal(code, 0, server.stderr);
});

const greedy = { temperature: 0 };

describe('completions', () => {
  test('non-streaming text, usage and ids', async () => {
    const r = await client.completions.create({
      model: 'stories260K', prompt: 'Once upon a time', max_tokens: 20, ...greedy,
    });
    assert.match(r.id, /^cmpl-/);
    assert.equal(r.object, 'text_completion');
    assert.equal(r.model, 'stories260K.bin');
    assert.ok(Math.abs(r.created - Date.now() / 1000) < 3600);
    assert.equal(r.choices.length, 1);
    assert.equal(r.choices[0].text, ', there was a little girl named Lily. She loved to play outsid');
    assert.equal(r.choices[0].finish_reason, 'length');
    assert.equal(r.usage.prompt_tokens, 5);
    assert.equal(r.usage.completion_tokens, 20);
    assert.equal(r.usage.total_tokens, 25);
    assert.equal(typeof r.usage.prompt_tokens_details.cached_tokens, 'number');
  });

  test('token-array prompt equals the string prompt; echo', async () => {
    const a = await client.completions.create({ model: 'm', prompt: [1, 403, 407, 261, 378], max_tokens: 12, ...greedy });
    const b = await client.completions.create({ model: 'm', prompt: 'Once upon a time', max_tokens: 12, ...greedy, echo: true });
    assert.equal(b.choices[0].text, 'Once upon a time' + a.choices[0].text);
  });

  test('several prompts give one choice each, in order', async () => {
    const r = await client.completions.create({ model: 'm', prompt: ['Once upon a time', 'The cat'], max_tokens: 8, ...greedy });
    assert.equal(r.choices.length, 2);
    assert.deepEqual(r.choices.map((c) => c.index), [0, 1]);
    const single = await client.completions.create({ model: 'm', prompt: 'The cat', max_tokens: 8, ...greedy });
    assert.equal(r.choices[1].text, single.choices[0].text);
  });

  test('streaming equals non-streaming, with include_usage', async () => {
    const body = { model: 'm', prompt: 'Lily and Ben went', max_tokens: 40, ...greedy };
    const whole = await client.completions.create(body);
    const stream = await client.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish = null;
    let usage = null;
    for await (const chunk of stream) {
      assert.match(chunk.id, /^cmpl-/);
      for (const c of chunk.choices) {
        text += c.text;
        if (c.finish_reason) finish = c.finish_reason;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, whole.choices[0].text);
    assert.equal(finish, whole.choices[0].finish_reason);
    assert.equal(usage.completion_tokens, whole.usage.completion_tokens);
    assert.equal(usage.prompt_tokens_details.cached_tokens, usage.prompt_tokens);  // second time: cached
  });

  test('stop strings (string and array)', async () => {
    const r = await client.completions.create({ model: 'm', prompt: 'Once upon a time', max_tokens: 100, stop: 'Lily', ...greedy });
    assert.equal(r.choices[0].text, ', there was a little girl named ');
    assert.equal(r.choices[0].finish_reason, 'stop');
    const s = await client.completions.create({ model: 'm', prompt: 'Once upon a time', max_tokens: 100, stop: ['park', 'girl'], ...greedy, stream: true });
    let text = '';
    let finish;
    for await (const chunk of s) for (const c of chunk.choices) { text += c.text; finish = c.finish_reason || finish; }
    assert.equal(text, ', there was a little ');
    assert.equal(finish, 'stop');
  });

  test('logprobs', async () => {
    const r = await client.completions.create({ model: 'm', prompt: 'Once upon a time', max_tokens: 6, logprobs: 3, ...greedy });
    const lp = r.choices[0].logprobs;
    assert.equal(lp.tokens.length, 6);
    assert.equal(lp.token_logprobs.length, 6);
    assert.equal(lp.text_offset[0], 0);
    assert.equal(lp.tokens.join(''), r.choices[0].text);
    for (let i = 0; i < 6; i++) {
      assert.ok(lp.token_logprobs[i] <= 0);
      const top = Object.entries(lp.top_logprobs[i]);
      assert.ok(top.length >= 1 && top.length <= 3);
      // greedy: the chosen token is the most likely one
      assert.equal(Math.max(...top.map(([, v]) => v)), lp.token_logprobs[i]);
    }
  });

  test('n > 1 with a seed is reproducible; the prompt is computed once', async () => {
    const prompt = 'A big red dog named Max lived in a small house near the forest.';
    const body = { model: 'm', prompt, max_tokens: 24, n: 4, temperature: 1.0, seed: 7 };
    const a = await client.completions.create(body);
    assert.equal(a.choices.length, 4);
    assert.deepEqual(a.choices.map((c) => c.index), [0, 1, 2, 3]);
    assert.ok(new Set(a.choices.map((c) => c.text)).size > 1, 'different seeds per choice');
    const b = await client.completions.create(body);
    assert.deepEqual(b.choices.map((c) => c.text), a.choices.map((c) => c.text));
    assert.equal(a.usage.prompt_tokens, b.usage.prompt_tokens);
    assert.equal(b.usage.prompt_tokens_details.cached_tokens, b.usage.prompt_tokens);
    // Choice i uses seed + i: choice 1 of seed 7 is choice 0 of seed 8.
    const c = await client.completions.create({ ...body, n: 1, seed: 8 });
    assert.equal(c.choices[0].text, a.choices[1].text);
  });
});

describe('chat', () => {
  const messages = [
    { role: 'system', content: 'You are a storyteller.' },
    { role: 'user', content: 'Tell me about a cat.' },
  ];

  test('non-streaming', async () => {
    const r = await client.chat.completions.create({ model: 'm', messages, max_tokens: 24, ...greedy });
    assert.match(r.id, /^chatcmpl-/);
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.choices[0].message.role, 'assistant');
    assert.ok(r.choices[0].message.content.length > 0);
    assert.equal(r.usage.completion_tokens, 24);
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + 24);
  });

  test('streaming equals non-streaming; max_completion_tokens; logprobs', async () => {
    const body = { model: 'm', messages, max_completion_tokens: 30, ...greedy, logprobs: true, top_logprobs: 2 };
    const whole = await client.chat.completions.create(body);
    const content = whole.choices[0].logprobs.content;
    assert.equal(content.length, 30);
    assert.equal(content[0].top_logprobs.length, 2);
    assert.deepEqual(content[0].bytes, [...Buffer.from(content[0].token)]);
    assert.equal(content.map((t) => t.token).join(''), whole.choices[0].message.content);
    const stream = await client.chat.completions.create({ ...body, stream: true });
    let text = '';
    let role = null;
    let tokens = 0;
    let finish = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      for (const c of chunk.choices) {
        if (c.delta.role) role = c.delta.role;
        if (c.delta.content) text += c.delta.content;
        if (c.logprobs) tokens += c.logprobs.content.length;
        if (c.finish_reason) finish = c.finish_reason;
      }
    }
    assert.equal(role, 'assistant');
    assert.equal(text, whole.choices[0].message.content);
    assert.equal(tokens, 30);
    assert.equal(finish, 'length');
  });

  test('n > 1 streaming gives every choice', async () => {
    const stream = await client.chat.completions.create({ model: 'm', messages, max_tokens: 10, n: 3, seed: 1, temperature: 0.8, stream: true });
    const texts = ['', '', ''];
    const finished = new Set();
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        texts[c.index] += c.delta.content || '';
        if (c.finish_reason) finished.add(c.index);
      }
    }
    assert.equal(finished.size, 3);
    for (const t of texts) assert.ok(t.length > 0);
  });
});

describe('cache', () => {
  test('cache_salt isolates tenants', async () => {
    const prompt = 'Tom had a blue kite. One windy day he took it to the hill and it flew very high.';
    const ask = (salt) => client.completions.create({ model: 'm', prompt, max_tokens: 4, ...greedy, ...(salt ? { cache_salt: salt } : {}) });
    const a1 = await ask('tenant-a');
    assert.equal(a1.usage.prompt_tokens_details.cached_tokens, 0);
    const a2 = await ask('tenant-a');
    assert.equal(a2.usage.prompt_tokens_details.cached_tokens, a2.usage.prompt_tokens);
    const b = await ask('tenant-b');
    assert.equal(b.usage.prompt_tokens_details.cached_tokens, 0);
    const none = await ask(null);
    assert.ok(none.usage.prompt_tokens_details.cached_tokens <= 1);  // BOS, from other requests
    assert.equal(b.choices[0].text, a1.choices[0].text);
  });

  test('32 concurrent streaming clients equal the same requests one at a time', async () => {
    const starts = ['Once upon a time', 'The little dog', 'Sam wanted to', 'One day, a bird', 'Mia and her mom',
      'The sun was', 'A tiny frog', 'Ben found a'];
    const reqs = Array.from({ length: 32 }, (_, i) => ({
      model: 'm', prompt: `${starts[i % 8]} ${['went', 'saw', 'had', 'liked'][i % 4]}`, max_tokens: 48, ...greedy,
    }));
    const sequential = [];
    for (const r of reqs) sequential.push((await client.completions.create(r)).choices[0].text);
    // Another cache namespace, so the concurrent run computes everything again.
    const streamed = await Promise.all(reqs.map(async (r) => {
      const s = await client.completions.create({ ...r, stream: true, cache_salt: 'concurrent' });
      let text = '';
      for await (const chunk of s) for (const c of chunk.choices) text += c.text;
      return text;
    }));
    assert.deepEqual(streamed, sequential);
    const m = await waitForMetrics(server.url, (x) => x.radixlm_requests_running === 0);
    assert.ok(m.radixlm_engine_max_batch_sequences > 1, 'decode steps were batched');
  });

  test('a client that disconnects mid-stream cancels its request and frees its pages', async () => {
    const before = await metrics(server.url);
    const controller = new AbortController();
    const stream = await client.completions.create(
      { model: 'm', prompt: 'Once upon a time', max_tokens: 480, ignore_eos: true, stream: true },
      { signal: controller.signal });
    let chunks = 0;
    try {
      for await (const chunk of stream) {
        if (++chunks === 3) controller.abort();  // the client drops the connection
      }
    } catch (e) {
      assert.equal(e.name, 'APIUserAbortError');  // (the client may end the loop quietly instead)
    }
    assert.ok(chunks < 480);
    const m = await waitForMetrics(server.url, (x) =>
      x.radixlm_requests_cancelled_total === before.radixlm_requests_cancelled_total + 1 &&
      x.radixlm_requests_running === 0 && x.radixlm_kv_pages_pinned === 0);
    assert.ok(pagesBalanced(m));
    assert.ok(m.radixlm_generated_tokens_total - before.radixlm_generated_tokens_total < 480);
  });
});

describe('errors', () => {
  const expectError = async (promise, status, param) => {
    await assert.rejects(promise, (e) => {
      assert.equal(e.status, status);
      if (param !== undefined) assert.equal(e.error?.param ?? e.param, param);
      return true;
    });
  };

  test('bad fields and wrong types are 400 with the param named', async () => {
    await expectError(client.completions.create({ model: 'm', prompt: 'x', temperature: 5 }), 400, 'temperature');
    await expectError(client.completions.create({ model: 'm', prompt: 'x', max_tokens: 'ten' }), 400, 'max_tokens');
    await expectError(client.completions.create({ model: 'm', prompt: 'x', n: 0 }), 400, 'n');
    await expectError(client.completions.create({ model: 'm', prompt: 'x', max_tokens: 481 }), 400, 'max_tokens');
    await expectError(client.completions.create({ model: 'm', prompt: [1, 99999] }), 400, 'prompt');
    await expectError(client.chat.completions.create({ model: 'm', messages: [] }), 400, 'messages');
    await expectError(client.chat.completions.create({ model: 'm', messages: [{ role: 'wizard', content: 'x' }] }), 400, 'messages[0].role');
  });

  test('a prompt beyond the context is 400 context_length_exceeded', async () => {
    const long = Array(600).fill(403);
    await assert.rejects(client.completions.create({ model: 'm', prompt: long }), (e) => {
      assert.equal(e.status, 400);
      assert.equal(e.code, 'context_length_exceeded');
      return true;
    });
  });

  test('bad JSON is 400; an oversized body is 413; unknown paths 404 (OpenAI error JSON)', async () => {
    let r = await fetch(`${server.baseURL}/completions`, { method: 'POST', body: '{"prompt": ', headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 400);
    let j = await r.json();
    assert.equal(j.error.type, 'invalid_request_error');
    assert.equal(j.error.code, 'invalid_json');
    r = await fetch(`${server.baseURL}/completions`, { method: 'POST', body: JSON.stringify({ prompt: 'x'.repeat(100000) }), headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 413);
    j = await r.json();
    assert.equal(j.error.code, 'request_too_large');
    r = await fetch(`${server.baseURL}/nothing`);
    assert.equal(r.status, 404);
    assert.equal((await r.json()).error.code, 'not_found');
  });

  test('models, health and metrics', async () => {
    const models = await client.models.list();
    assert.equal(models.data[0].id, 'stories260K.bin');
    const h = await fetch(`${server.url}/health`);
    assert.equal(h.status, 200);
    assert.deepEqual(await h.json(), { status: 'ok' });
    const m = await metrics(server.url);
    assert.ok(m['radixlm_http_requests_total{endpoint="/v1/completions",status="200"}'] > 0);
    assert.ok(m['radixlm_http_requests_total{endpoint="/v1/completions",status="400"}'] > 0);
    assert.ok(m.radixlm_time_to_first_token_seconds_count > 0);
    assert.ok(m.radixlm_inter_token_latency_seconds_count > 0);
    assert.ok(m.radixlm_cached_prompt_tokens_total > 0);
    assert.ok(pagesBalanced(m));
  });
});
