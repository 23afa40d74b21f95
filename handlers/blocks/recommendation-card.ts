import type { Recommendation } from '../../src/domain/analysis.js';
import {
  allowedTransition,
  type RecommendationAction,
  type RecommendationState,
} from '../../src/domain/ledger.js';
import { recommendationCardActions } from '../../src/slack-ids.js';
import { escapeMrkdwn, truncate, usd, type Block } from '../blocks.js';

// One card per recommendation: what, why (method and priced lines), the fix, owner, and the
// buttons its current state allows. Button values carry only the recommendation id (Slack caps a
// value at 2000 characters, and the listener reloads the recommendation by id and checks it
// belongs to the request's team anyway). Action ids live in src/slack-ids.ts.

export { recommendationCardActions };

const maxButtonValueChars = 2000;
const maxSectionChars = 3000;
const slackUserId = /^[UW][A-Z0-9]+$/;

export interface RecommendationCardInput {
  recommendation: Recommendation;
  /** Slack user ids of the target's owners (owner routing); empty when nobody is mapped. */
  ownerSlackIds: readonly string[];
  /** Derived from the ledger; absent or `open` before anyone acted. */
  state?: RecommendationState;
}

interface CostLineLike {
  label: string;
  quantity: number | null;
  unit: string;
  unitPriceUsd: number;
  usd: number | null;
}

export function recommendationCard(input: RecommendationCardInput): Block[] {
  const { recommendation: rec, state } = input;
  if (rec.id.length > maxButtonValueChars) {
    throw new Error(`recommendation id longer than ${maxButtonValueChars} characters`);
  }
  const blocks: Block[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: truncate(`${kindLabel(rec.kind)}: ${rec.target}`, 150) },
    },
    section(
      `*What:* ${escapeMrkdwn(rec.summary)}\n` +
        `*Saving:* ${usd(rec.monthlySavingsUsd)} per month · *Confidence:* ${rec.confidence}`,
    ),
  ];

  const why = whyText(rec.evidence);
  if (why) blocks.push(section(why));
  const fix = fixText(rec.fix);
  if (fix) blocks.push(section(fix));

  const owners = input.ownerSlackIds.filter((id) => slackUserId.test(id));
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `Owner: ${owners.length ? owners.map((id) => `<@${id}>`).join(', ') : 'unassigned'} · \`${escapeMrkdwn(rec.id)}\``,
      },
    ],
  });

  if (state && state.state !== 'open') {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: stateLine(state) }] });
  }
  const buttons = buttonsFor(rec.id, state?.state ?? 'open');
  if (buttons.length) blocks.push({ type: 'actions', elements: buttons });
  return blocks;
}

function buttonsFor(id: string, current: RecommendationState['state']): Block[] {
  const specs: [RecommendationAction, string, string, string | null][] = [
    ['accepted', recommendationCardActions.accept, 'Accept', 'primary'],
    ['snoozed', recommendationCardActions.snooze, 'Snooze', null],
    ['dismissed', recommendationCardActions.dismiss, 'Dismiss', 'danger'],
  ];
  return specs
    .filter(([action]) => allowedTransition(current, action))
    .map(([, actionId, label, style]) => ({
      type: 'button',
      action_id: actionId,
      text: { type: 'plain_text', text: label },
      value: id,
      ...(style ? { style } : {}),
    }));
}

function stateLine(state: RecommendationState): string {
  const by = state.by && slackUserId.test(state.by) ? ` by <@${state.by}>` : '';
  const when = state.since ? ` ${slackDate(state.since)}` : '';
  switch (state.state) {
    case 'accepted':
      return `:white_check_mark: Accepted${by}${when}`;
    case 'snoozed':
      return `:zzz: Snoozed${by}${when}${state.snoozeUntil ? ` until ${slackDate(state.snoozeUntil)}` : ''}${reasonText(state)}`;
    case 'dismissed':
      return `:no_entry_sign: Dismissed${by}${when}${reasonText(state)}`;
    case 'verified':
      return `:moneybag: Saving verified${when}`;
    default:
      return `Open${when}`;
  }
}

const reasonLabels = {
  not_worth_it: 'not worth it',
  false_positive: 'false positive',
  done_elsewhere: 'done elsewhere',
} as const;

function reasonText(state: RecommendationState): string {
  if (!state.reason) return '';
  const parts = [
    state.reason.code ? reasonLabels[state.reason.code] : null,
    state.reason.text ? `“${escapeMrkdwn(truncate(state.reason.text, 300))}”` : null,
  ].filter((p): p is string => p !== null);
  return parts.length ? ` — ${parts.join(': ')}` : '';
}

/** Slack renders the date in the reader's time zone; the fallback is UTC. */
function slackDate(date: Date): string {
  const seconds = Math.floor(date.getTime() / 1000);
  const fallback = `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${seconds}^{date_short_pretty} {time}|${fallback}>`;
}

function whyText(evidence: unknown): string | null {
  if (typeof evidence !== 'object' || evidence === null) return null;
  const e = evidence as { method?: unknown; costLines?: unknown };
  const lines: string[] = [];
  if (typeof e.method === 'string') lines.push(`*Why / method:* ${escapeMrkdwn(e.method)}`);
  if (Array.isArray(e.costLines)) {
    for (const line of e.costLines as CostLineLike[]) {
      const quantity = line.quantity === null ? 'unknown' : formatNumber(line.quantity);
      lines.push(
        `• ${escapeMrkdwn(line.label)}: ${quantity} ${escapeMrkdwn(line.unit)} × ${usd(line.unitPriceUsd)} = ${usd(line.usd)}`,
      );
    }
  }
  return lines.length ? lines.join('\n') : null;
}

function fixText(fix: unknown): string | null {
  if (typeof fix !== 'object' || fix === null) return null;
  const f = fix as { summary?: unknown; sql?: unknown };
  const head = typeof f.summary === 'string' ? `*Fix:* ${escapeMrkdwn(f.summary)}` : '*Fix:*';
  if (typeof f.sql !== 'string' || f.sql.trim() === '') {
    return typeof f.summary === 'string' ? head : null;
  }
  // A ``` inside the SQL would close the code block early.
  const sql = escapeMrkdwn(f.sql).replaceAll('```', '`\u200b``');
  const open = '\n```\n';
  const close = '\n```';
  const room = maxSectionChars - head.length - open.length - close.length;
  return `${head}${open}${truncate(sql, room)}${close}`;
}

function section(text: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, maxSectionChars) } };
}

function formatNumber(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

function kindLabel(kind: Recommendation['kind']): string {
  const label = kind.replace(/_/g, ' ');
  return label.charAt(0).toUpperCase() + label.slice(1);
}
