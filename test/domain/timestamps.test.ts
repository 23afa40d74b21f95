import { describe, expect, it } from 'vitest';
import { formatBqTimestamp, parseBqTimestamp } from '../../src/domain/timestamps.js';

describe('parseBqTimestamp', () => {
  it.each([
    ['2026-10-02 03:04:05.123456 UTC', '2026-10-02T03:04:05.123Z'],
    ['2026-10-02T03:04:05.123Z', '2026-10-02T03:04:05.123Z'],
    ['2026-10-02T05:04:05+02:00', '2026-10-02T03:04:05.000Z'],
    ['2026-10-02 03:04:05', '2026-10-02T03:04:05.000Z'],
    ['1.759374245123E9', '2025-10-02T03:04:05.123Z'],
    [1759374245.5, '2025-10-02T03:04:05.500Z'],
    ['1759374245', '2025-10-02T03:04:05.000Z'],
  ])('%s → %s', (input, iso) => {
    expect(parseBqTimestamp(input)?.toISOString()).toBe(iso);
  });

  it.each(['yesterday', '', '2026-13-45 00:00:00 UTC', true, null, {}])('rejects %j', (input) => {
    expect(parseBqTimestamp(input)).toBeNull();
  });

  it('formats like EXPORT DATA', () => {
    expect(formatBqTimestamp(new Date('2026-10-02T03:04:05.123Z'))).toBe(
      '2026-10-02 03:04:05.123000 UTC',
    );
  });
});
