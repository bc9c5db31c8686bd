/**
 * Runs a real `softkey start` process for interop tests: random free UDP ports (retried when a
 * port turns out to be taken), a throwaway data directory, readiness on the "listening" line,
 * SIGTERM on stop. Other interop tests (split mode, TCP HID, ...) pass extra CLI args.
 *
 * Compiled (dist/test/interop/*.js) it runs `node dist/src/cli/main.js`; loaded from source
 * through tsx (test/interop/*.ts) it runs `node --import tsx src/cli/main.ts`, so the device is
 * always the same build as the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** The repository root (the directory whose package.json is softkey's), from src or dist. */
export function repoRoot(): string {
  for (let dir = HERE; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'softkey') return dir;
      } catch {
        // not ours; keep walking
      }
    }
    if (dirname(dir) === dir) throw new Error(`softkey's package.json not found above ${HERE}`);
  }
}

export interface StartSoftkeyOptions {
  /** Extra CLI arguments after `start --data-dir D --udp H:P --reply-to H:P --presence MODE`. */
  args?: string[];
  /** Data directory; default a fresh temp dir that stop() removes. */
  dataDir?: string;
  /** --presence MODE; default auto. */
  presence?: string;
  /** Loopback host for both UDP endpoints; default 127.0.0.1. */
  host?: string;
  /** Device output that means "ready"; default /listening/. */
  readyPattern?: RegExp;
  readyTimeoutMs?: number;
  /** Port pairs tried before giving up; default 8. */
  attempts?: number;
  /**
   * CLI module without extension, relative to the source root (e.g. src/cli/main); default:
   * package.json's `bin.softkey` (dist/src/cli/main.js → src/cli/main), i.e. the real executable.
   */
  entry?: string;
  /** Every line the device prints (stdout and stderr). */
  onOutput?: (line: string) => void;
}

export interface SoftkeyProcess {
  /** Where the device listens (--udp). */
  readonly udpPort: number;
  /** Where the device sends its reports (--reply-to): the host side binds this. */
  readonly replyPort: number;
  readonly host: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** Everything the device printed so far. */
  output(): string;
  /**
   * SIGTERM (SIGKILL after 5 s), then removes the data dir if we created it. Resolves to the
   * exit code (null when a signal ended it); calling it again returns the same promise.
   */
  stop(): Promise<number | null>;
}

/** A random port in 20000–59999. */
export function randomPort(): number {
  return 20000 + Math.floor(Math.random() * 40000);
}

/** True when `port` can be bound on `host` right now (UDP). */
export function udpPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, host, () => socket.close(() => resolve(true)));
  });
}

/** Two distinct random UDP ports that were free when probed. */
export async function freeUdpPorts(host = '127.0.0.1'): Promise<[number, number]> {
  for (let i = 0; i < 50; i++) {
    const a = randomPort();
    const b = randomPort();
    if (a !== b && (await udpPortFree(a, host)) && (await udpPortFree(b, host))) return [a, b];
  }
  throw new Error('no free UDP port pair found');
}

/** A TCP port that was free on loopback a moment ago. */
export function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** package.json's `bin.softkey` as a source module path without extension (src/cli/main). */
export function cliEntry(): string {
  const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as {
    bin?: string | Record<string, string>;
  };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.softkey;
  if (!bin) throw new Error('package.json has no bin.softkey');
  return bin.replace(/^(\.\/)?dist\//, '').replace(/\.js$/, '');
}

/** The command that runs the softkey CLI, matching how this module was loaded. */
export function softkeyCommand(entry = cliEntry()): { command: string; args: string[]; cwd: string } {
  const root = repoRoot();
  if (FROM_SOURCE)
    return { command: process.execPath, args: ['--import', 'tsx', join(root, `${entry}.ts`)], cwd: root };
  return { command: process.execPath, args: [join(root, 'dist', `${entry}.js`)], cwd: root };
}

const ADDRESS_IN_USE = /EADDRINUSE|address already in use/i;

class PortInUse extends Error {}

export async function startSoftkeyProcess(options: StartSoftkeyOptions = {}): Promise<SoftkeyProcess> {
  const host = options.host ?? '127.0.0.1';
  const attempts = options.attempts ?? 8;
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'softkey-interop-'));
  try {
    for (let attempt = 1; ; attempt++) {
      const [udpPort, replyPort] = await freeUdpPorts(host);
      try {
        return await launch({ ...options, host, dataDir, ownDataDir, udpPort, replyPort });
      } catch (error) {
        if (!(error instanceof PortInUse) || attempt >= attempts) throw error;
      }
    }
  } catch (error) {
    if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

interface LaunchOptions extends StartSoftkeyOptions {
  host: string;
  dataDir: string;
  ownDataDir: boolean;
  udpPort: number;
  replyPort: number;
}

function launch(o: LaunchOptions): Promise<SoftkeyProcess> {
  const { command, args, cwd } = softkeyCommand(o.entry);
  const cliArgs = [
    'start',
    '--data-dir',
    o.dataDir,
    '--udp',
    `${o.host}:${o.udpPort}`,
    '--reply-to',
    `${o.host}:${o.replyPort}`,
    '--presence',
    o.presence ?? 'auto',
    // The Filecoin app's fixed default port would collide between devices run in parallel.
    ...(o.args?.some((a) => a.startsWith('--apdu')) ? [] : ['--no-apdu']),
    ...(o.args ?? []),
  ];
  const child = spawn(command, [...args, ...cliArgs], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let output = '';
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      process.off('exit', killOnExit);
      resolve(code);
    });
  });
  const readyPattern = o.readyPattern ?? /listening/;

  return new Promise<SoftkeyProcess>((resolve, reject) => {
    let ready = false;
    const onLine = (line: string) => {
      output += line + '\n';
      o.onOutput?.(line);
      if (!ready && readyPattern.test(line)) {
        ready = true;
        clearTimeout(timer);
        resolve(handle);
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop()!;
        lines.forEach(onLine);
      });
      stream.on('end', () => partial && onLine(partial));
    }
    const timer = setTimeout(() => {
      if (ready) return;
      child.kill('SIGKILL');
      reject(new Error(`softkey did not print ${readyPattern} within ${o.readyTimeoutMs ?? 60_000} ms:\n${output}`));
    }, o.readyTimeoutMs ?? 60_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`could not start softkey (${command}): ${error.message}`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      if (ready) return;
      if (ADDRESS_IN_USE.test(output)) reject(new PortInUse(output));
      else
        reject(
          new Error(
            `softkey exited with code ${code} before it was ready: ${command} ${[...args, ...cliArgs].join(' ')}\n${output}`,
          ),
        );
    });

    let stopping: Promise<number | null> | undefined;
    const handle: SoftkeyProcess = {
      udpPort: o.udpPort,
      replyPort: o.replyPort,
      host: o.host,
      dataDir: o.dataDir,
      child,
      output: () => output,
      stop() {
        stopping ??= (async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
            await exited;
            clearTimeout(kill);
          }
          const code = await exited;
          if (o.ownDataDir) rmSync(o.dataDir, { recursive: true, force: true });
          return code;
        })();
        return stopping;
      },
    };
  });
}
