/**
 * The short run of the wire fuzzers (issue #18; `npm run fuzz` is the long one): random and
 * structure-aware CTAPHID reports, mutated CTAP2 requests of every command, mutated U2F and
 * Filecoin APDUs, random TCP-HID frames and WebSocket messages. None may crash the device, hang
 * it, draw a catch-all answer (CTAP1_ERR_OTHER 0x7F, SW 6F00) or a reply outside the protocol.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { formatFuzzReport, fuzzPassed, runFuzz } from '../../scripts/fuzz.js';

it('wire fuzzers: no crash, hang, 0x7F/6F00 or malformed reply', { timeout: 300_000 }, async () => {
  const seed = Math.floor(Math.random() * 2 ** 31);
  const r = await runFuzz({ reports: 3000, cbor: 4000, apdu: 3000, frames: 300, seed });
  console.log(formatFuzzReport(r));
  for (const [name, t] of Object.entries(r.targets)) {
    assert.ok(t.inputs > 0, `${name} ran`);
    assert.deepEqual(t.findings, [], `${name}: findings (seed ${seed})`);
    assert.equal(t.crashes + t.hangs + t.other + t.malformed, 0, name);
  }
  // The inputs reach the commands, not only the decoders: some succeed, some fail deep inside.
  assert.ok((r.targets.ctap2.answers.CTAP2_OK ?? 0) > 0, 'some mutated CTAP2 requests succeed');
  const deep =
    (r.targets.ctap2.answers.CTAP2_ERR_PIN_AUTH_INVALID ?? 0) + (r.targets.ctap2.answers.CTAP2_ERR_NO_CREDENTIALS ?? 0);
  assert.ok(deep > 0, 'some reach the authenticator');
  assert.ok((r.targets.u2f.answers['SW 9000'] ?? 0) > 0, 'some U2F APDUs succeed');
  assert.ok((r.targets.filecoin.answers['SW 9000'] ?? 0) > 0, 'some Filecoin APDUs succeed');
  assert.ok(fuzzPassed(r));
});
