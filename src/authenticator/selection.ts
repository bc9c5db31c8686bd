/** CTAP 2.1 §6.9 authenticatorSelection: the user picks this device by touching it. */
import type { RequestContext } from '../ctap2/api.js';
import type { Core } from './core.js';
import { collectUserPresence } from './userPresence.js';

export async function selection(core: Core, ctx: RequestContext): Promise<void> {
  core.runtime.pending = undefined;
  await collectUserPresence(core.env.presence, { operation: 'selection', message: 'Use this softkey?' }, ctx);
}
