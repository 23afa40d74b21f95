import { z } from 'zod';
import type { Anomaly, Recommendation } from './analysis.js';

// Owner routing: which Slack channel a finding goes to and who owns it, from a JSON file
// (BQCOST_ROUTING_FILE; config/routing.example.json). Rules are keyed by what a finding is about —
// a project, a dataset, a table, a label or a user email — and the most specific matching rule
// wins, separately for the channel and for the owners, so a table rule may name owners and leave
// the channel to its project's rule. Nothing matching: the default channel and no owners.

const channelId = z
  .string()
  .regex(/^[CG][A-Z0-9]{2,}$/, 'a Slack channel id such as C0123ABCD (not a #name)');
const email = z.email();
/** A Slack user id, or an email resolved with users.lookupByEmail. */
const ownerRef = z.union([
  z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack user id (U…/W…) or an email'),
  email,
]);

const routeSchema = z
  .object({
    channel: channelId.optional(),
    owners: z.array(ownerRef).max(50).default([]),
  })
  .strict()
  .refine((r) => r.channel !== undefined || r.owners.length > 0, {
    message: 'a rule needs a channel, owners, or both',
  });
export type Route = z.infer<typeof routeSchema>;

const keyed = (pattern: RegExp, what: string) =>
  z.record(z.string().regex(pattern, what), routeSchema).default({});

export const routingConfigSchema = z
  .object({
    defaultChannel: channelId,
    projects: keyed(/^[a-z0-9][a-z0-9.:-]*$/, 'a project id'),
    datasets: keyed(/^[a-z0-9][a-z0-9.:-]*\.\w+$/, '`project.dataset`'),
    tables: keyed(/^[a-z0-9][a-z0-9.:-]*\.\w+\.[\w$-]+$/, '`project.dataset.table`'),
    labels: keyed(/^[^:\s]+:[^\s]*$/, '`key:value`'),
    users: z.record(email, routeSchema).default({}),
  })
  .strict();
export type RoutingConfig = z.infer<typeof routingConfigSchema>;

/** Every owner written as an email in the rules (to be resolved to Slack ids). */
export function ownerEmails(config: RoutingConfig): string[] {
  const routes = [
    config.projects,
    config.datasets,
    config.tables,
    config.labels,
    config.users,
  ].flatMap((rules) => Object.values(rules));
  return [...new Set(routes.flatMap((r) => r.owners.filter((o) => o.includes('@'))))];
}

export type ParsedRouting = { ok: true; config: RoutingConfig } | { ok: false; problems: string[] };

export function parseRoutingConfig(json: unknown): ParsedRouting {
  const parsed = routingConfigSchema.safeParse(json);
  if (parsed.success) return { ok: true, config: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
  };
}

export type Dimension = 'user' | 'table' | 'dataset' | 'label' | 'project';

/**
 * Most specific first. A person (user email) is more specific than anything they touch; a label
 * usually marks a team inside a project, so it outranks the project.
 */
export const specificity: Record<Dimension, number> = {
  user: 5,
  table: 4,
  dataset: 3,
  label: 2,
  project: 1,
};

export interface Subject {
  dimension: Dimension;
  key: string;
}

/** `[scope:]project[.dataset[.table]]`; a domain-scoped project (`example.com:p`) keeps its dots. */
function splitQualified(
  name: string,
): { project: string; dataset: string | null; table: string | null } | null {
  const colon = name.lastIndexOf(':');
  const rest = name.slice(colon + 1).split('.');
  if (rest.length > 3 || rest.some((p) => p === '')) return null;
  return {
    project: name.slice(0, colon + 1) + (rest[0] ?? ''),
    dataset: rest[1] ?? null,
    table: rest[2] ?? null,
  };
}

/** What a named target is about, the narrowest first: a table is also its dataset and project. */
function nameSubjects(name: string): Subject[] {
  if (name.includes('@')) return [{ dimension: 'user', key: name }];
  const q = splitQualified(name);
  if (q === null) return [];
  const subjects: Subject[] = [];
  if (q.table !== null) subjects.push({ dimension: 'table', key: name });
  if (q.dataset !== null) subjects.push({ dimension: 'dataset', key: `${q.project}.${q.dataset}` });
  subjects.push({ dimension: 'project', key: q.project });
  return subjects;
}

/** A reservation (`admin-project:US.etl`) is owned by its admin project. */
function reservationProject(name: string): string | null {
  return /^([a-z][a-z0-9-]*):[^.:]+\.[^.:]+$/.exec(name)?.[1] ?? null;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** A query shape (target = its hash) is about who runs it, what it reads and where it runs. */
function evidenceSubjects(evidence: unknown): Subject[] {
  const e = record(evidence);
  const subjects: Subject[] = [];
  if (typeof e.userEmail === 'string' && e.userEmail.includes('@'))
    subjects.push({ dimension: 'user', key: e.userEmail });
  if (Array.isArray(e.referencedTables)) {
    for (const t of e.referencedTables)
      if (typeof t === 'string' && splitQualified(t)?.table) subjects.push(...nameSubjects(t));
  }
  if (typeof e.projectId === 'string' && e.projectId !== '')
    subjects.push({ dimension: 'project', key: e.projectId });
  return subjects;
}

export type RoutingTarget = { recommendation: Recommendation } | { anomaly: Anomaly };

/** What an anomaly scope (`project:<id>`, `user:<email>`, `label:<key>:<value>`) is about. */
export function scopeSubjects(scope: string): Subject[] {
  const cut = scope.indexOf(':');
  const kind = scope.slice(0, cut);
  const key = scope.slice(cut + 1);
  if (cut <= 0 || key === '') return [];
  if (kind === 'project') return [{ dimension: 'project', key }];
  if (kind === 'user') return [{ dimension: 'user', key }];
  if (kind === 'label') return [{ dimension: 'label', key }];
  return [];
}

export function subjectsOf(target: RoutingTarget): Subject[] {
  if ('anomaly' in target) {
    return scopeSubjects(target.anomaly.scope);
  }
  const r = target.recommendation;
  switch (r.kind) {
    case 'materialize_repeated_query':
    case 'sql_antipattern':
      return evidenceSubjects(r.evidence);
    case 'pricing_model': {
      const project = reservationProject(r.target);
      return project === null ? nameSubjects(r.target) : [{ dimension: 'project', key: project }];
    }
    default:
      return nameSubjects(r.target);
  }
}

export interface RouteMatch {
  /** Null when no rule names a channel: the caller uses `defaultChannel`. */
  channel: string | null;
  /** Slack ids and emails, as written in the winning rule. */
  ownerRefs: readonly string[];
  /** The rules that matched, most specific first (`tables:acme.sales.orders`), for the audit. */
  matched: string[];
}

const ruleSets: Record<Dimension, keyof Omit<RoutingConfig, 'defaultChannel'>> = {
  user: 'users',
  table: 'tables',
  dataset: 'datasets',
  label: 'labels',
  project: 'projects',
};

/** Most specific rule with a channel, and most specific rule with owners (ties: subject order). */
export function matchRoutes(config: RoutingConfig, subjects: readonly Subject[]): RouteMatch {
  const ranked = subjects
    .map((s, order) => ({ s, order }))
    .sort((a, b) => specificity[b.s.dimension] - specificity[a.s.dimension] || a.order - b.order);
  const matched: string[] = [];
  let channel: string | null = null;
  let ownerRefs: readonly string[] = [];
  for (const { s } of ranked) {
    const rules = config[ruleSets[s.dimension]];
    const key = s.dimension === 'user' ? s.key.toLowerCase() : s.key;
    const hit =
      s.dimension === 'user'
        ? Object.entries(rules).find(([k]) => k.toLowerCase() === key)?.[1]
        : Object.hasOwn(rules, key)
          ? rules[key]
          : undefined;
    if (hit === undefined) continue;
    const name = `${ruleSets[s.dimension]}:${s.key}`;
    if (!matched.includes(name)) matched.push(name);
    if (channel === null && hit.channel !== undefined) channel = hit.channel;
    if (ownerRefs.length === 0 && hit.owners.length > 0) ownerRefs = hit.owners;
  }
  return { channel, ownerRefs, matched };
}
