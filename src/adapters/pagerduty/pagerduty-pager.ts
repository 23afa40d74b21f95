import { AppError } from '../../errors.js';
import type { PageRequest, Pager } from '../../ports/pager.js';

// PagerDuty Events API v2: one POST per event to /v2/enqueue; 202 means accepted. The dedup_key
// makes trigger idempotent on PagerDuty's side (a second trigger joins the open incident), which
// is what lets the escalation tick act before it records. 429 and 5xx are retried here a few
// times with a short bounded backoff, then surface as retryable (the next tick tries again); 400
// is a malformed event and never retried. The routing key is a secret: it is only ever in the
// request body, never in an error message or a log line.

export const pagerDutyEventsUrl = 'https://events.pagerduty.com/v2/enqueue';

export interface PagerDutyPagerOptions {
  /** Attempts per event; default 3 (the Acknowledge click must finish within Slack's 3 s). */
  maxAttempts?: number;
  /** First backoff, doubled per attempt and capped at maxBackoffMs; default 200. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Per request; default 2000. */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  url?: string;
}

type EventAction = 'trigger' | 'acknowledge' | 'resolve';

export class PagerDutyPager implements Pager {
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly url: string;

  constructor(
    private readonly routingKey: string,
    options: PagerDutyPagerOptions = {},
  ) {
    if (!routingKey.trim()) {
      throw new AppError('config.missing', 'PAGERDUTY_ROUTING_KEY is empty');
    }
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.backoffMs = options.backoffMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.url = options.url ?? pagerDutyEventsUrl;
  }

  trigger(page: PageRequest): Promise<void> {
    return this.send('trigger', page.dedupKey, {
      // PagerDuty caps the summary at 1024 characters.
      summary: page.summary.slice(0, 1024),
      source: page.source,
      severity: page.severity,
      ...(page.details ? { custom_details: page.details } : {}),
    });
  }

  acknowledge(dedupKey: string): Promise<void> {
    return this.send('acknowledge', dedupKey);
  }

  resolve(dedupKey: string): Promise<void> {
    return this.send('resolve', dedupKey);
  }

  private async send(
    action: EventAction,
    dedupKey: string,
    payload?: Record<string, unknown>,
  ): Promise<void> {
    const body = JSON.stringify({
      routing_key: this.routingKey,
      event_action: action,
      dedup_key: dedupKey,
      ...(payload ? { payload } : {}),
    });
    let last = '';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      let status: number;
      let detail: string;
      try {
        const response = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        status = response.status;
        detail = await response.text().catch(() => '');
      } catch (error) {
        // Transport errors (DNS, reset, timeout) are retried like a 5xx. The cause is not
        // attached: a fetch error can carry the request, and the request carries the key.
        status = 0;
        detail = error instanceof Error ? error.name : 'network error';
      }
      if (status === 202) return;
      last = status === 0 ? detail : `HTTP ${status}`;
      if (status >= 400 && status < 500 && status !== 429) {
        throw new AppError(
          'pager.rejected',
          `PagerDuty rejected the ${action} event (${last}): ${safeDetail(detail, this.routingKey)}`,
          { retryable: false, userMessage: 'PagerDuty could not be notified.' },
        );
      }
      if (attempt < this.maxAttempts) {
        await this.sleep(Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 1)));
      }
    }
    throw new AppError(
      'pager.unavailable',
      `PagerDuty did not accept the ${action} event after ${this.maxAttempts} attempt(s) (${last})`,
      { retryable: true, userMessage: 'PagerDuty could not be reached; it will be retried.' },
    );
  }
}

/** PagerDuty's 400 body names the invalid fields; keep it short and never echo the key. */
function safeDetail(detail: string, routingKey: string): string {
  return detail.split(routingKey).join('[redacted]').slice(0, 300);
}
