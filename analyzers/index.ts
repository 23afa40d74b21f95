import type { Analyzer } from '../src/domain/context.js';

// The analyzer registry: explicit and sorted by id. Each entry is one file analyzers/<id>.ts
// with one test test/analyzers/<id>.test.ts (a parity test checks all three agree).

export const analyzers: readonly Analyzer[] = [];
