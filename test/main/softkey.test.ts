/** openSoftKey in-process and over UDP, and connectSoftKey as an outside client. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectSoftKey, openSoftKey } from '../../src/main/softkey.js';
import { Command } from '../../src/ctap2/commands.js';
import { decodeGetAssertionResponse, decodeGetInfoResponse, decodeMakeCredentialResponse, encodeGetAssertionRequest, encodeMakeCredentialRequest, encodeSimpleCommand } from '../../src/ctap2/hostCodec.js';
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
    const key = await openSoftKey({ dataDir: ':memory:', udp: `127.0.0.1:${devicePort}`, replyTo: `127.0.0.1:${replyPort}` });
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
      const a = decodeGetAssertionResponse(await client.cbor(encodeGetAssertionRequest({ rpId: 'udp.example', clientDataHash: new Uint8Array(32) })));
      assert.deepEqual(a.credential.id, id);
      // Reset is refused 10 s after power-up; a power cycle (magic report) reopens the window.
      const channelBefore = client.hid.cid;
      client.powerCycle();
      await new Promise((r) => setTimeout(r, 50));
      assert.equal((await client.cbor(encodeSimpleCommand(Command.authenticatorReset)))[0], Status.CTAP2_OK);
      assert.notEqual(client.hid.cid, undefined);
      assert.ok(channelBefore !== undefined);
      assert.equal((await client.cbor(encodeGetAssertionRequest({ rpId: 'udp.example', clientDataHash: new Uint8Array(32) })))[0], Status.CTAP2_ERR_NO_CREDENTIALS);
    } finally {
      await client.close();
      await key.close();
    }
  });
});
