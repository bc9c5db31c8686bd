/** Shared fixtures of the wallet tests: spec vectors, a scripted review port, a served wallet. */
import { createRequire } from 'node:module';
import { FilecoinApp } from '@zondax/ledger-filecoin';
import type * as SpeculosModule from '@ledgerhq/hw-transport-node-speculos';
import { blake2b } from '@noble/hashes/blake2.js';
import { fromHex, toHex } from '../../src/encoding/bytes.js';
import { MemoryVault } from '../../src/store/memoryStore.js';
import { createWalletApp, startWalletServer, type WalletApp, type WalletServer } from '../../src/main/wallet.js';
import type { ReviewNotice, ReviewOutcome, ReviewRequest, TransactionReview } from '../../src/wallet/review.js';
import { importMnemonic } from '../../src/wallet/keyring.js';

// The ESM build of the transport does not load under plain Node 20 (extensionless imports);
// the CommonJS build is the same code.
const require = createRequire(import.meta.url);
export const SpeculosTransport = (require('@ledgerhq/hw-transport-node-speculos') as (typeof SpeculosModule)['default'])
  .default;

/** filecoin-app.md §5 */
export const ZEMU_MNEMONIC = 'equip will roof matter pink blind book anxiety banner elbow sun young';
export const PATH = "m/44'/461'/0'/0/1";
export const PATH_TESTNET = "m/44'/1'/0'/0/1";

export const ADDRESS_VECTORS = [
  {
    path: "m/44'/461'/5'/0/3",
    pk: '0425d0dbeedb2053e690a58e9456363158836b1361f30dba0332f440558fa803d056042b50d0e70e4a2940428e82c7cea54259d65254aed4663e4d0cffd649f4fb',
    addrB: '0162b79110b5599e0c70bbd0bb56468ae9a0837874',
    addrS: 'f1mk3zcefvlgpay4f32c5vmruk5gqig6dumc7pz6q',
  },
  {
    path: "m/44'/461'/0'/0/1",
    pk: '04b481eeff158ba0044fa075b2a53cb34de11193699e0fd0ee8abb10fa2acd9bc32147af05001b01bf6341c9e78b7a8244d0d3fd2a424e361dab346de6aeee2515',
    addrB: '018003fd987489d8855f1f4486d85db219497bb346',
    addrS: 'f1qab73gdurhmikxy7isdnqxnsdfexxm2gom47opi',
  },
  {
    path: "m/44'/1'/0'/0/1",
    pk: '0457605444d19911c74882a01ccd708973b0b7672c89502f93c549675d1e9c0ee0a6814f3bf0f04a012fa5037b1e7f7e54e72a99a7c34adfc0fabee1948219b86d',
    addrB: '012382796f61fbe1992ddbf5664969df5d2d82ea21',
    addrS: 't1eobhs33b7pqzslo36vtes2o7luwyf2rbiimrvnq',
  },
  {
    path: "m/44'/461'/0'/0/0",
    pk: '041e10b3a453db1e7324cd37e78820d7d150c13ba3bf784be204c91afe495816a19a836e85cb89b0e4ff36d06a71a9ca02947de79e16e66dacc645e46dcdf7d909',
    addrB: '01cdf9b117d00fa23e938e52feb25da9a32e4ecdd0',
    addrS: 'f1zx43cf6qb6rd5e4okl7lexnjumxe5toqj6vtr3i',
  },
] as const;

/** Valid transactions of the real tests (§5). */
export const TX = {
  signBasic:
    '8a0058310396a1a3e4ea7a14d49985e661b22401d44fed402d1d0925b243c923589c0fbc7e32cd04e29ed78d15d37d3aaa3fe6da3358310386b454258c589475f7d16f5aac018a79f6c1169d20fc33921dd8b5ce1cac6c348f90a3603624f6aeb91b64518c2e80950144000186a01961a8430009c44200000040',
  manualBasic:
    '8a005501fd1d0f4dfcd7e99afcb99a8326b7dc459d32c6285501b882619d46558f3d9e316d11b48dcf211327025a0144000186a01961a8420000430009c40040',
  proposal:
    '8a004300ec075501dfe49184d46adc8f89d44638beb45f78fcad259001401a000f4240430009c4430009c402581d845501dfe49184d46adc8f89d44638beb45f78fcad2590430003e80040',
  changeOwner: '8a0044008bcb534400f59c53004000404017454400f59c53',
  protocol4:
    '8a0056040ad4224267c4ab4a184bd1aa066b3361e70efbbeaf56040ad4224267c4ab4a184bd1aa066b3361e70efbbeaf0144000186a01961a84200014200010040',
  bytesParams:
    '8a00550191519a1de64c30be61381ac8168aa411770d0984550178b407e26c1825b937b85d8e506f492beff267f81905a24200011a001776a74400019c634400019845004b68656c6c6f20776f726c64',
  invokeEvm:
    '8A0056040AEA71F8DC046717B8B14C18005186D03495A0E49255011EAF1C8A4BBFEEB0870B1745B1F57503470B71160349000DE0B6B3A76400001A0022F6F34400018A9D440001867F1AE525AA1540'.toLowerCase(),
} as const;

/** Signature vectors (§5, [C]). */
export const SIG_VECTORS = {
  signBasic: {
    digest: '0c64a9d9cf934fb7b3dadbc1f8b2a36db5d05eebfa0d5e43ea42dbf9ceff2909',
    answer:
      'da08cd51f7dd2759e6f11a60a84d3038ca5976023c904919d2c559cbeb57480517a58455dda6cece9366957817022eb65d7563a9a707568ee1bddde11b985642' +
      '01' +
      '3045022100da08cd51f7dd2759e6f11a60a84d3038ca5976023c904919d2c559cbeb574805022017a58455dda6cece9366957817022eb65d7563a9a707568ee1bddde11b985642',
  },
  proposalTestnet: {
    digest: 'adccfb80a88ecb88675a13954cd030e747d883045f36707e05a269e781842b32',
    rs: '36d7d2ec0a2ae5e796450bf985b10f2a69660c1322de473d0708207f41411a6f7598780e1228018dbf1e8af5480907e448bb39e41b80f36d8c916186f815c6de',
    v: 0,
  },
  personalHelloWorld: {
    digest: '90dacf4586effc2a35a8c9f00743265aa93b8108fee0620ac65e596f60b67784',
    rs: '1b1690df0565cc4b7598542fb3d16d4dc4955920417f88916f63211f006f49261536bb0f626fdb4dc7633ce479608764abcad2c4a21c9e2eb8329f620702215c',
    v: 0,
  },
  rawDeadbeef: {
    digest: '3baadc069de5c42a593bfafd7d8118eaf436a0e5661466557a795ecfab9216f7',
    rs: 'c0324d59deb1272a12e37ef35a06aff1204938b74c2eae7b753b7f9d69a972fc3b7431657783d56eb39e41d27637a949ac4263fbbc7092752b4e399e4a96f9e7',
    v: 0,
  },
} as const;

/** Independent digest oracles (straight from §2, with @noble/hashes rather than src/). */
export const oracle = {
  cidDigest(bytes: Uint8Array): Uint8Array {
    const h = blake2b(bytes, { dkLen: 32 });
    return blake2b(new Uint8Array([0x01, 0x71, 0xa0, 0xe4, 0x02, 0x20, ...h]), { dkLen: 32 });
  },
  personalDigest(msg: Uint8Array): Uint8Array {
    const prefix = new TextEncoder().encode(`\x19Filecoin Signed Message:\n${msg.length}`);
    return blake2b(new Uint8Array([...prefix, ...msg]), { dkLen: 32 });
  },
};

/** A review port driven by a script of outcomes; records every request and notice. */
export class ScriptedReview implements TransactionReview {
  readonly requests: ReviewRequest[] = [];
  readonly notices: ReviewNotice[] = [];
  private readonly script: Array<ReviewOutcome | (() => Promise<ReviewOutcome>)> = [];
  constructor(private readonly fallback: ReviewOutcome = 'approved') {}
  next(...outcomes: Array<ReviewOutcome | (() => Promise<ReviewOutcome>)>): this {
    this.script.push(...outcomes);
    return this;
  }
  async review(req: ReviewRequest): Promise<ReviewOutcome> {
    this.requests.push(req);
    const step = this.script.shift() ?? this.fallback;
    return typeof step === 'function' ? step() : step;
  }
  async notice(req: ReviewNotice): Promise<void> {
    this.notices.push(req);
  }
}

export function walletWithZemuSeed(
  options: {
    review?: TransactionReview;
    expertMode?: boolean;
    blindSigning?: boolean;
    log?: (m: string, e?: unknown) => void;
  } = {},
): {
  app: WalletApp;
  vault: MemoryVault;
} {
  const vault = new MemoryVault();
  importMnemonic(vault, ZEMU_MNEMONIC);
  const app = createWalletApp({
    vault,
    review: options.review ?? new ScriptedReview(),
    expertMode: options.expertMode ?? false,
    blindSigning: options.blindSigning ?? false,
    randomBytes: () => {
      throw new Error('the seed was imported; nothing should be generated');
    },
    log: options.log ?? (() => {}),
  });
  return { app, vault };
}

export interface ServedWallet {
  app: WalletApp;
  server: WalletServer;
  transport: InstanceType<typeof SpeculosTransport>;
  fil: FilecoinApp<InstanceType<typeof SpeculosTransport>>;
  close(): Promise<void>;
}

/** The wallet on an ephemeral TCP port with the unmodified Zondax client over the Speculos transport. */
export async function serveWallet(app: WalletApp): Promise<ServedWallet> {
  const server = await startWalletServer({ app, host: '127.0.0.1', port: 0, onError: () => {} });
  const transport = await SpeculosTransport.open({ apduPort: server.address.port, host: '127.0.0.1' });
  const fil = new FilecoinApp(transport);
  return {
    app,
    server,
    transport,
    fil,
    close: async () => {
      await transport.close();
      await server.close();
    },
  };
}

export const hex = toHex;
export const unhex = fromHex;
