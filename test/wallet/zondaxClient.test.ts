/**
 * End to end with clients nobody here wrote: @zondax/ledger-filecoin over
 * @ledgerhq/hw-transport-node-speculos, against startWalletServer on an ephemeral port, seeded with
 * the Zemu test mnemonic. Signatures are checked with @noble/curves and digests recomputed with
 * @noble/hashes straight from the spec (independent of src/).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import {
  ADDRESS_VECTORS,
  hex,
  oracle,
  PATH,
  PATH_TESTNET,
  ScriptedReview,
  serveWallet,
  SIG_VECTORS,
  TX,
  unhex,
  walletWithZemuSeed,
  type ServedWallet,
} from './helpers.js';

interface ZondaxError {
  returnCode: number;
  errorMessage: string;
}

async function rejection(p: Promise<unknown>): Promise<ZondaxError> {
  try {
    await p;
  } catch (e) {
    return e as ZondaxError;
  }
  assert.fail('expected the client to throw');
}

function publicKeyOf(path: string): Uint8Array {
  const v = ADDRESS_VECTORS.find((x) => x.path === path);
  assert.ok(v, `no vector for ${path}`);
  return unhex(v.pk);
}

/** Checks R S V DER against the digest and the key: verify, recover with V, DER ≡ R‖S, low-S. */
function checkSignature(
  sig: { signature_compact: Buffer; signature_der: Buffer },
  digest: Uint8Array,
  publicKey: Uint8Array,
): void {
  const compact = new Uint8Array(sig.signature_compact);
  const der = new Uint8Array(sig.signature_der);
  assert.equal(compact.length, 65);
  assert.ok(der.length >= 70 && der.length <= 72, `DER length ${der.length}`);
  const rs = compact.subarray(0, 64);
  const v = compact[64]!;
  assert.ok(v === 0 || v === 1, `V is a recovery id, got ${v}`);
  assert.ok(secp256k1.verify(rs, digest, publicKey, { prehash: false, lowS: true }), 'R‖S verifies against the key');
  assert.ok(
    secp256k1.verify(der, digest, publicKey, { prehash: false, lowS: true, format: 'der' }),
    'DER verifies against the key',
  );
  assert.equal(
    hex(secp256k1.Signature.fromBytes(der, 'der').toBytes('compact')),
    hex(rs),
    'DER encodes the same R and S',
  );
  const recovered = secp256k1.recoverPublicKey(new Uint8Array([v, ...rs]), digest, { prehash: false });
  assert.equal(hex(secp256k1.Point.fromBytes(recovered).toBytes(false)), hex(publicKey), 'V recovers the signing key');
}

describe('Zondax client over the Speculos transport', () => {
  let served: ServedWallet;
  const review = new ScriptedReview();
  before(async () => {
    served = await serveWallet(walletWithZemuSeed({ review }).app);
  });
  after(async () => {
    await served.close();
  });

  it('getVersion reports 2.3.7, unlocked, Nano S+', async () => {
    const v = await served.fil.getVersion();
    assert.deepEqual(
      {
        testMode: v.testMode,
        major: v.major,
        minor: v.minor,
        patch: v.patch,
        deviceLocked: v.deviceLocked,
        targetId: v.targetId,
      },
      { testMode: false, major: 2, minor: 3, patch: 7, deviceLocked: false, targetId: '33100004' },
    );
  });

  it('appInfo (B0 01) and deviceInfo (E0 01) parse', async () => {
    const info = await served.fil.appInfo();
    assert.equal(info.appName, 'Filecoin');
    assert.equal(info.appVersion, '2.3.7');
    assert.equal(info.flagPINValidated, true);
    const dev = await served.fil.deviceInfo();
    assert.equal(dev.targetId, '33100004');
    assert.ok((dev.seVersion ?? '').length > 0);
  });

  for (const v of ADDRESS_VECTORS) {
    it(`getAddressAndPubKey ${v.path} equals the spec vector`, async () => {
      const r = await served.fil.getAddressAndPubKey(v.path);
      assert.equal(hex(new Uint8Array(r.compressed_pk)), v.pk);
      assert.equal(hex(new Uint8Array(r.addrByte)), v.addrB);
      assert.equal(r.addrString, v.addrS);
    });
  }

  it('showAddressAndPubKey asks for confirmation and answers the same 129 bytes', async () => {
    const before = review.requests.length;
    const r = await served.fil.showAddressAndPubKey(PATH);
    assert.equal(r.addrString, 'f1qab73gdurhmikxy7isdnqxnsdfexxm2gom47opi');
    const req = review.requests[before];
    assert.ok(req);
    assert.match(req.title, /address/i);
    assert.deepEqual(req.items, [{ label: 'Address', value: 'f1qab73gdurhmikxy7isdnqxnsdfexxm2gom47opi' }]);
  });

  it('showAddressAndPubKey rejected by the user gives 6986', async () => {
    review.next('denied');
    const e = await rejection(served.fil.showAddressAndPubKey(PATH));
    assert.equal(e.returnCode, 0x6986);
  });

  it('sign_basic returns the spec RFC 6979 answer, verifiable and recoverable', async () => {
    const tx = unhex(TX.signBasic);
    const digest = oracle.cidDigest(tx);
    assert.equal(hex(digest), SIG_VECTORS.signBasic.digest);
    const sig = await served.fil.sign(PATH, Buffer.from(tx));
    assert.equal(hex(new Uint8Array([...sig.signature_compact, ...sig.signature_der])), SIG_VECTORS.signBasic.answer);
    checkSignature(sig, digest, publicKeyOf(PATH));
  });

  for (const name of ['manualBasic', 'changeOwner', 'protocol4', 'bytesParams'] as const) {
    it(`sign ${name} verifies against the address key`, async () => {
      const tx = unhex(TX[name]);
      const sig = await served.fil.sign(PATH, Buffer.from(tx));
      checkSignature(sig, oracle.cidDigest(tx), publicKeyOf(PATH));
    });
  }

  it('user rejection of a transaction gives 6986', async () => {
    review.next('denied');
    const e = await rejection(served.fil.sign(PATH, Buffer.from(unhex(TX.manualBasic))));
    assert.equal(e.returnCode, 0x6986);
    assert.match(e.errorMessage, /Transaction rejected/);
  });

  it('a review timeout is a rejection too (6986)', async () => {
    review.next('timeout');
    const e = await rejection(served.fil.sign(PATH, Buffer.from(unhex(TX.manualBasic))));
    assert.equal(e.returnCode, 0x6986);
  });

  it('signPersonalMessageFVM("Hello World!") equals the spec vector', async () => {
    const msg = new TextEncoder().encode('Hello World!');
    const digest = oracle.personalDigest(msg);
    assert.equal(hex(digest), SIG_VECTORS.personalHelloWorld.digest);
    const sig = await served.fil.signPersonalMessageFVM(PATH, Buffer.from(msg));
    assert.equal(hex(new Uint8Array(sig.signature_compact.subarray(0, 64))), SIG_VECTORS.personalHelloWorld.rs);
    assert.equal(sig.signature_compact[64], SIG_VECTORS.personalHelloWorld.v);
    checkSignature(sig, digest, publicKeyOf(PATH));
    const last = review.requests.at(-1)!;
    assert.deepEqual(last.items.at(-1), { label: 'Msg', value: 'Hello World!' });
  });

  it('signRawBytes without blind signing gives "Blindsign Mode Required" after the notice', async () => {
    const notices = review.notices.length;
    const msg = new TextEncoder().encode('Filecoin Sign Bytes:\n');
    const e = await rejection(served.fil.signRawBytes(PATH, Buffer.from([...msg, 0xde, 0xad, 0xbe, 0xef])));
    assert.equal(e.returnCode, 0x6984);
    assert.equal(e.errorMessage, 'Data is invalid : Blindsign Mode Required');
    assert.equal(review.notices.length, notices + 1);
  });

  const invalid: Array<[string, string, string]> = [
    [
      '9-element array (spec)',
      '890055026d21137eb4c4814269e894d296cf6500e43cd7145502e0c7c75f82d55e5ed55db28033630df4274a984f0144000186a0430009c41961a8004031',
      'Unexpected data type',
    ],
    [
      'proposal with a negative method (spec)',
      TX.proposal.replace('430009c402581d', '430009c432581d'),
      'Unexpected data type',
    ],
    [
      'to address too short',
      TX.manualBasic.replace(
        '5501fd1d0f4dfcd7e99afcb99a8326b7dc459d32c628',
        '5401fd1d0f4dfcd7e99afcb99a8326b7dc459d32c6',
      ),
      'Invalid address format',
    ],
    ['address protocol 5', TX.manualBasic.replace('5501fd1d', '5505fd1d'), 'Invalid address format'],
    ['value with sign byte 01', TX.manualBasic.replace('44000186a0', '44010186a0'), 'Unexpected value'],
    ['1-byte bigint 4100', TX.manualBasic.replace('44000186a0', '4100'), 'Unexpected value'],
    ['version 123', `8a187b${TX.manualBasic.slice(4)}`, 'tx version is not supported'],
    ['trailing byte', `${TX.manualBasic}00`, 'Unexpected CBOR EOF'],
    ['indefinite-length array', `9f${TX.manualBasic.slice(2)}ff`, 'unexpected CBOR error'],
    ['InvokeEVM outside expert mode', TX.invokeEvm, 'ExpertModeRequired'],
  ];
  for (const [name, txHex, text] of invalid) {
    it(`invalid: ${name} → 6984 "${text}"`, async () => {
      assert.notEqual(txHex, TX.manualBasic, 'the mutation applied');
      const e = await rejection(served.fil.sign(PATH, Buffer.from(unhex(txHex))));
      assert.equal(e.returnCode, 0x6984);
      assert.equal(e.errorMessage, `Data is invalid : ${text}`);
    });
  }

  it('an empty message gets 6987 (the client sends LAST without INIT)', async () => {
    const e = await rejection(served.fil.sign(PATH, Buffer.alloc(0)));
    assert.equal(e.returnCode, 0x6987);
  });

  it('a message over 16384 bytes gets 6983', async () => {
    const e = await rejection(served.fil.sign(PATH, Buffer.alloc(16385, 0x41)));
    assert.equal(e.returnCode, 0x6983);
  });

  it('a bad path gets 6984 with no text', async () => {
    const e = await rejection(served.fil.getAddressAndPubKey("m/44'/60'/0'/0/0"));
    assert.equal(e.returnCode, 0x6984);
    const e2 = await rejection(served.fil.getAddressAndPubKey("m/44'/461'/0/0/0"));
    assert.equal(e2.returnCode, 0x6984);
  });

  it('still answers after all of that', async () => {
    const v = await served.fil.getVersion();
    assert.equal(v.major, 2);
  });
});

describe('Zondax client, expert mode and blind signing on', () => {
  let served: ServedWallet;
  const review = new ScriptedReview();
  before(async () => {
    served = await serveWallet(walletWithZemuSeed({ review, expertMode: true, blindSigning: true }).app);
  });
  after(async () => {
    await served.close();
  });

  it('proposal on the testnet path equals the spec vector, addresses shown as t…', async () => {
    const tx = unhex(TX.proposal);
    const digest = oracle.cidDigest(tx);
    assert.equal(hex(digest), SIG_VECTORS.proposalTestnet.digest);
    const sig = await served.fil.sign(PATH_TESTNET, Buffer.from(tx));
    assert.equal(hex(new Uint8Array(sig.signature_compact.subarray(0, 64))), SIG_VECTORS.proposalTestnet.rs);
    assert.equal(sig.signature_compact[64], SIG_VECTORS.proposalTestnet.v);
    checkSignature(sig, digest, publicKeyOf(PATH_TESTNET));
    const req = review.requests.at(-1)!;
    for (const item of req.items.filter((i) => i.label === 'To' || i.label === 'From')) assert.match(item.value, /^t/);
    assert.deepEqual(
      req.items.map((i) => i.label),
      [
        'To',
        'From',
        'Value',
        'Gas Limit',
        'Gas Fee Cap',
        'Gas Premium',
        'Nonce',
        'Method',
        'Params |1|',
        'Params |2|',
        'Params |3|',
        'Params |4|',
      ],
    );
  });

  it('InvokeEVM signs in expert mode', async () => {
    const tx = unhex(TX.invokeEvm);
    const sig = await served.fil.sign(PATH, Buffer.from(tx));
    checkSignature(sig, oracle.cidDigest(tx), publicKeyOf(PATH));
    const req = review.requests.at(-1)!;
    assert.ok(req.items.some((i) => i.label === 'Method' && i.value === 'Invoke EVM'));
  });

  it('showAddressAndPubKey shows the path in expert mode', async () => {
    await served.fil.showAddressAndPubKey(PATH);
    assert.deepEqual(review.requests.at(-1)!.items, [
      { label: 'Address', value: 'f1qab73gdurhmikxy7isdnqxnsdfexxm2gom47opi' },
      { label: 'Path', value: "44'/461'/0'/0/1" },
    ]);
  });

  it('signRawBytes("Filecoin Sign Bytes:\\n" + deadbeef) equals the spec vector', async () => {
    const msg = new Uint8Array([...new TextEncoder().encode('Filecoin Sign Bytes:\n'), 0xde, 0xad, 0xbe, 0xef]);
    const digest = oracle.cidDigest(msg);
    assert.equal(hex(digest), SIG_VECTORS.rawDeadbeef.digest);
    const sig = await served.fil.signRawBytes(PATH, Buffer.from(msg));
    assert.equal(hex(new Uint8Array(sig.signature_compact.subarray(0, 64))), SIG_VECTORS.rawDeadbeef.rs);
    assert.equal(sig.signature_compact[64], SIG_VECTORS.rawDeadbeef.v);
    checkSignature(sig, digest, publicKeyOf(PATH));
    assert.deepEqual(review.requests.at(-1)!.items, [{ label: 'BytesHash', value: SIG_VECTORS.rawDeadbeef.digest }]);
  });

  it('signRawBytes of a multi-chunk message verifies', async () => {
    const body = new Uint8Array(1000).map((_, i) => (i * 7) & 0xff);
    const msg = new Uint8Array([...new TextEncoder().encode('Filecoin Sign Bytes:\n'), ...body]);
    const sig = await served.fil.signRawBytes(PATH, Buffer.from(msg));
    checkSignature(sig, oracle.cidDigest(msg), publicKeyOf(PATH));
  });

  it('signRawBytes without the prefix gives "Invalid raw-bytes prefix"', async () => {
    const e = await rejection(served.fil.signRawBytes(PATH, Buffer.from('Not the prefix at all, sorry!')));
    assert.equal(e.returnCode, 0x6984);
    assert.equal(e.errorMessage, 'Data is invalid : Invalid raw-bytes prefix');
  });

  it('signPersonalMessageFVM of non-printable bytes is allowed with blind signing and shows hex', async () => {
    const msg = new Uint8Array([0, 1, 2, 0xff]);
    const sig = await served.fil.signPersonalMessageFVM(PATH, Buffer.from(msg));
    checkSignature(sig, oracle.personalDigest(msg), publicKeyOf(PATH));
    assert.deepEqual(review.requests.at(-1)!.items.at(-1), { label: 'Msg hex', value: '000102ff' });
  });

  it('signPersonalMessageFVM over 4096 bytes gives "Value out of range"', async () => {
    const e = await rejection(served.fil.signPersonalMessageFVM(PATH, Buffer.alloc(4097, 0x61)));
    assert.equal(e.errorMessage, 'Data is invalid : Value out of range');
  });
});
