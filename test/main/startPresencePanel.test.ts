/**
 * `softkey start --presence panel --demo`: the demo's ceremony pages tell the user to approve on the
 * device panel and link it (issue 18 item 9), through the real command.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { startSoftkeyProcess } from '../interop/startDevice.js';

it('softkey start --presence panel --demo links the device panel from the demo pages', async () => {
  const device = await startSoftkeyProcess({
    presence: 'panel',
    args: ['--demo', '127.0.0.1:0', '--bridge', '127.0.0.1:0', '--panel', '127.0.0.1:0'],
    readyPattern: /presence: panel/,
  });
  try {
    const out = device.output();
    const demoUrl = /WebAuthn Demo .*: Open (\S+)/.exec(out)?.[1];
    const panelUrl = /device panel: (http:\/\/[^/\s]+)\/\?token=/.exec(out)?.[1];
    assert.ok(demoUrl && panelUrl, out);
    for (const path of ['/', '/login']) {
      const page = await (await fetch(new URL(path, demoUrl))).text();
      assert.match(page, /id="approve-on-panel"/, path);
      assert.ok(page.includes(`href="${panelUrl}"`), `${path} links ${panelUrl}`);
      assert.ok(!page.includes('token='), 'the demo page does not carry the panel token');
    }
  } finally {
    await device.stop();
  }
});
