/**
 * WebAuthn L3 §5.9 "Using Web Authentication within iframe elements": a cross-origin frame may run
 * create() / get() only when its embedder grants `publickey-credentials-create` / `-get` through the
 * iframe's `allow` attribute (Permissions Policy §9.2 container policy; the features' default
 * allowlist is 'self', so a frame of its parent's own origin inherits the parent's standing).
 *
 * Two channels ask this question. softkey/playwright reads each embedding <iframe> itself
 * (playwright.ts). Over the WebSocket bridge softkey sees only each connection's Origin header, so
 * the page shims build the answer hop by hop (FrameGrants): a frame asks its parent window with
 * postMessage (the browser sets the message's origin); the parent's shim, on its own connection,
 * hands softkey the iframe's `allow` text, the frame's origin and a one-time nonce chosen by the
 * frame (plus its own grant when it is itself a frame); softkey decides here, and the frame's
 * request then names the nonce. The top origin of the chain becomes clientData.topOrigin (§5.8.1).
 */
import { normalizeOrigin } from './protocol.js';

/** The two features of WebAuthn L3 §5.9. */
export type CredentialsFeature = 'publickey-credentials-create' | 'publickey-credentials-get';

/** The feature a bridge request type needs in a cross-origin frame. */
export function featureFor(type: 'create' | 'get'): CredentialsFeature {
  return type === 'create' ? 'publickey-credentials-create' : 'publickey-credentials-get';
}

/**
 * Whether an iframe `allow` attribute grants `feature` to a frame of `frameOrigin` embedded by a
 * document of `parentOrigin` (Permissions Policy §9.2 "parse policy directive": `feature allowlist`
 * directives split by ';'; an empty allowlist means 'src'). 'src' is taken as the frame's current origin.
 */
export function allowAttributeGrants(
  allow: string | null,
  feature: string,
  frameOrigin: string,
  parentOrigin: string,
): boolean {
  for (const directive of (allow ?? '').split(';')) {
    const [name, ...list] = directive.trim().split(/\s+/);
    if (name !== feature) continue;
    const allowlist = list.length ? list : ["'src'"];
    return allowlist.some(
      (t) =>
        t === '*' ||
        t === "'src'" ||
        (t === "'self'" && frameOrigin === parentOrigin) ||
        normalizeOrigin(t) === frameOrigin,
    );
  }
  return false;
}

/** The NotAllowedError message of a refused cross-origin frame, the same on every channel. */
export function notGrantedMessage(feature: CredentialsFeature, frameOrigin: string): string {
  return `the embedding page has not granted ${feature} to ${frameOrigin} (iframe allow attribute)`;
}

/** What a parent's shim tells softkey about one embedded frame (bridge message type "grant"). */
export interface GrantRequest {
  /** Chosen by the frame; names the grant in the frame's own create()/get(). */
  nonce: string;
  /** The frame's origin, as the browser reported it to the parent (MessageEvent.origin). */
  frameOrigin: string;
  feature: CredentialsFeature;
  /** The embedding iframe's `allow` attribute (null when absent). */
  allow: string | null;
  /** The parent's own grant from its parent, when the parent is itself a frame. */
  via?: string;
}

interface Grant {
  frameOrigin: string;
  feature: CredentialsFeature;
  top: string;
  expires: number;
}

const NONCE = /^[\w-]{16,64}$/;

/** One-time grants between the connections of one bridge server. */
export class FrameGrants {
  private readonly grants = new Map<string, Grant>();

  constructor(
    private readonly now: () => number = Date.now,
    /** How long a grant waits for the frame's request. */
    private readonly lifetimeMs = 60_000,
    private readonly capacity = 256,
  ) {}

  /**
   * Records a grant asked for by the document of `parentOrigin` (its connection's Origin), or says
   * why not. A parent that is itself a frame must show its own grant (`via`) for the same feature.
   */
  offer(parentOrigin: string, request: GrantRequest): string | undefined {
    if (!NONCE.test(request.nonce) || this.grants.has(request.nonce)) return 'the grant nonce is malformed or in use';
    let top = parentOrigin;
    if (request.via !== undefined) {
      const parent = this.take(request.via, parentOrigin, request.feature);
      if (parent === undefined) return `the embedding page at ${parentOrigin} is not itself granted ${request.feature}`;
      top = parent;
    }
    const granted =
      request.frameOrigin === parentOrigin ||
      allowAttributeGrants(request.allow, request.feature, request.frameOrigin, parentOrigin);
    if (!granted) return notGrantedMessage(request.feature, request.frameOrigin);
    const now = this.now();
    for (const [nonce, g] of this.grants) if (g.expires <= now) this.grants.delete(nonce);
    if (this.grants.size >= this.capacity) this.grants.delete(this.grants.keys().next().value!);
    this.grants.set(request.nonce, {
      frameOrigin: request.frameOrigin,
      feature: request.feature,
      top,
      expires: now + this.lifetimeMs,
    });
    return undefined;
  }

  /** The top origin of a grant given to `frameOrigin` for `feature`, used up; undefined when none is. */
  take(nonce: string, frameOrigin: string, feature: CredentialsFeature): string | undefined {
    const g = this.grants.get(nonce);
    if (!g) return undefined;
    this.grants.delete(nonce);
    if (g.frameOrigin !== frameOrigin || g.feature !== feature || g.expires <= this.now()) return undefined;
    return g.top;
  }
}
