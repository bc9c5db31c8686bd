/**
 * The CTAP 2.3 surface behind the ctap23 capability, through the wire format: versions, getInfo
 * members 0x16–0x1F, the persistent pinUvAuthToken (pcmr), encIdentifier / encCredStoreState,
 * enableLongTouchForReset and the long-touch reset, attestationFormatsPreference and the PIN
 * complexity policy, each with the spec's errors. The enc* members are decrypted here with
 * node:crypto directly (HKDF-SHA-256 + AES-128-CBC), not with softkey's own code.
 */
import assert from 'node:assert/strict';
import { createDecipheriv, hkdfSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { Command } from '../../src/ctap2/commands.js';
import {
  ClientPinSubCommand,
  PinUvAuthTokenPermission as Perm,
  decodeClientPinResponse,
  encodeClientPinRequest,
} from '../../src/ctap2/clientPin.js';
import {
  changePinParams,
  encodeConfigRequest,
  encodeCredentialManagementCall,
  encodeSimpleCommand,
  getPinUvAuthTokenUsingUvParams,
  decryptPinUvAuthToken,
  setPinParams,
  type PinUvAuthSession,
} from '../../src/ctap2/hostCodec.js';
import { decodeMakeCredentialResponse } from '../../src/ctap2/makeCredential.js';
import { platformProtocol } from '../../src/ctap2/pinUvAuthProtocol.js';
import { ConfigSubCommand } from '../../src/ctap2/authenticatorConfig.js';
import {
  CredentialManagementSubCommand as CM,
  decodeCredentialManagementResponse,
  type CredentialManagementRequest,
} from '../../src/ctap2/credentialManagement.js';
import { CtapError, Status } from '../../src/ctap2/status.js';
import { setDevicePin } from '../../src/authenticator/setDevicePin.js';
import { toHex, utf8 } from '../../src/encoding/bytes.js';
import { decode, type CborMap } from '../../src/encoding/cbor.js';
import { extensionsOf, parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { managementDevice, PIN, ScriptedUv, sha256, VERSIONS, type ManagementDevice } from './managementDevice.js';

/** CTAP 2.3 §6.4: key = HKDF-SHA-256(salt 32×0x00, IKM persistent token, L 16, info), then AES-128-CBC. */
function decryptMember(ppuat: Uint8Array, enc: Uint8Array, info: string): Uint8Array {
  assert.equal(enc.length, 32, 'iv (16) ‖ one AES block');
  const key = Buffer.from(hkdfSync('sha256', ppuat, new Uint8Array(32), info, 16));
  const d = createDecipheriv('aes-128-cbc', key, enc.subarray(0, 16));
  d.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([d.update(enc.subarray(16)), d.final()]));
}

const rawInfo = async (d: ManagementDevice) =>
  decode((await d.call(encodeSimpleCommand(Command.authenticatorGetInfo))).subarray(1)) as CborMap;

/** A credentialManagement request, authenticated by `session`; the raw response. */
const cmCall = (d: ManagementDevice, req: CredentialManagementRequest, session?: PinUvAuthSession) =>
  d.call(encodeCredentialManagementCall(req, session));
const cred = (id: Uint8Array) => ({ type: 'public-key', id });

async function persistentToken(d: ManagementDevice, v: 1 | 2 = 2): Promise<PinUvAuthSession> {
  return d.token(v, Perm.pcmr);
}

describe('CTAP 2.3 getInfo (§6.4)', () => {
  it('versions list FIDO_2_0, FIDO_2_1 and FIDO_2_3, never FIDO_2_2 (even when a config names it)', async () => {
    const d = await managementDevice({
      config: { versions: ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1', 'FIDO_2_2', 'FIDO_2_3'] },
    });
    assert.deepEqual((await d.info()).versions, ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1', 'FIDO_2_3']);
    const off = await managementDevice({ config: { ctap23: false } });
    assert.deepEqual((await off.info()).versions, ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1']);
  });

  it('members 0x16–0x1F with their spec types; none of them without the capability', async () => {
    const d = await managementDevice({ uv: new ScriptedUv() });
    const m = await rawInfo(d);
    assert.deepEqual(m.get(0x16), ['packed', 'none'], 'attestationFormats');
    assert.equal(m.get(0x17), 0, 'uvCountSinceLastPinEntry (built-in UV present)');
    assert.equal(m.get(0x18), false, 'longTouchForReset');
    assert.ok(m.get(0x19) instanceof Uint8Array, 'encIdentifier');
    assert.deepEqual(m.get(0x1a), ['usb'], 'transportsForReset');
    assert.equal(m.get(0x1b), false, 'pinComplexityPolicy');
    assert.match(
      utf8.decode(m.get(0x1c) as Uint8Array),
      /^https:\/\/.+#pin-complexity-policy$/,
      'pinComplexityPolicyURL is a byte string URL',
    );
    assert.equal(m.get(0x1d), 63, 'maxPINLength');
    assert.ok(m.get(0x1e) instanceof Uint8Array, 'encCredStoreState');
    assert.deepEqual(m.get(0x1f), [1, 2, 3, 4], 'authenticatorConfigCommands');
    assert.equal((m.get(4) as CborMap).get('perCredMgmtRO'), true);
    assert.ok((m.get(2) as string[]).includes('pinComplexityPolicy'));

    const off = await rawInfo(await managementDevice({ config: { ctap23: false } }));
    for (let k = 0x16; k <= 0x1f; k++) assert.equal(off.has(k), false, `member 0x${k.toString(16)}`);
    assert.equal((off.get(4) as CborMap).has('perCredMgmtRO'), false);
    assert.equal((off.get(2) as string[]).includes('pinComplexityPolicy'), false);
  });

  it('uvCountSinceLastPinEntry is absent without built-in UV, counts UVs, and a correct PIN zeroes it', async () => {
    assert.equal((await rawInfo(await managementDevice())).has(0x17), false);
    const d = await managementDevice({ uv: new ScriptedUv() });
    await d.setPin();
    for (let i = 1; i <= 2; i++) {
      const p = platformProtocol(2);
      const ex = getPinUvAuthTokenUsingUvParams(p, await d.keyAgreement(p), Perm.mc, 'example.com');
      assert.equal(await d.status(encodeClientPinRequest(ex.params)), Status.CTAP2_OK);
      assert.equal((await d.info()).uvCountSinceLastPinEntry, i);
    }
    await d.token(2, Perm.cm);
    assert.equal((await d.info()).uvCountSinceLastPinEntry, 0);
  });
});

describe('persistent pinUvAuthToken (pcmr)', () => {
  for (const v of VERSIONS) {
    it(`protocol ${v}: pcmr alone is granted; with other permissions CTAP2_ERR_UNAUTHORIZED_PERMISSION`, async () => {
      const d = await managementDevice();
      await d.setPin();
      assert.equal(await d.tokenOrStatus(v, Perm.pcmr | Perm.cm), Status.CTAP2_ERR_UNAUTHORIZED_PERMISSION);
      assert.equal(
        await d.tokenOrStatus(v, Perm.pcmr | Perm.mc, 'example.com'),
        Status.CTAP2_ERR_UNAUTHORIZED_PERMISSION,
      );
      const a = await persistentToken(d, v);
      const b = await persistentToken(d, v);
      assert.equal(toHex(a.pinUvAuthToken), toHex(b.pinUvAuthToken), 'the same persistent token each time');
    });

    it(`protocol ${v}: it reads credentials (metadata, RPs, credentials) but deletes nothing; the volatile token is untouched`, async () => {
      const d = await managementDevice();
      await d.setPin();
      const mc = await d.token(v, Perm.mc, 'a.example');
      const id = await d.residentCredential('a.example', [1], mc);
      const cm = await d.token(v, Perm.cm);
      const ppuat = await persistentToken(d, v);
      const metadata = decodeCredentialManagementResponse(await cmCall(d, { subCommand: CM.getCredsMetadata }, ppuat));
      assert.equal(metadata.existingResidentCredentialsCount, 1);
      const rps = decodeCredentialManagementResponse(await cmCall(d, { subCommand: CM.enumerateRPsBegin }, ppuat));
      assert.equal(rps.rp?.id, 'a.example');
      const creds = decodeCredentialManagementResponse(
        await cmCall(
          d,
          { subCommand: CM.enumerateCredentialsBegin, subCommandParams: { rpIDHash: sha256('a.example') } },
          ppuat,
        ),
      );
      assert.equal(toHex(creds.credentialID!.id), toHex(id));
      // Not the writing subcommands.
      const del = await cmCall(
        d,
        { subCommand: CM.deleteCredential, subCommandParams: { credentialID: cred(id) } },
        ppuat,
      );
      assert.equal(del[0], Status.CTAP2_ERR_PIN_AUTH_INVALID);
      const upd = await cmCall(
        d,
        {
          subCommand: CM.updateUserInformation,
          subCommandParams: { credentialID: cred(id), user: { id: new Uint8Array([1]), name: 'x' } },
        },
        ppuat,
      );
      assert.equal(upd[0], Status.CTAP2_ERR_PIN_AUTH_INVALID);
      // The cm token issued before the persistent one still works: pcmr did not reset it.
      const ok = await cmCall(d, { subCommand: CM.getCredsMetadata }, cm);
      assert.equal(ok[0], Status.CTAP2_OK);
      // Nor does it authorize anything else: authenticatorConfig wants acfg.
      assert.equal(
        await d.status(encodeConfigRequest(ConfigSubCommand.toggleAlwaysUv, ppuat)),
        Status.CTAP2_ERR_PIN_AUTH_INVALID,
      );
    });
  }

  it('survives a power cycle (kept in the vault) and outlives the volatile token’s usage timer', async () => {
    const d = await managementDevice();
    await d.setPin();
    const ppuat = await persistentToken(d);
    d.auth.core.powerCycle();
    d.env.clock.advance(24 * 3600_000);
    const r = await cmCall(d, { subCommand: CM.getCredsMetadata }, ppuat);
    assert.equal(r[0], Status.CTAP2_OK);
    assert.ok(
      d.env.vault.get('persistent-pin-uv-auth-token'),
      'stored in the vault (encrypted at rest by the SQLite vault)',
    );
  });

  it('changePIN and authenticatorReset invalidate it', async () => {
    const d = await managementDevice();
    await d.setPin();
    const before = await persistentToken(d);
    const p = platformProtocol(2);
    assert.equal(
      await d.status(encodeClientPinRequest(changePinParams(p, await d.keyAgreement(p), PIN, '98127364').params)),
      Status.CTAP2_OK,
    );
    assert.equal((await cmCall(d, { subCommand: CM.getCredsMetadata }, before))[0], Status.CTAP2_ERR_PIN_AUTH_INVALID);
    const after = await d.token(2, Perm.pcmr, undefined, '98127364');
    assert.notEqual(toHex(after.pinUvAuthToken), toHex(before.pinUvAuthToken));
    assert.equal(await d.status(encodeSimpleCommand(Command.authenticatorReset)), Status.CTAP2_OK);
    await d.setPin();
    assert.equal((await cmCall(d, { subCommand: CM.getCredsMetadata }, after))[0], Status.CTAP2_ERR_PIN_AUTH_INVALID);
  });

  it('without the capability pcmr is an undefined bit: alone it is CTAP1_ERR_INVALID_PARAMETER', async () => {
    const d = await managementDevice({ config: { ctap23: false } });
    await d.setPin();
    assert.equal(await d.tokenOrStatus(2, Perm.pcmr), Status.CTAP1_ERR_INVALID_PARAMETER);
  });
});

describe('encIdentifier and encCredStoreState (§6.4 0x19, 0x1E)', () => {
  it('a fresh IV each getInfo: two calls differ, both decrypt to the same values with the persistent token', async () => {
    const d = await managementDevice();
    await d.setPin();
    const ppuat = (await persistentToken(d)).pinUvAuthToken;
    const [a, b] = [await d.info(), await d.info()];
    assert.notEqual(toHex(a.encIdentifier!), toHex(b.encIdentifier!));
    assert.notEqual(toHex(a.encCredStoreState!), toHex(b.encCredStoreState!));
    assert.notEqual(toHex(a.encIdentifier!.subarray(0, 16)), toHex(b.encIdentifier!.subarray(0, 16)), 'the IVs differ');
    assert.equal(
      toHex(decryptMember(ppuat, a.encIdentifier!, 'encIdentifier')),
      toHex(decryptMember(ppuat, b.encIdentifier!, 'encIdentifier')),
    );
    assert.equal(
      toHex(decryptMember(ppuat, a.encCredStoreState!, 'encCredStoreState')),
      toHex(decryptMember(ppuat, b.encCredStoreState!, 'encCredStoreState')),
    );
    // The two members use different keys (info strings).
    assert.notEqual(
      toHex(decryptMember(ppuat, a.encIdentifier!, 'encCredStoreState')),
      toHex(decryptMember(ppuat, a.encIdentifier!, 'encIdentifier')),
    );
  });

  it('the identifier stays across a power cycle and a PIN change, and differs after a reset', async () => {
    const d = await managementDevice();
    await d.setPin();
    const id = async () =>
      decryptMember((await persistentToken(d)).pinUvAuthToken, (await d.info()).encIdentifier!, 'encIdentifier');
    const first = toHex(await id());
    d.auth.core.powerCycle();
    assert.equal(toHex(await id()), first);
    assert.equal(await d.status(encodeSimpleCommand(Command.authenticatorReset)), Status.CTAP2_OK);
    await d.setPin();
    assert.notEqual(toHex(await id()), first);
  });

  it('the credential store state changes when a credential is made, updated or deleted', async () => {
    const d = await managementDevice();
    await d.setPin();
    const ppuat = (await persistentToken(d)).pinUvAuthToken;
    const state = async () => toHex(decryptMember(ppuat, (await d.info()).encCredStoreState!, 'encCredStoreState'));
    const empty = await state();
    const id = await d.residentCredential('a.example', [7], await d.token(2, Perm.mc, 'a.example'));
    const made = await state();
    assert.notEqual(made, empty);
    const cm = await d.token(2, Perm.cm);
    const upd = await cmCall(
      d,
      {
        subCommand: CM.updateUserInformation,
        subCommandParams: { credentialID: cred(id), user: { id: new Uint8Array([7]), name: 'renamed' } },
      },
      cm,
    );
    assert.equal(upd[0], Status.CTAP2_OK);
    const updated = await state();
    assert.notEqual(updated, made);
    assert.equal(
      (await cmCall(d, { subCommand: CM.deleteCredential, subCommandParams: { credentialID: cred(id) } }, cm))[0],
      Status.CTAP2_OK,
    );
    // A kept generation, not a digest of every credential (O(1) per getInfo): an empty store again
    // is a new state, never an earlier one a platform may have cached.
    const deleted = await state();
    assert.ok(![empty, made, updated].includes(deleted), 'a new state after the delete');
    assert.equal(await state(), deleted, 'no write, no change');
  });
});

describe('enableLongTouchForReset (§6.11.5) and reset (§6.6)', () => {
  it('turns longTouchForReset on; reset then needs a long touch: a short touch is CTAP2_ERR_USER_ACTION_TIMEOUT', async () => {
    const d = await managementDevice();
    assert.equal(await d.status(encodeConfigRequest(ConfigSubCommand.enableLongTouchForReset)), Status.CTAP2_OK);
    assert.equal((await d.info()).longTouchForReset, true);
    d.env.presence.answer = 'approved';
    assert.equal(await d.status(encodeSimpleCommand(Command.authenticatorReset)), Status.CTAP2_ERR_USER_ACTION_TIMEOUT);
    assert.equal(d.env.presence.requests.at(-1)?.longTouch, true, 'the prompt asks for a long touch');
    d.env.presence.answer = 'longTouch';
    assert.equal(await d.status(encodeSimpleCommand(Command.authenticatorReset)), Status.CTAP2_OK);
    assert.equal((await d.info()).longTouchForReset, false, 'reset turns it off again');
    d.env.presence.answer = 'approved';
    assert.equal(
      await d.status(encodeSimpleCommand(Command.authenticatorReset)),
      Status.CTAP2_OK,
      'a short touch is enough again',
    );
  });

  it('needs an acfg token once a PIN is set; a long touch also counts as a touch elsewhere', async () => {
    const d = await managementDevice();
    await d.setPin();
    assert.equal(
      await d.status(encodeConfigRequest(ConfigSubCommand.enableLongTouchForReset)),
      Status.CTAP2_ERR_PUAT_REQUIRED,
    );
    assert.equal(
      await d.status(encodeConfigRequest(ConfigSubCommand.enableLongTouchForReset, await d.token(2, Perm.cm))),
      Status.CTAP2_ERR_PIN_AUTH_INVALID,
    );
    assert.equal(
      await d.status(encodeConfigRequest(ConfigSubCommand.enableLongTouchForReset, await d.token(2, Perm.acfg))),
      Status.CTAP2_OK,
    );
    d.env.presence.answer = 'longTouch';
    assert.equal((await d.makeCredential({}, await d.token(2, Perm.mc, 'example.com')))[0], Status.CTAP2_OK);
  });

  it('is CTAP2_ERR_INVALID_SUBCOMMAND without the capability', async () => {
    const d = await managementDevice({ config: { ctap23: false } });
    assert.equal(
      await d.status(encodeConfigRequest(ConfigSubCommand.enableLongTouchForReset)),
      Status.CTAP2_ERR_INVALID_SUBCOMMAND,
    );
  });
});

describe('makeCredential attestationFormatsPreference (§6.1 0x0B)', () => {
  const fmtOf = async (d: ManagementDevice, pref?: string[]) => {
    const r = await d.makeCredential(pref ? { attestationFormatsPreference: pref } : {});
    assert.equal(r[0], Status.CTAP2_OK);
    return decodeMakeCredentialResponse(r);
  };

  it('the first supported format of the list wins; unknown ones are skipped; none and empty give the default', async () => {
    const d = await managementDevice();
    assert.equal((await fmtOf(d)).fmt, 'packed');
    assert.equal((await fmtOf(d, [])).fmt, 'packed');
    assert.equal((await fmtOf(d, ['tpm', 'apple'])).fmt, 'packed');
    const none = await fmtOf(d, ['tpm', 'none', 'packed']);
    assert.equal(none.fmt, 'none');
    assert.equal((none.attStmt as ReadonlyMap<string, unknown>).size, 0);
    assert.equal(toHex(parseAuthenticatorData(none.authData).attestedCredentialData!.aaguid), '00'.repeat(16));
    assert.equal((await fmtOf(d, ['packed', 'none'])).fmt, 'packed');
  });

  it('a list that is not text strings is CTAP2_ERR_CBOR_UNEXPECTED_TYPE; without the capability the member is ignored', async () => {
    const d = await managementDevice();
    const bad = await d.makeCredential({ attestationFormatsPreference: [1 as unknown as string] });
    assert.equal(bad[0], Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    const off = await managementDevice({ config: { ctap23: false } });
    assert.equal((await fmtOf(off, ['none'])).fmt, 'packed');
  });
});

describe('PIN complexity policy', () => {
  const complexityOn = async (d: ManagementDevice, session?: PinUvAuthSession) =>
    d.status(encodeConfigRequest(ConfigSubCommand.setMinPINLength, session, { pinComplexityPolicy: true }));

  it('setMinPINLength pinComplexityPolicy turns it on (getInfo 0x1B); new PINs then follow its rules', async () => {
    const d = await managementDevice();
    assert.equal(await complexityOn(d), Status.CTAP2_OK);
    assert.equal((await d.info()).pinComplexityPolicy, true);
    const p = platformProtocol(2);
    for (const weak of ['123456', '987654', 'abcdef', '777777', '13579']) {
      const s = await d.status(encodeClientPinRequest(setPinParams(p, await d.keyAgreement(p), weak).params));
      assert.equal(s, Status.CTAP2_ERR_PIN_POLICY_VIOLATION, weak);
    }
    assert.equal(
      await d.status(encodeClientPinRequest(setPinParams(p, await d.keyAgreement(p), '480193').params)),
      Status.CTAP2_OK,
    );
    // false does not turn it off; only a reset does.
    const acfg = await d.token(2, Perm.acfg, undefined, '480193');
    assert.equal(
      await d.status(encodeConfigRequest(ConfigSubCommand.setMinPINLength, acfg, { pinComplexityPolicy: false })),
      Status.CTAP2_OK,
    );
    assert.equal((await d.info()).pinComplexityPolicy, true);
    assert.equal(await d.status(encodeSimpleCommand(Command.authenticatorReset)), Status.CTAP2_OK);
    assert.equal((await d.info()).pinComplexityPolicy, false);
  });

  it('turned on with a PIN set, it forces a PIN change (the device cannot check a hashed PIN)', async () => {
    const d = await managementDevice();
    await d.setPin();
    assert.equal(await complexityOn(d, await d.token(2, Perm.acfg)), Status.CTAP2_OK);
    assert.equal((await d.info()).forcePINChange, true);
    const p = platformProtocol(2);
    assert.equal(
      await d.status(encodeClientPinRequest(changePinParams(p, await d.keyAgreement(p), PIN, '121212').params)),
      Status.CTAP2_OK,
      'two distinct, not a run',
    );
    assert.equal(
      await d.status(encodeClientPinRequest(changePinParams(p, await d.keyAgreement(p), '121212', '234567').params)),
      Status.CTAP2_ERR_PIN_POLICY_VIOLATION,
    );
  });

  it('a PIN set on the device follows the policy too, and replaces the persistent token', async () => {
    const d = await managementDevice();
    await d.setPin();
    const before = await persistentToken(d);
    assert.equal(await complexityOn(d, await d.token(2, Perm.acfg)), Status.CTAP2_OK);
    assert.throws(
      () => setDevicePin(d.auth.core, '654321'),
      (e: unknown) => e instanceof CtapError && e.status === Status.CTAP2_ERR_PIN_POLICY_VIOLATION,
    );
    setDevicePin(d.auth.core, '271828');
    assert.equal((await d.info()).forcePINChange, false);
    assert.equal((await cmCall(d, { subCommand: CM.getCredsMetadata }, before))[0], Status.CTAP2_ERR_PIN_AUTH_INVALID);
  });

  it('the pinComplexityPolicy extension reports it to any RP; without the capability no output', async () => {
    const ext = new Map([['pinComplexityPolicy', true]]);
    const output = async (d: ManagementDevice) => {
      const r = await d.makeCredential({ extensions: ext });
      assert.equal(r[0], Status.CTAP2_OK);
      return extensionsOf(parseAuthenticatorData(decodeMakeCredentialResponse(r).authData));
    };
    const d = await managementDevice();
    assert.equal((await output(d))?.get('pinComplexityPolicy'), false);
    assert.equal(await complexityOn(d), Status.CTAP2_OK);
    assert.equal((await output(d))?.get('pinComplexityPolicy'), true);
    assert.equal(
      (await output(await managementDevice({ config: { ctap23: false } })))?.get('pinComplexityPolicy'),
      undefined,
    );
  });
});

describe('pcmr over built-in UV (getPinUvAuthTokenUsingUvWithPermissions)', () => {
  it('hands out the same persistent token as the PIN path', async () => {
    const d = await managementDevice({ uv: new ScriptedUv() });
    await d.setPin();
    const viaPin = await persistentToken(d);
    const p = platformProtocol(2);
    const ex = getPinUvAuthTokenUsingUvParams(p, await d.keyAgreement(p), Perm.pcmr);
    const r = await d.call(encodeClientPinRequest(ex.params));
    assert.equal(r[0], Status.CTAP2_OK);
    assert.equal(
      toHex(decryptPinUvAuthToken(p, ex.sharedSecret, decodeClientPinResponse(r))!),
      toHex(viaPin.pinUvAuthToken),
    );
    assert.equal(ClientPinSubCommand.getPinUvAuthTokenUsingUvWithPermissions, 0x06);
  });
});
