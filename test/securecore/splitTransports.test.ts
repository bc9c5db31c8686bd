/**
 * Split mode over every HID transport (issue #17 step 4): `softkey start --split --ws … --tcp-hid … --usbip …`
 * attaches each transport's report port to the split front (main/hidFront.ts attachHid), so a
 * credential registered over WebSocket is used over TCP HID and over UDP: three CtapHidDevices, one
 * front, one secure core. @simplewebauthn/server checks the registration and every assertion.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { WebAuthnClient } from '../../src/client/webauthnClient.js';
import { TESTING_TIMEOUTS } from '../../src/client/ceremony.js';
import { randomBytes } from '../../src/crypto/aead.js';
import { CtapHidHost } from '../../src/ctaphid/hostDevice.js';
import * as b64u from '../../src/encoding/base64url.js';
import { connectSoftKey } from '../../src/main/softkey.js';
import { connectTcpHid } from '../../src/transport/tcpHid.js';
import { freeTcpPort, startSoftkeyProcess } from '../interop/startDevice.js';
import { LEDGER_USB_VENDOR_ID, SOFTKEY_USB_VENDOR_ID } from '../../src/transport/softkeyUsbDevices.js';
import { devlist } from '../transport/usbipTestClient.js';

const ORIGIN = 'https://example.test';
const RP_ID = 'example.test';

it('--split serves WebSocket, TCP HID, USB/IP and UDP from one secure core', { timeout: 90_000 }, async () => {
  const [wsPort, tcpPort, usbipPort, apduPort] = [
    await freeTcpPort(),
    await freeTcpPort(),
    await freeTcpPort(),
    await freeTcpPort(),
  ];
  const device = await startSoftkeyProcess({
    args: [
      '--split',
      '--ws',
      `127.0.0.1:${wsPort}`,
      '--tcp-hid',
      `127.0.0.1:${tcpPort}`,
      '--usbip',
      `127.0.0.1:${usbipPort}`,
      '--apdu',
      `127.0.0.1:${apduPort}`,
    ],
    readyPattern: /presence: auto/,
    readyTimeoutMs: 40_000,
  });
  const closers: Array<() => Promise<unknown>> = [() => device.stop()];
  try {
    const url = /CTAPHID over WebSocket on (ws:\/\/\S+)/.exec(device.output())?.[1];
    assert.ok(url, `the WebSocket URL is printed:\n${device.output()}`);
    assert.match(
      device.output(),
      new RegExp(`CTAPHID over TCP \\(pico-fido emulation framing\\) on 127\\.0\\.0\\.1:${tcpPort}`),
    );
    // USB/IP exports the FIDO key and, as --apdu is on, the core's Filecoin app as a Ledger-style device.
    assert.match(device.output(), /the Filecoin app is busid 1-2/);
    const listed = (await devlist(usbipPort)).devices;
    assert.deepEqual(
      listed.map((d) => [d.busid, d.idVendor]),
      [
        ['1-1', SOFTKEY_USB_VENDOR_ID],
        ['1-2', LEDGER_USB_VENDOR_ID],
      ],
    );

    const overWs = await connectSoftKey({ ws: url });
    closers.unshift(() => overWs.close());
    const challenge = randomBytes(32);
    const made = await overWs.client.create(
      {
        rp: { id: RP_ID, name: 'Example' },
        user: { id: b64u.encode(randomBytes(16)), name: 'alice', displayName: 'Alice' },
        challenge: b64u.encode(challenge),
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      } as never,
      { origin: ORIGIN },
    );
    const registration = await verifyRegistrationResponse({
      response: made as never,
      expectedChallenge: b64u.encode(challenge),
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      requireUserVerification: false,
    });
    assert.ok(registration.verified, 'registered over WebSocket');

    const pipe = await connectTcpHid({ port: tcpPort });
    closers.unshift(() => pipe.close());
    const tcpHost = new CtapHidHost(pipe, { rng: randomBytes });
    await tcpHost.init();
    const overTcp = new WebAuthnClient({ cbor: (request) => tcpHost.cbor(request) }, { timeouts: TESTING_TIMEOUTS });
    const overUdp = await connectSoftKey({
      udp: `127.0.0.1:${device.udpPort}`,
      replyTo: `127.0.0.1:${device.replyPort}`,
    });
    closers.unshift(() => overUdp.close());

    let counter = registration.registrationInfo!.credential.counter;
    for (const [name, client] of [
      ['TCP HID', overTcp],
      ['UDP', overUdp.client],
      ['WebSocket', overWs.client],
    ] as const) {
      const challenge = randomBytes(32);
      const assertion = await client.get(
        {
          challenge: b64u.encode(challenge),
          rpId: RP_ID,
          allowCredentials: [{ type: 'public-key', id: made.id }],
        } as never,
        { origin: ORIGIN },
      );
      assert.equal(assertion.id, made.id, name);
      const verified = await verifyAuthenticationResponse({
        response: assertion as never,
        expectedChallenge: b64u.encode(challenge),
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        credential: { ...registration.registrationInfo!.credential, counter },
        requireUserVerification: false,
      });
      assert.ok(verified.verified, `asserted over ${name}`);
      assert.ok(verified.authenticationInfo.newCounter > counter, `the core's counter grows over ${name}`);
      counter = verified.authenticationInfo.newCounter;
    }
  } finally {
    for (const close of closers) await close();
  }
});
