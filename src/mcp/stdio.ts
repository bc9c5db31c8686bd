/**
 * `softkey mcp`'s server over stdio (the tools are server.ts), calling the control API of a
 * running `softkey start`. The endpoint and its per-run token come from <dataDir>/control.json, read
 * again for every call (a restarted device has a new token and port), or from an explicit URL and token.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { randomBytes } from '../crypto/aead.js';
import { generateCredentialKey, pkcs8OfSecret } from '../crypto/credentialKeys.js';
import * as b64u from '../encoding/base64url.js';
import { CoseAlg } from '../encoding/cose.js';
import { createMcpServer } from './server.js';
import { controlRequest, readControlInfo } from '../control/controlClient.js';

export type McpEndpoint = { url: string; token: string } | { dataDir: string };

/** Serves MCP on stdin/stdout until the client closes the stream. */
export async function runMcpServer(endpoint: McpEndpoint, version: string): Promise<void> {
  const server = createMcpServer({
    version,
    control: (method, path, body) =>
      controlRequest('url' in endpoint ? endpoint : readControlInfo(endpoint.dataDir), method, path, body),
    newPrivateKey: () => {
      const pair = generateCredentialKey(CoseAlg.ES256);
      return { pkcs8: b64u.encode(pkcs8OfSecret(pair.alg, pair.secret)) };
    },
    newUserId: () => b64u.encode(randomBytes(16)),
  });
  const transport = new StdioServerTransport();
  await server.connect(transport);
  await new Promise<void>((resolve) => {
    server.server.onclose = () => resolve();
    process.stdin.once('end', () => resolve()); // the client went away
  });
  await server.close();
}
