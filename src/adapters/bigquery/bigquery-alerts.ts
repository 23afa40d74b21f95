import { readFileSync } from 'node:fs';
import { alertEventSchema, type AlertEvent } from '../../domain/alerts.js';
import { alertEventsTable, type TableSpec } from '../../domain/tables.js';
import { AppError } from '../../errors.js';
import type { AlertLog } from '../../ports/alerts.js';
import { ownTable, type BigQueryWarehouse } from './bigquery-warehouse.js';
import { cellString, cellTimestamp } from './cells.js';
import { classifyInsertFailure, insertWithRetries } from './insert-row.js';

// The alert log in BigQuery. Appends are tabledata.insertAll with insertId = the step's key, so
// BigQuery drops a resend within its dedupe window (best effort); readers dedupe on the key as
// well. insertAll cannot say whether the key already existed, so `recorded` is true whenever
// BigQuery accepted the row: the escalation use case re-reads the alert right before each step,
// and the remaining race (two ticks acting at once) is the one described in src/app/escalate.ts.

const sqlDir = new URL('./', import.meta.url);
const readSql = (file: string) => readFileSync(new URL(file, sqlDir), 'utf8');

export interface BigQueryAlertLogOptions {
  /** Alerts posted longer ago than this are no longer climbed; default 7. */
  openDays?: number;
  /** Resends after the first insertAll; default 2. */
  maxRetries?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** CREATE TABLE from the TableSpec (src/domain/tables.ts), partitioned and clustered like infra/. */
export function bigQueryDdl(spec: TableSpec, table: string): string {
  const literal = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const columns = spec.columns.map((c) => {
    const type = c.mode === 'REPEATED' ? `ARRAY<${c.type}>` : c.type;
    const required = c.mode === 'REQUIRED' ? ' NOT NULL' : '';
    return `  ${c.name} ${type}${required} OPTIONS (description = ${literal(c.description)})`;
  });
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (`,
    columns.join(',\n'),
    ')',
    `PARTITION BY DATE(${spec.partitionBy})`,
    ...(spec.clusterBy.length ? [`CLUSTER BY ${spec.clusterBy.join(', ')}`] : []),
    `OPTIONS (description = ${literal(spec.description)})`,
  ].join('\n');
}

export class BigQueryAlertLog implements AlertLog {
  readonly table: string;
  private readonly openDays: number;
  private readonly maxRetries: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly warehouse: BigQueryWarehouse,
    options: BigQueryAlertLogOptions = {},
  ) {
    this.table = ownTable(warehouse.settings, alertEventsTable.name);
    this.openDays = options.openDays ?? 7;
    this.maxRetries = options.maxRetries ?? 2;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async ensureTable(): Promise<void> {
    await this.warehouse.runQuery({
      name: 'ensure-alert-events',
      sql: bigQueryDdl(alertEventsTable, this.table),
    });
  }

  async append(event: AlertEvent): Promise<{ recorded: boolean }> {
    const parsed = alertEventSchema.safeParse(event);
    if (!parsed.success) {
      throw new AppError('alerts.invalid_event', `invalid alert event: ${parsed.error.message}`);
    }
    const row = { insertId: event.idempotencyKey, json: toJson(parsed.data) };
    await insertWithRetries(this.warehouse, alertEventsTable.name, [row], {
      maxRetries: this.maxRetries,
      sleep: this.sleep,
      // Unlike insertRow (dedupe, posted ledger), a rejection whose row reasons are all transient
      // is resent too, and the code names the reason (alerts.insert_rejected, alerts.<reason>).
      classify: classifyInsertFailure,
      toError: (failure) =>
        new AppError(
          `alerts.${failure.reason}`,
          `cannot record ${event.step} of alert ${event.alertId} in ${this.table}: ${failure.reason}`,
          // A summary only: client errors carry the request, Authorization header included.
          { cause: { reason: failure.reason }, retryable: failure.retryable },
        ),
    });
    return { recorded: true };
  }

  async eventsFor(alertIds: readonly string[]): Promise<AlertEvent[]> {
    if (alertIds.length === 0) return [];
    const rows = await this.warehouse.runQuery({
      name: 'alert-events-for',
      sql: this.render('alert-events-for.sql'),
      params: { alert_ids: [...alertIds] },
      types: { alert_ids: ['STRING'] },
    });
    return rows.map(fromRow);
  }

  async openAlertEvents(options: { includeAcknowledged?: boolean } = {}): Promise<AlertEvent[]> {
    const closing = options.includeAcknowledged ? ['resolved'] : ['acknowledged', 'resolved'];
    const rows = await this.warehouse.runQuery({
      name: 'open-alert-events',
      sql: this.render('open-alert-events.sql'),
      params: { open_days: this.openDays, closing_steps: closing },
      types: { open_days: 'INT64', closing_steps: ['STRING'] },
    });
    return rows.map(fromRow);
  }

  private render(file: string): string {
    return readSql(file).replaceAll('{{alert_events}}', this.table);
  }
}

function toJson(event: AlertEvent): Record<string, string | null> {
  return {
    alert_id: event.alertId,
    step: event.step,
    channel_id: event.channelId,
    message_ts: event.messageTs,
    actor_slack_id: event.actorSlackId,
    pagerduty_dedup_key: event.pagerdutyDedupKey,
    idempotency_key: event.idempotencyKey,
    occurred_at: event.occurredAt.toISOString(),
  };
}

function fromRow(row: Record<string, unknown>): AlertEvent {
  const str = (field: string) => cellString(row[field]);
  const parsed = alertEventSchema.safeParse({
    alertId: str('alert_id'),
    step: str('step'),
    channelId: str('channel_id'),
    messageTs: str('message_ts'),
    actorSlackId: str('actor_slack_id'),
    pagerdutyDedupKey: str('pagerduty_dedup_key'),
    idempotencyKey: str('idempotency_key'),
    occurredAt: cellTimestamp(row.occurred_at),
  });
  if (!parsed.success) {
    throw new AppError(
      'alerts.bad_row',
      `alert_events row of ${String(str('alert_id'))} is invalid: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}
