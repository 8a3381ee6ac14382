'use strict';
// Runs @flagship.io/js-sdk in one decision mode against a local Flagship
// server and writes what happened to a JSON file. Usage (the tests do it):
//
//   node lib/run-sdk.cjs JOB.json
//
// JOB: {baseUrl, envId, mode: "DECISION_API"|"BUCKETING", visitors:
// [{visitorId, context}], hitVisitors: N, noConsent: bool, usage: bool,
// out: FILE}.
//
// For every visitor: newVisitor (consent true), fetchFlags, and the flags
// with their metadata. For the first hitVisitors visitors: every hit type,
// consent changes, activations (getValue with exposure, visitorExposed),
// an authenticated visitor now and then. With noConsent, a visitor without
// consent; with usage, a visitor whose id makes the SDK send its usage
// (analytics) hit. Then it waits until the SDK's batch timer has delivered
// everything (Flagship.close() does not flush in Node with 5.2.0) and exits.

const hook = require('./hook.cjs'); // before the SDK: it wraps node-fetch
const fs = require('node:fs');
const { murmur3JS, API_KEY } = require('./harness.cjs');

const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
hook.setBaseUrl(job.baseUrl);

const { Flagship, DecisionMode, HitType, EventCategory, LogLevel, FSSdkStatus } = require('@flagship.io/js-sdk');

const BATCH_INTERVAL_S = 0.2;

const logs = [];
const logManager = {};
for (const [name, level] of Object.entries({
  emergency: LogLevel.EMERGENCY,
  alert: LogLevel.ALERT,
  critical: LogLevel.CRITICAL,
  error: LogLevel.ERROR,
  warning: LogLevel.WARNING,
  notice: LogLevel.NOTICE,
  info: LogLevel.INFO,
  debug: LogLevel.DEBUG,
})) {
  logManager[name] = (message, tag) => logs.push({ level: name, levelNum: level, tag, message: String(message).slice(0, 2000) });
}
logManager.log = (level, message, tag) => logs.push({ level: String(level), levelNum: level, tag, message: String(message).slice(0, 2000) });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function flagsOf(visitor) {
  const out = {};
  for (const [key, flag] of visitor.getFlags()) {
    const m = flag.metadata;
    out[key] = {
      value: flag.getValue(null, false),
      campaignId: m.campaignId,
      variationGroupId: m.variationGroupId,
      variationId: m.variationId,
    };
  }
  return out;
}

// One flag key per campaign of the visitor.
function oneFlagPerCampaign(flags) {
  const seen = new Map();
  for (const [key, f] of Object.entries(flags)) {
    if (!seen.has(f.campaignId)) seen.set(f.campaignId, key);
  }
  return [...seen.values()];
}

async function pool(items, n, fn) {
  let i = 0;
  const workers = Array.from({ length: Math.min(n, items.length) }, async () => {
    while (i < items.length) {
      const k = i++;
      await fn(items[k], k);
    }
  });
  await Promise.all(workers);
}

async function main() {
  const mode = job.mode === 'BUCKETING' ? DecisionMode.BUCKETING : DecisionMode.DECISION_API;
  await Flagship.start(job.envId, API_KEY, {
    decisionMode: mode,
    fetchNow: false,
    timeout: 5,
    pollingInterval: 1, // seconds: BUCKETING polls (If-Modified-Since, 304)
    logLevel: LogLevel.ALL,
    logManager,
    trackingManagerConfig: { batchIntervals: BATCH_INTERVAL_S, poolMaxSize: 20 },
  });
  const startStatus = FSSdkStatus[Flagship.getStatus()];

  const explicit = { PAGEVIEW: 0, SCREENVIEW: 0, EVENT: 0, TRANSACTION: 0, ITEM: 0, consentTrue: 0, consentFalse: 0 };
  const expectedActivations = [];
  const results = new Array(job.visitors.length);
  const hitVisitors = job.hitVisitors || 0;

  await pool(job.visitors, 8, async (v, i) => {
    const visitor = Flagship.newVisitor({ visitorId: v.visitorId, context: v.context, hasConsented: true });
    const withHits = i < hitVisitors;
    explicit.consentTrue++; // the consent hit of newVisitor
    if (withHits && i % 15 === 3) {
      // Consent withdrawn then given back: two consent hits; the page view
      // in between is not sent (only consent hits leave without consent).
      visitor.setConsent(false);
      explicit.consentFalse++;
      await visitor.sendHit({ type: HitType.PAGE, documentLocation: `https://shop.example/no-consent/${i}` });
      visitor.setConsent(true);
      explicit.consentTrue++;
    }
    await visitor.fetchFlags();
    const flags = flagsOf(visitor);
    results[i] = { visitorId: v.visitorId, status: visitor.flagsStatus, flags };
    if (!withHits) return;

    // Activations: one flag per campaign, by getValue(default, true) or by
    // visitorExposed() after getValue(default, false).
    for (const key of oneFlagPerCampaign(flags)) {
      const flag = visitor.getFlag(key);
      if (i % 2 === 0) {
        flag.getValue(null, true);
      } else {
        flag.getValue(null, false);
        await flag.visitorExposed();
      }
      expectedActivations.push({ vid: v.visitorId, aid: '', caid: flags[key].variationGroupId, vaid: flags[key].variationId });
    }

    // Every hit type.
    await visitor.sendHit({
      type: HitType.PAGE,
      documentLocation: `https://shop.example/product/${i}?ref=conformance`,
      userIp: '127.0.0.1',
      screenResolution: '1280x720',
      locale: 'fr-fr',
      sessionNumber: '3',
    });
    explicit.PAGEVIEW++;
    if (i % 10 === 0) {
      // The JS SDK only checks that the location is not empty.
      await visitor.sendHit({ type: HitType.PAGE_VIEW, documentLocation: `/checkout/${i}` });
      explicit.PAGEVIEW++;
    }
    await visitor.sendHit({ type: HitType.SCREEN, documentLocation: `screen-${i}` });
    explicit.SCREENVIEW++;
    await visitor.sendHit({
      type: HitType.EVENT,
      category: EventCategory.ACTION_TRACKING,
      action: 'add_to_cart',
      label: `sku-${i}`,
      value: i + 1,
    });
    await visitor.sendHit({ type: HitType.EVENT, category: EventCategory.USER_ENGAGEMENT, action: 'scroll' });
    explicit.EVENT += 2;
    await visitor.sendHit({
      type: HitType.TRANSACTION,
      transactionId: `tx-${v.visitorId}`,
      affiliation: 'checkout',
      taxes: 3.5,
      currency: 'EUR',
      couponCode: 'spring',
      itemCount: 2,
      shippingMethod: 'post',
      paymentMethod: 'card',
      totalRevenue: 42.9,
      shippingCosts: 4.99,
    });
    explicit.TRANSACTION++;
    await visitor.sendHits([
      {
        type: HitType.ITEM,
        transactionId: `tx-${v.visitorId}`,
        productName: 'mug',
        productSku: 'sku-mug',
        itemPrice: 12.5,
        itemQuantity: 2,
        itemCategory: 'kitchen',
      },
      { type: HitType.ITEM, transactionId: `tx-${v.visitorId}`, productName: 'tea', productSku: 'sku-tea' },
    ]);
    explicit.ITEM += 2;

    if (i % 20 === 5) {
      // Experience continuity: hits carry vid = anonymous id, cuid =
      // customer id; activations vid = customer id, aid = anonymous id.
      const anonymous = visitor.visitorId;
      visitor.authenticate(`cust-${i}`);
      await visitor.fetchFlags();
      const authFlags = flagsOf(visitor);
      const key = oneFlagPerCampaign(authFlags)[0];
      if (key) {
        visitor.getFlag(key).getValue(null, true);
        expectedActivations.push({
          vid: `cust-${i}`,
          aid: anonymous,
          caid: authFlags[key].variationGroupId,
          vaid: authFlags[key].variationId,
        });
      }
      await visitor.sendHit({ type: HitType.PAGE, documentLocation: `https://shop.example/account/${i}` });
      explicit.PAGEVIEW++;
      results[i].authenticated = { visitorId: `cust-${i}`, anonymousId: anonymous };
      visitor.unauthenticate();
    }
  });

  // A visitor without consent: flags still work, but only its consent hit
  // ("TypeScript:false") leaves; no other hit, no activation.
  let noConsent = null;
  if (job.noConsent) {
    const visitor = Flagship.newVisitor({ visitorId: 'nc-0000', context: job.visitors[1].context, hasConsented: false });
    explicit.consentFalse++;
    await visitor.fetchFlags();
    await visitor.sendHit({ type: HitType.PAGE, documentLocation: 'https://shop.example/no-consent' });
    const flags = flagsOf(visitor);
    for (const key of oneFlagPerCampaign(flags)) visitor.getFlag(key).getValue(null, true);
    noConsent = { visitorId: visitor.visitorId, flags };
  }

  // A visitor the SDK samples for its usage hit (analytics): the JS SDK
  // sends it when murmur3(visitorId + date) % 1000 <= 1.
  let usageVisitor = null;
  if (job.usage) {
    const day = new Date().toDateString();
    for (let k = 0; k < 100000; k++) {
      const id = `usage-${k}`;
      if (murmur3JS(id + day) % 1000 <= 1) {
        usageVisitor = id;
        break;
      }
    }
    // The context of the first visitor: one that no string operator crashes on.
    const context = job.visitors[0].context;
    const visitor = Flagship.newVisitor({ visitorId: usageVisitor, context, hasConsented: true });
    explicit.consentTrue++;
    await visitor.fetchFlags();
  }

  // Wait for delivery: the batch timer sends hits every BATCH_INTERVAL_S;
  // done when nothing but bucketing polls has been sent for a second.
  const quietFor = 1000;
  const deadline = Date.now() + 20000;
  let drained = false;
  while (Date.now() < deadline) {
    await sleep(100);
    const last = hook.state.requests.filter((r) => !/bucketing\.json$/.test(r.target || r.url));
    const lastActivity = last.reduce((t, r) => Math.max(t, r.end || Date.now()), 0);
    if (hook.state.inflight === 0 && Date.now() - lastActivity > quietFor) {
      drained = true;
      break;
    }
  }
  await Flagship.close(); // a no-op in Node with 5.2.0, called as an application would

  fs.writeFileSync(
    job.out,
    JSON.stringify({
      mode: job.mode,
      sdkStatus: { start: startStatus, end: FSSdkStatus[Flagship.getStatus()] },
      drained,
      visitors: results,
      explicit,
      expectedActivations,
      usageVisitor,
      noConsent,
      requests: hook.state.requests,
      violations: hook.state.violations,
      logs: logs.filter((l) => l.levelNum <= LogLevel.WARNING),
    }),
  );
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e && e.stack ? e.stack : e);
    process.exit(1);
  },
);
