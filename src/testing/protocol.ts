/**
 * What softkey/testing's window side (index.ts) and its key host (worker.ts) exchange: plain JSON.
 * Types only, plus the list of control API methods a test may call; nothing here loads the key.
 */
import type { BridgeReply } from '../bridge/protocol.js';
import type { AddCredentialInput, Controller } from '../main/control.js';
import type { OpenSoftKeyOptions } from '../main/softkey.js';

/** A pre-registered passkey: the control API's addCredential input, with the key and user.id made up when absent. */
export interface PasskeyInput extends Omit<AddCredentialInput, 'privateKey' | 'userId'> {
  /** user.id, base64url; default 16 random bytes (discoverable credentials). */
  userId?: string;
  /** Default: a new ES256 key. */
  privateKey?: AddCredentialInput['privateKey'];
}

/** What a relying party stores for a passkey (the fields @simplewebauthn/server's `credential` takes). */
export interface Passkey {
  /** base64url. */
  credentialId: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  rpId: string;
  /** user.id, base64url (absent for a non-discoverable credential). */
  userId?: string;
  signCount: number;
}

/** openSoftKey() options that can cross to the key's thread (no functions: presence and UV go through `control`). */
export type TestingKeyOptions = Omit<OpenSoftKeyOptions, 'presence' | 'uv' | 'client'> & {
  presence?: 'auto' | 'deny' | 'timeout';
  client?: Omit<NonNullable<OpenSoftKeyOptions['client']>, 'pin'> & { pin?: string };
};

/** The Controller methods (src/control/controller.ts) a test reaches through `softkey.control`: JSON in, JSON out. */
export const CONTROL_METHODS = [
  'state',
  'presence',
  'setPresence',
  'prompts',
  'answerPrompt',
  'uv',
  'setUv',
  'pin',
  'setPin',
  'addCredential',
  'credentials',
  'credential',
  'removeCredential',
  'clearCredentials',
  'setCredential',
  'backupDefaults',
  'setBackupDefaults',
  'attestation',
  'setAttestation',
  'reset',
  'powerCycle',
  'faults',
  'setFaults',
  'clearFaults',
  'trace',
  'clearTrace',
] as const satisfies ReadonlyArray<keyof Controller>;
export type ControlMethod = (typeof CONTROL_METHODS)[number];

/** The control API, each call answered asynchronously (the key lives in its own thread). */
export type AsyncControl = {
  [M in ControlMethod]: Controller[M] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

export type WorkerRequest = { id: number } & (
  | { op: 'open'; keyOptions?: TestingKeyOptions; passkeys?: readonly PasskeyInput[] }
  | { op: 'bridge'; key: number; message: unknown; origin: string }
  | { op: 'addPasskey'; key: number; input: PasskeyInput }
  | { op: 'control'; key: number; method: string; args: unknown[] }
  | { op: 'close'; key: number }
);

export type WorkerReply =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { name: string; message: string } };

export type { BridgeReply };
