/**
 * How the WebAuthn client reaches a device: one CTAP2 message out, one back (CTAP 2.1 §8.1
 * "CTAPHID_CBOR" payloads). The client never sees framing; the composition root wires this to an
 * in-process device, CTAPHID over UDP, or a WebSocket.
 */
export interface CtapTransport {
  /**
   * Sends `command byte ‖ CBOR parameters` and resolves with `status byte ‖ CBOR response`.
   * When `signal` aborts, the transport should cancel the request on the device (CTAPHID_CANCEL)
   * and may reject; the client stops waiting for it either way.
   */
  cbor(request: Uint8Array, opts?: { signal?: AbortSignal }): Promise<Uint8Array>;
}
