import type { ChannelDigest, DigestRecommendation, Mover } from '../../src/domain/digest.js';
import type { ChatMessage } from '../../src/ports/chat.js';
import {
  capBlocks,
  context,
  divider,
  escapeMrkdwn,
  header,
  section,
  sparkline,
  truncate,
  usd,
  type Block,
} from '../blocks.js';

// The daily digest as Block Kit: a fixed handful of blocks (well under Slack's 50), each list
// capped upstream and every section cut at 3000 characters. Everything that comes from data
// (scopes, targets, summaries, ids) is escaped for mrkdwn. Unknown amounts read "unknown".

const summaryChars = 140;

/** Inline code: a backtick in the data would end the span early. */
function code(text: string): string {
  return `\`${escapeMrkdwn(truncate(text, 200)).replace(/`/g, "'")}\``;
}

export function digestMessage(digest: ChannelDigest): ChatMessage {
  return { text: fallbackText(digest), blocks: digestBlocks(digest) };
}

export function digestBlocks(d: ChannelDigest): Block[] {
  const blocks: Block[] = [header(`bqcost daily digest · ${d.weekday} ${d.day}`)];
  const spend = d.spend;
  if (spend === null) {
    blocks.push(
      section(`*Spend:* not tracked in this channel — ${escapeMrkdwn(d.scopeNote ?? '')}`),
    );
  } else {
    blocks.push(section(spendText(d.day, spend)));
    if (d.trend.length > 0) blocks.push(section(trendText(d)));
    blocks.push(section(moversText(d.movers, d.day)));
  }
  blocks.push(divider(), section(newText(d)), section(openText(d)));
  if (d.snoozesEnding.items.length > 0) blocks.push(section(snoozesText(d)));
  blocks.push(section(realizedText(d)));
  const about = [`Scope: ${escapeMrkdwn(d.scope)}`];
  if (spend !== null) {
    if (d.scopeNote) about.push(escapeMrkdwn(d.scopeNote));
    about.push(escapeMrkdwn(spend.method));
    about.push(`expected = ${escapeMrkdwn(spend.expected.description)}`);
  }
  blocks.push(context(about.join(' · ')));
  return capBlocks(blocks);
}

function fallbackText(d: ChannelDigest): string {
  const open = `${d.openSavings.count} open recommendation(s)`;
  if (d.spend === null) return `bqcost digest for ${d.day}: ${open}`;
  const expected = d.spend.expected.usd === null ? '' : ` (expected ${usd(d.spend.expected.usd)})`;
  return `bqcost digest for ${d.day}: ${usd(d.spend.usd)} spent${expected}; ${open}`;
}

function signedUsd(value: number): string {
  return value < 0 ? `−${usd(-value)}` : `+${usd(value)}`;
}

function spendText(day: string, spend: NonNullable<ChannelDigest['spend']>): string {
  const { usd: spent, expected, deltaUsd } = spend;
  if (spent === null) {
    return `*Spend on ${day}:* unknown — the cost history does not reach this day yet.`;
  }
  const lines = [`*Spend on ${day}:* ${usd(spent)}`];
  if (expected.usd === null || deltaUsd === null) {
    lines.push(`*Expected:* ${escapeMrkdwn(expected.description)}`);
  } else {
    const pct = expected.usd > 0 ? ` (${signedPct(deltaUsd / expected.usd)})` : '';
    lines.push(
      `*Expected:* ${usd(expected.usd)} — ${escapeMrkdwn(expected.description)} · ${signedUsd(deltaUsd)}${pct}`,
    );
  }
  return lines.join('\n');
}

function signedPct(share: number): string {
  const pct = Math.round(share * 100);
  return pct < 0 ? `−${-pct}%` : `+${pct}%`;
}

function trendText(d: ChannelDigest): string {
  const values = d.trend.map((t) => t.usd);
  const first = d.trend[0]!;
  const last = d.trend[d.trend.length - 1]!;
  return (
    `*Last ${d.trend.length} days* (${first.day} → ${last.day}): \`${sparkline(values)}\`\n` +
    `low ${usd(Math.min(...values))} · high ${usd(Math.max(...values))} · total ${usd(values.reduce((s, v) => s + v, 0))}`
  );
}

function moversText(movers: Mover[] | null, day: string): string {
  const head = `*Top movers* (${day} vs the same weekday a week earlier)`;
  if (movers === null) return `${head}\nNo history for a week earlier yet.`;
  if (movers.length === 0) return `${head}\nNo change.`;
  return [
    head,
    ...movers.map(
      (m) => `• ${code(m.scope)} ${signedUsd(m.deltaUsd)} (${usd(m.previousUsd)} → ${usd(m.usd)})`,
    ),
  ].join('\n');
}

function recLine(r: DigestRecommendation, extra = ''): string {
  return `• ${usd(r.monthlySavingsUsd)}/month · ${escapeMrkdwn(r.kind.replace(/_/g, ' '))} ${code(r.target)}${extra} — ${escapeMrkdwn(truncate(r.summary, summaryChars))}`;
}

function newText(d: ChannelDigest): string {
  const { items, total } = d.newRecommendations;
  const head = `*New recommendations:* ${total}`;
  if (total === 0) return head;
  const more = total > items.length ? [`…and ${total - items.length} more (\`/bqcost recs\`)`] : [];
  return [head, ...items.map((r) => recLine(r)), ...more].join('\n');
}

function openText(d: ChannelDigest): string {
  const o = d.openSavings;
  if (o.count === 0) return '*Open savings:* no open recommendations';
  const known = o.count - o.unknownCount;
  const parts: string[] = [];
  if (known > 0)
    parts.push(
      `${o.truncated ? 'at least ' : ''}${usd(o.knownMonthlyUsd)}/month across ${known} recommendation(s)`,
    );
  if (o.unknownCount > 0)
    parts.push(`${o.unknownCount} recommendation(s) with an unknown saving (not counted as $0)`);
  return `*Open savings:* ${parts.join(' + ')}${o.truncated ? ' (only the first ones were read)' : ''}`;
}

function snoozesText(d: ChannelDigest): string {
  return [
    `*Snoozes ending soon* (before ${d.snoozesEnding.until.toISOString().slice(0, 16).replace('T', ' ')} UTC)`,
    ...d.snoozesEnding.items.map((s) =>
      recLine(s, ` · wakes ${s.snoozeUntil.toISOString().slice(0, 10)}`),
    ),
  ].join('\n');
}

const statusLabels = {
  saved: 'saved',
  not_saved: 'not saved',
  too_early: 'too early to tell',
  unknown: 'cannot be measured',
} as const;

function realizedText(d: ChannelDigest): string {
  const r = d.realized;
  const total = r.counts.saved + r.counts.not_saved + r.counts.too_early + r.counts.unknown;
  if (total === 0) return '*Realized savings:* no accepted recommendations yet';
  const parts = (Object.keys(statusLabels) as (keyof typeof statusLabels)[])
    .filter((s) => r.counts[s] > 0)
    .map((s) => `${r.counts[s]} ${statusLabels[s]}`);
  return [
    `*Realized savings:* ${usd(r.savedMonthlyUsd)}/month measured (${parts.join(', ')})`,
    ...r.items.map((item) => {
      const measured =
        item.realizedMonthlyUsd === null ? '' : `${signedUsd(item.realizedMonthlyUsd)}/month `;
      return `• ${statusLabels[item.status]}: ${measured}(estimated ${usd(item.estimatedMonthlySavingsUsd)}) ${escapeMrkdwn(item.kind.replace(/_/g, ' '))} ${code(item.target)}`;
    }),
  ].join('\n');
}
