// The same API through curl: raw HTTP, SSE framing, status codes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startServer } from './server.mjs';

const run = promisify(execFile);
let server;

before(async () => { server = await startServer(['--api-key', 'k1', '--max-body-bytes', '4K']); });
after(async () => { assert.equal(await server.stop(), 0); });

// curl → {status, body}.
async function curl(path, { body, key = 'k1', method } = {}) {
  const args = ['-sS', '-o', '-', '-w', '\n%{http_code}', `${server.url}${path}`];
  if (key) args.push('-H', `Authorization: Bearer ${key}`);
  if (body !== undefined) args.push('-H', 'Content-Type: application/json', '--data-binary', body);
  if (method) args.push('-X', method);
  const { stdout } = await run('curl', args, { maxBuffer: 1 << 24 });
  const i = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i) };
}

test('curl: completion, chat and SSE framing', async () => {
  let r = await curl('/v1/completions', { body: '{"prompt":"Once upon a time","max_tokens":8,"temperature":0}' });
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body).choices[0].text, ', there was a little girl');
  r = await curl('/v1/chat/completions', { body: '{"messages":[{"role":"user","content":"Hi"}],"max_tokens":8,"stream":true}' });
  assert.equal(r.status, 200);
  const events = r.body.split('\n\n').filter(Boolean);
  assert.equal(events.at(-1), 'data: [DONE]');
  for (const e of events.slice(0, -1)) {
    assert.ok(e.startsWith('data: {'), e);
    assert.equal(JSON.parse(e.slice(6)).object, 'chat.completion.chunk');
  }
});

test('curl: 401, 400, 413 and open /health', async () => {
  assert.equal((await curl('/v1/completions', { body: '{"prompt":"x"}', key: 'wrong' })).status, 401);
  assert.equal((await curl('/v1/models', { key: null })).status, 401);
  const bad = await curl('/v1/completions', { body: '{"prompt":"x","stop":7}' });
  assert.equal(bad.status, 400);
  assert.deepEqual(JSON.parse(bad.body).error.param, 'stop');
  const big = await curl('/v1/completions', { body: JSON.stringify({ prompt: 'y'.repeat(8000) }) });
  assert.equal(big.status, 413);
  assert.equal(JSON.parse(big.body).error.type, 'invalid_request_error');
  const health = await curl('/health', { key: null });
  assert.equal(health.status, 200);
  assert.equal(health.body, '{"status":"ok"}');
  assert.equal((await curl('/metrics', { key: null })).status, 200);
});
