import { describe, expect, it } from 'vitest';
import { digestBlocks, digestMessage } from '../../../handlers/blocks/digest.js';
import type { ChannelDigest, DigestRecommendation } from '../../../src/domain/digest.js';

// The digest's Block Kit: numbers as the reader sees them, unknowns as "unknown", data escaped for
// mrkdwn, and Slack's limits (50 blocks, 3000 characters a section) held whatever the data.

function recLine(id: string, over: Partial<DigestRecommendation> = {}): DigestRecommendation {
  return {
    id,
    kind: 'partition_table',
    target: `proj-a.sales.${id}`,
    summary: `Partition proj-a.sales.${id} by order_date`,
    monthlySavingsUsd: 120,
    ...over,
  };
}

function digest(over: Partial<ChannelDigest> = {}): ChannelDigest {
  return {
    channelId: 'C0FINOPS',
    day: '2026-11-27',
    weekday: 'Friday',
    scope: 'all projects',
    scopeNote: null,
    spend: {
      usd: 1234.5,
      expected: {
        usd: 1000,
        method: 'same_weekday_median',
        sampleDays: 4,
        description: 'median of the previous 4 Fridays',
      },
      deltaUsd: 234.5,
      method: 'compute spend per UTC day: on-demand bytes billed × $6.25/TiB',
    },
    trend: [
      { day: '2026-11-25', usd: 0 },
      { day: '2026-11-26', usd: 500 },
      { day: '2026-11-27', usd: 1000 },
    ],
    movers: [
      { scope: 'project:proj-a', usd: 900, previousUsd: 400, deltaUsd: 500 },
      { scope: 'user:bo@example.com', usd: 10, previousUsd: 60.25, deltaUsd: -50.25 },
    ],
    newRecommendations: {
      items: [recLine('orders')],
      total: 1,
      since: new Date('2026-11-27T08:00:00Z'),
      until: new Date('2026-11-28T08:00:00Z'),
    },
    openSavings: { count: 3, knownMonthlyUsd: 2500, unknownCount: 1, truncated: false },
    snoozesEnding: { items: [], until: new Date('2026-11-30T08:00:00Z') },
    realized: {
      savedMonthlyUsd: 93.75,
      counts: { saved: 1, not_saved: 1, too_early: 0, unknown: 1 },
      items: [
        {
          id: 'r1',
          kind: 'cap_bytes_billed',
          target: 'carl@example.com',
          status: 'saved',
          realizedMonthlyUsd: 93.75,
          estimatedMonthlySavingsUsd: 90,
        },
        {
          id: 'r2',
          kind: 'storage_billing_model',
          target: 'proj-a.sales',
          status: 'unknown',
          realizedMonthlyUsd: null,
          estimatedMonthlySavingsUsd: null,
        },
      ],
    },
    ...over,
  };
}

type AnyBlock = {
  type: string;
  text?: { type: string; text: string };
  elements?: { text: string }[];
};

const texts = (blocks: readonly Record<string, unknown>[]) =>
  (blocks as AnyBlock[]).map((b) => b.text?.text ?? b.elements?.map((e) => e.text).join(' ') ?? '');

describe('digestBlocks', () => {
  it('shows spend, expected, delta, trend, movers, recommendations and realized savings', () => {
    const all = texts(digestBlocks(digest())).join('\n');
    expect(all).toContain('bqcost daily digest · Friday 2026-11-27');
    expect(all).toContain('*Spend on 2026-11-27:* $1,234.50');
    expect(all).toContain(
      '*Expected:* $1,000.00 — median of the previous 4 Fridays · +$234.50 (+23%)',
    );
    expect(all).toContain('*Last 3 days* (2026-11-25 → 2026-11-27): `▁▅█`');
    expect(all).toContain('low $0.00 · high $1,000.00 · total $1,500.00');
    expect(all).toContain('• `project:proj-a` +$500.00 ($400.00 → $900.00)');
    expect(all).toContain('• `user:bo@example.com` −$50.25 ($60.25 → $10.00)');
    expect(all).toContain('*New recommendations:* 1');
    expect(all).toContain(
      '• $120.00/month · partition table `proj-a.sales.orders` — Partition proj-a.sales.orders by order_date',
    );
    expect(all).toContain(
      '*Open savings:* $2,500.00/month across 2 recommendation(s) + 1 recommendation(s) with an unknown saving (not counted as $0)',
    );
    expect(all).toContain(
      '*Realized savings:* $93.75/month measured (1 saved, 1 not saved, 1 cannot be measured)',
    );
    expect(all).toContain(
      '• saved: +$93.75/month (estimated $90.00) cap bytes billed `carl@example.com`',
    );
    expect(all).toContain(
      '• cannot be measured: (estimated unknown) storage billing model `proj-a.sales`',
    );
    expect(all).toContain('expected = median of the previous 4 Fridays');
    expect(all).not.toContain('Snoozes ending soon');
  });

  it('says unknown for an unknown day, an unknown expected value and unknown savings', () => {
    const all = texts(
      digestBlocks(
        digest({
          spend: {
            usd: 80,
            expected: {
              usd: null,
              method: 'insufficient_history',
              sampleDays: 3,
              description: 'unknown: 3 day(s) of history before this day, 7 are needed',
            },
            deltaUsd: null,
            method: 'compute',
          },
          movers: null,
          newRecommendations: {
            items: [recLine('x', { monthlySavingsUsd: null })],
            total: 1,
            since: new Date(0),
            until: new Date(0),
          },
          openSavings: { count: 2, knownMonthlyUsd: 0, unknownCount: 2, truncated: true },
        }),
      ),
    ).join('\n');
    expect(all).toContain('*Expected:* unknown: 3 day(s) of history before this day, 7 are needed');
    expect(all).toContain('No history for a week earlier yet.');
    expect(all).toContain('• unknown/month · partition table');
    // Never "$0.00 across 2": two unknowns and nothing known.
    expect(all).toContain(
      '*Open savings:* 2 recommendation(s) with an unknown saving (not counted as $0) (only the first ones were read)',
    );
    expect(
      texts(
        digestBlocks(
          digest({
            openSavings: { count: 0, knownMonthlyUsd: 0, unknownCount: 0, truncated: false },
          }),
        ),
      ).join('\n'),
    ).toContain('*Open savings:* no open recommendations');

    const notReached = texts(
      digestBlocks(digest({ spend: { ...digest().spend!, usd: null, deltaUsd: null } })),
    ).join('\n');
    expect(notReached).toContain('*Spend on 2026-11-27:* unknown');
    expect(notReached).not.toContain('$0.00 spent');
    expect(
      digestMessage(digest({ spend: { ...digest().spend!, usd: null, deltaUsd: null } })).text,
    ).toBe(
      'bqcost digest for 2026-11-27: unknown spent (expected $1,000.00); 3 open recommendation(s)',
    );
  });

  it('a channel without a spend scope shows why, and no trend or movers', () => {
    const blocks = digestBlocks(
      digest({
        spend: null,
        trend: [],
        movers: null,
        scope: 'recommendations only',
        scopeNote: 'routed by <tables> only',
      }),
    );
    const all = texts(blocks).join('\n');
    expect(all).toContain('*Spend:* not tracked in this channel — routed by &lt;tables&gt; only');
    expect(all).not.toContain('Top movers');
    expect(all).not.toContain('Last ');
    expect(digestMessage(digest({ spend: null })).text).toBe(
      'bqcost digest for 2026-11-27: 3 open recommendation(s)',
    );
  });

  it('lists snoozes ending soon with their wake-up day', () => {
    const all = texts(
      digestBlocks(
        digest({
          snoozesEnding: {
            items: [{ ...recLine('events'), snoozeUntil: new Date('2026-11-29T00:00:00Z') }],
            until: new Date('2026-11-30T08:00:00Z'),
          },
        }),
      ),
    ).join('\n');
    expect(all).toContain('*Snoozes ending soon* (before 2026-11-30 08:00 UTC)');
    expect(all).toContain('`proj-a.sales.events` · wakes 2026-11-29');
  });

  it('escapes every data string for mrkdwn and keeps backticks out of code spans', () => {
    const evil = '<!channel> & <https://evil.example|click>';
    const blocks = digestBlocks(
      digest({
        scope: `label:team:${evil}`,
        movers: [{ scope: `label:team:${evil}`, usd: 2, previousUsd: 1, deltaUsd: 1 }],
        newRecommendations: {
          items: [recLine('a', { target: 'p.d.`t`<!here>', summary: evil })],
          total: 1,
          since: new Date(0),
          until: new Date(0),
        },
      }),
    );
    const all = texts(blocks).join('\n');
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('<!here>');
    expect(all).not.toContain('<https://');
    expect(all).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(all).toContain("`p.d.'t'&lt;!here&gt;`");
  });

  it('stays within Slack’s limits whatever the data', () => {
    const huge = 'x'.repeat(5000);
    const many = Array.from({ length: 5 }, (_, i) =>
      recLine(`r${i}`, { target: huge, summary: huge }),
    );
    const blocks = digestBlocks(
      digest({
        scope: huge,
        scopeNote: huge,
        movers: Array.from({ length: 5 }, () => ({
          scope: huge,
          usd: 1,
          previousUsd: 0,
          deltaUsd: 1,
        })),
        newRecommendations: { items: many, total: 500, since: new Date(0), until: new Date(0) },
        snoozesEnding: {
          items: many.map((r) => ({ ...r, snoozeUntil: new Date('2026-11-29T00:00:00Z') })),
          until: new Date(0),
        },
        trend: Array.from({ length: 28 }, (_, i) => ({ day: '2026-11-01', usd: i })),
      }),
    );
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const text of texts(blocks)) expect(text.length).toBeLessThanOrEqual(3000);
    const header = (blocks as AnyBlock[])[0]!;
    expect(header.type).toBe('header');
    expect(header.text!.text.length).toBeLessThanOrEqual(150);
    expect(texts(blocks).join('\n')).toContain('…and 495 more (`/bqcost recs`)');
  });
});
