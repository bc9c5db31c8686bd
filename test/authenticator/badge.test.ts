/**
 * The badge profile against its source, seed 003 (fixtures/seed003-badge.txt, copied verbatim):
 * getInfo member by member (decoded by cbor2, not by our own codec), every command's and clientPIN
 * subcommand's status as the seed's tables give it, the PIN set on the device, ES256/EdDSA only,
 * uv=true refused, and 26 credential slots taken by every credential, resident or not.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decode } from 'cbor2';
import { REPO_ROOT } from '../helpers/paths.js';
import { createAuthenticator } from '../../src/authenticator/authenticator.js';
import { commandPolicy, defaultConfig } from '../../src/authenticator/config.js';
import { setDevicePin } from '../../src/authenticator/setDevicePin.js';
import { Command } from '../../src/ctap2/commands.js';
import {
  ClientPinSubCommand as Sub,
  PinUvAuthTokenPermission as Perm,
  decodeClientPinResponse,
  encodeClientPinRequest,
} from '../../src/ctap2/clientPin.js';
import { dispatchCtap2 } from '../../src/ctap2/dispatch.js';
import {
  decryptPinUvAuthToken,
  encodeSimpleCommand,
  getKeyAgreementParams,
  getPinTokenParams,
  getPinUvAuthTokenUsingPinParams,
  pinUvAuthParamFor,
  setPinParams,
} from '../../src/ctap2/hostCodec.js';
import { decodeGetAssertionResponse, encodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import {
  decodeMakeCredentialResponse,
  encodeMakeCredentialRequest,
  type MakeCredentialRequest,
} from '../../src/ctap2/makeCredential.js';
import { platformProtocol } from '../../src/ctap2/pinUvAuthProtocol.js';
import { Status } from '../../src/ctap2/status.js';
import { Flag, parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { profileConfig } from '../../src/main/profiles.js';
import { U2fAuthenticator } from '../../src/authenticator/u2f.js';
import { decodeResponseApdu, encodeCommandApdu } from '../../src/ctap1/apdu.js';
import { dispatchCtap1 } from '../../src/ctap1/dispatch.js';
import { decodeRegisterResponse, U2fIns } from '../../src/ctap1/messages.js';
import { StatusWord } from '../../src/ctap1/statusWords.js';
import { testContext, testEnv } from '../helpers/env.js';

const SEED = readFileSync(join(REPO_ROOT, 'test', 'authenticator', 'fixtures', 'seed003-badge.txt'), 'utf8');
const hash = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());

/** The rows of the seed's markdown table that follows `heading`. */
function seedTable(heading: string): string[][] {
  const lines = SEED.slice(SEED.indexOf(heading)).split('\n').slice(1);
  const rows: string[][] = [];
  for (const line of lines) {
    if (!line.includes('|')) {
      if (rows.length > 0) break;
      continue;
    }
    const cells = line
      .replace(/^.*?”/, '')
      .split('|')
      .map((c) => c.trim());
    if (cells[0] === '') cells.shift();
    if (cells.at(-1) === '') cells.pop();
    if (cells.every((c) => /^-+$/.test(c))) continue;
    rows.push(cells);
  }
  return rows.slice(1); // the header row
}

const statusOf = (name: string): number => {
  const code = (Status as Record<string, number>)[name];
  assert.ok(code !== undefined, `the seed names a status we do not know: ${name}`);
  return code;
};

async function badge() {
  const env = testEnv();
  const config = defaultConfig(profileConfig('badge'));
  const auth = await createAuthenticator(env, config);
  const call = (request: Uint8Array) => dispatchCtap2(auth, request, testContext(), commandPolicy(config));
  const p2 = platformProtocol(2);
  const keyAgreement = async () =>
    decodeClientPinResponse(await call(encodeClientPinRequest(getKeyAgreementParams(p2)))).keyAgreement!;
  const pinToken = async (pin = '1234') => {
    const ex = getPinTokenParams(p2, await keyAgreement(), pin);
    const r = await call(encodeClientPinRequest(ex.params));
    assert.equal(r[0], Status.CTAP2_OK, `getPinToken: 0x${r[0]!.toString(16)}`);
    return decryptPinUvAuthToken(p2, ex.sharedSecret, decodeClientPinResponse(r))!;
  };
  return { env, auth, call, p2, keyAgreement, pinToken };
}

const mc = (over: Partial<MakeCredentialRequest> = {}): MakeCredentialRequest => ({
  clientDataHash: hash('badge client data'),
  rp: { id: 'badge.example', name: 'Badge RP' },
  user: { id: new Uint8Array([1]), name: 'ada', displayName: 'Ada' },
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
  ...over,
});

describe('badge profile: getInfo is seed 003 member by member', () => {
  it('emits exactly the 10 members of the seed table with its values (cbor2 decodes it)', async () => {
    const { call } = await badge();
    const response = await call(encodeSimpleCommand(Command.authenticatorGetInfo));
    assert.equal(response[0], Status.CTAP2_OK);
    const info = decode(response.subarray(1)) as Map<number, unknown>;
    const rows = seedTable('The getInfo response is a 10-entry map');
    assert.equal(rows.length, 10);
    assert.deepEqual(
      [...info.keys()].sort((a, b) => a - b),
      rows.map(([key]) => Number(key)),
    );

    const algIds = new Map(seedTable('COSE algorithms and curves').map(([name, id]) => [name!, Number(id)]));
    const options = Object.fromEntries(seedTable('Options\n').map(([id, value]) => [id!, value === 'true']));
    for (const [key, field, value] of rows) {
      const actual = info.get(Number(key));
      const list = () => value!.split(',').map((s) => s.trim());
      switch (field) {
        case 'versions':
        case 'extensions':
          assert.deepEqual(actual, list(), field);
          break;
        case 'aaguid':
          assert.equal(
            Buffer.from(actual as Uint8Array)
              .toString('hex')
              .toUpperCase(),
            value,
            field,
          );
          break;
        case 'options':
          assert.equal(value, 'see below');
          assert.deepEqual(actual, options, field);
          break;
        case 'pinUvAuthProtocols':
        case 'transports':
          assert.deepEqual(actual, JSON.parse(value!), field);
          break;
        case 'algorithms':
          assert.deepEqual(
            actual,
            list().map((name) => ({ type: 'public-key', alg: algIds.get(name) })),
            field,
          );
          break;
        default:
          assert.equal(actual, Number(value), field);
      }
    }
    assert.equal(Object.keys(options).length, 7);
  });

  it('keeps clientPin true as the seed says, before and after a PIN is set on the device', async () => {
    const { call, auth } = await badge();
    const options = () =>
      call(encodeSimpleCommand(Command.authenticatorGetInfo)).then((r) =>
        (decode(r.subarray(1)) as Map<number, Record<string, boolean>>).get(4)!,
      );
    assert.equal((await options()).clientPin, true);
    setDevicePin(auth.core, '1234');
    assert.equal((await options()).clientPin, true);
  });
});

describe('badge profile: commands and clientPIN subcommands as the seed tables give them', () => {
  it('answers each CTAP2 command with the seed status', async () => {
    const { call } = await badge();
    const rows = seedTable('Supported CTAP2 commands');
    assert.equal(rows.length, 11);
    for (const [name, code, status] of rows) {
      if (name === 'reset') continue; // its own test below (it erases the device)
      const r = (await call(new Uint8Array([Number(code)])))[0]!;
      const named = /(CTAP\d_ERR_[A-Z_]+)/.exec(status!)?.[1];
      if (named) assert.equal(r, statusOf(named), `${name}: ${status}`);
      else {
        assert.match(status!, /^Implemented/);
        assert.notEqual(r, Status.CTAP1_ERR_INVALID_COMMAND, `${name} is implemented`);
      }
    }
    // Commands outside the seed's table are not dispatched either.
    for (const other of [
      Command.authenticatorCredentialManagementPreview,
      Command.authenticatorBioEnrollmentPreview,
      0x0e,
      0x3f,
    ]) {
      assert.equal((await call(new Uint8Array([other])))[0], Status.CTAP1_ERR_INVALID_COMMAND);
    }
  });

  it('reset is implemented and asks for presence on the device', async () => {
    const { call, env } = await badge();
    assert.equal((await call(encodeSimpleCommand(Command.authenticatorReset)))[0], Status.CTAP2_OK);
    assert.equal(env.presence.requests.at(-1)?.operation, 'reset');
  });

  it('answers each clientPIN subcommand with the seed status; others are INVALID_SUBCOMMAND', async () => {
    const { call, auth, p2, keyAgreement } = await badge();
    setDevicePin(auth.core, '1234');
    const rows = seedTable('Subcommands:');
    assert.equal(rows.length, 6);
    for (const [name, code, status] of rows) {
      const sub = Number(code);
      assert.equal(Sub[name as keyof typeof Sub], sub, name);
      const ka = await keyAgreement();
      const params =
        sub === Sub.setPIN
          ? setPinParams(p2, ka, '5678').params
          : sub === Sub.getPinToken
            ? getPinTokenParams(p2, ka, '1234').params
            : sub === Sub.getPinUvAuthTokenUsingPinWithPermissions
              ? getPinUvAuthTokenUsingPinParams(p2, ka, '1234', Perm.mc | Perm.ga, 'badge.example').params
              : { subCommand: sub, pinUvAuthProtocol: 2 };
      const r = (await call(encodeClientPinRequest(params)))[0]!;
      if (status === 'Implemented') assert.equal(r, Status.CTAP2_OK, name);
      else assert.equal(r, statusOf(status!), name);
    }
    for (const sub of [Sub.getPinUvAuthTokenUsingUvWithPermissions, Sub.getUVRetries, 0x08]) {
      assert.equal(
        (await call(encodeClientPinRequest({ subCommand: sub, pinUvAuthProtocol: 2 })))[0],
        Status.CTAP2_ERR_INVALID_SUBCOMMAND,
      );
    }
  });

  it('changePIN over the wire is refused even with the right PIN; PIN retries are 8', async () => {
    const { call, auth } = await badge();
    setDevicePin(auth.core, '1234');
    const r = await call(encodeClientPinRequest({ subCommand: Sub.changePIN, pinUvAuthProtocol: 2 }));
    assert.equal(r[0], Status.CTAP2_ERR_UNSUPPORTED_OPTION);
    assert.equal(
      decodeClientPinResponse(await call(encodeClientPinRequest({ subCommand: Sub.getPINRetries }))).pinRetries,
      8,
    );
  });
});

describe('badge profile: ClientPIN (protocol 2; 0 or unset accepted), PIN set on the device', () => {
  it('getPinToken is PIN_NOT_SET until the device sets a PIN, then gives a token that makeCredential accepts', async () => {
    const { call, auth, p2, keyAgreement, pinToken } = await badge();
    const ex = getPinTokenParams(p2, await keyAgreement(), '1234');
    assert.equal((await call(encodeClientPinRequest(ex.params)))[0], Status.CTAP2_ERR_PIN_NOT_SET);
    setDevicePin(auth.core, '1234');
    const token = await pinToken();
    const params = mc();
    const r = await call(
      encodeMakeCredentialRequest({
        ...params,
        pinUvAuthParam: pinUvAuthParamFor(p2, token, params.clientDataHash),
        pinUvAuthProtocol: 2,
      }),
    );
    assert.equal(r[0], Status.CTAP2_OK);
    const flags = parseAuthenticatorData(decodeMakeCredentialResponse(r).authData).flags;
    assert.equal(flags & Flag.UV, Flag.UV);
  });

  it('a wrong PIN is PIN_INVALID and costs a retry; the device PIN policy refuses short PINs', async () => {
    const { call, auth, p2, keyAgreement } = await badge();
    assert.throws(() => setDevicePin(auth.core, '12'), /CTAP2_ERR_PIN_POLICY_VIOLATION/);
    setDevicePin(auth.core, '1234');
    const ex = getPinTokenParams(p2, await keyAgreement(), '0000');
    assert.equal((await call(encodeClientPinRequest(ex.params)))[0], Status.CTAP2_ERR_PIN_INVALID);
    assert.equal(
      decodeClientPinResponse(await call(encodeClientPinRequest({ subCommand: Sub.getPINRetries }))).pinRetries,
      7,
    );
  });

  it('protocol 1 is not offered; a request without a protocol (or 0) uses protocol 2', async () => {
    const { call } = await badge();
    assert.equal(
      (await call(encodeClientPinRequest({ subCommand: Sub.getKeyAgreement, pinUvAuthProtocol: 1 })))[0],
      Status.CTAP1_ERR_INVALID_PARAMETER,
    );
    for (const pinUvAuthProtocol of [undefined, 0]) {
      const r = await call(
        encodeClientPinRequest({
          subCommand: Sub.getKeyAgreement,
          ...(pinUvAuthProtocol !== undefined && { pinUvAuthProtocol }),
        }),
      );
      assert.equal(r[0], Status.CTAP2_OK);
      assert.equal(decodeClientPinResponse(r).keyAgreement?.get(3), -25); // ECDH-ES+HKDF-256
    }
  });
});

describe('badge profile: makeCredential', () => {
  it('makes ES256 and EdDSA credentials; any other algorithm is UNSUPPORTED_ALGORITHM', async () => {
    const { call } = await badge();
    for (const alg of [-7, -8]) {
      const r = await call(encodeMakeCredentialRequest(mc({ pubKeyCredParams: [{ type: 'public-key', alg }] })));
      assert.equal(r[0], Status.CTAP2_OK, `alg ${alg}`);
      const { attStmt, fmt } = decodeMakeCredentialResponse(r);
      assert.equal(fmt, 'packed');
      assert.equal(((attStmt as ReadonlyMap<string, unknown>).get('x5c') as unknown[]).length, 1);
    }
    const r = await call(encodeMakeCredentialRequest(mc({ pubKeyCredParams: [{ type: 'public-key', alg: -257 }] })));
    assert.equal(r[0], Status.CTAP2_ERR_UNSUPPORTED_ALGORITHM);
  });

  it('uv=true is UNSUPPORTED_OPTION (no internal UV); up=false is INVALID_OPTION', async () => {
    const { call } = await badge();
    assert.equal(
      (await call(encodeMakeCredentialRequest(mc({ options: { uv: true } }))))[0],
      Status.CTAP2_ERR_UNSUPPORTED_OPTION,
    );
    assert.equal(
      (await call(encodeMakeCredentialRequest(mc({ options: { up: false } }))))[0],
      Status.CTAP2_ERR_INVALID_OPTION,
    );
  });

  it('credProtect is stored and echoed in the authenticator data', async () => {
    const { call } = await badge();
    const r = await call(
      encodeMakeCredentialRequest(mc({ options: { rk: true }, extensions: new Map([['credProtect', 2]]) })),
    );
    assert.equal(r[0], Status.CTAP2_OK);
    const ext = decode(parseAuthenticatorData(decodeMakeCredentialResponse(r).authData).extensions!) as
      Map<string, unknown> | Record<string, unknown>;
    assert.equal(ext instanceof Map ? ext.get('credProtect') : ext.credProtect, 2);
  });

  it('an existing credential for the same RP ID and user handle is overwritten', async () => {
    const { call, env } = await badge();
    for (let i = 0; i < 2; i++)
      assert.equal((await call(encodeMakeCredentialRequest(mc({ options: { rk: true } }))))[0], Status.CTAP2_OK);
    assert.equal(env.store.countResident(), 1);
    assert.equal(env.store.countSlots(), 1);
  });
});

describe('badge profile: 26 credential slots, every credential takes one', () => {
  const seedCapacity = () => {
    const rows = new Map(seedTable('Capacity\n').map(([limit, value]) => [limit!, Number.parseInt(value!, 10)]));
    return { max: rows.get('Max credentials')!, idLength: rows.get('Credential ID length')! };
  };

  it('resident or not, the 27th credential is KEY_STORE_FULL; IDs are 64 bytes and all assert', async () => {
    const { call, env } = await badge();
    const { max, idLength } = seedCapacity();
    assert.equal(max, 26);
    const ids: Uint8Array[] = [];
    for (let i = 0; i < max; i++) {
      const r = await call(
        encodeMakeCredentialRequest(
          mc({ user: { id: new Uint8Array([i]), name: `u${i}` }, options: { rk: i % 2 === 0 } }),
        ),
      );
      assert.equal(r[0], Status.CTAP2_OK, `credential ${i}`);
      const id = parseAuthenticatorData(decodeMakeCredentialResponse(r).authData).attestedCredentialData!.credentialId;
      assert.equal(id.length, idLength);
      ids.push(id);
    }
    assert.equal(env.store.countSlots(), max);
    assert.equal(env.store.countResident(), max / 2);
    const full = await call(
      encodeMakeCredentialRequest(mc({ user: { id: new Uint8Array([99]) }, options: { rk: false } })),
    );
    assert.equal(full[0], Status.CTAP2_ERR_KEY_STORE_FULL);
    assert.equal(
      (await call(encodeMakeCredentialRequest(mc({ user: { id: new Uint8Array([99]) }, options: { rk: true } }))))[0],
      Status.CTAP2_ERR_KEY_STORE_FULL,
    );
    // Replacing an existing (RP, user) discoverable credential frees its slot for the new one.
    assert.equal(
      (await call(encodeMakeCredentialRequest(mc({ user: { id: new Uint8Array([0]) }, options: { rk: true } }))))[0],
      Status.CTAP2_OK,
    );
    assert.equal(env.store.countSlots(), max);

    // Every non-resident credential still signs through its 64-byte handle.
    for (const id of ids.filter((_, i) => i % 2 === 1)) {
      const r = await call(
        encodeGetAssertionRequest({
          rpId: 'badge.example',
          clientDataHash: hash('ga'),
          allowList: [{ type: 'public-key', id }],
        }),
      );
      assert.equal(r[0], Status.CTAP2_OK);
      assert.deepEqual(decodeGetAssertionResponse(r).credential.id, id);
    }
    // A handle presented for another RP does not open.
    const other = await call(
      encodeGetAssertionRequest({
        rpId: 'other.example',
        clientDataHash: hash('ga'),
        allowList: [{ type: 'public-key', id: ids[1]! }],
      }),
    );
    assert.equal(other[0], Status.CTAP2_ERR_NO_CREDENTIALS);
  });

  it('authenticatorReset frees every slot', async () => {
    const { call, env } = await badge();
    for (let i = 0; i < 3; i++) await call(encodeMakeCredentialRequest(mc({ user: { id: new Uint8Array([i]) } })));
    assert.equal(env.store.countSlots(), 3);
    assert.equal((await call(encodeSimpleCommand(Command.authenticatorReset)))[0], Status.CTAP2_OK);
    assert.equal(env.store.countSlots(), 0);
  });
});

describe('badge profile: appid and appidExclude (advertised in getInfo, processed on the device)', () => {
  const APPID = 'https://badge.example/appid.json';

  async function withU2fCredential(profile: 'badge' | 'default') {
    const env = testEnv();
    const config = defaultConfig(profileConfig(profile));
    const auth = await createAuthenticator(env, config);
    const call = (request: Uint8Array) => dispatchCtap2(auth, request, testContext(), commandPolicy(config));
    const apdu = encodeCommandApdu({
      ins: U2fIns.U2F_REGISTER,
      data: new Uint8Array([...hash('u2f challenge'), ...hash(APPID)]),
      ne: 65536,
    });
    const { sw, data } = decodeResponseApdu(await dispatchCtap1(new U2fAuthenticator(auth.core), apdu, testContext()));
    assert.equal(sw, StatusWord.SW_NO_ERROR);
    return { env, call, keyHandle: decodeRegisterResponse(data).keyHandle };
  }

  it('a U2F registration takes a slot and gets a 64-byte key handle', async () => {
    const { env, keyHandle } = await withU2fCredential('badge');
    assert.equal(keyHandle.length, 64);
    assert.equal(env.store.countSlots(), 1);
  });

  it('appidExclude: a U2F credential of that AppID in the excludeList is CREDENTIAL_EXCLUDED', async () => {
    const { call, keyHandle } = await withU2fCredential('badge');
    const excludeList = [{ type: 'public-key' as const, id: keyHandle }];
    assert.equal(
      (await call(encodeMakeCredentialRequest(mc({ excludeList }))))[0],
      Status.CTAP2_OK,
      'without appidExclude it is not ours for this RP',
    );
    const r = await call(
      encodeMakeCredentialRequest(mc({ excludeList, extensions: new Map([['appidExclude', APPID]]) })),
    );
    assert.equal(r[0], Status.CTAP2_ERR_CREDENTIAL_EXCLUDED);
  });

  it('appid: a U2F credential of that AppID answers, signed for the AppID hash', async () => {
    const { call, keyHandle } = await withU2fCredential('badge');
    const allowList = [{ type: 'public-key' as const, id: keyHandle }];
    const without = await call(
      encodeGetAssertionRequest({ rpId: 'badge.example', clientDataHash: hash('ga'), allowList }),
    );
    assert.equal(without[0], Status.CTAP2_ERR_NO_CREDENTIALS);
    const r = await call(
      encodeGetAssertionRequest({
        rpId: 'badge.example',
        clientDataHash: hash('ga'),
        allowList,
        extensions: new Map([['appid', APPID]]),
      }),
    );
    assert.equal(r[0], Status.CTAP2_OK);
    assert.deepEqual(parseAuthenticatorData(decodeGetAssertionResponse(r).authData).rpIdHash, hash(APPID));
  });

  it('the default profile does not offer them: the inputs are ignored', async () => {
    const { call, keyHandle } = await withU2fCredential('default');
    const id = keyHandle;
    const mcr = await call(
      encodeMakeCredentialRequest(
        mc({ excludeList: [{ type: 'public-key', id }], extensions: new Map([['appidExclude', APPID]]) }),
      ),
    );
    assert.equal(mcr[0], Status.CTAP2_OK);
    const ga = await call(
      encodeGetAssertionRequest({
        rpId: 'badge.example',
        clientDataHash: hash('ga'),
        allowList: [{ type: 'public-key', id }],
        extensions: new Map([['appid', APPID]]),
      }),
    );
    assert.equal(ga[0], Status.CTAP2_ERR_NO_CREDENTIALS);
  });
});
