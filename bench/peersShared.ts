/** The WebAuthn options both sides of `peers.*` answer (bench/peers.ts, bench/peersNid.ts). */
export const ORIGIN = 'https://peers.example';
export const RP_ID = 'peers.example';
const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');

/** create() options of the i-th discoverable credential (its own user). */
export const creation = (i: number) => ({
  rp: { id: RP_ID, name: 'Peers' },
  user: {
    id: b64u(new Uint8Array([i & 255, (i >> 8) & 255, (i >> 16) & 255, 1])),
    name: `user${i}`,
    displayName: `User ${i}`,
  },
  challenge: b64u(new Uint8Array(32).fill(i & 255)),
  pubKeyCredParams: [{ type: 'public-key' as const, alg: -7 }],
  authenticatorSelection: { residentKey: 'required' as const, userVerification: 'discouraged' as const },
});

/** get() options: an allowList of one credential. */
export const getRequest = (id: string, challenge: Uint8Array) => ({
  challenge: b64u(challenge),
  rpId: RP_ID,
  allowCredentials: [{ type: 'public-key' as const, id }],
  userVerification: 'discouraged' as const,
});
