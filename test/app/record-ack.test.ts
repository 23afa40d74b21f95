import { beforeEach, describe, expect, it } from 'vitest';
import { DuckDbLedger } from '../../src/adapters/duckdb/duckdb-ledger.js';
import { DuckDbWarehouse } from '../../src/adapters/duckdb/duckdb-warehouse.js';
import {
  canAct,
  mayAct,
  recordAck,
  type AckInput,
  type RecordAckDeps,
} from '../../src/app/record-ack.js';
import { AppError } from '../../src/errors.js';
import { MemoryLedger } from '../helpers/memory-ledger.js';

let time = new Date('2026-11-28T10:00:00Z');
const clock = { now: () => time };
const sleeps: number[] = [];
const sleep = async (ms: number) => {
  sleeps.push(ms);
};
let ledger: MemoryLedger;
let deps: RecordAckDeps;

beforeEach(() => {
  time = new Date('2026-11-28T10:00:00Z');
  sleeps.length = 0;
  ledger = new MemoryLedger();
  deps = { ledger, clock, sleep };
});

const click = (overrides: Partial<AckInput> = {}): AckInput => ({
  recommendationId: 'rec-1',
  action: 'accepted',
  actorSlackId: 'U111',
  actorEmail: 'ana@example.com',
  reason: null,
  snoozeUntil: null,
  teamId: 'T1',
  channelId: 'C1',
  messageTs: '1764290000.000100',
  sourceRequestId: 'trigger-1',
  ...overrides,
});
const dismiss = (overrides: Partial<AckInput> = {}) =>
  click({
    action: 'dismissed',
    reason: { code: 'not_worth_it', text: 'tiny table' },
    ...overrides,
  });
const snooze = (until: string, overrides: Partial<AckInput> = {}) =>
  click({ action: 'snoozed', snoozeUntil: new Date(until), ...overrides });

describe('recordAck', () => {
  it('records a valid click and returns the new state', async () => {
    const result = await recordAck(deps, click());
    expect(result).toMatchObject({
      outcome: 'recorded',
      state: { state: 'accepted', by: 'U111', since: time, version: 1 },
    });
    expect(ledger.rows).toHaveLength(1);
    expect(ledger.rows[0]).toMatchObject({ action: 'accepted', occurredAt: time, teamId: 'T1' });
  });

  it('answers a click on an already dismissed card without a second event', async () => {
    await recordAck(deps, dismiss());
    const again = await recordAck(deps, dismiss({ actorSlackId: 'U222' }));
    expect(again).toMatchObject({
      outcome: 'invalid_transition',
      state: { state: 'dismissed', by: 'U111' },
    });
    expect(ledger.rows).toHaveLength(1);
  });

  it('a double click (sequential) records one event', async () => {
    expect((await recordAck(deps, click())).outcome).toBe('recorded');
    time = new Date('2026-11-28T10:00:01Z');
    expect((await recordAck(deps, click())).outcome).toBe('invalid_transition');
    expect(ledger.rows).toHaveLength(1);
  });

  it('a double-submitted snooze modal ("7 days" a second apart) records one event', async () => {
    await recordAck(deps, snooze('2026-12-05T10:00:00Z'));
    time = new Date('2026-11-28T10:00:01Z');
    const again = await recordAck(deps, snooze('2026-12-05T10:00:01Z'));
    expect(again.outcome).toBe('duplicate');
    expect(ledger.rows).toHaveLength(1);
    // Snoozing again to another day is a new intent.
    expect((await recordAck(deps, snooze('2026-12-20T00:00:00Z'))).outcome).toBe('recorded');
    expect(ledger.rows).toHaveLength(2);
  });

  it('10 concurrent identical clicks → one event', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => recordAck(deps, click())));
    expect(ledger.rows).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'recorded')).toHaveLength(1);
    for (const r of results) expect(r.state.state).toBe('accepted');
  });

  it('10 concurrent identical clicks against DuckDB → one row', async () => {
    const warehouse = await DuckDbWarehouse.open(':memory:');
    try {
      const duck = await DuckDbLedger.open(await warehouse.connect());
      const results = await Promise.all(
        Array.from({ length: 10 }, () => recordAck({ ledger: duck, clock, sleep }, click())),
      );
      expect(results.filter((r) => r.outcome === 'recorded')).toHaveLength(1);
      const rows = await warehouse.sql('SELECT count(*) AS n FROM recommendation_events');
      expect(Number(rows[0]?.n)).toBe(1);
    } finally {
      await warehouse.close();
    }
  });

  it('accept → reopen → accept again records three events', async () => {
    await recordAck(deps, click());
    await recordAck(deps, click({ action: 'reopened' }));
    const again = await recordAck(deps, click());
    expect(again.outcome).toBe('recorded');
    expect(ledger.rows.map((r) => r.action)).toEqual(['accepted', 'reopened', 'accepted']);
    expect(new Set(ledger.rows.map((r) => r.idempotencyKey)).size).toBe(3);
  });

  it('retries a failed append with the same event, then succeeds', async () => {
    ledger.failNextAppends(2, new AppError('ledger.unavailable', 'down', { retryable: true }));
    const result = await recordAck(deps, click());
    expect(result.outcome).toBe('recorded');
    expect(ledger.appendCalls).toBe(3);
    expect(sleeps).toEqual([100, 200]);
    expect(ledger.rows).toHaveLength(1);
  });

  it('a write that landed but reported failure is retried without a duplicate', async () => {
    ledger.failNextAppends(1, new AppError('ledger.timeout', 'timeout', { retryable: true }), true);
    const result = await recordAck(deps, click());
    expect(result.outcome).toBe('duplicate');
    expect(result.state.state).toBe('accepted');
    expect(ledger.rows).toHaveLength(1);
  });

  it('surfaces exhausted retries as a retryable AppError with a user message', async () => {
    ledger.failNextAppends(3, new AppError('ledger.unavailable', 'down', { retryable: true }));
    const error = await recordAck(deps, click()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'ack.append_failed', retryable: true });
    expect((error as AppError).userMessage).toMatch(/try again/);
    expect(ledger.appendCalls).toBe(3);
    expect(ledger.rows).toHaveLength(0);
  });

  it('does not retry a non-retryable error', async () => {
    ledger.failNextAppends(1, new AppError('ledger.forbidden', 'no access'));
    await expect(recordAck(deps, click())).rejects.toMatchObject({ code: 'ledger.forbidden' });
    expect(ledger.appendCalls).toBe(1);
  });

  it('rejects a snooze that ends in the past and a dismissal without a reason', async () => {
    await expect(recordAck(deps, snooze('2026-11-27T00:00:00Z'))).rejects.toMatchObject({
      code: 'ack.snooze_in_past',
    });
    await expect(recordAck(deps, click({ action: 'dismissed' }))).rejects.toMatchObject({
      code: 'ack.invalid_input',
    });
    expect(ledger.appendCalls).toBe(0);
  });
});

describe('canAct', () => {
  const admins = ['UADMIN'];
  const ownerSlackIds = ['UOWNER'];
  it.each([
    ['UADMIN', { allowed: true, as: 'admin' }],
    ['UOWNER', { allowed: true, as: 'owner' }],
    ['USTRANGER', { allowed: false }],
    ['', { allowed: false }],
    ['not-an-id', { allowed: false }],
  ])('%s → %o', (actorSlackId, expected) => {
    expect(canAct({ actorSlackId, admins, ownerSlackIds })).toEqual(expected);
  });
  it('denies everyone when nothing is configured', () => {
    expect(canAct({ actorSlackId: 'UADMIN', admins: [], ownerSlackIds: [] })).toEqual({
      allowed: false,
    });
  });
});

describe('mayAct (admins by user id or user group)', () => {
  const groups = (members: Record<string, string[] | Error>) => {
    const asked: string[] = [];
    return {
      asked,
      userGroupMembers: (id: string) => {
        asked.push(id);
        const m = members[id];
        if (m instanceof Error) return Promise.reject(m);
        return Promise.resolve(m ?? []);
      },
    };
  };

  it.each([
    ['an admin by id', 'U1', ['U1', 'S1'], [], { allowed: true, as: 'admin' }, []],
    ['an owner: no group lookup', 'U2', ['S1'], ['U2'], { allowed: true, as: 'owner' }, []],
    [
      'a member of an admin group',
      'U3',
      ['S0', 'S1'],
      [],
      { allowed: true, as: 'admin' },
      ['S0', 'S1'],
    ],
    ['nobody: every group asked, denied', 'U4', ['S0', 'S1'], [], { allowed: false }, ['S0', 'S1']],
    ['a malformed actor: denied without lookups', 'S1', ['S1'], [], { allowed: false }, []],
  ])('%s', async (_what, actorSlackId, admins, ownerSlackIds, expected, asked) => {
    const dir = groups({ S0: ['U9'], S1: ['U3'] });
    await expect(mayAct({ actorSlackId, admins, ownerSlackIds }, dir)).resolves.toEqual(expected);
    expect(dir.asked).toEqual(asked);
  });

  it('a group that cannot be read denies, returning the failure', async () => {
    const failure = new AppError('slack.http_error', 'down', { retryable: true });
    const decision = await mayAct(
      { actorSlackId: 'U3', admins: ['S0'], ownerSlackIds: [] },
      groups({ S0: failure }),
    );
    expect(decision).toEqual({ allowed: false, checkFailed: failure });
  });

  it('a readable group that has the actor wins over one that failed', async () => {
    const decision = await mayAct(
      { actorSlackId: 'U3', admins: ['S0', 'S1'], ownerSlackIds: [] },
      groups({ S0: new Error('down'), S1: ['U3'] }),
    );
    expect(decision).toEqual({ allowed: true, as: 'admin' });
  });
});
