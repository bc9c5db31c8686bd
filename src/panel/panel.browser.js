'use strict';
const token = new URLSearchParams(location.search).get('token') || '';
/** @param {string} id */
const $ = (id) => document.getElementById(id);
/** @param {string} id */
const button = (id) => /** @type {HTMLButtonElement} */ ($(id));
/** @param {string} id */
const input = (id) => /** @type {HTMLInputElement} */ ($(id));
/** The trace's layer checkboxes. */
const layerBoxes = () => /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('[data-layer]'));
const state = { presence: null, uv: null, prompts: [], faults: {}, credentials: [], wallet: [], trace: [] };
const MAX_TRACE = 1000;

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity))
    if (c !== undefined && c !== null && c !== false)
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

async function api(method, path, body) {
  const res = await fetch('/api' + path, {
    method,
    headers: Object.assign({ Authorization: 'Bearer ' + token }, body ? { 'Content-Type': 'application/json' } : {}),
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}
const act = (p) => p.catch((e) => flash(e.message));
function flash(text) {
  const el = $('flash');
  el.textContent = text;
  setTimeout(() => {
    if (el.textContent === text) el.textContent = '';
  }, 4000);
}

// --- the device screen ---
const OPERATION = {
  makeCredential: 'Register',
  getAssertion: 'Sign in',
  reset: 'Reset',
  selection: 'Select',
  credentialManagement: 'Manage credentials',
  config: 'Configure',
  largeBlobs: 'Large blobs',
  signTransaction: 'Filecoin',
  u2fRegister: 'U2F register',
  u2fAuthenticate: 'U2F sign in',
};
function renderScreen() {
  const screen = $('screen');
  screen.replaceChildren();
  const p = state.prompts[0];
  if (!p) {
    screen.append(
      h(
        'div',
        { class: 'idle' },
        h('div', { class: 'glyph' }, '\u25C9'),
        h('div', {}, 'Ready'),
        h('div', { class: 'more' }, 'No request is waiting for you'),
      ),
    );
    button('approve').disabled = button('deny').disabled = button('long-touch').disabled = true;
    return;
  }
  const kind = p.kind === 'uv' ? ' \u00B7 fingerprint' : p.kind === 'review' ? ' \u00B7 review' : '';
  screen.append(
    h('div', { class: 'op' }, (OPERATION[p.operation] || p.operation) + kind),
    h('div', { class: 'msg', id: 'prompt-message' }, p.message),
  );
  const rows = [];
  if (p.rpId) rows.push(['RP', p.rpName ? p.rpName + ' (' + p.rpId + ')' : p.rpId]);
  if (p.userName || p.userDisplayName)
    rows.push(['User', [p.userDisplayName, p.userName].filter(Boolean).join(' \u00B7 ')]);
  for (const item of p.items || []) rows.push([item.label, item.value]);
  if (rows.length)
    screen.append(
      h(
        'dl',
        {},
        rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
      ),
    );
  if (p.longTouch) screen.append(h('div', { class: 'more' }, 'Only a long touch counts: press Hold.'));
  if (p.withheld)
    screen.append(
      h('div', { class: 'more' }, 'Nobody answers this prompt (presence mode "timeout" or a withhold fault).'),
    );
  if (state.prompts.length > 1)
    screen.append(h('div', { class: 'more' }, '+' + (state.prompts.length - 1) + ' more waiting'));
  const bar = h('div');
  screen.append(h('div', { class: 'bar' }, bar));
  const tick = () => {
    if (state.prompts[0] !== p) return;
    if (p.expiresAt)
      bar.style.width =
        Math.max(0, Math.min(100, (100 * (p.expiresAt - Date.now())) / (p.expiresAt - p.createdAt))) + '%';
    else bar.style.width = '100%';
    setTimeout(tick, 250);
  };
  tick();
  button('approve').disabled = button('deny').disabled = button('long-touch').disabled = !!p.withheld;
}
function answer(approve) {
  const p = state.prompts[0];
  const how = approve === 'longTouch' ? '/longTouch' : approve ? '/approve' : '/deny';
  if (p) act(api('POST', '/prompts/' + encodeURIComponent(p.id) + how));
}

// --- presence, UV, faults ---
const MODES = ['auto', 'panel', 'deny', 'timeout', 'prompt'];
function renderPresence() {
  const seg = $('modes');
  seg.replaceChildren(
    ...MODES.map((m) =>
      h(
        'button',
        {
          class: state.presence && state.presence.mode === m ? 'on' : '',
          'data-mode': m,
          onclick: () => act(api('PUT', '/presence', { mode: m })),
        },
        m,
      ),
    ),
  );
  $('mode-label').textContent = state.presence ? state.presence.mode : '';
  $('timeout').textContent = state.presence ? state.presence.timeoutMs / 1000 + ' s' : '';
}
function renderUv() {
  const uv = state.uv || { available: false, result: 'match' };
  input('uv-available').checked = uv.available;
  $('uv-result').replaceChildren(
    ...['match', 'nomatch'].map((r) =>
      h(
        'button',
        { class: uv.result === r ? 'on' : '', onclick: () => act(api('PUT', '/uv', { result: r })) },
        r === 'match' ? 'finger matches' : 'no match',
      ),
    ),
  );
}
function renderPin() {
  const pin = state.pin || { set: false, retries: 8 };
  $('pin-state').textContent = pin.set ? 'set \u00B7 ' + pin.retries + ' retries left' : 'not set';
}
function renderFaults() {
  const keys = Object.keys(state.faults || {});
  $('faults').textContent = keys.length ? JSON.stringify(state.faults) : 'none armed';
  button('faults-clear').disabled = keys.length === 0;
}

// --- credentials and wallet ---
function renderCredentials() {
  const body = $('credentials');
  body.replaceChildren();
  if (!state.credentials.length) {
    body.append(h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No discoverable credentials')));
    return;
  }
  for (const c of state.credentials) {
    body.append(
      h(
        'tr',
        {},
        h('td', {}, h('div', {}, c.rpId), c.rpName ? h('div', { class: 'more' }, c.rpName) : null),
        h('td', {}, c.userDisplayName || c.userName || h('span', { class: 'mono' }, c.userId)),
        h('td', {}, h('span', { class: 'pill' }, c.algName)),
        h('td', {}, String(c.credProtect)),
        h('td', { class: 'mono' }, String(c.signCount) + (c.backupEligible ? (c.backupState ? ' BE BS' : ' BE') : '')),
        h('td', { class: 'mono' }, c.createdAt.replace('T', ' ').slice(0, 19)),
        h(
          'td',
          {},
          h(
            'button',
            {
              class: 'small',
              title: 'Delete this credential',
              onclick: () => {
                if (confirm('Delete the credential for ' + c.rpId + '?'))
                  act(api('DELETE', '/credentials/' + c.credentialId));
              },
            },
            'Delete',
          ),
        ),
      ),
    );
  }
}
function renderWallet() {
  const list = $('wallet');
  list.replaceChildren();
  if (!state.wallet.length) {
    list.append(h('div', { class: 'empty' }, 'No wallet seed (softkey wallet init)'));
    return;
  }
  for (const a of state.wallet)
    list.append(
      h('div', { class: 'addr' }, h('div', { class: 'path' }, a.path), h('div', { class: 'mono' }, a.address)),
    );
}

// --- trace ---
function traceMatches(e) {
  const layers = Array.from(layerBoxes())
    .filter((x) => x.checked)
    .map((x) => x.dataset.layer);
  if (!layers.includes(e.layer)) return false;
  const q = input('filter').value.trim().toLowerCase();
  if (!q) return true;
  return [e.name, e.status, e.detail, e.channel, e.hex].some((v) => v && v.toLowerCase().includes(q));
}
function traceRow(e) {
  const ok = e.status && /^(CTAP2_OK|9000)/.test(e.status);
  return h(
    'div',
    { class: 't', 'data-seq': e.seq },
    h('span', { class: 'time' }, new Date(e.time).toISOString().slice(11, 23)),
    h('span', { class: 'layer ' + e.layer }, e.layer),
    h('span', { class: 'dir' }, e.direction === 'in' ? '\u2192' : '\u2190'),
    h(
      'span',
      {},
      h('div', { class: 'name' }, e.name),
      e.status ? h('div', { class: 'status ' + (ok ? 'ok' : 'err') }, e.status) : null,
    ),
    h(
      'span',
      { class: 'detail' },
      e.detail || (e.layer !== 'ctap2' && e.hex ? e.hex.slice(0, 96) + (e.hex.length > 96 ? '\u2026' : '') : ''),
    ),
  );
}
function renderTrace() {
  const box = $('trace');
  const rows = state.trace.filter(traceMatches).slice(-400).map(traceRow);
  box.replaceChildren(
    ...(rows.length ? rows : [h('div', { class: 'empty', style: 'padding:10px' }, 'No traffic yet')]),
  );
  box.scrollTop = box.scrollHeight;
  $('trace-count').textContent = state.trace.length + ' entries';
}
function addTrace(e) {
  state.trace.push(e);
  if (state.trace.length > MAX_TRACE) state.trace.shift();
  const box = $('trace');
  if (!traceMatches(e)) {
    $('trace-count').textContent = state.trace.length + ' entries';
    return;
  }
  if (box.querySelector('.empty')) box.replaceChildren();
  const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 30;
  box.append(traceRow(e));
  if (atEnd) box.scrollTop = box.scrollHeight;
  $('trace-count').textContent = state.trace.length + ' entries';
}
function downloadTrace() {
  const blob = new Blob([JSON.stringify(state.trace, null, 2)], { type: 'application/json' });
  const a = h('a', { href: URL.createObjectURL(blob), download: 'softkey-trace.json' });
  document.body.append(a);
  a.click();
  a.remove();
}

// --- live updates ---
async function refreshAll() {
  const s = await api('GET', '/state');
  Object.assign(state, s);
  state.trace = await api('GET', '/trace');
  renderPresence();
  renderUv();
  renderPin();
  renderScreen();
  renderFaults();
  renderCredentials();
  renderWallet();
  renderTrace();
}
function connect() {
  const ws = new WebSocket(
    (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws?token=' + encodeURIComponent(token),
  );
  ws.onopen = () => {
    $('conn').classList.add('on');
    $('conn').title = 'connected';
    act(refreshAll());
  };
  ws.onclose = () => {
    $('conn').classList.remove('on');
    $('conn').title = 'disconnected';
    setTimeout(connect, 1000);
  };
  ws.onmessage = (m) => {
    const e = JSON.parse(m.data);
    if (e.type === 'prompts') {
      state.prompts = e.prompts;
      renderScreen();
    } else if (e.type === 'presence') {
      state.presence = e.presence;
      renderPresence();
    } else if (e.type === 'uv') {
      state.uv = e.uv;
      renderUv();
    } else if (e.type === 'pin') {
      state.pin = e.pin;
      renderPin();
    } else if (e.type === 'faults') {
      state.faults = e.faults;
      renderFaults();
    } else if (e.type === 'credentials') {
      act(
        api('GET', '/credentials').then((c) => {
          state.credentials = c;
          renderCredentials();
        }),
      );
      act(
        api('GET', '/pin').then((p) => {
          state.pin = p;
          renderPin();
        }),
      );
    } else if (e.type === 'trace') addTrace(e.entry);
  };
}

$('approve').onclick = () => answer(true);
$('long-touch').onclick = () => answer('longTouch');
$('deny').onclick = () => answer(false);
$('uv-available').onchange = (e) =>
  act(api('PUT', '/uv', { available: /** @type {HTMLInputElement} */ (e.target).checked }));
$('pin-set').onclick = () => {
  const v = input('pin-input').value;
  act(
    api('PUT', '/pin', { pin: v }).then(() => {
      input('pin-input').value = '';
      flash('PIN set');
    }),
  );
};
$('faults-clear').onclick = () => act(api('DELETE', '/faults'));
$('filter').oninput = renderTrace;
for (const box of layerBoxes()) box.onchange = renderTrace;
$('trace-download').onclick = downloadTrace;
$('trace-clear').onclick = () =>
  act(
    api('DELETE', '/trace').then(() => {
      state.trace = [];
      renderTrace();
    }),
  );
$('reset').onclick = () => {
  if (confirm('Erase every credential on this softkey?')) act(api('POST', '/reset'));
};
$('power').onclick = () => act(api('POST', '/power-cycle').then(() => flash('Power-cycled')));
document.addEventListener('keydown', (e) => {
  if (/** @type {Element} */ (e.target).tagName === 'INPUT') return;
  if (e.key === 'y') answer(true);
  if (e.key === 'n') answer(false);
});
connect();
