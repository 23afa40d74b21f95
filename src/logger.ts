import pino from 'pino';

// The root logger: one JSON object per line in the shape Cloud Logging's agents parse
// (`severity`, `message`, `time`, `logging.googleapis.com/trace` and `…/labels`), so log-based
// metrics and alert policies can count on its fields.
//
// Secrets: pino's `redact` only removes values at known paths (and its wildcards are depth
// limited); it cannot see a token interpolated into a message or sitting deep in an HTTP client's
// error. So errors go through `serializeError`, which copies an allow-list of fields and drops
// the rest (headers, request config, response bodies), and every finished line passes a scrubber
// that blanks the secret values it was given and anything shaped like a token, a bearer
// credential or a response_url.

export type Logger = pino.Logger;

export interface LogLabels {
  component?: string;
  analyzer?: string;
  topic?: string;
}

/** Counters for log-based metrics: one line carries at most one `metric`. */
export type Metric =
  | 'processed'
  | 'failed'
  | 'dead_lettered'
  | 'escalated'
  | 'slack_rate_limited'
  // Business metrics (infra/modules/monitoring): a card posted, a card accepted, and per digest
  // run one line per recommendation whose saving was measured (`usdPerMonth`).
  | 'recommendation_opened'
  | 'recommendation_accepted'
  | 'savings_realized';

export interface LogDestination {
  write(line: string): unknown;
}

export interface LoggerOptions {
  level?: pino.LevelWithSilent;
  /** Default: stdout. */
  destination?: LogDestination;
  /** Values that must never reach a log line (tokens, signing secret, routing keys). */
  secrets?: readonly (string | undefined)[];
  /** GCP project id, for the trace field's resource name. */
  projectId?: string;
  labels?: LogLabels;
}

export const redacted = '[REDACTED]';
export const labelsKey = 'logging.googleapis.com/labels';
export const traceKey = 'logging.googleapis.com/trace';

const severities: Record<number, string> = {
  10: 'DEBUG',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARNING',
  50: 'ERROR',
  60: 'CRITICAL',
};

// Shapes of secrets we know without being told the value.
const secretPatterns: readonly RegExp[] = [
  // Slack tokens: bot, user, app-level, refresh, config.
  /\bxox[abposre]-[A-Za-z0-9-]+/g,
  /\bxapp-[A-Za-z0-9-]+/g,
  // A response_url can post into the channel for 30 minutes.
  /https:\/\/hooks\.slack\.com\/[^\s"'\\]+/g,
  /\b(?:Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]+/gi,
  /("?(?:authorization|x-slack-signature|signing_?secret|token|routing_key|response_url)"?\s*[:=]\s*"?)([^"\s,}]+)/gi,
];

/** Blanks every given secret value and every token-shaped string in `text`. */
export function scrub(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 6) out = out.split(secret).join(redacted);
  }
  for (const pattern of secretPatterns) {
    out = out.replace(pattern, (match: string, prefix?: string) =>
      typeof prefix === 'string' && match.startsWith(prefix) && prefix !== match
        ? `${prefix}${redacted}`
        : redacted,
    );
  }
  return out;
}

export interface SerializedError {
  type: string;
  message: string;
  code?: string;
  retryable?: boolean;
  statusCode?: number;
  /** Slack's error string (`channel_not_found`), when the Web API gave one. */
  slackError?: string;
  stack?: string;
  cause?: SerializedError;
}

/**
 * An error as a log field: an allow-list of fields (never headers, request options or bodies),
 * the cause chain three deep, the text scrubbed.
 */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) {
    return { type: typeof error, message: scrub(safeString(error)) };
  }
  const e = error as Error & {
    code?: unknown;
    retryable?: unknown;
    statusCode?: unknown;
    data?: { error?: unknown };
  };
  const out: SerializedError = { type: e.name, message: scrub(e.message) };
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = String(e.code);
  if (typeof e.retryable === 'boolean') out.retryable = e.retryable;
  if (typeof e.statusCode === 'number') out.statusCode = e.statusCode;
  if (typeof e.data?.error === 'string') out.slackError = scrub(e.data.error);
  if (e.stack) out.stack = scrub(e.stack);
  if (e.cause !== undefined && depth < 3) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

// Labels and trace of each child logger, merged into every line by the mixin (pino's child
// bindings would repeat the labels key once per level of nesting).
interface Context {
  labels: LogLabels;
  trace?: string;
  projectId?: string;
}
const contexts = new WeakMap<object, Context>();

// pino makes a child with Object.create(parent), so a plain `.child()` finds its parent's here.
function contextOf(instance: object): Context | undefined {
  for (let at: object | null = instance; at !== null; at = Object.getPrototypeOf(at) as object) {
    const context = contexts.get(at);
    if (context) return context;
  }
  return undefined;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = (options.secrets ?? []).filter((s): s is string => typeof s === 'string');
  const target = options.destination ?? pino.destination({ dest: 1, sync: true });
  const stream: LogDestination = { write: (line: string) => target.write(scrub(line, secrets)) };
  const logger = pino(
    {
      level: options.level ?? 'info',
      messageKey: 'message',
      errorKey: 'err',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label, number) => ({ severity: severities[number] ?? label.toUpperCase() }),
      },
      serializers: { err: serializeError, error: serializeError },
      redact: {
        paths: [
          'headers.authorization',
          'headers.cookie',
          'req.headers.authorization',
          'req.headers["x-slack-signature"]',
          'token',
          'botToken',
          'signingSecret',
          'responseUrl',
          'response_url',
          'body.response_url',
        ],
        censor: redacted,
      },
      mixin: (_object, _level, instance) => {
        const context = contextOf(instance);
        if (!context) return {};
        const fields: Record<string, unknown> = {};
        if (Object.keys(context.labels).length > 0) fields[labelsKey] = context.labels;
        if (context.trace) fields[traceKey] = context.trace;
        return fields;
      },
    },
    stream as pino.DestinationStream,
  );
  contexts.set(logger, {
    labels: { ...options.labels },
    ...(options.projectId ? { projectId: options.projectId } : {}),
  });
  return logger;
}

/**
 * A child logger with more labels and, from an `X-Cloud-Trace-Context` or W3C `traceparent`
 * header, the request's trace.
 */
export function withContext(
  logger: Logger,
  context: { labels?: LogLabels; traceHeader?: string | null },
): Logger {
  const parent = contextOf(logger) ?? { labels: {} };
  const child = logger.child({});
  const projectId = parent.projectId;
  const traceId = context.traceHeader ? traceIdFrom(context.traceHeader) : null;
  contexts.set(child, {
    ...parent,
    labels: { ...parent.labels, ...context.labels },
    trace:
      traceId === null
        ? parent.trace
        : projectId
          ? `projects/${projectId}/traces/${traceId}`
          : traceId,
  });
  return child;
}

/** The trace id from `X-Cloud-Trace-Context: TRACE/SPAN;o=1` or `traceparent: 00-TRACE-SPAN-01`. */
export function traceIdFrom(header: string): string | null {
  const w3c = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(header.trim());
  if (w3c) return w3c[1] ?? null;
  const cloud = /^([0-9a-fA-F]{32})(?:\/|$)/.exec(header.trim());
  return cloud?.[1] ? cloud[1].toLowerCase() : null;
}

/** One counter increment as a log line: `metric` is what the log-based metric filters on. */
export function countMetric(
  logger: Logger,
  metric: Metric,
  fields: Record<string, unknown>,
  message: string,
): void {
  const level = metric === 'failed' || metric === 'dead_lettered' ? 'error' : 'info';
  logger[level]({ ...fields, metric }, message);
}
