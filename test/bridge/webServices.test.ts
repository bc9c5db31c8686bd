/** `softkey start`'s browser side: flag rules, and the bridge + demo composition wired together. */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { UsageError } from '../../src/main/address.js';
import { openSoftKey } from '../../src/main/softkey.js';
import { startWebServices } from '../../src/main/webServices.js';
import { webServicesFromFlags } from '../../src/cli/webFlags.js';

describe('webServicesFromFlags', () => {
  it('serves nothing by default, the bridge with --bridge, bridge and demo with --demo', () => {
    assert.equal(webServicesFromFlags({}, '/d'), undefined);
    assert.deepEqual(webServicesFromFlags({ bridge: '127.0.0.1:5175' }, '/d'), {
      bridge: { host: '127.0.0.1', port: 5175 },
    });
    assert.deepEqual(webServicesFromFlags({ demo: 'localhost:5173' }, '/d'), {
      bridge: { host: '127.0.0.1', port: 5175 },
      demo: { host: 'localhost', port: 5173, dbPath: '/d/rp-demo.sqlite' },
    });
    assert.deepEqual(webServicesFromFlags({ demo: 'localhost:5173', 'no-bridge': true }, '/d')?.bridge, false);
    assert.deepEqual(
      webServicesFromFlags({ bridge: '127.0.0.1:1', 'allow-origin': ['http://localhost:3000/'] }, '/d')?.allowOrigins,
      ['http://localhost:3000'],
    );
  });

  it('rejects contradictions and malformed values as usage errors', () => {
    for (const flags of [
      { bridge: '127.0.0.1:1', 'no-bridge': true },
      { demo: 'localhost:1', 'no-demo': true },
      { bridge: 'nonsense' },
      { demo: 'x' },
      { 'allow-origin': ['not an origin'] },
    ]) {
      assert.throws(() => webServicesFromFlags(flags, '/d'), UsageError, JSON.stringify(flags));
    }
  });
});

describe('startWebServices', () => {
  it('the demo pages load a shim pointing at the bridge, which accepts the demo origin', async () => {
    const key = await openSoftKey({ dataDir: ':memory:' });
    const web = await startWebServices(key, {
      bridge: { host: '127.0.0.1', port: 0 },
      demo: { host: 'localhost', port: 0, dbPath: ':memory:' },
    });
    try {
      const { bridge, demo } = web;
      assert.ok(bridge && demo);
      assert.deepEqual(bridge.allowedOrigins, [demo.origin]);
      assert.ok(web.lines.some((l) => l.includes(`Open ${demo.url}`)));
      const page = await (await fetch(demo.url)).text();
      assert.match(page, /<script src="\/softkey-bridge\.js"><\/script>/);
      const shim = await (await fetch(new URL('/softkey-bridge.js', demo.url))).text();
      assert.ok(shim.includes(JSON.stringify(bridge.url)));
      const ws = new WebSocket(bridge.url, { origin: demo.origin });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      ws.close();
    } finally {
      await web.close();
      await key.close();
    }
  });

  it('with --presence panel the demo pages say to approve on the device panel and link it', async () => {
    const key = await openSoftKey({ dataDir: ':memory:' });
    let panelUrl: string | undefined; // known only once the panel has started, after the demo
    const web = await startWebServices(key, {
      bridge: false,
      demo: { host: 'localhost', port: 0, dbPath: ':memory:' },
      approvalPanel: () => panelUrl,
    });
    const plain = await startWebServices(key, {
      bridge: false,
      demo: { host: 'localhost', port: 0, dbPath: ':memory:' },
    });
    try {
      const demo = web.demo!;
      assert.doesNotMatch(await (await fetch(demo.url)).text(), /id="approve-on-panel"/, 'no panel yet: no notice');
      panelUrl = 'http://127.0.0.1:5174';
      for (const path of ['/', '/login']) {
        const page = await (await fetch(new URL(path, demo.url))).text();
        assert.match(
          page,
          /<p id="approve-on-panel">The security key asks for your approval on its device panel/,
          path,
        );
        assert.match(page, /<a href="http:\/\/127\.0\.0\.1:5174" target="softkey-panel"/, path);
      }
      const app = await (await fetch(new URL('/app.js', demo.url))).text();
      assert.match(app, /approve the request on its device panel/);
      assert.doesNotMatch(
        await (await fetch(plain.demo!.url)).text(),
        /id="approve-on-panel"/,
        'other presence modes: no notice',
      );
    } finally {
      await plain.close();
      await web.close();
      await key.close();
    }
  });
});
