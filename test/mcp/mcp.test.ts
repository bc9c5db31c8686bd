/**
 * `softkey mcp` driven by the Model Context Protocol SDK's own client over stdio, against a real
 * `softkey start --presence panel` process: the agent lists the tools, seeds and removes passkeys,
 * answers the "touch the key" prompt a WebAuthn registration waits on (verified by
 * @simplewebauthn/server), switches presence, arms a fault and reads the trace. The token is never
 * given to the agent: `softkey mcp` reads it from the device's control.json.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { generateRegistrationOptions, verifyRegistrationResponse } from '@simplewebauthn/server';
import { main } from '../../src/cli/main.js';
import { connectSoftKey, type SoftKeyConnection } from '../../src/main/softkey.js';
import { softkeyCommand, startSoftkeyProcess, type SoftkeyProcess } from '../interop/startDevice.js';

type ToolResult = { content: Array<{ type: string; text: string }>; isError?: boolean };

describe('softkey mcp', () => {
  let device: SoftkeyProcess;
  let udp: SoftKeyConnection;
  let client: Client;
  let stderr = '';

  /** Calls a tool; returns its JSON answer, or throws the tool's error text. */
  async function tool(name: string, args: Record<string, unknown> = {}): Promise<any> {
    const r = (await client.callTool({ name, arguments: args })) as ToolResult;
    assert.equal(r.content[0]?.type, 'text');
    if (r.isError) throw new Error(r.content[0]!.text);
    return JSON.parse(r.content[0]!.text);
  }

  before(async () => {
    const flags = ['--panel', '127.0.0.1:0', '--no-bridge', '--no-demo'];
    device = await startSoftkeyProcess({ presence: 'panel', args: flags, readyPattern: /press Ctrl-C/ });
    udp = await connectSoftKey({
      udp: `127.0.0.1:${device.udpPort}`,
      replyTo: `127.0.0.1:${device.replyPort}`,
      timeoutMs: 30_000,
    });
    const { command, args, cwd } = softkeyCommand();
    const transport = new StdioClientTransport({
      command,
      args: [...args, 'mcp', '--data-dir', device.dataDir],
      cwd,
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (d) => (stderr += d));
    client = new Client({ name: 'softkey-test-agent', version: '1.0.0' });
    await client.connect(transport);
  });
  after(async () => {
    await client?.close();
    await udp?.close();
    await device?.stop();
  });

  it('lists the control API as tools', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    const expected = ['list_credentials', 'add_credential', 'remove_credential', 'set_presence', 'set_uv'];
    for (const n of [...expected, 'list_prompts', 'answer_prompt', 'set_faults', 'get_trace']) {
      assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
    }
    const add = tools.find((t) => t.name === 'add_credential')!;
    assert.deepEqual((add.inputSchema as { required?: string[] }).required, ['rpId']);
    assert.equal(client.getServerVersion()?.name, 'softkey');
  });

  it('seeds a passkey, lists it and removes it', async () => {
    const added = await tool('add_credential', { rpId: 'agent.example', userName: 'ada' });
    assert.match(added.credentialId, /^[\w-]{20,}$/);
    assert.match(added.publicKey, /^[\w-]{40,}$/);
    const listed = await tool('list_credentials');
    const rows = listed.map((c: { credentialId: string; rpId: string; userName: string }) => [
      c.credentialId,
      c.rpId,
      c.userName,
    ]);
    assert.deepEqual(rows, [[added.credentialId, 'agent.example', 'ada']]);
    assert.deepEqual(await tool('remove_credential', { credentialId: added.credentialId }), { removed: true });
    assert.deepEqual(await tool('list_credentials'), []);
  });

  it('answers the prompt a registration waits on; the relying party verifies the result', async () => {
    const options = await generateRegistrationOptions({
      rpName: 'Agent',
      rpID: 'localhost',
      userName: 'grace',
      attestationType: 'direct',
    });
    const pending = udp.client.create(options as never, { origin: 'http://localhost:5173' });
    const prompts = await tool('wait_for_prompt', { timeoutMs: 30_000 });
    assert.equal(prompts.length, 1);
    assert.equal(prompts[0].rpId, 'localhost');
    assert.match(prompts[0].message, /localhost/);
    assert.deepEqual(await tool('answer_prompt', { promptId: prompts[0].id, answer: 'approve' }), { answered: true });
    const response = await pending;
    const verified = await verifyRegistrationResponse({
      response: response as never,
      expectedChallenge: options.challenge,
      expectedOrigin: 'http://localhost:5173',
      expectedRPID: 'localhost',
      requireUserVerification: false,
    });
    assert.equal(verified.verified, true);
    assert.ok((await tool('list_credentials')).some((c: { userName: string }) => c.userName === 'grace'));
  });

  it('denies through a prompt answer and through the presence mode', async () => {
    const options = await generateRegistrationOptions({ rpName: 'Agent', rpID: 'localhost', userName: 'bob' });
    const denied = udp.client.create(options as never, { origin: 'http://localhost:5173' }).then(
      () => 'created',
      (e: Error) => e.name,
    );
    const [prompt] = await tool('wait_for_prompt', { timeoutMs: 30_000 });
    await tool('answer_prompt', { promptId: prompt.id, answer: 'deny' });
    assert.equal(await denied, 'NotAllowedError');
    assert.equal((await tool('set_presence', { mode: 'deny' })).mode, 'deny');
    const again = udp.client.create(options as never, { origin: 'http://localhost:5173' });
    await assert.rejects(again, (e: Error) => e.name === 'NotAllowedError');
    assert.equal((await tool('set_presence', { mode: 'panel' })).mode, 'panel');
  });

  it('arms a CTAP error fault, reads the trace, and reports bad input as tool errors', async () => {
    const plan = await tool('set_faults', {
      ctapError: { command: 'authenticatorMakeCredential', status: 'CTAP2_ERR_KEY_STORE_FULL' },
    });
    assert.deepEqual(plan.ctapError, { command: 'authenticatorMakeCredential', status: 'CTAP2_ERR_KEY_STORE_FULL' });
    const options = await generateRegistrationOptions({ rpName: 'Agent', rpID: 'localhost', userName: 'eve' });
    const refused = udp.client.create(options as never, { origin: 'http://localhost:5173' });
    await assert.rejects(refused, (e: Error & { ctapStatus?: number }) => e.ctapStatus === 0x28); // CTAP2_ERR_KEY_STORE_FULL
    const trace = await tool('get_trace');
    assert.ok(Array.isArray(trace) && trace.length > 0, 'the trace has entries');
    assert.ok(JSON.stringify(trace).includes('CTAP2_ERR_KEY_STORE_FULL'));
    assert.deepEqual(await tool('clear_faults'), {});
    await assert.rejects(
      tool('remove_credential', { credentialId: 'AAAAAAAAAAAAAAAAAAAAAA' }),
      /no discoverable credential with that ID/,
    );
    await assert.rejects(tool('set_presence', { mode: 'sometimes' }), /mode/);
    assert.equal(stderr, '', 'the MCP server wrote nothing to stderr');
  });
});

describe('softkey mcp usage', () => {
  async function run(...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['mcp', ...args], { out: (s) => out.push(s), err: (s) => err.push(s) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('prints its help and refuses bad flags with exit code 2', async () => {
    const help = await run('--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /Model Context Protocol/);
    assert.match(help.out, /answer_prompt/);
    for (const [args, message] of [
      [['--url', 'http://127.0.0.1:5174'], /--url and --token go together/],
      [['--url', 'http://127.0.0.1:5174', '--token', 't', '--data-dir', '/tmp/x'], /not both/],
      [['--colour'], /Unknown option '--colour'/],
    ] as const) {
      const r = await run(...args);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, message);
    }
  });
});
