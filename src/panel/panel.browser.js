'use strict';
// The JSON the control API (src/control/httpApi.ts) sends, as the panel reads it.
/**
 * A pending prompt (src/control/presence.ts Prompt).
 * @typedef {object} Prompt
 * @property {string} id
 * @property {'presence' | 'uv' | 'review'} kind
 * @property {string} operation
 * @property {string} message
 * @property {string} [rpId]
 * @property {string} [rpName]
 * @property {string} [userName]
 * @property {string} [userDisplayName]
 * @property {{ label: string, value: string }[]} [items]
 * @property {number} createdAt
 * @property {number} [expiresAt]
 * @property {boolean} [withheld]
 * @property {boolean} [longTouch]
 */
/** @typedef {{ mode: string, timeoutMs: number }} PresenceState */
/** @typedef {{ available: boolean, result: 'match' | 'nomatch' }} UvState */
/** @typedef {{ set: boolean, retries: number, uvRetries?: number }} PinState */
/**
 * A discoverable credential (src/control/controller.ts CredentialInfo).
 * @typedef {object} CredentialInfo
 * @property {string} credentialId
 * @property {string} rpId
 * @property {string} [rpName]
 * @property {string} userId
 * @property {string} [userName]
 * @property {string} [userDisplayName]
 * @property {string} algName
 * @property {number} credProtect
 * @property {number} signCount
 * @property {boolean} backupEligible
 * @property {boolean} backupState
 * @property {string} createdAt
 */
/** @typedef {{ path: string, address: string }} WalletAddress */
/**
 * A trace entry (src/control/trace.ts TraceEntry).
 * @typedef {object} TraceEntry
 * @property {number} seq
 * @property {number} time
 * @property {string} layer
 * @property {'in' | 'out'} direction
 * @property {string} [channel]
 * @property {string} name
 * @property {string} [status]
 * @property {string} [detail]
 * @property {string} hex
 */
/**
 * What the panel shows: GET /api/state, then the WebSocket's events.
 * @typedef {object} PanelState
 * @property {PresenceState | null} presence
 * @property {UvState | null} uv
 * @property {PinState} [pin]
 * @property {Prompt[]} prompts
 * @property {Record<string, unknown>} faults
 * @property {CredentialInfo[]} credentials
 * @property {WalletAddress[]} wallet
 * @property {TraceEntry[]} trace
 */
/**
 * A WebSocket event (src/control/controller.ts ControlEvent).
 * @typedef {{ type: 'prompts', prompts: Prompt[] } | { type: 'presence', presence: PresenceState }
 *   | { type: 'uv', uv: UvState } | { type: 'pin', pin: PinState } | { type: 'faults', faults: Record<string, unknown> }
 *   | { type: 'overrides', overrides: unknown } | { type: 'credentials' } | { type: 'trace', entry: TraceEntry }
 *   | { type: 'credentialAdded' | 'credentialAsserted' | 'credentialDeleted' | 'credentialUpdated', credential: unknown }
 * } ControlEvent
 */
/** @typedef {Node | string | number | boolean | null | undefined} Child an h() child; false and nullish add nothing */
/** @typedef {string | number | boolean | null | undefined | ((ev: Event) => void)} AttrValue h() attribute or listener */

const token = new URLSearchParams(location.search).get('token') || '';
/**
 * The page's element of that id and type (page.ts writes them all).
 * @template {HTMLElement} T
 * @param {string} id
 * @param {{ new (): T, prototype: T, name: string }} type
 * @returns {T}
 */
function element(id, type) {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error('the panel page has no ' + type.name + ' #' + id);
  return el;
}
/** @param {string} id */
const $ = (id) => element(id, HTMLElement);
/** @param {string} id */
const button = (id) => element(id, HTMLButtonElement);
/** @param {string} id */
const input = (id) => element(id, HTMLInputElement);
/** The trace's layer checkboxes. */
const layerBoxes = () =>
  Array.from(document.querySelectorAll('[data-layer]')).filter((x) => x instanceof HTMLInputElement);
/** @type {PanelState} */
const state = { presence: null, uv: null, prompts: [], faults: {}, credentials: [], wallet: [], trace: [] };
const MAX_TRACE = 1000;

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, AttrValue>} [attrs]
 * @param {...(Child | Child[] | Child[][])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') el.className = String(v);
    else if (k.startsWith('on')) {
      if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    } else if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity))
    if (c !== undefined && c !== null && c !== false)
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/**
 * Calls the control API; resolves with its JSON answer (of the type the caller expects).
 * @template T
 * @param {string} method
 * @param {string} path
 * @param {object} [body]
 * @returns {Promise<T>}
 */
async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Authorization: 'Bearer ' + token };
  if (body) headers['Content-Type'] = 'application/json';
  const res = await fetch('/api' + path, {
    method,
    headers,
    body: body ? JSON.stringify(body) : null,
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}
/** @param {Promise<unknown>} p a control API call whose failure the panel flashes */
const act = (p) => p.catch((e) => flash(e.message));
/** @param {string} text */
function flash(text) {
  const el = $('flash');
  el.textContent = text;
  setTimeout(() => {
    if (el.textContent === text) el.textContent = '';
  }, 4000);
}

// --- the device screen ---
/** @type {Record<string, string>} */
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
  /** @type {[string, string][]} */
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
/** @param {boolean | 'longTouch'} approve */
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
/** @param {TraceEntry} e */
function traceMatches(e) {
  const layers = Array.from(layerBoxes())
    .filter((x) => x.checked)
    .map((x) => x.dataset.layer);
  if (!layers.includes(e.layer)) return false;
  const q = input('filter').value.trim().toLowerCase();
  if (!q) return true;
  return [e.name, e.status, e.detail, e.channel, e.hex].some((v) => v && v.toLowerCase().includes(q));
}
/** @param {TraceEntry} e */
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
/** @param {TraceEntry} e */
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
  /** @type {Omit<PanelState, 'trace'>} */
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
    /** @type {ControlEvent} */
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
        api('GET', '/credentials').then((/** @type {CredentialInfo[]} */ c) => {
          state.credentials = c;
          renderCredentials();
        }),
      );
      act(
        api('GET', '/pin').then((/** @type {PinState} */ p) => {
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
$('uv-available').onchange = () => act(api('PUT', '/uv', { available: input('uv-available').checked }));
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
  if (e.target instanceof Element && e.target.tagName === 'INPUT') return;
  if (e.key === 'y') answer(true);
  if (e.key === 'n') answer(false);
});
connect();
