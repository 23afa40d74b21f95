import { z } from 'zod';
import type { RecommendationKind } from './analysis.js';
import type { CostFact, FactDimension } from './facts.js';
import type { PricingContext } from './pricing.js';
import { bytesPerTib, slotHourRate, slotHours } from './pricing.js';
import { msPerDay, utcDay } from './timestamps.js';

// The daily digest, shaped from plain facts: one channel's compute spend on a day against what
// it usually spends, the trend, the movers, and the state of its recommendations. Pure: the use
// case (src/app/send-digest.ts) fetches, the renderer (handlers/blocks/digest.ts) formats.
//
// Spend is compute only: on-demand bytes billed × list price (gross, before the free TiB) plus
// reservation slot-hours used × edition rate (used, not billed, capacity — the autoscaler bills
// more). Storage is a monthly figure and is left out of a daily number.
//
// Expected spend for day D, weekly-rhythm aware (a Monday batch is expected on Mondays):
//   1. the median of the same weekday over the previous 4 weeks, when at least 3 of those days
//      have history;
//   2. else the median of the previous 14 days, when at least 7 of them have history;
//   3. else unknown (too little history), never $0.
// A day "has history" when it lies inside the warehouse's data range: before the first job the
// history is missing, not $0; inside it a day without facts did spend $0.

export const digestWeeks = 4;
export const minSameWeekdays = 3;
export const trailingDays = 14;
export const minTrailingDays = 7;
/** The sparkline's length: four weeks ending on D. */
export const trendDays = 28;
/** Days of facts the digest reads: the trend and the 4-week baseline, both ending on D. */
export const historyDays = digestWeeks * 7 + 1;
/** Movers below a cent are noise from float sums. */
const minMoverUsd = 0.01;

// -------------------------------------------------------------------------------------------
// Channels

const labelKey = /^[^:]+:.*$/;

/**
 * What spend a channel's digest is about: the whole organisation, or some projects, users or
 * label values. Keys of one dimension add up without double counting (a job has one project,
 * one user, one value per label key); keys of different label keys would count a job twice, so
 * a channel's labels must all share the label key.
 */
export const digestScopeSchema = z.union([
  z.object({ dimension: z.literal('org') }),
  /** Recommendations only: the channel's rules name nothing whose spend adds up (tables, datasets). */
  z.object({ dimension: z.literal('none'), reason: z.string() }),
  z
    .object({
      dimension: z.enum(['project', 'user', 'label']),
      keys: z.array(z.string().min(1)).min(1).max(200),
    })
    .refine(
      (s) =>
        s.dimension !== 'label' ||
        (s.keys.every((k) => labelKey.test(k)) &&
          new Set(s.keys.map((k) => k.slice(0, k.indexOf(':')))).size === 1),
      { message: 'label keys are key:value and must all share one label key' },
    ),
]);
export type DigestScope = z.infer<typeof digestScopeSchema>;

export const digestChannelSchema = z.object({
  channelId: z.string().regex(/^[CGD][A-Z0-9]+$/, 'a Slack channel id'),
  /** Only recommendations of this workspace (owner routing stores the team). */
  teamId: z.string().min(1).optional(),
  scope: digestScopeSchema,
  /** Shown with the scope (what the spend leaves out and why). */
  note: z.string().optional(),
});
export type DigestChannel = z.infer<typeof digestChannelSchema>;

/** `org`, or `project:a, project:b` in the anomaly scope notation. */
export function scopeLabel(scope: DigestScope): string {
  if (scope.dimension === 'org') return 'all projects';
  if (scope.dimension === 'none') return 'recommendations only';
  return scope.keys.map((k) => `${scope.dimension}:${k}`).join(', ');
}

/** The parts of the owner-routing file (src/domain/routing.ts) the digest reads. */
export interface DigestRouting {
  defaultChannel: string;
  projects: Readonly<Record<string, { channel?: string | undefined }>>;
  users: Readonly<Record<string, { channel?: string | undefined }>>;
  labels: Readonly<Record<string, { channel?: string | undefined }>>;
  datasets: Readonly<Record<string, { channel?: string | undefined }>>;
  tables: Readonly<Record<string, { channel?: string | undefined }>>;
}

/**
 * One digest per channel the routing names. The default channel sees the whole organisation.
 * Another channel sees the spend of its project rules; without any, of its user rules; without
 * any, of its label rules (one label key: the one with the most values, the others named in
 * `note`). A channel routed only by datasets or tables gets its recommendations and no spend:
 * a job reading two tables would count in both.
 */
export function digestChannelsFromRouting(routing: DigestRouting): DigestChannel[] {
  const named = new Map<string, Record<'project' | 'user' | 'label' | 'other', string[]>>();
  const add = (rules: DigestRouting['projects'], kind: 'project' | 'user' | 'label' | 'other') => {
    for (const [key, rule] of Object.entries(rules)) {
      if (rule.channel === undefined || rule.channel === routing.defaultChannel) continue;
      const entry = named.get(rule.channel) ?? { project: [], user: [], label: [], other: [] };
      entry[kind].push(key);
      named.set(rule.channel, entry);
    }
  };
  add(routing.projects, 'project');
  add(routing.users, 'user');
  add(routing.labels, 'label');
  add(routing.datasets, 'other');
  add(routing.tables, 'other');

  const channels: DigestChannel[] = [
    { channelId: routing.defaultChannel, scope: { dimension: 'org' } },
  ];
  for (const channelId of [...named.keys()].sort()) {
    const rules = named.get(channelId)!;
    const sorted = (keys: string[]) => [...keys].sort();
    if (rules.project.length > 0) {
      channels.push({ channelId, scope: { dimension: 'project', keys: sorted(rules.project) } });
    } else if (rules.user.length > 0) {
      channels.push({ channelId, scope: { dimension: 'user', keys: sorted(rules.user) } });
    } else if (rules.label.length > 0) {
      const byKey = new Map<string, string[]>();
      for (const label of rules.label) {
        const key = label.slice(0, label.indexOf(':'));
        byKey.set(key, [...(byKey.get(key) ?? []), label]);
      }
      const [, keys] = [...byKey.entries()].sort(
        (a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1),
      )[0]!;
      const left = rules.label.filter((l) => !keys.includes(l)).sort();
      channels.push({
        channelId,
        scope: { dimension: 'label', keys: sorted(keys) },
        ...(left.length > 0
          ? {
              note: `not in the spend (another label key would count jobs twice): ${left.join(', ')}`,
            }
          : {}),
      });
    } else {
      channels.push({
        channelId,
        scope: {
          dimension: 'none',
          reason: 'this channel is routed by datasets or tables only, whose spend overlaps',
        },
      });
    }
  }
  return channels;
}

// -------------------------------------------------------------------------------------------
// Money per fact and per day

/** A fact's compute cost: on-demand list price + used reservation slot-hours × edition rate. */
export function factUsd(fact: CostFact, pricing: PricingContext): number {
  return (
    (fact.onDemandBytesBilled / bytesPerTib) * pricing.prices.onDemandUsdPerTib +
    slotHours(fact.reservationSlotMs) *
      slotHourRate(pricing, fact.reservationId, fact.edition).usdPerSlotHour
  );
}

export const dayNumber = (day: string): number => Date.parse(`${day}T00:00:00Z`) / msPerDay;
export const dayText = (n: number): string => utcDay(new Date(n * msPerDay));

function inScope(fact: CostFact, scope: DigestScope): boolean {
  if (scope.dimension === 'org') return fact.dimension === 'total';
  return ownKey(fact, scope);
}

/** A fact of the scope's own dimension and keys; emails match whatever their case. */
function ownKey(fact: CostFact, scope: DigestScope): boolean {
  if (scope.dimension === 'org' || scope.dimension === 'none') return false;
  if (fact.dimension !== scope.dimension) return false;
  if (scope.dimension !== 'user') return scope.keys.includes(fact.key);
  const key = fact.key.toLowerCase();
  return scope.keys.some((k) => k.toLowerCase() === key);
}

/** Known spend per day number; days without facts are absent (the caller knows the range). */
export function spendByDay(
  facts: readonly CostFact[],
  scope: DigestScope,
  pricing: PricingContext,
): Map<number, number> {
  const out = new Map<number, number>();
  for (const fact of facts) {
    if (!inScope(fact, scope)) continue;
    const day = dayNumber(fact.day);
    out.set(day, (out.get(day) ?? 0) + factUsd(fact, pricing));
  }
  return out;
}

/** The span of days with history, as day numbers (inclusive); null when there is none. */
export interface KnownDays {
  first: number;
  last: number;
}

/**
 * Whole UTC days the history covers: from the first complete day (the first job's day is
 * probably cut) to the day of the last job (for BigQuery's stored facts, the day before the
 * exclusive refresh watermark when it falls on midnight).
 */
export function knownDays(range: {
  firstCreationTime: Date | null;
  lastCreationTime: Date | null;
}): KnownDays | null {
  if (!range.firstCreationTime || !range.lastCreationTime) return null;
  const first = Math.ceil(range.firstCreationTime.getTime() / msPerDay);
  const lastMs = range.lastCreationTime.getTime();
  const last = Math.ceil(lastMs / msPerDay) - 1;
  return last >= first ? { first, last } : null;
}

const known = (days: KnownDays | null, day: number): boolean =>
  days !== null && day >= days.first && day <= days.last;

function valueOn(
  spend: ReadonlyMap<number, number>,
  days: KnownDays | null,
  day: number,
): number | null {
  return known(days, day) ? (spend.get(day) ?? 0) : null;
}

// -------------------------------------------------------------------------------------------
// Expected value

export type ExpectedMethod = 'same_weekday_median' | 'trailing_median' | 'insufficient_history';

export interface ExpectedSpend {
  usd: number | null;
  method: ExpectedMethod;
  /** How many earlier days the median is taken over. */
  sampleDays: number;
  /** One line for people: which days, which statistic. */
  description: string;
}

const weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
export const weekdayOf = (day: number): string => weekdays[new Date(day * msPerDay).getUTCDay()]!;

export function expectedSpend(
  spend: ReadonlyMap<number, number>,
  days: KnownDays | null,
  day: number,
): ExpectedSpend {
  const sameWeekday: number[] = [];
  for (let w = 1; w <= digestWeeks; w += 1) {
    const v = valueOn(spend, days, day - 7 * w);
    if (v !== null) sameWeekday.push(v);
  }
  if (sameWeekday.length >= minSameWeekdays) {
    return {
      usd: median(sameWeekday),
      method: 'same_weekday_median',
      sampleDays: sameWeekday.length,
      description: `median of the previous ${sameWeekday.length} ${weekdayOf(day)}s`,
    };
  }
  const trailing: number[] = [];
  for (let back = 1; back <= trailingDays; back += 1) {
    const v = valueOn(spend, days, day - back);
    if (v !== null) trailing.push(v);
  }
  if (trailing.length >= minTrailingDays) {
    return {
      usd: median(trailing),
      method: 'trailing_median',
      sampleDays: trailing.length,
      description: `median of the previous ${trailing.length} days (fewer than ${minSameWeekdays} earlier ${weekdayOf(day)}s in the history)`,
    };
  }
  return {
    usd: null,
    method: 'insufficient_history',
    sampleDays: trailing.length,
    description: `unknown: ${trailing.length} day(s) of history before this day, ${minTrailingDays} are needed`,
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

// -------------------------------------------------------------------------------------------
// Movers: the day against the same weekday a week earlier, per project, user and label value.

export interface Mover {
  /** `project:<id>`, `user:<email>` or `label:<key>:<value>`. */
  scope: string;
  usd: number;
  previousUsd: number;
  deltaUsd: number;
}

const moverDimensions: readonly FactDimension[] = ['project', 'user', 'label'];

/**
 * The `limit` largest changes (either way) between `day` and `day − 7`, within the channel's
 * scope: for the organisation every project, user and label value; for a scoped channel its
 * own keys (the facts do not say which user spent inside which project). Null when the day a
 * week earlier has no history.
 */
export function topMovers(
  facts: readonly CostFact[],
  scope: DigestScope,
  days: KnownDays | null,
  day: number,
  pricing: PricingContext,
  limit: number,
): Mover[] | null {
  const previous = day - 7;
  if (scope.dimension === 'none' || !known(days, day) || !known(days, previous)) return null;
  const sums = new Map<string, { usd: number; previousUsd: number }>();
  for (const fact of facts) {
    const d = dayNumber(fact.day);
    if (d !== day && d !== previous) continue;
    const eligible =
      scope.dimension === 'org' ? moverDimensions.includes(fact.dimension) : ownKey(fact, scope);
    if (!eligible) continue;
    const key = `${fact.dimension}:${fact.key}`;
    const entry = sums.get(key) ?? { usd: 0, previousUsd: 0 };
    if (d === day) entry.usd += factUsd(fact, pricing);
    else entry.previousUsd += factUsd(fact, pricing);
    sums.set(key, entry);
  }
  return [...sums.entries()]
    .map(([key, s]) => ({ scope: key, ...s, deltaUsd: s.usd - s.previousUsd }))
    .filter((m) => Math.abs(m.deltaUsd) >= minMoverUsd)
    .sort(
      (a, b) =>
        Math.abs(b.deltaUsd) - Math.abs(a.deltaUsd) ||
        (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0),
    )
    .slice(0, limit);
}

// -------------------------------------------------------------------------------------------
// The whole digest

export interface DigestRecommendation {
  id: string;
  kind: RecommendationKind;
  target: string;
  summary: string;
  monthlySavingsUsd: number | null;
}

export interface SnoozeEnding extends DigestRecommendation {
  snoozeUntil: Date;
}

export interface RealizedLine {
  id: string;
  kind: RecommendationKind;
  target: string;
  status: 'saved' | 'not_saved' | 'too_early' | 'unknown';
  realizedMonthlyUsd: number | null;
  estimatedMonthlySavingsUsd: number | null;
}

export interface ChannelDigest {
  channelId: string;
  /** The day the digest is about, YYYY-MM-DD (UTC). */
  day: string;
  weekday: string;
  scope: string;
  /** What the scope leaves out, or why there is no spend. */
  scopeNote: string | null;
  /** null for a channel without a spend scope (recommendations only). */
  spend: {
    /** null when the history does not reach this day (not refreshed yet): unknown, not $0. */
    usd: number | null;
    expected: ExpectedSpend;
    /** usd − expected; null when either is unknown. */
    deltaUsd: number | null;
    method: string;
  } | null;
  /** Known days of the last four weeks ending on `day`, oldest first. */
  trend: { day: string; usd: number }[];
  /** Null when a week earlier has no history. */
  movers: Mover[] | null;
  newRecommendations: { items: DigestRecommendation[]; total: number; since: Date; until: Date };
  openSavings: {
    count: number;
    /** Sum over the recommendations with a known saving. */
    knownMonthlyUsd: number;
    /** Recommendations whose saving is unknown: counted, never added as $0. */
    unknownCount: number;
    /** The store's list was cut at its limit: the sums are lower bounds. */
    truncated: boolean;
  };
  snoozesEnding: { items: SnoozeEnding[]; until: Date };
  realized: {
    /** Sum of measured savings of the recommendations judged `saved`. */
    savedMonthlyUsd: number;
    counts: Record<RealizedLine['status'], number>;
    items: RealizedLine[];
  };
}

export interface BuildDigestInput {
  channelId: string;
  scope: DigestScope;
  note?: string | undefined;
  /** Day number of the digest's day. */
  day: number;
  facts: readonly CostFact[];
  days: KnownDays | null;
  pricing: PricingContext;
  moversLimit: number;
}

/** The spend half of the digest (the rest comes from the stores, assembled by the use case). */
export function spendDigest(
  input: BuildDigestInput,
): Pick<
  ChannelDigest,
  'channelId' | 'day' | 'weekday' | 'scope' | 'scopeNote' | 'spend' | 'trend' | 'movers'
> {
  const { facts, scope, days, day, pricing } = input;
  const head = {
    channelId: input.channelId,
    day: dayText(day),
    weekday: weekdayOf(day),
    scope: scopeLabel(scope),
  };
  if (scope.dimension === 'none') {
    return { ...head, scopeNote: scope.reason, spend: null, trend: [], movers: null };
  }
  const spend = spendByDay(facts, scope, pricing);
  const usd = valueOn(spend, days, day);
  const expected = expectedSpend(spend, days, day);
  const trend: { day: string; usd: number }[] = [];
  for (let d = day - trendDays + 1; d <= day; d += 1) {
    const v = valueOn(spend, days, d);
    if (v !== null) trend.push({ day: dayText(d), usd: v });
  }
  const usdPerTib = pricing.prices.onDemandUsdPerTib;
  return {
    ...head,
    scopeNote: input.note ?? null,
    spend: {
      usd,
      expected,
      deltaUsd: usd === null || expected.usd === null ? null : usd - expected.usd,
      method: `compute spend per UTC day: on-demand bytes billed × $${usdPerTib}/TiB (list price, before the free TiB) + reservation slot-hours used × edition rate; storage not included`,
    },
    trend,
    movers: topMovers(facts, scope, days, day, pricing, input.moversLimit),
  };
}
