'use strict';
// The preload that keeps the SDK on loopback (lib/hook.cjs): Flagship's
// hosts are rewritten to the local server, anything else fails.

process.env.FLAGSHIP_CONFORMANCE_BASE_URL = 'http://127.0.0.1:9';
const hook = require('../lib/hook.cjs');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');

test('Flagship hosts are rewritten to the local server, path and query kept', () => {
  const cases = {
    'https://decision.flagship.io/v2/env1/campaigns?exposeAllKeys=true&extras[]=accountSettings':
      'http://127.0.0.1:9/v2/env1/campaigns?exposeAllKeys=true&extras[]=accountSettings',
    'https://decision.flagship.io/v2/activate': 'http://127.0.0.1:9/v2/activate',
    'https://cdn.flagship.io/env1/bucketing.json': 'http://127.0.0.1:9/env1/bucketing.json',
    'https://cdn.flagship.io/env1/accountSettings.json': 'http://127.0.0.1:9/env1/accountSettings.json',
    'https://events.flagship.io': 'http://127.0.0.1:9',
    'https://events.flagship.io/analytics': 'http://127.0.0.1:9/analytics',
    'https://events.flagship.io/troubleshooting': 'http://127.0.0.1:9/troubleshooting',
    'https://ariane.abtasty.com': 'http://127.0.0.1:9',
    'http://127.0.0.1:1234/x': 'http://127.0.0.1:1234/x',
  };
  for (const [from, to] of Object.entries(cases)) assert.equal(hook.rewrite(from), to, from);
});

test('other hosts are refused and recorded', async () => {
  const before = hook.state.violations.length;
  for (const url of [
    'https://api-data-connector.flagship.io/accounts/env1/segments/v1',
    'https://uc-info.flagship.io/v1/segments/clients/env1/visitors/v1',
    'https://example.com/',
  ]) {
    assert.throws(() => hook.rewrite(url), /refused/);
  }
  // Through the SDK's own client, node-fetch, as the SDK loads it.
  const fetch = require('node-fetch');
  await assert.rejects(fetch('https://example.com/'), /refused/);
  assert.equal(hook.state.requests.at(-1).url, 'https://example.com/');
  assert.equal(hook.state.violations.length - before, 4);
});

test('no socket to a non-loopback address, whoever opens it', async () => {
  assert.throws(() => net.connect({ host: '192.0.2.1', port: 80 }), /loopback only/);
  const before = hook.state.violations.length;
  await assert.rejects(globalThis.fetch('http://192.0.2.1:8/')); // Node's own fetch (undici)
  assert.equal(hook.state.violations.length - before, 1);
  assert.throws(() => net.connect(80, 'example.com'), /loopback only/);
  const s = net.connect({ host: '127.0.0.1', port: 9 });
  s.on('error', () => {});
  s.destroy();
});
