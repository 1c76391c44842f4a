/** What one call of a script takes and gives back, for the typed table in scripts.ts. */
export interface ScriptSignature {
  keys: readonly string[];
  args: readonly (string | number)[];
  reply: unknown;
}

/** A script flag argument: '1' = yes, '0' = no. */
export type LuaFlag = '0' | '1';

/** A Lua script as this package registers (`defineCommand`) and calls it. */
export interface LuaScript<Reply> {
  /**
   * The versioned command name. Documented, and how copies of this package share a client: a
   * change of keys, arguments, reply or behaviour needs a new version.
   */
  readonly name: string;
  /** How many KEYS it takes: the `<keys>` of its file name `<name>-<keys>.ts` ('n' = any number). */
  readonly keys: number | 'n';
  /** The source as written; `--@include` lines are expanded when the scripts are loaded. */
  readonly source: string;
  /** What a reply looks like, for the error when it does not (`expected <this> from sfXxxV1`). */
  readonly expected: string;
  /** Gives a raw reply its type; `undefined` when it has another shape. */
  readonly reply: (raw: unknown) => Reply | undefined;
}

export function isInteger(raw: unknown): raw is number {
  return typeof raw === 'number' && Number.isInteger(raw);
}

export function isStringArray(raw: unknown): raw is string[] {
  return Array.isArray(raw) && raw.every((item) => typeof item === 'string');
}
