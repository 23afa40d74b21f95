import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import {
  ownedRecommendations,
  type CostQuery,
  type QueryAnswer,
} from '../../src/app/answer-query.js';
import type { Chat } from '../../src/ports/chat.js';
import type { AckLedger } from '../../src/ports/ledger.js';
import type { RecommendationStore } from '../../src/ports/recommendations.js';
import { appHomeView, type RecsPart, type SpendPart } from '../blocks/app-home.js';

// app_home_opened → views.publish of the viewer's tab. With processBeforeResponse the listener
// must finish inside Slack's 3 s: the spend (an analysis over the warehouse) gets a budget; when it
// is slower the tab is published without it and published again once it is ready (the embedded
// server keeps running after the response; on Cloud Functions the second publish belongs to a
// worker). The recommendation lists come from the store and the ledger, both fast.

export interface AppHomeDeps {
  chat: Chat;
  answer: (query: CostQuery) => Promise<QueryAnswer>;
  /** Absent: the tab says recommendation cards are not set up. */
  recommendations?: { store: RecommendationStore; ledger: AckLedger };
  clock: { now(): Date };
  onError: (error: unknown) => void;
  /** How long the first publish waits for the spend; default 1500 ms. */
  spendBudgetMs?: number;
}

type HomeArgs = SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs;

export function appHomeOpened(deps: AppHomeDeps) {
  return async ({ event, body }: HomeArgs): Promise<void> => {
    if (event.tab !== undefined && event.tab !== 'home') return;
    const userId = event.user;
    const teamId = body.team_id;
    const spend = spendOf(deps, userId);
    const [first, recs] = await Promise.all([
      within(spend, deps.spendBudgetMs ?? 1500),
      recsOf(deps, userId, teamId),
    ]);
    // A failed publish throws: the delivery is not marked done, and Slack retries it.
    await deps.chat.publishHomeView(
      userId,
      appHomeView({ spend: first, recs, now: deps.clock.now() }),
    );
    if (first.status === 'pending') {
      void spend
        .then((late) =>
          deps.chat.publishHomeView(
            userId,
            appHomeView({ spend: late, recs, now: deps.clock.now() }),
          ),
        )
        .catch((error: unknown) => deps.onError(error));
    }
  };
}

async function spendOf(deps: AppHomeDeps, userId: string): Promise<SpendPart> {
  try {
    const email = await deps.chat.userEmail(userId);
    if (email === null) return { status: 'no_email' };
    const answer = await deps.answer({ kind: 'me', email, period: '30d' });
    return answer.kind === 'me' ? { status: 'ok', answer } : { status: 'failed' };
  } catch (error) {
    deps.onError(error);
    return { status: 'failed' };
  }
}

async function within(spend: Promise<SpendPart>, budgetMs: number): Promise<SpendPart> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<SpendPart>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'pending' }), budgetMs);
  });
  try {
    return await Promise.race([spend, pending]);
  } finally {
    clearTimeout(timer);
  }
}

async function recsOf(deps: AppHomeDeps, userId: string, teamId: string): Promise<RecsPart> {
  if (!deps.recommendations) return { status: 'unavailable' };
  try {
    const owned = await ownedRecommendations(
      { recommendations: deps.recommendations.store, ledger: deps.recommendations.ledger },
      { ownerSlackId: userId, teamId },
      deps.clock.now(),
    );
    return { status: 'ok', owned };
  } catch (error) {
    deps.onError(error);
    return { status: 'failed' };
  }
}
