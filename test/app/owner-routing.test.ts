import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createOwnerRouter, routingConfigFrom } from '../../src/app/owner-routing.js';
import type { Anomaly, Recommendation, RecommendationKind } from '../../src/domain/analysis.js';
import { ownerEmails, parseRoutingConfig, type RoutingConfig } from '../../src/domain/routing.js';
import { AppError } from '../../src/errors.js';

const config = routingConfigFrom(
  JSON.stringify({
    defaultChannel: 'C0DEFAULT',
    projects: {
      'acme-prod': { channel: 'C0PROJECT', owners: ['U0PROJOWN'] },
      'example.com:scoped': { channel: 'C0SCOPED' },
      'admin-proj': { channel: 'C0ADMIN' },
    },
    datasets: { 'acme-prod.sales': { channel: 'C0DATASET' } },
    tables: { 'acme-prod.sales.orders': { owners: ['orders@acme.example', 'U0TABLEOWN'] } },
    labels: { 'team:growth': { channel: 'C0GROWTH', owners: ['U0GROWTH'] } },
    users: { 'Ana@Acme.example': { owners: ['U0ANA'] } },
  }),
  'test',
);

const directory: Record<string, string | null> = {
  'orders@acme.example': 'U0ORDERS',
  'gone@acme.example': null,
};
const lookups: string[] = [];
const chat = {
  lookupUserByEmail: (email: string) => {
    lookups.push(email);
    if (email === 'broken@acme.example')
      return Promise.reject(new AppError('slack.platform_error', 'missing_scope'));
    return Promise.resolve(directory[email] ?? null);
  },
};

const rec = (
  kind: RecommendationKind,
  target: string,
  evidence: unknown = null,
): { recommendation: Recommendation } => ({
  recommendation: {
    id: `rec_${kind}`,
    kind,
    target,
    monthlySavingsUsd: 10,
    confidence: 'high',
    summary: 's',
    evidence,
    fix: null,
  },
});
const anomaly = (scope: string): { anomaly: Anomaly } => ({
  anomaly: { id: 'an_1', scope, day: '2026-10-01', usd: 100, expectedUsd: 10, severity: 'high' },
});

describe('owner routing: the most specific rule wins (channel and owners separately)', () => {
  it.each([
    // [what, target, channel, owners]
    [
      'a table: owners from the table, channel from its dataset',
      rec('partition_table', 'acme-prod.sales.orders'),
      'C0DATASET',
      ['U0ORDERS', 'U0TABLEOWN'],
    ],
    [
      'another table of the dataset: the dataset channel, the project owners',
      rec('cluster_table', 'acme-prod.sales.items'),
      'C0DATASET',
      ['U0PROJOWN'],
    ],
    [
      'a table of another dataset: the project rule',
      rec('expire_unused_table', 'acme-prod.logs.raw'),
      'C0PROJECT',
      ['U0PROJOWN'],
    ],
    ['a dataset', rec('storage_billing_model', 'acme-prod.sales'), 'C0DATASET', ['U0PROJOWN']],
    ['a project', rec('pricing_model', 'acme-prod'), 'C0PROJECT', ['U0PROJOWN']],
    ['a reservation: its admin project', rec('pricing_model', 'admin-proj:US.etl'), 'C0ADMIN', []],
    [
      'a domain-scoped project table',
      rec('partition_table', 'example.com:scoped.ds.t'),
      'C0SCOPED',
      [],
    ],
    [
      'a user email (case-insensitive)',
      rec('cap_bytes_billed', 'ana@acme.example'),
      'C0DEFAULT',
      ['U0ANA'],
    ],
    ['a project cap', rec('cap_bytes_billed', 'acme-prod'), 'C0PROJECT', ['U0PROJOWN']],
    [
      'an unknown project: the default channel, no owners',
      rec('pricing_model', 'elsewhere'),
      'C0DEFAULT',
      [],
    ],
    [
      'a query hash via evidence: the user outranks the tables',
      rec('materialize_repeated_query', 'h1', {
        userEmail: 'ana@acme.example',
        referencedTables: ['acme-prod.sales.orders'],
        projectId: 'acme-prod',
      }),
      'C0DATASET',
      ['U0ANA'],
    ],
    [
      'a query hash by an unknown user: its table',
      rec('sql_antipattern', 'h2', {
        userEmail: 'bob@acme.example',
        referencedTables: ['acme-prod.sales.orders'],
        projectId: 'acme-prod',
      }),
      'C0DATASET',
      ['U0ORDERS', 'U0TABLEOWN'],
    ],
    [
      'a query hash with only a project',
      rec('sql_antipattern', 'h3', { userEmail: null, projectId: 'acme-prod' }),
      'C0PROJECT',
      ['U0PROJOWN'],
    ],
    ['a query hash without evidence', rec('sql_antipattern', 'h4', null), 'C0DEFAULT', []],
    ['a project anomaly', anomaly('project:acme-prod'), 'C0PROJECT', ['U0PROJOWN']],
    ['a label anomaly', anomaly('label:team:growth'), 'C0GROWTH', ['U0GROWTH']],
    ['a user anomaly', anomaly('user:ana@acme.example'), 'C0DEFAULT', ['U0ANA']],
    ['an unknown label', anomaly('label:team:other'), 'C0DEFAULT', []],
    ['a malformed scope', anomaly('nonsense'), 'C0DEFAULT', []],
  ])('%s', async (_what, target, channelId, owners) => {
    const route = await createOwnerRouter({ config, chat }).route(target);
    expect(route.channelId).toBe(channelId);
    expect(route.ownerSlackIds).toEqual(owners);
  });

  it.each(['project:acme-prod', 'label:team:growth', 'user:ana@acme.example', 'nonsense'])(
    'routes the scope %s alone as it routes an anomaly with that scope',
    async (scope) => {
      const router = createOwnerRouter({ config, chat });
      expect(await router.routeScope(scope)).toEqual(await router.route(anomaly(scope)));
    },
  );

  it('names the matched rules, most specific first', async () => {
    const route = await createOwnerRouter({ config, chat }).route(
      rec('partition_table', 'acme-prod.sales.orders'),
    );
    expect(route.matched).toEqual([
      'tables:acme-prod.sales.orders',
      'datasets:acme-prod.sales',
      'projects:acme-prod',
    ]);
  });

  it('an owner email Slack does not know is left out and reported', async () => {
    const cfg: RoutingConfig = {
      ...config,
      projects: { p1: { channel: 'C0P1', owners: ['gone@acme.example', 'U0KEEP'] } },
    };
    const route = await createOwnerRouter({ config: cfg, chat }).route(rec('pricing_model', 'p1'));
    expect(route.ownerSlackIds).toEqual(['U0KEEP']);
    expect(route.unresolvedOwners).toEqual(['gone@acme.example']);
  });

  it('any other lookup failure surfaces', async () => {
    const cfg: RoutingConfig = {
      ...config,
      projects: { p1: { owners: ['broken@acme.example'] } },
    };
    await expect(
      createOwnerRouter({ config: cfg, chat }).route(rec('pricing_model', 'p1')),
    ).rejects.toMatchObject({ code: 'slack.platform_error' });
  });
});

describe('routing file', () => {
  it('the example file is valid', () => {
    const text = readFileSync(
      fileURLToPath(new URL('../../config/routing.example.json', import.meta.url)),
      'utf8',
    );
    expect(routingConfigFrom(text, 'routing.example.json').defaultChannel).toMatch(/^C/);
  });

  it.each([
    ['no default channel', {}, 'defaultChannel'],
    ['a channel name instead of an id', { defaultChannel: '#finops' }, 'channel id'],
    ['a rule with nothing', { defaultChannel: 'C0D', projects: { p: {} } }, 'channel, owners'],
    [
      'an owner that is neither id nor email',
      { defaultChannel: 'C0D', projects: { p: { owners: ['ana'] } } },
      'projects.p.owners.0',
    ],
    [
      'a table key that is not qualified',
      { defaultChannel: 'C0D', tables: { orders: { channel: 'C0X' } } },
      'tables.orders',
    ],
    ['an unknown section', { defaultChannel: 'C0D', teams: {} }, 'teams'],
  ])('refuses %s, naming it', (_what, json, fragment) => {
    const parsed = parseRoutingConfig(json);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems.join('; ')).toContain(fragment);
  });

  it('bad JSON is a named bad-input error', () => {
    expect(() => routingConfigFrom('{', 'r.json')).toThrow(/routing file r.json/);
  });
});

describe('ownerEmails', () => {
  it('lists every owner written as an email once, across all kinds of rule', () => {
    const config = routingConfigFrom(
      JSON.stringify({
        defaultChannel: 'C0FINOPS00',
        projects: {
          'acme-prod': { channel: 'C0DATAPLAT', owners: ['lead@acme.example', 'U0LEAD'] },
        },
        tables: { 'acme-prod.sales.orders': { owners: ['orders@acme.example'] } },
        labels: { 'team:growth': { owners: ['lead@acme.example'] } },
        users: { 'bot@acme.example': { owners: ['U0BOT'] } },
      }),
      'test',
    );
    expect(ownerEmails(config).sort()).toEqual(['lead@acme.example', 'orders@acme.example']);
  });
});
