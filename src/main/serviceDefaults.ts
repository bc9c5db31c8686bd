/**
 * `softkey start`'s flags and defaults for the panel and the browser-side services, without the
 * servers themselves: the command parses its flags with these and loads main/panel.ts and
 * main/webServices.ts (hono, ws, @simplewebauthn/server) only when it starts those services.
 */
import { DEFAULT_PANEL_HOST, DEFAULT_PANEL_PORT } from '../panel/defaults.js';

export { DEFAULT_BRIDGE_HOST, DEFAULT_BRIDGE_PORT, normalizeOrigin } from '../bridge/protocol.js';

export const PANEL_FLAGS = { panel: { type: 'string' }, 'no-panel': { type: 'boolean' } } as const;
export const PANEL_DEFAULT = `${DEFAULT_PANEL_HOST}:${DEFAULT_PANEL_PORT}`;
