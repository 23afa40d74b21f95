import { parseArgs, type ParseArgsConfig } from 'node:util';
import { badInput } from '../errors.js';
import { parseBqTimestamp } from '../domain/timestamps.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export type Values<T extends Options> = {
  [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string;
} & { help?: boolean };

export function parse<T extends Options>(
  command: string,
  argv: string[],
  options: T,
): { values: Values<T>; positionals: string[] } {
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values: parsed.values as Values<T>, positionals: parsed.positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw badInput(
      'cli.bad_arguments',
      `bqcost ${command}: ${message.replace(/^.*?: /, '')} (see bqcost ${command} --help)`,
    );
  }
}

export function positiveInt(
  flag: string,
  value: string | undefined,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw badInput(
      'cli.bad_value',
      `--${flag} must be a whole number from 1 to ${max}, got "${value}"`,
    );
  }
  return Number(value);
}

export function nonNegativeInt(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value))
    throw badInput('cli.bad_value', `--${flag} must be a whole number, got "${value}"`);
  return Number(value);
}

export function timestamp(flag: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? new Date(`${value}T00:00:00Z`)
    : parseBqTimestamp(value);
  if (!date || Number.isNaN(date.getTime())) {
    throw badInput(
      'cli.bad_value',
      `--${flag} must be a date or timestamp (2026-10-01, 2026-10-01T12:00:00Z, …), got "${value}"`,
    );
  }
  return date;
}

export function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw badInput(
      'cli.bad_value',
      `--${flag} must be one of ${allowed.join(', ')}, got "${value}"`,
    );
  }
  return value as T;
}

export function required(flag: string, command: string, value: string | undefined): string {
  if (value === undefined || value === '')
    throw badInput(
      'cli.missing_flag',
      `bqcost ${command}: --${flag} is required (see bqcost ${command} --help)`,
    );
  return value;
}
