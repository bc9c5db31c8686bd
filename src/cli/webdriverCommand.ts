/**
 * `softkey webdriver --upstream URL [--port P] [--host H] [--attestation FMT]`: the WebDriver
 * intermediary (src/bridge/webdriverIntermediary.ts) until Ctrl-C. Point Selenium or WebdriverIO at
 * the printed URL instead of the driver's; every virtual authenticator they add is a softkey key.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../main/address.js';
import { isAttestationFormat } from '../main/profiles.js';
import { startWebDriver } from '../main/webdriver.js';
import { listenFor } from '../main/listenErrors.js';

export const WEBDRIVER_DEFAULT_PORT = 4445;

export const WEBDRIVER_HELP = `softkey webdriver --upstream URL [--port P] [--host H] [--attestation FMT]
      a WebDriver intermediary in front of chromedriver, WebKitWebDriver or any WebDriver server at URL:
      every command goes on unchanged, the WebAuthn extension (virtual authenticators, WebAuthn L3 §11)
      is served by softkey keys, and softkey's page shim is put into each session's pages
      (default 127.0.0.1:${WEBDRIVER_DEFAULT_PORT}; --attestation as for softkey start)`;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

export async function webdriverCommand(args: string[], io: Io, stopped?: Promise<void>): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        upstream: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        attestation: { type: 'string' },
      },
      strict: true,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (!values.upstream) {
    throw new UsageError(
      '--upstream URL is required (the WebDriver server, e.g. http://127.0.0.1:9515 for chromedriver)',
    );
  }
  let upstream: URL;
  try {
    upstream = new URL(values.upstream);
  } catch {
    throw new UsageError(`--upstream must be a URL, got "${values.upstream}"`);
  }
  if (upstream.protocol !== 'http:')
    throw new UsageError(`--upstream must be an http:// URL, got "${values.upstream}"`);
  const port = values.port === undefined ? WEBDRIVER_DEFAULT_PORT : Number(values.port);
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535))
    throw new UsageError(`--port must be 0–65535, got "${values.port}"`);
  if (values.attestation !== undefined && !isAttestationFormat(values.attestation)) {
    throw new UsageError(`--attestation: unknown format "${values.attestation}"`);
  }
  const attestation =
    values.attestation !== undefined && isAttestationFormat(values.attestation) ? values.attestation : undefined;
  const server = await listenFor('--port', () =>
    startWebDriver({
      upstream: values.upstream!,
      port,
      ...(values.host !== undefined && { host: values.host }),
      ...(attestation && { key: { attestation } }),
      onEvent: (e) => io.err(`webdriver: ${e}`),
    }),
  );
  const reachable = await fetch(new URL('status', `${upstream.href.replace(/\/?$/, '/')}`)).then(
    () => true,
    () => false,
  );
  io.out(`softkey webdriver: ${server.url} → ${values.upstream}${reachable ? '' : ' (not answering yet)'}`);
  io.out('point your WebDriver client at it; virtual authenticators are softkey keys — press Ctrl-C to stop');
  await (stopped ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }));
  await server.close();
  io.out('softkey webdriver stopped');
  return 0;
}
