/**
 * The CTAP1/U2F authenticator (CTAP 2.1 §10 "Interoperating with CTAP1/U2F authenticators"): one
 * handler per U2F message over the same Core as CTAP2; ctap1/dispatch.ts turns APDUs into calls.
 *
 * U2F is served while the profile lists "U2F_V2" and alwaysUv is off: no user verification method
 * of this device can protect a U2F credential, so alwaysUv disables U2F (CTAP 2.1 §7.2 "Always
 * Require User Verification"), and getInfo stops listing U2F_V2 (§6.4).
 */
import type { Ctap1Authenticator, Ctap1Context } from '../ctap1/dispatch.js';
import type { U2fAuthenticateRequest, U2fRegisterRequest } from '../ctap1/messages.js';
import { Ctap1Error, StatusWord } from '../ctap1/statusWords.js';
import { configSettings } from './authenticatorConfig.js';
import type { Core } from './core.js';
import { u2fAuthenticate } from './u2fAuthenticate.js';
import { u2fRegister } from './u2fRegister.js';
import { u2fVersion } from './u2fVersion.js';

export const U2F_V2 = 'U2F_V2';

/** Whether the profile offers U2F at all (the CTAPHID INIT capabilities say so: NMSG clear). */
export function u2fOffered(core: Core): boolean {
  return core.config.versions.includes(U2F_V2);
}

/** Whether U2F answers right now: offered, and alwaysUv off. */
export function u2fAvailable(core: Core): boolean {
  return u2fOffered(core) && !configSettings(core).alwaysUv;
}

export class U2fAuthenticator implements Ctap1Authenticator {
  constructor(readonly core: Core) {}

  get available(): boolean {
    return u2fAvailable(this.core);
  }
  version(): Uint8Array {
    this.check();
    return u2fVersion();
  }
  register(req: U2fRegisterRequest, ctx: Ctap1Context): Promise<Uint8Array> {
    this.check();
    return u2fRegister(this.core, req, ctx);
  }
  authenticate(req: U2fAuthenticateRequest, ctx: Ctap1Context): Promise<Uint8Array> {
    this.check();
    return u2fAuthenticate(this.core, req, ctx);
  }
  /** Unavailable U2F: CTAPHID answers ERR_INVALID_CMD before this; in-process callers see 6D00. */
  private check(): void {
    if (!this.available) throw new Ctap1Error(StatusWord.SW_INS_NOT_SUPPORTED, 'U2F is disabled');
  }
}
