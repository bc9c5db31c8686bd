/**
 * The user as the secure core reaches it when the front shows the prompts (`softkey start --split
 * --presence panel`, docs/split.md "Prompts"): the authenticator's UserPresence port and the
 * Filecoin app's TransactionReview port over the stream. Each prompt becomes a promptRequest
 * (0x0117) naming what it approves (the RP, or the transaction's title and review items); the
 * front's answer (promptResponse 0x0118) settles it. When the request is cancelled (CTAPHID_CANCEL
 * reached the core as cancelRequest 0x010F) the core stops waiting and tells the front to take the
 * prompt off its screen (promptCancel 0x0119). The user-action timeout is the front's: its presence
 * broker answers 'timeout' as it does in the single-process device.
 */
import type { Duplex } from 'node:stream';
import type { PresenceRequest, PresenceResult, UserPresence } from '../../authenticator/env.js';
import {
  encodeMessage,
  MAX_PROMPT_TEXT,
  PromptKind,
  truncateUtf8,
  type PromptOperation,
  type PromptRequest,
  type PromptResponse,
  type PromptResult,
} from '../../securecore/messages.js';
import type { ReviewOutcome, ReviewRequest, TransactionReview } from '../../wallet/review.js';

type PromptFields = Omit<PromptRequest, 'type' | 'id'>;

/** Display text cut to the message's field (a presence prompt's names; the RP ID of a WebAuthn RP is far shorter). */
const shown = (s: string | undefined) => truncateUtf8(s, MAX_PROMPT_TEXT);

export class FrontPrompts implements UserPresence, TransactionReview {
  private nextId = 1;
  private readonly waiting = new Map<number, (result: PromptResult) => void>();

  constructor(private readonly stream: Pick<Duplex, 'write' | 'destroyed'>) {}

  /** UserPresence: "touch the key" for the RP the request names (CTAP 2.1 §6.1.2 step 13, §6.2.2 step 9, …). */
  request(req: PresenceRequest, signal: AbortSignal): Promise<PresenceResult> {
    const operation: PromptOperation = req.operation; // the wire table names every PresenceOperation
    return this.ask(
      {
        kind: PromptKind.presence,
        operation,
        longTouch: req.longTouch === true,
        rpId: shown(req.rpId),
        rpName: shown(req.rpName),
        userName: shown(req.userName),
        userDisplayName: shown(req.userDisplayName),
        text: shown(req.message),
        items: [],
      },
      signal,
    );
  }

  /**
   * TransactionReview: the Filecoin app's screen, every item as the app rendered it. Nothing is cut:
   * a review that does not fit the message fails (the user cannot approve what cannot be shown).
   */
  async review(req: ReviewRequest, signal?: AbortSignal): Promise<ReviewOutcome> {
    const result = await this.ask(
      {
        kind: PromptKind.review,
        operation: 'signTransaction',
        longTouch: false,
        rpId: '',
        rpName: '',
        userName: '',
        userDisplayName: '',
        text: req.title,
        items: req.items.map((i) => ({ label: i.label, value: i.value })),
      },
      signal,
    );
    return result === 'longTouch' ? 'approved' : result; // a long touch is a touch
  }

  /** A promptResponse from the front; an answer to a prompt no longer waited for is dropped. */
  answer(m: PromptResponse): void {
    this.waiting.get(m.id)?.(m.result);
  }

  /** The stream closed: nobody can answer any more. */
  close(): void {
    for (const finish of [...this.waiting.values()]) finish('timeout');
  }

  private ask(fields: PromptFields, signal: AbortSignal | undefined): Promise<PromptResult> {
    if (signal?.aborted || this.stream.destroyed) return Promise.resolve('timeout');
    const id = this.nextId;
    this.nextId = this.nextId === 0xffffffff ? 1 : this.nextId + 1;
    const request = encodeMessage({ type: 'promptRequest', id, ...fields }); // throws RangeError when it does not fit
    return new Promise((resolve) => {
      const onAbort = () => {
        if (!this.stream.destroyed) this.stream.write(encodeMessage({ type: 'promptCancel', id }));
        // One turn later, as the presence broker does, so the authenticator sees the cancel first
        // (CTAP2_ERR_KEEPALIVE_CANCEL, not the timeout this answer stands for).
        setImmediate(() => finish('timeout'));
      };
      const finish = (result: PromptResult) => {
        if (!this.waiting.delete(id)) return;
        signal?.removeEventListener('abort', onAbort);
        resolve(result);
      };
      this.waiting.set(id, finish);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.stream.write(request);
    });
  }
}
