/**
 * The device panel's browser script (plain ES2020, no bundler). It reads the token from its own
 * URL, calls the control API with it (Authorization: Bearer) and follows the device live over the
 * WebSocket. Every text from the device (RP names, user names, CBOR) goes in through textContent.
 */
import { browserScript } from '../encoding/browserScript.js';

/** panel.browser.js, type-checked against the DOM by tsconfig.dom.json and shipped beside this module. */
export const PANEL_SCRIPT = browserScript(import.meta.url, 'panel.browser.js');
