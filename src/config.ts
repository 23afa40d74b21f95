import { z } from 'zod';
import { alertSeverities } from './domain/alerts.js';
import { defaultChangeThreshold, defaultWakeThreshold } from './domain/snooze-wake.js';
import { badInput } from './errors.js';

// The only reader of process.env. Every setting is validated once, at start.

/** A number ≥ 0 written plainly (0.5, 100): an empty value or "50%" is an error, not 0. */
const nonNegative = (fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+(?:\.\d+)?$/, 'a number ≥ 0 such as ' + String(fallback))
    .transform(Number)
    .default(fallback);

const envSchema = z.object({
  BQCOST_DB: z.string().min(1).default('.bqcost/bqcost.duckdb'),
  BQCOST_REGION: z
    .string()
    .regex(/^[a-z]+(?:-[a-z]+[0-9]*)?$/, 'a BigQuery location such as us, eu or europe-west2')
    .default('us'),
  BQCOST_PRICING_FILE: z.string().min(1).optional(),
  BQCOST_DATA_DIR: z.string().min(1).optional(),
  /** Print stack traces of internal errors. */
  BQCOST_DEBUG: z.string().optional(),
  BQCOST_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
  // Optional here so the CLI runs without Slack; handlers/app.ts refuses to start without them.
  SLACK_SIGNING_SECRET: z.string().optional(),
  SLACK_BOT_TOKEN: z.string().optional(),
  /** App-level token (xapp-…): the local stack talks to Slack over Socket Mode instead of HTTP. */
  SLACK_APP_TOKEN: z.string().optional(),
  /** Owner routing rules (JSON; config/routing.example.json). */
  BQCOST_ROUTING_FILE: z.string().min(1).optional(),
  /** The same rules inline (deployed functions: Terraform passes the file's text); wins over the file. */
  BQCOST_ROUTING_JSON: z.string().min(1).optional(),
  /** Who may act on every card: Slack user ids (U…/W…) and user group ids (S…), comma separated. */
  BQCOST_ADMINS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(z.string().regex(/^[UWS][A-Z0-9]{2,}$/, 'Slack user (U…) or user group (S…) ids')),
    ),
  /** The embedded Slack receiver's HTTP port. */
  BQCOST_SLACK_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  // Anomaly escalation (src/app/escalate.ts): minutes without acknowledgement, from posting,
  // before the on-call channel (N) and PagerDuty (M ≥ N; checked by escalationPolicy).
  BQCOST_ESCALATE_AFTER_MIN: z.coerce.number().int().min(1).max(10080).default(30),
  BQCOST_PAGE_AFTER_MIN: z.coerce.number().int().min(1).max(10080).default(60),
  /** Anomalies below this severity are not alerted. */
  BQCOST_ALERT_MIN_SEVERITY: z.enum(alertSeverities).default('high'),
  /** Unset: no on-call channel stage (an alert goes from the team's channel to PagerDuty). */
  BQCOST_ONCALL_CHANNEL: z
    .string()
    .regex(/^[CG][A-Z0-9]+$/, 'a Slack channel id (C…)')
    .optional(),
  BQCOST_ONCALL_USERGROUP: z
    .string()
    .regex(/^S[A-Z0-9]+$/, 'a Slack user group id (S…)')
    .optional(),
  /** Unset: paging is skipped (and logged). A secret: never logged. */
  PAGERDUTY_ROUTING_KEY: z.string().min(1).optional(),
  // Where the workers' state lives: the embedded DuckDB file, or BigQuery in production.
  BQCOST_WAREHOUSE: z.enum(['duckdb', 'bigquery']).default('duckdb'),
  /** The project bqcost runs in (BigQuery jobs, Pub/Sub topics); Cloud Functions sets it. */
  GOOGLE_CLOUD_PROJECT: z
    .string()
    .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'a Google Cloud project id')
    .optional(),
  /** bqcost's own BigQuery dataset (infra/ creates it). */
  BQCOST_DATASET: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,1024}$/, 'a BigQuery dataset id')
    .default('bqcost'),
  /** The Slack workspace (team id) cards are posted in; checked on every click. */
  SLACK_TEAM_ID: z
    .string()
    .regex(/^[TE][A-Z0-9]+$/, 'a Slack team id (T…)')
    .default('T0LOCAL00'),
  /** Set: the local stack publishes and consumes through the Pub/Sub emulator at host:port. */
  PUBSUB_EMULATOR_HOST: z.string().min(1).optional(),
  // When a card is posted again (src/domain/snooze-wake.ts): a snoozed one wakes early when its
  // monthly saving grew by both the ratio (0.5 = 50 %) and the USD amount since it was snoozed; an
  // open one is re-posted when its saving moved by both since the last run.
  BQCOST_WAKE_GROWTH_RATIO: nonNegative(defaultWakeThreshold.ratio),
  BQCOST_WAKE_GROWTH_USD: nonNegative(defaultWakeThreshold.usd),
  BQCOST_REPOST_CHANGE_RATIO: nonNegative(defaultChangeThreshold.ratio),
  BQCOST_REPOST_CHANGE_USD: nonNegative(defaultChangeThreshold.usd),
});

export type Config = z.infer<typeof envSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw badInput('config.invalid', `invalid configuration: ${problems}`);
  }
  return parsed.data;
}
