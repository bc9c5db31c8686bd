/**
 * Fault injection plan: what the device should get wrong, on purpose, for testing clients. The
 * plan is data; faultInjection.ts applies it around the transports and the CTAP2 dispatch, so the
 * authenticator itself stays correct. Report counts start when the plan is set (1 = the next report).
 * `badSignature` is not applied here: the Controller arms the wrong answer `bad-signature` for it
 * (wrongAnswers.ts; one implementation of the lie, in the authenticator).
 */

export interface CorruptReport {
  /** Which outgoing 64-byte report, counted from when the plan was set (1 = the next). */
  nth: number;
  /** Byte offset to damage; default 7 (the first payload byte of an initialization packet). */
  offset?: number;
  /** XOR mask; default 0xff. */
  xor?: number;
}

export interface CtapErrorFault {
  /** CTAP2 command byte (e.g. 0x01 authenticatorMakeCredential). */
  command: number;
  /** CTAP status to answer with instead of running the command. */
  status: number;
  /** Every such command, not only the next. */
  every?: boolean;
}

export interface FaultPlan {
  /** Every CTAP response (CBOR and MSG) leaves this many milliseconds late (keepalives continue). */
  delayMs?: number;
  /** Drop the Nth outgoing report (1 = the next). */
  dropReport?: number;
  corruptReport?: CorruptReport;
  ctapError?: CtapErrorFault;
  /**
   * The next assertion (a getAssertion with user presence) carries a signature that does not verify:
   * the wrong answer `bad-signature`, armed once for authentication (Controller.setFaults).
   */
  badSignature?: boolean;
  /** Prompts are never answered: they end at the user-action timeout, or only on CTAPHID_CANCEL. */
  withholdPresence?: 'timeout' | 'cancel';
}

export class FaultError extends RangeError {
  override name = 'FaultError';
}

const isCount = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 1;
const isByte = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xff;

/** Checks a plan received as JSON; throws FaultError naming the first bad field. */
export function checkFaultPlan(input: unknown): FaultPlan {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new FaultError('a fault plan is a JSON object');
  const p = input as Record<string, unknown>;
  const known = ['delayMs', 'dropReport', 'corruptReport', 'ctapError', 'badSignature', 'withholdPresence'];
  for (const k of Object.keys(p))
    if (!known.includes(k)) throw new FaultError(`unknown fault "${k}" (known: ${known.join(', ')})`);
  const plan: FaultPlan = {};
  if (p.delayMs !== undefined) {
    if (!Number.isInteger(p.delayMs) || (p.delayMs as number) < 0 || (p.delayMs as number) > 600_000)
      throw new FaultError('delayMs must be 0–600000');
    plan.delayMs = p.delayMs as number;
  }
  if (p.dropReport !== undefined) {
    if (!isCount(p.dropReport)) throw new FaultError('dropReport must be a count ≥ 1');
    plan.dropReport = p.dropReport;
  }
  if (p.corruptReport !== undefined) {
    const c = (typeof p.corruptReport === 'number' ? { nth: p.corruptReport } : p.corruptReport) as Record<
      string,
      unknown
    >;
    if (typeof c !== 'object' || c === null || !isCount(c.nth))
      throw new FaultError('corruptReport.nth must be a count ≥ 1');
    if (
      c.offset !== undefined &&
      !(Number.isInteger(c.offset) && (c.offset as number) >= 0 && (c.offset as number) < 64)
    )
      throw new FaultError('corruptReport.offset must be 0–63');
    if (c.xor !== undefined && !(isByte(c.xor) && c.xor !== 0)) throw new FaultError('corruptReport.xor must be 1–255');
    plan.corruptReport = {
      nth: c.nth,
      ...(c.offset !== undefined && { offset: c.offset as number }),
      ...(c.xor !== undefined && { xor: c.xor }),
    };
  }
  if (p.ctapError !== undefined) {
    const e = p.ctapError as Record<string, unknown>;
    if (typeof e !== 'object' || e === null || !isByte(e.command) || !isByte(e.status) || e.status === 0)
      throw new FaultError('ctapError needs a command byte and a non-zero status byte');
    plan.ctapError = { command: e.command, status: e.status, ...(e.every === true && { every: true }) };
  }
  if (p.badSignature !== undefined) {
    if (typeof p.badSignature !== 'boolean') throw new FaultError('badSignature must be true or false');
    if (p.badSignature) plan.badSignature = true;
  }
  if (p.withholdPresence !== undefined) {
    if (p.withholdPresence !== 'timeout' && p.withholdPresence !== 'cancel')
      throw new FaultError('withholdPresence must be "timeout" or "cancel"');
    plan.withholdPresence = p.withholdPresence;
  }
  return plan;
}

/** The armed plan and its counters; one-shot faults disarm themselves when they fire. */
export class Faults {
  private plan: FaultPlan = {};
  private reportsSent = 0;

  constructor(private readonly onChange: () => void = () => {}) {}

  get current(): FaultPlan {
    return { ...this.plan };
  }

  /** Replaces the plan (report counts restart). */
  set(plan: FaultPlan): void {
    this.plan = { ...plan };
    this.reportsSent = 0;
    this.onChange();
  }

  clear(): void {
    this.set({});
  }

  /** An outgoing report: the same, damaged (a copy), or undefined when dropped. */
  outgoingReport(report: Uint8Array): Uint8Array | undefined {
    const { dropReport, corruptReport } = this.plan;
    if (dropReport === undefined && corruptReport === undefined) return report;
    const n = ++this.reportsSent;
    if (dropReport === n) {
      this.disarm('dropReport');
      return undefined;
    }
    if (corruptReport?.nth === n) {
      this.disarm('corruptReport');
      const copy = report.slice();
      const offset = Math.min(corruptReport.offset ?? 7, copy.length - 1);
      copy[offset] = copy[offset]! ^ (corruptReport.xor ?? 0xff);
      return copy;
    }
    return report;
  }

  /** The status to answer instead of running this CTAP2 command, if a fault says so. */
  ctapErrorFor(command: number): number | undefined {
    const f = this.plan.ctapError;
    if (!f || f.command !== command) return undefined;
    if (!f.every) this.disarm('ctapError');
    return f.status;
  }

  get delayMs(): number {
    return this.plan.delayMs ?? 0;
  }

  private disarm(key: keyof FaultPlan): void {
    const { [key]: _gone, ...rest } = this.plan;
    this.plan = rest;
    this.onChange();
  }
}
