import type { JobRow } from '../../src/domain/jobs.js';

// An independent computation of the offline contract's totals and attribution, written as a
// plain loop over parsed rows (no SQL), to check the warehouse path against.

export interface ReferenceRow {
  onDemandUsd: number;
  slotHours: number;
  jobs: number;
}

export interface Reference {
  jobs: number;
  onDemandUsd: number;
  slotHours: number;
  byUser: Map<string, ReferenceRow>;
  byProject: Map<string, ReferenceRow>;
  byLabel: Map<string, ReferenceRow>;
  byQueryPattern: Map<string, ReferenceRow>;
  byTable: Map<string, ReferenceRow>;
}

export function referenceAttribution(
  rows: Iterable<JobRow>,
  start: Date,
  end: Date,
  usdPerTib = 6.25,
): Reference {
  const ref: Reference = {
    jobs: 0,
    onDemandUsd: 0,
    slotHours: 0,
    byUser: new Map(),
    byProject: new Map(),
    byLabel: new Map(),
    byQueryPattern: new Map(),
    byTable: new Map(),
  };
  const add = (map: Map<string, ReferenceRow>, key: string, usd: number, hours: number) => {
    const row = map.get(key) ?? { onDemandUsd: 0, slotHours: 0, jobs: 0 };
    row.onDemandUsd += usd;
    row.slotHours += hours;
    row.jobs += 1;
    map.set(key, row);
  };
  for (const job of rows) {
    const t = job.creation_time.getTime();
    if (t < start.getTime() || t >= end.getTime()) continue;
    if (job.statement_type === 'SCRIPT') continue;
    const reservation =
      job.reservation_id && job.reservation_id !== 'default-pipeline' ? job.reservation_id : null;
    const billable =
      !job.reservation_id &&
      (job.state ?? 'DONE') === 'DONE' &&
      !job.error_result &&
      !job.cache_hit;
    const usd = billable ? ((job.total_bytes_billed ?? 0) / 2 ** 40) * usdPerTib : 0;
    const hours = reservation ? (job.total_slot_ms ?? 0) / 3.6e6 : 0;
    ref.jobs += 1;
    ref.onDemandUsd += usd;
    ref.slotHours += hours;
    add(ref.byUser, job.user_email ?? '(unknown)', usd, hours);
    add(ref.byProject, job.project_id, usd, hours);
    add(
      ref.byQueryPattern,
      job.query_info?.query_hashes?.normalized_literals ?? '(none)',
      usd,
      hours,
    );
    const labels = job.labels ?? [];
    if (labels.length === 0) add(ref.byLabel, '(none)', usd, hours);
    for (const label of labels) add(ref.byLabel, `${label.key}:${label.value ?? ''}`, usd, hours);
    for (const table of job.referenced_tables ?? []) {
      add(
        ref.byTable,
        `${table.project_id ?? job.project_id}.${table.dataset_id}.${table.table_id}`,
        usd,
        hours,
      );
    }
  }
  return ref;
}
