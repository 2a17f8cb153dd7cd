// --api-key, --warmup, 429 and graceful shutdown, each on its own server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { metrics, startServer } from './server.mjs';

test('--api-key: 401 on /v1 without the right Bearer token; /health stays open', async () => {
  const server = await startServer(['--api-key', 'sekret']);
  try {
    const wrong = new OpenAI({ apiKey: 'nope', baseURL: server.baseURL, maxRetries: 0 });
    await assert.rejects(wrong.completions.create({ model: 'm', prompt: 'x', max_tokens: 2 }), (e) => {
      assert.equal(e.status, 401);
      assert.equal(e.code, 'invalid_api_key');
      return true;
    });
    await assert.rejects(wrong.models.list(), (e) => e.status === 401);
    const right = new OpenAI({ apiKey: 'sekret', baseURL: server.baseURL, maxRetries: 0 });
    const r = await right.completions.create({ model: 'm', prompt: 'Once upon a time', max_tokens: 2 });
    assert.equal(r.choices.length, 1);
    const nokey = await fetch(`${server.baseURL}/chat/completions`, { method: 'POST', body: '{}' });
    assert.equal(nokey.status, 401);
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('--warmup caches (and pins) prefixes before /health is ok', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radixlm-warmup-'));
  const file = path.join(dir, 'warmup.jsonl');
  const header = 'Once upon a time, in a big green forest, there lived a wise old owl who told stories to all the animals.';
  fs.writeFileSync(file, [
    JSON.stringify({ prompt: header, pin: true }),
    JSON.stringify([{ role: 'system', content: 'You are a kind storyteller.' }]),
    '# comments and blank lines are skipped', '',
  ].join('\n'));
  const server = await startServer(['--warmup', file]);
  try {
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
    const m = await metrics(server.url);
    assert.ok(m.radixlm_kv_pages_pinned > 0);
    assert.ok(m.radixlm_warmup_pinned_tokens > 0);
    const client = new OpenAI({ apiKey: 'x', baseURL: server.baseURL, maxRetries: 0 });
    const r = await client.completions.create({ model: 'm', prompt: header + ' One day', max_tokens: 4, temperature: 0 });
    assert.ok(r.usage.prompt_tokens_details.cached_tokens >= m.radixlm_warmup_pinned_tokens - 1);
    const c = await client.chat.completions.create({ model: 'm', messages: [
      { role: 'system', content: 'You are a kind storyteller.' }, { role: 'user', content: 'Hi' }], max_tokens: 4 });
    assert.ok(c.usage.prompt_tokens_details.cached_tokens > 5);
  } finally {
    assert.equal(await server.stop(), 0);
    fs.rmSync(dir, { recursive: true });
  }
});

test('a full queue is 429; SIGTERM lets running streams finish and exits 0', async () => {
  const server = await startServer(['-np', '1', '--max-queue', '1']);
  const client = new OpenAI({ apiKey: 'x', baseURL: server.baseURL, maxRetries: 0 });
  const long = { model: 'm', prompt: 'Once upon a time', max_tokens: 480, ignore_eos: true };
  // One running, one queued, the third is refused.
  const running = await client.completions.create({ ...long, stream: true });
  const queued = client.completions.create({ ...long, max_tokens: 8 });
  await new Promise((r) => setTimeout(r, 50));
  await assert.rejects(client.completions.create({ ...long, max_tokens: 8 }), (e) => {
    assert.equal(e.status, 429);
    return true;
  });
  const exit = server.stop();  // SIGTERM while the stream runs
  let text = '';
  let finish = null;
  for await (const chunk of running) for (const c of chunk.choices) { text += c.text; finish = c.finish_reason || finish; }
  assert.equal(finish, 'length');
  assert.ok(text.length > 100);
  assert.equal((await queued).choices.length, 1);
  assert.equal(await exit, 0);
});
