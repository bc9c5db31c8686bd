/**
 * Deliberately wrong answers (issue 16): the catalog of lies softkey can tell a relying party, each
 * with the WebAuthn L3 step an RP uses to catch it (§7.1 "Registering a New Credential", §7.2
 * "Verifying an Authentication Assertion"), and the control API's armed set (`override`), once or
 * until cleared. The lies themselves are made where the honest answer is made: the authenticator's
 * in src/authenticator/wrongAnswers.ts, the client's in src/client/wrongAnswers.ts.
 */
import { AUTHENTICATOR_WRONG_ANSWERS, type WebAuthnCeremony } from '../authenticator/wrongAnswers.js';
import { ControlError } from './controller.js';

export type { WebAuthnCeremony };

/** When a wrong answer can reach the RP at all. */
export type WrongAnswerNeeds =
  /** the RP asks for user verification ("required"), so a missing UV bit matters */
  | 'userVerificationRequired'
  /** the RP asks for attestation ("direct"/"enterprise"); under "none" the client removes the statement */
  | 'attestation';

export interface WrongAnswerInfo {
  name: string;
  ceremonies: readonly WebAuthnCeremony[];
  /** Who tells the lie: the authenticator (signed into authData) or the client. */
  layer: 'authenticator' | 'client';
  /** What softkey emits. */
  emits: string;
  /** The WebAuthn step that catches it: what an RP must check. */
  check: string;
  needs?: WrongAnswerNeeds;
}

const REG: readonly WebAuthnCeremony[] = ['registration'];
const AUTH: readonly WebAuthnCeremony[] = ['authentication'];
const BOTH: readonly WebAuthnCeremony[] = ['registration', 'authentication'];

/** Every wrong answer, in the order rp-check runs them and the README lists them. */
export const WRONG_ANSWERS: readonly WrongAnswerInfo[] = [
  {
    name: 'client-data-type',
    ceremonies: BOTH,
    layer: 'client',
    emits: 'clientDataJSON type "webauthn.get" in a registration, "webauthn.create" in a sign-in',
    check: '§7.1/§7.2: verify that C.type is "webauthn.create" / "webauthn.get"',
  },
  {
    name: 'client-data-challenge',
    ceremonies: BOTH,
    layer: 'client',
    emits: 'a challenge the RP never issued',
    check:
      "§7.1/§7.2: verify that C.challenge equals the base64url encoding of the options' challenge (and use each once)",
  },
  {
    name: 'client-data-origin',
    ceremonies: BOTH,
    layer: 'client',
    emits: 'origin "https://wrong-answer.invalid"',
    check: '§7.1/§7.2: verify that C.origin is an origin the RP expects',
  },
  {
    name: 'client-data-cross-origin',
    ceremonies: BOTH,
    layer: 'client',
    emits: 'crossOrigin: true (without topOrigin)',
    check:
      '§5.8.1 crossOrigin, §7.1/§7.2 topOrigin step: an RP that is never embedded in another site refuses crossOrigin true',
  },
  {
    name: 'client-data-top-origin',
    ceremonies: BOTH,
    layer: 'client',
    emits: 'crossOrigin: true with topOrigin "https://wrong-answer.invalid"',
    check: '§7.1/§7.2: if C.topOrigin is present, verify that it is a page the RP expects to be framed in',
  },
  {
    name: 'cbor-malformed',
    ceremonies: REG,
    layer: 'client',
    emits: 'an attestationObject announcing 4 map entries and holding 3',
    check: '§7.1: CBOR-decode attestationObject (fmt, authData, attStmt); a decoding error refuses the ceremony',
  },
  {
    name: 'cbor-trailing',
    ceremonies: REG,
    layer: 'client',
    emits: "one byte after the attestationObject's CBOR item",
    check:
      '§7.1: CBOR-decode attestationObject as exactly one data item (RFC 8949 §5.1; CTAP2 canonical CBOR has no trailing bytes)',
  },
  {
    name: 'authdata-truncated',
    ceremonies: BOTH,
    layer: 'client',
    emits: 'authenticatorData cut inside the credential public key (registration) or to 36 bytes',
    check:
      '§6.1: authenticatorData is at least 37 bytes and its attested credential data and extensions are whole; ' +
      'no leftover or missing bytes',
  },
  {
    name: 'rp-id-hash',
    ceremonies: BOTH,
    layer: 'authenticator',
    emits: 'rpIdHash of another RP ID ("not-" + RP ID), signed',
    check: '§7.1/§7.2: verify that rpIdHash is the SHA-256 of the RP ID the RP expects',
  },
  {
    name: 'up-cleared',
    ceremonies: BOTH,
    layer: 'authenticator',
    emits: 'the UP flag 0, signed',
    check: '§7.1/§7.2: verify that the UP bit of the flags is set',
  },
  {
    name: 'uv-cleared',
    ceremonies: BOTH,
    layer: 'authenticator',
    emits: 'the UV flag 0 (the user was verified), signed',
    check: '§7.1/§7.2: if user verification was required, verify that the UV bit is set',
    needs: 'userVerificationRequired',
  },
  {
    name: 'bs-without-be',
    ceremonies: BOTH,
    layer: 'authenticator',
    emits: 'BE=0 with BS=1, signed',
    check: '§6.1.3 / §7.1–§7.2 backup-flag steps: BS set requires BE set; refuse BE=0 with BS=1',
  },
  {
    name: 'be-flip',
    ceremonies: AUTH,
    layer: 'authenticator',
    emits: "BE the opposite of the credential's (BS cleared with it), signed",
    check: '§7.2: compare BE with credentialRecord.backupEligible; BE never changes for a credential (§6.1.3)',
  },
  {
    name: 'counter-zero',
    ceremonies: AUTH,
    layer: 'authenticator',
    emits: 'signCount 0 after a non-zero one, signed',
    check:
      '§7.2 signCount step: if either count is non-zero the new one must be greater than the stored one (cloned authenticator)',
  },
  {
    name: 'counter-fixed',
    ceremonies: AUTH,
    layer: 'authenticator',
    emits: 'the last signCount again, signed',
    check: '§7.2 signCount step: the new count must be greater than the stored one',
  },
  {
    name: 'counter-backwards',
    ceremonies: AUTH,
    layer: 'authenticator',
    emits: 'signCount 1 (a restarted count, behind what the RP stored), signed',
    check: '§7.2 signCount step: the new count must be greater than the stored one',
  },
  {
    name: 'bad-signature',
    ceremonies: AUTH,
    layer: 'authenticator',
    emits: 'an assertion signature with its last byte flipped',
    check: '§7.2: verify sig over authenticatorData ‖ SHA-256(clientDataJSON) with the stored credential public key',
  },
  {
    name: 'cose-alg',
    ceremonies: REG,
    layer: 'authenticator',
    emits: 'the credential public key labelled with an alg not in pubKeyCredParams',
    check: '§7.1: verify that the alg of the credential public key is one of pkOptions.pubKeyCredParams',
  },
  {
    name: 'cose-curve',
    ceremonies: REG,
    layer: 'authenticator',
    emits: 'an EC2 key labelled with another curve (P-256 ↔ P-384), Ed25519 as Ed448',
    check:
      '§7.1 credential public key and attStmt steps: the key must be a valid key of its alg (ES256 ⇒ P-256, RFC 9053)',
  },
  {
    name: 'attestation-other-bytes',
    ceremonies: REG,
    layer: 'authenticator',
    emits: 'an attestation signature over other bytes than authenticatorData ‖ clientDataHash',
    check: "§7.1: verify attStmt with the format's verification procedure (§8)",
    needs: 'attestation',
  },
  {
    name: 'certificate-expired',
    ceremonies: REG,
    layer: 'authenticator',
    emits: 'packed x5c whose leaf certificate expired a year ago',
    check: "§7.1: assess the attestation's trustworthiness: a chain to a trust anchor, valid now (RFC 5280 §6)",
    needs: 'attestation',
  },
  {
    name: 'certificate-aaguid',
    ceremonies: REG,
    layer: 'authenticator',
    emits: "packed x5c whose id-fido-gen-ce-aaguid is not authData's AAGUID",
    check: '§8.2.2: if the leaf has id-fido-gen-ce-aaguid, verify that it matches the aaguid in authenticatorData',
    needs: 'attestation',
  },
];

export const WRONG_ANSWER_NAMES: readonly string[] = WRONG_ANSWERS.map((w) => w.name);

const LAYER = new Map(WRONG_ANSWERS.map((w) => [w.name, w.layer]));
const CEREMONIES = new Map(WRONG_ANSWERS.map((w) => [w.name, w.ceremonies]));

// Every authenticator-side lie is in the catalog (the client's are checked by a test).
for (const a of AUTHENTICATOR_WRONG_ANSWERS) {
  if (LAYER.get(a) !== 'authenticator') throw new Error(`wrong answer ${a} missing from the catalog`);
}

export interface ArmedWrongAnswer {
  answer: string;
  ceremonies: WebAuthnCeremony[];
  once: boolean;
}

export interface OverrideState {
  armed: ArmedWrongAnswer[];
}

const NOTHING_ARMED: ReadonlySet<string> = new Set();

/** The armed wrong answers; one-time ones are used up by the ceremony whose layer tells them. */
export class ArmedWrongAnswers {
  private armed: ArmedWrongAnswer[] = [];

  constructor(private readonly onChange: () => void = () => {}) {}

  state(): OverrideState {
    return { armed: this.armed.map((a) => ({ ...a, ceremonies: [...a.ceremonies] })) };
  }

  /**
   * { answer: NAME | NAME[], once?, ceremony? } arms them (replacing the same names);
   * { clear: true } disarms all.
   */
  override(input: unknown): OverrideState {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new ControlError('an override is an object { answer, once?, ceremony? } or { clear: true }');
    }
    const { answer, once, ceremony, clear, ...rest } = input as Record<string, unknown>;
    const unknown = Object.keys(rest);
    if (unknown.length > 0) throw new ControlError(`unknown member ${unknown[0]} (answer, once, ceremony, clear)`);
    if (clear === true) {
      this.armed = [];
      this.onChange();
      return this.state();
    }
    const names = typeof answer === 'string' ? [answer] : answer;
    if (!Array.isArray(names) || names.length === 0)
      throw new ControlError("answer must be a wrong answer's name or a list of them");
    for (const n of names) {
      if (typeof n !== 'string' || !LAYER.has(n)) {
        throw new ControlError(`unknown wrong answer ${JSON.stringify(n)} (known: ${WRONG_ANSWER_NAMES.join(', ')})`);
      }
    }
    if (once !== undefined && typeof once !== 'boolean') throw new ControlError('once must be true or false');
    if (ceremony !== undefined && ceremony !== 'registration' && ceremony !== 'authentication') {
      throw new ControlError('ceremony must be "registration" or "authentication"');
    }
    const next = this.armed.filter((a) => !names.includes(a.answer));
    for (const n of names as string[]) {
      const possible = CEREMONIES.get(n)!;
      const ceremonies = ceremony === undefined ? [...possible] : possible.filter((c) => c === ceremony);
      if (ceremonies.length === 0) throw new ControlError(`${n} is a wrong answer of ${possible.join(' and ')} only`);
      next.push({ answer: n, ceremonies, once: once === true });
    }
    this.armed = next;
    this.onChange();
    return this.state();
  }

  /** Whether `answer` is armed (for any ceremony). */
  has(answer: string): boolean {
    return this.armed.some((a) => a.answer === answer);
  }

  /** Disarms `answer` if it is armed. */
  disarm(answer: string): void {
    if (!this.has(answer)) return;
    this.armed = this.armed.filter((a) => a.answer !== answer);
    this.onChange();
  }

  /** The names armed for this ceremony; the one-time ones of `layer` are used up. */
  take(ceremony: WebAuthnCeremony, layer: 'authenticator' | 'client'): ReadonlySet<string> {
    if (this.armed.length === 0) return NOTHING_ARMED;
    const now = this.armed.filter((a) => a.ceremonies.includes(ceremony));
    if (now.length === 0) return NOTHING_ARMED;
    const before = this.armed.length;
    this.armed = this.armed.filter(
      (a) => !(a.once && a.ceremonies.includes(ceremony) && LAYER.get(a.answer) === layer),
    );
    if (this.armed.length !== before) this.onChange();
    return new Set(now.map((a) => a.answer));
  }
}
