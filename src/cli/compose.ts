import type { SqlInspector } from '../ports/sql-inspector.js';

// Which adapter implements the SQL inspector port, for the CLI.

/**
 * Stub until the GoogleSQL inspector adapter lands in src/adapters/sql/: every pattern is
 * reported as not parsed (and counted in `warnings`), so SQL-based checks are skipped, never faked.
 */
export function createInspector(): SqlInspector {
  return {
    inspect: () => ({
      parsed: false,
      error: 'SQL inspector not configured',
      findings: [],
      filters: [],
      joins: [],
    }),
  };
}
