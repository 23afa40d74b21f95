import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../src/adapters/memory/memory-bus.js';
import { TranscriptChat } from '../src/adapters/transcript/transcript-chat.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import {
  costFactsRefresher,
  createRuntime,
  realizedSavingsLines,
  type Runtime,
} from '../src/runtime.js';
import type { RealizedLine } from '../src/domain/digest.js';
import { ackEvent } from './fixtures/ack-events.js';
import { tempDir } from './fixtures/builders.js';

// The composition root's choices that the entry-point tests do not reach.

const lines: Record<string, unknown>[] = [];
const silent = createLogger({
  level: 'info',
  destination: { write: (line: string) => lines.push(JSON.parse(line)) },
});
let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

function build(env: Record<string, string>): Promise<Runtime> {
  const dir = tempDir('bqcost-runtime-');
  return createRuntime({
    config: loadConfig({ BQCOST_DB: join(dir, 'bqcost.duckdb'), ...env }),
    bus: new MemoryBus(),
    chat: new TranscriptChat({ file: join(dir, 'transcript.jsonl') }),
    logger: silent,
  });
}

const rules = {
  defaultChannel: 'C0FINOPS00',
  projects: { 'acme-prod': { channel: 'C0DATAPLAT', owners: ['U0LEAD0001'] } },
};

describe('createRuntime', () => {
  it('routes with inline rules (BQCOST_ROUTING_JSON, as Terraform passes them)', async () => {
    runtime = await build({ BQCOST_ROUTING_JSON: JSON.stringify(rules) });
    const routed = await runtime.router!.route({
      anomaly: {
        id: 'a',
        scope: 'project:acme-prod',
        day: '2026-11-01',
        usd: 1,
        expectedUsd: 1,
        severity: 'high',
      },
    });
    expect(routed.channelId).toBe('C0DATAPLAT');
    expect(routed.ownerSlackIds).toEqual(['U0LEAD0001']);
  });

  it('has no router without rules: findings are stored, not posted', async () => {
    runtime = await build({});
    expect(runtime.router).toBeNull();
  });

  it('names the setting when the inline rules are not JSON', async () => {
    await expect(build({ BQCOST_ROUTING_JSON: '{not json' })).rejects.toThrow(
      /BQCOST_ROUTING_JSON/,
    );
  });

  it('names the routing file that cannot be read', async () => {
    await expect(build({ BQCOST_ROUTING_FILE: '/nonexistent/routing.json' })).rejects.toThrow(
      /routing file \/nonexistent\/routing.json cannot be read/,
    );
  });

  it('counts an accepted card once (recommendation_accepted), not its duplicate or other actions', async () => {
    runtime = await build({});
    lines.length = 0;
    const accepted = ackEvent({ recommendationId: 'rec-m1' });
    expect(await runtime.stores.ledger.append(accepted)).toEqual({ recorded: true });
    expect(await runtime.stores.ledger.append({ ...accepted, eventId: 'ev-dup' })).toEqual({
      recorded: false,
    });
    await runtime.stores.ledger.append(
      ackEvent({ recommendationId: 'rec-m2', action: 'dismissed' }),
    );
    const counted = lines.filter((l) => l.metric === 'recommendation_accepted');
    expect(counted.map((l) => l.recommendationId)).toEqual(['rec-m1']);
  });

  it('refuses BigQuery mode without the project to run in', async () => {
    await expect(build({ BQCOST_WAREHOUSE: 'bigquery' })).rejects.toThrow(/GOOGLE_CLOUD_PROJECT/);
  });
});

describe('costFactsRefresher (BigQuery: the analysis worker refreshes cost_facts first)', () => {
  it('ensures the tables once per instance and refreshes before every run, at the clock time', async () => {
    const calls: string[] = [];
    const now = new Date('2026-11-28T05:00:00Z');
    const refresh = costFactsRefresher(
      {
        ensureTables: () => Promise.resolve(void calls.push('ensure')),
        refreshCostFacts: (at) => Promise.resolve(void calls.push(`refresh ${at.toISOString()}`)),
      },
      { now: () => now },
    );
    await refresh();
    await refresh();
    expect(calls).toEqual([
      'ensure',
      'refresh 2026-11-28T05:00:00.000Z',
      'refresh 2026-11-28T05:00:00.000Z',
    ]);
  });

  it('does not remember a failed ensure: the next run tries again; a failed refresh fails the run', async () => {
    let ensureFails = true;
    let refreshes = 0;
    const refresh = costFactsRefresher(
      {
        ensureTables: () => (ensureFails ? Promise.reject(new Error('quota')) : Promise.resolve()),
        refreshCostFacts: () => {
          refreshes += 1;
          return refreshes === 2 ? Promise.reject(new Error('backend')) : Promise.resolve();
        },
      },
      { now: () => new Date() },
    );
    await expect(refresh()).rejects.toThrow('quota');
    expect(refreshes).toBe(0);
    ensureFails = false;
    await refresh();
    await expect(refresh()).rejects.toThrow('backend');
    expect(refreshes).toBe(2);
  });
});

describe('realizedSavingsLines (the savings_realized metric of a digest run)', () => {
  const line = (id: string, status: RealizedLine['status'], usd: number | null): RealizedLine => ({
    id,
    kind: 'partition_table',
    target: `p.d.${id}`,
    status,
    realizedMonthlyUsd: usd,
    estimatedMonthlySavingsUsd: 100,
  });
  const digest = (items: RealizedLine[]) => ({ digest: { realized: { items } } });

  it('one line per recommendation judged saved with a measured figure, once across channels', () => {
    const lines = realizedSavingsLines(
      [
        digest([line('a', 'saved', 93.75), line('b', 'not_saved', 0), line('c', 'saved', null)]),
        digest([line('a', 'saved', 93.75), line('d', 'too_early', null), line('e', 'saved', 12)]),
      ],
      '2026-11-27',
    );
    expect(lines).toEqual([
      { recommendationId: 'a', usdPerMonth: 93.75, day: '2026-11-27' },
      { recommendationId: 'e', usdPerMonth: 12, day: '2026-11-27' },
    ]);
  });

  it('nothing when no digest measured a saving', () => {
    expect(realizedSavingsLines([digest([line('x', 'unknown', null)])], '2026-11-27')).toEqual([]);
  });
});
