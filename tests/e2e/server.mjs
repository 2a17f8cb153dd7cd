// Starts and stops `radixlm serve` for the end-to-end tests, and reads its
// /metrics. The binary is $RADIXLM_BIN or build/src/cli/radixlm; the model
// is the default one (models/stories260K).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');
export const bin = process.env.RADIXLM_BIN || path.join(root, 'build', 'src', 'cli', 'radixlm');
export const model = path.join(root, 'models', 'stories260K', 'stories260K.bin');

// Starts a server on a free loopback port (--port 0; the port is read from
// its "listening on" line). Resolves to {port, baseURL, url, proc, stderr,
// stop()}; stop() sends SIGTERM and resolves to the exit code.
// opts: {model, threads} override the default model and 2 threads.
export function startServer(extraArgs = [], opts = {}) {
  const args = ['serve', '-m', opts.model || model, '--host', '127.0.0.1', '--port', '0',
    '-t', String(opts.threads || 2), ...extraArgs];
  const proc = spawn(bin, args, { stdio: ['ignore', 'inherit', 'pipe'] });
  if (process.env.RADIXLM_E2E_VERBOSE) proc.stderr.on('data', (d) => process.stderr.write(d));
  let stderr = '';
  let started = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`server did not start in 30 s:\n${stderr}`));
    }, 30000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${stderr}`));
    });
    proc.stderr.on('data', (chunk) => {
      stderr += chunk.toString();
      const m = stderr.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m && !started) {
        started = true;
        clearTimeout(timer);
        proc.removeAllListeners('exit');
        const port = Number(m[1]);
        const url = `http://127.0.0.1:${port}`;
        const exited = new Promise((res) => proc.on('exit', (code, signal) => res(code ?? signal)));
        resolve({
          port,
          url,
          baseURL: `${url}/v1`,
          proc,
          get stderr() { return stderr; },
          stop: () => { proc.kill('SIGTERM'); return exited; },
          exited,
        });
      }
    });
  });
}

// GET /metrics parsed into {name or name{labels}: number}.
export async function metrics(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

// Polls /metrics until pred(metrics) holds (or throws after timeoutMs).
export async function waitForMetrics(url, pred, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let m;
  for (;;) {
    m = await metrics(url);
    if (pred(m)) return m;
    if (Date.now() > deadline) throw new Error(`metrics condition not met: ${JSON.stringify(m)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The page invariant: free + evictable + pinned == total.
export function pagesBalanced(m) {
  return m.radixlm_kv_pages_free + m.radixlm_kv_pages_evictable + m.radixlm_kv_pages_pinned ===
    m.radixlm_kv_pages_total;
}
