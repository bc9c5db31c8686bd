/**
 * `softkey wallet init | import | address <path>`, each with `--data-dir DIR`.
 *  - init: generates a 24-word BIP39 mnemonic, stores it in the vault and prints it once.
 *  - import: reads a mnemonic from stdin, checks word list and checksum, stores it.
 *  - address <path>: prints the f1/t1 address of a path such as m/44'/461'/0'/0/0.
 * `--force` lets init/import replace an existing seed. Exit codes: 0 ok, 1 failure, 2 usage.
 */
import {
  importWalletSeed,
  initWalletSeed,
  MnemonicError,
  walletAddress,
  WalletSeedExistsError,
  type Vault,
} from '../main/wallet.js';

export interface WalletCommandIo {
  stdin: NodeJS.ReadableStream;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  openVault: (dataDir: string) => { vault: Vault; close(): void };
}

export const DEFAULT_ADDRESS_PATH = "m/44'/461'/0'/0/0";

export const WALLET_USAGE = `usage:
  softkey wallet init --data-dir DIR [--force]      create a new seed and print its mnemonic
  softkey wallet import --data-dir DIR [--force]    read a BIP39 mnemonic from stdin
  softkey wallet address PATH --data-dir DIR        print the address of PATH (e.g. ${DEFAULT_ADDRESS_PATH})
`;

class UsageError extends Error {}

interface ParsedArgs {
  command: string | undefined;
  positional: string[];
  dataDir: string | undefined;
  force: boolean;
  help: boolean;
}

function parseArgs(argv: string[]): ParsedArgs {
  const out: ParsedArgs = { command: undefined, positional: [], dataDir: undefined, force: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--data-dir') {
      const v = argv[++i];
      if (v === undefined || v === '') throw new UsageError('--data-dir needs a directory');
      out.dataDir = v;
    } else if (a.startsWith('--data-dir=')) {
      out.dataDir = a.slice('--data-dir='.length);
      if (out.dataDir === '') throw new UsageError('--data-dir needs a directory');
    } else if (a === '--force') out.force = true;
    else if (a === '--help' || a === '-h') out.help = true;
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}`);
    else if (out.command === undefined) out.command = a;
    else out.positional.push(a);
  }
  return out;
}

/**
 * The mnemonic from a terminal, with echo off (raw mode): the words never appear on the screen or in
 * the scrollback. Enter ends it, Backspace deletes, Ctrl-C or Ctrl-D on an empty line cancels.
 */
export type Terminal = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode(raw: boolean): unknown };

export function readHidden(stdin: Terminal, prompt: (s: string) => void): Promise<string> {
  prompt('Mnemonic words (hidden as you type; Enter to finish): ');
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (error?: Error) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      prompt('\n');
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || (ch === '\u0004' && text === ''))
          return finish(new MnemonicError('cancelled: no mnemonic entered'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else if (ch >= ' ') text += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.resume();
  });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  for await (const chunk of stream as AsyncIterable<string | Uint8Array>) {
    chunks.push(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
  }
  chunks.push(decoder.decode());
  return chunks.join('');
}

export async function walletCommand(argv: string[], io: WalletCommandIo): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
    if (args.help) {
      io.stdout(WALLET_USAGE);
      return 0;
    }
    if (args.command === undefined) throw new UsageError('missing subcommand');
    if (!['init', 'import', 'address'].includes(args.command))
      throw new UsageError(`unknown subcommand "${args.command}"`);
    if (args.dataDir === undefined) throw new UsageError('--data-dir is required');
    if (args.command === 'address') {
      if (args.positional.length !== 1) throw new UsageError('address takes exactly one PATH');
    } else if (args.positional.length > 0) throw new UsageError(`unexpected argument "${args.positional[0]}"`);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`softkey wallet: ${e.message}\n${WALLET_USAGE}`);
      return 2;
    }
    throw e;
  }

  const command = args.command;
  let opened: { vault: Vault; close(): void };
  try {
    opened = io.openVault(args.dataDir);
  } catch (e) {
    io.stderr(`softkey wallet ${command}: cannot open the data directory: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    const { vault } = opened;
    switch (command) {
      case 'init': {
        const mnemonic = initWalletSeed(vault, { force: args.force });
        const { address } = walletAddress(vault, DEFAULT_ADDRESS_PATH);
        io.stdout(
          `Wallet seed created. Write these ${mnemonic.split(' ').length} words down, in order; they are the only backup:\n\n` +
            `${mnemonic}\n\nAddress ${DEFAULT_ADDRESS_PATH}: ${address}\n`,
        );
        return 0;
      }
      case 'import': {
        const tty = io.stdin as Partial<Terminal>;
        const phrase =
          tty.isTTY && tty.setRawMode ? await readHidden(tty as Terminal, io.stderr) : await readAll(io.stdin);
        importWalletSeed(vault, phrase, { force: args.force });
        const { address } = walletAddress(vault, DEFAULT_ADDRESS_PATH);
        io.stdout(`Wallet seed imported.\nAddress ${DEFAULT_ADDRESS_PATH}: ${address}\n`);
        return 0;
      }
      default: {
        const path = args.positional[0]!;
        try {
          const { address } = walletAddress(vault, path);
          io.stdout(`${address}\n`);
          return 0;
        } catch (e) {
          if (e instanceof RangeError) {
            io.stderr(`softkey wallet address: ${e.message}\n`);
            return 2;
          }
          throw e;
        }
      }
    }
  } catch (e) {
    if (e instanceof MnemonicError || e instanceof WalletSeedExistsError) {
      io.stderr(`softkey wallet ${command}: ${e.message}\n`);
      return 1;
    }
    io.stderr(`softkey wallet ${command}: ${(e as Error).message ?? String(e)}\n`);
    return 1;
  } finally {
    opened.close();
  }
}
