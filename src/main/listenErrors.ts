/**
 * A listener that cannot start names the `softkey start` flag that moves it: "127.0.0.1:8111 is
 * already in use (EADDRINUSE): choose another address with --udp HOST:PORT". Used around every
 * listener `softkey start` opens (UDP, APDU, USB/IP, TCP-HID, WebSocket, bridge, demo, panel).
 */
export class ListenError extends Error {
  override name = 'ListenError';
  constructor(
    message: string,
    readonly flag: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const CAUSES: Record<string, string> = {
  EADDRINUSE: 'is already in use by another program',
  EACCES: 'needs privileges this process does not have (a port below 1024?)',
  EADDRNOTAVAIL: 'is not an address of this machine',
};

/** Runs `start`; a listen/bind failure becomes a ListenError naming `flag` (and `off`, the flag that turns it off). */
export async function listenFor<T>(flag: string, start: () => Promise<T>, off?: string): Promise<T> {
  try {
    return await start();
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
    const cause = err.code !== undefined ? CAUSES[err.code] : undefined;
    if (!cause || (err.syscall !== undefined && err.syscall !== 'listen' && err.syscall !== 'bind')) throw e;
    const where =
      err.address !== undefined
        ? `${err.address.includes(':') ? `[${err.address}]` : err.address}:${err.port}`
        : 'the address';
    const remedy = `choose another address with ${flag} HOST:PORT${off ? `, or ${off}` : ''}`;
    throw new ListenError(`${where} ${cause} (${err.code}): ${remedy}`, flag, { cause: e });
  }
}
