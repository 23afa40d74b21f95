import { isAppError } from '../../src/errors.js';
import type { DedupeStore } from '../../src/ports/dedupe.js';

// Slack retries an Events API delivery (X-Slack-Retry-Num, up to 3 times) when it got no 2xx in
// 3 s. Each event_id is handled once: the key is marked only after the work succeeded, so when the
// first delivery failed the retry — then the only copy — is processed. A retryable failure answers
// HTTP 500 (the app's error handler rethrows EventNotProcessed) so that Slack does retry; a
// permanent one is answered 200 and reported, since retrying cannot help. A retry that arrives
// while the first delivery is still running is processed too: listeners here are idempotent
// (views.publish replaces the tab), and a lock would not survive the process either.

export class EventNotProcessed extends Error {
  readonly code = 'slack.event_not_processed';

  constructor(
    readonly eventId: string | null,
    cause: unknown,
  ) {
    super(`event ${eventId ?? '(no id)'} not processed; Slack will retry`, { cause });
    this.name = 'EventNotProcessed';
  }
}

export function isEventNotProcessed(error: unknown): error is EventNotProcessed {
  return error instanceof EventNotProcessed;
}

export interface OnceDeps {
  dedupe: DedupeStore;
  clock: { now(): Date };
  onError: (error: unknown) => void;
}

export function oncePerEvent<A extends { body: { event_id?: string } }>(
  deps: OnceDeps,
  listener: (args: A) => Promise<void>,
): (args: A) => Promise<void> {
  return async (args) => {
    const eventId = typeof args.body.event_id === 'string' ? args.body.event_id : null;
    if (eventId !== null) {
      let seen = false;
      try {
        seen = await deps.dedupe.seen(eventId);
      } catch (error) {
        // Unknown: process it. A repeat of idempotent work beats losing the only copy.
        deps.onError(error);
      }
      if (seen) return;
    }
    try {
      await listener(args);
    } catch (error) {
      deps.onError(error);
      if (isAppError(error) && !error.retryable) return;
      throw new EventNotProcessed(eventId, error);
    }
    if (eventId === null) return;
    try {
      await deps.dedupe.mark(eventId, 'slack_event', deps.clock.now());
    } catch (error) {
      // The work is done; at worst a retry repeats it.
      deps.onError(error);
    }
  };
}
