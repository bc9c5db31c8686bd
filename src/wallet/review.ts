/**
 * The review port: the device "screen" on which the user approves or rejects. Every request names
 * what it approves (`title`) and lists the fields shown, in order. The wallet never decides for the
 * user; tests script it, the panel renders it, the CLI may auto-approve.
 */

export interface ReviewItem {
  label: string;
  value: string;
}

export interface ReviewRequest {
  title: string;
  items: ReviewItem[];
}

export type ReviewOutcome = 'approved' | 'denied' | 'timeout';

/** An information screen the user dismisses (e.g. "Expert Mode Required"); nothing is approved. */
export interface ReviewNotice {
  title: string;
  message: string;
}

export interface TransactionReview {
  review(req: ReviewRequest, signal?: AbortSignal): Promise<ReviewOutcome>;
  /** Shows a notice and resolves when dismissed. Optional: without it the answer is immediate. */
  notice?(req: ReviewNotice, signal?: AbortSignal): Promise<void>;
}

/** Titles of the prompts, one per thing approved. */
export const REVIEW_TITLE = {
  ADDRESS: 'Verify Filecoin address',
  TRANSACTION: 'Sign Filecoin transaction',
  RAW_BYTES: 'Sign raw bytes (blind signing)',
  PERSONAL_MESSAGE: 'Sign FVM personal message',
} as const;
