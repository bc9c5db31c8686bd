/**
 * Per-credential events, as Chrome DevTools' WebAuthn domain reports them for its virtual
 * authenticators (WebAuthn.credentialAdded, credentialAsserted, credentialDeleted,
 * credentialUpdated): the authenticator tells the optional `Env.credentialEvents` port after the
 * change is committed to the store (habit 9), so a listener never sees a credential the device
 * could still lose. The port must not throw into the authenticator; the composition root guards it.
 */
import type { Core } from './core.js';

export type CredentialEventType = 'credentialAdded' | 'credentialAsserted' | 'credentialDeleted' | 'credentialUpdated';

export interface CredentialEvent {
  type: CredentialEventType;
  credentialId: Uint8Array;
  /** The RP ID (for a U2F credential, the AppID); undefined only when unknown. */
  rpId?: string;
  /** user.id (the user handle) of a discoverable credential. */
  userHandle?: Uint8Array;
  discoverable: boolean;
  signCount: number;
  /** The authenticatorData flags byte of the ceremony (UP, UV, BE, BS); for deletes and updates, BE|BS. */
  flags: number;
}

export interface CredentialEventSink {
  credential(event: CredentialEvent): void;
}

/** Tells the port, if any. */
export function credentialEvent(core: Core, event: CredentialEvent): void {
  core.env.credentialEvents?.credential(event);
}
