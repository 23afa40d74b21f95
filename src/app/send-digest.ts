import {
  historyDays,
  dayNumber,
  knownDays,
  spendDigest,
  type ChannelDigest,
  type DigestChannel,
  type DigestRecommendation,
  type RealizedLine,
  type SnoozeEnding,
} from '../domain/digest.js';
import { deriveState, type RecommendationEvent } from '../domain/ledger.js';
import type { PricingContext } from '../domain/pricing.js';
import { msPerDay } from '../domain/timestamps.js';
import { AppError, isAppError } from '../errors.js';
import type { Chat, ChatMessage } from '../ports/chat.js';
import type { AckLedger } from '../ports/ledger.js';
import type { RecommendationStore, StoredRecommendation } from '../ports/recommendations.js';
import type { SlackPosts } from '../ports/slack-posts.js';
import type { Warehouse } from '../ports/warehouse.js';
import type { Pacer } from './pacer.js';
import { postOnce } from './post-once.js';
import {
  measureRealizedSavings,
  type AcceptedRecommendation,
  type RealizedSaving,
} from './realized-savings.js';

// The daily digest (scheduler tick → one message per routed channel) about day D, "yesterday"
// in UTC: spend against its expected value, trend, movers (src/domain/digest.ts), then the
// channel's recommendations with their state from the acknowledgement ledger: new ones, open
// savings, snoozes about to end, and what accepted ones really saved (realized-savings.ts).
//
// Reads are shared: one costFactsFor (no tables, no query shapes), one dataRange and one
// realized-savings measurement for all channels; the store and the ledger are read per channel.
// Each channel is posted independently; when some fail, the others still go out and the use case
// then throws (retryable when any failure is), so the tick is redelivered — `postOnce` (the
// posted-messages ledger, keyed by digestPostKey) keeps the channels that did get theirs from
// getting it twice. A channel without a spend scope and with nothing to say about its
// recommendations gets no message: an empty digest every morning is noise.

/**
 * Posts unless a message with this key was already posted; answers the (first) post's ts and
 * whether this call posted (absent = it did).
 */
export type PostOnce = (
  key: string,
  channel: string,
  message: ChatMessage,
) => Promise<{ ts: string; posted?: boolean }>;

/** The production PostOnce: the posted-messages ledger, with posts spaced by the channel pacer. */
export function ledgeredPostOnce(deps: {
  posts: SlackPosts;
  chat: Pick<Chat, 'postMessage'>;
  pacer: Pacer;
  clock: { now(): Date };
}): PostOnce {
  const paced: Pick<Chat, 'postMessage'> = {
    postMessage: (channel, message) =>
      deps.pacer.pace(channel, () => deps.chat.postMessage(channel, message)),
  };
  return (key, channel, message) =>
    postOnce(
      { posts: deps.posts, chat: paced, clock: deps.clock },
      { key, channel, kind: 'digest', message },
    );
}

export interface SendDigestDeps {
  warehouse: Warehouse;
  store: RecommendationStore;
  ledger: AckLedger;
  /** Only posting is needed. */
  chat: Pick<Chat, 'postMessage'>;
  pricing: PricingContext;
  clock: { now(): Date };
  /** The routed channels and the spend each one sees (owner routing, from config). */
  channels: readonly DigestChannel[];
  /** Block Kit for one channel's digest (handlers/blocks/digest.ts). */
  render: (digest: ChannelDigest) => ChatMessage;
  /** Default: chat.postMessage, which does not dedupe (tests). */
  postOnce?: PostOnce;
}

export interface DigestOptions {
  /** Rows per list (movers, new recommendations, snoozes, realized savings); default 5. */
  listLimit?: number;
  /** Recommendations read per channel for the open-savings sum; default 1000. */
  storeLimit?: number;
}

export interface DigestPosted {
  channel: string;
  /**
   * `already_posted`: the posted ledger held this channel's digest (a redelivered tick);
   * `nothing_to_report`: a recommendations-only channel with no recommendations in any state.
   */
  status: 'posted' | 'already_posted' | 'nothing_to_report';
  /** The message's ts; null when nothing was posted. */
  ts: string | null;
  digest: ChannelDigest;
}

/**
 * New recommendations of digest D are those first found in [D 08:00, D+1 08:00) UTC: the 24 hours
 * up to the digest's schedule (topology's daily-digest cron), so consecutive digests tile time —
 * each finding is new in exactly one digest, whenever the tick is actually delivered — and the
 * morning analysis of D+1 (05:00) is in D's digest.
 */
export const newRecommendationsCutoffHourUtc = 8;
/** Snoozes ending within this many hours after the digest is built are listed. */
export const snoozeHorizonHours = 48;

/** What the digest reads: totals and the dimensions a channel's scope and movers are made of. */
const digestDimensions = ['total', 'project', 'user', 'label'] as const;

/** One post per channel and day; the pipeline's posted-messages ledger dedupes on it. */
export function digestPostKey(channelId: string, day: string): string {
  return `digest:v1:${channelId}:${day}`;
}

export async function sendDigest(
  deps: SendDigestDeps,
  day: string,
  options: DigestOptions = {},
): Promise<DigestPosted[]> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(dayNumber(day))) {
    throw new AppError('digest.bad_day', `not a day: ${day}`);
  }
  const listLimit = options.listLimit ?? 5;
  const storeLimit = options.storeLimit ?? 1000;
  const d = dayNumber(day);
  const now = deps.clock.now();
  const window = {
    start: new Date((d - historyDays + 1) * msPerDay),
    end: new Date((d + 1) * msPerDay),
  };
  const [facts, range] = await Promise.all([
    deps.warehouse.costFactsFor(window, digestDimensions),
    deps.warehouse.dataRange(),
  ]);
  const days = knownDays(range);
  const post: PostOnce =
    deps.postOnce ?? ((_key, channel, message) => deps.chat.postMessage(channel, message));

  const failures: { channel: string; error: unknown }[] = [];
  const loaded: { channel: DigestChannel; recs: ChannelRecommendations }[] = [];
  for (const channel of deps.channels) {
    try {
      loaded.push({ channel, recs: await loadRecommendations(deps, channel, d, now, storeLimit) });
    } catch (error) {
      failures.push({ channel: channel.channelId, error });
    }
  }
  // One measurement for every channel's accepted recommendations: a handful of warehouse reads
  // per digest instead of per channel. Measured through D: asOf is the end of D.
  const accepted = loaded.flatMap((l) => l.recs.accepted);
  const measured =
    accepted.length === 0
      ? []
      : await measureRealizedSavings(
          { warehouse: deps.warehouse, pricing: deps.pricing },
          { events: accepted, asOf: new Date((d + 1) * msPerDay) },
        );
  const measuredById = new Map(measured.map((m) => [m.recommendationId, m]));

  const posted: DigestPosted[] = [];
  for (const { channel, recs } of loaded) {
    try {
      const digest: ChannelDigest = {
        ...spendDigest({
          channelId: channel.channelId,
          scope: channel.scope,
          note: channel.note,
          day: d,
          facts,
          days,
          pricing: deps.pricing,
          moversLimit: listLimit,
        }),
        newRecommendations: {
          items: recs.fresh.slice(0, listLimit),
          total: recs.fresh.length,
          since: recs.since,
          until: recs.until,
        },
        openSavings: recs.openSavings,
        snoozesEnding: { items: recs.snoozes.slice(0, listLimit), until: recs.snoozeHorizon },
        realized: realizedPart(recs.accepted, measuredById, listLimit),
      };
      if (nothingToReport(digest)) {
        posted.push({ channel: channel.channelId, status: 'nothing_to_report', ts: null, digest });
        continue;
      }
      const result = await post(
        digestPostKey(channel.channelId, day),
        channel.channelId,
        deps.render(digest),
      );
      posted.push({
        channel: channel.channelId,
        status: result.posted === false ? 'already_posted' : 'posted',
        ts: result.ts,
        digest,
      });
    } catch (error) {
      failures.push({ channel: channel.channelId, error });
    }
  }
  if (failures.length > 0) {
    // An error that is not ours is not known to be permanent: let the tick come again.
    const retryable = failures.some((f) => !isAppError(f.error) || f.error.retryable);
    const detail = failures
      .map((f) => `${f.channel}: ${isAppError(f.error) ? f.error.code : 'error'}`)
      .join(', ');
    throw new AppError(
      'digest.post_failed',
      `digest for ${day}: ${failures.length} of ${deps.channels.length} channel(s) failed (${detail}); ${posted.filter((p) => p.status !== 'nothing_to_report').length} posted`,
      {
        cause: failures.map((f) => ({ channel: f.channel, error: f.error })),
        retryable,
        userMessage: `bqcost could not post the daily digest to ${failures.length} channel(s).`,
      },
    );
  }
  return posted;
}

interface ChannelRecommendations {
  since: Date;
  until: Date;
  /** New and still open, largest saving first. */
  fresh: DigestRecommendation[];
  openSavings: ChannelDigest['openSavings'];
  snoozes: SnoozeEnding[];
  snoozeHorizon: Date;
  accepted: AcceptedRecommendation[];
}

async function loadRecommendations(
  deps: SendDigestDeps,
  channel: DigestChannel,
  d: number,
  now: Date,
  storeLimit: number,
): Promise<ChannelRecommendations> {
  const since = new Date(d * msPerDay + newRecommendationsCutoffHourUtc * 3_600_000);
  const until = new Date(since.getTime() + msPerDay);
  const filter = {
    channelId: channel.channelId,
    ...(channel.teamId === undefined ? {} : { teamId: channel.teamId }),
  };
  const [all, fresh] = await Promise.all([
    deps.store.list({ ...filter, limit: storeLimit }),
    deps.store.list({ ...filter, firstFoundSince: since, limit: storeLimit }),
  ]);
  const ids = [...new Set([...all, ...fresh].map((e) => e.recommendation.id))];
  const events = ids.length === 0 ? [] : await deps.ledger.eventsFor(ids);
  const eventsById = new Map<string, RecommendationEvent[]>();
  for (const event of events) {
    const list = eventsById.get(event.recommendationId) ?? [];
    list.push(event);
    eventsById.set(event.recommendationId, list);
  }
  const stateOf = (id: string) => deriveState(eventsById.get(id) ?? [], now);

  const newOpen = fresh.filter(
    (e) =>
      e.firstFoundAt !== undefined &&
      e.firstFoundAt.getTime() < until.getTime() &&
      stateOf(e.recommendation.id).state === 'open',
  );

  let count = 0;
  let knownMonthlyUsd = 0;
  let unknownCount = 0;
  const snoozes: SnoozeEnding[] = [];
  const accepted: AcceptedRecommendation[] = [];
  const horizon = new Date(now.getTime() + snoozeHorizonHours * 3_600_000);
  for (const entry of all) {
    const rec = entry.recommendation;
    const state = stateOf(rec.id);
    if (state.state === 'open') {
      count += 1;
      if (rec.monthlySavingsUsd === null) unknownCount += 1;
      else knownMonthlyUsd += rec.monthlySavingsUsd;
    } else if (state.state === 'snoozed' && state.snoozeUntil !== null) {
      if (state.snoozeUntil.getTime() <= horizon.getTime())
        snoozes.push({ ...line(entry), snoozeUntil: state.snoozeUntil });
    } else if (state.state === 'accepted' || state.state === 'verified') {
      const acceptedAt = lastAcceptance(eventsById.get(rec.id) ?? [], state.since);
      if (acceptedAt)
        accepted.push({
          recommendationId: rec.id,
          kind: rec.kind,
          target: rec.target,
          acceptedAt,
          estimatedMonthlySavingsUsd: rec.monthlySavingsUsd,
        });
    }
  }
  snoozes.sort((a, b) => a.snoozeUntil.getTime() - b.snoozeUntil.getTime() || cmp(a.id, b.id));
  return {
    since,
    until,
    fresh: newOpen.map(line),
    openSavings: { count, knownMonthlyUsd, unknownCount, truncated: all.length >= storeLimit },
    snoozes,
    snoozeHorizon: horizon,
    accepted,
  };
}

const statusOrder = { saved: 0, not_saved: 1, too_early: 2, unknown: 3 } as const;

function realizedPart(
  accepted: readonly AcceptedRecommendation[],
  measured: ReadonlyMap<string, RealizedSaving>,
  listLimit: number,
): ChannelDigest['realized'] {
  const lines: RealizedLine[] = accepted.flatMap((a) => {
    const m = measured.get(a.recommendationId);
    return m === undefined
      ? []
      : [
          {
            id: a.recommendationId,
            kind: a.kind,
            target: a.target,
            status: m.status,
            realizedMonthlyUsd: m.realizedMonthlyUsd,
            estimatedMonthlySavingsUsd: m.estimatedMonthlySavingsUsd,
          },
        ];
  });
  const counts = { saved: 0, not_saved: 0, too_early: 0, unknown: 0 };
  let savedMonthlyUsd = 0;
  for (const r of lines) {
    counts[r.status] += 1;
    if (r.status === 'saved' && r.realizedMonthlyUsd !== null)
      savedMonthlyUsd += r.realizedMonthlyUsd;
  }
  lines.sort(
    (a, b) =>
      statusOrder[a.status] - statusOrder[b.status] ||
      (b.realizedMonthlyUsd ?? -Infinity) - (a.realizedMonthlyUsd ?? -Infinity) ||
      cmp(a.id, b.id),
  );
  return { savedMonthlyUsd, counts, items: lines.slice(0, listLimit) };
}

function nothingToReport(d: ChannelDigest): boolean {
  const realized = d.realized.counts;
  return (
    d.spend === null &&
    d.newRecommendations.total === 0 &&
    d.openSavings.count === 0 &&
    d.snoozesEnding.items.length === 0 &&
    realized.saved + realized.not_saved + realized.too_early + realized.unknown === 0
  );
}

function line(entry: StoredRecommendation): DigestRecommendation {
  const r = entry.recommendation;
  return {
    id: r.id,
    kind: r.kind,
    target: r.target,
    summary: r.summary,
    monthlySavingsUsd: r.monthlySavingsUsd,
  };
}

/** The latest acceptance at or before the state began (a verified card began later). */
function lastAcceptance(events: readonly RecommendationEvent[], since: Date | null): Date | null {
  let at: Date | null = null;
  for (const e of events) {
    if (e.action !== 'accepted') continue;
    if (since !== null && e.occurredAt.getTime() > since.getTime()) continue;
    if (at === null || e.occurredAt.getTime() > at.getTime()) at = e.occurredAt;
  }
  return at;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
