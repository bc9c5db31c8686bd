/**
 * CTAP 2.1 §6.6 authenticatorReset: only within the reset window after power-up, and only with
 * user presence; CTAP 2.3: a long touch once enableLongTouchForReset (§6.11.5) turned
 * longTouchForReset on. Forgets every credential (stored ones are deleted, non-discoverable ones
 * stop opening because the wrapping key is replaced), PIN state and large blobs; CTAP 2.3: a new
 * persistent pinUvAuthToken and device identifier (persistentPinUvAuthToken.ts).
 */
import type { RequestContext } from '../ctap2/api.js';
import { CtapError, Status } from '../ctap2/status.js';
import type { Core } from './core.js';
import { configSettings, resetManagementState } from './authenticatorConfig.js';
import { resetPersistentState } from './persistentPinUvAuthToken.js';
import { resetPinUvAuthRuntime } from './pinUvAuthToken.js';
import { collectUserPresence } from './userPresence.js';

export async function reset(core: Core, ctx: RequestContext): Promise<void> {
  core.runtime.pending = undefined;
  if (core.env.clock.now() - core.runtime.powerUpAt > core.config.resetWindowMs) {
    throw new CtapError(Status.CTAP2_ERR_NOT_ALLOWED, 'reset is only allowed shortly after power-up');
  }
  const longTouch = core.config.ctap23 && configSettings(core).longTouchForReset;
  const message = `Reset softkey? All credentials will be erased.${longTouch ? ' Hold the button (long touch).' : ''}`;
  await collectUserPresence(core.env.presence, { operation: 'reset', message, ...(longTouch && { longTouch }) }, ctx);
  eraseAuthenticator(core);
}

/** What a reset erases; also the control API's reset, which needs neither the window nor presence. */
export function eraseAuthenticator(core: Core): void {
  core.runtime.pending = undefined;
  core.runtime.backupFlags = undefined;
  core.env.store.wipe(); // includes the PIN state (pinUvAuthToken.ts)
  core.rotateSecrets();
  resetPinUvAuthRuntime(core); // new key-agreement keys and pinUvAuthTokens
  resetManagementState(core); // ep and alwaysUv off again (the store was wiped), no write or enumeration pending
  if (core.config.ctap23) resetPersistentState(core);
}
