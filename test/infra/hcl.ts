// Terraform read with HashiCorp's own HCL parser (@cdktf/hcl2json, the Go hcl library compiled
// to WebAssembly): every .tf file becomes JSON in Terraform's JSON syntax, and `${…}` expressions
// are analysed with the same library. The checks below are pure functions over that JSON so the
// policy tests can also feed them deliberately broken snippets.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getReferencesInExpression, parse } from '@cdktf/hcl2json';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const infraRoot = join(repoRoot, 'infra');

export interface TfBlock {
  file: string;
  kind: 'resource' | 'data' | 'module' | 'variable' | 'output';
  /** Resource or data type; '' for module, variable and output. */
  type: string;
  name: string;
  body: JsonObject;
}

export interface TfModule {
  /** Directory relative to the repository root. */
  dir: string;
  blocks: TfBlock[];
  locals: JsonObject;
  /** Parsed JSON per file name, for checks that need the raw shape (terraform, provider). */
  files: Record<string, JsonObject>;
}

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses a module from file name → HCL text; throws with the parser's message on bad HCL. */
export async function parseModule(dir: string, sources: Record<string, string>): Promise<TfModule> {
  const module: TfModule = { dir, blocks: [], locals: {}, files: {} };
  for (const [file, text] of Object.entries(sources)) {
    const json = (await parse(file, text)) as JsonObject;
    module.files[file] = json;
    for (const kind of ['resource', 'data'] as const) {
      const byType = json[kind];
      if (!isObject(byType)) continue;
      for (const [type, byName] of Object.entries(byType)) {
        if (!isObject(byName)) continue;
        for (const [name, bodies] of Object.entries(byName)) {
          for (const body of Array.isArray(bodies) ? bodies : [bodies]) {
            if (isObject(body)) module.blocks.push({ file, kind, type, name, body });
          }
        }
      }
    }
    for (const kind of ['module', 'variable', 'output'] as const) {
      const byName = json[kind];
      if (!isObject(byName)) continue;
      for (const [name, bodies] of Object.entries(byName)) {
        for (const body of Array.isArray(bodies) ? bodies : [bodies]) {
          if (isObject(body)) module.blocks.push({ file, kind, type: '', name, body });
        }
      }
    }
    const locals = json.locals;
    for (const part of Array.isArray(locals) ? locals : locals ? [locals] : []) {
      if (isObject(part)) Object.assign(module.locals, part);
    }
  }
  return module;
}

export function tfFilesIn(absDir: string): string[] {
  return readdirSync(absDir)
    .filter((name) => name.endsWith('.tf'))
    .sort();
}

export async function loadModule(absDir: string): Promise<TfModule> {
  const sources: Record<string, string> = {};
  for (const name of tfFilesIn(absDir)) sources[name] = readFileSync(join(absDir, name), 'utf8');
  return parseModule(relative(repoRoot, absDir), sources);
}

/** Every directory under infra/ that holds .tf files. */
export function moduleDirs(root = infraRoot): string[] {
  const dirs: string[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir);
    if (entries.some((name) => name.endsWith('.tf'))) dirs.push(dir);
    for (const name of entries) {
      const path = join(dir, name);
      if (!name.startsWith('.') && statSync(path).isDirectory()) walk(path);
    }
  };
  walk(root);
  return dirs.sort();
}

export async function loadInfra(): Promise<Map<string, TfModule>> {
  const modules = new Map<string, TfModule>();
  for (const dir of moduleDirs()) modules.set(relative(repoRoot, dir), await loadModule(dir));
  return modules;
}

export const blocksOf = (module: TfModule, kind: TfBlock['kind'], type = ''): TfBlock[] =>
  module.blocks.filter((b) => b.kind === kind && (type === '' || b.type === type));

export function blockNamed(module: TfModule, kind: TfBlock['kind'], name: string, type = '') {
  return module.blocks.find((b) => b.kind === kind && b.name === name && b.type === type);
}

/** A nested block's first body (`time_partitioning { … }` → its attributes). */
export function nested(body: JsonObject | undefined, name: string): JsonObject | undefined {
  const value = body?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return isObject(first) ? first : undefined;
}

/** Every string anywhere inside a value, with the path to it. */
export function strings(value: Json, path = ''): { path: string; value: string }[] {
  if (typeof value === 'string') return [{ path, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (isObject(value)) return Object.entries(value).flatMap(([k, v]) => strings(v, `${path}.${k}`));
  return [];
}

/** The module directory a `source = "../x"` points to, relative to the repository root. */
export function moduleSourceDir(module: TfModule, source: string): string {
  return relative(repoRoot, resolve(repoRoot, module.dir, source));
}

/**
 * The top-level `${…}` interpolations of a string as the parser's JSON holds it. Literal text
 * (with its quotes already unescaped) is skipped; quotes and nested templates inside an
 * interpolation are expression syntax and kept.
 */
export function interpolations(text: string): string[] {
  const found: string[] = [];
  // Returns the index of the `}` closing an interpolation whose body starts at `i`.
  const closeExpression = (i: number): number => {
    let depth = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') i = closeString(i + 1);
      else if (c === '{') depth++;
      else if (c === '}') {
        if (depth === 0) return i;
        depth--;
      }
      i++;
    }
    throw new Error(`unterminated interpolation in: ${text}`);
  };
  // Returns the index of the `"` closing a string literal whose body starts at `i`.
  const closeString = (i: number): number => {
    while (i < text.length) {
      const c = text[i];
      if (c === '\\') i += 2;
      else if (c === '"') return i;
      else if (c === '$' && text[i + 1] === '{') i = closeExpression(i + 2) + 1;
      else i++;
    }
    throw new Error(`unterminated string in: ${text}`);
  };
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) i += 3;
    else if (text.startsWith('${', i)) {
      const end = closeExpression(i + 2);
      found.push(text.slice(i, end + 1));
      i = end + 1;
    } else i++;
  }
  return found;
}

const alwaysInScope = new Set(['path', 'terraform', 'self']);

interface Scope {
  iterators: Set<string>;
  forEach: boolean;
  count: boolean;
}

/**
 * References (`var.x`, `local.y`, `module.m.out`, `data.t.n`, `type.name`) that do not resolve
 * to a declaration in the module, or for module outputs, in the called module's outputs.
 */
export async function unresolvedReferences(
  module: TfModule,
  modules: ReadonlyMap<string, TfModule>,
): Promise<string[]> {
  const problems: string[] = [];
  const has = (kind: TfBlock['kind'], name: string, type = '') =>
    Boolean(blockNamed(module, kind, name, type));

  const check = async (text: string, where: string, scope: Scope) => {
    const refs = [];
    for (const expression of interpolations(text)) {
      refs.push(...(await getReferencesInExpression(where, expression)));
    }
    for (const { value } of refs) {
      const parts = value.split('.');
      const [root = '', second = '', third = ''] = parts;
      let ok: boolean;
      if (alwaysInScope.has(root) || scope.iterators.has(root)) ok = true;
      else if (root === 'each') ok = scope.forEach;
      else if (root === 'count') ok = scope.count;
      else if (root === 'var') ok = has('variable', second);
      else if (root === 'local') ok = second in module.locals;
      else if (root === 'data') ok = has('data', third, second);
      else if (root === 'module') {
        const call = blockNamed(module, 'module', second);
        ok = Boolean(call);
        if (call && third) {
          const target = modules.get(moduleSourceDir(module, String(call.body.source)));
          ok = Boolean(target && blockNamed(target, 'output', third));
        }
      } else ok = has('resource', second, root);
      if (!ok) problems.push(`${module.dir}/${where}: ${value} does not resolve`);
    }
  };

  const walk = async (value: Json, where: string, scope: Scope): Promise<void> => {
    if (typeof value === 'string') return check(value, where, scope);
    if (Array.isArray(value)) {
      for (const item of value) await walk(item, where, scope);
      return;
    }
    if (!isObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
      if (key === 'dynamic' && isObject(child)) {
        for (const [label, bodies] of Object.entries(child)) {
          for (const body of Array.isArray(bodies) ? bodies : [bodies]) {
            if (!isObject(body)) continue;
            const iterator = typeof body.iterator === 'string' ? body.iterator : label;
            const { content, ...rest } = body;
            await walk(rest as Json, `${where}.dynamic.${label}`, scope);
            const inner = { ...scope, iterators: new Set([...scope.iterators, iterator]) };
            await walk(content ?? null, `${where}.dynamic.${label}.content`, inner);
          }
        }
      } else await walk(child, `${where}.${key}`, scope);
    }
  };

  for (const block of module.blocks) {
    const scope: Scope = {
      iterators: new Set(),
      forEach: 'for_each' in block.body,
      count: 'count' in block.body,
    };
    const label = [block.kind, block.type, block.name].filter(Boolean).join('.');
    // A variable's `type` is a type constraint (`${string}`), not a reference.
    const { type: _type, ...rest } = block.body;
    await walk(block.kind === 'variable' ? rest : block.body, `${block.file}:${label}`, scope);
  }
  for (const [name, value] of Object.entries(module.locals)) {
    await walk(value, `locals.${name}`, { iterators: new Set(), forEach: false, count: false });
  }
  return problems;
}

/** Module calls: every argument is a variable of the callee, every required variable is set. */
export function moduleCallProblems(
  module: TfModule,
  modules: ReadonlyMap<string, TfModule>,
): string[] {
  const meta = new Set(['source', 'version', 'depends_on', 'providers', 'count', 'for_each']);
  const problems: string[] = [];
  for (const call of blocksOf(module, 'module')) {
    const targetDir = moduleSourceDir(module, String(call.body.source));
    const target = modules.get(targetDir);
    if (!target) {
      problems.push(`${module.dir}: module.${call.name} source ${targetDir} has no .tf files`);
      continue;
    }
    const variables = blocksOf(target, 'variable');
    for (const arg of Object.keys(call.body).filter((k) => !meta.has(k))) {
      if (!variables.some((v) => v.name === arg)) {
        problems.push(
          `${module.dir}: module.${call.name} passes ${arg}, not a variable of ${targetDir}`,
        );
      }
    }
    for (const variable of variables) {
      if (!('default' in variable.body) && !(variable.name in call.body)) {
        problems.push(
          `${module.dir}: module.${call.name} misses required variable ${variable.name}`,
        );
      }
    }
  }
  return problems;
}

/** `file("${path.module}/x")` targets that do not exist. */
export function missingFiles(module: TfModule): string[] {
  const problems: string[] = [];
  for (const block of module.blocks) {
    for (const { value } of strings(block.body)) {
      for (const match of value.matchAll(/file\("\$\{path\.module\}\/([^"$]+)"\)/g)) {
        if (!existsSync(join(repoRoot, module.dir, match[1]!))) {
          problems.push(`${module.dir}: ${block.type}.${block.name} reads missing ${match[1]}`);
        }
      }
    }
  }
  return problems;
}

export const readRepoFile = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
export const repoPathExists = (path: string) => existsSync(join(repoRoot, path));
