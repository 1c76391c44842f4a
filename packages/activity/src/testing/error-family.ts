import { readFileSync } from 'node:fs';
import { SfError } from '../errors.js';

/** A row of the error-family table in @sf/activity's README ("The error family"). */
export interface ErrorFamilyRow {
  pkg: string;
  parent: string;
  code: string;
}

/** What one package says of its error classes, for {@link errorFamilyProblems}. */
export interface ErrorFamilyCheck {
  /** The package whose rows of the table are checked, e.g. `@sf/storage-redis`. */
  pkg: string;
  /** The package's public API (`import * as api from './index.js'`). */
  api: Record<string, unknown>;
  /** Every error class the package exports, made (their constructors differ). */
  errors: Record<string, () => SfError>;
  /** Exported classes whose row belongs to another package (re-exports). */
  reexported?: readonly string[];
  /** Classes in the package's rows that it does not export (checked by the package itself). */
  internal?: readonly string[];
}

/** The table, class name -> row; a class listed twice is an error. */
export function readErrorFamilyTable(): Map<string, ErrorFamilyRow> {
  const text = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = text.slice(text.indexOf('### The error family'));
  const rows = new Map<string, ErrorFamilyRow>();
  for (const match of section.matchAll(
    /^\| `(\w+)` +\| `([@\w/-]+)` +\| `(\w+)` +\| `(\w+)` +\|/gm,
  )) {
    if (rows.has(match[1]!)) throw new Error(`${match[1]} is listed twice in the error family`);
    rows.set(match[1]!, { pkg: match[2]!, parent: match[3]!, code: match[4]! });
  }
  return rows;
}

/**
 * Where a package's error classes and the family table disagree, one line each: an exported
 * class missing from `errors`, a row without a class, a class that is not an SfError, or whose
 * name, code or parent is not the table's. Empty when they agree.
 */
export function errorFamilyProblems(check: ErrorFamilyCheck): string[] {
  const table = readErrorFamilyTable();
  const problems: string[] = [];
  const made = Object.keys(check.errors).sort();
  const exported = Object.entries(check.api)
    .filter(
      ([, value]) =>
        typeof value === 'function' &&
        (value as { prototype?: unknown }).prototype instanceof Error,
    )
    .map(([name]) => name)
    .sort();
  if (exported.join() !== made.join())
    problems.push(`exported error classes [${exported.join(', ')}], made [${made.join(', ')}]`);
  const rows = [...table]
    .filter(([name, row]) => row.pkg === check.pkg && !check.internal?.includes(name))
    .map(([name]) => name)
    .sort();
  const own = made.filter((name) => !check.reexported?.includes(name));
  if (rows.join() !== own.join())
    problems.push(`rows of ${check.pkg} [${rows.join(', ')}], classes [${own.join(', ')}]`);
  for (const [name, make] of Object.entries(check.errors)) {
    const error = make();
    const row = table.get(name);
    if (!SfError.isInstance(error)) problems.push(`${name} is not an SfError`);
    if (error.name !== name) problems.push(`${name} is named ${error.name}`);
    if (error.code !== row?.code)
      problems.push(`${name} has code ${error.code}, table ${row?.code}`);
    const parent = (Object.getPrototypeOf(error.constructor) as { name: string }).name;
    if (parent !== row?.parent) problems.push(`${name} extends ${parent}, table ${row?.parent}`);
  }
  return problems;
}
