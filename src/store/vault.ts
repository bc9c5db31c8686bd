/**
 * The vault port: device secrets (credential-wrapping key, hmac-secret key, attestation key,
 * wallet seed), encrypted at rest under the master key. Secrets are created on first use.
 */
export interface Vault {
  /** Returns the named secret, creating it with `create()` on first use (persisted encrypted). */
  secret(name: string, create: () => Uint8Array): Uint8Array;
  /** Returns the named secret if present. */
  get(name: string): Uint8Array | undefined;
  set(name: string, value: Uint8Array): void;
  delete(name: string): void;
  /** Every secret's name (for a whole-key export, snapshot.ts). */
  names(): string[];
}
