/** openSoftKey in-process and over UDP, and connectSoftKey as an outside client. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectSoftKey, openSoftKey } from '../../src/main/softkey.js';
import { Command } from '../../src/ctap2/commands.js';
import { encodeSimpleCommand } from '../../src/ctap2/hostCodec.js';
import { decodeGetAssertionResponse, encodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import { decodeGetInfoResponse } from '../../src/ctap2/getInfo.js';
import { decodeMakeCredentialResponse, encodeMakeCredentialRequest } from '../../src/ctap2/makeCredential.js';
import { parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { Status } from '../../src/ctap2/status.js';

const port = () => 20000 + Math.floor(Math.random() * 30000);

describe('openSoftKey / connectSoftKey', () => {
  it('serves CTAP2 in-process with no sockets', async () => {
    const key = await openSoftKey({ dataDir: ':memory:' });
    assert.equal(key.udpAddress, undefined);
    const info = decodeGetInfoResponse(await key.cbor(encodeSimpleCommand(Command.authenticatorGetInfo)));
    assert.ok(info.versions.includes('FIDO_2_1'));
    await key.close();
  });

  it('serves python-fido2-style UDP clients and power-cycles on the magic report', async () => {
    const [devicePort, replyPort] = [port(), port()];
    const key = await openSoftKey({
      dataDir: ':memory:',
      udp: `127.0.0.1:${devicePort}`,
      replyTo: `127.0.0.1:${replyPort}`,
    });
    const client = await connectSoftKey({ udp: `127.0.0.1:${devicePort}`, replyTo: `127.0.0.1:${replyPort}` });
    try {
      const made = decodeMakeCredentialResponse(
        await client.cbor(
          encodeMakeCredentialRequest({
            clientDataHash: new Uint8Array(32).fill(1),
            rp: { id: 'udp.example' },
            user: { id: new Uint8Array([1]) },
            pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
            options: { rk: true },
          }),
        ),
      );
      const id = parseAuthenticatorData(made.authData).attestedCredentialData!.credentialId;
      const a = decodeGetAssertionResponse(
        await client.cbor(encodeGetAssertionRequest({ rpId: 'udp.example', clientDataHash: new Uint8Array(32) })),
      );
      assert.deepEqual(a.credential.id, id);
      // A second credential: getAssertion leaves getNextAssertion state, which a power cycle drops.
      await client.cbor(
        encodeMakeCredentialRequest({
          clientDataHash: new Uint8Array(32).fill(2),
          rp: { id: 'udp.example' },
          user: { id: new Uint8Array([2]) },
          pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
          options: { rk: true },
        }),
      );
      const two = decodeGetAssertionResponse(
        await client.cbor(encodeGetAssertionRequest({ rpId: 'udp.example', clientDataHash: new Uint8Array(32) })),
      );
      assert.equal(two.numberOfCredentials, 2);
      // Reset is refused 10 s after power-up; a power cycle (magic report) reopens the window.
      const channelBefore = client.hid.cid;
      assert.ok(channelBefore !== undefined);
      client.powerCycle();
      await new Promise((r) => setTimeout(r, 50));
      // Volatile state is gone (CTAP 2.1 §6.3: getNextAssertion state does not survive) ...
      assert.equal(
        (await client.cbor(encodeSimpleCommand(Command.authenticatorGetNextAssertion)))[0],
        Status.CTAP2_ERR_NOT_ALLOWED,
      );
      // ... but the channel allocated before the magic report still works: no re-INIT happened.
      assert.equal(client.hid.cid, channelBefore);
      assert.equal((await client.cbor(encodeSimpleCommand(Command.authenticatorReset)))[0], Status.CTAP2_OK);
      assert.equal(client.hid.cid, channelBefore);
      // The control API's power cycle is a re-plug: every channel is forgotten; under the default
      // channel policy 'any' the old CID is simply taken again, so the client
      // goes on without a re-INIT (under 'allocated' it must INIT again: test/control/controller.test.ts).
      key.powerCycle();
      assert.equal((await client.cbor(encodeSimpleCommand(Command.authenticatorGetInfo)))[0], Status.CTAP2_OK);
      assert.equal(client.hid.cid, channelBefore);
      assert.equal(
        (await client.cbor(encodeGetAssertionRequest({ rpId: 'udp.example', clientDataHash: new Uint8Array(32) })))[0],
        Status.CTAP2_ERR_NO_CREDENTIALS,
      );
    } finally {
      await client.close();
      await key.close();
    }
  });
});
