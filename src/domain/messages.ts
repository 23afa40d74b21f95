import { z } from 'zod';
import { recommendationKinds } from './analysis.js';
import { topics, type TopicId } from './topology.js';

// Message contracts, one versioned schema per topic. A message is decoded from its CloudEvent
// envelope once, at the edge (src/adapters/pubsub), into one of these. Every message carries our
// own idempotency key: a publisher retry makes a second Pub/Sub message with a new message id,
// so the Pub/Sub id cannot be the dedupe key.

/** Older messages are logged and acknowledged, never retried forever. */
export const maxMessageAgeMs = 24 * 60 * 60 * 1000;

const envelope = {
  /** Our idempotency key: the same intent published twice carries the same key. */
  key: z.string().min(1).max(256),
  publishedAt: z.iso.datetime(),
};

export const analysisRequestSchema = z.object({
  v: z.literal(1),
  type: z.literal('analysis.request'),
  ...envelope,
  /** `org` or `project:<id>`. */
  scope: z.string().regex(/^(org|project:[a-z][a-z0-9-]{4,28}[a-z0-9])$/),
  windowEnd: z.iso.datetime(),
  windowDays: z.number().int().min(1).max(180),
});
export type AnalysisRequest = z.infer<typeof analysisRequestSchema>;

export const notificationSchema = z.object({
  v: z.literal(1),
  type: z.literal('notification.cards'),
  ...envelope,
  /** The run whose new or changed recommendations should be posted. */
  runId: z.string().min(1),
  recommendationIds: z.array(z.string().min(1)).max(1000),
});
export type NotificationMessage = z.infer<typeof notificationSchema>;

// A /bqcost answer that did not fit Slack's 3 s: the Slack function (where nothing runs after the
// response) hands the question to the notifier, which answers through the command's
// response_url. The query mirrors the use case's CostQuery (src/app/answer-query.ts).
const periodSchema = z.enum(['7d', '30d', 'mtd']);
export const costQuerySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('summary'), period: periodSchema }),
  z.object({
    kind: z.literal('top'),
    dimension: z.enum(['users', 'projects', 'labels', 'queries', 'tables']),
    period: periodSchema,
  }),
  z.object({
    kind: z.literal('recs'),
    recKind: z.enum(recommendationKinds).nullable(),
    owner: z.object({ slackId: z.string().min(1), teamId: z.string().min(1) }).optional(),
  }),
  z.object({ kind: z.literal('anomalies') }),
  z.object({ kind: z.literal('rec'), id: z.string().min(1).max(200) }),
  z.object({ kind: z.literal('table'), table: z.string().min(1).max(1100) }),
  z.object({ kind: z.literal('check'), sql: z.string().min(1).max(100_000) }),
  z.object({ kind: z.literal('query'), ref: z.string().min(1).max(1100) }),
  z.object({ kind: z.literal('me'), email: z.string().min(3), period: periodSchema }),
]);

export const commandAnswerSchema = z.object({
  v: z.literal(1),
  type: z.literal('command.answer'),
  ...envelope,
  query: costQuerySchema,
  /** Where the answer goes (valid 30 minutes); only Slack's hooks host is accepted. */
  responseUrl: z.url().startsWith('https://hooks.slack.com/'),
});
export type CommandAnswerMessage = z.infer<typeof commandAnswerSchema>;

export const notifierMessageSchema = z.discriminatedUnion('type', [
  notificationSchema,
  commandAnswerSchema,
]);
export type NotifierMessage = z.infer<typeof notifierMessageSchema>;

export const digestTickSchema = z.object({
  v: z.literal(1),
  type: z.literal('digest.tick'),
  ...envelope,
  /** The day the digest is about (yesterday, UTC, when the scheduler fires). */
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});
export type DigestTick = z.infer<typeof digestTickSchema>;

export const anomalyAlertSchema = z.object({
  v: z.literal(1),
  type: z.literal('escalation.alert'),
  ...envelope,
  anomalyId: z.string().min(1),
});
export const escalationTickSchema = z.object({
  v: z.literal(1),
  type: z.literal('escalation.tick'),
  ...envelope,
});
export const escalationMessageSchema = z.discriminatedUnion('type', [
  anomalyAlertSchema,
  escalationTickSchema,
]);
export type EscalationMessage = z.infer<typeof escalationMessageSchema>;

export const topicSchemas = {
  [topics.analysisRequests]: analysisRequestSchema,
  [topics.notifications]: notifierMessageSchema,
  [topics.digestTicks]: digestTickSchema,
  [topics.escalation]: escalationMessageSchema,
} as const satisfies Record<TopicId, z.ZodType>;

export type TopicMessage<T extends TopicId> = z.infer<(typeof topicSchemas)[T]>;

/**
 * Cloud Scheduler publishes a fixed body (`{ v, type, … }`) with the attribute
 * `schedule=<job name>`: it cannot say which run it is. The run is named by the publish time,
 * here: `key` = job + publish minute (a scheduler retry of the same minute dedupes; the next
 * minute's tick is a new one), `publishedAt` = publish time, a digest's `day` = the UTC day
 * before, an analysis's `windowEnd` = the start of the UTC day. Fields the body has are kept.
 * Anything but an object from a schedule is returned unchanged (and fails validation).
 */
export function completeScheduledMessage(
  json: unknown,
  schedule: string | undefined,
  publishTime: Date,
): unknown {
  if (schedule === undefined || json === null || typeof json !== 'object' || Array.isArray(json)) {
    return json;
  }
  const body = json as Record<string, unknown>;
  const minute = new Date(Math.floor(publishTime.getTime() / 60_000) * 60_000);
  const dayStart = new Date(Math.floor(publishTime.getTime() / 86_400_000) * 86_400_000);
  const filled: Record<string, unknown> = {
    key: `schedule:${schedule}:${minute.toISOString()}`,
    publishedAt: publishTime.toISOString(),
  };
  if (body.type === 'digest.tick') {
    filled.day = new Date(dayStart.getTime() - 86_400_000).toISOString().slice(0, 10);
  }
  if (body.type === 'analysis.request') filled.windowEnd = dayStart.toISOString();
  return { ...filled, ...body };
}
