/**
 * CTAP1/U2F wired into the device (src/main/device.ts): CTAPHID_MSG reaches the U2F dispatcher,
 * CTAPHID_INIT's NMSG capability is clear while U2F is offered (CTAP 2.1 §11.2.9.1.3), a profile
 * without U2F_V2 sets NMSG and refuses MSG with ERR_INVALID_CMD, and alwaysUv (§7.2) disables
 * U2F: MSG is refused and getInfo stops listing U2F_V2.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCommandApdu } from '../../src/ctap1/apdu.js';
import { Command } from '../../src/ctap2/commands.js';
import { encodeSimpleCommand } from '../../src/ctap2/hostCodec.js';
import { decodeGetInfoResponse } from '../../src/ctap2/getInfo.js';
import { Status } from '../../src/ctap2/status.js';
import { Assembler } from '../../src/ctaphid/assembler.js';
import {
  BROADCAST_CID,
  CtapHidCapability,
  CtapHidCommand as C,
  CtapHidErrorCode as E,
} from '../../src/ctaphid/constants.js';
import { fragment } from '../../src/ctaphid/fragmenter.js';
import { encode } from '../../src/encoding/cbor.js';
import { readU32be, toHex } from '../../src/encoding/bytes.js';
import { openDevice, type DeviceOptions } from '../../src/main/device.js';

async function hidDevice(config?: DeviceOptions['config']) {
  const device = await openDevice({
    dataDir: ':memory:',
    presence: { request: async () => 'approved' },
    ...(config && { config }),
  });
  const out: Uint8Array[] = [];
  const hid = device.createHidDevice((r) => out.push(r));
  const assembler = new Assembler();
  const call = async (cid: number, cmd: number, data: Uint8Array) => {
    for (const r of fragment(cid, cmd, data)) hid.receive(r);
    for (let i = 0; i < 200; i++) {
      for (const r of out.splice(0)) {
        const m = assembler.push(r);
        if (m.kind === 'message' && m.cmd !== C.CTAPHID_KEEPALIVE) return m;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error('no answer');
  };
  const init = await call(BROADCAST_CID, C.CTAPHID_INIT, new Uint8Array(8));
  assert.equal(init.kind, 'message');
  const data = (init as { data: Uint8Array }).data;
  return { device, call, cid: readU32be(data, 8), capabilities: data[16]! };
}

describe('U2F through CTAPHID_MSG', () => {
  it('default profile: NMSG clear, MSG answers U2F_V2', async () => {
    const d = await hidDevice();
    assert.equal(d.capabilities & CtapHidCapability.CAPABILITY_NMSG, 0);
    assert.equal(d.capabilities, CtapHidCapability.CAPABILITY_WINK | CtapHidCapability.CAPABILITY_CBOR);
    const r = await d.call(d.cid, C.CTAPHID_MSG, encodeCommandApdu({ ins: 3 }));
    assert.equal(Buffer.from((r as { data: Uint8Array }).data).toString('latin1'), 'U2F_V2\x90\x00');
    d.device.close();
  });

  it('a profile without U2F_V2: NMSG set, MSG is ERR_INVALID_CMD', async () => {
    const d = await hidDevice({ versions: ['FIDO_2_0', 'FIDO_2_1'] });
    assert.equal(d.capabilities & CtapHidCapability.CAPABILITY_NMSG, CtapHidCapability.CAPABILITY_NMSG);
    const r = await d.call(d.cid, C.CTAPHID_MSG, encodeCommandApdu({ ins: 3 }));
    assert.deepEqual([r.kind === 'message' && r.cmd, toHex((r as { data: Uint8Array }).data)], [C.CTAPHID_ERROR, '01']);
    d.device.close();
  });

  it('alwaysUv disables U2F: MSG is ERR_INVALID_CMD, getInfo drops U2F_V2', async () => {
    const d = await hidDevice();
    const info = async () =>
      decodeGetInfoResponse(
        (
          (await d.call(d.cid, C.CTAPHID_CBOR, encodeSimpleCommand(Command.authenticatorGetInfo))) as {
            data: Uint8Array;
          }
        ).data,
      );
    assert.ok((await info()).versions.includes('U2F_V2'));
    // authenticatorConfig toggleAlwaysUv (0x0D, subCommand 0x02): no PIN yet, so no pinUvAuthParam needed.
    const toggled = await d.call(d.cid, C.CTAPHID_CBOR, Uint8Array.from([0x0d, ...encode(new Map([[1, 2]]))]));
    assert.equal((toggled as { data: Uint8Array }).data[0], Status.CTAP2_OK);
    const after = await info();
    assert.equal(after.options?.alwaysUv, true);
    assert.deepEqual(after.versions, ['FIDO_2_0', 'FIDO_2_1', 'FIDO_2_3']);
    const r = await d.call(d.cid, C.CTAPHID_MSG, encodeCommandApdu({ ins: 3 }));
    assert.deepEqual(
      [r.kind === 'message' && r.cmd, toHex((r as { data: Uint8Array }).data)],
      [C.CTAPHID_ERROR, toHex(Uint8Array.of(E.ERR_INVALID_CMD))],
    );
    d.device.close();
  });
});
