/**
 * The bridge protocol: what the page shim (pageShim.ts) and softkey exchange, one JSON message per
 * WebSocket frame (or per Playwright binding call). The page runs the WebAuthn L3 §5.1.3 / §5.1.4
 * entry points (navigator.credentials.create/get); softkey runs the client algorithm itself
 * (src/client), so origin, rpId and challenge rules are applied in Node, with the page's origin.
 *
 *   page → softkey   { "type": "create", "id": "r1", "origin": "http://localhost:5173",
 *                      "options": PublicKeyCredentialCreationOptionsJSON }
 *   page → softkey   { "type": "get", "id": "r2", "origin": "…", "options": PublicKeyCredentialRequestOptionsJSON,
 *                      "mediation": "optional" }
 *   page → softkey   { "type": "abort", "id": "r1" }            AbortSignal fired: cancel request r1
 *   page → softkey   { "type": "signal", "id": "r3", "origin": "…", "signal": "unknownCredential"
 *                      | "allAcceptedCredentials" | "currentUserDetails", "options": {…} }   L3 §5.1.10
 *   page → softkey   { "type": "capabilities", "id": "r4", "origin": "…" }              L3 §5.1.11
 *   page → softkey   { "type": "grant", "id": "r5", "origin": "…", "nonce": "…", "frameOrigin": "…",
 *                      "feature": "publickey-credentials-get", "allow": "…" | null, "via"?: "…" }
 *                    an embedder's shim vouching for one of its frames (WebSocket only, permissionsPolicy.ts);
 *                    the frame's create/get then carries "grant": "<nonce>"
 *   softkey → page   { "id": "r1", "ok": true, "credential": RegistrationResponseJSON | AuthenticationResponseJSON }
 *   softkey → page   { "id": "r3", "ok": true, "value": … }     a signal (null) or the capabilities record
 *   softkey → page   { "id": "r1", "ok": false, "error": { "name": "NotAllowedError", "message": "…" } }
 *
 * `origin` is what the page believes its origin is; softkey only trusts the origin it learned
 * itself (the WebSocket Origin header, or the Playwright frame URL) and refuses a mismatch with
 * SecurityError. The WebSocket URL carries the per-run token: ws://127.0.0.1:5175/?token=…
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '../client/index.js';

export type BridgeRequest =
  | { type: 'create'; id: string; origin: string; options: unknown; mediation?: string; grant?: string }
  | { type: 'get'; id: string; origin: string; options: unknown; mediation?: string; grant?: string }
  | {
      type: 'grant';
      id: string;
      origin: string;
      nonce: string;
      frameOrigin: string;
      feature: string;
      allow: string | null;
      via?: string;
    }
  | { type: 'signal'; id: string; origin: string; signal: string; options: unknown }
  | { type: 'capabilities'; id: string; origin: string }
  | { type: 'abort'; id: string };

export interface BridgeErrorJSON {
  /** A DOMException name (NotAllowedError, …) or "TypeError". */
  name: string;
  message: string;
}

export type BridgeReply =
  | { id: string; ok: true; credential: RegistrationResponseJSON | AuthenticationResponseJSON; value?: undefined }
  | { id: string; ok: true; value: Record<string, boolean> | null; credential?: undefined }
  | { id: string; ok: false; error: BridgeErrorJSON };

/** Largest message accepted from a page (options with long allow lists stay far below it). */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** Default loopback address of the bridge. */
export const DEFAULT_BRIDGE_HOST = '127.0.0.1';
export const DEFAULT_BRIDGE_PORT = 5175;
/** Origins the bridge accepts when none are configured: the demo relying party. */
export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = ['http://localhost:5173'];

/** The ASCII serialization of an origin, or undefined when the text is not one (or is opaque). */
export function normalizeOrigin(text: string): string | undefined {
  try {
    const url = new URL(text);
    return url.origin === 'null' ? undefined : url.origin;
  } catch {
    return undefined;
  }
}
