import type { AllMiddlewareArgs, RespondArguments, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type {
  AnomaliesAnswer,
  CostQuery,
  Period,
  QueryAnswer,
  RecsAnswer,
  SummaryAnswer,
  TopAnswer,
  TopDimension,
} from '../../src/app/answer-query.js';
import { periods, topDimensions } from '../../src/app/answer-query.js';
import { recommendationKinds, type RecommendationKind } from '../../src/domain/analysis.js';
import { isAppError } from '../../src/errors.js';
import type { Chat, ChatMessage } from '../../src/ports/chat.js';
import { slashCommands } from '../../src/slack-ids.js';
import {
  capBlocks,
  context,
  divider,
  escapeMrkdwn,
  header,
  section,
  sparkline,
  usd,
  type Block,
} from '../blocks.js';

export interface BqcostCommandDeps {
  answer: (query: CostQuery) => Promise<QueryAnswer>;
  chat: Chat;
  /**
   * How long to wait for the answer before acknowledging with "working on it" and finishing
   * through response_url. Slack gives 3 s for the whole request; default 2000 ms.
   */
  answerBudgetMs?: number;
  onError?: (error: unknown) => void;
}

export type ParsedCommand =
  { kind: 'query'; query: CostQuery } | { kind: 'help'; problem: string | null };

const usage = [
  ['help', 'this list'],
  ['summary [7d|30d|mtd]', 'spend for the period (default 7d)'],
  ['top users|projects|labels|queries|tables [7d|30d|mtd]', 'the costliest ten'],
  ['recs [kind]', `open recommendations, optionally one kind (${recommendationKinds.join(', ')})`],
  ['anomalies', 'days that cost more than expected'],
] as const;

/** Parses the text after `/bqcost`; anything it does not understand becomes help with a hint. */
export function parseBqcost(text: string): ParsedCommand {
  const [sub = '', ...args] = text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const period = (arg: string | undefined): Period | null =>
    arg === undefined
      ? '7d'
      : (periods as readonly string[]).includes(arg)
        ? (arg as Period)
        : null;
  const help = (problem: string): ParsedCommand => ({ kind: 'help', problem });
  switch (sub) {
    case '':
    case 'help':
      return { kind: 'help', problem: null };
    case 'summary': {
      const p = period(args[0]);
      if (p === null || args.length > 1) return help(`\`summary\` takes ${periods.join(', ')}.`);
      return { kind: 'query', query: { kind: 'summary', period: p } };
    }
    case 'top': {
      const dimension = args[0];
      if (dimension === undefined || !Object.hasOwn(topDimensions, dimension))
        return help(`\`top\` needs one of ${Object.keys(topDimensions).join(', ')}.`);
      const p = period(args[1]);
      if (p === null || args.length > 2) return help(`the period is one of ${periods.join(', ')}.`);
      return {
        kind: 'query',
        query: { kind: 'top', dimension: dimension as TopDimension, period: p },
      };
    }
    case 'recs': {
      const kind = args[0];
      if (args.length > 1 || (kind !== undefined && !isKind(kind)))
        return help(`\`recs\` takes one kind: ${recommendationKinds.join(', ')}.`);
      return { kind: 'query', query: { kind: 'recs', recKind: kind ?? null } };
    }
    case 'anomalies':
      if (args.length > 0) return help('`anomalies` takes no arguments.');
      return { kind: 'query', query: { kind: 'anomalies' } };
    default:
      return help('I do not know that subcommand.');
  }
}

function isKind(value: string): value is RecommendationKind {
  return (recommendationKinds as readonly string[]).includes(value);
}

// With processBeforeResponse the HTTP response leaves only when this listener returns, so it must
// finish inside Slack's 3 s. A slow answer is acknowledged with "working on it" and finished
// through response_url in the background — fine for the long-running embedded server. On Cloud
// Functions code after the response gets no CPU: production publishes the query to Pub/Sub and a
// worker answers through response_url (the pipeline issue builds that).
export function bqcostCommand(deps: BqcostCommandDeps) {
  const budgetMs = deps.answerBudgetMs ?? 2000;
  return async ({
    command,
    ack,
  }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const parsed = parseBqcost(command.text ?? '');
    if (parsed.kind === 'help') {
      await ack(ephemeral(helpMessage(parsed.problem, command.text ?? '')));
      return;
    }
    const pending = deps.answer(parsed.query).then(renderAnswer, (error: unknown) => {
      deps.onError?.(error);
      return errorMessage(error);
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), budgetMs);
    });
    const first = await Promise.race([pending, timeout]);
    clearTimeout(timer);
    if (first !== null) {
      await ack(ephemeral(first));
      return;
    }
    await ack(ephemeral({ text: 'Working on it… the answer will appear here shortly.' }));
    void pending
      .then((message) => deps.chat.respond(command.response_url, message))
      .catch((error: unknown) => deps.onError?.(error));
  };
}

export const commandName = slashCommands.bqcost;

function ephemeral(message: ChatMessage): RespondArguments {
  // Block Kit objects are built as plain JSON; Bolt's types describe the same shape.
  return {
    response_type: 'ephemeral',
    text: message.text,
    ...(message.blocks ? { blocks: [...message.blocks] } : {}),
  } as RespondArguments;
}

export function helpMessage(problem: string | null, text: string): ChatMessage {
  const lines = usage.map(([args, what]) => `• \`${commandName} ${args}\` — ${what}`);
  const blocks: Block[] = [];
  if (problem !== null) {
    blocks.push(
      section(`Sorry, I did not understand \`${escapeMrkdwn(truncateArg(text))}\`: ${problem}`),
    );
  }
  blocks.push(section(`*What ${commandName} can answer*\n${lines.join('\n')}`));
  return {
    text: problem === null ? `${commandName} help` : `${commandName}: ${problem}`,
    blocks: capBlocks(blocks),
  };
}

function truncateArg(text: string): string {
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

function errorMessage(error: unknown): ChatMessage {
  const text = isAppError(error)
    ? error.userMessage
    : 'Something went wrong while computing that answer; it has been logged.';
  return { text, blocks: [section(`:warning: ${escapeMrkdwn(text)}`)] };
}

export function renderAnswer(answer: QueryAnswer): ChatMessage {
  switch (answer.kind) {
    case 'summary':
      return renderSummary(answer);
    case 'top':
      return renderTop(answer);
    case 'recs':
      return renderRecs(answer);
    case 'anomalies':
      return renderAnomalies(answer);
  }
}

function windowText(window: { start: Date; end: Date }): string {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const last = new Date(window.end.getTime() - 1);
  return `${day(window.start)} – ${day(last)} (UTC)`;
}

function renderSummary(a: SummaryAnswer): ChatMessage {
  const total = a.onDemandUsd + a.capacityUsd;
  const change =
    a.previousUsd > 0
      ? ` (${total >= a.previousUsd ? '+' : ''}${(((total - a.previousUsd) / a.previousUsd) * 100).toFixed(0)}% vs the previous ${a.period})`
      : '';
  const title = `BigQuery spend, ${a.period}`;
  const blocks = [
    header(title),
    section(
      [
        `*Total:* ${usd(total)}${change}`,
        `*On-demand:* ${usd(a.onDemandUsd)}   *Capacity:* ${usd(a.capacityUsd)}`,
        `*Storage:* ${usd(a.storageUsdPerMonth)} per month   *Jobs:* ${a.jobs.toLocaleString('en-US')}`,
        `*Daily:* \`${sparkline(a.daily.map((d) => d.onDemandUsd + d.capacityUsd))}\``,
      ].join('\n'),
    ),
    context(windowText(a.window)),
  ];
  return { text: `${title}: ${usd(total)}`, blocks: capBlocks(blocks) };
}

function renderTop(a: TopAnswer): ChatMessage {
  const title = `Top ${a.dimension}, ${a.period}`;
  if (a.rows.length === 0)
    return { text: title, blocks: [header(title), section('No spend in this period.')] };
  const lines = a.rows.map(
    (r, i) =>
      `${i + 1}. \`${escapeMrkdwn(r.key || '(none)')}\` — ${usd(r.onDemandUsd + r.capacityUsd)} · ${r.jobs.toLocaleString('en-US')} jobs`,
  );
  const blocks = [header(title), section(lines.join('\n')), context(windowText(a.window))];
  return { text: title, blocks: capBlocks(blocks) };
}

function renderRecs(a: RecsAnswer): ChatMessage {
  const title = a.recKind === null ? 'Recommendations' : `Recommendations: ${a.recKind}`;
  if (a.recommendations.length === 0)
    return { text: `${title} (0)`, blocks: [header(title), section('No open recommendations.')] };
  const blocks: Block[] = [header(title)];
  for (const r of a.recommendations) {
    blocks.push(
      section(
        `*${escapeMrkdwn(r.summary)}*\n${escapeMrkdwn(r.kind)} · \`${escapeMrkdwn(r.target)}\` · saves ${usd(r.monthlySavingsUsd)} per month · ${r.confidence} confidence`,
      ),
    );
  }
  blocks.push(divider(), context(`${a.recommendations.length} of ${a.total} shown, largest first`));
  return { text: `${title} (${a.total})`, blocks: capBlocks(blocks) };
}

function renderAnomalies(a: AnomaliesAnswer): ChatMessage {
  const title = 'Cost anomalies';
  if (a.anomalies.length === 0)
    return {
      text: `${title} (0)`,
      blocks: [header(title), section('No anomalies in the last 30 days.')],
    };
  const lines = a.anomalies.map(
    (x) =>
      `• *${escapeMrkdwn(x.day)}* \`${escapeMrkdwn(x.scope)}\` — ${usd(x.usd)} vs ${usd(x.expectedUsd)} expected (${escapeMrkdwn(x.severity)})`,
  );
  const blocks = [
    header(title),
    section(lines.join('\n')),
    context(`${a.anomalies.length} of ${a.total} shown`),
  ];
  return { text: `${title} (${a.total})`, blocks: capBlocks(blocks) };
}
