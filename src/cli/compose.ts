import { GoogleSqlInspector } from '../adapters/sql/googlesql-inspector.js';
import type { SqlInspector } from '../ports/sql-inspector.js';

// Which adapter implements the SQL inspector port, for the CLI and the runtime (src/runtime.ts).

let inspector: Promise<SqlInspector> | undefined;

/** The GoogleSQL inspector (a WebAssembly parser, loaded once per process). */
export function createInspector(): Promise<SqlInspector> {
  inspector ??= GoogleSqlInspector.create();
  return inspector;
}
