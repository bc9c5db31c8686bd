/** `softkey start`'s browser side: flag rules, and the bridge + demo composition wired together. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { UsageError } from '../../src/main/address.js';
import { openSoftKey } from '../../src/main/softkey.js';
import { startWebServices, webServicesFromFlags } from '../../src/main/webServices.js';

describe('webServicesFromFlags', () => {
  it('serves nothing by default, the bridge with --bridge, bridge and demo with --demo', () => {
    assert.equal(webServicesFromFlags({}, '/d'), undefined);
    assert.deepEqual(webServicesFromFlags({ bridge: '127.0.0.1:5175' }, '/d'), { bridge: { host: '127.0.0.1', port: 5175 } });
    assert.deepEqual(webServicesFromFlags({ demo: 'localhost:5173' }, '/d'), {
      bridge: { host: '127.0.0.1', port: 5175 },
      demo: { host: 'localhost', port: 5173, dbPath: '/d/rp-demo.sqlite' },
    });
    assert.deepEqual(webServicesFromFlags({ demo: 'localhost:5173', 'no-bridge': true }, '/d')?.bridge, false);
    assert.deepEqual(webServicesFromFlags({ bridge: '127.0.0.1:1', 'allow-origin': ['http://localhost:3000/'] }, '/d')?.allowOrigins, ['http://localhost:3000']);
  });

  it('rejects contradictions and malformed values as usage errors', () => {
    for (const flags of [{ bridge: '127.0.0.1:1', 'no-bridge': true }, { demo: 'localhost:1', 'no-demo': true }, { bridge: 'nonsense' }, { demo: 'x' }, { 'allow-origin': ['not an origin'] }]) {
      assert.throws(() => webServicesFromFlags(flags, '/d'), UsageError, JSON.stringify(flags));
    }
  });
});

describe('startWebServices', () => {
  it('the demo pages load a shim pointing at the bridge, which accepts the demo origin', async () => {
    const key = await openSoftKey({ dataDir: ':memory:' });
    const web = await startWebServices(key, { bridge: { host: '127.0.0.1', port: 0 }, demo: { host: 'localhost', port: 0, dbPath: ':memory:' } });
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
});
