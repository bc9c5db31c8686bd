/**
 * A deliberately careless relying party (issue 16's rp-check fixture): SimpleWebAuthn-style
 * endpoints over @simplewebauthn/server v14 with mistakes planted on purpose. PLANTED lists each
 * mistake and the wrong answers (ceremony and name) softkey rp-check must then report as wrongly
 * accepted; everything else of the catalog it must see refused.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type WebAuthnCredential,
} from '@simplewebauthn/server';
import { decodeClientDataJSON } from '@simplewebauthn/server/helpers';

const R = 'registration';
const A = 'authentication';

/** Each planted mistake → the wrong answers it lets through. */
export const PLANTED: Record<string, Array<[string, string]>> = {
  'the challenge is never compared (expectedChallenge always true)': [
    [R, 'client-data-challenge'],
    [A, 'client-data-challenge'],
  ],
  "any origin is taken (expectedOrigin is the response's own)": [
    [R, 'client-data-origin'],
    [A, 'client-data-origin'],
  ],
  'user presence is not required at registration (requireUserPresence: false)': [[R, 'up-cleared']],
  'UV is asked for ("required") but not checked (requireUserVerification: false)': [
    [R, 'uv-cleared'],
    [A, 'uv-cleared'],
  ],
  'the signature counter is never stored (always 0)': [
    [A, 'counter-zero'],
    [A, 'counter-fixed'],
    [A, 'counter-backwards'],
  ],
  'a sign-in answered { verified: false } is still let in': [[A, 'bad-signature']],
  "nothing beyond SimpleWebAuthn: crossOrigin/topOrigin, trailing CBOR, the key's curve, BE changes": [
    [R, 'client-data-cross-origin'],
    [A, 'client-data-cross-origin'],
    [R, 'client-data-top-origin'],
    [R, 'cbor-trailing'],
    [R, 'cose-curve'],
    [A, 'be-flip'],
  ],
};

interface Session {
  challenge?: string;
  user?: string;
}

export async function startCarelessRp(): Promise<{ origin: string; close(): Promise<void> }> {
  const sessions = new Map<string, Session>();
  const users = new Map<string, { id: string; credentials: WebAuthnCredential[] }>();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = (chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {}) as Record<string, any>;
    let sid = /sid=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (!sid || !sessions.has(sid)) {
      sid = randomBytes(16).toString('base64url');
      sessions.set(sid, {});
      res.setHeader('set-cookie', `sid=${sid}; Path=/; HttpOnly`);
    }
    const s = sessions.get(sid)!;
    const send = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    try {
      if (req.url === '/register/options') {
        const name = String(body.username);
        const user = users.get(name) ?? { id: randomBytes(16).toString('base64url'), credentials: [] };
        users.set(name, user);
        s.user = name;
        const options = await generateRegistrationOptions({
          rpName: 'Careless',
          rpID: 'localhost',
          userName: name,
          userID: Buffer.from(user.id, 'base64url'),
          attestationType: 'direct',
          authenticatorSelection: { userVerification: 'required' },
          supportedAlgorithmIDs: [-7],
        });
        s.challenge = options.challenge;
        return send(200, options);
      }
      if (req.url === '/register/verify') {
        const response = body.credential;
        const v = await verifyRegistrationResponse({
          response,
          expectedChallenge: () => true,
          expectedOrigin: decodeClientDataJSON(response.response.clientDataJSON).origin,
          expectedRPID: 'localhost',
          requireUserPresence: false,
          requireUserVerification: false,
          supportedAlgorithmIDs: [-7],
        });
        if (!v.verified) return send(400, { error: 'not verified' });
        users.get(s.user!)!.credentials.push({ ...v.registrationInfo.credential, counter: 0 });
        return send(200, { verified: true });
      }
      if (req.url === '/login/options') {
        const user = users.get(String(body.username));
        s.user = String(body.username);
        const options = await generateAuthenticationOptions({
          rpID: 'localhost',
          allowCredentials: (user?.credentials ?? []).map((c) => ({ id: c.id })),
          userVerification: 'required',
        });
        s.challenge = options.challenge;
        return send(200, options);
      }
      if (req.url === '/login/verify') {
        const response = body.credential;
        const credential = users.get(s.user!)?.credentials.find((c) => c.id === response.id);
        if (!credential) return send(400, { error: 'unknown credential' });
        await verifyAuthenticationResponse({
          response,
          expectedChallenge: () => true,
          expectedOrigin: decodeClientDataJSON(response.response.clientDataJSON).origin,
          expectedRPID: 'localhost',
          credential,
          requireUserVerification: false,
        });
        return send(200, { signedIn: true });
      }
      send(404, { error: 'no such endpoint' });
    } catch (e) {
      send(400, { error: (e as Error).message });
    }
  };
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
