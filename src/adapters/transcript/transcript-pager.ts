import type { PageRequest, Pager } from '../../ports/pager.js';
import type { TranscriptChat } from './transcript-chat.js';

// The local stand-in for PagerDuty when no routing key is configured: pages are shown in the
// transcript (what would have been sent to the Events API v2), so `npm start` shows the whole
// escalation without an on-call account.

export class TranscriptPager implements Pager {
  constructor(private readonly transcript: TranscriptChat) {}

  trigger(page: PageRequest): Promise<void> {
    this.transcript.note(
      'pagerduty.trigger',
      `PagerDuty (local; set PAGERDUTY_ROUTING_KEY to page for real)`,
      `TRIGGER ${page.severity}: ${page.summary}\ndedup_key ${page.dedupKey} · source ${page.source}`,
    );
    return Promise.resolve();
  }

  acknowledge(dedupKey: string): Promise<void> {
    this.transcript.note('pagerduty.acknowledge', 'PagerDuty (local)', `ACKNOWLEDGE ${dedupKey}`);
    return Promise.resolve();
  }

  resolve(dedupKey: string): Promise<void> {
    this.transcript.note('pagerduty.resolve', 'PagerDuty (local)', `RESOLVE ${dedupKey}`);
    return Promise.resolve();
  }
}
