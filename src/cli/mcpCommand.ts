/**
 * `softkey mcp [--data-dir DIR | --url URL --token TOKEN]`: a Model Context Protocol server on
 * stdin/stdout for AI agents, driving a running `softkey start` through its control API (src/mcp/stdio.ts).
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../main/address.js';
import { DEFAULT_DATA_DIR } from '../main/defaults.js';
import { runMcpServer } from '../mcp/stdio.js';

export const MCP_HELP = `softkey mcp [--data-dir DIR | --url URL --token TOKEN]
  A Model Context Protocol server (stdio) for AI agents: the control API of the softkey running on DIR
  (default ~/.softkey; its control.json gives the address and the per-run token) as tools:
  get_state, list_credentials, add_credential, remove_credential, clear_credentials, get_presence,
  set_presence, get_uv, set_uv, get_pin, set_pin, list_prompts, wait_for_prompt, answer_prompt,
  get_faults, set_faults, clear_faults, get_trace, clear_trace.`;

export async function mcpCommand(args: string[], io: { out: (s: string) => void }, version: string): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        'data-dir': { type: 'string' },
        url: { type: 'string' },
        token: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) {
    io.out(MCP_HELP);
    return 0;
  }
  if ((values.url === undefined) !== (values.token === undefined))
    throw new UsageError('--url and --token go together');
  if (values.url !== undefined && values['data-dir'] !== undefined)
    throw new UsageError('give --data-dir or --url/--token, not both');
  const endpoint =
    values.url !== undefined
      ? { url: values.url, token: values.token! }
      : { dataDir: values['data-dir'] ?? DEFAULT_DATA_DIR };
  await runMcpServer(endpoint, version);
  return 0;
}
