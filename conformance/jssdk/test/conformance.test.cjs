'use strict';
// Flagship's JS SDK (@flagship.io/js-sdk 5.2.0) against `flagship serve`,
// in DECISION_API and BUCKETING mode (see ../README.md):
//  - its decisions equal `flagship decide` on the same file and visitors;
//  - every request it makes stays on loopback and is answered 2xx (304 for
//    a bucketing poll), and serve refuses nothing;
//  - every hit, consent hit, activation, usage and troubleshooting hit it
//    sends is recorded by serve with its kind.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('../lib/harness.cjs');
const c = require('../lib/check.cjs');

const FILE = path.join(h.HERE, 'testdata', 'campaigns.json');
const VISITORS = 300; // decisions compared per mode
const HIT_VISITORS = 60; // of which send hits and activations

const file = JSON.parse(fs.readFileSync(FILE, 'utf8'));
const visitors = h.makeVisitors(VISITORS);
let dir;
let bin;
let expected; // visitorId -> campaigns, from `flagship decide`

before(async () => {
  dir = h.tmpDir('conformance');
  bin = await h.buildCli(dir);
  expected = await h.decide(bin, FILE, visitors);
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

for (const mode of ['DECISION_API', 'BUCKETING']) {
  describe(`JS SDK 5.2.0 in ${mode} mode`, () => {
    let run; // what the SDK did (lib/run-sdk.cjs)
    let records; // what serve recorded (GET /_flagshiptest/records)
    let serveLog;
    let recordsError;
    const needRecords = () => assert.ok(records, `no records from serve: ${recordsError}`);

    before(async () => {
      const srv = await h.startServe(bin, FILE);
      serveLog = srv.stderr;
      try {
        run = await h.runSdk({
          baseUrl: srv.baseUrl,
          envId: h.ENV_ID,
          mode,
          visitors,
          hitVisitors: HIT_VISITORS,
          usage: true,
          noConsent: true,
        });
        try {
          records = await h.getRecords(srv.baseUrl);
        } catch (e) {
          recordsError = e; // the request checks still run
        }
      } finally {
        await srv.stop();
      }
      if (!records) return;
      const sent = c.sentItems(run.requests, h.ENV_ID);
      const types = c.countBy(sent.items.events, (x) => x.t);
      console.log(
        `${mode}: ${run.requests.length} requests ${c.show(sent.counts)}; hits sent ${c.show(types)}, ` +
          `activations ${sent.items.activate.length}, usage ${sent.items.analytics.length}, ` +
          `troubleshooting ${sent.items.troubleshooting.length}; serve recorded ${records.hits.length} hits, ` +
          `${records.activations.length} activations, ${records.usage.length} usage, ` +
          `${records.troubleshooting.length} troubleshooting, ${records.refused.length} refused`,
      );
    });

    test('the SDK starts and delivers everything within 20 s', () => {
      assert.equal(run.sdkStatus.start, 'SDK_INITIALIZED');
      assert.equal(run.sdkStatus.end, 'SDK_INITIALIZED');
      assert.ok(run.drained, 'the SDK was still sending after 20 s (failed requests are retried at each batch)');
    });

    test('no request leaves the loopback interface', () => {
      assert.deepEqual(run.violations, [], `the SDK tried to reach other hosts:\n${c.show(run.violations)}`);
      for (const r of run.requests) {
        assert.ok(r.target && new URL(r.target).hostname === '127.0.0.1', `not rewritten: ${r.method} ${r.url}`);
      }
    });

    test('the SDK calls only routes serve has', () => {
      const other = run.requests.filter((r) => c.routeOf(r, h.ENV_ID) === 'other');
      assert.equal(other.length, 0, `requests to unknown routes:\n${c.formatBad(other)}`);
    });

    test('every request is answered 2xx (304 for a bucketing poll)', () => {
      const bad = c.badRequests(run.requests, h.ENV_ID);
      assert.equal(
        bad.length,
        0,
        `${bad.length} of ${run.requests.length} requests failed:\n${c.formatBad(bad)}\nserve's log (tail):\n${serveLog
          .slice(-20)
          .join('\n')}`,
      );
    });

    test('serve refuses nothing', () => {
      needRecords();
      assert.deepEqual(records.refused, [], `refused by serve:\n${c.show(records.refused.slice(0, 10))}`);
    });

    test('the SDK logs no error', () => {
      const errors = run.logs.filter((l) => l.levelNum <= 4);
      assert.deepEqual(errors.slice(0, 5), [], `${errors.length} SDK errors`);
    });

    test(`decisions of ${VISITORS} visitors equal flagship decide`, () => {
      assert.equal(run.visitors.length, VISITORS);
      const mismatches = [];
      let campaigns = 0;
      for (const [i, v] of run.visitors.entries()) {
        const want = expected.get(v.visitorId);
        const got = c.campaignsOfFlags(v.flags);
        const wantC = c.campaignsOfDecision(want);
        const wantFlags = h.flagsOf(file, want);
        const gotFlags = c.valuesOfFlags(v.flags);
        campaigns += Object.keys(wantC).length;
        try {
          assert.equal(v.status && v.status.status, 'FETCHED');
          assert.deepEqual(got, wantC);
          assert.deepEqual(gotFlags, wantFlags);
        } catch {
          mismatches.push(
            `${v.visitorId} context ${c.show(visitors[i].context)}\n    JS:   ${c.show(got)} ${c.show(gotFlags)} ` +
              `(${c.show(v.status)})\n    ours: ${c.show(wantC)} ${c.show(wantFlags)}`,
          );
        }
      }
      assert.equal(mismatches.length, 0, `${mismatches.length} visitors differ:\n${mismatches.slice(0, 10).join('\n')}`);
      // The file's campaigns are all exercised.
      const seen = new Set(run.visitors.flatMap((v) => Object.values(v.flags).map((f) => f.campaignId)));
      assert.deepEqual([...seen].sort(), file.campaigns.map((x) => x.id).sort());
      assert.ok(campaigns > VISITORS * 4, `only ${campaigns} assignments`);
    });

    test('every hit the SDK sent is recorded with its type', () => {
      needRecords();
      const sent = c.sentItems(run.requests, h.ENV_ID).items.events;
      const recorded = records.hits.filter((x) => x.route === 'events');
      assert.deepEqual(c.countBy(recorded, (x) => x.type), c.countBy(sent, (x) => x.t));
      const key = (vid, cuid, item) => `${vid}|${cuid || ''}|${item.t}|${item.dl || item.ea || item.tid || ''}|${item.el || item.in || ''}`;
      const sentKeys = sent.map((x) => key(x.vid, x.cuid, x)).sort();
      const recKeys = recorded.map((x) => key(x.vid, x.cuid, x.item)).sort();
      assert.deepEqual(recKeys, sentKeys);
    });

    test('the hits the test sent are all there', () => {
      needRecords();
      const recorded = records.hits.filter((x) => x.route === 'events');
      const n = c.countBy(recorded, (x) => x.type);
      const e = run.explicit;
      assert.equal(n.PAGEVIEW || 0, e.PAGEVIEW, 'PAGEVIEW');
      assert.equal(n.SCREENVIEW || 0, e.SCREENVIEW, 'SCREENVIEW');
      assert.equal(n.TRANSACTION || 0, e.TRANSACTION, 'TRANSACTION');
      assert.equal(n.ITEM || 0, e.ITEM, 'ITEM');
      const events = recorded.filter((x) => x.type === 'EVENT');
      const consent = events.filter((x) => x.item.ea === 'fs_consent');
      assert.equal(events.length - consent.length, e.EVENT, 'EVENT (not consent)');
      assert.equal(consent.filter((x) => x.item.el === 'TypeScript:true').length, e.consentTrue, 'consent true');
      assert.equal(consent.filter((x) => x.item.el === 'TypeScript:false').length, e.consentFalse, 'consent false');
      // Authenticated visitors: vid is the anonymous id, cuid the customer id.
      const auth = run.visitors.filter((v) => v.authenticated);
      assert.ok(auth.length > 0);
      for (const v of auth) {
        const hit = recorded.find((x) => x.cuid === v.authenticated.visitorId && x.type === 'PAGEVIEW');
        assert.ok(hit, `no page view with cuid ${v.authenticated.visitorId}`);
        assert.equal(hit.vid, v.authenticated.anonymousId);
      }
      if (mode === 'BUCKETING') {
        // The SDK sends the context as a SEGMENT hit at each first fetch.
        assert.ok((n.SEGMENT || 0) >= VISITORS, `SEGMENT ${n.SEGMENT}`);
      }
    });

    if (mode === 'DECISION_API') {
      test('each Decision API call with consent records a SEGMENT hit', () => {
        needRecords();
        const decisions = c.sentItems(run.requests, h.ENV_ID).items.decision;
        const withConsent = decisions.filter((b) => b.visitor_consent !== false && b.context && Object.keys(b.context).length);
        const segments = records.hits.filter((x) => x.route === 'decision' && x.type === 'SEGMENT');
        assert.equal(segments.length, withConsent.length);
        assert.equal(records.activations.filter((x) => x.fromDecision).length, 0, 'trigger_hit is false');
      });
    }

    test('a visitor without consent gets flags but sends only its consent hit', () => {
      needRecords();
      assert.ok(Object.keys(run.noConsent.flags).length > 0);
      const vid = run.noConsent.visitorId;
      const hits = records.hits.filter((x) => x.vid === vid);
      assert.deepEqual(
        hits.map((x) => [x.route, x.type, x.item.ea, x.item.el]),
        [['events', 'EVENT', 'fs_consent', 'TypeScript:false']],
      );
      assert.equal(records.activations.filter((x) => x.vid === vid).length, 0);
    });

    test('every activation is recorded', () => {
      needRecords();
      const sent = c.sentItems(run.requests, h.ENV_ID).items.activate;
      const key = (a) => `${a.vid}|${a.aid || ''}|${a.caid}|${a.vaid}`;
      const recorded = records.activations.filter((x) => x.route === 'activate');
      assert.deepEqual(recorded.map(key).sort(), sent.map(key).sort());
      assert.deepEqual([...new Set(sent.map(key))].sort(), run.expectedActivations.map(key).sort());
      assert.ok(run.expectedActivations.length > HIT_VISITORS * 4, `${run.expectedActivations.length} activations`);
    });

    test('usage (analytics) hits are recorded', () => {
      needRecords();
      const sent = c.sentItems(run.requests, h.ENV_ID).items.analytics;
      assert.ok(sent.length >= 1, `no usage hit sent (usage visitor ${run.usageVisitor})`);
      assert.equal(records.usage.length, sent.length);
      for (const u of records.usage) assert.equal(u.type, 'USAGE');
    });

    test('troubleshooting hits are recorded', () => {
      needRecords();
      const sent = c.sentItems(run.requests, h.ENV_ID).items.troubleshooting;
      assert.equal(records.troubleshooting.length, sent.length);
      for (const u of records.troubleshooting) assert.equal(u.type, 'TROUBLESHOOTING');
      // The file's accountSettings.troubleshooting switches them on: read
      // from the file in BUCKETING mode, from the Decision API's
      // extras.accountSettings in DECISION_API mode.
      assert.ok(sent.length >= 1, 'no troubleshooting hit sent');
    });
  });
}
