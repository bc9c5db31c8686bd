/**
 * `softkey mcp`: the control API (src/control, README "The device panel and the control API") as
 * Model Context Protocol tools (MCP 2025-06-18 "Tools": tools/list, tools/call, results as content
 * with isError for failures), so an AI agent that drives a browser can answer softkey's "touch the
 * key" prompts, seed or inspect passkeys, switch user presence and verification, arm faults and read
 * the CTAP trace instead of stalling at a passkey dialog.
 *
 * This file knows only the HTTP routes of the control API; the composition root (stdio.ts) gives it
 * a `ControlCall` that finds the running device and carries its per-run token, so the agent never
 * sees or handles the token.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/** One control API request: method, path under /api, JSON body; resolves to the JSON answer or throws with the API's message. */
export type ControlCall = (method: string, path: string, body?: unknown) => Promise<unknown>;

export interface McpServerOptions {
  control: ControlCall;
  /** A new private key for add_credential when the agent gives none (PKCS#8, base64url). */
  newPrivateKey: () => { pkcs8: string };
  /** A new user.id (base64url) for add_credential when the agent gives none. */
  newUserId: () => string;
  /** How often wait_for_prompt looks; default 100 ms. */
  pollMs?: number;
  version: string;
}

const text = (value: unknown): CallToolResult => ({
  content: [{ type: 'text', text: JSON.stringify(value, null, 2) }],
});
const failure = (e: unknown): CallToolResult => ({
  content: [{ type: 'text', text: (e as Error).message ?? String(e) }],
  isError: true,
});
const id = (s: string) => encodeURIComponent(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createMcpServer(options: McpServerOptions): McpServer {
  const { control } = options;
  const server = new McpServer({ name: 'softkey', version: options.version });
  const tool = <S extends z.ZodRawShape>(
    name: string,
    description: string,
    shape: S,
    run: (args: z.objectOutputType<S, z.ZodTypeAny>) => Promise<unknown>,
    annotations: { readOnlyHint?: boolean; destructiveHint?: boolean } = {},
  ) =>
    server.registerTool(name, { description, inputSchema: shape, annotations }, (async (
      args: z.objectOutputType<S, z.ZodTypeAny>,
    ) => {
      try {
        return text(await run(args));
      } catch (e) {
        return failure(e);
      }
    }) as never);
  const read = { readOnlyHint: true };

  const state = 'Everything about the key at once: presence mode, UV, PIN, pending prompts, faults, credential count.';
  tool('get_state', state, {}, () => control('GET', '/state'), read);

  // ---- credentials ---------------------------------------------------------------------------------
  tool(
    'list_credentials',
    'The discoverable credentials (passkeys) on the key: id, rpId, user, algorithm, signCount, backup flags.',
    { privateKeys: z.boolean().optional().describe('include each private key (PKCS#8), to re-import elsewhere') },
    (a) => control('GET', `/credentials${a.privateKeys ? '?privateKeys=true' : ''}`),
    read,
  );
  tool(
    'add_credential',
    'Adds a passkey for a site, as if the user had registered before. Without privateKeyPkcs8 a new ES256 key is made; ' +
      'the answer carries the credential id and COSE public key (base64url) a relying party would store.',
    {
      rpId: z.string().min(1).describe('the relying party id, e.g. example.com'),
      userId: z.string().optional().describe('user.id, base64url; default 16 random bytes'),
      userName: z.string().optional(),
      userDisplayName: z.string().optional(),
      rpName: z.string().optional(),
      resident: z.boolean().optional().describe('discoverable credential (default true)'),
      privateKeyPkcs8: z.string().optional().describe('PKCS#8 DER as base64url, or PEM text'),
      credentialId: z.string().optional().describe('keep this credential id (base64url)'),
      signCount: z.number().int().min(0).optional(),
      backupEligible: z.boolean().optional(),
      backupState: z.boolean().optional(),
    },
    async ({ privateKeyPkcs8, userId, ...rest }) => {
      const resident = rest.resident ?? true;
      const user = userId ?? (resident ? options.newUserId() : undefined);
      const privateKey = privateKeyPkcs8 ? { pkcs8: privateKeyPkcs8 } : options.newPrivateKey();
      return control('POST', '/credentials', { ...rest, ...(user !== undefined && { userId: user }), privateKey });
    },
  );
  tool(
    'remove_credential',
    'Deletes one credential by its id (base64url).',
    { credentialId: z.string().min(1) },
    (a) => control('DELETE', `/credentials/${id(a.credentialId)}`),
    { destructiveHint: true },
  );
  tool('clear_credentials', 'Deletes every credential on the key.', {}, () => control('DELETE', '/credentials'), {
    destructiveHint: true,
  });

  // ---- presence, UV, PIN, prompts --------------------------------------------------------------------
  tool(
    'get_presence',
    'How "touch the key" is answered now (mode, timeout).',
    {},
    () => control('GET', '/presence'),
    read,
  );
  tool(
    'set_presence',
    'How "touch the key" is answered: auto (approve at once), deny, timeout (never answer), panel (wait for answer_prompt).',
    { mode: z.enum(['auto', 'deny', 'timeout', 'panel']), timeoutMs: z.number().int().positive().optional() },
    (a) => control('PUT', '/presence', a),
  );
  const uv = 'The built-in user verification simulation: available, and whether the next check matches.';
  tool('get_uv', uv, {}, () => control('GET', '/uv'), read);
  tool(
    'set_uv',
    'Sets the built-in user verification: available (a fingerprint reader is there) and result (match or nomatch).',
    { available: z.boolean().optional(), result: z.enum(['match', 'nomatch']).optional() },
    (a) => control('PUT', '/uv', a),
  );
  tool('get_pin', 'PIN state: set or not, retries left.', {}, () => control('GET', '/pin'), read);
  const pin = { pin: z.string().min(4) };
  tool('set_pin', 'Sets the PIN on the device itself (as its own keypad would).', pin, (a) =>
    control('PUT', '/pin', a),
  );
  const prompts =
    'The "touch the key" prompts waiting for an answer (presence mode panel), each with the site and what it asks.';
  tool('list_prompts', prompts, {}, () => control('GET', '/prompts'), read);
  tool(
    'wait_for_prompt',
    'Waits until a prompt is pending (presence mode panel) and returns the pending prompts; an empty list after timeoutMs.',
    { timeoutMs: z.number().int().min(0).max(120_000).optional().describe('default 10000') },
    async (a) => {
      const until = Date.now() + (a.timeoutMs ?? 10_000);
      for (;;) {
        const prompts = (await control('GET', '/prompts')) as unknown[];
        if (prompts.length > 0 || Date.now() >= until) return prompts;
        await sleep(options.pollMs ?? 100);
      }
    },
    read,
  );
  tool(
    'answer_prompt',
    'Answers a pending prompt: approve (touch), deny, or longTouch (held button, CTAP 2.3 reset confirmation).',
    { promptId: z.string().min(1), answer: z.enum(['approve', 'deny', 'longTouch']) },
    (a) => control('POST', `/prompts/${id(a.promptId)}/${a.answer}`),
  );

  // ---- faults and trace ------------------------------------------------------------------------------
  tool('get_faults', 'The armed fault plan.', {}, () => control('GET', '/faults'), read);
  tool(
    'set_faults',
    'Arms faults for the next exchanges: delayMs, dropReport / corruptReport (counts), ctapError {command, status, every}, ' +
      'badSignature, withholdPresence (timeout|cancel). See `softkey ctl faults set` in the README.',
    {
      delayMs: z.number().int().min(0).optional(),
      dropReport: z.number().int().min(1).optional().describe('drop the Nth report from now'),
      corruptReport: z
        .object({
          nth: z.number().int().min(1),
          offset: z.number().int().min(0).optional(),
          xor: z.number().int().optional(),
        })
        .optional(),
      ctapError: z
        .object({ command: z.string(), status: z.string(), every: z.boolean().optional() })
        .optional()
        .describe('e.g. { command: "authenticatorMakeCredential", status: "CTAP2_ERR_OPERATION_DENIED" }'),
      badSignature: z.boolean().optional(),
      withholdPresence: z.enum(['timeout', 'cancel']).optional(),
    },
    (a) => control('PUT', '/faults', a),
  );
  tool('clear_faults', 'Disarms every fault.', {}, () => control('DELETE', '/faults'));
  tool(
    'get_trace',
    'The decoded CTAP/CTAPHID trace since entry `since` (requests, responses, statuses, prompts).',
    { since: z.number().int().min(0).optional() },
    (a) => control('GET', `/trace${a.since ? `?since=${a.since}` : ''}`),
    read,
  );
  tool('clear_trace', 'Empties the trace.', {}, () => control('DELETE', '/trace'));
  return server;
}
