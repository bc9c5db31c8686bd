/**
 * `npm run fuzz [-- --reports N --cbor N --apdu N --frames N --seed S]` (issue #18): the wire
 * fuzzers, each counting what a hostile input may never cause:
 *   - crashes: an exception that escapes (a rejected request, onInternalError, an uncaught error);
 *   - hangs: no answer within HANG_MS (a request), or the device no longer answering PING after a burst;
 *   - other: the catch-all answers that mean "bug" (CTAP1_ERR_OTHER 0x7F, U2F/APDU 6F00);
 *   - malformed: an answer outside the protocol (bad CTAPHID stream, unknown status, bad CBOR, bad SW,
 *     a TCP/WebSocket frame that is not one 64-byte report).
 * Targets: random and structure-aware CTAPHID reports (`--reports`); mutated CTAP2 requests, each
 * starting from a valid encoded request of every command and mutated at the byte level or in its
 * CBOR structure (`--cbor`); mutated U2F APDUs over CTAPHID_MSG and Filecoin app APDUs (`--apdu`);
 * random TCP-HID frames and WebSocket messages (`--frames`). The property tests
 * (test/main/deviceFuzz.test.ts, test/ctap2/decoders.property.test.ts, test/wallet/fuzz.test.ts)
 * shrink failures; this one counts at volume. A short run is in `npm test` (test/main/fuzz.test.ts).
 */
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import type { PresenceResult, UserPresence } from '../src/authenticator/env.js';
import { encodeCommandApdu as encodeU2fApdu } from '../src/ctap1/apdu.js';
import { StatusWord } from '../src/ctap1/statusWords.js';
import { Command } from '../src/ctap2/commands.js';
import { ClientPinSubCommand, encodeClientPinRequest } from '../src/ctap2/clientPin.js';
import { encodeGetAssertionRequest } from '../src/ctap2/getAssertion.js';
import { encodeMakeCredentialRequest, decodeMakeCredentialResponse } from '../src/ctap2/makeCredential.js';
import {
  encodeConfigRequest,
  encodeCredentialManagementCall,
  encodeLargeBlobsGet,
  encodeLargeBlobsSet,
  encodeSimpleCommand,
} from '../src/ctap2/hostCodec.js';
import { parseAuthenticatorData } from '../src/ctap2/authenticatorData.js';
import { protocolTwo } from '../src/ctap2/pinUvAuthProtocol.js';
import { Status, statusName } from '../src/ctap2/status.js';
import { Assembler } from '../src/ctaphid/assembler.js';
import { BROADCAST_CID, CtapHidCommand as C, CtapHidErrorCode } from '../src/ctaphid/constants.js';
import { fragment } from '../src/ctaphid/fragmenter.js';
import { encodeContPacket, encodeInitPacket } from '../src/ctaphid/packet.js';
import { readU32be, toHex } from '../src/encoding/bytes.js';
import { decode, encode, type CborValue, type Encodable } from '../src/encoding/cbor.js';
import { openDevice, type Device } from '../src/main/device.js';
import { randomBytes } from '../src/crypto/aead.js';
import { attachHid } from '../src/main/hidFront.js';
import { tcpHidPort, encodeFrame, FrameReader } from '../src/transport/tcpHid.js';
import { webSocketHidPort } from '../src/transport/webSocketHid.js';
import { autoApproveReview, createWalletApp } from '../src/main/wallet.js';
import { encodeCommandApdu as encodeWalletApdu, parseResponseApdu } from '../src/wallet/apdu.js';
import { encodePath } from '../src/wallet/bip32Path.js';
import { ALL_STATUS_WORDS, SW } from '../src/wallet/statusWords.js';
import { MemoryVault } from '../src/store/memoryStore.js';
import { intFlag } from './intFlag.js';

const HANG_MS = 5_000;

export interface FuzzOptions {
  /** CTAPHID reports (random and structure-aware). */
  reports: number;
  /** Mutated CTAP2 requests. */
  cbor: number;
  /** Mutated APDUs, half U2F (CTAPHID_MSG), half the Filecoin app. */
  apdu: number;
  /** Random TCP-HID frames and WebSocket messages (half each). */
  frames: number;
  seed: number;
}

export interface TargetCounts {
  inputs: number;
  crashes: number;
  hangs: number;
  /** CTAP1_ERR_OTHER (0x7F) or SW 6F00 answers. */
  other: number;
  malformed: number;
  /** Answers by kind (status name, status word, CTAPHID command): how deep the inputs reached. */
  answers: Record<string, number>;
  /** The first few findings, with the input (hex) that caused them. */
  findings: string[];
}

export type TargetName = 'ctaphid' | 'ctap2' | 'u2f' | 'filecoin' | 'tcpHid' | 'webSocket';

export interface FuzzReport {
  seed: number;
  targets: Record<TargetName, TargetCounts>;
  durationMs: number;
}

export function fuzzPassed(r: FuzzReport): boolean {
  return Object.values(r.targets).every((t) => t.crashes === 0 && t.hangs === 0 && t.other === 0 && t.malformed === 0);
}

export function formatFuzzReport(r: FuzzReport): string {
  const rows = Object.entries(r.targets).map(
    ([name, t]) =>
      `  ${name.padEnd(10)} ${String(t.inputs).padStart(8)} inputs: crashes ${t.crashes}, hangs ${t.hangs}, ` +
      `0x7F/6F00 ${t.other}, malformed ${t.malformed}` +
      `\n    answers: ${Object.entries(t.answers)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}` +
      t.findings
        .slice(0, 3)
        .map((f) => `\n    ${f}`)
        .join(''),
  );
  return [`fuzz (seed ${r.seed}, ${(r.durationMs / 1000).toFixed(1)} s):`, ...rows].join('\n');
}

// ---------------------------------------------------------------- randomness and mutation

/** A seeded PRNG (mulberry32), so a finding replays with --seed. */
class Rand {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.int(256));
  }
}

/** Byte-level mutations: flips, overwrites, inserts, deletes, truncation, duplication. */
function mutateBytes(r: Rand, input: Uint8Array, keepFirst = 0): Uint8Array {
  let b = Array.from(input);
  for (let n = 1 + r.int(3); n > 0; n--) {
    const at = keepFirst + r.int(Math.max(1, b.length - keepFirst));
    switch (r.int(7)) {
      case 0:
        if (b.length > at) b[at] = b[at]! ^ (1 << r.int(8));
        break;
      case 1:
        if (b.length > at)
          b[at] = r.pick([
            0x00,
            0xff,
            0x7f,
            0x80,
            0x17,
            0x18,
            0x19,
            0x1a,
            0x1b,
            0x1f,
            0x5f,
            0x9f,
            0xbf,
            0xf6,
            r.int(256),
          ]);
        break;
      case 2:
        b.splice(at, 0, ...r.bytes(1 + r.int(8)));
        break;
      case 3:
        b.splice(at, 1 + r.int(8));
        break;
      case 4:
        b = b.slice(0, Math.max(keepFirst, at));
        break;
      case 5:
        b.splice(at, 0, ...b.slice(at, at + 1 + r.int(16)));
        break;
      default:
        b.push(...r.bytes(1 + r.int(16)));
    }
  }
  return Uint8Array.from(b);
}

/** A random CBOR value of a random type (sometimes a plausible one). */
function randomValue(r: Rand, depth = 0): Encodable {
  switch (r.int(depth > 1 ? 7 : 9)) {
    case 0:
      return r.pick([0, 1, -1, 23, 24, 255, 256, 65535, 2 ** 32, -(2 ** 31), Number.MAX_SAFE_INTEGER, -7, -8, -257, 3]);
    case 1:
      return r.bytes(r.pick([0, 1, 16, 32, 33, 64, 65, 200]));
    case 2:
      return r.pick([
        '',
        'public-key',
        'example.com',
        'a'.repeat(300),
        '\u00e9',
        'hmac-secret',
        'credProtect',
        'rk',
        'up',
        'uv',
      ]);
    case 3:
      return r.next() < 0.5;
    case 4:
      return null;
    case 5:
      return BigInt('18446744073709551615');
    case 6:
      return -BigInt('18446744073709551616');
    case 7:
      return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
    default: {
      const m = new Map<number | string, Encodable>();
      for (let i = r.int(4); i > 0; i--) {
        const key = r.next() < 0.5 ? r.int(16) - 2 : r.pick(['id', 'name', 'type', 'alg', 'rk', 'up', 'uv', 'x']);
        m.set(key, randomValue(r, depth + 1));
      }
      return m;
    }
  }
}

/** Structure-aware: decode, change one node (drop, replace, retype, add a key), encode canonically. */
function mutateCbor(r: Rand, request: Uint8Array): Uint8Array | undefined {
  if (request.length < 2) return undefined;
  let root: CborValue;
  try {
    root = decode(request.subarray(1));
  } catch {
    return undefined;
  }
  const containers: Array<Map<unknown, CborValue> | CborValue[]> = [];
  const walk = (v: CborValue) => {
    if (v instanceof Map) {
      containers.push(v);
      for (const x of v.values()) walk(x);
    } else if (Array.isArray(v)) {
      containers.push(v);
      v.forEach(walk);
    }
  };
  walk(root);
  if (containers.length === 0) return undefined;
  const c = r.next() < 0.5 ? containers[0]! : r.pick(containers); // the request's own members half the time
  if (c instanceof Map) {
    const keys = [...c.keys()];
    const op = r.int(3);
    if (op === 0 && keys.length > 0) c.delete(r.pick(keys));
    else if (op === 1 && keys.length > 0) c.set(r.pick(keys), randomValue(r) as CborValue);
    else {
      const key = r.next() < 0.5 ? r.int(20) : r.pick(['id', 'alg', 'type', 'name', 'rk', 'up', 'uv', 'unknown']);
      c.set(key, randomValue(r) as CborValue);
    }
  } else if (c.length > 0 && r.next() < 0.5) c.splice(r.int(c.length), 1);
  else c.splice(r.int(c.length + 1), 0, randomValue(r) as CborValue);
  try {
    const body = encode(root);
    const out = new Uint8Array(1 + body.length);
    out[0] = request[0]!;
    out.set(body, 1);
    return out;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- checking answers

const HID_ERRORS = new Set<number>(Object.values(CtapHidErrorCode));
const HID_COMMANDS = new Set<number>(Object.values(C));
const CTAP2_STATUSES = new Set<number>(Object.values(Status));
const U2F_STATUS_WORDS = new Set<number>(Object.values(StatusWord));

type Verdict = 'ok' | 'other' | 'malformed';

/** A CTAP2 response (status ‖ CBOR). */
function checkCtap2(response: Uint8Array): Verdict {
  const status = response[0];
  if (status === undefined || !CTAP2_STATUSES.has(status)) return 'malformed';
  if (status === Status.CTAP1_ERR_OTHER) return 'other';
  if (response.length > 1) {
    if (status !== Status.CTAP2_OK) return 'malformed';
    try {
      if (!(decode(response.subarray(1)) instanceof Map)) return 'malformed';
    } catch {
      return 'malformed';
    }
  }
  return 'ok';
}

/** A U2F response APDU (data ‖ SW1 SW2). */
function checkU2f(response: Uint8Array): Verdict {
  if (response.length < 2) return 'malformed';
  const sw = (response[response.length - 2]! << 8) | response[response.length - 1]!;
  if (sw === StatusWord.SW_UNKNOWN) return 'other';
  if (!U2F_STATUS_WORDS.has(sw)) return 'malformed';
  return sw !== StatusWord.SW_NO_ERROR && response.length > 2 ? 'malformed' : 'ok';
}

/** One complete CTAPHID message from the device. */
function checkHidMessage(cmd: number, data: Uint8Array): Verdict {
  if (!HID_COMMANDS.has(cmd)) return 'malformed';
  if (cmd === C.CTAPHID_ERROR) return data.length === 1 && HID_ERRORS.has(data[0]!) ? 'ok' : 'malformed';
  if (cmd === C.CTAPHID_CBOR) return checkCtap2(data);
  if (cmd === C.CTAPHID_MSG) return checkU2f(data);
  return 'ok';
}

function hidAnswerName(cmd: number, data: Uint8Array): string {
  const name =
    Object.entries(C)
      .find(([, v]) => v === cmd)?.[0]
      ?.replace('CTAPHID_', '') ?? `0x${cmd.toString(16)}`;
  if (cmd === C.CTAPHID_CBOR) return statusName(data[0] ?? -1);
  if (cmd === C.CTAPHID_MSG && data.length >= 2) return `SW ${toHex(data.subarray(data.length - 2))}`;
  if (cmd === C.CTAPHID_ERROR)
    return `ERROR ${Object.entries(CtapHidErrorCode).find(([, v]) => v === data[0])?.[0] ?? data[0]}`;
  return name;
}

function counts(): TargetCounts {
  return { inputs: 0, crashes: 0, hangs: 0, other: 0, malformed: 0, answers: {}, findings: [] };
}

function answered(t: TargetCounts, kind: string): void {
  t.answers[kind] = (t.answers[kind] ?? 0) + 1;
}

function record(t: TargetCounts, kind: 'crashes' | 'hangs' | 'other' | 'malformed', what: string): void {
  t[kind]++;
  if (t.findings.length < 10) t.findings.push(`${kind}: ${what.slice(0, 300)}`);
}

const sha = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function withTimeout<T>(p: Promise<T>, ms = HANG_MS): Promise<T | 'hang'> {
  let timer: NodeJS.Timeout;
  const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), ms)));
  return Promise.race([p, hang]).finally(() => clearTimeout(timer));
}

/** A presence port that always approves at once (the fuzzers never wait on a user). */
const approve: UserPresence = { request: (): Promise<PresenceResult> => Promise.resolve('approved') };

// ---------------------------------------------------------------- an in-process HID device

interface HidHarness {
  device: Device;
  receive(report: Uint8Array): void;
  /** Complete messages since the last call; each is checked into `t`. */
  drain(t: TargetCounts, input: string): Array<{ cid: number; cmd: number; data: Uint8Array }>;
  /** A fresh channel (INIT on broadcast). */
  init(t: TargetCounts): Promise<number | undefined>;
  /** Sends a whole message and waits for its answer (not keepalives); undefined when none came. */
  call(
    t: TargetCounts,
    cid: number,
    cmd: number,
    data: Uint8Array,
    input: string,
  ): Promise<{ cmd: number; data: Uint8Array } | undefined>;
  internal: unknown[];
}

async function hidHarness(): Promise<HidHarness> {
  const internal: unknown[] = [];
  const device = await openDevice({ dataDir: ':memory:', presence: approve, onInternalError: (e) => internal.push(e) });
  const out: Uint8Array[] = [];
  const hid = device.createHidDevice((report) => out.push(report));
  const assembler = new Assembler();
  const h: HidHarness = {
    device,
    internal,
    receive: (report) => hid.receive(report),
    drain(t, input) {
      const got = [];
      for (const report of out.splice(0)) {
        if (report.length !== 64) {
          record(t, 'malformed', `a ${report.length}-byte report after ${input}`);
          continue;
        }
        const r = assembler.push(report);
        if (r.kind === 'error') record(t, 'malformed', `device stream error ${r.code} after ${input}`);
        if (r.kind !== 'message') continue;
        answered(t, hidAnswerName(r.cmd, r.data));
        const verdict = checkHidMessage(r.cmd, r.data);
        if (verdict !== 'ok')
          record(t, verdict, `cmd 0x${r.cmd.toString(16)} answer ${toHex(r.data).slice(0, 80)} to ${input}`);
        got.push({ cid: r.cid, cmd: r.cmd, data: r.data });
      }
      for (const e of internal.splice(0))
        record(t, 'crashes', `internal error ${(e as Error)?.stack ?? String(e)} on ${input}`);
      return got;
    },
    async init(t) {
      const nonce = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
      const answer = await h.call(t, BROADCAST_CID, C.CTAPHID_INIT, nonce, 'INIT');
      return answer && answer.data.length >= 12 ? readU32be(answer.data, 8) : undefined;
    },
    async call(t, cid, cmd, data, input) {
      for (const report of fragment(cid, cmd, data)) hid.receive(report);
      const deadline = Date.now() + HANG_MS;
      for (let i = 0; Date.now() < deadline; i++) {
        const answer = h.drain(t, input).find((m) => m.cid === cid && m.cmd !== C.CTAPHID_KEEPALIVE);
        if (answer) return answer;
        await (i < 50 ? tick() : sleep(2));
      }
      return undefined;
    },
  };
  return h;
}

/**
 * After a burst of inputs: drop the half-messages and transactions of every channel the burst used
 * (under the default channel policy 'any' a random CID is served too, so it may hold a transaction or
 * the lock), and the device must answer PING.
 */
async function stillAnswers(h: HidHarness, t: TargetCounts, cids: number[], input: string): Promise<boolean> {
  await tick();
  for (const c of cids) {
    for (const report of fragment(c, C.CTAPHID_INIT, new Uint8Array(8))) h.receive(report);
    for (const report of fragment(c, C.CTAPHID_LOCK, Uint8Array.of(0))) h.receive(report);
  }
  h.drain(t, input);
  const cid = await h.init(t);
  const data = Uint8Array.from({ length: 100 }, (_, i) => i);
  const pong = cid === undefined ? undefined : await h.call(t, cid, C.CTAPHID_PING, data, 'PING');
  if (!pong || pong.cmd !== C.CTAPHID_PING || toHex(pong.data) !== toHex(data)) {
    record(t, 'hangs', `no PING answer after ${input}`);
    return false;
  }
  return true;
}

// ---------------------------------------------------------------- seeds: valid requests

const RP = 'fuzz.example';

function ctap2Seeds(credentialId: Uint8Array): Uint8Array[] {
  const cdh = sha('fuzz');
  const key = new Map<number, CborValue>([
    [1, 2],
    [3, -25],
    [-1, 1],
    [-2, new Uint8Array(32).fill(1)],
    [-3, new Uint8Array(32).fill(2)],
  ]);
  const allow = [{ type: 'public-key' as const, id: credentialId }];
  const session = { protocol: protocolTwo(), pinUvAuthToken: new Uint8Array(32).fill(3) };
  return [
    encodeSimpleCommand(Command.authenticatorGetInfo),
    encodeMakeCredentialRequest({
      clientDataHash: cdh,
      rp: { id: RP, name: 'Fuzz' },
      user: { id: Uint8Array.of(1), name: 'u', displayName: 'U' },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    }),
    encodeMakeCredentialRequest({
      clientDataHash: cdh,
      rp: { id: RP },
      user: { id: Uint8Array.of(2) },
      pubKeyCredParams: [
        { type: 'public-key', alg: -8 },
        { type: 'public-key', alg: -257 },
      ],
      excludeList: allow,
      options: { rk: true },
      extensions: new Map<string, Encodable>([
        ['credProtect', 2],
        ['hmac-secret', true],
        ['credBlob', new Uint8Array(16)],
        ['largeBlobKey', true],
        ['minPinLength', true],
      ]),
    }),
    encodeGetAssertionRequest({ rpId: RP, clientDataHash: cdh, allowList: allow, options: { up: true } }),
    encodeGetAssertionRequest({
      rpId: RP,
      clientDataHash: cdh,
      extensions: new Map<string, Encodable>([
        [
          'hmac-secret',
          new Map<number, Encodable>([
            [1, key],
            [2, new Uint8Array(32)],
            [3, new Uint8Array(16)],
          ]),
        ],
        ['getCredBlob', true],
        ['largeBlobKey', true],
      ]),
    }),
    encodeSimpleCommand(Command.authenticatorGetNextAssertion),
    encodeClientPinRequest({ pinUvAuthProtocol: 2, subCommand: ClientPinSubCommand.getPINRetries }),
    encodeClientPinRequest({ pinUvAuthProtocol: 1, subCommand: ClientPinSubCommand.getKeyAgreement }),
    encodeClientPinRequest({
      pinUvAuthProtocol: 2,
      subCommand: ClientPinSubCommand.setPIN,
      keyAgreement: key,
      newPinEnc: new Uint8Array(80),
      pinUvAuthParam: new Uint8Array(32),
    }),
    encodeClientPinRequest({
      pinUvAuthProtocol: 2,
      subCommand: ClientPinSubCommand.getPinUvAuthTokenUsingPinWithPermissions,
      keyAgreement: key,
      pinHashEnc: new Uint8Array(32),
      permissions: 3,
      rpId: RP,
    }),
    encodeCredentialManagementCall({ subCommand: 1 }, session),
    encodeCredentialManagementCall({ subCommand: 4, subCommandParams: { rpIDHash: sha(RP) } }, session),
    encodeCredentialManagementCall(
      { subCommand: 6, subCommandParams: { credentialID: allow[0]! } },
      session,
      Command.authenticatorCredentialManagementPreview,
    ),
    encodeLargeBlobsGet(0, 64),
    encodeLargeBlobsSet(0, new Uint8Array(17), 17),
    encodeConfigRequest(3, session, { newMinPINLength: 6, minPinLengthRPIDs: [RP] }),
    encodeSimpleCommand(Command.authenticatorSelection),
  ];
}

// ---------------------------------------------------------------- the targets

async function fuzzCtap2(n: number, r: Rand, t: TargetCounts): Promise<void> {
  const internal: unknown[] = [];
  const open = () => openDevice({ dataDir: ':memory:', presence: approve, onInternalError: (e) => internal.push(e) });
  let device = await open();
  const made = decodeMakeCredentialResponse(
    await device.cbor(
      encodeMakeCredentialRequest({
        clientDataHash: sha('x'),
        rp: { id: RP },
        user: { id: Uint8Array.of(9) },
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        options: { rk: true },
      }),
    ),
  );
  const seeds = ctap2Seeds(parseAuthenticatorData(made.authData).attestedCredentialData!.credentialId);
  for (let i = 0; i < n; i++) {
    const seed = r.pick(seeds);
    const input = (r.next() < 0.5 && mutateCbor(r, seed)) || mutateBytes(r, seed, r.next() < 0.9 ? 1 : 0);
    t.inputs++;
    const hex = toHex(input).slice(0, 200);
    let answer: Uint8Array | 'hang';
    try {
      answer = await withTimeout(device.cbor(input));
    } catch (e) {
      record(t, 'crashes', `${(e as Error)?.message} on ${hex}`);
      continue;
    }
    if (answer === 'hang') {
      // The device answers one request at a time: a hung one would block every later one.
      record(t, 'hangs', hex);
      device.close();
      device = await open();
    } else {
      answered(t, statusName(answer[0] ?? -1));
      const v = checkCtap2(answer);
      if (v !== 'ok') record(t, v, `status 0x${answer[0]?.toString(16)} to ${hex}`);
    }
    for (const e of internal.splice(0))
      record(t, 'crashes', `internal error ${(e as Error)?.stack ?? String(e)} on ${hex}`);
    // A mutated reset or config may have changed the device: every so often, a fresh power-up.
    if (i % 500 === 499) device.powerCycle();
  }
  device.close();
}

async function fuzzReports(n: number, r: Rand, t: TargetCounts): Promise<void> {
  let h = await hidHarness();
  let cids = await ownChannels(h, t);
  const cborPayloads = ctap2Seeds(r.bytes(64));
  const cid = () => (r.next() < 0.7 ? r.pick(cids) : r.next() < 0.5 ? r.pick([BROADCAST_CID, 0]) : r.int(2 ** 32));
  const commands: number[] = [
    C.CTAPHID_PING,
    C.CTAPHID_MSG,
    C.CTAPHID_CBOR,
    C.CTAPHID_INIT,
    C.CTAPHID_WINK,
    C.CTAPHID_LOCK,
    C.CTAPHID_CANCEL,
  ];
  commands.push(0x3f, 0x40, 0x7f);
  const cmd = () => (r.next() < 0.7 ? r.pick(commands) : r.int(0x80));
  for (let i = 0; i < n;) {
    // A burst of up to 20 reports: random bytes, init/cont packets with random fields, or whole
    // (possibly cut short, possibly mutated) messages on our channels.
    const burst: Uint8Array[] = [];
    for (let k = 1 + r.int(20); k > 0; k--) {
      switch (r.int(6)) {
        case 0:
          burst.push(r.bytes(64));
          break;
        case 1:
          burst.push(r.bytes(r.int(80)));
          break;
        case 2:
          burst.push(encodeInitPacket(cid(), cmd(), r.int(r.next() < 0.8 ? 300 : 0x10000), r.bytes(r.int(58))));
          break;
        case 3:
          burst.push(encodeContPacket(cid(), r.int(0x80), r.bytes(r.int(60))));
          break;
        default: {
          const payload = r.next() < 0.6 ? mutateBytes(r, r.pick(cborPayloads), 1) : r.bytes(r.int(400));
          const reports = fragment(r.pick(cids), r.pick([C.CTAPHID_CBOR, C.CTAPHID_PING, C.CTAPHID_MSG]), payload);
          burst.push(...(r.next() < 0.2 ? reports.slice(0, Math.max(1, reports.length - 1)) : reports));
        }
      }
    }
    const input = `reports ${burst.map((b) => toHex(b).slice(0, 24)).join(' ')}`;
    for (const report of burst) {
      t.inputs++;
      i++;
      try {
        h.receive(report);
      } catch (e) {
        record(t, 'crashes', `${(e as Error)?.message} on ${toHex(report)}`);
      }
      h.drain(t, input);
      await tick();
    }
    if (!(await stillAnswers(h, t, [...new Set([...cids, ...burstCids(burst)])], input))) {
      h.device.close();
      h = await hidHarness();
      cids = await ownChannels(h, t);
    }
  }
  h.device.close();
}

/** The CIDs a burst of reports used, but 0 and broadcast. */
function burstCids(burst: Uint8Array[]): number[] {
  const used = burst.map((b) => (b.length >= 4 ? readU32be(b, 0) : 0));
  return used.filter((c) => c !== 0 && c !== BROADCAST_CID);
}

async function ownChannels(h: HidHarness, t: TargetCounts): Promise<number[]> {
  const cids = [];
  for (let i = 0; i < 3; i++) {
    const c = await h.init(t);
    if (c === undefined) throw new Error('the device does not answer INIT');
    cids.push(c);
  }
  return cids;
}

async function fuzzU2f(n: number, r: Rand, t: TargetCounts): Promise<void> {
  let h = await hidHarness();
  let cid = (await h.init(t))!;
  const appParam = sha(RP);
  const reg = await h.call(
    t,
    cid,
    C.CTAPHID_MSG,
    encodeU2fApdu({ ins: 1, data: new Uint8Array([...sha('c'), ...appParam]) }),
    'REGISTER',
  );
  const khLen = reg?.data[66] ?? 0;
  const keyHandle = reg?.data.subarray(67, 67 + khLen) ?? new Uint8Array(64);
  const authData = new Uint8Array([...sha('c'), ...appParam, keyHandle.length, ...keyHandle]);
  const auth = (p1: number) => encodeU2fApdu({ ins: 2, p1, data: authData });
  const seeds = [
    encodeU2fApdu({ ins: 3 }),
    encodeU2fApdu({ ins: 1, data: new Uint8Array(64) }),
    auth(3),
    auth(7),
    auth(8),
    Uint8Array.of(0, 3, 0, 0, 0, 0, 0), // extended-length VERSION
    Uint8Array.of(0, 1, 0, 0, 0, 0, 64, ...new Uint8Array(64), 0, 0),
  ];
  for (let i = 0; i < n; i++) {
    const input = r.next() < 0.1 ? r.bytes(r.int(200)) : mutateBytes(r, r.pick(seeds));
    t.inputs++;
    const answer = await h.call(t, cid, C.CTAPHID_MSG, input, `U2F ${toHex(input).slice(0, 160)}`);
    if (!answer) {
      record(t, 'hangs', `U2F ${toHex(input).slice(0, 160)}`);
      h.device.close();
      h = await hidHarness();
      cid = (await h.init(t))!;
    }
  }
  h.device.close();
}

async function fuzzFilecoin(n: number, r: Rand, t: TargetCounts): Promise<void> {
  const logged: unknown[] = [];
  const app = createWalletApp({
    vault: new MemoryVault(),
    review: autoApproveReview(),
    blindSigning: true,
    log: (m, e) => logged.push(e ?? m),
  });
  const path = encodePath([0x8000002c, 0x800001cd, 0x80000000, 0, 1]);
  // An unsigned Filecoin message (CBOR array of 10), the shape SIGN_SECP256K1 parses.
  const to = new Uint8Array([1, ...new Uint8Array(20)]);
  const from = new Uint8Array([1, ...new Uint8Array(20).fill(1)]);
  const amount = new Uint8Array([0, 1]);
  const tx = encode([0, to, from, 1, amount, 1000, amount, amount, 0, new Uint8Array(0)]);
  const seeds = [
    encodeWalletApdu(0x06, 0x00, 0, 0),
    encodeWalletApdu(0x06, 0x01, 0, 0, path),
    encodeWalletApdu(0x06, 0x01, 1, 0, path),
    encodeWalletApdu(0x06, 0x02, 0, 0, path),
    encodeWalletApdu(0x06, 0x02, 2, 0, tx),
    encodeWalletApdu(0x06, 0x07, 0, 0, path),
    encodeWalletApdu(0x06, 0x08, 0, 0, path),
    encodeWalletApdu(0xb0, 0x01, 0, 0),
    encodeWalletApdu(0xe0, 0x04, 0, 0, path),
  ];
  for (let i = 0; i < n; i++) {
    const input = r.next() < 0.1 ? r.bytes(r.int(300)) : mutateBytes(r, r.pick(seeds));
    t.inputs++;
    const hex = toHex(input).slice(0, 200);
    let answer: Uint8Array | 'hang';
    try {
      answer = await withTimeout(app.exchange(input));
    } catch (e) {
      record(t, 'crashes', `${(e as Error)?.message} on ${hex}`);
      continue;
    }
    if (answer === 'hang') record(t, 'hangs', hex);
    else if (answer.length < 2) record(t, 'malformed', `${answer.length}-byte answer to ${hex}`);
    else {
      const { sw } = parseResponseApdu(answer);
      answered(t, `SW ${sw.toString(16)}`);
      if (sw === SW.UNKNOWN) record(t, 'other', `6F00 to ${hex}: ${String(logged.at(-1))}`);
      else if (!ALL_STATUS_WORDS.has(sw)) record(t, 'malformed', `SW ${sw.toString(16)} to ${hex}`);
    }
  }
}

/** Random TCP-HID frames on fresh connections; after each burst a well-framed PING must be answered. */
async function fuzzTcpHid(n: number, r: Rand, t: TargetCounts): Promise<void> {
  const h = await hidHarness();
  const served = attachHid(
    h.device,
    await tcpHidPort({ host: '127.0.0.1', port: 0, onError: () => answered(t, 'frame refused') }),
  );
  try {
    for (let i = 0; i < n;) {
      const chunks: Uint8Array[] = [];
      for (let k = 1 + r.int(10); k > 0 && i < n; k--, i++) {
        t.inputs++;
        switch (r.int(4)) {
          case 0:
            chunks.push(r.bytes(1 + r.int(100)));
            break;
          case 1:
            chunks.push(encodeFrame(r.bytes(r.pick([0, 1, 63, 64, 65, 66, 200]))));
            break;
          case 2:
            chunks.push(
              encodeFrame(
                Uint8Array.of(0, ...encodeInitPacket(r.int(2 ** 32), r.int(0x80), r.int(300), r.bytes(r.int(58)))),
              ),
            );
            break;
          default:
            chunks.push(encodeFrame(encodeInitPacket(BROADCAST_CID, C.CTAPHID_INIT, 8, r.bytes(8))));
        }
      }
      const input = `tcp ${chunks.map((c) => toHex(c).slice(0, 24)).join(' ')}`;
      await tcpExchange(served.address.port, chunks, t, input, false);
      h.drain(t, input);
      const init = fragment(BROADCAST_CID, C.CTAPHID_INIT, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)).map(encodeFrame);
      if (!(await tcpExchange(served.address.port, init, t, input, true))) {
        record(t, 'hangs', `no INIT answer over TCP after ${input}`);
      }
    }
  } finally {
    await served.close();
    h.device.close();
  }
}

/** Writes `chunks` on a new connection; checks every frame that comes back; with `expect`, waits for one. */
function tcpExchange(
  port: number,
  chunks: Uint8Array[],
  t: TargetCounts,
  input: string,
  expect: boolean,
): Promise<boolean> {
  return new Promise((resolve) => {
    const reader = new FrameReader();
    let got = false;
    const socket = connect({ host: '127.0.0.1', port }, () => {
      for (const c of chunks) socket.write(c);
      if (!expect) setTimeout(() => socket.end(), 5);
    });
    const timer = setTimeout(() => socket.destroy(), expect ? HANG_MS : 1000);
    socket.on('data', (data: Buffer) => {
      for (const frame of reader.push(new Uint8Array(data))) {
        if (frame.length !== 64) record(t, 'malformed', `a ${frame.length}-byte TCP frame after ${input}`);
        else {
          got = true;
          answered(t, hidAnswerName(frame[4]! & 0x7f, frame.subarray(7)));
        }
      }
      if (expect && got) socket.end();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
  });
}

/** Random WebSocket messages (binary of every size, text); after each burst a PING must be answered. */
async function fuzzWebSocket(n: number, r: Rand, t: TargetCounts): Promise<void> {
  const h = await hidHarness();
  const served = attachHid(
    h.device,
    await webSocketHidPort({
      token: toHex(randomBytes(24)),
      host: '127.0.0.1',
      port: 0,
      onRefused: () => answered(t, 'message refused'),
      // The server reports a peer's protocol violation (e.g. an oversized message) and closes that
      // connection: a refusal, not a crash (the device's own errors reach onInternalError).
      onError: (e) => answered(t, `connection closed: ${(e as Error)?.message}`),
    }),
  );
  try {
    for (let i = 0; i < n;) {
      const messages: Array<Uint8Array | string> = [];
      for (let k = 1 + r.int(10); k > 0 && i < n; k--, i++) {
        t.inputs++;
        switch (r.int(4)) {
          case 0:
            messages.push(r.bytes(r.pick([0, 1, 63, 65, 128, 1000])));
            break;
          case 1:
            messages.push(Buffer.from(r.bytes(20)).toString('latin1'));
            break;
          case 2:
            messages.push(encodeInitPacket(r.int(2 ** 32), r.int(0x80), r.int(300), r.bytes(r.int(58))));
            break;
          default:
            messages.push(r.bytes(64));
        }
      }
      const input = `ws ${messages.map((m) => (typeof m === 'string' ? 'text' : toHex(m).slice(0, 24))).join(' ')}`;
      const ok = await wsExchange(served.url, messages, t, input);
      h.drain(t, input);
      if (!ok) record(t, 'hangs', `no INIT answer over WebSocket after ${input}`);
    }
  } finally {
    await served.close();
    h.device.close();
  }
}

/** Sends `messages`, then INIT on a second connection, which must be answered with a 64-byte report. */
async function wsExchange(
  url: string,
  messages: Array<Uint8Array | string>,
  t: TargetCounts,
  input: string,
): Promise<boolean> {
  const open = () =>
    new Promise<WebSocket | undefined>((resolve) => {
      const ws = new WebSocket(url, { handshakeTimeout: HANG_MS });
      ws.once('open', () => resolve(ws));
      ws.once('error', () => resolve(undefined));
      ws.on('message', (data: Buffer, isBinary) => {
        const what = isBinary ? `${data.length}-byte` : 'text';
        if (!isBinary || data.length !== 64) record(t, 'malformed', `a ${what} WebSocket message after ${input}`);
        else answered(t, hidAnswerName(data[4]! & 0x7f, new Uint8Array(data.subarray(7))));
      });
    });
  const a = await open();
  if (!a) return false;
  for (const m of messages) a.send(m);
  await sleep(5);
  a.terminate();
  const b = await open();
  if (!b) return false;
  const gotInit = await withTimeout(
    new Promise<boolean>((resolve) => {
      b.on(
        'message',
        (data: Buffer) => data.length === 64 && readU32be(new Uint8Array(data), 0) === BROADCAST_CID && resolve(true),
      );
      b.on('close', () => resolve(false));
      b.send(encodeInitPacket(BROADCAST_CID, C.CTAPHID_INIT, 8, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)));
    }),
  );
  b.terminate();
  return gotInit === true;
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const t0 = Date.now();
  const targets = {
    ctaphid: counts(),
    ctap2: counts(),
    u2f: counts(),
    filecoin: counts(),
    tcpHid: counts(),
    webSocket: counts(),
  };
  // Anything that escapes to the process is a crash of whichever target runs.
  let current: TargetCounts = targets.ctaphid;
  const escaped = (e: unknown) => record(current, 'crashes', `uncaught ${(e as Error)?.stack ?? String(e)}`);
  process.on('uncaughtException', escaped);
  process.on('unhandledRejection', escaped);
  try {
    const steps: Array<[TargetName, number, (n: number, r: Rand, t: TargetCounts) => Promise<void>]> = [
      ['ctaphid', o.reports, fuzzReports],
      ['ctap2', o.cbor, fuzzCtap2],
      ['u2f', Math.ceil(o.apdu / 2), fuzzU2f],
      ['filecoin', Math.floor(o.apdu / 2), fuzzFilecoin],
      ['tcpHid', Math.ceil(o.frames / 2), fuzzTcpHid],
      ['webSocket', Math.floor(o.frames / 2), fuzzWebSocket],
    ];
    for (const [name, n, run] of steps) {
      current = targets[name];
      if (n > 0) await run(n, new Rand(o.seed ^ (name.length * 0x9e3779b1)), current);
    }
  } finally {
    process.off('uncaughtException', escaped);
    process.off('unhandledRejection', escaped);
  }
  return { seed: o.seed, targets, durationMs: Date.now() - t0 };
}

// ---------------------------------------------------------------- command line

async function main(args: string[]): Promise<number> {
  if (args.includes('--help')) {
    console.log('npm run fuzz -- [--reports N=20000] [--cbor N=20000] [--apdu N=20000] [--frames N=2000] [--seed S]');
    return 0;
  }
  const report = await runFuzz({
    reports: intFlag(args, '--reports', 20_000),
    cbor: intFlag(args, '--cbor', 20_000),
    apdu: intFlag(args, '--apdu', 20_000),
    frames: intFlag(args, '--frames', 2_000),
    seed: intFlag(args, '--seed', Math.floor(Math.random() * 2 ** 31)),
  });
  console.log(formatFuzzReport(report));
  const ok = fuzzPassed(report);
  console.log(ok ? 'fuzz: PASS' : 'fuzz: FAIL');
  return ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(2);
    },
  );
}
