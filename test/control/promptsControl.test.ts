/**
 * The control surface of split mode's front (control/promptsControl.ts): presence and prompts are
 * live on its broker (events for the panel's WebSocket, answers by id, mode changes that answer
 * waiting prompts), everything the front does not hold is a ControlError naming split mode.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ControlError, type ControlEvent } from '../../src/control/controller.js';
import { createPromptsControl } from '../../src/control/promptsControl.js';

const request = { operation: 'getAssertion' as const, rpId: 'example.com', message: 'Sign in to example.com?' };

describe('split front control surface', () => {
  it('a prompt is announced to subscribers, listed, and answered by id', async () => {
    const { presence, controller } = createPromptsControl({ mode: 'panel' });
    const events: ControlEvent[] = [];
    const unsubscribe = controller.subscribe((e) => events.push(e));
    const pending = presence.request(request, new AbortController().signal);
    const [prompt] = controller.prompts();
    assert.equal(prompt?.rpId, 'example.com');
    assert.deepEqual(controller.state().prompts, [prompt]);
    assert.ok(events.some((e) => e.type === 'prompts' && e.prompts.length === 1));
    assert.throws(
      () => controller.answerPrompt('999', true),
      (e: unknown) => e instanceof ControlError && e.kind === 'not-found',
    );
    assert.deepEqual(controller.answerPrompt(prompt!.id, false), { answered: true });
    assert.equal(await pending, 'denied');
    assert.ok(events.some((e) => e.type === 'prompts' && e.prompts.length === 0));
    unsubscribe();
  });

  it('switching to auto answers the waiting prompt; modes and timeouts are checked', async () => {
    const { presence, controller } = createPromptsControl({ mode: 'panel', timeoutMs: 60_000 });
    const pending = presence.request(request, new AbortController().signal);
    assert.deepEqual(controller.setPresence({ mode: 'auto' }), { mode: 'auto', timeoutMs: 60_000 });
    assert.equal(await pending, 'approved');
    assert.throws(() => controller.setPresence({ mode: 'maybe' }), /mode must be one of/);
    assert.throws(() => controller.setPresence({ timeoutMs: -1 }), /positive whole number/);
    assert.throws(() => controller.setPresence({ mode: 'prompt' }), /no terminal/);
  });

  it('what the secure core holds is refused, naming split mode', () => {
    const { controller } = createPromptsControl({ mode: 'panel' });
    for (const call of [
      () => controller.credentials(),
      () => controller.pin(),
      () => controller.reset(),
      () => controller.setFaults({}),
      () => controller.exportState(),
    ]) {
      assert.throws(call, (e: unknown) => e instanceof ControlError && /not available in split mode/.test(e.message));
    }
  });
});
