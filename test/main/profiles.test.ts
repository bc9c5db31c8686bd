/**
 * Device profiles (src/main/profiles.ts) through openSoftKey and the CLI: the default profile is
 * softkey unchanged; ctap20 against CTAP 2.0 §5.4 (getInfo members and options) and §5.1/§5.5 (its
 * refusals), decoded by cbor2; profile JSON files (base + overrides) and their validation messages;
 * the PIN set on the device (`softkey pin set`, SoftKey.setDevicePin). The badge profile against
 * seed 003 is test/authenticator/badge.test.ts.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { decode } from 'cbor2';
import { REPO_ROOT } from '../helpers/paths.js';
import { main } from '../../src/cli/main.js';
import { Command } from '../../src/ctap2/commands.js';
import {
  ClientPinSubCommand as Sub,
  decodeClientPinResponse,
  encodeClientPinRequest,
} from '../../src/ctap2/clientPin.js';
import {
  decryptPinUvAuthToken,
  encodeSimpleCommand,
  getKeyAgreementParams,
  getPinTokenParams,
  pinUvAuthParamFor,
} from '../../src/ctap2/hostCodec.js';
import {
  decodeMakeCredentialResponse,
  encodeMakeCredentialRequest,
  type MakeCredentialRequest,
} from '../../src/ctap2/makeCredential.js';
import { encodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import { platformProtocol } from '../../src/ctap2/pinUvAuthProtocol.js';
import { Status } from '../../src/ctap2/status.js';
import { Flag, parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { CtapHidHost } from '../../src/ctaphid/hostDevice.js';
import { CtapHidError, CtapHidErrorCode } from '../../src/ctaphid/constants.js';
import { randomBytes } from '../../src/crypto/aead.js';
import {
  BUILT_IN_PROFILES,
  loadProfile,
  PASSKEY_PROVIDERS,
  ProfileError,
  profileConfig,
  validateProfile,
} from '../../src/main/profiles.js';
import { openSoftKey, type SoftKey } from '../../src/main/softkey.js';

const dir = mkdtempSync(join(tmpdir(), 'softkey-profiles-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const opened: SoftKey[] = [];
after(async () => {
  for (const k of opened) await k.close();
});
async function key(profile?: string, dataDir = ':memory:') {
  const k = await openSoftKey({ dataDir, ...(profile !== undefined && { profile }) });
  opened.push(k);
  return k;
}
async function getInfo(k: SoftKey): Promise<Map<number, unknown>> {
  const r = await k.cbor(encodeSimpleCommand(Command.authenticatorGetInfo));
  assert.equal(r[0], Status.CTAP2_OK);
  return decode(r.subarray(1)) as Map<number, unknown>;
}
const mc = (over: Partial<MakeCredentialRequest> = {}): MakeCredentialRequest => ({
  clientDataHash: new Uint8Array(32).fill(7),
  rp: { id: 'profiles.example' },
  user: { id: new Uint8Array([1]), name: 'pat' },
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
  ...over,
});
function writeProfile(name: string, json: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof json === 'string' ? json : JSON.stringify(json, null, 2));
  return file;
}

describe('built-in profiles', () => {
  it('are valid profile JSON themselves (the schema a file uses)', () => {
    assert.deepEqual([...BUILT_IN_PROFILES.keys()].slice(0, 3), ['default', 'badge', 'ctap20']);
    // The passkey providers (test/client/platform.test.ts runs each).
    for (const p of PASSKEY_PROVIDERS) assert.equal(BUILT_IN_PROFILES.get(p.name!), p);
    for (const [name, spec] of BUILT_IN_PROFILES) {
      assert.deepEqual(validateProfile(JSON.parse(JSON.stringify(spec)), name), spec, name);
    }
  });

  it('default is softkey unchanged: the same getInfo as no profile at all', async () => {
    // encIdentifier (0x19) and encCredStoreState (0x1E) are fresh ciphertexts each time (CTAP 2.3).
    const stable = (m: Map<number, unknown>) => new Map([...m].filter(([k]) => k !== 0x19 && k !== 0x1e));
    const info = await getInfo(await key('default'));
    assert.deepEqual(stable(info), stable(await getInfo(await key())));
    assert.ok(info.get(0x19) instanceof Uint8Array && info.get(0x1e) instanceof Uint8Array);
    assert.deepEqual(info.get(1), ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1', 'FIDO_2_3']);
    assert.deepEqual(info.get(6), [2, 1]);
  });

  it("getInfo's maxMsgSize is what CTAPHID accepts: 1200 bytes on the badge, 7609 by default", async () => {
    for (const [profile, max] of [
      ['badge', 1200],
      ['default', 7609],
    ] as const) {
      const k = await key(profile);
      assert.equal((await getInfo(k)).get(5), max, profile);
      const listeners: Array<(r: Uint8Array) => void> = [];
      const hid = k.device.createHidDevice((report) => listeners.forEach((l) => l(report)));
      const host = new CtapHidHost(
        { send: (r) => hid.receive(r), onReport: (cb) => listeners.push(cb) },
        { rng: randomBytes },
      );
      await host.init();
      assert.equal((await host.ping(new Uint8Array(max).fill(1))).length, max, `${profile}: ${max} bytes echo`);
      await assert.rejects(host.ping(new Uint8Array(max + 1)), (e: unknown) => {
        assert.ok(e instanceof CtapHidError);
        assert.equal(e.code, CtapHidErrorCode.ERR_INVALID_LEN, profile);
        return true;
      });
    }
  });

  it('an unknown name is refused with the names that exist', async () => {
    await assert.rejects(openSoftKey({ dataDir: ':memory:', profile: 'yubikey' }), (e: Error) => {
      assert.ok(e instanceof ProfileError);
      assert.match(e.message, /unknown profile "yubikey": use one of default, badge, ctap20/);
      return true;
    });
  });
});

describe('the ctap23 capability by profile (docs/profiles.md table)', () => {
  it('default has it; badge and ctap20 do not: no FIDO_2_3, no member 0x16-0x1F, no enableLongTouchForReset', async () => {
    assert.equal(profileConfig('default').ctap23, undefined, 'default: the config default (true)');
    const def = await getInfo(await key('default'));
    assert.ok((def.get(1) as string[]).includes('FIDO_2_3'));
    assert.deepEqual(def.get(0x1f), [1, 2, 3, 4]);
    for (const name of ['badge', 'ctap20']) {
      assert.equal(profileConfig(name).ctap23, false, name);
      const k = await key(name);
      const info = await getInfo(k);
      assert.equal((info.get(1) as string[]).includes('FIDO_2_3'), false, name);
      assert.deepEqual(
        [...info.keys()].filter((m) => m >= 0x16),
        [],
        name,
      );
      // authenticatorConfig enableLongTouchForReset: refused (badge) or not a command (ctap20).
      const r = await k.cbor(Uint8Array.from([0x0d, 0xa1, 0x01, 0x04]));
      assert.equal(
        r[0],
        name === 'badge' ? Status.CTAP2_ERR_UNSUPPORTED_OPTION : Status.CTAP1_ERR_INVALID_COMMAND,
        name,
      );
    }
    const file = writeProfile('no23.json', { behaviour: { ctap23: false } });
    assert.equal((await getInfo(await key(file))).has(0x16), false, 'behaviour.ctap23 false in a file');
    assert.throws(
      () => profileConfig({ behaviour: { ctap23: 'yes' as never } }),
      /behaviour\.ctap23 must be true or false/,
    );
  });
});

describe('ctap20 profile against CTAP 2.0', () => {
  // CTAP 2.0 (Proposed Standard, 2019-01-30) §5.4 authenticatorGetInfo: its members and options.
  const CTAP20_MEMBERS = {
    versions: 0x01,
    extensions: 0x02,
    aaguid: 0x03,
    options: 0x04,
    maxMsgSize: 0x05,
    pinProtocols: 0x06,
  };
  const CTAP20_OPTIONS = ['plat', 'rk', 'clientPin', 'up', 'uv'];

  it('getInfo has only the CTAP 2.0 members and options, FIDO_2_0 and PIN protocol 1', async () => {
    const info = await getInfo(await key('ctap20'));
    assert.deepEqual(
      [...info.keys()].sort((a, b) => a - b),
      Object.values(CTAP20_MEMBERS),
    );
    assert.deepEqual(info.get(1), ['U2F_V2', 'FIDO_2_0']);
    assert.deepEqual(info.get(6), [1]);
    const options = info.get(4) as Record<string, boolean>;
    for (const id of Object.keys(options)) assert.ok(CTAP20_OPTIONS.includes(id), `option ${id} is not CTAP 2.0`);
    assert.deepEqual(options, { rk: true, up: true, plat: false, clientPin: false });
    for (const ext of info.get(2) as string[])
      assert.ok(['hmac-secret'].includes(ext), `extension ${ext} is not CTAP 2.0`);
  });

  it('CTAP 2.1 commands are INVALID_COMMAND; 2.1 clientPIN subcommands INVALID_SUBCOMMAND; protocol 2 INVALID_PARAMETER', async () => {
    const k = await key('ctap20');
    for (const c of [
      Command.authenticatorBioEnrollment,
      Command.authenticatorCredentialManagement,
      Command.authenticatorSelection,
      Command.authenticatorLargeBlobs,
      Command.authenticatorConfig,
      Command.authenticatorCredentialManagementPreview,
    ]) {
      assert.equal(
        (await k.cbor(new Uint8Array([c, 0xa0])))[0],
        Status.CTAP1_ERR_INVALID_COMMAND,
        `command 0x${c.toString(16)}`,
      );
    }
    for (const subCommand of [
      Sub.getPinUvAuthTokenUsingUvWithPermissions,
      Sub.getUVRetries,
      Sub.getPinUvAuthTokenUsingPinWithPermissions,
    ]) {
      assert.equal(
        (await k.cbor(encodeClientPinRequest({ subCommand, pinUvAuthProtocol: 1 })))[0],
        Status.CTAP2_ERR_INVALID_SUBCOMMAND,
      );
    }
    assert.equal(
      (await k.cbor(encodeClientPinRequest({ subCommand: Sub.getKeyAgreement, pinUvAuthProtocol: 2 })))[0],
      Status.CTAP1_ERR_INVALID_PARAMETER,
    );
    assert.equal(
      (await k.cbor(encodeClientPinRequest({ subCommand: Sub.getKeyAgreement, pinUvAuthProtocol: 1 })))[0],
      Status.CTAP2_OK,
    );
  });

  it('uv=true is UNSUPPORTED_OPTION (2.0 wording); a 2.1 extension input (credProtect) is ignored', async () => {
    const k = await key('ctap20');
    assert.equal(
      (await k.cbor(encodeMakeCredentialRequest(mc({ options: { uv: true } }))))[0],
      Status.CTAP2_ERR_UNSUPPORTED_OPTION,
    );
    const r = await k.cbor(encodeMakeCredentialRequest(mc({ extensions: new Map([['credProtect', 3]]) })));
    assert.equal(r[0], Status.CTAP2_OK);
    // Not offered, so not checked either: a level outside 1–3 is ignored with the rest of the input.
    assert.equal(
      (await k.cbor(encodeMakeCredentialRequest(mc({ extensions: new Map([['credProtect', 0]]) }))))[0],
      Status.CTAP2_OK,
    );
    const ad = parseAuthenticatorData(decodeMakeCredentialResponse(r).authData);
    assert.equal(ad.flags & Flag.ED, 0, 'no extension output');
  });

  it('with a PIN set, makeCredential without pinAuth is PIN_REQUIRED even for a non-resident credential', async () => {
    const k = await key('ctap20');
    k.setDevicePin('1234');
    assert.equal((await k.cbor(encodeMakeCredentialRequest(mc())))[0], Status.CTAP2_ERR_PUAT_REQUIRED); // 0x36, CTAP 2.0's PIN_REQUIRED
  });
});

describe('ctap20 profile: CTAP 2.0 pinToken rules and options', () => {
  /** A PIN set and a getPinToken (0x05) token of PIN protocol 1. */
  async function pinToken(k: SoftKey): Promise<Uint8Array> {
    const p1 = platformProtocol(1);
    const ka = decodeClientPinResponse(await k.cbor(encodeClientPinRequest(getKeyAgreementParams(p1)))).keyAgreement!;
    const ex = getPinTokenParams(p1, ka, '1234');
    const resp = await k.cbor(encodeClientPinRequest(ex.params));
    assert.equal(resp[0], Status.CTAP2_OK);
    return decryptPinUvAuthToken(p1, ex.sharedSecret, decodeClientPinResponse(resp))!;
  }
  const withToken = (token: Uint8Array, cdh: Uint8Array) => ({
    pinUvAuthParam: pinUvAuthParamFor(platformProtocol(1), token, cdh),
    pinUvAuthProtocol: 1,
  });
  const mcWith = (token: Uint8Array, i: number, rpId = 'profiles.example') => {
    const clientDataHash = new Uint8Array(32).fill(i);
    return encodeMakeCredentialRequest(
      mc({ clientDataHash, rp: { id: rpId }, user: { id: new Uint8Array([i]) }, ...withToken(token, clientDataHash) }),
    );
  };
  const gaWith = (token: Uint8Array, i: number, rpId = 'profiles.example') => {
    const clientDataHash = new Uint8Array(32).fill(0x80 + i);
    return encodeGetAssertionRequest({ rpId, clientDataHash, ...withToken(token, clientDataHash) });
  };

  it('a pinToken serves any number of makeCredential/getAssertion calls, for any RP, until a power cycle (CTAP 2.0 §5.5.8)', async () => {
    const k = await key('ctap20');
    k.setDevicePin('1234');
    const token = await pinToken(k);
    for (let i = 1; i <= 3; i++) {
      const r = await k.cbor(mcWith(token, i, i === 3 ? 'other.example' : 'profiles.example'));
      assert.equal(r[0], Status.CTAP2_OK, `makeCredential ${i}`);
      assert.equal(parseAuthenticatorData(decodeMakeCredentialResponse(r).authData).flags & Flag.UV, Flag.UV);
    }
    // Credentials are non-resident here: allow-list-free getAssertion finds none, but the token is accepted.
    for (let i = 1; i <= 3; i++)
      assert.equal((await k.cbor(gaWith(token, i)))[0], Status.CTAP2_ERR_NO_CREDENTIALS, `getAssertion ${i}`);
    // A new token replaces the old one.
    const second = await pinToken(k);
    assert.equal(
      (await k.cbor(mcWith(token, 4)))[0],
      Status.CTAP2_ERR_PIN_AUTH_INVALID,
      'the old token after a new one',
    );
    assert.equal((await k.cbor(mcWith(second, 5)))[0], Status.CTAP2_OK);
    k.powerCycle();
    assert.equal((await k.cbor(mcWith(second, 6)))[0], Status.CTAP2_ERR_PIN_AUTH_INVALID, 'after a power cycle');
  });

  it('the default profile (CTAP 2.1 §6.5.5.7) still uses a token up: the second makeCredential is refused', async () => {
    const k = await key();
    k.setDevicePin('1234');
    const token = await pinToken(k);
    assert.equal((await k.cbor(mcWith(token, 1)))[0], Status.CTAP2_OK);
    assert.equal((await k.cbor(mcWith(token, 2)))[0], Status.CTAP2_ERR_PIN_AUTH_INVALID);
  });

  it('"up" in makeCredential options is INVALID_OPTION (CTAP 2.0 §5.1: known, not valid for this command); 2.1 accepts up=true', async () => {
    const k = await key('ctap20');
    assert.equal(
      (await k.cbor(encodeMakeCredentialRequest(mc({ options: { up: true } }))))[0],
      Status.CTAP2_ERR_INVALID_OPTION,
    );
    assert.equal(
      (await k.cbor(encodeMakeCredentialRequest(mc({ options: { up: false } }))))[0],
      Status.CTAP2_ERR_INVALID_OPTION,
    );
    assert.equal((await k.cbor(encodeMakeCredentialRequest(mc({ options: { rk: true } }))))[0], Status.CTAP2_OK);
    const d = await key();
    assert.equal((await d.cbor(encodeMakeCredentialRequest(mc({ options: { up: true } }))))[0], Status.CTAP2_OK);
  });
});

describe('profile JSON files', () => {
  it('a file extends a base profile: its getInfo values and behaviour switches apply', async () => {
    const file = writeProfile('badge-small.json', {
      name: 'badge-small',
      base: 'badge',
      description: 'a badge with only 2 slots',
      getInfo: { aaguid: '00112233445566778899aabbccddeeff', maxMsgSize: 2048, algorithms: ['EdDSA'] },
      behaviour: { credentialSlots: 2 },
    });
    const k = await key(file);
    assert.equal(k.device.authenticator.core.config.profile, 'badge-small');
    const info = await getInfo(k);
    assert.equal(info.size, 10);
    assert.equal(Buffer.from(info.get(3) as Uint8Array).toString('hex'), '00112233445566778899aabbccddeeff');
    assert.equal(info.get(5), 2048);
    assert.deepEqual(info.get(10), [{ type: 'public-key', alg: -8 }]);
    assert.equal(info.get(7), 8, 'inherited from badge');
    const make = (i: number) =>
      k.cbor(
        encodeMakeCredentialRequest(
          mc({ user: { id: new Uint8Array([i]) }, pubKeyCredParams: [{ type: 'public-key', alg: -8 }] }),
        ),
      );
    assert.equal((await make(1))[0], Status.CTAP2_OK);
    assert.equal((await make(2))[0], Status.CTAP2_OK);
    assert.equal((await make(3))[0], Status.CTAP2_ERR_KEY_STORE_FULL);
    assert.equal(
      (await k.cbor(new Uint8Array([Command.authenticatorLargeBlobs])))[0],
      Status.CTAP2_ERR_UNSUPPORTED_OPTION,
      'inherited refusal',
    );
  });

  it('a file without a name is named after the file; without a base it starts from default', async () => {
    const file = writeProfile('quiet.json', {
      getInfo: { members: ['versions', 'aaguid', 'options'], options: { rk: true, up: null } },
    });
    assert.equal(loadProfile(file).name, 'quiet');
    const info = await getInfo(await key(file));
    assert.deepEqual([...info.keys()], [1, 3, 4]);
    assert.deepEqual(info.get(4), { rk: true, up: true });
  });

  it('the example files under profiles/ load', async () => {
    const file = join(REPO_ROOT, 'profiles', 'badge-2-slots.json');
    const info = await getInfo(await key(file));
    assert.equal(Buffer.from(info.get(3) as Uint8Array).toString('hex'), 'cdcbad6e39c30001bad6e00100000002');
    assert.deepEqual(info.get(10), [{ type: 'public-key', alg: -8 }]);
  });

  it('a passkey provider as a file: a built-in provider as JSON, or one based on a provider', async () => {
    for (const p of PASSKEY_PROVIDERS) {
      const file = writeProfile(`${p.name}-copy.json`, { ...p, name: `${p.name}-copy` });
      assert.deepEqual({ ...profileConfig(file), profile: p.name }, profileConfig(p.name!), p.name);
    }
    const file = join(REPO_ROOT, 'profiles', 'nordpass.json');
    const k = await key(file);
    const info = await getInfo(k);
    assert.equal(Buffer.from(info.get(3) as Uint8Array).toString('hex'), 'b84e404815dc4dd08640f4f60813c8af');
    assert.deepEqual(info.get(9), ['hybrid', 'internal']);
    assert.deepEqual(info.get(4), { plat: true, rk: true, up: true, uv: true, pinUvAuthToken: true, credMgmt: true });
    const r = await k.client.create(
      {
        rp: { id: 'localhost', name: 'x' },
        user: { id: 'AQ', name: 'pat', displayName: 'Pat' },
        challenge: 'AAAAAAAAAAAAAAAAAAAAAA',
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      },
      { origin: 'http://localhost:5173' },
    );
    assert.equal(r.authenticatorAttachment, 'platform');
    assert.equal(Buffer.from(r.rawId, 'base64url').length, 32);
  });

  it('mistakes are refused with the file and the member at fault', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['{ not json', /not JSON/],
      [[], /\(top level\) must be an object/],
      [
        { colour: 'red' },
        /colour is not a profile key \(known: \$schema, name, description, base, getInfo, behaviour\)/,
      ],
      [{ base: 'yubikey' }, /base must be one of default, badge, ctap20, windows-hello, .*; got "yubikey"/],
      [
        { behaviour: { storedCredentialIdLength: 8 } },
        /behaviour\.storedCredentialIdLength must be a whole number from 16 to 32, got 8/,
      ],
      [{ behaviour: { alwaysBuiltInUv: 1 } }, /behaviour\.alwaysBuiltInUv must be true or false, got 1/],
      [{ behaviour: { backupState: true } }, /behaviour\.backupState needs behaviour\.backupEligible true/],
      [{ getInfo: { aaguid: 'xyz' } }, /getInfo\.aaguid must be 32 hex digits/],
      [{ getInfo: { maxMsgSize: 'big' } }, /getInfo\.maxMsgSize must be a whole number from 1024 to 65535, got "big"/],
      [
        { getInfo: { algorithms: ['ES256', 'PS256'] } },
        /getInfo\.algorithms\[1\] must be one of ES256, ES384, ES512, EdDSA, RS256; got "PS256"/,
      ],
      [{ getInfo: { members: ['versions', 'colour'] } }, /getInfo\.members\[1\] must be one of versions, /],
      [{ getInfo: { options: { rk: 'yes' } } }, /getInfo\.options\.rk must be true, false or null/],
      [{ getInfo: { pinUvAuthProtocols: [2, 2] } }, /getInfo\.pinUvAuthProtocols lists something twice/],
      [{ getInfo: { wings: 2 } }, /getInfo\.wings is not a profile key/],
      [
        { behaviour: { commands: ['authenticatorTeleport'] } },
        /behaviour\.commands\[0\] must be one of authenticatorMakeCredential, /,
      ],
      [
        { behaviour: { commands: ['authenticatorConfig'], refusedCommands: ['authenticatorConfig'] } },
        /behaviour\.refusedCommands names authenticatorConfig, which behaviour\.commands answers/,
      ],
      [
        { behaviour: { clientPinSubCommands: ['getPINRetries', 'setPin'] } },
        /behaviour\.clientPinSubCommands\[1\] must be one of getPINRetries, /,
      ],
      [{ behaviour: { credentialSlots: 0 } }, /behaviour\.credentialSlots must be a whole number from 1/],
      [{ behaviour: { pinSettableOverWire: 'no' } }, /behaviour\.pinSettableOverWire must be true or false, got "no"/],
      [
        { getInfo: { pinUvAuthProtocols: [1] }, behaviour: { defaultPinUvAuthProtocol: 2 } },
        /behaviour\.defaultPinUvAuthProtocol 2 is not in getInfo\.pinUvAuthProtocols \[1\]/,
      ],
    ];
    cases.forEach(([json, message], i) => {
      const file = writeProfile(`bad-${i}.json`, json);
      assert.throws(
        () => profileConfig(file),
        (e: Error) => e instanceof ProfileError && e.message.startsWith(`profile ${file}:`) && message.test(e.message),
        `case ${i}: ${JSON.stringify(json)}`,
      );
    });
    assert.throws(() => loadProfile(join(dir, 'missing.json')), /profile .*missing\.json: cannot read it \(ENOENT\)/);
  });
});

describe('the PIN set on the device', () => {
  const run = async (argv: string[], stdin?: string) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
      ...(stdin !== undefined && { stdin: Readable.from([stdin]) }),
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('`softkey pin set` stores a PIN the badge then accepts over the wire (PIN protocol 2)', async () => {
    const data = join(dir, 'badge-data');
    const r = await run(['pin', 'set', '--data-dir', data], '4321\n');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /PIN set/);
    const k = await key('badge', data);
    const p2 = platformProtocol(2);
    const ka = decodeClientPinResponse(await k.cbor(encodeClientPinRequest(getKeyAgreementParams(p2)))).keyAgreement!;
    const ex = getPinTokenParams(p2, ka, '4321');
    const resp = await k.cbor(encodeClientPinRequest(ex.params));
    assert.equal(resp[0], Status.CTAP2_OK);
    assert.equal(decryptPinUvAuthToken(p2, ex.sharedSecret, decodeClientPinResponse(resp))?.length, 32);
  });

  it('a PIN the policy refuses is not set (exit 1, the reason named)', async () => {
    const r = await run(['pin', 'set', '--data-dir', join(dir, 'short-pin')], '12\n');
    assert.equal(r.code, 1);
    assert.match(r.err, /PIN not set: CTAP2_ERR_PIN_POLICY_VIOLATION: a PIN has at least 4 code points/);
  });

  it('--profile mistakes are usage errors; info --profile shows that profile', async () => {
    const bad = await run(['start', '--profile', 'nonsense', '--data-dir', join(dir, 'x')]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /unknown profile "nonsense"/);
    const badFile = await run([
      'start',
      '--profile',
      writeProfile('bad-cli.json', { getInfo: { maxMsgSize: 1 } }),
      '--data-dir',
      join(dir, 'x'),
    ]);
    assert.equal(badFile.code, 2);
    assert.match(badFile.err, /getInfo\.maxMsgSize must be a whole number/);
    const info = await run(['info', '--data-dir', join(dir, 'info-badge'), '--profile', 'badge']);
    assert.equal(info.code, 0, info.err);
    assert.equal(JSON.parse(info.out).aaguid, 'cdcbad6e39c30001bad6e00100000001');
  });
});
