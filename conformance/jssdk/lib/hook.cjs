'use strict';
// Loaded before @flagship.io/js-sdk (require it first). It does three things:
//
//  1. Rewrites Flagship's hard-coded hosts to the local server. The SDK's
//     Node build sends every request through node-fetch (its depsNode
//     module calls require("node-fetch")(url, init)); a Module._load hook
//     hands it a wrapper that replaces the origin of the URL (scheme, host,
//     port) by the local server's and keeps the path and query:
//       https://decision.flagship.io/v2/...          -> BASE/v2/...
//       https://cdn.flagship.io/{env}/bucketing.json -> BASE/{env}/bucketing.json
//       https://cdn.flagship.io/{env}/accountSettings.json -> BASE/{env}/accountSettings.json
//       https://events.flagship.io (hits)            -> BASE (the collector root, POST /)
//       https://events.flagship.io/analytics         -> BASE/analytics
//       https://events.flagship.io/troubleshooting   -> BASE/troubleshooting
//       https://ariane.abtasty.com (legacy hits)     -> BASE
//     A URL on any other non-loopback host is refused: the fetch rejects
//     and the attempt is recorded as a violation.
//  2. Guards the network below fetch: net.Socket#connect to a host that is
//     not a loopback address (or "localhost") throws and is recorded as a
//     violation, whoever tries it (node-fetch, http, undici's fetch, ...).
//  3. Records every request made through node-fetch: method, original and
//     rewritten URL, request body, status (or network error) and, when the
//     status is not 2xx, the response body, so that a failure names the
//     request, the status and the server's message.
//
// The base URL comes from the environment variable FLAGSHIP_CONFORMANCE_BASE_URL
// (or setBaseUrl before the first request).

const Module = require('node:module');
const net = require('node:net');

const REWRITTEN_HOSTS = new Set([
  'decision.flagship.io',
  'cdn.flagship.io',
  'events.flagship.io',
  'ariane.abtasty.com',
]);

const state = {
  baseUrl: process.env.FLAGSHIP_CONFORMANCE_BASE_URL || '',
  requests: [], // {seq, method, url, target, requestBody, status, responseBody?, error?, start, end}
  violations: [], // {where, target, stack}
  inflight: 0,
  lastEnd: 0,
};

function isLoopbackHost(host) {
  if (!host) return false;
  const h = String(host).replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (h.startsWith('::ffff:127.')) return true;
  return false;
}

function rewrite(url) {
  const u = new URL(url);
  if (isLoopbackHost(u.hostname)) return u.toString();
  if (!REWRITTEN_HOSTS.has(u.hostname)) {
    const err = new Error(`conformance hook: request to ${u.origin} refused (not a Flagship host rewritten to the local server)`);
    state.violations.push({ where: 'fetch', target: url, stack: err.stack });
    throw err;
  }
  if (!state.baseUrl) throw new Error('conformance hook: FLAGSHIP_CONFORMANCE_BASE_URL is not set');
  const base = new URL(state.baseUrl);
  const basePath = base.pathname.replace(/\/$/, '');
  return `${base.origin}${basePath}${u.pathname === '/' ? '' : u.pathname}${u.search}`;
}

function wrapFetch(realFetch) {
  if (realFetch.__conformanceWrapped) return realFetch;
  const wrapped = async function fetch(input, init = {}) {
    const url = typeof input === 'string' ? input : input && input.url;
    const entry = {
      seq: state.requests.length + 1,
      method: (init.method || 'GET').toUpperCase(),
      url,
      target: null,
      requestBody: typeof init.body === 'string' ? init.body : undefined,
      start: Date.now(),
    };
    state.requests.push(entry);
    state.inflight++;
    try {
      entry.target = rewrite(url);
      const res = await realFetch(entry.target, init);
      entry.status = res.status;
      if (res.status < 200 || res.status > 299) {
        try {
          entry.responseBody = await res.clone().text();
        } catch (e) {
          entry.responseBody = `(unreadable: ${e.message})`;
        }
      }
      return res;
    } catch (e) {
      entry.error = e && e.message ? e.message : String(e);
      throw e;
    } finally {
      entry.end = Date.now();
      state.inflight--;
      state.lastEnd = entry.end;
    }
  };
  // node-fetch v2 is both the function and its module namespace.
  for (const k of Object.keys(realFetch)) wrapped[k] = realFetch[k];
  Object.defineProperty(wrapped, '__esModule', { value: true });
  wrapped.default = wrapped;
  wrapped.__conformanceWrapped = true;
  return wrapped;
}

let wrappedNodeFetch;
const realLoad = Module._load;
Module._load = function load(request, parent, isMain) {
  const exported = realLoad.apply(this, arguments);
  if (request === 'node-fetch') {
    if (!wrappedNodeFetch) wrappedNodeFetch = wrapFetch(exported);
    return wrappedNodeFetch;
  }
  return exported;
};

// The guard below fetch: no socket to a non-loopback host.
const realConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connect(...args) {
  let opts = args[0];
  if (Array.isArray(opts)) opts = opts[0]; // internal normalized form
  let host;
  let path;
  if (opts && typeof opts === 'object') {
    host = opts.host;
    path = opts.path;
  } else if (typeof opts === 'number' || (typeof opts === 'string' && /^\d+$/.test(opts))) {
    host = typeof args[1] === 'string' ? args[1] : 'localhost';
  } else if (typeof opts === 'string') {
    path = opts; // a Unix socket
  }
  // A missing host means localhost (net.connect({port})).
  if (!path && host !== undefined && !isLoopbackHost(host)) {
    const err = new Error(`conformance hook: connection to ${host} refused (loopback only)`);
    state.violations.push({ where: 'net.Socket.connect', target: String(host), stack: err.stack });
    throw err;
  }
  return realConnect.apply(this, args);
};

module.exports = {
  state,
  setBaseUrl(u) {
    state.baseUrl = u;
  },
  rewrite,
  isLoopbackHost,
};
