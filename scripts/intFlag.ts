/** `--name N` for the soak and fuzz scripts: a whole number ≥ 0, or the fallback when absent. */
export function intFlag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`${name} needs a whole number, got "${args[i + 1]}"`);
  return v;
}
