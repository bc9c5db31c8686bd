/**
 * Which authenticator a ceremony uses when the client sees several (a platform authenticator and a
 * security key at once), as a browser decides it:
 *
 *  - authenticator attachment modality (WebAuthn L3 §6.2.1): "platform" when getInfo says plat=true
 *    (CTAP 2.1 §6.4: "platform device: … not removable"), else "cross-platform";
 *  - create(): §5.1.3 step 20 skips an authenticator whose modality differs from
 *    authenticatorSelection.authenticatorAttachment; hints (§5.4.4 PublicKeyCredentialHint) take
 *    precedence over authenticatorAttachment when they contradict it (§5.4 "hints"), and order the rest;
 *  - get(): allowCredentials' transports (§5.8.4) leave out an authenticator none of whose transports
 *    a descriptor names (a descriptor without transports allows every authenticator); hints order;
 *  - among the rest the user picks: `choose` (the test's answer), else the first hint's kind, else the
 *    platform authenticator, which Chrome offers first.
 * No authenticator left: the client waits for the timeout and fails with NotAllowedError (Chromium).
 */
import type { GetInfoResponse } from '../ctap2/getInfo.js';

export type AuthenticatorAttachment = 'platform' | 'cross-platform';

export interface AuthenticatorCandidate {
  /** Position in the client's list (0: its own transport). */
  index: number;
  attachment: AuthenticatorAttachment;
  transports: string[];
  aaguid?: Uint8Array;
}

/** A choice: a modality, or a function over the eligible candidates returning one of their indexes. */
export type AuthenticatorChooser = AuthenticatorAttachment | ((candidates: AuthenticatorCandidate[]) => number);

export function attachmentOf(info: GetInfoResponse): AuthenticatorAttachment {
  return info.options?.plat === true ? 'platform' : 'cross-platform';
}

/** §5.4.4: "security-key" and "hybrid" are cross-platform, "client-device" platform; others ignored. */
function hintAttachment(hint: string): AuthenticatorAttachment | undefined {
  if (hint === 'client-device') return 'platform';
  if (hint === 'security-key' || hint === 'hybrid') return 'cross-platform';
  return undefined;
}

export function candidateOf(index: number, info: GetInfoResponse): AuthenticatorCandidate {
  return {
    index,
    attachment: attachmentOf(info),
    transports: [...(info.transports ?? [])],
    ...(info.aaguid && { aaguid: info.aaguid }),
  };
}

/**
 * What a ceremony asks of the authenticator: `required` is authenticatorSelection.authenticatorAttachment
 * (create only), `allowCredentials` the allowCredentials descriptors, whose transports count (get only).
 */
export interface AuthenticatorRequirements {
  required?: string;
  hints?: readonly string[];
  allowCredentials?: ReadonlyArray<{ readonly transports?: readonly string[] | undefined }>;
}

const NO_HINTS: readonly AuthenticatorAttachment[] = [];

function hintedOf(req: AuthenticatorRequirements): readonly AuthenticatorAttachment[] {
  if (!req.hints || req.hints.length === 0) return NO_HINTS;
  return req.hints.map(hintAttachment).filter((a): a is AuthenticatorAttachment => a !== undefined);
}

/** Whether `c` may serve a ceremony with these requirements (the filters of eligibleAuthenticators). */
export function isEligible(
  c: AuthenticatorCandidate,
  req: AuthenticatorRequirements,
  hinted: readonly AuthenticatorAttachment[] = hintedOf(req),
): boolean {
  const required = req.required === 'platform' || req.required === 'cross-platform' ? req.required : undefined;
  // Hints win over authenticatorAttachment when they contradict it.
  if (required && !(hinted.length > 0 && !hinted.includes(required)) && c.attachment !== required) return false;
  const allow = req.allowCredentials;
  if (allow && allow.length > 0 && allow.every((d) => d.transports !== undefined && d.transports.length > 0))
    return allow.some((d) => d.transports!.some((x) => c.transports.includes(x)));
  return true;
}

/** The eligible candidates, best first. */
export function eligibleAuthenticators(
  all: readonly AuthenticatorCandidate[],
  req: AuthenticatorRequirements,
): AuthenticatorCandidate[] {
  const hinted = hintedOf(req);
  const rank = (c: AuthenticatorCandidate) => {
    const h = hinted.indexOf(c.attachment);
    return h === -1 ? hinted.length + (c.attachment === 'platform' ? 0 : 1) : h;
  };
  return all.filter((c) => isEligible(c, req, hinted)).sort((a, b) => rank(a) - rank(b) || a.index - b.index);
}

/** The user's pick among eligible candidates (best first). */
export function chooseAuthenticator(
  eligible: AuthenticatorCandidate[],
  chooser: AuthenticatorChooser | undefined,
): AuthenticatorCandidate | undefined {
  if (eligible.length <= 1 || chooser === undefined) return eligible[0];
  if (typeof chooser === 'string') return eligible.find((c) => c.attachment === chooser) ?? eligible[0];
  const index = chooser(eligible.map((c) => ({ ...c, transports: [...c.transports] })));
  return eligible.find((c) => c.index === index);
}
