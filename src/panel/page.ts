/**
 * The device panel page: the device "screen" with the pending prompt and its Approve / Deny
 * buttons, the presence mode, the UV simulation, armed faults, the resident credentials, the
 * wallet's addresses and the live CTAPHID / CTAP2 / APDU trace. One self-contained HTML document.
 */
import { PANEL_SCRIPT } from './script.js';
import { PANEL_CSS } from './style.js';

/**
 * What the panel URL answers without its token (401) or with a wrong one: what is missing and where
 * to find it, instead of a bare error. No script, no data from the device.
 */
export function tokenMissingPage(wrong: boolean): string {
  const what = wrong
    ? "The token in this URL is not this run's token: softkey makes a new one every time it starts."
    : 'This URL has no token. The device panel opens only with the per-run token in its URL (<code>/?token=…</code>).';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<title>softkey — device panel: token ${wrong ? 'wrong' : 'missing'}</title>
<style>${PANEL_CSS}</style></head>
<body><main><section><h2>Device panel: ${wrong ? 'wrong token' : 'token missing'}</h2>
<p id="token-missing">${what}</p>
<p>Open the link that <code>softkey start</code> printed on its <code>device panel:</code> line, or read
<code>panel</code> from <code>control.json</code> in the device's data directory (<code>~/.softkey</code> unless
<code>--data-dir</code> says otherwise).</p>
<p>The token keeps other web pages and other local users from driving the device.</p>
</section></main></body></html>`;
}

export function panelPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>softkey — device panel</title>
<style>${PANEL_CSS}</style>
</head>
<body>
<header>
  <span id="conn" title="disconnected"></span>
  <h1>softkey</h1><span class="sub">device panel</span>
  <span class="spacer"></span>
  <span class="sub" id="flash" role="status"></span>
  <button class="small" id="power" title="Drop volatile state, as unplugging does">Power-cycle</button>
  <button class="small" id="reset" title="Erase every credential">Reset…</button>
</header>
<main>
  <section>
    <div class="device">
      <div class="brand"><span>softkey · FIDO2</span><span id="mode-label"></span></div>
      <div class="screen" id="screen" aria-live="polite"></div>
      <div class="buttons">
        <button class="deny" id="deny" disabled>Deny</button>
        <button class="approve" id="approve" disabled>Approve</button>
        <button class="small" id="long-touch" disabled
          title="Hold the button: the long touch a reset needs once longTouchForReset is on (CTAP 2.3)">Hold</button>
      </div>
    </div>
    <div class="card">
      <h2>User presence</h2>
      <div class="row"><div class="seg" id="modes"></div></div>
      <div class="row"><label>Timeout</label><span id="timeout"></span></div>
    </div>
    <div class="card">
      <h2>PIN and built-in user verification</h2>
      <div class="row"><label>PIN</label><span id="pin-state"></span></div>
      <div class="row"><label></label><input type="password" id="pin-input" placeholder="new PIN" autocomplete="off" size="12"><button class="small" id="pin-set">Set PIN</button></div>
      <div class="row"><label>UV sensor</label><input type="checkbox" id="uv-available"> <span>available</span></div>
      <div class="row"><label>Finger</label><div class="seg" id="uv-result"></div></div>
    </div>
    <div class="card">
      <h2>Faults</h2>
      <div class="row"><span class="faults" id="faults"></span><span class="spacer"></span><button class="small" id="faults-clear">Clear</button></div>
    </div>
    <div class="card">
      <h2>Filecoin wallet</h2>
      <div id="wallet"></div>
    </div>
  </section>
  <section>
    <div class="card">
      <h2>Resident credentials</h2>
      <table>
        <thead><tr><th>Relying party</th><th>User</th><th>Alg</th><th>credProtect</th><th>Counter</th><th>Created (UTC)</th><th></th></tr></thead>
        <tbody id="credentials"></tbody>
      </table>
    </div>
    <div class="card">
      <h2>Live trace</h2>
      <div class="trace-tools">
        <input type="search" id="filter" placeholder="Filter: command, status, CBOR, hex…">
        <label><input type="checkbox" data-layer="ctaphid" checked> CTAPHID</label>
        <label><input type="checkbox" data-layer="ctap2" checked> CTAP2</label>
        <label><input type="checkbox" data-layer="ctap1" checked> U2F</label>
        <label><input type="checkbox" data-layer="apdu" checked> APDU</label>
        <span class="sub" id="trace-count"></span>
        <button class="small" id="trace-download">Download JSON</button>
        <button class="small" id="trace-clear">Clear</button>
      </div>
      <div id="trace"></div>
    </div>
  </section>
</main>
<script>${PANEL_SCRIPT}</script>
</body>
</html>`;
}
