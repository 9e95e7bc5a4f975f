// The Switchyard dashboard: reads the admin API (same origin) and redraws. It learns of changes from
// GET /api/v1/events (server-sent events, read with fetch so the bearer token can go along) and also
// polls every 5 s, so a lost event stream only makes it slower. No framework, no build step.
'use strict';

const POLL_MS = 5000;
const TOKEN_KEY = 'switchyard.admin-token';
let token = sessionStorage.getItem(TOKEN_KEY) || '';
let currentVersion = null;
let refreshing = null;
let refreshAgain = false;
let streamOpen = false;

class Unauthorized extends Error {}

const $ = (selector) => document.querySelector(selector);

/** An element with attributes and children (strings become text, never HTML). */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) e.append(c instanceof Node ? c : String(c));
  return e;
}

function headers(extra) {
  const h = Object.assign({}, extra);
  if (token) h.Authorization = 'Bearer ' + token;
  return h;
}

async function api(path, options) {
  const o = Object.assign({ cache: 'no-store' }, options);
  o.headers = headers(o.headers);
  const r = await fetch(path, o);
  if (r.status === 401) throw new Unauthorized();
  return r;
}

async function json(path) {
  const r = await api(path);
  if (!r.ok) throw new Error(path + ': ' + r.status + ' ' + (await problemText(r)));
  return r.json();
}

async function problemText(r) {
  try {
    const p = await r.json();
    return p.detail || p.title || JSON.stringify(p);
  } catch (e) {
    return r.statusText;
  }
}

function say(text, kind) {
  const m = $('#message');
  m.textContent = text;
  m.className = kind || '';
  m.hidden = !text;
}

function ago(iso) {
  if (!iso) return '–';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return s + ' s ago';
  if (s < 3600) return Math.round(s / 60) + ' min ago';
  return new Date(iso).toLocaleString();
}

function bytes(n) {
  if (n === undefined || n === null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (i === 0 ? v : v.toFixed(1)) + ' ' + units[i];
}

function empty(cols, text) {
  return el('tr', {}, el('td', { colspan: cols, class: 'empty' }, text));
}

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

// ---- sections ---------------------------------------------------------------------------------

function renderFleet(fleet) {
  const rows = fleet.nodes.map((n) => {
    const lag = n.applied_version === null ? 'unknown' : fleet.version - n.applied_version;
    return el('tr', { 'data-node': n.node_id },
      el('td', {}, el('b', {}, n.node_id), n.software_version ? el('div', { class: 'meta' }, n.software_version) : null),
      el('td', {}, el('code', {}, n.address || '–')),
      el('td', { class: 'num applied' }, n.applied_version === null ? '–' : n.applied_version),
      el('td', {}, el('span', { class: 'status ' + n.status }, n.status.replace('_', ' ')),
        n.error ? el('div', { class: 'meta' }, n.error) : null),
      el('td', { class: 'num lag' }, lag === 0 ? '0' : lag === 'unknown' ? lag : lag + ' behind'),
      el('td', { class: 'num open-tunnels' }, n.open_tunnels === null ? '–' : n.open_tunnels),
      el('td', { title: n.last_seen || '' }, ago(n.last_seen)));
  });
  fill($('#fleet tbody'), rows.length ? rows : [empty(7, 'No node has connected yet.')]);
}

function renderTunnels(list, fleet) {
  const box = $('#tunnels');
  if (list === null) {
    // The API has no tunnel list: show what the nodes report in their heartbeats.
    const counts = fleet.nodes.filter((n) => n.open_tunnels !== null)
      .map((n) => el('li', { 'data-node': n.node_id }, el('b', {}, n.node_id), ': ',
        el('span', { class: 'count' }, n.open_tunnels), ' open'));
    box.replaceChildren(
      el('p', { class: 'empty', id: 'tunnels-unavailable' }, 'Tunnel list not available from this control plane; open tunnels per node:'),
      counts.length ? el('ul', {}, counts) : el('p', { class: 'empty' }, 'No node reports tunnels.'));
    return;
  }
  if (list.length === 0) {
    box.replaceChildren(el('p', { class: 'empty' }, 'No open tunnels.'));
    return;
  }
  const byRoute = new Map();
  for (const t of list) {
    if (!byRoute.has(t.route)) byRoute.set(t.route, []);
    byRoute.get(t.route).push(t);
  }
  const tunnelRow = (t) => el('tr', { 'data-tunnel': t.id },
    el('td', {}, t.node_id), el('td', {}, el('code', {}, t.target)), el('td', {}, el('code', {}, t.client)),
    el('td', { title: t.opened_at }, ago(t.opened_at)),
    el('td', { class: 'num' }, bytes(t.bytes_in)), el('td', { class: 'num' }, bytes(t.bytes_out)),
    el('td', {}, el('button', { class: 'danger close-tunnel', onclick: () => closeTunnel(t) }, 'Close')));
  const head = el('tr', {}, ['Node', 'Target', 'Client', 'Opened', 'In', 'Out', ''].map((h) => el('th', {}, h)));
  box.replaceChildren(...[...byRoute.entries()].map(([route, ts]) => el('div', { class: 'route-tunnels', 'data-route': route },
    el('h3', {}, route, ' ', el('span', { class: 'meta' }, '(' + ts.length + ')')),
    el('table', {}, el('thead', {}, head.cloneNode(true)), el('tbody', {}, ts.map(tunnelRow))))));
}

function renderRoutes(routes) {
  const rows = routes.map((r) => {
    const opts = [];
    if (r.strip_prefix) opts.push('strip prefix');
    if (r.preserve_host) opts.push('preserve host');
    if (r.https_only) opts.push('HTTPS only');
    if (r.origin) opts.push('origin policy');
    if (r.on_target_removed && r.on_target_removed.action === 'drain') opts.push('drain on target removal');
    return el('tr', { 'data-route': r.name },
      el('td', {}, el('b', {}, r.name)),
      el('td', {}, (r.hosts && r.hosts.length ? r.hosts : ['any host']).map((h) => el('span', { class: 'tag' }, h)),
        r.path_prefix && r.path_prefix !== '/' ? el('code', {}, r.path_prefix) : null),
      el('td', {}, r.upstream),
      el('td', { class: 'meta' }, opts.join(', ') || '–'));
  });
  fill($('#routes tbody'), rows.length ? rows : [empty(4, 'No routes.')]);
}

/** Whatever health the API reports for a target (state, health, healthy), if any. */
function targetHealth(t) {
  if (typeof t.state === 'string') return t.state;
  if (typeof t.health === 'string') return t.health;
  if (t.health && typeof t.health.state === 'string') return t.health.state;
  if (typeof t.healthy === 'boolean') return t.healthy ? 'healthy' : 'unhealthy';
  return null;
}

function renderUpstreams(upstreams) {
  const rows = upstreams.map((u) => el('tr', { 'data-upstream': u.name },
    el('td', {}, el('b', {}, u.name)),
    el('td', { class: 'meta' }, (u.balance || 'least_conn').replace('_', ' ')),
    el('td', {}, (u.targets || []).length === 0 ? el('span', { class: 'empty' }, 'no targets')
      : el('ul', { class: 'targets' }, u.targets.map((t) => {
        const h = targetHealth(t);
        return el('li', {}, el('code', {}, t.address), t.weight && t.weight !== 1 ? ' ×' + t.weight : null,
          h ? [' ', el('span', { class: 'state ' + h }, h)] : null);
      })))));
  fill($('#upstreams tbody'), rows.length ? rows : [empty(3, 'No upstreams.')]);
}

function renderHistory(page, current) {
  const rows = page.items.map((s) => el('tr', { 'data-version': s.version },
    el('td', { class: 'num' }, el('b', {}, s.version), s.version === current ? el('div', { class: 'meta' }, 'current') : null),
    el('td', { title: s.created_at }, ago(s.created_at)),
    el('td', {}, s.summary),
    el('td', {},
      el('button', { class: 'show-diff', onclick: () => showDiff(s.version - 1, s.version) }, 'Diff'), ' ',
      s.version === current ? null : el('button', { class: 'danger rollback', onclick: () => rollback(s.version) }, 'Roll back'))));
  fill($('#history tbody'), rows.length ? rows : [empty(4, 'No version yet.')]);
}

function changes(title, c) {
  if (!c) return null;
  const items = [];
  for (const n of c.added || []) items.push(el('li', {}, 'added ', el('b', {}, n)));
  for (const n of c.removed || []) items.push(el('li', {}, 'removed ', el('b', {}, n)));
  for (const ch of c.changed || []) items.push(el('li', {}, 'changed ', el('b', {}, ch.name), ': ', ch.fields.join(', ')));
  return items.length ? [el('div', {}, title), el('ul', {}, items)] : null;
}

async function showDiff(from, to) {
  try {
    const d = await json('/api/v1/snapshots/' + from + '/diff/' + to);
    const box = $('#diff');
    const parts = [changes('Upstreams', d.upstreams), changes('Routes', d.routes), changes('Certificates', d.certificates)];
    if (d.timeouts && d.timeouts.length) parts.push(el('div', {}, 'Timeouts: ' + d.timeouts.join(', ')));
    if (d.settings && d.settings.length) parts.push(el('div', {}, 'Settings: ' + d.settings.join(', ')));
    box.replaceChildren(el('h3', {}, 'Version ' + from + ' → ' + to + ': ' + d.summary, ' ',
      el('button', { onclick: () => { box.hidden = true; } }, 'Hide')),
    ...(parts.filter(Boolean).flat().length ? parts.filter(Boolean).flat() : [el('p', { class: 'empty' }, 'No difference.')]));
    box.hidden = false;
  } catch (e) {
    failed(e);
  }
}

// ---- actions ----------------------------------------------------------------------------------

async function rollback(version) {
  if (!confirm('Make a new version with the content of version ' + version + '? Every node applies it.')) return;
  try {
    // If-Match: refused (412) when someone committed since this page last read the history.
    const r = await api('/api/v1/snapshots/' + version + '/rollback', { method: 'POST', headers: { 'If-Match': '"' + currentVersion + '"' } });
    if (r.ok) {
      const body = await r.json();
      say('Rolled back to version ' + version + ': version ' + body.version + ' is current.', 'info');
    } else if (r.status === 412) {
      say('The configuration changed meanwhile; the page shows it now. Check before rolling back again.');
    } else {
      say('Rollback refused: ' + r.status + ' ' + (await problemText(r)));
    }
  } catch (e) {
    failed(e);
  }
  refresh();
}

async function closeTunnel(t) {
  if (!confirm('Close the tunnel from ' + t.client + ' on ' + t.node_id + ' (route ' + t.route + ')?')) return;
  try {
    const r = await api('/api/v1/tunnels/' + encodeURIComponent(t.id), { method: 'DELETE' });
    if (r.ok || r.status === 404) say('Tunnel ' + t.id + ' closed.', 'info');
    else say('Closing the tunnel failed: ' + r.status + ' ' + (await problemText(r)));
  } catch (e) {
    failed(e);
  }
  refresh();
}

function failed(e) {
  if (e instanceof Unauthorized) askToken();
  else say(String(e.message || e));
}

// ---- the token --------------------------------------------------------------------------------

function askToken() {
  const form = $('#token-form');
  if (form.hidden) {
    form.hidden = false;
    say(token ? 'The admin token was refused; enter it again.' : 'This control plane needs its admin token.');
    $('#token').focus();
  }
}

function useToken(event) {
  event.preventDefault();
  token = $('#token').value.trim();
  sessionStorage.setItem(TOKEN_KEY, token);
  $('#token').value = '';
  $('#token-form').hidden = true;
  say('');
  refresh();
  listen();
}

// ---- refreshing -------------------------------------------------------------------------------

async function tunnels() {
  const r = await api('/api/v1/tunnels?limit=500');
  if (r.status === 404 || r.status === 405) return null;
  if (!r.ok) throw new Error('/api/v1/tunnels: ' + r.status + ' ' + (await problemText(r)));
  return (await r.json()).tunnels;
}

/** Reads everything and redraws; calls while one runs make it run once more afterwards. */
function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    try {
      const [fleet, routes, upstreams, history, list] = await Promise.all([
        json('/api/v1/fleet/nodes'), json('/api/v1/routes'), json('/api/v1/upstreams'),
        json('/api/v1/snapshots?limit=25'), tunnels()]);
      currentVersion = fleet.version;
      $('#version').textContent = fleet.version;
      renderFleet(fleet);
      renderTunnels(list, fleet);
      renderRoutes(routes);
      renderUpstreams(upstreams);
      renderHistory(history, fleet.version);
      document.body.dataset.loaded = 'true';
      if ($('#message').className !== 'info') say('');
    } catch (e) {
      failed(e);
    }
  })().finally(() => {
    refreshing = null;
    if (refreshAgain) {
      refreshAgain = false;
      refresh();
    }
  });
  return refreshing;
}

function setLive(on) {
  streamOpen = on;
  const l = $('#live');
  l.textContent = on ? 'live' : 'polling every 5 s';
  l.className = 'meta ' + (on ? 'on' : 'off');
}

/** Reads the event stream until it ends, refreshing on every event; then tries again after a pause. */
async function listen() {
  if (streamOpen) return;
  setLive(true);
  try {
    const r = await api('/api/v1/events', { headers: { Accept: 'text/event-stream' } });
    if (!r.ok || !r.body) throw new Error('events: ' + r.status);
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
        // Comment-only blocks are heartbeats; any event means "read again".
        if (block.split(/\r?\n/).some((line) => line.startsWith('event:') || line.startsWith('data:'))) refresh();
      }
    }
  } catch (e) {
    if (e instanceof Unauthorized) {
      setLive(false);
      askToken();
      return; // listen() runs again once a token is given
    }
  }
  setLive(false);
  setTimeout(listen, POLL_MS);
}

document.addEventListener('DOMContentLoaded', () => {
  $('#token-form').addEventListener('submit', useToken);
  refresh();
  listen();
  setInterval(refresh, POLL_MS);
});
