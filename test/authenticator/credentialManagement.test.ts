/**
 * authenticatorCredentialManagement (CTAP 2.1 §6.8) and its preview command 0x41, through
 * dispatchCtap2 bytes, with pinUvAuthTokens of both PIN/UV auth protocols.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decode as cbor2Decode } from 'cbor2';
import { parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { Command } from '../../src/ctap2/commands.js';
import { PinUvAuthTokenPermission as Perm } from '../../src/ctap2/clientPin.js';
import {
  encodeCredentialManagementCall,
  encodeSimpleCommand,
  type PinUvAuthSession,
} from '../../src/ctap2/hostCodec.js';
import { decodeMakeCredentialResponse } from '../../src/ctap2/makeCredential.js';
import { encodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import {
  CredentialManagementSubCommand as CM,
  decodeCredentialManagementRequest,
  decodeCredentialManagementResponse,
  type CredentialManagementRequest,
} from '../../src/ctap2/credentialManagement.js';
import { platformProtocol } from '../../src/ctap2/pinUvAuthProtocol.js';
import { CtapError, Status } from '../../src/ctap2/status.js';
import { concat, equal } from '../../src/encoding/bytes.js';
import { encode, type Encodable } from '../../src/encoding/cbor.js';
import { managementDevice, sha256, VERSIONS, type ManagementDevice } from './managementDevice.js';

const cm = (d: ManagementDevice, p: CredentialManagementRequest, session?: PinUvAuthSession, preview = false) =>
  d.call(
    encodeCredentialManagementCall(
      p,
      session,
      preview ? Command.authenticatorCredentialManagementPreview : Command.authenticatorCredentialManagement,
    ),
  );
const cred = (id: Uint8Array) => ({ type: 'public-key', id });
const cmOk = async (
  d: ManagementDevice,
  p: CredentialManagementRequest,
  session?: PinUvAuthSession,
  preview = false,
) => {
  const r = await cm(d, p, session, preview);
  assert.equal(r[0], Status.CTAP2_OK, `subCommand ${p.subCommand}: status 0x${r[0]!.toString(16)}`);
  return decodeCredentialManagementResponse(r);
};
const cmStatus = async (d: ManagementDevice, p: CredentialManagementRequest, session?: PinUvAuthSession) =>
  (await cm(d, p, session))[0];

/** Three discoverable credentials on two RPs (one at credProtect 3), then a PIN. */
async function populated() {
  const d = await managementDevice();
  const a1 = await d.residentCredential('a.example', [1]);
  const a2 = await d.residentCredential('a.example', [2], undefined, new Map<string, Encodable>([['credProtect', 3]]));
  const b1 = await d.residentCredential('b.example', [3]);
  await d.setPin();
  return { d, a1, a2, b1 };
}

describe('credentialManagement: the subcommands with both PIN/UV auth protocols', () => {
  for (const v of VERSIONS) {
    it(`protocol ${v}: metadata, RP and credential enumeration, update, delete`, async () => {
      const { d, a1, a2, b1 } = await populated();
      const t = await d.token(v, Perm.cm);

      const meta = await cmOk(d, { subCommand: CM.getCredsMetadata }, t);
      assert.equal(meta.existingResidentCredentialsCount, 3);
      assert.equal(meta.maxPossibleRemainingResidentCredentialsCount, 10000 - 3);

      const first = await cmOk(d, { subCommand: CM.enumerateRPsBegin }, t);
      assert.equal(first.totalRPs, 2);
      const second = await cmOk(d, { subCommand: CM.enumerateRPsGetNextRP });
      assert.equal(second.totalRPs, undefined, 'totalRPs only in the first answer');
      const rps = [first, second].map((r) => r.rp!.id).sort();
      assert.deepEqual(rps, ['a.example', 'b.example']);
      for (const r of [first, second]) {
        assert.ok(equal(r.rpIDHash!, sha256(r.rp!.id)), 'rpIDHash is SHA-256(rp.id)');
        assert.equal(r.rp!.name, `RP ${r.rp!.id}`);
      }
      assert.equal(
        await cmStatus(d, { subCommand: CM.enumerateRPsGetNextRP }),
        Status.CTAP2_ERR_NOT_ALLOWED,
        'past the last RP',
      );

      const c1 = await cmOk(
        d,
        { subCommand: CM.enumerateCredentialsBegin, subCommandParams: { rpIDHash: sha256('a.example') } },
        t,
      );
      assert.equal(c1.totalCredentials, 2);
      const c2 = await cmOk(d, { subCommand: CM.enumerateCredentialsGetNextCredential });
      assert.equal(c2.totalCredentials, undefined);
      const byId = new Map([c1, c2].map((c) => [Buffer.from(c.credentialID!.id).toString('hex'), c]));
      const e1 = byId.get(Buffer.from(a1).toString('hex'))!;
      const e2 = byId.get(Buffer.from(a2).toString('hex'))!;
      assert.ok(e1 && e2, 'both credential IDs enumerated');
      assert.deepEqual(e1.user, { id: new Uint8Array([1]), name: 'user1', displayName: 'User 1' });
      assert.equal(e1.credProtect, 1);
      assert.equal(e2.credProtect, 3);
      assert.equal(e1.credentialID!.type, 'public-key');
      assert.equal(e1.publicKey!.get(1), 2, 'COSE kty EC2');
      assert.equal(e1.publicKey!.get(3), -7, 'COSE alg ES256');
      assert.equal(
        await cmStatus(d, { subCommand: CM.enumerateCredentialsGetNextCredential }),
        Status.CTAP2_ERR_NOT_ALLOWED,
      );

      // updateUserInformation: name replaced, an empty displayName removed.
      await cmOk(
        d,
        {
          subCommand: CM.updateUserInformation,
          subCommandParams: {
            credentialID: cred(a1),
            user: { id: new Uint8Array([1]), name: 'renamed', displayName: '' },
          },
        },
        t,
      );
      const updated = d.env.store.getResident(a1)!;
      assert.equal(updated.userName, 'renamed');
      assert.equal(updated.userDisplayName, undefined);
      assert.equal(
        await cmStatus(
          d,
          {
            subCommand: CM.updateUserInformation,
            subCommandParams: { credentialID: cred(a1), user: { id: new Uint8Array([9]), name: 'x' } },
          },
          t,
        ),
        Status.CTAP1_ERR_INVALID_PARAMETER,
        'another user ID',
      );

      // deleteCredential.
      await cmOk(d, { subCommand: CM.deleteCredential, subCommandParams: { credentialID: cred(b1) } }, t);
      assert.equal(d.env.store.getResident(b1), undefined);
      assert.equal(
        await cmStatus(d, { subCommand: CM.deleteCredential, subCommandParams: { credentialID: cred(b1) } }, t),
        Status.CTAP2_ERR_NO_CREDENTIALS,
        'already deleted',
      );
      assert.equal((await cmOk(d, { subCommand: CM.getCredsMetadata }, t)).existingResidentCredentialsCount, 2);
      assert.equal(
        await cmStatus(
          d,
          { subCommand: CM.enumerateCredentialsBegin, subCommandParams: { rpIDHash: sha256('b.example') } },
          t,
        ),
        Status.CTAP2_ERR_NO_CREDENTIALS,
      );
      const rpsAfter = await cmOk(d, { subCommand: CM.enumerateRPsBegin }, t);
      assert.equal(rpsAfter.totalRPs, 1);
    });
  }

  it('reports the public key the credential was made with, and a largeBlobKey when it has one', async () => {
    const d = await managementDevice();
    const r = await d.makeCredential({
      rp: { id: 'k.example' },
      user: { id: new Uint8Array([7]) },
      options: { rk: true },
    });
    const acd = parseAuthenticatorData(decodeMakeCredentialResponse(r).authData).attestedCredentialData!;
    const stored = d.env.store.getResident(acd.credentialId)!;
    d.env.store.putResident({
      ...stored,
      credentialId: new Uint8Array([0xaa, 0xbb]),
      userId: new Uint8Array([8]),
      largeBlobKey: new Uint8Array(32).fill(5),
    });
    await d.setPin();
    const t = await d.token(2, Perm.cm);
    const first = await cmOk(
      d,
      { subCommand: CM.enumerateCredentialsBegin, subCommandParams: { rpIDHash: sha256('k.example') } },
      t,
    );
    const next = await cmOk(d, { subCommand: CM.enumerateCredentialsGetNextCredential });
    const made = [first, next].find((c) => equal(c.credentialID!.id, acd.credentialId))!;
    const withKey = [first, next].find((c) => equal(c.credentialID!.id, new Uint8Array([0xaa, 0xbb])))!;
    assert.ok(equal(encode(made.publicKey!), acd.credentialPublicKey), 'publicKey is the attested COSE_Key');
    assert.equal(made.largeBlobKey, undefined);
    assert.ok(equal(withKey.largeBlobKey!, new Uint8Array(32).fill(5)));
  });

  it('enumerateCredentials gives thirdPartyPayment (0x0C, CTAP 2.2 §6.8) true for a payment credential, nothing for others', async () => {
    const d = await managementDevice();
    const paying = await d.residentCredential(
      'pay.example',
      [1],
      undefined,
      new Map<string, Encodable>([['thirdPartyPayment', true]]),
    );
    await d.residentCredential('pay.example', [2]);
    await d.setPin();
    const t = await d.token(2, Perm.cm);
    const raw = [
      await cm(
        d,
        { subCommand: CM.enumerateCredentialsBegin, subCommandParams: { rpIDHash: sha256('pay.example') } },
        t,
      ),
      await cm(d, { subCommand: CM.enumerateCredentialsGetNextCredential }),
    ];
    // Read with cbor2, apart from softkey's codecs: member 0x07 credentialID, 0x0C thirdPartyPayment.
    const members = raw.map(
      (r) => (assert.equal(r[0], Status.CTAP2_OK), cbor2Decode(r.subarray(1)) as Map<number, unknown>),
    );
    const isPaying = (m: Map<number, unknown>) => equal((m.get(0x07) as { id: Uint8Array }).id, paying);
    assert.equal(members.filter(isPaying).length, 1);
    for (const m of members) assert.equal(m.get(0x0c), isPaying(m) ? true : undefined);
    assert.equal(
      decodeCredentialManagementResponse(raw.find((r) => isPaying(cbor2Decode(r.subarray(1)) as Map<number, unknown>))!)
        .thirdPartyPayment,
      true,
    );
  });

  it('the preview command 0x41 answers like 0x0A', async () => {
    const { d } = await populated();
    for (const v of VERSIONS) {
      const t = await d.token(v, Perm.cm);
      const meta = await cmOk(d, { subCommand: CM.getCredsMetadata }, t, true);
      assert.equal(meta.existingResidentCredentialsCount, 3);
      const first = await cmOk(d, { subCommand: CM.enumerateRPsBegin }, t, true);
      assert.equal(first.totalRPs, 2);
      await cmOk(d, { subCommand: CM.enumerateRPsGetNextRP }, undefined, true);
    }
  });

  it('an empty authenticator has no RPs or credentials to enumerate', async () => {
    const d = await managementDevice();
    await d.setPin();
    const t = await d.token(1, Perm.cm);
    const meta = await cmOk(d, { subCommand: CM.getCredsMetadata }, t);
    assert.deepEqual(meta, {
      existingResidentCredentialsCount: 0,
      maxPossibleRemainingResidentCredentialsCount: 10000,
    });
    assert.equal(await cmStatus(d, { subCommand: CM.enumerateRPsBegin }, t), Status.CTAP2_ERR_NO_CREDENTIALS);
    assert.equal(
      await cmStatus(
        d,
        { subCommand: CM.enumerateCredentialsBegin, subCommandParams: { rpIDHash: sha256('a.example') } },
        t,
      ),
      Status.CTAP2_ERR_NO_CREDENTIALS,
    );
    assert.equal(
      await cmStatus(
        d,
        { subCommand: CM.deleteCredential, subCommandParams: { credentialID: cred(new Uint8Array([1, 2, 3])) } },
        t,
      ),
      Status.CTAP2_ERR_NO_CREDENTIALS,
    );
  });
});

describe('credentialManagement: authorization', () => {
  for (const v of VERSIONS) {
    it(`protocol ${v}: PUAT_REQUIRED, MISSING_PARAMETER, INVALID_PARAMETER, PIN_AUTH_INVALID`, async () => {
      const { d } = await populated();
      const t = await d.token(v, Perm.cm);
      const raw = (m: Map<number, Encodable>) =>
        d.status(concat(new Uint8Array([Command.authenticatorCredentialManagement]), encode(m)));
      assert.equal(await cmStatus(d, { subCommand: CM.getCredsMetadata }), Status.CTAP2_ERR_PUAT_REQUIRED);
      const param = t.protocol.authenticate(t.pinUvAuthToken, new Uint8Array([CM.getCredsMetadata]));
      assert.equal(
        await raw(
          new Map<number, Encodable>([
            [1, CM.getCredsMetadata],
            [4, param],
          ]),
        ),
        Status.CTAP2_ERR_MISSING_PARAMETER,
        'no pinUvAuthProtocol',
      );
      assert.equal(
        await raw(
          new Map<number, Encodable>([
            [1, CM.getCredsMetadata],
            [3, 3],
            [4, param],
          ]),
        ),
        Status.CTAP1_ERR_INVALID_PARAMETER,
        'protocol 3',
      );
      assert.equal(
        await raw(
          new Map<number, Encodable>([
            [1, CM.getCredsMetadata],
            [3, v],
            [4, param],
          ]),
        ),
        Status.CTAP2_OK,
        'the same request, well formed',
      );
      const bad = new Uint8Array(param);
      bad[0]! ^= 1;
      assert.equal(
        await raw(
          new Map<number, Encodable>([
            [1, CM.getCredsMetadata],
            [3, v],
            [4, bad],
          ]),
        ),
        Status.CTAP2_ERR_PIN_AUTH_INVALID,
        'wrong MAC',
      );
      // The MAC covers subCommandParams: authenticating another RP's hash fails.
      const otherParam = t.protocol.authenticate(
        t.pinUvAuthToken,
        concat(new Uint8Array([CM.enumerateCredentialsBegin]), encode(new Map([[1, sha256('b.example')]]))),
      );
      assert.equal(
        await raw(
          new Map<number, Encodable>([
            [1, CM.enumerateCredentialsBegin],
            [2, new Map([[1, sha256('a.example')]])],
            [3, v],
            [4, otherParam],
          ]),
        ),
        Status.CTAP2_ERR_PIN_AUTH_INVALID,
      );
    });

    it(`protocol ${v}: a token without cm, or from another protocol, is refused`, async () => {
      const { d } = await populated();
      const mcga = await d.token(v, Perm.mc | Perm.ga);
      assert.equal(await cmStatus(d, { subCommand: CM.getCredsMetadata }, mcga), Status.CTAP2_ERR_PIN_AUTH_INVALID);
      const legacy = await d.token(v); // getPinToken: mc and ga only
      assert.equal(await cmStatus(d, { subCommand: CM.enumerateRPsBegin }, legacy), Status.CTAP2_ERR_PIN_AUTH_INVALID);
      const t = await d.token(v, Perm.cm);
      const other = platformProtocol(VERSIONS.find((x) => x !== v)!);
      assert.equal(
        await cmStatus(d, { subCommand: CM.getCredsMetadata }, { protocol: other, pinUvAuthToken: t.pinUvAuthToken }),
        Status.CTAP2_ERR_PIN_AUTH_INVALID,
        'other protocol',
      );
      assert.equal(await cmStatus(d, { subCommand: CM.getCredsMetadata }, t), Status.CTAP2_OK);
      await d.token(v, Perm.cm);
      assert.equal(
        await cmStatus(d, { subCommand: CM.getCredsMetadata }, t),
        Status.CTAP2_ERR_PIN_AUTH_INVALID,
        'superseded token',
      );
    });

    it(`protocol ${v}: a token bound to an RP ID manages only that RP`, async () => {
      const { d, a1, b1 } = await populated();
      const t = await d.token(v, Perm.cm, 'a.example');
      assert.equal(await cmStatus(d, { subCommand: CM.getCredsMetadata }, t), Status.CTAP2_ERR_PIN_AUTH_INVALID);
      assert.equal(await cmStatus(d, { subCommand: CM.enumerateRPsBegin }, t), Status.CTAP2_ERR_PIN_AUTH_INVALID);
      assert.equal(
        (
          await cmOk(
            d,
            { subCommand: CM.enumerateCredentialsBegin, subCommandParams: { rpIDHash: sha256('a.example') } },
            t,
          )
        ).totalCredentials,
        2,
      );
      assert.equal(
        await cmStatus(
          d,
          { subCommand: CM.enumerateCredentialsBegin, subCommandParams: { rpIDHash: sha256('b.example') } },
          t,
        ),
        Status.CTAP2_ERR_PIN_AUTH_INVALID,
      );
      assert.equal(
        await cmStatus(d, { subCommand: CM.deleteCredential, subCommandParams: { credentialID: cred(b1) } }, t),
        Status.CTAP2_ERR_PIN_AUTH_INVALID,
      );
      assert.equal(
        await cmStatus(
          d,
          {
            subCommand: CM.updateUserInformation,
            subCommandParams: { credentialID: cred(b1), user: { id: new Uint8Array([3]), name: 'x' } },
          },
          t,
        ),
        Status.CTAP2_ERR_PIN_AUTH_INVALID,
      );
      assert.ok(d.env.store.getResident(b1), 'b.example credential untouched');
      await cmOk(d, { subCommand: CM.deleteCredential, subCommandParams: { credentialID: cred(a1) } }, t);
      assert.equal(d.env.store.getResident(a1), undefined);
    });
  }

  it('without a PIN there is no token, so every authenticated subcommand needs one', async () => {
    const d = await managementDevice();
    await d.residentCredential('a.example', [1]);
    assert.equal(await cmStatus(d, { subCommand: CM.getCredsMetadata }), Status.CTAP2_ERR_PUAT_REQUIRED);
    assert.equal(await d.tokenOrStatus(2, Perm.cm), Status.CTAP2_ERR_PIN_NOT_SET);
  });
});

describe('credentialManagement: enumeration state and decoding', () => {
  it('GetNext without a Begin, after another command, or after another subcommand is NOT_ALLOWED', async () => {
    const { d } = await populated();
    const t = await d.token(2, Perm.cm);
    assert.equal(await cmStatus(d, { subCommand: CM.enumerateRPsGetNextRP }), Status.CTAP2_ERR_NOT_ALLOWED);
    assert.equal(
      await cmStatus(d, { subCommand: CM.enumerateCredentialsGetNextCredential }),
      Status.CTAP2_ERR_NOT_ALLOWED,
    );

    await cmOk(d, { subCommand: CM.enumerateRPsBegin }, t);
    assert.equal(await d.status(encodeSimpleCommand(Command.authenticatorGetInfo)), Status.CTAP2_OK);
    assert.equal(
      await cmStatus(d, { subCommand: CM.enumerateRPsGetNextRP }),
      Status.CTAP2_ERR_NOT_ALLOWED,
      'getInfo ended it',
    );

    await cmOk(d, { subCommand: CM.enumerateRPsBegin }, t);
    await cmOk(d, { subCommand: CM.getCredsMetadata }, t);
    assert.equal(
      await cmStatus(d, { subCommand: CM.enumerateRPsGetNextRP }),
      Status.CTAP2_ERR_NOT_ALLOWED,
      'another subcommand ended it',
    );

    await cmOk(d, { subCommand: CM.enumerateCredentialsBegin, subCommandParams: { rpIDHash: sha256('a.example') } }, t);
    assert.equal(
      await cmStatus(d, { subCommand: CM.enumerateRPsGetNextRP }),
      Status.CTAP2_ERR_NOT_ALLOWED,
      'not an RP enumeration',
    );
    await cmOk(d, { subCommand: CM.enumerateCredentialsBegin, subCommandParams: { rpIDHash: sha256('a.example') } }, t);
    await d.call(encodeGetAssertionRequest({ rpId: 'a.example', clientDataHash: sha256('x') }));
    assert.equal(
      await cmStatus(d, { subCommand: CM.enumerateCredentialsGetNextCredential }),
      Status.CTAP2_ERR_NOT_ALLOWED,
      'getAssertion ended it',
    );
    // (A getAssertion with user presence also clears the token's permissions but lbw, §6.2.2 step 9.4.)
    assert.equal(await cmStatus(d, { subCommand: CM.getCredsMetadata }, t), Status.CTAP2_ERR_PIN_AUTH_INVALID);

    await cmOk(
      d,
      { subCommand: CM.enumerateCredentialsBegin, subCommandParams: { rpIDHash: sha256('a.example') } },
      await d.token(2, Perm.cm),
    );
    d.auth.powerCycle();
    assert.equal(
      await cmStatus(d, { subCommand: CM.enumerateCredentialsGetNextCredential }),
      Status.CTAP2_ERR_NOT_ALLOWED,
      'power cycle ended it',
    );
  });

  it('missing subCommandParams members, unknown subcommands and malformed CBOR get the spec statuses', async () => {
    const { d, a1 } = await populated();
    const t = await d.token(1, Perm.cm);
    assert.equal(
      await cmStatus(d, { subCommand: CM.enumerateCredentialsBegin }, t),
      Status.CTAP2_ERR_MISSING_PARAMETER,
    );
    assert.equal(await cmStatus(d, { subCommand: CM.deleteCredential }, t), Status.CTAP2_ERR_MISSING_PARAMETER);
    assert.equal(
      await cmStatus(d, { subCommand: CM.updateUserInformation, subCommandParams: { credentialID: cred(a1) } }, t),
      Status.CTAP2_ERR_MISSING_PARAMETER,
    );
    assert.equal(await cmStatus(d, { subCommand: 0x08 }, t), Status.CTAP2_ERR_INVALID_SUBCOMMAND);
    const raw = (body: Uint8Array) =>
      d.status(concat(new Uint8Array([Command.authenticatorCredentialManagement]), body));
    assert.equal(await raw(encode(new Map([[2, new Map()]]))), Status.CTAP2_ERR_MISSING_PARAMETER, 'no subCommand');
    assert.equal(await raw(encode(new Map([[1, 'one']]))), Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    assert.equal(
      await raw(
        encode(
          new Map<number, Encodable>([
            [1, 4],
            [2, 5],
          ]),
        ),
      ),
      Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
      'subCommandParams not a map',
    );
    assert.equal(
      await raw(
        encode(
          new Map<number, Encodable>([
            [1, 4],
            [2, new Map([[1, 'hash']])],
          ]),
        ),
      ),
      Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
      'rpIDHash not bytes',
    );
    assert.equal(
      await raw(
        encode(
          new Map<number, Encodable>([
            [1, 6],
            [2, new Map([[2, { id: new Uint8Array(1) }]])],
          ]),
        ),
      ),
      Status.CTAP2_ERR_MISSING_PARAMETER,
      'credentialID without type',
    );
    assert.equal(await raw(new Uint8Array([0xa1, 0x01])), Status.CTAP2_ERR_INVALID_CBOR);
    assert.equal(await raw(new Uint8Array(0)), Status.CTAP2_ERR_INVALID_CBOR);
  });

  it('the decoder keeps the exact subCommandParams bytes the MAC covers', () => {
    const params = new Map<number, Encodable>([
      [2, { id: new Uint8Array([1, 2]), type: 'public-key' }],
      [3, { id: new Uint8Array([1]), name: 'n' }],
    ]);
    const req = decodeCredentialManagementRequest(
      encode(
        new Map<number, Encodable>([
          [1, 7],
          [2, params],
        ]),
      ),
    );
    assert.ok(equal(req.subCommandParamsEncoded!, encode(params)));
    assert.deepEqual(req.subCommandParams!.user, { id: new Uint8Array([1]), name: 'n' });
    assert.throws(
      () =>
        decodeCredentialManagementRequest(
          encode(
            new Map<number, Encodable>([
              [1, 7],
              [2, new Map([[3, { id: new Uint8Array(65) }]])],
            ]),
          ),
        ),
      (e: unknown) => e instanceof CtapError && e.status === Status.CTAP1_ERR_INVALID_LENGTH,
    );
  });
});
