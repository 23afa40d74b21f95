import { describe, expect, it } from 'vitest';
import {
  recommendationCard,
  recommendationCardActions,
} from '../../../handlers/blocks/recommendation-card.js';
import type { Recommendation } from '../../../src/domain/analysis.js';
import { initialState, type RecommendationState } from '../../../src/domain/ledger.js';

const rec = (overrides: Partial<Recommendation> = {}): Recommendation => ({
  id: 'rec_partition_table_1a2b',
  kind: 'partition_table',
  target: 'acme.sales.orders',
  monthlySavingsUsd: 1234.5,
  confidence: 'high',
  summary: 'Partition acme.sales.orders by DATE(created_at)',
  evidence: {
    method: 'bytes billed × (1 − days covered ÷ table age)',
    costLines: [
      { label: 'Scans per month', quantity: 400, unit: 'TiB', unitPriceUsd: 6.25, usd: 2500 },
      { label: 'Unknown scans', quantity: null, unit: 'TiB', unitPriceUsd: 6.25, usd: null },
    ],
  },
  fix: {
    summary: 'Create a partitioned copy and swap it in.',
    sql: 'CREATE TABLE `acme.sales.orders__p` PARTITION BY DATE(created_at) AS SELECT * FROM `acme.sales.orders`;',
  },
  ...overrides,
});

const texts = (blocks: Record<string, unknown>[]) => JSON.stringify(blocks);
const buttons = (blocks: Record<string, unknown>[]) =>
  ((blocks.find((b) => b.type === 'actions')?.elements as Record<string, unknown>[]) ?? []).map(
    (e) => e.action_id,
  );

describe('recommendationCard', () => {
  it('shows what, saving, confidence, method, priced lines, fix in a code block, owner', () => {
    const blocks = recommendationCard({ recommendation: rec(), ownerSlackIds: ['U123'] });
    const text = texts(blocks);
    expect(text).toContain('$1,234.50 per month');
    expect(text).toContain('*Confidence:* high');
    expect(text).toContain('*Why / method:* bytes billed');
    expect(text).toContain('400 TiB × $6.25 = $2,500.00');
    expect(text).toContain('unknown TiB × $6.25 = unknown');
    expect(text).toContain('```\\nCREATE TABLE `acme.sales.orders__p`');
    expect(text).toContain('Owner: <@U123>');
    expect(blocks[0]).toMatchObject({ type: 'header' });
  });

  it('an unknown saving renders as unknown, never $0', () => {
    const text = texts(
      recommendationCard({ recommendation: rec({ monthlySavingsUsd: null }), ownerSlackIds: [] }),
    );
    expect(text).toContain('*Saving:* unknown per month');
    expect(text).toContain('Owner: unassigned');
  });

  it('open: Accept / Snooze / Dismiss buttons whose value is only the id', () => {
    const blocks = recommendationCard({ recommendation: rec(), ownerSlackIds: [] });
    const actions = blocks.find((b) => b.type === 'actions')?.elements as Record<string, unknown>[];
    expect(actions.map((a) => a.action_id)).toEqual([
      recommendationCardActions.accept,
      recommendationCardActions.snooze,
      recommendationCardActions.dismiss,
    ]);
    for (const a of actions) expect(a.value).toBe('rec_partition_table_1a2b');
  });

  it('escapes data so it cannot ping or link, and owners must be user ids', () => {
    const text = texts(
      recommendationCard({
        recommendation: rec({
          summary: '<!channel> & <https://evil.example|click>',
          fix: { summary: 'x', sql: "SELECT '<!here>'" },
        }),
        ownerSlackIds: ['<!channel>', 'U9'],
      }),
    );
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<!here>');
    expect(text).not.toContain('<https://');
    expect(text).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(text).toContain('Owner: <@U9>');
  });

  it('keeps a long fix inside the section limit with the code block closed', () => {
    const blocks = recommendationCard({
      recommendation: rec({ fix: { summary: 'big', sql: 'SELECT 1 ```\n'.repeat(1000) } }),
      ownerSlackIds: [],
    });
    for (const b of blocks) {
      const t = (b.text as { text?: string } | undefined)?.text;
      if (t) expect(t.length).toBeLessThanOrEqual(3000);
    }
    const fix = blocks
      .map((b) => (b.text as { text?: string } | undefined)?.text ?? '')
      .find((t) => t.startsWith('*Fix:*'))!;
    expect(fix.endsWith('\n```')).toBe(true);
    expect(fix.match(/```/g)).toHaveLength(2);
  });

  it('refuses an id that cannot fit in a button value', () => {
    expect(() =>
      recommendationCard({ recommendation: rec({ id: 'x'.repeat(2001) }), ownerSlackIds: [] }),
    ).toThrow(/2000/);
  });

  const at = new Date('2026-11-28T10:00:00Z');
  const state = (s: Partial<RecommendationState>): RecommendationState => ({
    ...initialState,
    since: at,
    by: 'U111',
    version: 1,
    ...s,
  });
  it.each<[string, RecommendationState, string, string[]]>([
    [
      'accepted',
      state({ state: 'accepted' }),
      `:white_check_mark: Accepted by <@U111> <!date^${at.getTime() / 1000}^`,
      [],
    ],
    [
      'snoozed',
      state({
        state: 'snoozed',
        snoozeUntil: new Date('2026-12-05T00:00:00Z'),
        reason: { code: null, text: 'quarter <end>' },
      }),
      ':zzz: Snoozed by <@U111>',
      [
        recommendationCardActions.accept,
        recommendationCardActions.snooze,
        recommendationCardActions.dismiss,
      ],
    ],
    [
      'dismissed',
      state({ state: 'dismissed', reason: { code: 'false_positive', text: null } }),
      ':no_entry_sign: Dismissed by <@U111>',
      [],
    ],
  ])(
    'after a click: %s shows who and when, and only the buttons still allowed',
    (_n, s, line, expected) => {
      const blocks = recommendationCard({ recommendation: rec(), ownerSlackIds: [], state: s });
      expect(texts(blocks)).toContain(line);
      expect(buttons(blocks)).toEqual(expected);
    },
  );

  it('a snooze line carries the end date and the escaped reason; a dismissal its reason', () => {
    const snoozed = texts(
      recommendationCard({
        recommendation: rec(),
        ownerSlackIds: [],
        state: state({
          state: 'snoozed',
          snoozeUntil: new Date('2026-12-05T00:00:00Z'),
          reason: { code: null, text: 'quarter <end>' },
        }),
      }),
    );
    expect(snoozed).toContain(
      `until <!date^${Date.parse('2026-12-05T00:00:00Z') / 1000}^{date_short_pretty} {time}|2026-12-05 00:00 UTC>`,
    );
    expect(snoozed).toContain('quarter &lt;end&gt;');
    const dismissed = texts(
      recommendationCard({
        recommendation: rec(),
        ownerSlackIds: [],
        state: state({ state: 'dismissed', reason: { code: 'false_positive', text: null } }),
      }),
    );
    expect(dismissed).toContain('— false positive');
  });
});
