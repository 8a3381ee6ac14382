'use strict';
// Helpers of the tests: build and run this repository's `flagship` CLI
// (`serve` and `decide`), run the JS SDK in a child process (run-sdk.cjs),
// read serve's records route, and make deterministic visitors.

const { spawn, execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { promisify } = require('node:util');

const execFileP = promisify(execFile);

const ROOT = path.resolve(__dirname, '..', '..', '..'); // the repository root
const HERE = path.resolve(__dirname, '..');
const ENV_ID = 'flagshiptest-env'; // serve's default --env

function tmpDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `fs-jssdk-${prefix}-`));
}

// buildCli builds ./cmd/flagship into dir and returns the binary's path;
// FLAGSHIP_CONFORMANCE_BIN names a prebuilt one instead.
async function buildCli(dir) {
  if (process.env.FLAGSHIP_CONFORMANCE_BIN) return process.env.FLAGSHIP_CONFORMANCE_BIN;
  const bin = path.join(dir, process.platform === 'win32' ? 'flagship.exe' : 'flagship');
  const go = process.env.GO || 'go';
  try {
    await execFileP(go, ['build', '-o', bin, './cmd/flagship'], { cwd: ROOT, maxBuffer: 16 << 20 });
  } catch (e) {
    throw new Error(`go build ./cmd/flagship failed: ${e.message}\n${e.stderr || ''}`);
  }
  return bin;
}

const running = new Set();
process.on('exit', () => {
  for (const p of running) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

// The API key serve requires on the Decision API (FLAGSHIP_API_KEY), and
// the SDK is started with.
const API_KEY = 'conformance-api-key';

// startServe runs `flagship serve --addr 127.0.0.1:0 --bucketing FILE`
// (requiring API_KEY on the Decision API) and resolves with its base URL
// (the first line of its standard output).
function startServe(bin, bucketingFile, extraArgs = []) {
  const args = ['serve', '--addr', '127.0.0.1:0', '--bucketing', bucketingFile, ...extraArgs];
  const proc = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FLAGSHIP_API_KEY: API_KEY },
  });
  running.add(proc);
  const stderr = [];
  readline.createInterface({ input: proc.stderr }).on('line', (l) => {
    stderr.push(l);
    if (stderr.length > 400) stderr.shift();
  });
  let exited = null;
  const exitP = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      exited = { code, signal };
      running.delete(proc);
      resolve(exited);
    });
  });
  const urlP = new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: proc.stdout });
    rl.once('line', (line) => resolve(line.trim()));
    proc.on('error', reject);
    exitP.then((x) =>
      reject(new Error(`flagship serve exited (${JSON.stringify(x)}) before printing its URL:\n${stderr.join('\n')}`)),
    );
    setTimeout(() => reject(new Error(`flagship serve printed no URL within 20 s:\n${stderr.join('\n')}`)), 20000).unref();
  });
  return urlP.then((baseUrl) => ({
    baseUrl,
    proc,
    stderr,
    async stop() {
      if (exited) return exited;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      const r = await exitP;
      clearTimeout(t);
      return r;
    },
  }));
}

// decide runs `flagship decide --bucketing FILE --visitors FILE` and
// returns a Map visitorId -> [{campaignId, variationGroupId, variationId}].
async function decide(bin, bucketingFile, visitors) {
  const dir = tmpDir('decide');
  const vf = path.join(dir, 'visitors.jsonl');
  fs.writeFileSync(vf, visitors.map((v) => JSON.stringify({ visitorId: v.visitorId, context: v.context })).join('\n') + '\n');
  let out;
  try {
    ({ stdout: out } = await execFileP(bin, ['decide', '--bucketing', bucketingFile, '--visitors', vf], {
      maxBuffer: 64 << 20,
    }));
  } catch (e) {
    throw new Error(`flagship decide failed: ${e.message}\n${e.stderr || ''}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const m = new Map();
  for (const line of out.split('\n')) {
    if (!line.trim()) continue;
    const d = JSON.parse(line);
    m.set(d.visitorId, d.campaigns || []);
  }
  return m;
}

async function getRecords(baseUrl) {
  const res = await fetch(`${baseUrl}/_flagshiptest/records`);
  const text = await res.text();
  if (res.status !== 200) {
    throw new Error(`GET ${baseUrl}/_flagshiptest/records answered ${res.status}: ${text}`);
  }
  return JSON.parse(text);
}

// runSdk runs lib/run-sdk.cjs with job in a child process (the SDK is a
// singleton: one process per mode) and returns its result.
async function runSdk(job) {
  const dir = tmpDir('run');
  const jobFile = path.join(dir, 'job.json');
  const outFile = path.join(dir, 'result.json');
  fs.writeFileSync(jobFile, JSON.stringify({ ...job, out: outFile }));
  const proc = spawn(process.execPath, [path.join(__dirname, 'run-sdk.cjs'), jobFile], {
    cwd: HERE,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FLAGSHIP_CONFORMANCE_BASE_URL: job.baseUrl },
  });
  running.add(proc);
  let output = '';
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  const timeoutMs = job.timeoutMs || 90000;
  const code = await new Promise((resolve) => {
    const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('exit', (c, s) => {
      clearTimeout(t);
      running.delete(proc);
      resolve(c === null ? `signal ${s}` : c);
    });
  });
  try {
    if (code !== 0 || !fs.existsSync(outFile)) {
      throw new Error(`run-sdk (${job.mode}) exited with ${code}:\n${output.slice(-8000)}`);
    }
    const result = JSON.parse(fs.readFileSync(outFile, 'utf8'));
    result.output = output;
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// MurmurHash3 x86 32-bit, seed 0, over the low byte of each UTF-16 code
// unit: what the JS SDK hashes (the same as UTF-8 for ASCII strings).
function murmur3JS(key) {
  let h = 0;
  const n = key.length;
  const nblocks = n & ~3;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let i = 0;
  for (; i < nblocks; i += 4) {
    let k =
      (key.charCodeAt(i) & 0xff) |
      ((key.charCodeAt(i + 1) & 0xff) << 8) |
      ((key.charCodeAt(i + 2) & 0xff) << 16) |
      ((key.charCodeAt(i + 3) & 0xff) << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (n & 3) {
    case 3:
      k ^= (key.charCodeAt(i + 2) & 0xff) << 16;
    // falls through
    case 2:
      k ^= (key.charCodeAt(i + 1) & 0xff) << 8;
    // falls through
    case 1:
      k ^= key.charCodeAt(i) & 0xff;
      k = Math.imul(k, c1);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, c2);
      h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// A small deterministic PRNG (mulberry32).
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// makeVisitors returns n visitors v-0000... with contexts that exercise the
// main campaigns' targeting. Their ids are ASCII (the JS SDK hashes UTF-16
// low bytes), no string operator reads a key a visitor lacks (the JS SDK
// throws), string values are lower case (its comparisons are
// case-sensitive), and every value has the kind its targetings expect.
function makeVisitors(n, seed = 27) {
  const r = prng(seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const out = [];
  for (let i = 0; i < n; i++) {
    const visitorId = `v-${String(i).padStart(4, '0')}`;
    const ctx = {};
    if (r() < 0.85) ctx.plan = pick(['gold', 'silver', 'bronze', 'free']);
    if (r() < 0.9) ctx.age = Math.floor(r() * 80);
    ctx.country = pick(['fr', 'be', 'de', 'it', 'us', 'es']);
    if (r() < 0.7) ctx.isVIP = r() < 0.3;
    const user = pick(['qa-', 'user', 'buyer']);
    ctx.email = `${user}${i}@${pick(['example.com', 'test.org', 'example.com.au'])}`;
    ctx.url = pick(['/shop/cart', '/shop', '/admin/orders', '/home', '/blog/shopping']);
    if (r() < 0.4) ctx.coupon = pick(['spring', 'welcome10']);
    if (r() < 0.8) ctx.score = Math.round(r() * 10000) / 100;
    out.push({ visitorId, context: ctx });
  }
  return out;
}

function readJsonl(file) {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

// flagsOf returns the flags (key -> value) a list of decided campaigns
// gives in the bucketing file: later campaigns overwrite earlier keys, as
// the SDKs do.
function flagsOf(file, campaigns) {
  const byVariation = new Map();
  for (const c of file.campaigns) {
    for (const vg of c.variationGroups || []) {
      for (const v of vg.variations || []) {
        byVariation.set(`${c.id}/${vg.id}/${v.id}`, (v.modifications && v.modifications.value) || {});
      }
    }
  }
  const flags = {};
  for (const d of campaigns) {
    Object.assign(flags, byVariation.get(`${d.campaignId}/${d.variationGroupId}/${d.variationId}`) || {});
  }
  return flags;
}

// describeRequest formats a recorded request for a failure message.
function describeRequest(r) {
  const body = r.requestBody && r.requestBody.length > 600 ? r.requestBody.slice(0, 600) + '…' : r.requestBody;
  return `${r.method} ${r.target || r.url} (SDK URL ${r.url}) -> ${r.error ? `error ${r.error}` : r.status || 'no answer yet'}${
    r.responseBody ? ` ${r.responseBody.trim()}` : ''
  }${body ? `\n    body: ${body}` : ''}`;
}

module.exports = {
  ROOT,
  HERE,
  ENV_ID,
  API_KEY,
  tmpDir,
  buildCli,
  startServe,
  decide,
  getRecords,
  runSdk,
  murmur3JS,
  makeVisitors,
  readJsonl,
  flagsOf,
  describeRequest,
};
