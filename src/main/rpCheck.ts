/** softkey rp-check's entry for the CLI (src/rp-check/rpCheck.ts holds the check). */
export { checkRpCheckAdapter, formatRpCheckReport, rpCheck } from '../rp-check/rpCheck.js';
export type {
  RpCheckAdapter,
  RpCheckOptions,
  RpCheckReport,
  RpCheckResult,
  RpCheckVerdict,
} from '../rp-check/rpCheck.js';
