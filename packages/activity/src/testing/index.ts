/**
 * `@sf/activity/testing`: checks that a package's error classes match the error-family table of
 * this package's README (each `@sf/*` package runs it in its `error-family.test.ts`).
 */
export { errorFamilyProblems, readErrorFamilyTable } from './error-family.js';
export type { ErrorFamilyCheck, ErrorFamilyRow } from './error-family.js';
