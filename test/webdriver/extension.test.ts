/**
 * The WebAuthn WebDriver extension (WebAuthn L3 §11) as softkey serves it, without a browser: the
 * commands' errors (invalid argument / unsupported operation / unknown command), and each
 * Authenticator Configuration property seen where a page would see it, through the session's
 * bridge client (the router the page shim reaches), verified by @simplewebauthn/server.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { VirtualAuthenticators, WebDriverError } from '../../src/bridge/webdriverExtension.js';
import { openVirtualKey } from '../../src/main/webdriver.js';
import { readInfo } from '../../src/main/operations.js';
import { encode } from 'cbor2';
import { p256KeyPair } from '../helpers/keys.js';

const origin = 'http://localhost:8080';
const challenge = () => Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
const base = { protocol: 'ctap2_1', transport: 'usb' };

function creation(selection: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    rp: { id: 'localhost', name: 'T' },
    user: { id: 'dXNlci0x', name: 'ada', displayName: 'Ada' },
    challenge: challenge(),
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    authenticatorSelection: { userVerification: 'discouraged', ...selection },
    attestation: 'direct',
    ...extra,
  };
}

/** What @simplewebauthn/server expects of every ceremony here. */
const expect = (expectedChallenge: string) => ({
  expectedChallenge,
  expectedOrigin: origin,
  expectedRPID: 'localhost',
});
type Made = { authenticatorAttachment?: string; clientExtensionResults: Record<string, unknown> };

async function rejectsWith(p: Promise<unknown>, error: string, message?: RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof WebDriverError, `a WebDriverError, got ${String(e)}`);
    assert.equal(e.error, error);
    if (message) assert.match(e.message, message);
    return true;
  });
}

/** A P-256 key as WebDriver's Add Credential takes it (base64url PKCS#8), and its COSE public key (RFC 9053 §7.1.1). */
function p256Pkcs8(): { pkcs8: string; cose: Uint8Array } {
  const pair = p256KeyPair();
  const der = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
  const coordinate = (v: string | undefined) => new Uint8Array(Buffer.from(v!, 'base64url'));
  const cose = encode(
    new Map<number, unknown>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, coordinate(pair.jwk.x)],
      [-3, coordinate(pair.jwk.y)],
    ]),
  );
  return { pkcs8: der.toString('base64url'), cose };
}

describe('Add Virtual Authenticator (§11.4)', () => {
  it('refuses what is not an Authenticator Configuration with invalid argument, what softkey cannot be with unsupported operation', async () => {
    const db = new VirtualAuthenticators(openVirtualKey);
    try {
      await rejectsWith(db.command('POST', '/authenticator', 'ctap2'), 'invalid argument', /JSON object/);
      await rejectsWith(
        db.command('POST', '/authenticator', { ...base, colour: 'red' }),
        'invalid argument',
        /colour is not/,
      );
      await rejectsWith(
        db.command('POST', '/authenticator', { transport: 'usb' }),
        'invalid argument',
        /protocol is required/,
      );
      await rejectsWith(
        db.command('POST', '/authenticator', { ...base, transport: 'carrier-pigeon' }),
        'invalid argument',
        /transport/,
      );
      await rejectsWith(
        db.command('POST', '/authenticator', { ...base, hasResidentKey: 'yes' }),
        'invalid argument',
        /hasResidentKey/,
      );
      await rejectsWith(
        db.command('POST', '/authenticator', { ...base, defaultBackupState: true }),
        'invalid argument',
        /defaultBackupEligibility/,
      );
      await rejectsWith(
        db.command('POST', '/authenticator', { ...base, protocol: 'ctap1/u2f' }),
        'unsupported operation',
        /ctap1\/u2f/,
      );
      await rejectsWith(
        db.command('POST', '/authenticator', { ...base, extensions: ['uvm'] }),
        'unsupported operation',
        /uvm/,
      );
      await rejectsWith(
        db.command('POST', '/authenticator', { ...base, extensions: ['txAuthSimple'] }),
        'unsupported operation',
        /txAuthSimple/,
      );
      assert.deepEqual(db.ids(), [], 'nothing was added');
      assert.equal(new WebDriverError('invalid argument', '').status, 400);
      assert.equal(new WebDriverError('unsupported operation', '').status, 500);
    } finally {
      await db.close();
    }
  });

  it('protocol ctap2 is a CTAP 2.0 key, ctap2_1 a CTAP 2.1 one; transport, hasResidentKey and extensions are its getInfo', async () => {
    const ctap20 = await openVirtualKey({
      protocol: 'ctap2',
      transport: 'nfc',
      hasResidentKey: false,
      ctapExtensions: ['credProtect', 'hmac-secret'],
    });
    const ctap21 = await openVirtualKey({
      protocol: 'ctap2_1',
      transport: 'internal',
      hasResidentKey: true,
      ctapExtensions: ['credProtect', 'credBlob'],
    });
    try {
      const i20 = await readInfo(ctap20);
      const i21 = await readInfo(ctap21);
      assert.deepEqual(i20.versions, ['U2F_V2', 'FIDO_2_0']);
      assert.deepEqual(i20.extensions, ['hmac-secret']);
      assert.equal((i20.options as Record<string, boolean>).rk, false);
      assert.ok((i21.versions as string[]).includes('FIDO_2_1'));
      assert.deepEqual(i21.extensions, ['credProtect', 'credBlob']);
      assert.deepEqual(i21.transports, ['internal']);
      assert.equal((i21.options as Record<string, boolean>).rk, true);
      assert.equal((i21.options as Record<string, boolean>).plat, true);
    } finally {
      await ctap20.close();
      await ctap21.close();
    }
  });
});

describe('virtual authenticators behind the page shim (the session router)', () => {
  it('no virtual authenticator: the page gets NotAllowedError', async () => {
    const db = new VirtualAuthenticators(openVirtualKey);
    await assert.rejects(db.router.create(creation() as never, { origin }), { name: 'NotAllowedError' });
    await assert.rejects(db.router.get({ challenge: challenge(), rpId: 'localhost' } as never, { origin }), {
      name: 'NotAllowedError',
    });
  });

  it("a resident credential: softkey's AAGUID and attestation, Get Credentials with its key, Remove Credential", async () => {
    const db = new VirtualAuthenticators(openVirtualKey);
    try {
      const id = (await db.command('POST', '/authenticator', { ...base, hasResidentKey: true })) as string;
      const options = creation({ residentKey: 'required' });
      const made = await db.router.create(options as never, { origin });
      const v = await verifyRegistrationResponse({
        ...expect(options.challenge),
        response: made as never,
        requireUserVerification: false,
      });
      assert.equal(v.verified, true);
      assert.equal(v.registrationInfo!.fmt, 'packed');
      const list = (await db.command('GET', `/authenticator/${id}/credentials`, undefined)) as Array<
        Record<string, unknown>
      >;
      assert.equal(list.length, 1);
      assert.equal(list[0]!.credentialId, made.id);
      assert.equal(list[0]!.isResidentCredential, true);
      assert.equal(list[0]!.userHandle, 'dXNlci0x');
      assert.equal(list[0]!.userName, 'ada');
      assert.equal(list[0]!.signCount, 0);
      assert.equal(typeof list[0]!.privateKey, 'string');
      assert.equal(await db.command('DELETE', `/authenticator/${id}/credentials/${made.id}`, undefined), null);
      assert.deepEqual(await db.command('GET', `/authenticator/${id}/credentials`, undefined), []);
      await rejectsWith(
        db.command('DELETE', `/authenticator/${id}/credentials/${made.id}`, undefined),
        'invalid argument',
        /no credential/,
      );
    } finally {
      await db.close();
    }
  });

  it('hasResidentKey false: residentKey required is refused; a server-side credential is listed, used, and removed', async () => {
    const db = new VirtualAuthenticators(openVirtualKey);
    try {
      const id = (await db.command('POST', '/authenticator', base)) as string;
      await assert.rejects(db.router.create(creation({ residentKey: 'required' }) as never, { origin }), {
        name: 'ConstraintError',
      });
      const made = await db.router.create(creation({ residentKey: 'discouraged' }) as never, { origin });
      const list = (await db.command('GET', `/authenticator/${id}/credentials`, undefined)) as Array<
        Record<string, unknown>
      >;
      assert.equal(list.length, 1);
      assert.equal(list[0]!.credentialId, made.id);
      assert.equal(list[0]!.isResidentCredential, false);
      assert.equal(list[0]!.rpId, 'localhost');
      assert.equal('userHandle' in list[0]!, false);
      const allow = {
        challenge: challenge(),
        rpId: 'localhost',
        allowCredentials: [{ type: 'public-key', id: made.id }],
      };
      const got = await db.router.get(allow as never, { origin });
      assert.equal(got.id, made.id);
      await db.command('DELETE', `/authenticator/${id}/credentials/${made.id}`, undefined);
      assert.deepEqual(await db.command('GET', `/authenticator/${id}/credentials`, undefined), []);
      await assert.rejects(db.router.get({ ...allow, challenge: challenge() } as never, { origin }), {
        name: 'NotAllowedError',
      });
    } finally {
      await db.close();
    }
  });

  it('isUserConsenting false: NotAllowedError', async () => {
    const db = new VirtualAuthenticators(openVirtualKey);
    try {
      await db.command('POST', '/authenticator', { ...base, isUserConsenting: false });
      await assert.rejects(db.router.create(creation() as never, { origin }), { name: 'NotAllowedError' });
    } finally {
      await db.close();
    }
  });

  it('hasUserVerification / isUserVerified / Set User Verified decide user verification', async () => {
    const db = new VirtualAuthenticators(openVirtualKey);
    const noUv = new VirtualAuthenticators(openVirtualKey);
    try {
      await noUv.command('POST', '/authenticator', base);
      await assert.rejects(noUv.router.create(creation({ userVerification: 'required' }) as never, { origin }), {
        name: 'NotAllowedError',
      });

      const id = (await db.command('POST', '/authenticator', {
        ...base,
        hasUserVerification: true,
        isUserVerified: true,
      })) as string;
      const options = creation({ userVerification: 'required' });
      const made = await db.router.create(options as never, { origin });
      const v = await verifyRegistrationResponse({
        ...expect(options.challenge),
        response: made as never,
        requireUserVerification: true,
      });
      assert.equal(v.verified, true, 'UV flag set');
      await rejectsWith(
        db.command('POST', `/authenticator/${id}/uv`, { isUserVerified: 'no' }),
        'invalid argument',
        /isUserVerified/,
      );
      assert.equal(await db.command('POST', `/authenticator/${id}/uv`, { isUserVerified: false }), null);
      const get = {
        challenge: challenge(),
        rpId: 'localhost',
        userVerification: 'required',
        allowCredentials: [{ type: 'public-key', id: made.id }],
      };
      await assert.rejects(db.router.get(get as never, { origin }), { name: 'NotAllowedError' });
      await db.command('POST', `/authenticator/${id}/uv`, { isUserVerified: true });
      const a = await db.router.get({ ...get, challenge: challenge() } as never, { origin });
      assert.equal(a.id, made.id);
    } finally {
      await db.close();
      await noUv.close();
    }
  });

  it('transport internal is a platform authenticator; extensions decide prf', async () => {
    const db = new VirtualAuthenticators(openVirtualKey);
    const plain = new VirtualAuthenticators(openVirtualKey);
    try {
      await db.command('POST', '/authenticator', {
        ...base,
        transport: 'internal',
        hasResidentKey: true,
        extensions: ['prf'],
      });
      await plain.command('POST', '/authenticator', base);
      const prf = { extensions: { prf: {} } };
      const made = (await db.router.create(creation({}, prf) as never, { origin })) as Made & {
        response: { transports: string[] };
      };
      assert.equal(made.authenticatorAttachment, 'platform');
      assert.deepEqual(made.response.transports, ['internal']);
      assert.deepEqual(made.clientExtensionResults.prf, { enabled: true });
      const without = (await plain.router.create(creation({}, prf) as never, { origin })) as Made;
      assert.equal(without.authenticatorAttachment, 'cross-platform');
      assert.notDeepEqual(without.clientExtensionResults.prf, { enabled: true });
    } finally {
      await db.close();
      await plain.close();
    }
  });

  it('defaultBackupEligibility/State and Set Credential Properties (§11.11)', async () => {
    const db = new VirtualAuthenticators(openVirtualKey);
    try {
      const config = { ...base, hasResidentKey: true, defaultBackupEligibility: true, defaultBackupState: true };
      const id = (await db.command('POST', '/authenticator', config)) as string;
      const made = await db.router.create(creation({ residentKey: 'required' }) as never, { origin });
      const [c] = (await db.command('GET', `/authenticator/${id}/credentials`, undefined)) as Array<
        Record<string, unknown>
      >;
      assert.equal(c!.backupEligibility, true);
      assert.equal(c!.backupState, true);
      assert.equal(
        await db.command('POST', `/authenticator/${id}/credentials/${made.id}/props`, { backupState: false }),
        null,
      );
      const [after] = (await db.command('GET', `/authenticator/${id}/credentials`, undefined)) as Array<
        Record<string, unknown>
      >;
      assert.equal(after!.backupEligibility, true);
      assert.equal(after!.backupState, false);
      await rejectsWith(
        db.command('POST', `/authenticator/${id}/credentials/${made.id}/props`, { backupState: 1 }),
        'invalid argument',
        /backupState/,
      );
      await rejectsWith(
        db.command('POST', `/authenticator/${id}/credentials/AAAAAAAAAAAAAAAAAAAAAA/props`, {}),
        'invalid argument',
        /no credential/,
      );
    } finally {
      await db.close();
    }
  });
});

describe('Add Credential (§11.6), Remove All Credentials (§11.9), Remove Virtual Authenticator (§11.5)', () => {
  it('a seeded resident credential signs with its key and counts on from its signCount', async () => {
    const db = new VirtualAuthenticators(openVirtualKey);
    try {
      const id = (await db.command('POST', '/authenticator', { ...base, hasResidentKey: true })) as string;
      const key = p256Pkcs8();
      const credentialId = Buffer.alloc(16, 7).toString('base64url');
      const credential = {
        credentialId,
        isResidentCredential: true,
        rpId: 'localhost',
        privateKey: key.pkcs8,
        userHandle: 'dXNlci0y',
        signCount: 5,
      };
      assert.equal(await db.command('POST', `/authenticator/${id}/credential`, credential), null);
      const options = { challenge: challenge(), rpId: 'localhost', userVerification: 'discouraged' };
      const a = await db.router.get(options as never, { origin });
      assert.equal(a.id, credentialId);
      const v = await verifyAuthenticationResponse({
        response: a as never,
        expectedChallenge: options.challenge,
        expectedOrigin: origin,
        expectedRPID: 'localhost',
        credential: { id: credentialId, publicKey: key.cose as Uint8Array<ArrayBuffer>, counter: 5 },
        requireUserVerification: false,
      });
      assert.equal(v.verified, true, 'signed with the seeded key');
      assert.equal(v.authenticationInfo.newCounter, 6);
      const [c] = (await db.command('GET', `/authenticator/${id}/credentials`, undefined)) as Array<
        Record<string, unknown>
      >;
      assert.equal(c!.privateKey, key.pkcs8, 'the same key comes back');
      assert.equal(c!.signCount, 6);
      assert.equal(await db.command('DELETE', `/authenticator/${id}/credentials`, undefined), null);
      assert.deepEqual(await db.command('GET', `/authenticator/${id}/credentials`, undefined), []);
      assert.equal(await db.command('DELETE', `/authenticator/${id}`, undefined), null);
      await rejectsWith(
        db.command('GET', `/authenticator/${id}/credentials`, undefined),
        'invalid argument',
        /no virtual authenticator/,
      );
    } finally {
      await db.close();
    }
  });

  it('refuses bad Credential Parameters with invalid argument', async () => {
    const db = new VirtualAuthenticators(openVirtualKey);
    try {
      const id = (await db.command('POST', '/authenticator', base)) as string;
      const key = p256Pkcs8();
      const credentialId = Buffer.alloc(16, 1).toString('base64url');
      const good = {
        credentialId,
        isResidentCredential: false,
        rpId: 'localhost',
        privateKey: key.pkcs8,
        signCount: 0,
      };
      const add = (p: unknown) => db.command('POST', `/authenticator/${id}/credential`, p);
      await rejectsWith(add({ ...good, credentialId: 'not base64url!' }), 'invalid argument', /credentialId/);
      await rejectsWith(add({ ...good, isResidentCredential: 'no' }), 'invalid argument', /isResidentCredential/);
      await rejectsWith(add({ ...good, privateKey: 42 }), 'invalid argument', /privateKey/);
      await rejectsWith(add({ ...good, privateKey: 'AAAA' }), 'invalid argument', /softkey/);
      await rejectsWith(add({ ...good, signCount: -1 }), 'invalid argument', /signCount/);
      await rejectsWith(
        add({ ...good, isResidentCredential: true, userHandle: 'dXNlcg' }),
        'invalid argument',
        /hasResidentKey/,
      );
      await rejectsWith(add({ ...good, largeBlob: 'AAAA' }), 'invalid argument', /largeBlob/);
      await rejectsWith(add({ ...good, credentialId: 'AQID' }), 'invalid argument', /16/);
      await rejectsWith(
        db.command('POST', '/authenticator/softkey-99/credential', good),
        'invalid argument',
        /softkey-99/,
      );
      await rejectsWith(db.command('PUT', `/authenticator/${id}/credentials`, {}), 'unknown command');
      assert.equal(await add(good), null);
      const list = (await db.command('GET', `/authenticator/${id}/credentials`, undefined)) as Array<
        Record<string, unknown>
      >;
      assert.deepEqual(
        list.map((c) => [c.credentialId, c.isResidentCredential]),
        [[good.credentialId, false]],
      );
    } finally {
      await db.close();
    }
  });
});
