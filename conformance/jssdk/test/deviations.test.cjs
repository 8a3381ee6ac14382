'use strict';
// The JS SDK's known deviations from the reference decision (README.md,
// "Deviations"), pinned so that the documentation stays true: on
// testdata/deviations.json, for each visitor of testdata/deviations.jsonl,
//  - `flagship decide` gives the flags of "ours";
//  - the JS SDK in BUCKETING mode (deciding locally) gives "jsBucketing";
//  - the JS SDK in DECISION_API mode (serve decides) gives "ours" again.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('../lib/harness.cjs');
const c = require('../lib/check.cjs');

const FILE = path.join(h.HERE, 'testdata', 'deviations.json');
const LINES = h.readJsonl(path.join(h.HERE, 'testdata', 'deviations.jsonl'));
const file = JSON.parse(fs.readFileSync(FILE, 'utf8'));

let dir;
let bin;
let ours;
const runs = {};

before(async () => {
  dir = h.tmpDir('deviations');
  bin = await h.buildCli(dir);
  ours = await h.decide(bin, FILE, LINES);
  await Promise.all(
    ['BUCKETING', 'DECISION_API'].map(async (mode) => {
      const srv = await h.startServe(bin, FILE);
      try {
        runs[mode] = await h.runSdk({ baseUrl: srv.baseUrl, envId: h.ENV_ID, mode, visitors: LINES, hitVisitors: 0 });
      } finally {
        await srv.stop();
      }
    }),
  );
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the runs stay on loopback and every request is answered 2xx', () => {
  for (const [mode, run] of Object.entries(runs)) {
    assert.deepEqual(run.violations, [], mode);
    const bad = c.badRequests(run.requests, h.ENV_ID);
    assert.equal(bad.length, 0, `${mode}:\n${c.formatBad(bad)}`);
  }
});

describe('known deviations of the JS SDK 5.2.0', () => {
  for (const line of LINES) {
    test(`${line.visitorId}: ${line.deviation}`, () => {
      const i = LINES.indexOf(line);
      assert.deepEqual(h.flagsOf(file, ours.get(line.visitorId)), line.ours, 'flagship decide');
      assert.deepEqual(c.valuesOfFlags(runs.DECISION_API.visitors[i].flags), line.ours, 'JS SDK, DECISION_API');
      assert.deepEqual(c.valuesOfFlags(runs.BUCKETING.visitors[i].flags), line.jsBucketing, 'JS SDK, BUCKETING');
      if (line.visitorId === 'dev-baseline') {
        assert.deepEqual(line.jsBucketing, line.ours);
      } else {
        assert.notDeepEqual(line.jsBucketing, line.ours, 'a deviation line must show a difference');
      }
      if (line.visitorId === 'dev-crash') {
        // The exception aborts the whole local decision.
        assert.deepEqual(runs.BUCKETING.visitors[i].status, { status: 'FETCH_REQUIRED', reason: 'FLAGS_FETCHING_ERROR' });
      }
    });
  }
});
