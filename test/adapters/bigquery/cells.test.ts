import { describe, expect, it } from 'vitest';
import { cellString, cellTimestamp, unwrap } from '../../../src/adapters/bigquery/cells.js';

describe('BigQuery result cells', () => {
  it('unwrap: the wire value of a wrapped cell; plain values and Dates as they are', () => {
    const at = new Date('2026-11-28T09:00:00Z');
    expect(unwrap({ value: '2026-11-28' })).toBe('2026-11-28');
    expect(unwrap('x')).toBe('x');
    expect(unwrap(at)).toBe(at);
    expect(unwrap(null)).toBeNull();
  });

  it('cellString: text of any cell, NULL as null', () => {
    expect(cellString({ value: '42' })).toBe('42');
    expect(cellString(7)).toBe('7');
    expect(cellString(null)).toBeNull();
    expect(cellString(undefined)).toBeNull();
  });

  it('cellTimestamp: microseconds, ISO text or a Date; NULL as null; junk as an invalid Date', () => {
    const iso = '2026-11-28T09:00:00.250Z';
    expect(cellTimestamp(String(Date.parse(iso) * 1000))).toEqual(new Date(iso));
    expect(cellTimestamp({ value: iso })).toEqual(new Date(iso));
    expect(cellTimestamp(new Date(iso))).toEqual(new Date(iso));
    expect(cellTimestamp(null)).toBeNull();
    expect(cellTimestamp('not a time')!.getTime()).toBeNaN();
  });
});
