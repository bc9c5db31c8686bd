/**
 * Composition for `softkey start`'s device panel and control API: one loopback server (default
 * http://127.0.0.1:5174; a free port when that one is taken and none was asked for), a random
 * per-run token, and <dataDir>/control.json (mode 0600: url, token, pid) so `softkey ctl` finds it.
 */
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from '../crypto/aead.js';
import * as b64u from '../encoding/base64url.js';
import { startPanelServer, type PanelServer } from '../panel/server.js';
import { PANEL_DEFAULT } from './serviceDefaults.js';
import { parseHostPort } from './address.js';
import { listenFor } from './listenErrors.js';
import type { ControlSurface } from '../control/httpApi.js';
import { CONTROL_FILE, type ControlInfo } from '../control/controlClient.js';

export interface ControlServices {
  readonly server: PanelServer;
  readonly lines: string[];
  close(): Promise<void>;
}

/** Starts the panel + control API for a running key; `dataDir` ':memory:' writes no control file. */
export async function startControlServices(
  key: { control: ControlSurface }, // a SoftKey, or split mode's front (control/promptsControl.ts)
  options: { listen?: string; dataDir: string },
): Promise<ControlServices> {
  const asked = options.listen !== undefined && options.listen !== PANEL_DEFAULT;
  const { host, port } = parseHostPort(options.listen ?? PANEL_DEFAULT, '--panel');
  const token = b64u.encode(randomBytes(24));
  const server = await listenFor(
    '--panel',
    () => startPanelServer({ controller: key.control, token, host, port, fallbackToFreePort: !asked }),
    '--no-panel',
  );
  const file = options.dataDir === ':memory:' ? undefined : join(options.dataDir, CONTROL_FILE);
  if (file) {
    const info: ControlInfo = { url: server.origin, token, panel: server.url, pid: process.pid };
    writeFileSync(file, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
    chmodSync(file, 0o600); // an existing file keeps its mode on write
  }
  return {
    server,
    lines: [`device panel: ${server.url}`, `control API: ${server.origin}/api (token in ${file ?? 'this output'})`],
    async close() {
      await server.close();
      if (file) {
        try {
          const current = JSON.parse(readFileSync(file, 'utf8')) as ControlInfo;
          if (current.token === token) rmSync(file, { force: true }); // a newer run's file stays
        } catch {
          // already gone
        }
      }
    },
  };
}
