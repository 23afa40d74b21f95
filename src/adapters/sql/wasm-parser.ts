// The GoogleSQL parser: sqlparser-rs (BigQuery dialect) compiled to WebAssembly, from the
// `@guanmingchiu/sqlparser-ts` package (pinned: the syntax tree's shape changes between
// versions; docs/decisions/sql-parser.md says why this parser).
//
// We load the package's wasm-bindgen module ourselves instead of calling its `parse()`: when the
// parser runs out of WebAssembly stack (a very deep expression) the instance traps and every
// later call fails too, and the package keeps one instance per process with no way to replace
// it. Each import of the bindings module under a new URL is a fresh, uninitialised copy, so we
// keep spare copies and swap one in, synchronously, when the active one has crashed.
import type { Statement } from '@guanmingchiu/sqlparser-ts';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface Bindings {
  initSync(options: { module: WasmModule }): unknown;
  parse_sql(dialect: string, sql: string): Statement[];
}

export type ParseResult =
  | { ok: true; statements: unknown[] }
  | { ok: false; error: string; line?: number; column?: number };

const packageEntry = createRequire(import.meta.url).resolve('@guanmingchiu/sqlparser-ts');
const wasmDir = join(dirname(packageEntry), '..', 'wasm');
const bindingsUrl = pathToFileURL(join(wasmDir, 'sqlparser_rs_wasm.js')).href;
// @types/node declares WebAssembly's types but not the global value
const wasmApi = (
  globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => WasmModule } }
).WebAssembly;
type WasmModule = object;
let compiled: WasmModule | undefined;
let copies = 0;

async function importBindings(): Promise<Bindings> {
  copies += 1;
  return (await import(`${bindingsUrl}?copy=${copies}`)) as Bindings;
}

export class WasmSqlParser {
  private active: Bindings | null;
  private refilling = 0;

  private constructor(
    first: Bindings,
    private readonly spares: Bindings[],
    private readonly spareCount: number,
  ) {
    compiled ??= new wasmApi.Module(readFileSync(join(wasmDir, 'sqlparser_rs_wasm_bg.wasm')));
    first.initSync({ module: compiled });
    this.active = first;
  }

  /** Loads the parser with `spares` ready replacements for an instance that crashes. */
  static async load(spares = 2): Promise<WasmSqlParser> {
    const loaded = await Promise.all(Array.from({ length: spares + 1 }, importBindings));
    return new WasmSqlParser(loaded[0]!, loaded.slice(1), spares);
  }

  /** How many replacement instances are loaded and waiting. */
  get sparesReady(): number {
    return this.spares.length;
  }

  parse(sql: string): ParseResult {
    const bindings = this.active ?? this.swapIn();
    if (!bindings) return { ok: false, error: 'the SQL parser is restarting after a crash' };
    try {
      return { ok: true, statements: bindings.parse_sql('bigquery', sql) };
    } catch (error) {
      if (error instanceof Error) {
        // A trap (stack overflow, out-of-bounds access): this instance is unusable from now on.
        this.active = null;
        this.swapIn();
        return { ok: false, error: `the SQL parser crashed on this input (${error.message})` };
      }
      const detail = error as { message?: unknown; line?: unknown; column?: unknown };
      return {
        ok: false,
        error: typeof detail.message === 'string' ? detail.message : String(error),
        ...(typeof detail.line === 'number' && typeof detail.column === 'number'
          ? { line: detail.line, column: detail.column }
          : {}),
      };
    }
  }

  private swapIn(): Bindings | null {
    const next = this.spares.shift();
    if (next && compiled) {
      next.initSync({ module: compiled });
      this.active = next;
    }
    while (this.spares.length + this.refilling < this.spareCount) {
      this.refilling += 1;
      void importBindings().then(
        (copy) => {
          this.refilling -= 1;
          this.spares.push(copy);
        },
        () => {
          this.refilling -= 1;
        },
      );
    }
    return this.active;
  }
}
