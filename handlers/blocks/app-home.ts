import type { MeAnswer, OwnedRecommendation } from '../../src/app/answer-query.js';
import { homeView } from '../../src/slack-ids.js';
import {
  capBlocks,
  context,
  divider,
  escapeMrkdwn,
  header,
  maxViewBlocks,
  section,
  usd,
  type Block,
} from '../blocks.js';

// The App Home tab: the viewer's own spend, their open recommendations and their snoozes. A part
// that could not be loaded says so; the rest still shows.

export type SpendPart =
  | { status: 'ok'; answer: MeAnswer }
  | { status: 'no_email' }
  | { status: 'pending' }
  | { status: 'failed' };

export type RecsPart =
  { status: 'ok'; owned: OwnedRecommendation[] } | { status: 'unavailable' } | { status: 'failed' };

export interface HomeContent {
  spend: SpendPart;
  recs: RecsPart;
  now: Date;
}

/** Recommendations listed per section; the rest is counted (and `/bqcost recs mine` has them). */
export const homeListLimit = 40;

const day = (d: Date) => d.toISOString().slice(0, 10);

export function appHomeView(content: HomeContent): Record<string, unknown> {
  const blocks: Block[] = [
    header('bqcost: your BigQuery costs'),
    context(`Updated ${content.now.toISOString().slice(0, 16).replace('T', ' ')} UTC`),
    ...spendBlocks(content.spend),
    divider(),
    ...recsBlocks(content.recs),
    divider(),
    context('Ask more with `/bqcost help` in any channel bqcost is in.'),
  ];
  return {
    type: 'home',
    callback_id: homeView.callbackId,
    blocks: capBlocks(blocks, maxViewBlocks),
  };
}

function spendBlocks(spend: SpendPart): Block[] {
  const title = '*Your spend, last 30 days*';
  switch (spend.status) {
    case 'no_email':
      return [
        section(
          `${title}\nSlack has no email for you, so your BigQuery jobs (attributed by email) cannot be matched to you.`,
        ),
      ];
    case 'pending':
      return [section(`${title}\nStill computing… reopen this tab in a moment.`)];
    case 'failed':
      return [section(`${title}\nYour spend could not be computed just now.`)];
    case 'ok': {
      const a = spend.answer;
      const who = escapeMrkdwn(a.email);
      if (a.row === null)
        return [section(`${title}\nNo billed jobs ran as ${who} in this period.`)];
      const mine = a.row.onDemandUsd + a.row.capacityUsd;
      const share =
        a.totalUsd > 0 ? ` (${((mine / a.totalUsd) * 100).toFixed(1)}% of ${usd(a.totalUsd)})` : '';
      return [
        section(
          [
            title,
            `*${who}:* ${usd(mine)}${share}`,
            `On-demand ${usd(a.row.onDemandUsd)} · capacity ${usd(a.row.capacityUsd)} · ${a.row.jobs.toLocaleString('en-US')} jobs · rank ${a.rank} of ${a.users} users`,
          ].join('\n'),
        ),
        context(`${day(a.window.start)} – ${day(new Date(a.window.end.getTime() - 1))} (UTC)`),
      ];
    }
  }
}

function recLine(o: OwnedRecommendation): string {
  const r = o.stored.recommendation;
  const channel = /^[CG][A-Z0-9]+$/.test(o.stored.channelId)
    ? ` · card in <#${o.stored.channelId}>`
    : '';
  return `*${escapeMrkdwn(r.summary)}*\n${escapeMrkdwn(r.kind)} · \`${escapeMrkdwn(r.target)}\` · saves ${usd(r.monthlySavingsUsd)} per month${channel}`;
}

function listed(
  title: string,
  items: OwnedRecommendation[],
  line: (o: OwnedRecommendation) => string,
  none: string,
): Block[] {
  if (items.length === 0) return [section(`*${title} (0)*\n${none}`)];
  const blocks = [section(`*${title} (${items.length})*`)];
  for (const o of items.slice(0, homeListLimit)) blocks.push(section(line(o)));
  if (items.length > homeListLimit)
    blocks.push(context(`…and ${items.length - homeListLimit} more: \`/bqcost recs mine\``));
  return blocks;
}

function recsBlocks(recs: RecsPart): Block[] {
  if (recs.status === 'unavailable')
    return [section('*Your recommendations*\nRecommendation cards are not set up here.')];
  if (recs.status === 'failed')
    return [section('*Your recommendations*\nYour recommendations could not be loaded just now.')];
  const open = recs.owned.filter((o) => o.state.state === 'open');
  const snoozed = recs.owned.filter((o) => o.state.state === 'snoozed');
  return [
    ...listed('Your open recommendations', open, recLine, 'Nothing open that you own.'),
    divider(),
    ...listed(
      'Your snoozes',
      snoozed,
      (o) =>
        `${recLine(o)}\nSnoozed until ${o.state.snoozeUntil ? day(o.state.snoozeUntil) : 'unknown'}${o.state.reason?.text ? `: ${escapeMrkdwn(o.state.reason.text)}` : ''}`,
      'No snoozed recommendations.',
    ),
  ];
}
