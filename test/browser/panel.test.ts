/**
 * The device panel in headless Chromium: a makeCredential from a CTAPHID client (over UDP) waits
 * until the test clicks Approve on the panel; Deny gives CTAP2_ERR_OPERATION_DENIED; a Filecoin
 * review shows its items; the live trace shows the commands, filters, and downloads as JSON;
 * a credential is deleted from the panel. Screenshots go to test-artifacts/.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { decodeMakeCredentialResponse, encodeMakeCredentialRequest } from '../../src/ctap2/makeCredential.js';
import { encodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import { Status } from '../../src/ctap2/status.js';
import { connectSoftKey, openSoftKey, type SoftKey, type SoftKeyConnection } from '../../src/main/softkey.js';
import { initWalletSeed } from '../../src/main/wallet.js';
import { startPanelServer, type PanelServer } from '../../src/panel/server.js';
import { freeUdpPorts } from '../interop/startDevice.js';
import { artifact, launchChromium, SKIP } from './engines.js';
import { clientDataHash } from '../control/helpers.js';

const TOKEN = 'panel-test-token-0123456789';

describe('device panel in Chromium', { skip: SKIP }, () => {
  let key: SoftKey;
  let client: SoftKeyConnection;
  let server: PanelServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    const [udp, reply] = await freeUdpPorts();
    key = await openSoftKey({
      dataDir: ':memory:',
      presence: 'panel',
      userActionTimeoutMs: 20_000,
      trace: true,
      udp: `127.0.0.1:${udp}`,
      replyTo: `127.0.0.1:${reply}`,
    });
    initWalletSeed(key.device.vault);
    server = await startPanelServer({ controller: key.control, token: TOKEN, port: 0 });
    client = await connectSoftKey({ udp: `127.0.0.1:${udp}`, replyTo: `127.0.0.1:${reply}`, timeoutMs: 30_000 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
    page.on('dialog', (d) => void d.accept());
    await page.goto(server.url);
    await page.waitForSelector('#conn.on');
  });
  after(async () => {
    await browser?.close();
    await client?.close();
    await server?.close();
    await key?.close();
  });

  it('a makeCredential waits for Approve on the panel', async () => {
    let settled = false;
    const pending = client
      .cbor(
        encodeMakeCredentialRequest({
          clientDataHash: clientDataHash('panel'),
          rp: { id: 'example.com', name: 'Example Corp' },
          user: { id: new Uint8Array([1, 2, 3, 4]), name: 'alice@example.com', displayName: 'Alice Example' },
          pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
          options: { rk: true },
        }),
      )
      .finally(() => (settled = true));
    const message = page.locator('#prompt-message');
    await message.waitFor();
    assert.equal(await message.textContent(), 'Register with Example Corp (example.com) as Alice Example?');
    assert.equal(settled, false, 'the device waits for the panel');
    await page.waitForSelector('.t .name:text("authenticatorMakeCredential")');
    await page.screenshot({ path: artifact('panel-register-prompt.png') });
    await page.click('#approve');
    const response = await pending;
    assert.equal(response[0], Status.CTAP2_OK);
    assert.equal(decodeMakeCredentialResponse(response).fmt, 'packed');
    await page.locator('#credentials td', { hasText: 'example.com' }).first().waitFor();
    await page.locator('#screen .idle').waitFor();
  });

  it('Deny gives CTAP2_ERR_OPERATION_DENIED', async () => {
    const pending = client.cbor(
      encodeGetAssertionRequest({ rpId: 'example.com', clientDataHash: clientDataHash('deny') }),
    );
    await page.locator('#prompt-message', { hasText: 'Sign in to example.com?' }).waitFor();
    await page.click('#deny');
    assert.equal((await pending)[0], Status.CTAP2_ERR_OPERATION_DENIED);
  });

  it('shows a Filecoin transaction review with its items', async () => {
    const outcome = key.review.review({
      title: 'Sign Filecoin transaction',
      items: [
        { label: 'To', value: 'f1abjxfbp274xpdqcpuaykwkfb43omjotacm2p3za' },
        { label: 'Value', value: '1.5 FIL' },
        { label: 'Gas Limit', value: '1000000' },
      ],
    });
    await page.locator('#prompt-message', { hasText: 'Sign Filecoin transaction' }).waitFor();
    assert.equal(await page.locator('#screen dd').nth(1).textContent(), '1.5 FIL');
    await page.screenshot({ path: artifact('panel-filecoin-review.png') });
    await page.click('#approve');
    assert.equal(await outcome, 'approved');
  });

  it('switches the presence mode from the panel', async () => {
    await page.click('#modes button[data-mode="auto"]');
    await page.locator('#modes button.on[data-mode="auto"]').waitFor();
    assert.equal(key.control.presence().mode, 'auto');
    assert.equal(
      (
        await client.cbor(encodeGetAssertionRequest({ rpId: 'example.com', clientDataHash: clientDataHash('auto') }))
      )[0],
      Status.CTAP2_OK,
    );
    await page.click('#modes button[data-mode="panel"]');
    await page.locator('#modes button.on[data-mode="panel"]').waitFor();
  });

  it('the trace shows the commands, filters, and downloads as JSON', async () => {
    await page.waitForSelector('.t .name:text("authenticatorGetAssertion")');
    const statuses = await page.locator('.t .status').allTextContents();
    assert.ok(statuses.includes('CTAP2_ERR_OPERATION_DENIED'));
    assert.ok(statuses.includes('CTAP2_OK'));
    await page.fill('#filter', 'CTAPHID_INIT');
    const names = await page.locator('.t .name').allTextContents();
    assert.ok(names.length > 0 && names.every((n) => n === 'CTAPHID_INIT'), names.join());
    await page.fill('#filter', '');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#trace-download')]);
    const trace = JSON.parse(readFileSync(await download.path(), 'utf8')) as Array<{
      layer: string;
      name: string;
      detail?: string;
    }>;
    assert.ok(
      trace.some(
        (e) => e.layer === 'ctap2' && e.name === 'authenticatorMakeCredential' && /"example\.com"/.test(e.detail ?? ''),
      ),
    );
    assert.equal(download.suggestedFilename(), 'softkey-trace.json');
    // The README picture: a second registration waiting, with credentials and trace filled in.
    const pending = client.cbor(
      encodeMakeCredentialRequest({
        clientDataHash: clientDataHash('readme'),
        rp: { id: 'webauthn.io', name: 'WebAuthn.io' },
        user: { id: new Uint8Array([9]), name: 'bob', displayName: 'Bob' },
        pubKeyCredParams: [
          { type: 'public-key', alg: -8 },
          { type: 'public-key', alg: -7 },
        ],
        options: { rk: true },
      }),
    );
    await page.locator('#prompt-message', { hasText: 'Register with WebAuthn.io (webauthn.io) as Bob?' }).waitFor();
    await page.screenshot({ path: artifact('panel-overview.png'), fullPage: true });
    await page.click('#approve');
    assert.equal((await pending)[0], Status.CTAP2_OK);
    await page.locator('#credentials td', { hasText: 'webauthn.io' }).first().waitFor();
  });

  it('deletes a credential from the panel', async () => {
    assert.equal(key.control.credentials().length, 2);
    await page.locator('#credentials tr', { hasText: 'example.com' }).locator('button:text("Delete")').click();
    await page.waitForFunction(() => document.querySelectorAll('#credentials tr').length === 1);
    assert.deepEqual(
      key.control.credentials().map((c) => c.rpId),
      ['webauthn.io'],
    );
  });
});
