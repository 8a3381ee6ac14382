'use strict';
// What the tests compute from a run: the SDK's requests classified by
// route, the items they carried, and the comparison of decisions.

const util = require('node:util');
const { describeRequest } = require('./harness.cjs');

// routeOf names the local server's route a (rewritten) request went to.
function routeOf(r, envId) {
  const u = new URL(r.target || r.url);
  const p = u.pathname.replace(/\/+$/, '') || '/';
  if (r.method === 'GET' && p === `/${envId}/bucketing.json`) return 'bucketing';
  if (r.method === 'GET' && p === `/${envId}/accountSettings.json`) return 'accountSettings';
  if (r.method === 'POST' && p === `/v2/${envId}/campaigns`) return 'decision';
  if (r.method === 'POST' && p === '/v2/activate') return 'activate';
  if (r.method === 'POST' && (p === '/' || p === '/events')) return 'events';
  if (r.method === 'POST' && (p === '/analytics' || p === '/events/analytics')) return 'analytics';
  if (r.method === 'POST' && (p === '/troubleshooting' || p === '/events/troubleshooting')) return 'troubleshooting';
  if (r.method === 'POST' && p === `/v2/${envId}/events`) return 'contextEvents';
  return 'other';
}

// acceptable: 2xx, or 304 to a conditional GET of the bucketing file.
function answeredOK(r, route) {
  if (r.error || !r.status) return false;
  if (r.status >= 200 && r.status <= 299) return true;
  return route === 'bucketing' && r.status === 304;
}

function itemsOf(body) {
  if (Array.isArray(body)) return body;
  if (body && Array.isArray(body.h)) return body.h;
  if (body && Array.isArray(body.batch)) return body.batch.map((x) => ({ ...x, cid: x.cid || body.cid }));
  return body ? [body] : [];
}

// sentItems returns what the SDK's successful requests carried, by route:
// {events: [hit...], activate: [...], analytics: [...], troubleshooting: [...],
// decision: [body...]} and the routes' request counts.
function sentItems(requests, envId) {
  const out = { events: [], activate: [], analytics: [], troubleshooting: [], decision: [], contextEvents: [] };
  const counts = {};
  for (const r of requests) {
    const route = routeOf(r, envId);
    counts[route] = (counts[route] || 0) + 1;
    if (!answeredOK(r, route) || !r.requestBody || !(route in out)) continue;
    let body;
    try {
      body = JSON.parse(r.requestBody);
    } catch {
      continue;
    }
    if (route === 'decision') out.decision.push(body);
    else out[route].push(...itemsOf(body));
  }
  return { items: out, counts };
}

function countBy(xs, f) {
  const m = {};
  for (const x of xs) {
    const k = f(x);
    m[k] = (m[k] || 0) + 1;
  }
  return m;
}

// badRequests lists the requests not answered 2xx (or 304 for polling).
function badRequests(requests, envId) {
  return requests.filter((r) => !answeredOK(r, routeOf(r, envId)));
}

// formatBad groups failed requests by route, status and server message,
// with a count and the first request of each group.
function formatBad(bad, max = 10) {
  const groups = new Map();
  for (const r of bad) {
    const u = new URL(r.target || r.url);
    const answer = r.error ? `error ${r.error}` : r.status || 'no answer yet';
    const k = `${r.method} ${u.pathname} -> ${answer} ${(r.responseBody || '').trim()}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(r);
  }
  const lines = [];
  for (const [k, rs] of [...groups].slice(0, max)) {
    lines.push(`  ${rs.length} x ${k}
    first: ${describeRequest(rs[0])}`);
  }
  if (groups.size > max) lines.push(`  ... and ${groups.size - max} more kinds`);
  return lines.join('\n');
}

// campaignsOfFlags turns the SDK's flags (key -> {value, campaignId,
// variationGroupId, variationId}) into campaignId -> "vg/variation".
function campaignsOfFlags(flags) {
  const m = {};
  for (const f of Object.values(flags || {})) m[f.campaignId] = `${f.variationGroupId}/${f.variationId}`;
  return m;
}

function campaignsOfDecision(list) {
  const m = {};
  for (const d of list || []) if (!(d.campaignId in m)) m[d.campaignId] = `${d.variationGroupId}/${d.variationId}`;
  return m;
}

function valuesOfFlags(flags) {
  const m = {};
  for (const [k, f] of Object.entries(flags || {})) m[k] = f.value;
  return m;
}

function show(x) {
  return util.inspect(x, { depth: 6, breakLength: 160, sorted: true });
}

module.exports = {
  routeOf,
  answeredOK,
  sentItems,
  countBy,
  badRequests,
  formatBad,
  campaignsOfFlags,
  campaignsOfDecision,
  valuesOfFlags,
  show,
};
