// On-call paging (PagerDuty Events API v2 in production).

export interface PageRequest {
  /** One incident per anomaly: the same key triggers, acknowledges and resolves it. */
  dedupKey: string;
  summary: string;
  severity: 'critical' | 'error' | 'warning' | 'info';
  source: string;
  details?: Record<string, unknown>;
}

export interface Pager {
  trigger(page: PageRequest): Promise<void>;
  acknowledge(dedupKey: string): Promise<void>;
  resolve(dedupKey: string): Promise<void>;
}
