/**
 * The platform side of CTAP 2.1 §6.5 authenticatorClientPIN, over one CTAP2 round-trip function:
 * §6.5.5.4 getKeyAgreement, §6.5.5.5 setPIN, §6.5.5.6 changePIN, §6.5.5.7.1 getPinToken,
 * §6.5.5.7.2 getPinUvAuthTokenUsingPinWithPermissions, §6.5.5.7.3
 * getPinUvAuthTokenUsingUvWithPermissions, §6.5.5.2 getPINRetries.
 *
 * The protocol is the first of getInfo.pinUvAuthProtocols this platform speaks (the authenticator
 * lists them in its order of preference; §6.5.5.1 "the platform SHOULD use the first"), or one when
 * absent. A CTAP 2.0 authenticator (no pinUvAuthToken option) gets getPinToken, whose token carries
 * no permissions.
 */
import type { CborValue } from '../encoding/cbor.js';
import type { GetInfoResponse } from '../ctap2/getInfo.js';
import { ClientPinSubCommand, decodeClientPinResponse, encodeClientPinRequest } from '../ctap2/clientPin.js';
import {
  changePinParams,
  decryptPinUvAuthToken,
  getKeyAgreementParams,
  getPinTokenParams,
  getPinUvAuthTokenUsingPinParams,
  getPinUvAuthTokenUsingUvParams,
  setPinParams,
  type ClientPinExchange,
} from '../ctap2/hostCodec.js';
import {
  isPinUvAuthProtocolVersion,
  platformProtocol,
  pinBytes,
  type CoseKeyMap,
  type PlatformPinUvAuthProtocol,
} from '../ctap2/pinUvAuthProtocol.js';
import { CtapError, Status } from '../ctap2/status.js';
import type { PinUvAuthToken } from './userVerifier.js';

/** One CTAP2 round trip: command ‖ CBOR → status ‖ CBOR. */
export type CtapSend = (request: Uint8Array) => Promise<Uint8Array>;

/** A PIN, or a callback that asks for one (undefined: the user declined). */
export type PinSource = string | ((request: PinRequest) => string | undefined | Promise<string | undefined>);

export interface PinRequest {
  /** 'verify' for a ceremony's user verification, 'current' for changePIN. */
  purpose: 'verify' | 'current';
  rpId?: string;
  /** pinRetries as the authenticator reports them, when known. */
  retries?: number;
}

/** §6.5.1: a PIN is at least 4 Unicode code points and at most 63 bytes of UTF-8. */
const MIN_PIN_CODE_POINTS = 4;

export function checkPinPolicy(pin: string, minPINLength = MIN_PIN_CODE_POINTS): void {
  const normalized = pin.normalize('NFC');
  if ([...normalized].length < Math.max(MIN_PIN_CODE_POINTS, minPINLength)) {
    throw new CtapError(
      Status.CTAP2_ERR_PIN_POLICY_VIOLATION,
      `a PIN needs at least ${Math.max(MIN_PIN_CODE_POINTS, minPINLength)} code points`,
    );
  }
  if (pinBytes(normalized).length > 63)
    throw new CtapError(Status.CTAP2_ERR_PIN_POLICY_VIOLATION, 'a PIN is at most 63 bytes of UTF-8');
}

export async function resolvePin(source: PinSource | undefined, request: PinRequest): Promise<string | undefined> {
  if (source === undefined) return undefined;
  return typeof source === 'string' ? source : await source(request);
}

/** The protocol to speak with this authenticator (undefined: it lists none we know). */
export function preferredProtocol(info: GetInfoResponse): PlatformPinUvAuthProtocol | undefined {
  const listed = info.pinUvAuthProtocols ?? [1];
  const version = listed.find(isPinUvAuthProtocolVersion);
  return version === undefined ? undefined : platformProtocol(version);
}

export interface SharedSecret {
  protocol: PlatformPinUvAuthProtocol;
  /** The platform's key-agreement COSE_Key, as extensions send it. */
  keyAgreement: Map<number, CborValue>;
  sharedSecret: Uint8Array;
}

export class ClientPin {
  readonly protocol: PlatformPinUvAuthProtocol;

  constructor(
    private readonly send: CtapSend,
    private readonly info: GetInfoResponse,
    protocol?: PlatformPinUvAuthProtocol,
  ) {
    const p = protocol ?? preferredProtocol(info);
    if (!p)
      throw new CtapError(
        Status.CTAP1_ERR_INVALID_PARAMETER,
        'the authenticator lists no PIN/UV auth protocol this platform speaks',
      );
    this.protocol = p;
  }

  /** §6.5.5.4 getKeyAgreement: the authenticator's current key-agreement key. */
  async authenticatorKey(): Promise<CoseKeyMap> {
    const res = decodeClientPinResponse(await this.send(encodeClientPinRequest(getKeyAgreementParams(this.protocol))));
    if (!res.keyAgreement)
      throw new CtapError(Status.CTAP2_ERR_MISSING_PARAMETER, 'getKeyAgreement answered no keyAgreement');
    return res.keyAgreement;
  }

  /** A fresh shared secret with the authenticator (for hmac-secret and friends). */
  async sharedSecret(): Promise<SharedSecret> {
    const { keyAgreement, sharedSecret } = this.protocol.encapsulate(await this.authenticatorKey());
    return { protocol: this.protocol, keyAgreement, sharedSecret };
  }

  /** §6.5.5.2 getPINRetries. */
  async pinRetries(): Promise<number | undefined> {
    const res = decodeClientPinResponse(
      await this.send(
        encodeClientPinRequest({
          pinUvAuthProtocol: this.protocol.version,
          subCommand: ClientPinSubCommand.getPINRetries,
        }),
      ),
    );
    return res.pinRetries;
  }

  /**
   * A pinUvAuthToken from the PIN: getPinUvAuthTokenUsingPinWithPermissions with `permissions` and
   * `rpId` when the authenticator has the pinUvAuthToken option, else getPinToken (CTAP 2.0).
   */
  async tokenFromPin(pin: string, permissions: number, rpId?: string): Promise<PinUvAuthToken> {
    const key = await this.authenticatorKey();
    const exchange =
      this.info.options?.pinUvAuthToken === true
        ? getPinUvAuthTokenUsingPinParams(this.protocol, key, pin, permissions, rpId)
        : getPinTokenParams(this.protocol, key, pin);
    return this.token(exchange);
  }

  /** A pinUvAuthToken from built-in user verification (§6.5.5.7.3). */
  async tokenFromUv(permissions: number, rpId?: string): Promise<PinUvAuthToken> {
    return this.token(getPinUvAuthTokenUsingUvParams(this.protocol, await this.authenticatorKey(), permissions, rpId));
  }

  /** §6.5.5.5 setPIN: only when no PIN is set yet. */
  async setPin(newPin: string): Promise<void> {
    checkPinPolicy(newPin, this.info.minPINLength);
    decodeClientPinResponse(
      await this.send(
        encodeClientPinRequest(setPinParams(this.protocol, await this.authenticatorKey(), newPin).params),
      ),
    );
  }

  /** §6.5.5.6 changePIN. */
  async changePin(currentPin: string, newPin: string): Promise<void> {
    checkPinPolicy(newPin, this.info.minPINLength);
    const exchange = changePinParams(this.protocol, await this.authenticatorKey(), currentPin, newPin);
    decodeClientPinResponse(await this.send(encodeClientPinRequest(exchange.params)));
  }

  private async token(exchange: ClientPinExchange): Promise<PinUvAuthToken> {
    const res = decodeClientPinResponse(await this.send(encodeClientPinRequest(exchange.params)));
    const token = decryptPinUvAuthToken(this.protocol, exchange.sharedSecret, res);
    if (!token || (token.length !== 16 && token.length !== 32))
      throw new CtapError(Status.CTAP1_ERR_OTHER, 'the pinUvAuthToken did not decrypt');
    return { protocol: this.protocol.version, token };
  }
}
