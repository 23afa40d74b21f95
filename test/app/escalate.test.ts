import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anomalyAlertMessage } from '../../handlers/blocks/anomaly-alert.js';
import { DuckDbAlertLog } from '../../src/adapters/duckdb/duckdb-alerts.js';
import {
  acknowledgeAlert,
  escalationPolicy,
  escalationTick,
  raiseAlert,
  resolveAlert,
  resolveGoneAlerts,
  type EscalationDeps,
} from '../../src/app/escalate.js';
import { pagerDutyDedupKey } from '../../src/domain/alerts.js';
import type { Anomaly } from '../../src/domain/analysis.js';
import { AppError } from '../../src/errors.js';
import type { Chat, ChatMessage } from '../../src/ports/chat.js';
import type { PageRequest, Pager } from '../../src/ports/pager.js';
import type { AnomalyStore } from '../../src/ports/recommendations.js';
import { anomaly } from '../fixtures/alert-events.js';

// The escalation use cases over the real DuckDB alert log in a database file (so a "cold start"
// is a new process's view: the file reopened, a fresh log and fresh deps), with a clock the test
// moves, and recording fakes for Slack and PagerDuty.

const t0 = Date.UTC(2026, 10, 28, 9, 0);
const minutes = (n: number) => new Date(t0 + n * 60_000);
const team = 'C0TEAM';
const oncall = 'C0ONCALL';
const usergroup = 'S0ONCALL';

class FakeChat implements Partial<Chat> {
  posts: { channel: string; message: ChatMessage; ts: string }[] = [];
  updates: { channel: string; ts: string; message: ChatMessage }[] = [];
  failPosts = 0;
  failUpdates = 0;
  private seq = 0;

  postMessage(channel: string, message: ChatMessage): Promise<{ ts: string }> {
    if (this.failPosts > 0) {
      this.failPosts--;
      return Promise.reject(new AppError('slack.rate_limited', '429', { retryable: true }));
    }
    const ts = `1700000000.${String(++this.seq).padStart(6, '0')}`;
    this.posts.push({ channel, message, ts });
    return Promise.resolve({ ts });
  }

  update(channel: string, ts: string, message: ChatMessage): Promise<void> {
    if (this.failUpdates > 0) {
      this.failUpdates--;
      return Promise.reject(new AppError('slack.failed', 'update failed', { retryable: true }));
    }
    this.updates.push({ channel, ts, message });
    return Promise.resolve();
  }
}

class FakePager implements Pager {
  calls: { action: string; key: string; page?: PageRequest }[] = [];
  failures: AppError[] = [];

  private call(action: string, key: string, page?: PageRequest): Promise<void> {
    const failure = this.failures.shift();
    if (failure) return Promise.reject(failure);
    this.calls.push({ action, key, ...(page ? { page } : {}) });
    return Promise.resolve();
  }
  trigger(page: PageRequest) {
    return this.call('trigger', page.dedupKey, page);
  }
  acknowledge(key: string) {
    return this.call('acknowledge', key);
  }
  resolve(key: string) {
    return this.call('resolve', key);
  }
}

function anomalies(...list: Anomaly[]): AnomalyStore {
  const byId = new Map(list.map((a) => [a.id, a]));
  return {
    find: (id) => {
      const a = byId.get(id);
      return Promise.resolve(a ? { anomaly: a, runId: 'run_1', foundAt: minutes(-5) } : null);
    },
    save: () => Promise.resolve(),
  };
}

let dir: string;
let instance: DuckDBInstance;
let connection: DuckDBConnection;
let now: Date;
let chat: FakeChat;
let pager: FakePager;
let logs: Record<string, unknown>[];

async function openLog(): Promise<DuckDbAlertLog> {
  instance = await DuckDBInstance.create(join(dir, 'bqcost.duckdb'));
  connection = await instance.connect();
  return DuckDbAlertLog.open(connection);
}

function closeLog(): void {
  connection.closeSync();
  instance.closeSync();
}

async function makeDeps(overrides: Partial<EscalationDeps> = {}): Promise<EscalationDeps> {
  return {
    alerts: await openLog(),
    anomalies: anomalies(
      anomaly(),
      anomaly({ id: 'anom_low', severity: 'low' }),
      anomaly({ id: 'anom_orphan', scope: 'user:nobody@acme.com' }),
    ),
    chat: chat as unknown as Chat,
    pager,
    route: (scope) => Promise.resolve(scope.startsWith('project:') ? { channelId: team } : null),
    render: anomalyAlertMessage,
    policy: escalationPolicy({
      escalateAfterMin: 30,
      pageAfterMin: 60,
      minSeverity: 'high',
      onCallChannelId: oncall,
      onCallUsergroupId: usergroup,
    }),
    clock: { now: () => now },
    log: (entry) => logs.push(entry),
    sleep: () => Promise.resolve(),
    ...overrides,
  };
}

let deps: EscalationDeps;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bqcost-escalate-'));
  now = minutes(0);
  chat = new FakeChat();
  pager = new FakePager();
  logs = [];
  deps = await makeDeps();
});
afterEach(() => {
  closeLog();
  rmSync(dir, { recursive: true, force: true });
});

async function steps(alertId = 'anom_1'): Promise<string[]> {
  return (await deps.alerts.eventsFor([alertId])).map((e) => e.step);
}

const ackButton = (m: ChatMessage) =>
  JSON.stringify(m.blocks).includes('"action_id":"anomaly_ack"');

/** Raise anom_1 at 0, then tick at each minute given. */
async function climb(...at: number[]) {
  await raiseAlert(deps, 'anom_1');
  for (const m of at) {
    now = minutes(m);
    await escalationTick(deps);
  }
}

describe('raiseAlert', () => {
  it("posts to the owning team's channel with an Acknowledge button and records it", async () => {
    expect(await raiseAlert(deps, 'anom_1')).toEqual({ outcome: 'posted', channelId: team });
    expect(chat.posts).toHaveLength(1);
    const post = chat.posts[0]!;
    expect(post.channel).toBe(team);
    expect(ackButton(post.message)).toBe(true);
    expect(post.message.text).not.toContain('subteam');
    const events = await deps.alerts.eventsFor(['anom_1']);
    expect(events).toMatchObject([
      { step: 'posted', channelId: team, messageTs: post.ts, occurredAt: minutes(0) },
    ]);
  });

  it('posts an alert once, however often it is raised', async () => {
    await raiseAlert(deps, 'anom_1');
    const again = await Promise.all([raiseAlert(deps, 'anom_1'), raiseAlert(deps, 'anom_1')]);
    expect(again.map((r) => r.outcome)).toEqual(['duplicate', 'duplicate']);
    expect(chat.posts).toHaveLength(1);
  });

  it('skips anomalies below the severity threshold and unknown ones', async () => {
    expect((await raiseAlert(deps, 'anom_low')).outcome).toBe('below_threshold');
    expect((await raiseAlert(deps, 'anom_missing')).outcome).toBe('not_found');
    expect(chat.posts).toHaveLength(0);
    expect(await steps('anom_low')).toEqual([]);
  });

  it('sends an unowned anomaly to on-call, mentioning the group; without on-call it says so', async () => {
    expect(await raiseAlert(deps, 'anom_orphan')).toEqual({ outcome: 'posted', channelId: oncall });
    expect(chat.posts[0]!.message.text).toContain(`<!subteam^${usergroup}>`);
    const other: EscalationDeps = {
      ...deps,
      policy: { ...deps.policy, onCallChannelId: null },
      anomalies: anomalies(anomaly({ id: 'anom_2', scope: 'label:team:none' })),
    };
    expect((await raiseAlert(other, 'anom_2')).outcome).toBe('unrouted');
    expect(logs).toContainEqual(expect.objectContaining({ event: 'alert_unrouted' }));
    expect(chat.posts).toHaveLength(1);
    expect(await steps('anom_2')).toEqual([]);
  });
});

describe('escalationTick', () => {
  it('waits until N, then posts to on-call mentioning the group and updates the team message', async () => {
    await climb(29);
    expect(chat.posts).toHaveLength(1);
    now = minutes(30);
    const result = await escalationTick(deps);
    expect(result).toMatchObject({ escalated: ['anom_1'], paged: [], failed: [] });
    expect(chat.posts).toHaveLength(2);
    const onCall = chat.posts[1]!;
    expect(onCall.channel).toBe(oncall);
    expect(onCall.message.text).toContain(`<!subteam^${usergroup}>`);
    expect(ackButton(onCall.message)).toBe(true);
    expect(chat.updates.map((u) => [u.channel, u.ts])).toEqual([
      [team, chat.posts[0]!.ts],
      [oncall, onCall.ts],
    ]);
    expect(await steps()).toEqual(['posted', 'escalated']);
    expect(pager.calls).toEqual([]);
  });

  it('pages at M with one dedup key per anomaly, and the messages say so', async () => {
    await climb(30, 59);
    expect(pager.calls).toEqual([]);
    now = minutes(60);
    expect((await escalationTick(deps)).paged).toEqual(['anom_1']);
    expect(pager.calls).toHaveLength(1);
    const call = pager.calls[0]!;
    expect(call).toMatchObject({ action: 'trigger', key: pagerDutyDedupKey('anom_1') });
    expect(call.page).toMatchObject({
      severity: 'error',
      source: 'bqcost',
      details: { alertId: 'anom_1', scope: 'project:acme-prod', slackChannels: [team, oncall] },
    });
    expect(call.page!.summary).toContain('project:acme-prod');
    expect(await steps()).toEqual(['posted', 'escalated', 'paged']);
    expect(chat.updates.slice(-2).every((u) => u.message.text.includes('(paged)'))).toBe(true);
    // Fully climbed: later ticks do nothing more.
    now = minutes(600);
    expect(await escalationTick(deps)).toMatchObject({ escalated: [], paged: [], waiting: 1 });
    expect(pager.calls).toHaveLength(1);
    expect(chat.posts).toHaveLength(2);
  });

  it('duplicate ticks neither post nor page twice', async () => {
    await climb(30, 30, 31);
    expect(chat.posts).toHaveLength(2);
    now = minutes(60);
    await escalationTick(deps);
    await escalationTick(deps);
    expect(pager.calls).toHaveLength(1);
    expect(await steps()).toEqual(['posted', 'escalated', 'paged']);
  });

  it('concurrent ticks over one log neither post nor page twice', async () => {
    await raiseAlert(deps, 'anom_1');
    now = minutes(30);
    const results = await Promise.all([escalationTick(deps), escalationTick(deps)]);
    expect(results.flatMap((r) => r.escalated)).toEqual(['anom_1']);
    expect(chat.posts).toHaveLength(2);
    now = minutes(60);
    const paged = await Promise.all([1, 2, 3].map(() => escalationTick(deps)));
    expect(paged.flatMap((r) => r.paged)).toEqual(['anom_1']);
    expect(pager.calls).toHaveLength(1);
  });

  it('a late tick escalates first and pages only after the on-call window (M − N)', async () => {
    await climb(500);
    expect(await steps()).toEqual(['posted', 'escalated']);
    now = minutes(529);
    await escalationTick(deps);
    expect(pager.calls).toHaveLength(0);
    now = minutes(530);
    await escalationTick(deps);
    expect(pager.calls).toHaveLength(1);
  });

  it('without an on-call channel pages straight from the team channel at M', async () => {
    deps = { ...deps, policy: { ...deps.policy, onCallChannelId: null } };
    await climb(30, 59);
    expect(chat.posts).toHaveLength(1);
    expect(pager.calls).toHaveLength(0);
    await climb(60);
    expect(pager.calls).toHaveLength(1);
    expect(await steps()).toEqual(['posted', 'paged']);
  });

  it('an alert first posted to on-call (nobody owns it) is not posted there again, and pages at M', async () => {
    await raiseAlert(deps, 'anom_orphan');
    now = minutes(30);
    await escalationTick(deps);
    expect(chat.posts.map((p) => p.channel)).toEqual([oncall]);
    now = minutes(60);
    expect((await escalationTick(deps)).paged).toEqual(['anom_orphan']);
    expect(await steps('anom_orphan')).toEqual(['posted', 'paged']);
  });

  it('without a routing key reports the page as skipped and records nothing', async () => {
    deps = { ...deps, pager: null };
    await climb(30, 60);
    const result = await escalationTick(deps);
    expect(result.pagingSkipped).toEqual(['anom_1']);
    expect(await steps()).toEqual(['posted', 'escalated']);
    expect(logs).toContainEqual(
      expect.objectContaining({ event: 'paging_skipped', alertIds: ['anom_1'] }),
    );
  });

  it('a failed page is reported and retried by the next tick', async () => {
    await climb(30);
    pager.failures.push(new AppError('pager.unavailable', 'HTTP 503', { retryable: true }));
    now = minutes(60);
    const failed = await escalationTick(deps);
    expect(failed.failed).toEqual([
      { alertId: 'anom_1', code: 'pager.unavailable', retryable: true },
    ]);
    expect(await steps()).toEqual(['posted', 'escalated']);
    now = minutes(61);
    expect((await escalationTick(deps)).paged).toEqual(['anom_1']);
    expect(pager.calls.map((c) => c.action)).toEqual(['trigger']);
  });

  it('a failed on-call post is retried by the next tick, and other alerts still climb', async () => {
    deps = {
      ...deps,
      anomalies: anomalies(anomaly(), anomaly({ id: 'anom_2', scope: 'project:acme-etl' })),
    };
    await raiseAlert(deps, 'anom_1');
    await raiseAlert(deps, 'anom_2');
    chat.failPosts = 1;
    now = minutes(30);
    const result = await escalationTick(deps);
    expect(result.failed.map((f) => f.alertId)).toEqual(['anom_1']);
    expect(result.escalated).toEqual(['anom_2']);
    now = minutes(31);
    expect((await escalationTick(deps)).escalated).toEqual(['anom_1']);
  });
});

describe('acknowledgeAlert', () => {
  it.each([
    ['posted', [10], 1, []],
    ['escalated', [30], 2, []],
    ['paged', [30, 60], 2, ['trigger', 'acknowledge']],
  ] as const)(
    'at %s: records, updates every message, tells PagerDuty when paged, stops the climb',
    async (stage, ticks, messages, pagerCalls) => {
      await climb(...ticks);
      const updatesBefore = chat.updates.length;
      now = minutes(70);
      const result = await acknowledgeAlert(deps, {
        alertId: 'anom_1',
        actorSlackId: 'U0ANA',
        channelId: team,
      });
      expect(result).toMatchObject({
        outcome: 'acknowledged',
        pagerDuty: stage === 'paged' ? 'acknowledged' : 'not_paged',
        updateFailures: 0,
      });
      expect(result.state).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'U0ANA' });
      const updates = chat.updates.slice(updatesBefore);
      expect(updates).toHaveLength(messages);
      for (const u of updates) {
        expect(u.message.text).toMatch(/^Acknowledged/);
        expect(ackButton(u.message)).toBe(false);
        expect(JSON.stringify(u.message.blocks)).toContain('<@U0ANA>');
      }
      expect(pager.calls.map((c) => c.action)).toEqual(pagerCalls);
      if (stage === 'paged') expect(pager.calls[1]!.key).toBe(pagerDutyDedupKey('anom_1'));
      expect((await steps()).at(-1)).toBe('acknowledged');
      // The climb is over: no tick ever posts or pages it again.
      const posts = chat.posts.length;
      now = minutes(1000);
      expect(await escalationTick(deps)).toMatchObject({ escalated: [], paged: [], waiting: 0 });
      expect(chat.posts).toHaveLength(posts);
      expect(pager.calls.map((c) => c.action)).toEqual(pagerCalls);
    },
  );

  it('may be clicked in the on-call channel too', async () => {
    await climb(30);
    const result = await acknowledgeAlert(deps, {
      alertId: 'anom_1',
      actorSlackId: 'U0BOB',
      channelId: oncall,
    });
    expect(result.outcome).toBe('acknowledged');
  });

  it('a second acknowledgement names the first, records nothing and pages nothing', async () => {
    await climb(30, 60);
    await acknowledgeAlert(deps, { alertId: 'anom_1', actorSlackId: 'U0ANA', channelId: team });
    const again = await acknowledgeAlert(deps, {
      alertId: 'anom_1',
      actorSlackId: 'U0BOB',
      channelId: oncall,
    });
    expect(again.outcome).toBe('already_acknowledged');
    expect(again.state?.acknowledgedBy).toBe('U0ANA');
    expect(pager.calls.map((c) => c.action)).toEqual(['trigger', 'acknowledge']);
    expect(await steps()).toEqual(['posted', 'escalated', 'paged', 'acknowledged']);
  });

  it('two simultaneous acknowledgements record one', async () => {
    await climb(30, 60);
    const results = await Promise.all(
      ['U0ANA', 'U0BOB'].map((actorSlackId) =>
        acknowledgeAlert(deps, { alertId: 'anom_1', actorSlackId, channelId: team }),
      ),
    );
    expect(results.map((r) => r.outcome).sort()).toEqual(['acknowledged', 'already_acknowledged']);
    expect(pager.calls.filter((c) => c.action === 'acknowledge')).toHaveLength(1);
  });

  it('refuses a click from another channel, and an unknown alert', async () => {
    await raiseAlert(deps, 'anom_1');
    expect(
      (
        await acknowledgeAlert(deps, {
          alertId: 'anom_1',
          actorSlackId: 'U0X',
          channelId: 'C0ELSE',
        })
      ).outcome,
    ).toBe('wrong_place');
    expect(
      (await acknowledgeAlert(deps, { alertId: 'nope', actorSlackId: 'U0X', channelId: team }))
        .outcome,
    ).toBe('not_found');
    expect(await steps()).toEqual(['posted']);
  });

  it('keeps the acknowledgement when PagerDuty or Slack updates fail, and says so', async () => {
    await climb(30, 60);
    pager.failures.push(new AppError('pager.unavailable', 'HTTP 500', { retryable: true }));
    chat.failUpdates = 1;
    const result = await acknowledgeAlert(deps, {
      alertId: 'anom_1',
      actorSlackId: 'U0ANA',
      channelId: team,
    });
    expect(result).toMatchObject({
      outcome: 'acknowledged',
      pagerDuty: 'failed',
      updateFailures: 1,
    });
    expect((await steps()).at(-1)).toBe('acknowledged');
    expect(logs).toContainEqual(
      expect.objectContaining({ event: 'pagerduty_update_failed', action: 'acknowledge' }),
    );
  });
});

describe('resolveAlert', () => {
  it('closes a paged alert, resolves the incident and updates the messages', async () => {
    await climb(30, 60);
    const result = await resolveAlert(deps, 'anom_1');
    expect(result).toEqual({ outcome: 'resolved', pagerDuty: 'resolved' });
    expect(pager.calls.map((c) => c.action)).toEqual(['trigger', 'resolve']);
    expect(chat.updates.slice(-2).every((u) => u.message.text.includes('(resolved)'))).toBe(true);
    expect(await resolveAlert(deps, 'anom_1')).toEqual({
      outcome: 'not_open',
      pagerDuty: 'not_paged',
    });
    expect(
      (await acknowledgeAlert(deps, { alertId: 'anom_1', actorSlackId: 'U0A', channelId: team }))
        .outcome,
    ).toBe('resolved');
  });

  it('resolves an acknowledged alert that was never paged without calling PagerDuty', async () => {
    await climb(10);
    await acknowledgeAlert(deps, { alertId: 'anom_1', actorSlackId: 'U0ANA', channelId: team });
    expect(await resolveAlert(deps, 'anom_1')).toEqual({
      outcome: 'resolved',
      pagerDuty: 'not_paged',
    });
    expect(pager.calls).toEqual([]);
    expect(await resolveAlert(deps, 'anom_nope')).toMatchObject({ outcome: 'not_found' });
  });
});

describe('resolveGoneAlerts', () => {
  const window = { windowStart: new Date('2026-10-29T00:00:00Z'), windowEnd: minutes(0) };

  it('resolves an open alert the covering run no longer finds, and its incident', async () => {
    await climb(30, 60);
    const result = await resolveGoneAlerts(deps, { ...window, anomalyIds: ['anom_other'] });
    expect(result).toEqual({ resolved: ['anom_1'], failed: [] });
    expect(pager.calls.map((c) => c.action)).toEqual(['trigger', 'resolve']);
    expect((await steps()).at(-1)).toBe('resolved');
  });

  it('also resolves an acknowledged alert, closing its acknowledged incident', async () => {
    await climb(30, 60);
    await acknowledgeAlert(deps, { alertId: 'anom_1', actorSlackId: 'U0ANA', channelId: team });
    expect((await resolveGoneAlerts(deps, { ...window, anomalyIds: [] })).resolved).toEqual([
      'anom_1',
    ]);
    expect(pager.calls.map((c) => c.action)).toEqual(['trigger', 'acknowledge', 'resolve']);
  });

  it('keeps alerts the run found again, or whose day it did not cover', async () => {
    await climb(30);
    expect(await resolveGoneAlerts(deps, { ...window, anomalyIds: ['anom_1'] })).toEqual({
      resolved: [],
      failed: [],
    });
    const later = {
      windowStart: new Date('2026-11-28T00:00:00Z'),
      windowEnd: new Date('2026-11-29T00:00:00Z'),
      anomalyIds: [],
    };
    expect((await resolveGoneAlerts(deps, later)).resolved).toEqual([]);
    expect(await steps()).toEqual(['posted', 'escalated']);
  });
});

describe('cold start', () => {
  it('a new process over the same file continues the climb where the last one stopped', async () => {
    await climb(30);
    expect(await steps()).toEqual(['posted', 'escalated']);
    closeLog();

    // A new process: the file reopened, new log, new deps, Slack and PagerDuty fakes empty.
    chat = new FakeChat();
    pager = new FakePager();
    deps = await makeDeps();
    now = minutes(45);
    expect(await escalationTick(deps)).toMatchObject({ escalated: [], paged: [], waiting: 1 });
    expect(chat.posts).toHaveLength(0);
    now = minutes(60);
    expect((await escalationTick(deps)).paged).toEqual(['anom_1']);
    expect(pager.calls.map((c) => c.action)).toEqual(['trigger']);
    // The messages posted by the previous process are the ones updated.
    expect(chat.updates.map((u) => u.channel)).toEqual([team, oncall]);
    closeLog();

    chat = new FakeChat();
    pager = new FakePager();
    deps = await makeDeps();
    const ack = await acknowledgeAlert(deps, {
      alertId: 'anom_1',
      actorSlackId: 'U0ANA',
      channelId: oncall,
    });
    expect(ack).toMatchObject({ outcome: 'acknowledged', pagerDuty: 'acknowledged' });
    expect(pager.calls).toEqual([{ action: 'acknowledge', key: pagerDutyDedupKey('anom_1') }]);
  });

  it('a restart between posting and N escalates on time, once', async () => {
    await raiseAlert(deps, 'anom_1');
    closeLog();
    chat = new FakeChat();
    deps = await makeDeps();
    now = minutes(30);
    await escalationTick(deps);
    await escalationTick(deps);
    expect(chat.posts.map((p) => p.channel)).toEqual([oncall]);
  });
});

describe('escalationPolicy', () => {
  it('turns minutes into the policy', () => {
    expect(
      escalationPolicy({ escalateAfterMin: 30, pageAfterMin: 60, minSeverity: 'high' }),
    ).toEqual({
      escalateAfterMs: 1_800_000,
      pageAfterMs: 3_600_000,
      minSeverity: 'high',
      onCallChannelId: null,
      onCallUsergroupId: null,
    });
  });

  it.each([
    [{ escalateAfterMin: 60, pageAfterMin: 30 }],
    [{ escalateAfterMin: 0, pageAfterMin: 30 }],
    [{ escalateAfterMin: 30, pageAfterMin: 60, onCallUsergroupId: '@oncall' }],
  ])('refuses %o', (settings) => {
    expect(() => escalationPolicy({ minSeverity: 'high', ...settings })).toThrow(AppError);
  });
});
