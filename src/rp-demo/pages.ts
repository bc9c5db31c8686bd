/**
 * The demo's pages: plain HTML, one stylesheet, and a small browser script (APP_SCRIPT) that uses
 * the browser build of @simplewebauthn/browser (global SimpleWebAuthnBrowser) for the WebAuthn L3
 * §7.1 registration and §7.2 authentication ceremonies' client side.
 */
import { existsSync, readFileSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DecodedRegistration, Row } from './decode.js';
import type { DemoCredential } from './db.js';

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f6fa;color:#1b2330}
header{background:#1d3557;color:#fff;padding:14px 32px;display:flex;gap:28px;align-items:center}
header h1{font-size:20px;margin:0}
header a{color:#dbe7ff;text-decoration:none}
header a:hover{text-decoration:underline}
main{max-width:1000px;margin:28px auto;padding:0 24px}
.card{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:20px 24px;margin-bottom:20px}
h2{margin:0 0 12px;font-size:19px}
label{display:block;margin:10px 0 4px;font-weight:600}
input,select{font:inherit;padding:8px 10px;border:1px solid #b8c2d0;border-radius:6px;width:100%;max-width:380px}
select{max-width:520px}
.badge{margin-left:auto;font-size:13px;background:#2a9d8f;color:#fff;padding:3px 10px;border-radius:12px}
button{font:inherit;margin-top:16px;padding:9px 22px;border:0;border-radius:6px;background:#2a6fdb;color:#fff;cursor:pointer}
button:hover{background:#1f5bbb}
#approve-on-panel{margin:0 0 16px;padding:10px 14px;border-radius:6px;background:#fff6dd;border:1px solid #e8d38a}
#status{margin-top:16px;padding:10px 14px;border-radius:6px;display:none;white-space:pre-wrap}
#status[data-state=pending]{display:block;background:#eef3fb}
#status[data-state=success]{display:block;background:#e3f6e8;color:#145a2a}
#status[data-state=error]{display:block;background:#fde8e8;color:#8a1c1c}
table{border-collapse:collapse;width:100%;font-size:14px}
td,th{border-bottom:1px solid #e3e8ef;padding:6px 8px;text-align:left;vertical-align:top}
th{width:170px;color:#445}
td.v{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
td.n{color:#667;width:30%}
pre{background:#0f1724;color:#d7e3f4;padding:14px;border-radius:8px;overflow:auto;font-size:13px;white-space:pre-wrap;word-break:break-all}
.flags{display:flex;gap:8px;flex-wrap:wrap}
.flag{padding:4px 10px;border-radius:14px;font-weight:600;font-size:14px;border:1px solid #c5ccd6;color:#8a94a3;background:#f5f6f8}
.flag.on{background:#dff3e4;border-color:#74c48b;color:#145a2a}
.muted{color:#667}
`;

export function layout(title: string, body: string, opts: { bridge: boolean; script?: boolean }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · WebAuthn Demo</title>
${opts.bridge ? '<script src="/softkey-bridge.js"></script>\n' : ''}<style>${STYLE}</style>
${opts.script ? '<script src="/vendor/simplewebauthn-browser.js"></script>\n<script src="/app.js" defer></script>' : ''}
</head><body>
<header><h1>WebAuthn Demo</h1><a href="/">Register</a><a href="/login">Sign in</a><a href="/credentials">Credentials</a>${opts.bridge ? '<span class="badge" title="navigator.credentials goes to softkey through its browser bridge">softkey bridge</span>' : ''}</header>
<main>${body}</main></body></html>`;
}

/**
 * When the authenticator waits for approval on its own panel (softkey start --presence panel), the
 * ceremony pages say so and link the panel. The link is the panel's origin without its token: this
 * page is served to anyone who can reach it, the token is not theirs; the panel then says where the
 * link with the token is.
 */
function approveNotice(panelUrl: string | undefined): string {
  if (!panelUrl) return '';
  const href = esc(panelUrl);
  return `<p id="approve-on-panel">The security key asks for your approval on its device panel: when you register or sign in,
open <a href="${href}" target="softkey-panel" rel="noopener">${href}</a> (the <em>device panel</em> link printed by
<code>softkey start</code>, with its token) and press <strong>Approve</strong>.</p>`;
}

/** The user's choice of authenticator: WebAuthn L3 §5.4.4 hints (and authenticatorAttachment on registration). */
function authenticatorSelect(): string {
  return `<label for="authenticator">Authenticator</label><select id="authenticator" name="authenticator">
<option value="either">either — let the browser offer what it has</option>
<option value="platform">this device — a platform authenticator / passkey provider (hint client-device)</option>
<option value="security-key">a security key (hint security-key)</option>
<option value="hybrid">a phone or tablet (hint hybrid)</option></select>`;
}

export function registerPage(bridge: boolean, panelUrl?: string): string {
  return layout(
    'Register',
    `${approveNotice(panelUrl)}<div class="card"><h2>Register a passkey</h2>
<form id="register-form">
<label for="username">User name</label><input id="username" name="username" value="Fred Porlock" autocomplete="username webauthn" required>
<label for="attestation">Attestation</label><select id="attestation" name="attestation"><option value="none">none — the RP does not care</option><option value="direct">direct — send the authenticator's attestation</option></select>
${authenticatorSelect()}
<p class="muted">Algorithms offered: ES256 (-7), EdDSA (-8), RS256 (-257). Resident key and user verification: preferred.</p>
<button id="register" type="submit">Register</button>
</form><div id="status" role="status"></div></div>`,
    { bridge, script: true },
  );
}

export function loginPage(bridge: boolean, panelUrl?: string): string {
  return layout(
    'Sign in',
    `${approveNotice(panelUrl)}<div class="card"><h2>Sign in with a passkey</h2>
<form id="login-form">
<label for="username">User name <span class="muted">(leave empty to pick a discoverable credential; your passkeys are also offered in this field's autofill)</span></label><input id="username" name="username" value="" autocomplete="username webauthn">
${authenticatorSelect()}
<button id="login" type="submit">Sign in</button>
</form><div id="status" role="status"></div><p id="upgrade" class="muted"></p></div>`,
    { bridge, script: true },
  );
}

function table(rows: Row[], id: string): string {
  return `<table id="${id}">${rows.map(([k, v, n]) => `<tr><th>${esc(k)}</th><td class="v">${esc(v)}</td><td class="n">${esc(n ?? '')}</td></tr>`).join('')}</table>`;
}

export function credentialPage(
  c: DemoCredential,
  userName: string,
  decoded: DecodedRegistration,
  bridge: boolean,
): string {
  const json = JSON.stringify(JSON.parse(c.registrationJson), null, 2);
  const flags = decoded.flags
    .map(
      (f) =>
        `<span class="flag${f.set ? ' on' : ''}" data-flag="${f.name}" data-set="${f.set}" title="bit ${f.bit}: ${esc(f.meaning)}">${f.name} ${f.set ? '✓' : '✗'}</span>`,
    )
    .join('');
  const stored: Row[] = [
    ['user', userName],
    ['credential ID', c.id],
    ['algorithm', `${c.alg}`],
    ['signature counter', `${c.counter}`, 'as stored by the RP after the last ceremony'],
    ['sign-ins', `${c.loginCount}`],
    ['transports', c.transports.join(', ') || '(none)'],
    ['device type', c.deviceType, c.backedUp ? 'backed up' : 'not backed up'],
    ['registered', new Date(c.createdAt).toISOString()],
    ['last sign-in', c.lastUsedAt ? new Date(c.lastUsedAt).toISOString() : 'never'],
  ];
  return layout(
    'Credential',
    `<div class="card"><h2 id="result-title">Credential registered for ${esc(userName)}</h2>${table(stored, 'stored')}
<p><a href="/login">Sign in with it →</a></p></div>
<div class="card"><h2>Authenticator data</h2>${table(decoded.authenticatorData, 'auth-data')}
<h3>Flags</h3><div class="flags" id="flags">${flags}</div></div>
<div class="card"><h2>Credential public key (COSE_Key)</h2>${table(decoded.publicKey, 'cose-key')}</div>
<div class="card"><h2>Attestation object</h2>${table(decoded.attestation, 'attestation')}</div>
<div class="card"><h2>Client data (clientDataJSON)</h2>${table(decoded.clientData, 'client-data')}</div>
<div class="card"><h2>Created credential (PublicKeyCredential JSON)</h2><pre id="credential-json">${esc(json)}</pre></div>`,
    { bridge },
  );
}

export function credentialListPage(list: Array<DemoCredential & { userName: string }>, bridge: boolean): string {
  const rows = list
    .map(
      (c) =>
        `<tr><td>${esc(c.userName)}</td><td class="v"><a href="/credentials/${encodeURIComponent(c.id)}">${esc(c.id.slice(0, 22))}…</a></td><td>${c.alg}</td><td>${c.counter}</td><td>${c.loginCount}</td><td>${esc(c.fmt)}</td></tr>`,
    )
    .join('');
  return layout(
    'Credentials',
    `<div class="card"><h2>Registered credentials</h2>${
      list.length === 0
        ? '<p class="muted">None yet: <a href="/">register one</a>.</p>'
        : `<table id="credentials"><tr><th>user</th><th>credential ID</th><th>alg</th><th>counter</th><th>sign-ins</th><th>attestation</th></tr>${rows}</table>`
    }</div>`,
    { bridge },
  );
}

export function notFoundPage(bridge: boolean): string {
  return layout('Not found', '<div class="card"><h2>Not found</h2></div>', { bridge });
}

/**
 * The browser side: app.browser.js, plain JS that runs as is (no bundler), type-checked against the DOM by
 * tsconfig.dom.json and shipped beside this module.
 */
export const APP_SCRIPT = appScript();

/** As encoding/browserScript.ts (the demo imports nothing of softkey's): the repository's source, else the copy. */
function appScript(): string {
  const beside = fileURLToPath(new URL('app.browser.js', import.meta.url));
  const at = beside.lastIndexOf(`${sep}dist${sep}src${sep}`);
  const source = at < 0 ? beside : beside.slice(0, at) + beside.slice(at + `${sep}dist`.length);
  return readFileSync(existsSync(source) ? source : beside, 'utf8');
}
