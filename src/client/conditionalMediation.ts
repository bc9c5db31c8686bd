/**
 * Conditional mediation, the browser's side (WebAuthn L3 §5.1.4 with mediation "conditional",
 * "passkey autofill"; §5.1.3 with mediation "conditional", "conditional create"), simulated:
 *
 *  - get({ mediation: 'conditional' }): the client silently discovers the RP's discoverable
 *    credentials (L3 §6.3.4 authenticatorSilentCredentialDiscovery, done over CTAP as a silent
 *    up=false authenticatorGetAssertion and getNextAssertion) and offers them in the autofill
 *    "dropdown": `AutofillUi.offered()` lists them, `choose(credentialId)` is the user picking one,
 *    `dismiss()` the user cancelling (NotAllowedError). The request has no timer (§5.1.4: the
 *    lifetimeTimer is not used) and ends only by a choice, a dismissal or the page's AbortSignal;
 *    modal requests run beside it.
 *  - create({ mediation: 'conditional' }): allowed only when this client recently mediated an
 *    authentication for the same origin (a passkey sign-in through it, or a password the user's
 *    password manager filled: `recordPasswordSignIn`) and the user consents (`consentToConditionalCreate`);
 *    otherwise NotAllowedError (L3 §5.1.3 "If options.mediation is present with the value conditional").
 */
import * as b64u from '../encoding/base64url.js';
import { WebAuthnError } from './errors.js';

/** An account the autofill UI offers: a discoverable credential of the RP on one authenticator. */
export interface AutofillAccount {
  /** base64url credential ID: what `choose()` takes. */
  credentialId: string;
  /** base64url user handle. */
  userHandle?: string;
  /** The account name when the authenticator gave it (CTAP 2.1 §6.2.2 gives it only after user verification). */
  name?: string;
  displayName?: string;
  /** Which of the client's authenticators holds it (0: the client's own transport). */
  authenticator: number;
  attachment: 'platform' | 'cross-platform';
}

export interface AutofillOffer {
  /** The caller's origin and RP ID of the pending conditional request. */
  origin: string;
  rpId: string;
  accounts: AutofillAccount[];
}

interface Pending extends AutofillOffer {
  resolve(account: AutofillAccount): void;
  reject(e: WebAuthnError): void;
}

/** How long after a mediated authentication a conditional create is still allowed (the client's choice). */
export const RECENT_AUTHENTICATION_MS = 5 * 60_000;

export class AutofillUi {
  private readonly pending: Pending[] = [];
  private readonly waiters: Array<(offer: AutofillOffer) => void> = [];
  private readonly recent = new Map<string, number>();
  /** The user's answer to "save a passkey for this site?" when a conditional create comes (default yes). */
  consentToConditionalCreate = true;

  constructor(private readonly now: () => number = Date.now) {}

  /** The accounts offered by the newest pending conditional request, or [] when none waits. */
  offered(): AutofillAccount[] {
    return this.current()?.accounts.map((a) => ({ ...a })) ?? [];
  }

  /** The newest pending conditional request, or undefined. */
  current(): AutofillOffer | undefined {
    const p = this.pending[this.pending.length - 1];
    return p && { origin: p.origin, rpId: p.rpId, accounts: p.accounts.map((a) => ({ ...a })) };
  }

  /** Resolves when a conditional request offers accounts (at once when one already waits). */
  whenOffered(): Promise<AutofillOffer> {
    const now = this.current();
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The user picks `credentialId` (base64url) in the autofill UI of the newest request offering it. */
  choose(credentialId: string): void {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const p = this.pending[i]!;
      const account = p.accounts.find((a) => a.credentialId === credentialId);
      if (!account) continue;
      this.pending.splice(i, 1);
      p.resolve(account);
      return;
    }
    throw new RangeError(`no pending conditional request offers credential ${credentialId}`);
  }

  /** The user closes the autofill UI with "cancel": the newest request fails with NotAllowedError. */
  dismiss(): void {
    const p = this.pending.pop();
    if (!p) throw new RangeError('no conditional request is pending');
    p.reject(new WebAuthnError('NotAllowedError', 'the user dismissed the passkey autofill'));
  }

  /** A password manager filled a password and the user signed in on `origin` (enables conditional create). */
  recordPasswordSignIn(origin: string): void {
    this.recent.set(new URL(origin).origin, this.now());
  }

  /** @internal The client mediated a passkey sign-in on `origin`. */
  recordAuthentication(origin: string): void {
    this.recent.set(origin, this.now());
  }

  /** @internal Whether this client recently mediated an authentication on `origin` (L3 §5.1.3 conditional step). */
  recentlyAuthenticated(origin: string): boolean {
    const at = this.recent.get(origin);
    return at !== undefined && this.now() - at <= RECENT_AUTHENTICATION_MS;
  }

  /**
   * @internal Offers `accounts` and waits for the user. `signal` (the ceremony's) withdraws the
   * offer. Accounts are offered even when there are none: the field simply shows no passkey.
   */
  offer(origin: string, rpId: string, accounts: AutofillAccount[], signal: AbortSignal): Promise<AutofillAccount> {
    return new Promise<AutofillAccount>((resolve, reject) => {
      const entry: Pending = {
        origin,
        rpId,
        accounts,
        resolve: (a) => {
          signal.removeEventListener('abort', onAbort);
          resolve(a);
        },
        reject: (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      const onAbort = () => {
        const i = this.pending.indexOf(entry);
        if (i >= 0) this.pending.splice(i, 1);
        reject(signal.reason);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.push(entry);
      const offer = this.current()!;
      for (const w of this.waiters.splice(0)) w(offer);
    });
  }
}

/** An account from a silent-discovery assertion. */
export function accountOf(
  credentialId: Uint8Array,
  user: { id: Uint8Array; name?: string; displayName?: string } | undefined,
  authenticator: number,
  attachment: AutofillAccount['attachment'],
): AutofillAccount {
  return {
    credentialId: b64u.encode(credentialId),
    ...(user && { userHandle: b64u.encode(user.id) }),
    ...(user?.name !== undefined && { name: user.name }),
    ...(user?.displayName !== undefined && { displayName: user.displayName }),
    authenticator,
    attachment,
  };
}
